using Rookery.Groups;
using Rookery.Links;
using Rookery.Quorum;
using Rookery.Totem;
using Rookery.Wire.Services;
using LinkDelivered = Rookery.Links.Delivered;

namespace Rookery.Services;

/// <summary>
/// The pure composition of one node: the <see cref="LinkLayer"/>, <see cref="TotemSrp"/> and the
/// <see cref="ServiceLayer"/> (votequorum, process groups, cfg, cmap), with the one router that moves outputs between
/// them. Raw UDP payloads from the link sockets go to the link layer; its deliveries on the Totem channel go to Totem;
/// its reachability changes become Totem's <c>OnPeerUnreachable</c>/<c>OnPeerReachable</c>/<c>OnLinkSwitched</c>;
/// Totem's datagrams go back to the link layer (broadcast for node id 0, unicast otherwise); Totem's events go to the
/// services, whose messages go to Totem for agreed delivery. The daemon's shell and the deterministic simulator both
/// drive exactly this type; neither routes anything itself.
/// </summary>
/// <remarks>
/// Submissions Totem cannot take yet wait here in order (never reordered, never dropped); client sends are refused
/// with TryAgain while <see cref="PendingSubmitsMax"/> messages or <see cref="PendingSubmitBytesMax"/> bytes wait.
/// They wait in two queues, as Totem's own send queues are two: what the services submit while Totem waits for the
/// sync's trans ack (the sync's messages) goes first and to Totem's transitional queue; what was submitted before the
/// ring changed waits for the ack, behind what Totem already holds from then (swarm seed 7000075: a sender's held
/// messages overtook its older ones). After every call the driver drains <see cref="Output"/> in the order its type
/// documents (persist, then send, then events).
/// </remarks>
public sealed class NodeStack : ILinkInput
{
    /// <summary>Service messages waiting for Totem's send queue before client sends are pushed back.</summary>
    public const int PendingSubmitsMax = 1024;

    /// <summary>
    /// Bytes of service messages waiting for Totem's send queue before client sends are pushed back (with the count
    /// bound above): a message may be 1 MiB, so the count alone let a streaming client park a gigabyte here.
    /// </summary>
    public const long PendingSubmitBytesMax = 16L * 1024 * 1024;

    /// <summary>knet channel corosync's Totem traffic uses (exec/totemknet.c).</summary>
    public const byte TotemChannel = 0;

    /// <summary>
    /// Rounds of the router in one call before it calls the composition broken. Each round moves every pending output
    /// one layer on; a call settles in a handful of rounds (a one-node ring delivers its own messages at once, so a
    /// submission can take a few more). Thousands mean two layers feed each other for ever: a bug, stopped loudly
    /// instead of hanging the loop thread.
    /// </summary>
    public const int RoutingRoundsMax = 10_000;

    private readonly LinkLayer _links;
    private readonly TotemSrp _totem;
    private readonly ServiceLayer _services;
    private readonly LinkOutput _linkOutput = new();
    private readonly List<LinkEvent> _linkEventsInFlight = [];
    private readonly TotemOutput _totemOutput = new();
    private readonly List<TotemEvent> _totemEventsInFlight = [];
    private readonly List<ServiceOutput> _serviceOutputs = [];
    private readonly Queue<byte[]> _pendingSubmits = new();
    private long _pendingSubmitBytes;

    /// <summary>Submitted while Totem waited for the trans ack: the sync's messages, which Totem sends first.</summary>
    private readonly Queue<byte[]> _pendingSyncSubmits = new();
    private Instant _now;

    public NodeStack(NodeId local, LinkLayer links, TotemSrp totem, ServiceLayer services)
    {
        Local = local;
        _links = links;
        _totem = totem;
        _services = services;
    }

    public NodeId Local { get; }

    /// <summary>The link layer, for configuration (peers, links, timing) and status; its outputs are routed here.</summary>
    public LinkLayer Links => _links;

