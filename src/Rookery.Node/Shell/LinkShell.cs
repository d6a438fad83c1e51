using System.Net;
using System.Security.Cryptography;
using Rookery.Config;
using Rookery.Links;
using Rookery.Node.Logging;
using Rookery.Control;
using Rookery.Node.Transport;
using Rookery.Services;

namespace Rookery.Node.Shell;

/// <summary>
/// The link half of the node shell: the composition's <see cref="LinkLayer"/> on the <see cref="LinkSockets"/> the knet
/// peer tool uses too. It configures peers and links from the nodelist (addresses, priorities, timing), hands the
/// <see cref="NodeStack"/> every datagram that passes knet's access list and every transport fault, and sends the
/// stack's datagrams (EMSGSIZE goes straight back to PMTUD). It routes nothing: Links → Totem is the stack's router.
/// Used on the node's loop thread only.
/// </summary>
public sealed class LinkShell : IDisposable
{
    private readonly NodeId _local;
    private readonly NodeStack _stack;
    private readonly LinkLayer _links;
    private readonly LinkSockets _sockets;
    private readonly UdpTransport _transport;
    private readonly ClusterLog _log;
    private readonly SortedDictionary<byte, IPEndPoint> _localEndPoints = [];
    private readonly HashSet<byte> _disabled = [];

    public LinkShell(NodeStack stack, UdpTransport transport, ClusterLog log)
    {
        _local = stack.Local;
        _stack = stack;
        _links = stack.Links;
        _sockets = new LinkSockets(transport);
        _transport = transport;
        _log = log;
    }

    public LinkLayer Core => _links;

    public UdpTransport Transport => _transport;

    /// <summary>Datagrams dropped because their source is not a configured address of that link (counted, not logged).</summary>
    public long DatagramsFromUnknownSources => _sockets.DatagramsFromUnknownSources;

    /// <summary>The crypto the configuration asks for (knet: <c>crypto_cipher</c>, <c>crypto_hash</c>, the key file), or an error; <paramref name="warnings"/> gets the key's warnings.</summary>
    public static Wire.Knet.KnetCrypto? CryptoFor(CorosyncConfig config, string configDirectory, out string? error, List<string> warnings)
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
        if (AuthKeyFile.Read(keyFile, out error, warnings) is not { } key)
        {
            return null;
        }

        try
        {
            return Wire.Knet.KnetCrypto.Create(cipher, hash, key);
        }
        catch (Exception exception) when (exception is ArgumentException or CryptographicException)
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

        var endPoint = new IPEndPoint(address, LinkPorts.For(config, link));
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
        _sockets.RemovePeer(peer);
        _stack.RemovePeer(now, peer);
    }

    public void AddPeerLink(Instant now, CorosyncConfig config, NodeId peer, LinkId link, string text, Duration runtimeToken, List<string> errors)
    {
        if (!IPAddress.TryParse(text, out var address))
        {
            errors.Add($"ring{link}_addr '{text}' of node {peer} is not an IP address (a host name that was not resolved when the configuration was loaded)");
            return;
        }

        var options = NodeStackFactory.LinkOptionsFor(config, link, runtimeToken, enabled: !_disabled.Contains(link.Value), errors);
        _sockets.SetAddress(peer, link, new IPEndPoint(address, LinkPorts.For(config, link)));
        _links.AddLink(now, peer, link, options);
    }

    /// <summary>
    /// A reload changed knet timers (interface keys or the runtime token they derive from): every (peer, link) takes
    /// the new ones from its next ping, as corosync refreshes every host's links at the end of a reload.
    /// </summary>
    public void RefreshTiming(CorosyncConfig config, Duration runtimeToken, List<string> errors)
    {
        foreach (var (peer, link) in _sockets.PeerLinks.ToArray())
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
        _sockets.RemoveAddress(peer, link);
        _stack.RemoveLink(now, peer, link);
    }

    public void SetPriority(Instant now, LinkId link, byte priority)
    {
        foreach (var peer in _links.Peers.ToArray())
        {
            if (_sockets.HasAddress(peer, link))
            {
                _stack.SetLinkPriority(now, peer, link, priority);
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

        _stack.SetLinkEnabled(now, link, enabled);
        _log.Notice(LogSubsystem.Knet, $"link: link: {link} {(enabled ? "enabled" : "disabled")} by the administrator", new LogFields(Link: link.Value));
    }

    public bool IsLinkEnabled(LinkId link) => !_disabled.Contains(link.Value);

    public bool HasLocalLink(LinkId link) => _localEndPoints.ContainsKey(link.Value);

    /// <summary>Hands every waiting datagram and transport fault to the stack (it routes them on).</summary>
    public void Pump(Instant now) => _sockets.Pump(now, _stack);

    /// <summary>Sends the stack's datagrams (and clears them); EMSGSIZE goes back to the stack's PMTUD at once.</summary>
    public void SendDatagrams(Instant now) => _sockets.Send(now, _stack.Output.Datagrams, _stack);

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

                if (!_sockets.HasAddress(id, link))
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

    public void Dispose() => _sockets.Dispose();
}
