using System.Collections.Immutable;
using Rookery.Wire.Knet;

namespace Rookery.Links;

/// <summary>Writes fresh random salt (CBC IV) bytes; the node shell passes a cryptographic generator.</summary>
public delegate void SaltSource(Span<byte> destination);

/// <summary>
/// The links core: Rookery's equivalent of a libknet handle, speaking knet on-wire version 1. A pure,
/// deterministic state machine: time, configuration and received bytes go in; datagrams to send, events and
/// log records go out, appended to a caller-owned <see cref="LinkOutput"/> in the order they happen. No clock, socket or thread.
/// </summary>
/// <remarks>
/// <para>Driving it (the node shell and the simulator do the same):</para>
/// <list type="number">
/// <item>Construct with the local node id, <see cref="LinkLayerOptions"/> and a <see cref="Prng"/>.</item>
/// <item>Configure: <see cref="AddPeer"/>, <see cref="AddLink"/> per (peer, link); change at runtime with
/// <see cref="RemoveLink"/>, <see cref="SetLinkPriority"/>, <see cref="SetLinkTiming"/>,
/// <see cref="SetLinkEnabled(Instant, NodeId, LinkId, bool, LinkOutput)"/>, <see cref="RemovePeer"/>.
/// Addresses are the shell's business: it maps (link, peer) to a socket and a destination address and
/// only hands over datagrams whose source address is the peer's configured address on that link (knet's
/// access list).</item>
/// <item>Feed: <see cref="Receive"/> for every datagram read on link L's socket, <c>Send</c> /
/// <see cref="Broadcast"/> for application messages, <see cref="Tick"/> whenever the clock reaches
/// <see cref="NextDeadline"/>, and <see cref="ReportTransportError"/> when a send fails with
/// port/network unreachable (the link goes down at once, as knet does) or
/// <see cref="ReportMessageTooBig"/> on EMSGSIZE.</item>
/// <item>Act on the output in <see cref="LinkOutput"/>'s order: send every <see cref="LinkDatagram"/>, write the logs,
/// hand the events (<see cref="Delivered"/> messages, link and reachability changes) to the layer above; then clear it.</item>
/// </list>
/// </remarks>
public sealed partial class LinkLayer
{
    private const int ScratchSize = LinksLimits.MessageSizeMax + 1024;

    private readonly NodeId _local;
    private readonly LinkLayerOptions _options;
    private readonly Prng _prng;
    private readonly SaltSource? _saltSource;
    private readonly SortedDictionary<NodeId, PeerState> _peers = [];
    private readonly byte[] _plain = new byte[ScratchSize];
    private readonly byte[] _open = new byte[ScratchSize];
    private KnetCrypto _crypto;
    private KnetCrypto? _alternateCrypto;
    private ushort _txSeq;

    /// <summary>Creates the core for node <paramref name="local"/>.</summary>
    /// <param name="local">This node's id; knet ids are 16-bit, so 1..65535.</param>
    /// <param name="options">Node-wide options.</param>
    /// <param name="prng">The only randomness: salts when no <paramref name="saltSource"/> is given.</param>
    /// <param name="saltSource">Cryptographic randomness for CBC IVs (the shell passes <c>RandomNumberGenerator.Fill</c>);
    /// the simulator leaves it null so runs replay from the seed.</param>
    public LinkLayer(NodeId local, LinkLayerOptions options, Prng prng, SaltSource? saltSource = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(prng);
        if (!local.IsValid)
        {
            throw new ArgumentOutOfRangeException(nameof(local), local, $"node ids must be 1..{Limits.NodeIdMax} with knet");
        }

        _local = local;
        _options = options;
        _prng = prng;
        _saltSource = saltSource;
        _crypto = options.Crypto;
        _txSeq = options.InitialTxSequence;
        DataMtu = MinimumMtu;
    }

    /// <summary>The sequence number of the last data packet sent (for <see cref="TxSequenceLease.Renew"/>).</summary>
    public ushort TxSequence => _txSeq;

    /// <summary>This node.</summary>
    public NodeId LocalNode => _local;

