using Rookery.Wire.Knet;

namespace Rookery.Links;

/// <content>Receiving datagrams: authentication, validation, pings, pongs, PMTUD, data with dedup and reassembly.</content>
public sealed partial class LinkLayer
{
    /// <summary>
    /// Processes one datagram that arrived on the socket of link <paramref name="link"/>. Anything invalid is
    /// dropped and counted in <see cref="Counters"/>; nothing here throws on bad input.
    /// </summary>
    /// <param name="now">Arrival time.</param>
    /// <param name="link">The local link whose socket received it.</param>
    /// <param name="datagram">Untrusted bytes: they crossed the network.</param>
    /// <param name="output">Receives pongs and PMTUD replies, deliveries and state changes.</param>
    public void Receive(Instant now, LinkId link, ReadOnlySpan<byte> datagram, LinkOutput output)
    {
        if (!link.IsValid)
        {
            Counters.RxWrongLink++;
            return;
        }

        if (!TryOpen(datagram, out var length))
        {
            return;
        }

        var packet = _open.AsSpan(0, length);
        if (KnetFrame.TryDecode(packet, out var frame) != KnetDecodeStatus.Ok)
        {
            Counters.RxMalformed++;
            return;
        }

        var sender = new NodeId(frame.Node);
        if (sender == _local || !_peers.TryGetValue(sender, out var peer))
        {
            Counters.RxUnknownHost++;
            return;
        }

        var monitor = peer.Links[link.Value];
        if (monitor is null || !monitor.Enabled || (frame.IsLinkLevel && frame.Link != link.Value))
        {
            Counters.RxWrongLink++;
            return;
        }

        switch (frame.Type)
        {
            case KnetPacketType.Ping:
                OnPing(now, peer, monitor, frame, datagram.Length, output);
                break;
            case KnetPacketType.Pong:
                OnPong(now, peer, monitor, frame, datagram.Length, output);
                break;
            case KnetPacketType.Pmtud:
                OnPmtud(peer, monitor, frame, datagram.Length, output);
                break;
            case KnetPacketType.PmtudReply:
                OnPmtudReply(now, peer, monitor, frame, datagram.Length, output);
                break;
            default:
                OnData(now, peer, monitor, frame, packet, datagram.Length, output);
                break;
        }
    }

    private bool TryOpen(ReadOnlySpan<byte> datagram, out int length)
    {
        if (datagram.Length > _open.Length)
        {
            Counters.RxCryptErrors++;
            length = 0;
            return false;
        }

        if (_crypto.IsClear && _alternateCrypto is null)
        {
            datagram.CopyTo(_open);
            length = datagram.Length;
            return true;
        }

        if (_crypto.TryOpen(datagram, _open, out length) == KnetCryptoStatus.Ok
            || (_alternateCrypto is not null && _alternateCrypto.TryOpen(datagram, _open, out length) == KnetCryptoStatus.Ok))
        {
            Counters.RxCryptPackets++;
            return true;
        }

        Counters.RxCryptErrors++;
        return false;
    }

    private void OnPing(Instant now, PeerState peer, LinkMonitor monitor, KnetFrame frame, int size, LinkOutput output)
    {
        monitor.Stats.RxPingPackets++;
        monitor.Stats.RxPingBytes += size;
        SyncSeq(peer, frame);
        var length = KnetCodec.WritePing(_plain, KnetPacketType.Pong, (ushort)_local.Value, frame.Link, frame.Timestamp, frame.Seq, frame.Timed);
        var bytes = Seal(_plain.AsSpan(0, length));
        output.Datagrams.Add(new LinkDatagram(monitor.Link, peer.Id, bytes));
        monitor.Stats.TxPongPackets++;
        monitor.Stats.TxPongBytes += bytes.Length;

        // Our own ping on this link due within half a period goes now, with the pong: both ends of a link then ping
        // in step, and one wake-up on each side serves the ping, the pong and the peer's ping.
        if (monitor.PingDueWithin(now, monitor.PingPeriod / 2))
        {
            SendPing(now, peer, monitor, timed: 1, output);
            SendPingsAlong(now, output);
        }
    }

