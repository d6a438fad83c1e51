using Rookery.Wire.Knet;

namespace Rookery.Links;

/// <content>Sending application messages: sequencing, fragmentation, link selection, hedging.</content>
public sealed partial class LinkLayer
{
    /// <summary>
    /// Sends <paramref name="payload"/> to <paramref name="destinations"/> on <paramref name="channel"/> (unicast:
    /// knet <c>bcast</c> = 0). Unreachable destinations are skipped; a destination equal to the local node is
    /// delivered locally when <see cref="LinkLayerOptions.DeliverToSelf"/> is on.
    /// </summary>
    public SendStatus Send(Instant now, ReadOnlySpan<NodeId> destinations, byte channel, ReadOnlySpan<byte> payload, LinkOutput output) =>
        SendCore(now, broadcast: false, destinations, channel, payload, output);

    /// <summary>Sends <paramref name="payload"/> to one destination.</summary>
    public SendStatus Send(Instant now, NodeId destination, byte channel, ReadOnlySpan<byte> payload, LinkOutput output) =>
        SendCore(now, broadcast: false, [destination], channel, payload, output);

    /// <summary>
    /// Sends <paramref name="payload"/> to every reachable peer (knet <c>bcast</c> = 1) and, when
    /// <see cref="LinkLayerOptions.DeliverToSelf"/> is on, delivers it locally first.
    /// </summary>
    public SendStatus Broadcast(Instant now, byte channel, ReadOnlySpan<byte> payload, LinkOutput output) =>
        SendCore(now, broadcast: true, [], channel, payload, output);

    private SendStatus SendCore(Instant now, bool broadcast, ReadOnlySpan<NodeId> destinations, byte channel, ReadOnlySpan<byte> payload, LinkOutput output)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, (byte)KnetFrame.ChannelsMax);
        if (payload.Length > LinksLimits.MessageSizeMax)
        {
            return SendStatus.TooLarge;
        }

        var deliveredLocally = false;
        if (_options.DeliverToSelf && (broadcast || destinations.Contains(_local)))
        {
            output.Report(new Delivered(_local, channel, payload.ToArray()));
            deliveredLocally = true;
        }

        var targets = new List<PeerState>();
        if (broadcast)
        {
            foreach (var peer in _peers.Values)
            {
                AddTarget(targets, peer);
            }
        }
        else
        {
            foreach (var destination in destinations)
            {
                if (destination != _local && _peers.TryGetValue(destination, out var peer))
                {
                    AddTarget(targets, peer);
                }
            }
        }

        if (targets.Count == 0)
        {
            Counters.TxNoReachableDestination++;
            return deliveredLocally ? SendStatus.Sent : SendStatus.NoReachableDestination;
        }

        var seq = NextSeq(now, output);
        var fragments = SealFragments(seq, broadcast, channel, payload);
        Span<LinkId> links = stackalloc LinkId[Limits.LinksMax];
        foreach (var peer in targets)
        {
            var count = SelectLinks(now, peer, links);
            foreach (var link in links[..count])
            {
                var stats = peer.Links[link.Value]!.Stats;
                foreach (var bytes in fragments)
                {
                    output.Datagrams.Add(new LinkDatagram(link, peer.Id, bytes));
                    stats.TxDataPackets++;
                    stats.TxDataBytes += bytes.Length;
                }
            }
        }

        return SendStatus.Sent;
    }

    private static void AddTarget(List<PeerState> targets, PeerState peer)
    {
        if (peer.Reachable && !targets.Contains(peer))
        {
            targets.Add(peer);
        }
    }

    /// <summary>The next data seq (never 0); every 8191 packets an untimed ping tells every peer where we are.</summary>
    private ushort NextSeq(Instant now, LinkOutput output)
    {
        _txSeq = unchecked((ushort)(_txSeq + 1));
        if (_txSeq == 0)
        {
            _txSeq = 1;
        }

        if (_txSeq % LinksLimits.UntimedPingEvery == 0)
        {
            foreach (var peer in _peers.Values)
            {
                foreach (var monitor in peer.Links)
                {
                    if (monitor is { Enabled: true })
                    {
                        SendPing(now, peer, monitor, timed: 0, output);
                    }
                }
            }
        }

        return _txSeq;
    }

    /// <summary>Cuts the message into <see cref="DataMtu"/>-sized fragments and seals each once (knet sends identical bytes to every host).</summary>
    private byte[][] SealFragments(ushort seq, bool broadcast, byte channel, ReadOnlySpan<byte> payload)
    {
        var fragmentSize = DataMtu;
        var count = Math.Max(1, (payload.Length + fragmentSize - 1) / fragmentSize);
        Invariant.Require(count < KnetFrame.FragmentsMax);
        var fragments = new byte[count][];
        for (var index = 0; index < count; index++)
        {
            var start = index * fragmentSize;
            var piece = payload.Slice(start, Math.Min(fragmentSize, payload.Length - start));
            var length = KnetCodec.WriteData(_plain, (ushort)_local.Value, seq, broadcast, (byte)count,
                count == 1 ? (byte)0 : (byte)(index + 1), channel, piece);
            fragments[index] = Seal(_plain.AsSpan(0, length));
        }

        return fragments;
    }

    /// <summary>Links for the next packet to <paramref name="peer"/> under the policy, plus a hedge link while the passive link is suspect.</summary>
    private int SelectLinks(Instant now, PeerState peer, Span<LinkId> links)
    {
        switch (_options.Policy)
        {
            case LinkPolicy.Active:
                for (var index = 0; index < peer.Selected.Count; index++)
                {
                    links[index] = peer.Selected[index];
                }

                return peer.Selected.Count;
            case LinkPolicy.RoundRobin:
                links[0] = peer.Selected[(int)(peer.RoundRobinCounter++ % (ulong)peer.Selected.Count)];
                return 1;
            default:
                links[0] = peer.Selected[0];
                var best = peer.Links[links[0].Value]!;
                if (!best.Timing.Hedging || !best.IsSuspect(now))
                {
                    return 1;
                }

                LinkMonitor? hedge = null;
                foreach (var link in peer.Candidates)
                {
                    var monitor = peer.Links[link.Value]!;
                    if (link != best.Link && (hedge is null || EffectivePriority(monitor) > EffectivePriority(hedge)))
                    {
                        hedge = monitor;
                    }
                }

                if (hedge is null)
                {
                    return 1;
                }

                Counters.TxHedged++;
                links[1] = hedge.Link;
                return 2;
        }
    }
}