    /// <summary>Node-wide counters.</summary>
    public LinkLayerCounters Counters { get; } = new();

    /// <summary>Fragment size in use: the smallest data MTU over connected links (knet's global data MTU).</summary>
    public int DataMtu { get; private set; }

    /// <summary>The data MTU every path is assumed to carry before discovery (knet <c>calc_min_mtu</c>: 421 with aes256+sha256).</summary>
    public int MinimumMtu => _crypto.MaxDataLength(LinksLimits.PmtudSizeMin - 40 - 28);

    /// <summary>Configured peers, ascending.</summary>
    public IReadOnlyCollection<NodeId> Peers => _peers.Keys;

    /// <summary>The earliest time <see cref="Tick"/> has work; <see cref="Instant.Never"/> when idle.</summary>
    public Instant NextDeadline
    {
        get
        {
            var next = Instant.Never;
            foreach (var peer in _peers.Values)
            {
                foreach (var monitor in peer.Links)
                {
                    if (monitor is null)
                    {
                        continue;
                    }

                    next = Instant.Min(next, monitor.NextPingAt);
                    next = Instant.Min(next, monitor.DownAt);
                    next = Instant.Min(next, monitor.PongCountExpiresAt);
                    next = Instant.Min(next, monitor.PmtudProbeDeadline);
                    next = Instant.Min(next, monitor.Connected ? monitor.PmtudNextRunAt : Instant.Never);
                }
            }

            return next;
        }
    }

    /// <summary>Adds a peer with no links yet.</summary>
    public void AddPeer(NodeId peer)
    {
        if (!peer.IsValid || peer == _local)
        {
            throw new ArgumentOutOfRangeException(nameof(peer), peer, "a peer must be a valid node id other than the local node");
        }

        if (!_peers.TryAdd(peer, new PeerState(peer)))
        {
            throw new ArgumentException($"host {peer} is already configured", nameof(peer));
        }
    }

    /// <summary>Removes a peer and its links; reports them down and the peer unreachable.</summary>
    public void RemovePeer(Instant now, NodeId peer, LinkOutput output)
    {
        var state = Peer(peer);
        for (var link = 0; link < Limits.LinksMax; link++)
        {
            if (state.Links[link] is not null)
            {
                RemoveLink(now, peer, new LinkId((byte)link), output);
            }
        }

        _peers.Remove(peer);
    }

