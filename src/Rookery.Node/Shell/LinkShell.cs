using System.Net;
using System.Security.Cryptography;
using LinkDelivered = Rookery.Links.Delivered;
using Rookery.Config;
using Rookery.Links;
using Rookery.Node.Logging;
using Rookery.Control;
using Rookery.Node.Transport;
using Rookery.Services;
using Rookery.Totem;

namespace Rookery.Node.Shell;

/// <summary>
/// The link half of the node shell: the <see cref="LinkLayer"/> core on the knet helper's
/// <see cref="UdpTransport"/> sockets. It maps (peer, link) to addresses from the nodelist, hands the core only
/// datagrams whose source is the peer's configured address on that link (knet's access list), routes the core's
/// deliveries to the <see cref="NodeStack"/> (Links → Totem) and logs link events in knet's words.
/// Used on the node's loop thread only.
/// </summary>
public sealed class LinkShell : IDisposable
{
    /// <summary>knet channel corosync's totem traffic uses.</summary>
    public const byte TotemChannel = 0;

    private readonly NodeId _local;
    private readonly LinkLayer _links;
    private readonly UdpTransport _transport;
    private readonly ClusterLog _log;
    private readonly List<LinkDatagram> _datagrams = [];
    private readonly List<LinkEvent> _events = [];
    private readonly Dictionary<(uint Node, byte Link), IPEndPoint> _addresses = [];
    private readonly Dictionary<(byte Link, IPEndPoint Address), NodeId> _sources = [];
    private readonly SortedDictionary<byte, IPEndPoint> _localEndPoints = [];
    private readonly HashSet<byte> _disabled = [];
    private long _datagramsFromUnknownSources;

    public LinkShell(NodeId local, LinkLayer links, UdpTransport transport, ClusterLog log)
    {
        _local = local;
        _links = links;
        _transport = transport;
        _log = log;
    }

    public LinkLayer Core => _links;

    public UdpTransport Transport => _transport;

    /// <summary>Datagrams dropped because their source is not a configured address of that link (counted, not logged).</summary>
    public long DatagramsFromUnknownSources => _datagramsFromUnknownSources;

    public Instant NextDeadline => _links.NextDeadline;

    /// <summary>The crypto the configuration asks for (knet: <c>crypto_cipher</c>, <c>crypto_hash</c>, the key file), or an error.</summary>
    public static Wire.Knet.KnetCrypto? CryptoFor(CorosyncConfig config, string configDirectory, out string? error)
    {
        error = null;
        if (!Wire.Knet.KnetCrypto.TryParseCipher(config.Totem.CryptoCipher, out var cipher)
            || !Wire.Knet.KnetCrypto.TryParseHash(config.Totem.CryptoHash, out var hash))
        {
            error = $"crypto_cipher '{config.Totem.CryptoCipher}' or crypto_hash '{config.Totem.CryptoHash}' is not supported";
            return null;
        }

        if (cipher == Wire.Knet.KnetCipher.None && hash == Wire.Knet.KnetHash.None)
        {
            return Wire.Knet.KnetCrypto.Clear;
        }

        var keyFile = config.Totem.KeyFile ?? Path.Combine(configDirectory, Defaults.KeyFileName);
        try
        {
            return Wire.Knet.KnetCrypto.Create(cipher, hash, File.ReadAllBytes(keyFile));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException)
        {
            error = $"Could not open {keyFile}: {ConfigFile.Reason(exception)} (totem.keyfile; create one with 'rookery keygen {keyFile}')";
            return null;
        }
    }

    /// <summary>Opens this node's link sockets and configures every peer and link of <paramref name="config"/>.</summary>
    public void Configure(Instant now, CorosyncConfig config, NodeConfig localNode, Duration runtimeToken, List<string> errors)
    {
        foreach (var link in config.ConfiguredLinks)
        {
            OpenLocalLink(config, localNode, link, errors);
        }

        foreach (var node in config.Nodes)
        {
            if (node.NodeId is { } id && id != _local.Value)
            {
                AddPeer(now, config, node, runtimeToken, errors);
            }
        }
    }