    public TotemSrp Totem => _totem;

    public ServiceLayer Services => _services;

    /// <summary>What the last calls produced for the driver; it drains (and clears) it after every call.</summary>
    public StackOutput Output { get; } = new();

    /// <summary>
    /// Also emit every Totem event (configuration changes and deliveries) as <see cref="TotemObserved"/>, just before the
    /// services see it. Off in the daemon (a delivery then costs nothing extra); the simulator's checkers turn it on.
    /// </summary>
    public bool ObserveTotemEvents { get; set; }

    public int PendingSubmits => _pendingSubmits.Count + _pendingSyncSubmits.Count;

    /// <summary>The submissions waiting for Totem reached a bound (count or bytes): client sends get TryAgain.</summary>
    private bool SubmitQueueFull => PendingSubmits >= PendingSubmitsMax || _pendingSubmitBytes >= PendingSubmitBytesMax;

    public Instant NextDeadline => Instant.Min(_links.NextDeadline, Instant.Min(_totem.NextDeadline, _services.NextDeadline));

    public void Start(Instant now)
    {
        _now = now;
        _services.Start(now, _serviceOutputs);
        Route();
        _totem.Start(now, _totemOutput);
        Route();
    }

    /// <summary>The nodes of the nodelist (at start and after a reload): Totem drops strangers and fails removed members.</summary>
    public void SetNodelist(Instant now, IReadOnlyList<NodeId> nodes)
    {
        _now = now;
        _totem.SetNodelist(now, nodes, _totemOutput);
        Route();
    }

    /// <summary>A UDP payload arrived on <paramref name="link"/> (the shell has checked its source address).</summary>
    public void Receive(Instant now, LinkId link, ReadOnlySpan<byte> datagram)
    {
        _now = now;
        _links.Receive(now, link, datagram, _linkOutput);
        Route();
    }

    /// <summary>Runs every timer that is due: the link layer's pings and PMTUD, Totem's, votequorum's.</summary>
    public void Tick(Instant now)
    {
        _now = now;
        if (_links.NextDeadline <= now)
        {
            _links.Tick(now, _linkOutput);
        }

        if (_totem.NextDeadline <= now)
        {
            _totem.Tick(now, _totemOutput);
        }

        if (_services.NextDeadline <= now)
        {
            _services.Tick(now, ringOperational: _totem.State == MembershipState.Operational, _serviceOutputs);
        }

        Route();
    }

    /// <summary>A send on (peer, link) failed hard (ICMP unreachable, no route): the link goes down at once.</summary>
    public void ReportTransportError(Instant now, NodeId peer, LinkId link)
    {
        _now = now;
        _links.ReportTransportError(now, peer, link, _linkOutput);
        Route();
    }

    /// <summary>A send on (peer, link) failed with EMSGSIZE: path MTU discovery learns it now instead of by timeout.</summary>
    public void ReportMessageTooBig(Instant now, NodeId peer, LinkId link, int pathMtu)
    {
        _now = now;
        _links.ReportMessageTooBig(now, peer, link, pathMtu);
        Route();
    }

    /// <summary>A reload removed a peer: its links go, and Totem hears that it is unreachable.</summary>
    public void RemovePeer(Instant now, NodeId peer)
    {
        _now = now;
        _links.RemovePeer(now, peer, _linkOutput);
        Route();
    }

    public void RemoveLink(Instant now, NodeId peer, LinkId link)
    {
        _now = now;
        _links.RemoveLink(now, peer, link, _linkOutput);
        Route();
    }

    public void SetLinkPriority(Instant now, NodeId peer, LinkId link, byte priority)
    {
        _now = now;
        _links.SetLinkPriority(peer, link, priority, _linkOutput);
        Route();
    }

    /// <summary>Takes a link out of service for every peer, or puts it back.</summary>
    public void SetLinkEnabled(Instant now, LinkId link, bool enabled)
    {
        _now = now;
        _links.SetLinkEnabled(now, link, enabled, _linkOutput);
        Route();
    }

