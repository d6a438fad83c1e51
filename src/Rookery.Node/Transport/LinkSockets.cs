using System.Net;
using Rookery.Links;

namespace Rookery.Node.Transport;

/// <summary>
/// The I/O half of a link layer, shared by the daemon (<see cref="Shell.LinkShell"/>) and the knet peer tool: the
/// <see cref="UdpTransport"/> sockets, the address of every (peer, link), knet's access list (a datagram counts only
/// when its source is the configured address of a peer on the link it arrived on), and the send path, which hands
/// EMSGSIZE back to the link layer at once so path MTU discovery learns from it instead of from a probe timeout.
/// Used on one loop thread; the transport's receiver threads only fill its queues.
/// </summary>
public sealed class LinkSockets : IDisposable
{
    private readonly UdpTransport _transport;
    private readonly Dictionary<(uint Node, byte Link), IPEndPoint> _addresses = [];
    private readonly Dictionary<(byte Link, IPEndPoint Address), NodeId> _sources = [];
    private readonly DatagramSink _sink;
    private ILinkInput? _pumpInput;
    private Instant _pumpNow;
    private long _datagramsFromUnknownSources;
    private long _sendsTooBig;

    public LinkSockets(UdpTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _sink = Accept;
    }

    /// <summary>Datagrams the loop reads from each socket per <see cref="Pump"/> at most, so that timers and sends get their turn under load.</summary>
    public const int ReceiveBatchMax = 64;

    public UdpTransport Transport => _transport;

    /// <summary>Datagrams dropped because their source is not a configured address of that link (counted, not logged).</summary>
    public long DatagramsFromUnknownSources => Interlocked.Read(ref _datagramsFromUnknownSources);

    /// <summary>Sends refused with EMSGSIZE and reported to the link layer.</summary>
    public long SendsTooBig => Interlocked.Read(ref _sendsTooBig);

    /// <summary>Every (peer, link) with an address, ascending.</summary>
    public IEnumerable<(uint Node, byte Link)> PeerLinks => _addresses.Keys.Order();

    public bool HasAddress(NodeId peer, LinkId link) => _addresses.ContainsKey((peer.Value, link.Value));

    /// <summary>Where datagrams for <paramref name="peer"/> on <paramref name="link"/> go, and the only source accepted from it there.</summary>
    public void SetAddress(NodeId peer, LinkId link, IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        RemoveAddress(peer, link);
        _addresses[(peer.Value, link.Value)] = endPoint;
        _sources[(link.Value, endPoint)] = peer;
    }

    public void RemoveAddress(NodeId peer, LinkId link)
    {
        if (_addresses.Remove((peer.Value, link.Value), out var endPoint))
        {
            _sources.Remove((link.Value, endPoint));
        }
    }

    public void RemovePeer(NodeId peer)
    {
        foreach (var (node, link) in _addresses.Keys.Where(k => k.Node == peer.Value).ToArray())
        {
            RemoveAddress(new NodeId(node), new LinkId(link));
        }
    }

    /// <summary>Hands every waiting datagram from a known source and every transport fault of a known peer to <paramref name="input"/>.</summary>
    public void Pump(Instant now, ILinkInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        while (_transport.Datagrams.TryRead(out var datagram))
        {
            var source = datagram.Source.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(datagram.Source.Address.MapToIPv4(), datagram.Source.Port) : datagram.Source;
            if (!_sources.ContainsKey((datagram.Link.Value, source)))
            {
                Interlocked.Increment(ref _datagramsFromUnknownSources);
                datagram.Release();
                continue;
            }

            // The link layer copies what it keeps (it decrypts into its own buffer): the array goes back to the pool.
            input.Receive(now, datagram.Link, datagram.Payload.Span);
            datagram.Release();
        }

        if (_transport.ReceivesOnLoop)
        {
            _pumpInput = input;
            _pumpNow = now;
            _transport.ReceiveAvailable(ReceiveBatchMax, _sink);
            _pumpInput = null;
        }

        while (_transport.Faults.TryRead(out var fault))
        {
            if (_sources.TryGetValue((fault.Link.Value, fault.Destination), out var peer))
            {
                input.ReportTransportError(now, peer, fault.Link);
            }
        }
    }

    /// <summary>Loop mode: one datagram straight from the socket's buffer, through the access list, to the link layer.</summary>
    private void Accept(LinkId link, IPEndPoint source, ReadOnlySpan<byte> payload)
    {
        var from = source.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(source.Address.MapToIPv4(), source.Port) : source;
        if (!_sources.ContainsKey((link.Value, from)))
        {
            Interlocked.Increment(ref _datagramsFromUnknownSources);
            return;
        }

        _pumpInput!.Receive(_pumpNow, link, payload);
    }

    /// <summary>
    /// Sends <paramref name="datagrams"/> (datagrams the reports add to the list are sent too) and clears the list.
    /// A send refused with EMSGSIZE goes back to <paramref name="input"/> at once, as libknet's PMTUD expects.
    /// </summary>
    public void Send(Instant now, List<LinkDatagram> datagrams, ILinkInput input)
    {
        ArgumentNullException.ThrowIfNull(datagrams);
        ArgumentNullException.ThrowIfNull(input);
        for (var i = 0; i < datagrams.Count; i++)
        {
            var datagram = datagrams[i];
            if (_addresses.TryGetValue((datagram.Destination.Value, datagram.Link.Value), out var endPoint)
                && _transport.Send(datagram.Link, endPoint, datagram.Bytes) == SendOutcome.TooBig)
            {
                Interlocked.Increment(ref _sendsTooBig);
                input.ReportMessageTooBig(now, datagram.Destination, datagram.Link, 0);
            }
        }

        datagrams.Clear();
    }

    public void Dispose() => _transport.Dispose();
}