    /// <summary>Opens the socket of a link on this node (startup and reload) and logs it as corosync does.</summary>
    public void OpenLocalLink(CorosyncConfig config, NodeConfig localNode, LinkId link, List<string> errors)
    {
        if (localNode.Address(link.Value) is not { } text || _localEndPoints.ContainsKey(link.Value))
        {
            return;
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            errors.Add($"ring{link}_addr '{text}' of the local node is not an IP address (a host name that was not resolved when the configuration was loaded)");
            return;
        }

        var endPoint = new IPEndPoint(address, Reload.ReloadPlanner.PortOf(config, link));
        try
        {
            _transport.Open(link, endPoint);
        }
        catch (System.Net.Sockets.SocketException exception)
        {
            errors.Add($"cannot bind link {link} to {endPoint}: {exception.Message} (is another node using this address and port?)");
            return;
        }

        _localEndPoints[link.Value] = endPoint;
        _log.Info(LogSubsystem.Knet, $"Configured link number {link}: local addr: {address}, port={endPoint.Port}", new LogFields(Link: link.Value));
    }

    /// <summary>Closes the socket of a link removed at runtime.</summary>
    public void CloseLocalLink(LinkId link)
    {
        if (_localEndPoints.Remove(link.Value))
        {
            _transport.Close(link);
            _log.Info(LogSubsystem.Knet, $"Removed link number {link}", new LogFields(Link: link.Value));
        }
    }

    public void AddPeer(Instant now, CorosyncConfig config, NodeConfig node, Duration runtimeToken, List<string> errors)
    {
        var peer = new NodeId(node.NodeId!.Value);
        if (!_links.Peers.Contains(peer))
        {
            _links.AddPeer(peer);
        }

        foreach (var (link, address) in node.RingAddresses)
        {
            AddPeerLink(now, config, peer, new LinkId((byte)link), address, runtimeToken, errors);
        }
    }

    public void RemovePeer(Instant now, NodeId peer)
    {
        foreach (var key in _addresses.Keys.Where(k => k.Node == peer.Value).ToArray())
        {
            _sources.Remove((key.Link, _addresses[key]));
            _addresses.Remove(key);
        }

        _links.RemovePeer(now, peer, _events);
    }