    public GroupsResult JoinGroup(Instant now, ulong connection, uint pid, CpgGroupName group)
    {
        _now = now;
        var result = _services.JoinGroup(connection, pid, group, _serviceOutputs);
        Route();
        return result;
    }

    public GroupsResult LeaveGroup(Instant now, ulong connection)
    {
        _now = now;
        var result = _services.LeaveGroup(connection, _serviceOutputs);
        Route();
        return result;
    }

    /// <summary>A client's message; TryAgain while the send queue is full (the client retries).</summary>
    public GroupsResult SendToGroup(Instant now, ulong connection, ReadOnlyMemory<byte> data)
    {
        if (SubmitQueueFull)
        {
            return GroupsResult.TryAgain;
        }

        _now = now;
        var result = _services.SendToGroup(connection, data, _serviceOutputs);
        Route();
        return result;
    }

    /// <summary>One PARTIAL_MCAST fragment of a large cpg message (see <see cref="ProcessGroups.SendPartial"/>).</summary>
    public GroupsResult SendPartialToGroup(Instant now, ulong connection, uint messageLength, uint type, ReadOnlyMemory<byte> fragment)
    {
        if (SubmitQueueFull)
        {
            return GroupsResult.TryAgain;
        }

        return GroupsCommand(now, (groups, outputs) => groups.SendPartial(connection, messageLength, type, fragment, outputs));
    }

    public void Disconnect(Instant now, ulong connection)
    {
        _now = now;
        _services.Disconnect(connection, _serviceOutputs);
        Route();
    }

    public QuorumCommandResult SetExpectedVotes(Instant now, uint votes)
    {
        _now = now;
        var result = _services.SetExpectedVotes(votes, _serviceOutputs);
        Route();
        return result;
    }

    /// <summary>corosync-cfgtool -k (see <see cref="ServiceLayer.RequestKillNode"/>).</summary>
    public void RequestKillNode(Instant now, NodeId node, string reason)
    {
        _now = now;
        _services.RequestKillNode(node, reason, _serviceOutputs);
        Route();
    }

    public void RequestReload(Instant now, ulong requestId)
    {
        _now = now;
        _services.RequestReload(requestId, _serviceOutputs);
        Route();
    }

    /// <summary>Sends this node's answer to a member's reload or config apply (see <see cref="ServiceLayer.SendMemberReport"/>).</summary>
    public void SendMemberReport(Instant now, MemberReport report)
    {
        _now = now;
        _services.SendMemberReport(report, _serviceOutputs);
        Route();
    }

    /// <summary>Sends a corosync.conf to every member in agreed order (see <see cref="ServiceLayer.RequestConfigApply"/>).</summary>
    public void RequestConfigApply(Instant now, ConfigApplyRequest request)
    {
        _now = now;
        _services.RequestConfigApply(request, _serviceOutputs);
        Route();
    }

    /// <summary>The catch-up file was applied (see <see cref="ServiceLayer.ConfigCaughtUp"/>).</summary>
    public void ConfigCaughtUp(Instant now, ulong configVersion)
    {
        _now = now;
        _services.ConfigCaughtUp(now, configVersion, _serviceOutputs);
        Route();
    }

    /// <summary>False (nothing sent) when a member of the ring does not run Rookery: corosync does not know the message.</summary>
    public bool RequestLinkEnable(Instant now, int link, bool enabled)
    {
        _now = now;
        var sent = _services.RequestLinkEnable(link, enabled, _serviceOutputs);
        Route();
        return sent;
    }

    public void SetConfigVersion(Instant now, ulong configVersion)
    {
        _now = now;
        _services.SetConfigVersion(configVersion, _serviceOutputs);
        Route();
    }

