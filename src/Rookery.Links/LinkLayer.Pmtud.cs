using Rookery.Wire.Knet;

namespace Rookery.Links;

/// <content>
/// Path MTU discovery (knet-spec §6): per connected link, probes of a given IP packet size padded to that
/// size; the peer answers with the 9-byte header. Sizes are bisected between the largest answered and the
/// smallest unanswered size (each size gets one resend, so a single loss does not shrink the MTU), starting
/// with 65535; an EMSGSIZE report with the kernel's path MTU makes that size the next probe, as knet does. The link's data MTU is knet's <c>calc_max_data_outlen</c> of the result;
/// the node-wide fragment size is the minimum over connected links.
/// </content>
public sealed partial class LinkLayer
{
    private void StartPmtud(Instant now, LinkMonitor monitor)
    {
        monitor.Mtu = MinimumMtu;
        monitor.PmtudNextRunAt = now;
        monitor.PmtudProbeSize = 0;
        monitor.PmtudProbeDeadline = Instant.Never;
    }

    private void TickPmtud(Instant now, PeerState peer, LinkMonitor monitor, LinkOutput output)
    {
        if (!monitor.Connected)
        {
            return;
        }

        if (monitor.PmtudProbeSize > 0 && now >= monitor.PmtudProbeDeadline)
        {
            if (!monitor.PmtudResent)
            {
                monitor.PmtudResent = true;
                SendProbe(now, peer, monitor, monitor.PmtudProbeSize, output);
                return;
            }

            monitor.PmtudBad = Math.Min(monitor.PmtudBad, monitor.PmtudProbeSize);
            ContinuePmtud(now, peer, monitor, output);
            return;
        }

        if (monitor.PmtudProbeSize == 0 && now >= monitor.PmtudNextRunAt)
        {
            var overhead = monitor.Options.IpHeaderSize + LinksDefaults.UdpHeaderSize;
            if (_options.ManualMtu > 0)
            {
                FinishPmtud(now, peer, monitor, _crypto.MaxDataLength(_options.ManualMtu - overhead), output);
                return;
            }

            monitor.PmtudNextRunAt = Instant.Never;
            monitor.PmtudGood = LinksLimits.PmtudSizeMin;
            monitor.PmtudBad = LinksLimits.PmtudSizeMax + 1;
            monitor.PmtudProbes = 0;
            monitor.PmtudResent = false;
            SendProbe(now, peer, monitor, LinksLimits.PmtudSizeMax, output);
        }
    }

    private void ContinuePmtud(Instant now, PeerState peer, LinkMonitor monitor, LinkOutput output)
    {
        var granularity = _crypto.BlockSize > 0 ? _crypto.BlockSize : 1;
        var overhead = monitor.Options.IpHeaderSize + LinksDefaults.UdpHeaderSize;
        if (monitor.PmtudBad - monitor.PmtudGood <= granularity || monitor.PmtudProbes >= LinksLimits.PmtudProbesMax)
        {
            FinishPmtud(now, peer, monitor, _crypto.MaxDataLength(monitor.PmtudGood - overhead), output);
            return;
        }

        var hint = monitor.PmtudHint;
        monitor.PmtudHint = 0;
        monitor.PmtudResent = false;
        var size = hint > monitor.PmtudGood && hint < monitor.PmtudBad ? hint : (monitor.PmtudGood + monitor.PmtudBad) / 2;
        SendProbe(now, peer, monitor, size, output);
    }

    private void FinishPmtud(Instant now, PeerState peer, LinkMonitor monitor, int mtu, LinkOutput output)
    {
        monitor.PmtudProbeSize = 0;
        monitor.PmtudProbeDeadline = Instant.Never;
        monitor.PmtudNextRunAt = now + _options.PmtudInterval;
        mtu = Math.Max(mtu, MinimumMtu);
        if (mtu != monitor.Mtu)
        {
            output.Report(new LinkMtuChanged(peer.Id, monitor.Link, monitor.Mtu, mtu));
            monitor.Mtu = mtu;
        }
    }

    private void SendProbe(Instant now, PeerState peer, LinkMonitor monitor, int size, LinkOutput output)
    {
        var overhead = monitor.Options.IpHeaderSize + LinksDefaults.UdpHeaderSize;
        var dataLength = _crypto.MaxDataLength(size - overhead);
        var plaintextLength = dataLength + KnetFrame.HeaderAllSize;

        // Re-align to what the datagram really occupies on the wire, as knet does.
        size = _crypto.SealedLength(plaintextLength) + overhead;
        monitor.PmtudProbeSize = size;
        monitor.PmtudProbes++;
        monitor.PmtudProbeDeadline = now + monitor.EffectiveDownTimeout;
        var length = KnetCodec.WritePmtud(_plain, KnetPacketType.Pmtud, (ushort)_local.Value, monitor.Link.Value, (ushort)size, plaintextLength);
        var bytes = Seal(_plain.AsSpan(0, length));
        output.Datagrams.Add(new LinkDatagram(monitor.Link, peer.Id, bytes));
        monitor.Stats.TxPmtuPackets++;
        monitor.Stats.TxPmtuBytes += bytes.Length;
    }

    private void OnPmtud(PeerState peer, LinkMonitor monitor, KnetFrame frame, int size, LinkOutput output)
    {
        monitor.Stats.RxPmtuPackets++;
        monitor.Stats.RxPmtuBytes += size;
        var length = KnetCodec.WritePmtud(_plain, KnetPacketType.PmtudReply, (ushort)_local.Value, frame.Link, frame.PmtudSize, KnetFrame.PmtudHeaderSize);
        var bytes = Seal(_plain.AsSpan(0, length));
        output.Datagrams.Add(new LinkDatagram(monitor.Link, peer.Id, bytes));
        monitor.Stats.TxPmtuPackets++;
        monitor.Stats.TxPmtuBytes += bytes.Length;
    }

    private void OnPmtudReply(Instant now, PeerState peer, LinkMonitor monitor, KnetFrame frame, int size, LinkOutput output)
    {
        monitor.Stats.RxPmtuPackets++;
        monitor.Stats.RxPmtuBytes += size;
        if (monitor.PmtudProbeSize == 0 || frame.PmtudSize != monitor.PmtudProbeSize)
        {
            return;
        }

        monitor.PmtudGood = Math.Max(monitor.PmtudGood, monitor.PmtudProbeSize);
        if (monitor.PmtudProbeSize >= LinksLimits.PmtudSizeMax - (_crypto.BlockSize > 0 ? _crypto.BlockSize : 0))
        {
            monitor.PmtudBad = monitor.PmtudGood;
        }

        ContinuePmtud(now, peer, monitor, output);
        UpdateDataMtu(output);
    }

    /// <summary>knet's global data MTU: the smallest link MTU over connected links; unchanged while none is connected.</summary>
    private void UpdateDataMtu(LinkOutput output)
    {
        var mtu = int.MaxValue;
        foreach (var peer in _peers.Values)
        {
            foreach (var monitor in peer.Links)
            {
                if (monitor is { Connected: true })
                {
                    mtu = Math.Min(mtu, monitor.Mtu);
                }
            }
        }

        if (mtu != int.MaxValue && mtu != DataMtu)
        {
            DataMtu = mtu;
            output.Report(new DataMtuChanged(mtu));
        }
    }
}
