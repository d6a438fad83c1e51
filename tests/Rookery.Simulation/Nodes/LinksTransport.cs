using System.Buffers.Binary;
using Rookery.Links;
using Rookery.Simulation.Harness;
using Rookery.Wire.Knet;
using LinksDelivered = Rookery.Links.Delivered;

namespace Rookery.Simulation.Nodes;

/// <summary>
/// Totem over the real link layer, as the node shell routes it (corosync exec/totemknet.c): Totem's
/// datagrams go out on knet channel 0, unicast when Totem names a target and broadcast otherwise;
/// what the link layer delivers goes to Totem; "peer unreachable on every link", "reachable again" and
/// a change of the active link become Totem's <c>OnPeerUnreachable</c>, <c>OnPeerReachable</c> and
/// <c>OnLinkSwitched</c>. Every node has the same links to every peer; link 0 has the highest priority,
/// so it carries the traffic while it lives. Datagrams are authenticated (HMAC-SHA256 with a cluster
/// key), so corrupted ones are dropped and counted, as a keyed knet cluster does.
/// </summary>
public sealed class LinksTransport : ILinkTransport
{
    /// <summary>Totem's knet channel (corosync uses channel 0 for Totem).</summary>
    public const byte TotemChannel = 0;

    /// <summary>Priority of link 0; link n gets this minus n (passive mode: the highest up link carries the data).</summary>
    public const byte TopPriority = 20;

    private static readonly byte[] ClusterKey = Enumerable.Range(0, 128).Select(i => (byte)(i * 37 + 11)).ToArray();

    private const string TxSequenceKey = "knet_txseq";

    private readonly LinkLayer _layer;
    private readonly Dictionary<string, byte[]> _storage;
    private readonly TxSequenceLease _lease;
    private readonly List<LinkDatagram> _datagrams = [];
    private readonly List<LinkEvent> _events = [];

    public LinksTransport(NodeEnvironment environment)
    {
        var crypto = KnetCrypto.Create(KnetCipher.None, KnetHash.Sha256, ClusterKey);

        // As the shell does: the knet sequence lease persists in the node's storage (see TxSequenceLease).
        _storage = environment.Storage;
        _lease = TxSequenceLease.Begin(_storage.TryGetValue(TxSequenceKey, out var stored) ? BinaryPrimitives.ReadUInt16LittleEndian(stored) : null);
        Persist(_lease.Persisted);
        _layer = new LinkLayer(environment.Id, new LinkLayerOptions { Crypto = crypto, DeliverToSelf = false, InitialTxSequence = _lease.Start }, environment.Prng.Fork());
        foreach (var peer in environment.Nodes)
        {
            if (peer == environment.Id)
            {
                continue;
            }

            _layer.AddPeer(peer);
            for (var link = 0; link < environment.LinkCount; link++)
            {
                _layer.AddLink(environment.Now, peer, new LinkId((byte)link), new LinkOptions { Priority = (byte)(TopPriority - link) });
            }
        }
    }

    public LinkLayer Layer => _layer;

    public Instant NextDeadline => _layer.NextDeadline;

    public void Tick(Instant now, ClusterNode node)
    {
        _layer.Tick(now, _datagrams, _events);
        Route(node);
    }

    public void Receive(Instant now, LinkId link, NodeId from, ReadOnlyMemory<byte> datagram, ClusterNode node)
    {
        _layer.Receive(now, link, datagram.Span, _datagrams, _events);
        Route(node);
    }

    public void SendTotem(Instant now, NodeId to, byte[] bytes, ClusterNode node)
    {
        _ = to.Value == 0
            ? _layer.Broadcast(now, TotemChannel, bytes, _datagrams, _events)
            : _layer.Send(now, to, TotemChannel, bytes, _datagrams, _events);
        Route(node);
    }

    public LinkId? ActiveLink(NodeId peer)
    {
        var active = _layer.ActiveLinks(peer);
        return active.IsEmpty ? null : active[0];
    }

    private void Persist(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        _storage[TxSequenceKey] = bytes;
    }

    /// <summary>Sends what the layer produced, then hands its events up (they may make Totem send more, which comes back here).</summary>
    private void Route(ClusterNode node)
    {
        if (_lease.Renew(_layer.TxSequence) is { } renewed)
        {
            Persist(renewed);
        }

        while (_datagrams.Count > 0 || _events.Count > 0)
        {
            var datagrams = _datagrams.ToArray();
            var events = _events.ToArray();
            _datagrams.Clear();
            _events.Clear();
            foreach (var datagram in datagrams)
            {
                node.Send(datagram.Destination, datagram.Link, datagram.Bytes);
            }

            foreach (var linkEvent in events)
            {
                switch (linkEvent)
                {
                    case LinksDelivered { Channel: TotemChannel } delivered:
                        node.OnTotemDatagram(delivered.Sender, delivered.Payload);
                        break;
                    case PeerUnreachable unreachable:
                        node.Log(linkEvent.LogLine);
                        node.OnPeerUnreachable(unreachable.Peer);
                        break;
                    case PeerReachable reachable:
                        node.Log(linkEvent.LogLine);
                        node.OnPeerReachable(reachable.Peer);
                        break;
                    case ActiveLinksChanged { Links.IsEmpty: false } changed:
                        node.Log(linkEvent.LogLine);
                        node.OnLinkSwitched(changed.Peer);
                        break;
                    case LinksDelivered:
                        break;
                    default:
                        node.Log(linkEvent.LogLine);
                        break;
                }
            }
        }
    }
}