    /// <summary>
    /// knet's seq synchronisation (knet-spec §2.6): a timed ping with seq 0 means the peer restarted and
    /// sent no data yet, so its dedup history is wiped; an untimed ping re-bases the window when no data
    /// came since the previous one.
    /// </summary>
    private static void SyncSeq(PeerState peer, KnetFrame frame)
    {
        if (frame.Timed != 0)
        {
            if (!peer.HasTimedPingSeq || peer.TimedPingSeq != frame.Seq)
            {
                peer.HasTimedPingSeq = true;
                peer.TimedPingSeq = frame.Seq;
                if (frame.Seq == 0)
                {
                    peer.Dedup.Reset(0);
                    peer.Reassembly.Clear();
                }
            }

            return;
        }

        if (!peer.HasUntimedPingSeq || peer.UntimedPingSeq != frame.Seq)
        {
            peer.HasUntimedPingSeq = true;
            peer.UntimedPingSeq = frame.Seq;
            if (!peer.GotDataSinceUntimedPing)
            {
                peer.Dedup.Reset(frame.Seq);
            }

            peer.GotDataSinceUntimedPing = false;
        }

        _ = peer.Dedup.IsDelivered(frame.Seq);
    }

    private void OnPong(Instant now, PeerState peer, LinkMonitor monitor, KnetFrame frame, int size, LinkOutput output)
    {
        monitor.Stats.RxPongPackets++;
        monitor.Stats.RxPongBytes += size;
        if (!frame.Timestamp.TryToInstant(out var sentAt) || !monitor.OnPong(now, sentAt))
        {
            Counters.RxStalePongs++;
            return;
        }

        if (!monitor.Connected && monitor.Enabled && monitor.ReceivedPongs >= monitor.PongsToComeUp(now))
        {
            BringUp(now, peer, monitor, output);
        }
    }

    private void BringUp(Instant now, PeerState peer, LinkMonitor monitor, LinkOutput output)
    {
        monitor.MarkUp(now);
        output.Report(new LinkUp(peer.Id, monitor.Link));
        UpdateSelection(peer, output);
        StartPmtud(now, monitor);
    }

    private void OnData(Instant now, PeerState peer, LinkMonitor monitor, KnetFrame frame, ReadOnlySpan<byte> packet, int size, LinkOutput output)
    {
        monitor.Stats.RxDataPackets++;
        monitor.Stats.RxDataBytes += size;
        if (!peer.Reachable && !monitor.Connected && monitor.ReceivedPongs > 0)
        {
            // knet's fast data-up: data during valid ping/pong activity proves the link works.
            BringUp(now, peer, monitor, output);
        }

        if (!peer.Reachable)
        {
            Counters.RxNotReachable++;
            return;
        }

        if (frame.Compress != 0)
        {
            Counters.RxCompressed++;
            return;
        }

        peer.GotDataSinceUntimedPing = true;
        if (peer.Dedup.IsDelivered(frame.Seq))
        {
            Counters.RxDuplicates++;
            return;
        }

        var payload = packet.Slice(frame.PayloadOffset, frame.PayloadLength);
        if (frame.FragmentCount == 1)
        {
            Deliver(peer, frame, payload.ToArray(), output);
            return;
        }

        var outcome = peer.Reassembly.Add(frame.Seq, frame.FragmentCount, frame.FragmentSeq, payload, out var message, out var evicted);
        Counters.RxReassemblyErrors += evicted;
        switch (outcome)
        {
            case Reassembler.Outcome.Complete:
                Deliver(peer, frame, message!, output);
                break;
            case Reassembler.Outcome.Duplicate:
                Counters.RxDuplicates++;
                break;
            case Reassembler.Outcome.Rejected:
                Counters.RxReassemblyErrors++;
                break;
            default:
                break;
        }
    }

    private static void Deliver(PeerState peer, KnetFrame frame, byte[] message, LinkOutput output)
    {
        peer.Dedup.MarkDelivered(frame.Seq);
        output.Report(new Delivered(peer.Id, frame.Channel, message));
    }
}