    /// <summary>A cpg library call on this node (see <see cref="ServiceLayer.GroupsCommand"/>).</summary>
    public T GroupsCommand<T>(Instant now, Func<ProcessGroups, GroupsOutput, T> command)
    {
        _now = now;
        var result = _services.GroupsCommand(command, _serviceOutputs);
        Route();
        return result;
    }

    /// <summary>A votequorum library call on this node (see <see cref="ServiceLayer.QuorumCommand"/>).</summary>
    public T QuorumCommand<T>(Instant now, Func<Votequorum, QuorumOutput, T> command)
    {
        _now = now;
        var result = _services.QuorumCommand(command, _serviceOutputs);
        Route();
        return result;
    }

    /// <summary>A reload's quorum settings (see <see cref="ServiceLayer.ReloadQuorum"/>).</summary>
    public bool ReloadQuorum(Instant now, QuorumSettings settings)
    {
        _now = now;
        var applied = _services.ReloadQuorum(settings, _serviceOutputs);
        Route();
        return applied;
    }

    /// <summary>A reload changed this node's link priorities: announce them to the members.</summary>
    public void SetLinkPriorities(Instant now, LinkPriorities priorities)
    {
        _now = now;
        _services.SetLinkPriorities(priorities, _serviceOutputs);
        Route();
    }

    /// <summary>Peer's announced priority for a link, or null.</summary>
    public int? PeerLinkPriority(uint node, int link) => _services.PeerLinkPriority(node, link);

    /// <summary>Clean shutdown, step 1: announce it to the services of every member (delivered in order).</summary>
    public void AnnounceShutdown(Instant now)
    {
        _now = now;
        _services.Shutdown(_serviceOutputs);
        Route();
    }

    /// <summary>Clean shutdown, step 2: Totem's leave message, so the others re-form at once.</summary>
    public void Leave(Instant now)
    {
        _now = now;
        _totem.Leave(now, _totemOutput);
        Route();
    }

    /// <summary>
    /// The one router: moves outputs along until nothing moves. Links → Totem (deliveries on the Totem channel,
    /// reachability), Totem → Links (datagrams) and → services (events), services → Totem (submissions, trans-ack).
    /// Every layer's events are taken in the order it emitted them; datagrams for the sockets collect in
    /// <see cref="Output"/> in the order the link layer sealed them.
    /// </summary>
    private void Route()
    {
        for (var round = 0; round < RoutingRoundsMax; round++)
        {
            var moved = DrainLinks();
            moved |= DrainTotem();
            moved |= DrainServices();
            moved |= SubmitPending();
            if (!moved)
            {
                // Nothing of the link layer's stays behind: its datagrams and logs moved on in this last round.
                Invariant.Require(_linkOutput.IsEmpty);
                return;
            }
        }

        Invariant.Fail($"the node stack kept routing for {RoutingRoundsMax} rounds");
    }

    private bool DrainLinks()
    {
        // The sealed datagrams need no more routing: they join the sockets' list in the order the link layer sealed them.
        // The KNET log lines come with the events that the link layer logged itself.
        Output.Datagrams.AddRange(_linkOutput.Datagrams);
        _linkOutput.Datagrams.Clear();
        Output.Logs.AddRange(_linkOutput.Logs);
        _linkOutput.Logs.Clear();
        if (_linkOutput.Events.Count == 0)
        {
            return false;
        }

        // Handling an event can make Totem send, which adds link events: take this batch out first (no allocation).
        _linkEventsInFlight.AddRange(_linkOutput.Events);
        _linkOutput.Events.Clear();
        foreach (var linkEvent in _linkEventsInFlight)
        {
            switch (linkEvent)
            {
                case LinkDelivered delivered:
                    if (delivered.Channel == TotemChannel && delivered.Sender != Local)
                    {
                        // The link layer's delivery is a fresh array nobody changes: Totem keeps slices of it, not copies.
                        _totem.Receive(_now, delivered.Sender, delivered.Payload.AsMemory(), _totemOutput);
                    }

                    break;
                case PeerUnreachable unreachable:
                    _totem.OnPeerUnreachable(_now, unreachable.Peer, _totemOutput);
                    break;
                case PeerReachable reachable:
                    _totem.OnPeerReachable(_now, reachable.Peer, _totemOutput);
                    break;
                case ActiveLinksChanged { Links.IsEmpty: false } changed:
                    _totem.OnLinkSwitched(_now, changed.Peer, _totemOutput);
                    Output.Events.Add(new LinkObserved(linkEvent));
                    break;
                case LinkUp or LinkDown or ActiveLinksChanged:
                    Output.Events.Add(new LinkObserved(linkEvent));
                    break;
            }
        }

        _linkEventsInFlight.Clear();
        return true;
    }