    public void AddPeerLink(Instant now, CorosyncConfig config, NodeId peer, LinkId link, string text, Duration runtimeToken, List<string> errors)
    {
        if (!IPAddress.TryParse(text, out var address))
        {
            errors.Add($"ring{link}_addr '{text}' of node {peer} is not an IP address (a host name that was not resolved when the configuration was loaded)");
            return;
        }

        var face = config.Totem.Interface(link);
        var keys = (face?.Keys ?? KeyValues.Empty).ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal);
        var timingErrors = new List<string>();
        var timing = LinkTimingOptions.FromInterfaceKeys(keys, runtimeToken, timingErrors);
        errors.AddRange(timingErrors.Select(e => $"totem.interface.{link}: {e}"));
        var endPoint = new IPEndPoint(address, Reload.ReloadPlanner.PortOf(config, link));
        _addresses[(peer.Value, link.Value)] = endPoint;
        _sources[(link.Value, endPoint)] = peer;
        _links.AddLink(now, peer, link, new LinkOptions
        {
            Priority = face?.EffectivePriority ?? Defaults.KnetLinkPriority,
            Timing = timing,
            Enabled = !_disabled.Contains(link.Value),
        });
    }

    /// <summary>
    /// A reload changed knet timers (interface keys or the runtime token they derive from): every (peer, link) takes
    /// the new ones from its next ping, as corosync refreshes every host's links at the end of a reload.
    /// </summary>
    public void RefreshTiming(CorosyncConfig config, Duration runtimeToken, List<string> errors)
    {
        foreach (var (peer, link) in _addresses.Keys.Order().ToArray())
        {
            var linkId = new LinkId((byte)link);
            var keys = (config.Totem.Interface(linkId)?.Keys ?? KeyValues.Empty).ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal);
            var timingErrors = new List<string>();
            var timing = LinkTimingOptions.FromInterfaceKeys(keys, runtimeToken, timingErrors);
            if (timingErrors.Count > 0)
            {
                errors.AddRange(timingErrors.Select(e => $"totem.interface.{link}: {e}"));
                continue;
            }

            _links.SetLinkTiming(new NodeId(peer), linkId, timing);
        }
    }

    public void RemovePeerLink(Instant now, NodeId peer, LinkId link)
    {
        if (_addresses.Remove((peer.Value, link.Value), out var endPoint))
        {
            _sources.Remove((link.Value, endPoint));
        }

        _links.RemoveLink(now, peer, link, _events);
    }

    public void SetPriority(LinkId link, byte priority)
    {
        foreach (var peer in _links.Peers)
        {
            if (_addresses.ContainsKey((peer.Value, link.Value)))
            {
                _links.SetLinkPriority(peer, link, priority, _events);
            }
        }
    }

    /// <summary>Takes a link out of service on this node for every peer, or puts it back.</summary>
    public void SetLinkEnabled(Instant now, LinkId link, bool enabled)
    {
        if (enabled)
        {
            _disabled.Remove(link.Value);
        }
        else
        {
            _disabled.Add(link.Value);
        }

        _links.SetLinkEnabled(now, link, enabled, _events);
        _log.Notice(LogSubsystem.Knet, $"link: link: {link} {(enabled ? "enabled" : "disabled")} by the administrator", new LogFields(Link: link.Value));
    }

    public bool IsLinkEnabled(LinkId link) => !_disabled.Contains(link.Value);

    public bool HasLocalLink(LinkId link) => _localEndPoints.ContainsKey(link.Value);

    /// <summary>Reads every waiting datagram and fault, and ticks the core when due; deliveries go to <paramref name="stack"/>.</summary>
    public void Pump(Instant now, NodeStack stack)
    {
        while (_transport.Datagrams.TryRead(out var datagram))
        {
            var source = datagram.Source.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(datagram.Source.Address.MapToIPv4(), datagram.Source.Port) : datagram.Source;
            if (!_sources.ContainsKey((datagram.Link.Value, source)))
            {
                _datagramsFromUnknownSources++;
                continue;
            }

            _links.Receive(now, datagram.Link, datagram.Payload, _datagrams, _events);
        }

        while (_transport.Faults.TryRead(out var fault))
        {
            if (_sources.TryGetValue((fault.Link.Value, fault.Destination), out var peer))
            {
                _links.ReportTransportError(now, peer, fault.Link, _events);
            }
        }

        if (_links.NextDeadline <= now)
        {
            _links.Tick(now, _datagrams, _events);
        }

        Flush(now, stack);
    }

    /// <summary>Sends Totem's datagrams through the core (broadcast for node id 0, unicast otherwise).</summary>
    public void Send(Instant now, IReadOnlyList<TotemDatagram> totemDatagrams, NodeStack stack)
    {
        foreach (var datagram in totemDatagrams)
        {
            if (datagram.IsMulticast)
            {
                _links.Broadcast(now, TotemChannel, datagram.Bytes, _datagrams, _events);
            }
            else
            {
                _links.Send(now, datagram.To, TotemChannel, datagram.Bytes, _datagrams, _events);
            }
        }

        Flush(now, stack);
    }

    /// <summary>Every configured node with the state of each of its links, the local node first as <c>localhost</c>.</summary>
    public IReadOnlyList<NodeLinks> Status(CorosyncConfig config, Func<uint, int, int?> peerPriority)
    {
        var nodes = new List<NodeLinks>();
        foreach (var node in config.Nodes.Where(n => n.NodeId is not null).OrderBy(n => n.NodeId))
        {
            var id = new NodeId(node.NodeId!.Value);
            var links = new List<LinkInfo>();
            foreach (var (number, address) in node.RingAddresses)
            {
                var link = new LinkId((byte)number);
                var localAddress = _localEndPoints.TryGetValue(link.Value, out var local) ? local.Address.ToString() : string.Empty;
                var priority = config.Totem.Interface(link)?.EffectivePriority ?? Defaults.KnetLinkPriority;
                if (id == _local)
                {
                    links.Add(new LinkInfo(number, IsLinkEnabled(link), HasLocalLink(link), false, priority, localAddress, address, 0, 0, 0, 0, 0));
                    continue;
                }

                if (!_addresses.ContainsKey((id.Value, link.Value)))
                {
                    continue;
                }

                var status = _links.GetLinkStatus(id, link);
                links.Add(new LinkInfo(
                    number, status.Enabled, status.Connected, status.Active, status.Priority, localAddress, address,
                    status.LatencyMicroseconds, (ulong)status.Stats.TxDataPackets, (ulong)status.Stats.RxDataPackets,
                    (uint)status.Stats.DownCount, (uint)status.Stats.UpCount, peerPriority(id.Value, number)));
            }

            nodes.Add(new NodeLinks(id.Value, node.DisplayName, id == _local || _links.IsReachable(id), id == _local, links));
        }

        return nodes;
    }

    public void Dispose() => _transport.Dispose();

    private void Flush(Instant now, NodeStack stack)
    {
        foreach (var datagram in _datagrams)
        {
            if (_addresses.TryGetValue((datagram.Destination.Value, datagram.Link.Value), out var endPoint))
            {
                _transport.Send(datagram.Link, endPoint, datagram.Bytes);
            }
        }

        _datagrams.Clear();
        var events = _events.ToArray();
        _events.Clear();
        foreach (var linkEvent in events)
        {
            Handle(now, linkEvent, stack);
        }
    }

    private void Handle(Instant now, LinkEvent linkEvent, NodeStack stack)
    {
        switch (linkEvent)
        {
            case LinkDelivered delivered when delivered.Channel == TotemChannel && delivered.Sender != _local:
                stack.Receive(now, delivered.Sender, delivered.Payload);
                return;
            case LinkDelivered:
                return;
            case PeerUnreachable unreachable:
                stack.OnPeerUnreachable(now, unreachable.Peer);
                break;
            case PeerReachable reachable:
                stack.OnPeerReachable(now, reachable.Peer);
                break;
            case ActiveLinksChanged changed when !changed.Links.IsEmpty:
                stack.OnLinkSwitched(now, changed.Peer);
                break;
        }

        // PeerReachable/Unreachable are Rookery's own lines; knet says "has no active links" via ActiveLinksChanged.
        var priority = linkEvent.Level switch
        {
            LinkEventLevel.Warning => LogPriority.Warning,
            LinkEventLevel.Debug => LogPriority.Debug,
            _ => LogPriority.Info,
        };
        var fields = linkEvent switch
        {
            LinkUp up => new LogFields(up.Peer.Value, up.Link.Value),
            LinkDown down => new LogFields(down.Peer.Value, down.Link.Value),
            ActiveLinksChanged changed => new LogFields(changed.Peer.Value, changed.Links.IsEmpty ? null : changed.Links[0].Value),
            PeerReachable reachable => new LogFields(reachable.Peer.Value),
            PeerUnreachable unreachable => new LogFields(unreachable.Peer.Value),
            _ => default,
        };
        _log.Write(LogSubsystem.Knet, linkEvent is PeerReachable or PeerUnreachable ? LogPriority.Debug : priority, linkEvent.LogLine, fields);
    }
}