    /// <summary>Adds link <paramref name="link"/> to <paramref name="peer"/>; pinging starts at once (at runtime too).</summary>
    public void AddLink(Instant now, NodeId peer, LinkId link, LinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = Peer(peer);
        CheckLink(link);
        var errors = options.Timing.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(options));
        }

        if (state.Links[link.Value] is not null)
        {
            throw new ArgumentException($"host {peer} link {link} is already configured", nameof(link));
        }

        state.Links[link.Value] = new LinkMonitor(peer, link, options, now, MinimumMtu);
    }

    /// <summary>Removes a link (it is reported down first if it was connected).</summary>
    public void RemoveLink(Instant now, NodeId peer, LinkId link, LinkOutput output)
    {
        var state = Peer(peer);
        var monitor = Monitor(state, link);
        if (monitor.Connected)
        {
            monitor.MarkDown(now);
            output.Report(new LinkDown(peer, link, LinkDownReason.Removed));
        }

        state.Links[link.Value] = null;
        UpdateSelection(state, output);
    }

    /// <summary>Changes a link's priority; the selection is recomputed at once.</summary>
    public void SetLinkPriority(NodeId peer, LinkId link, byte priority, LinkOutput output)
    {
        var state = Peer(peer);
        var monitor = Monitor(state, link);
        monitor.Options = monitor.Options with { Priority = priority };
        UpdateSelection(state, output);
    }

    /// <summary>Changes a link's detection timers (applies from the next ping).</summary>
    public void SetLinkTiming(NodeId peer, LinkId link, LinkTimingOptions timing)
    {
        ArgumentNullException.ThrowIfNull(timing);
        var errors = timing.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(timing));
        }

        var monitor = Monitor(Peer(peer), link);
        monitor.Options = monitor.Options with { Timing = timing };
    }

    /// <summary>
    /// Administratively enables or disables one (peer, link). A disabled link is down, is not pinged and
    /// does not answer pings, so the peer sees it down too.
    /// </summary>
    public void SetLinkEnabled(Instant now, NodeId peer, LinkId link, bool enabled, LinkOutput output)
    {
        var state = Peer(peer);
        var monitor = Monitor(state, link);
        if (monitor.Enabled == enabled)
        {
            return;
        }

        if (!enabled && monitor.Connected)
        {
            monitor.MarkDown(now);
            output.Report(new LinkDown(peer, link, LinkDownReason.Disabled));
        }

        monitor.SetEnabled(enabled, now);
        UpdateSelection(state, output);
    }

    /// <summary>Enables or disables local link <paramref name="link"/> towards every peer that has it (<c>rookery link disable N</c>).</summary>
    public void SetLinkEnabled(Instant now, LinkId link, bool enabled, LinkOutput output)
    {
        CheckLink(link);
        foreach (var peer in _peers.Values)
        {
            if (peer.Links[link.Value] is not null)
            {
                SetLinkEnabled(now, peer.Id, link, enabled, output);
            }
        }
    }

    /// <summary>
    /// The shell's report of a hard send error on (peer, link): ICMP port or network unreachable,
    /// ECONNREFUSED, ENETUNREACH, EHOSTUNREACH. The link goes down at once (knet's UDP transport does the same).
    /// </summary>
    public void ReportTransportError(Instant now, NodeId peer, LinkId link, LinkOutput output)
    {
        if (!_peers.TryGetValue(peer, out var state) || !link.IsValid || state.Links[link.Value] is not { } monitor)
        {
            return;
        }

        monitor.Stats.TxTotalErrors++;
        if (monitor.Connected)
        {
            monitor.MarkDown(now);
            output.Report(new LinkDown(peer, link, LinkDownReason.TransportError));
            UpdateSelection(state, output);
        }
    }

    /// <summary>
    /// The shell's report of EMSGSIZE on (peer, link), with the kernel's path MTU when it gave one (else 0).
    /// An outstanding PMTUD probe counts as too big; the next <see cref="Tick"/> continues discovery.
    /// </summary>
    public void ReportMessageTooBig(Instant now, NodeId peer, LinkId link, int pathMtu)
    {
        if (!_peers.TryGetValue(peer, out var state) || !link.IsValid || state.Links[link.Value] is not { } monitor)
        {
            return;
        }

        if (monitor.PmtudProbeSize > 0)
        {
            var isHint = pathMtu > monitor.PmtudGood && pathMtu < monitor.PmtudProbeSize;
            monitor.PmtudBad = isHint ? pathMtu + 1 : monitor.PmtudProbeSize;
            monitor.PmtudHint = isHint ? pathMtu : 0;
            monitor.PmtudResent = true;
            monitor.PmtudProbeDeadline = now;
        }
    }

    /// <summary>
    /// Replaces the crypto configuration used to send; <paramref name="alternate"/> (the previous key during an
    /// online key change, knet's second slot) is still accepted on receive. Forces a PMTUD rerun, as knet does.
    /// </summary>
    public void SetCrypto(Instant now, KnetCrypto crypto, KnetCrypto? alternate)
    {
        ArgumentNullException.ThrowIfNull(crypto);
        _crypto = crypto;
        _alternateCrypto = alternate;
        foreach (var peer in _peers.Values)
        {
            foreach (var monitor in peer.Links)
            {
                if (monitor is { Connected: true })
                {
                    StartPmtud(now, monitor);
                }
            }
        }

        DataMtu = MinimumMtu;
    }

    /// <summary>Whether <paramref name="peer"/> has at least one connected link.</summary>
    public bool IsReachable(NodeId peer) => _peers.TryGetValue(peer, out var state) && state.Reachable;

    /// <summary>The links currently carrying traffic to <paramref name="peer"/>, ascending.</summary>
    public ImmutableArray<LinkId> ActiveLinks(NodeId peer) => [.. Peer(peer).Selected];

    /// <summary>How many links carry traffic to <paramref name="peer"/> and the first of them (passive: the one), without allocating.</summary>
    public (int Count, LinkId First) ActiveLinkSummary(NodeId peer)
    {
        var selected = Peer(peer).Selected;
        return selected.Count == 0 ? (0, default) : (selected.Count, selected[0]);
    }

    /// <summary>What link selection looks at for (peer, link), without allocating; false when the link is not configured.</summary>
    public bool TryGetSelectionInput(NodeId peer, LinkId link, out bool enabled, out bool connected, out byte priority)
    {
        if (_peers.TryGetValue(peer, out var state) && link.IsValid && state.Links[link.Value] is { } monitor)
        {
            (enabled, connected, priority) = (monitor.Enabled, monitor.Connected, monitor.Options.Priority);
            return true;
        }

        (enabled, connected, priority) = (false, false, 0);
        return false;
    }

    /// <summary>The links configured for <paramref name="peer"/>, ascending.</summary>
    public ImmutableArray<LinkId> ConfiguredLinks(NodeId peer)
    {
        var state = Peer(peer);
        var builder = ImmutableArray.CreateBuilder<LinkId>();
        foreach (var monitor in state.Links)
        {
            if (monitor is not null)
            {
                builder.Add(monitor.Link);
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>A snapshot of one (peer, link).</summary>
    public LinkStatus GetLinkStatus(NodeId peer, LinkId link)
    {
        var state = Peer(peer);
        var monitor = Monitor(state, link);
        return new LinkStatus(peer, link, monitor.Enabled, monitor.Connected, state.Selected.Contains(link),
            monitor.Options.Priority, monitor.Mtu, monitor.Stats.LatencyAve, monitor.Stats);
    }

    /// <summary>
    /// Runs every timer that is due at <paramref name="now"/>: down detection, pings and probes, PMTUD.
    /// </summary>
    public void Tick(Instant now, LinkOutput output)
    {
        var pinged = false;
        foreach (var peer in _peers.Values)
        {
            foreach (var monitor in peer.Links)
            {
                if (monitor is not null)
                {
                    pinged |= TickLink(now, peer, monitor, output);
                }
            }
        }

        if (pinged)
        {
            SendPingsAlong(now, output);
        }

        UpdateDataMtu(output);
    }

    /// <summary>
    /// A regular ping is going out now: every other regular ping due within its link's <see cref="LinkMonitor.RideAlongWindow"/>
    /// goes with it, to every peer and on every link. All links of the node, and with the pings sent in step with a peer's
    /// (<see cref="OnPing"/>) the whole cluster, then ping in one burst per interval: the node wakes for the burst and for
    /// its answers, not once per (peer, link). Pings are only ever early, never late.
    /// </summary>
    private void SendPingsAlong(Instant now, LinkOutput output)
    {
        foreach (var peer in _peers.Values)
        {
            foreach (var monitor in peer.Links)
            {
                if (monitor is not null && monitor.PingDueWithin(now, monitor.RideAlongWindow))
                {
                    SendPing(now, peer, monitor, timed: 1, output);
                }
            }
        }
    }

    /// <summary>Runs the timers of one link; true when it sent a regular ping (not a probe of a suspect link).</summary>
    private bool TickLink(Instant now, PeerState peer, LinkMonitor monitor, LinkOutput output)
    {
        monitor.OnTick(now);
        if (now >= monitor.DownAt)
        {
            monitor.MarkDown(now);
            output.Report(new LinkDown(peer.Id, monitor.Link, LinkDownReason.PongTimeout));
            UpdateSelection(peer, output);
        }

        if (now >= monitor.PongCountExpiresAt)
        {
            monitor.ForgetPongCount();
        }

        var regular = monitor.PingDueWithin(now, monitor.PingCoalescing);
        if (now >= monitor.NextPingAt || regular)
        {
            SendPing(now, peer, monitor, timed: 1, output);
        }

        TickPmtud(now, peer, monitor, output);
        return regular;
    }

    private void SendPing(Instant now, PeerState peer, LinkMonitor monitor, byte timed, LinkOutput output)
    {
        var length = KnetCodec.WritePing(_plain, KnetPacketType.Ping, (ushort)_local.Value, monitor.Link.Value,
            KnetTimestamp.FromInstant(now), _txSeq, timed);
        var bytes = Seal(_plain.AsSpan(0, length));
        output.Datagrams.Add(new LinkDatagram(monitor.Link, peer.Id, bytes));
        monitor.Stats.TxPingPackets++;
        monitor.Stats.TxPingBytes += bytes.Length;
        if (timed != 0)
        {
            monitor.OnPingSent(now);
        }
    }

    /// <summary>Recomputes the links carrying traffic to a peer and reports any change (knet's dst cache update).</summary>
    private void UpdateSelection(PeerState peer, LinkOutput output)
    {
        var wasReachable = peer.Reachable;
        peer.Candidates.Clear();
        LinkMonitor? best = null;
        foreach (var monitor in peer.Links)
        {
            if (monitor is { Enabled: true, Connected: true })
            {
                peer.Candidates.Add(monitor.Link);
                if (best is null || EffectivePriority(monitor) > EffectivePriority(best))
                {
                    best = monitor;
                }
            }
        }

        Span<LinkId> selected = stackalloc LinkId[Limits.LinksMax];
        var count = 0;
        if (_options.Policy == LinkPolicy.Passive)
        {
            if (best is not null)
            {
                selected[count++] = best.Link;
            }
        }
        else
        {
            foreach (var link in peer.Candidates)
            {
                selected[count++] = link;
            }
        }

        var priority = best?.Options.Priority ?? 0;
        var changed = count != peer.Selected.Count || (_options.Policy == LinkPolicy.Passive && priority != peer.SelectedPriority);
        for (var index = 0; !changed && index < count; index++)
        {
            changed = peer.Selected[index] != selected[index];
        }

        foreach (var monitor in peer.Links)
        {
            // Passive mode: connected links that carry no data are standby links, pinged at the slower standby rate.
            monitor?.SetStandby(_options.Policy == LinkPolicy.Passive && monitor.Connected && monitor.Enabled && monitor != best);
        }

        if (changed)
        {
            peer.Selected.Clear();
            foreach (var link in selected[..count])
            {
                peer.Selected.Add(link);
            }

            peer.SelectedPriority = priority;
            output.Report(new ActiveLinksChanged(peer.Id, _options.Policy, [.. peer.Selected], priority));
        }

        if (wasReachable && !peer.Reachable)
        {
            // knet clears the host's dedup and defrag buffers when it loses its last link.
            peer.Dedup.Reset(0);
            Counters.RxReassemblyErrors += peer.Reassembly.Clear();
            output.Report(new PeerUnreachable(peer.Id));
        }
        else if (!wasReachable && peer.Reachable)
        {
            output.Report(new PeerReachable(peer.Id));
        }
    }

    private static int EffectivePriority(LinkMonitor monitor) => Math.Max(monitor.Options.Priority, (byte)1);

    private byte[] Seal(ReadOnlySpan<byte> plaintext)
    {
        var bytes = new byte[_crypto.SealedLength(plaintext.Length)];
        Span<byte> salt = stackalloc byte[KnetCrypto.SaltSizeWithCipher];
        if (_crypto.SaltSize > 0)
        {
            if (_saltSource is not null)
            {
                _saltSource(salt);
            }
            else
            {
                _prng.Fill(salt);
            }

            Counters.TxCryptPackets++;
        }

        _crypto.Seal(plaintext, salt, bytes);
        return bytes;
    }

    private PeerState Peer(NodeId peer) =>
        _peers.TryGetValue(peer, out var state) ? state : throw new ArgumentException($"host {peer} is not configured", nameof(peer));

    private static LinkMonitor Monitor(PeerState peer, LinkId link)
    {
        CheckLink(link);
        return peer.Links[link.Value] ?? throw new ArgumentException($"host {peer.Id} link {link} is not configured", nameof(link));
    }

    private static void CheckLink(LinkId link)
    {
        if (!link.IsValid)
        {
            throw new ArgumentOutOfRangeException(nameof(link), link, $"link ids are 0..{Limits.LinksMax - 1}");
        }
    }
}