    private bool DrainTotem()
    {
        if (_totemOutput.RingSequenceToPersist is { } sequence)
        {
            Output.RingSequenceToPersist = sequence;
        }

        var moved = _totemOutput.Datagrams.Count > 0 || _totemOutput.Events.Count > 0 || _totemOutput.Logs.Count > 0;
        foreach (var datagram in _totemOutput.Datagrams)
        {
            _ = datagram.IsMulticast
                ? _links.Broadcast(_now, TotemChannel, datagram.Bytes, _linkOutput)
                : _links.Send(_now, datagram.To, TotemChannel, datagram.Bytes, _linkOutput);
        }

        foreach (var entry in _totemOutput.Logs)
        {
            Output.Logs.Add(entry with { Fields = new LogFields(Ring: _totem.RingId.ToString()) });
        }

        _totemEventsInFlight.AddRange(_totemOutput.Events);
        _totemOutput.Clear();
        foreach (var totemEvent in _totemEventsInFlight)
        {
            if (ObserveTotemEvents)
            {
                Output.Events.Add(new TotemObserved(totemEvent));
            }

            _services.OnTotemEvent(_now, totemEvent, _serviceOutputs);
            DrainServices();
        }

        _totemEventsInFlight.Clear();
        return moved;
    }

    private bool DrainServices()
    {
        if (_serviceOutputs.Count == 0)
        {
            return false;
        }

        foreach (var output in _serviceOutputs)
        {
            switch (output)
            {
                case TotemSubmit submit:
                    (_totem.WaitingTransAck ? _pendingSyncSubmits : _pendingSubmits).Enqueue(submit.Payload);
                    _pendingSubmitBytes += submit.Payload.Length;
                    break;
                case SyncCompleted completed:
                    Output.Events.Add(output);

                    // corosync's totempg_trans_ack: the sync's messages are out, what waited may go now.
                    _totem.TransAck(_now, completed.RingId, _totemOutput);
                    break;
                case TrackingBarrierChanged barrier:
                    Output.TrackingBarrierToPersist = barrier.Barrier;
                    break;
                case ServiceLog log:
                    Output.Logs.Add(new LogEntry(log.Subsystem, log.Priority, log.Text, log.Fields));
                    break;
                default:
                    Output.Events.Add(output);
                    break;
            }
        }

        _serviceOutputs.Clear();
        return true;
    }

    /// <summary>
    /// Hands Totem what waits, the sync's messages first; what was submitted before the ring changed only once the
    /// sync is acked, so it joins Totem's regular queue behind the older messages there.
    /// </summary>
    private bool SubmitPending()
    {
        var moved = SubmitFrom(_pendingSyncSubmits);
        if (_pendingSyncSubmits.Count == 0 && !_totem.WaitingTransAck)
        {
            moved |= SubmitFrom(_pendingSubmits);
        }

        return moved;
    }

    private bool SubmitFrom(Queue<byte[]> pending)
    {
        var moved = false;
        while (pending.TryPeek(out var payload) && _totem.Submit(_now, payload, _totemOutput))
        {
            _pendingSubmitBytes -= pending.Dequeue().Length;
            moved = true;
        }

        return moved;
    }
}
