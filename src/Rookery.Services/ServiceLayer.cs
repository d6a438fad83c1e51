using Rookery.Groups;
using Rookery.Quorum;
using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Services;

/// <summary>
/// Everything above Totem on one node, as a pure state machine: routes agreed deliveries to the service that owns
/// them (cpg → <see cref="ProcessGroups"/>, votequorum → <see cref="Votequorum"/>, cmap config_version, cfg
/// reload/shutdown/link), and runs the synchronisation after every membership change (exec/sync.c, simplified to
/// one round): on a regular configuration each service multicasts its sync messages, then this node multicasts a
/// BARRIER for the ring; when the barriers of every member are delivered (total order puts every sync message
/// before its sender's barrier) all services activate together. A newer configuration aborts the round.
/// </summary>
/// <remarks>Deterministic: time comes in as <c>now</c>, outputs are appended to the caller's list in order.</remarks>
public sealed class ServiceLayer
{
    private readonly NodeId _local;
    private readonly Votequorum _quorum;
    private readonly ProcessGroups _groups;
    private readonly List<QuorumOutput> _quorumOutputs = [];
    private readonly List<GroupsOutput> _groupsOutputs = [];
    private readonly SortedSet<uint> _barriersPending = [];
    private readonly SortedDictionary<uint, ulong> _memberConfigVersions = [];
    private readonly SortedDictionary<uint, LinkPriorities> _peerPriorities = [];
    private readonly HashSet<(uint Peer, int Link, int Theirs, int Ours)> _priorityWarnings = [];
    private LinkPriorities _localPriorities;
    private ulong _configVersion;
    private ulong _highestReceivedConfigVersion;
    private bool _hadMultiNodeSync;
    private bool _syncing;
    private RingId _ringId;
    private IReadOnlyList<NodeId> _members = [];

    public ServiceLayer(NodeId local, ulong configVersion, Votequorum quorum, ProcessGroups groups, LinkPriorities localPriorities = default)
    {
        _local = local;
        _localPriorities = localPriorities;
        _configVersion = configVersion;
        _quorum = quorum;
        _groups = groups;
    }

    /// <summary>The ring of the last regular configuration.</summary>
    public RingId RingId => _ringId;

    /// <summary>Members of the last regular configuration, ascending.</summary>
    public IReadOnlyList<NodeId> Members => _members;

    /// <summary>A sync is running (between a regular configuration and the last barrier).</summary>
    public bool Syncing => _syncing;

    /// <summary>At least one sync completed: the node is in a ring and provides service.</summary>
    public bool InService { get; private set; }

    public ulong ConfigVersion => _configVersion;

    /// <summary><c>runtime.members.&lt;id&gt;.config_version</c> as received in this ring's syncs.</summary>
    public IReadOnlyDictionary<uint, ulong> MemberConfigVersions => _memberConfigVersions;

    /// <summary>Service messages dropped because they did not decode (counted, never logged one by one).</summary>
    public long MalformedMessages { get; private set; }

    public Instant NextDeadline => _quorum.NextDeadline;

    public Votequorum Quorum => _quorum;

    public ProcessGroups Groups => _groups;

    /// <summary>Starts votequorum (computes the initial quorum and announces this node).</summary>
    public void Start(Instant now, List<ServiceOutput> outputs)
    {
        _quorum.Start(now, _quorumOutputs);
        Flush(outputs);
    }

    public void Tick(Instant now, List<ServiceOutput> outputs)
    {
        _quorum.Tick(now, _quorumOutputs);
        Flush(outputs);
    }

    /// <summary>One event from Totem, in delivery order.</summary>
    public void OnTotemEvent(Instant now, TotemEvent totemEvent, List<ServiceOutput> outputs)
    {
        switch (totemEvent)
        {
            case ConfigurationChanged change:
                OnConfigurationChanged(now, change, outputs);
                break;
            case Delivered delivered:
                OnDelivered(now, delivered, outputs);
                break;
        }

        Flush(outputs);
    }

    public GroupsResult JoinGroup(ulong connection, uint pid, CpgGroupName group, List<ServiceOutput> outputs) =>
        GroupsCommand(_groups.Join(connection, pid, group, _groupsOutputs), outputs);

    public GroupsResult LeaveGroup(ulong connection, List<ServiceOutput> outputs) =>
        GroupsCommand(_groups.Leave(connection, _groupsOutputs), outputs);

    public GroupsResult SendToGroup(ulong connection, ReadOnlyMemory<byte> data, List<ServiceOutput> outputs) =>
        GroupsCommand(_groups.Send(connection, data, _groupsOutputs), outputs);

    public void Disconnect(ulong connection, List<ServiceOutput> outputs)
    {
        _groups.Disconnect(connection, _groupsOutputs);
        Flush(outputs);
    }

    public QuorumCommandResult SetExpectedVotes(uint votes, List<ServiceOutput> outputs)
    {
        var result = _quorum.SetExpectedVotes(votes, _quorumOutputs);
        Flush(outputs);
        return result;
    }

    /// <summary>A cpg library call on this node's groups core (join, leave, send, with any handle): its messages go out in agreed order.</summary>
    public T GroupsCommand<T>(Func<ProcessGroups, List<GroupsOutput>, T> command, List<ServiceOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(command);
        var result = command(_groups, _groupsOutputs);
        Flush(outputs);
        return result;
    }

    /// <summary>
    /// A votequorum library call (cancel wait_for_all, set votes, ...) on this node's core: whatever it announces goes
    /// to the members in agreed order, like every other votequorum message.
    /// </summary>
    public T QuorumCommand<T>(Func<Votequorum, List<QuorumOutput>, T> command, List<ServiceOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(command);
        var result = command(_quorum, _quorumOutputs);
        Flush(outputs);
        return result;
    }

    /// <summary>
    /// A reload's new quorum settings (corosync <c>votequorum_refresh_config</c>): votes, expected votes and two_node
    /// are re-read and announced to the members. False when votequorum refused them (its message is logged).
    /// </summary>
    public bool ReloadQuorum(QuorumSettings settings, List<ServiceOutput> outputs)
    {
        var applied = _quorum.Reload(settings, _quorumOutputs);
        Flush(outputs);
        return applied;
    }

    /// <summary>Asks every member (this one included) to reload its configuration.</summary>
    public void RequestReload(ulong requestId, List<ServiceOutput> outputs) =>
        outputs.Add(Executive(CfgMessages.EncodeReloadConfig(_local.Value, requestId)));

    /// <summary>Asks every member (this one included) to enable or disable a link.</summary>
    public void RequestLinkEnable(int link, bool enabled, List<ServiceOutput> outputs) =>
        outputs.Add(Executive(CfgMessages.EncodeLinkEnable(_local.Value, link, enabled)));

    /// <summary>Clean shutdown: announces it (cfg SHUTDOWN) and lets votequorum say this node is leaving.</summary>
    public void Shutdown(List<ServiceOutput> outputs)
    {
        _quorum.Shutdown(_quorumOutputs);
        Flush(outputs);
        outputs.Add(Executive(CfgMessages.EncodeShutdown(_local.Value)));
    }

    /// <summary>A reload changed <c>totem.config_version</c>: tell the others (cmap NEW_CONFIG_VERSION).</summary>
    public void SetConfigVersion(ulong configVersion, List<ServiceOutput> outputs)
    {
        if (configVersion == _configVersion)
        {
            return;
        }

        _configVersion = configVersion;
        outputs.Add(Executive(CmapMessages.EncodeConfigVersion(CmapMessages.Reason.NewConfigVersion, configVersion)));
    }

    /// <summary>
    /// A reload changed this node's link priorities: announce them (every member compares them with its own)
    /// and compare the peers' last announcements with the new values.
    /// </summary>
    public void SetLinkPriorities(LinkPriorities priorities, List<ServiceOutput> outputs)
    {
        if (priorities == _localPriorities)
        {
            return;
        }

        _localPriorities = priorities;
        if (_members.Count > 0)
        {
            outputs.Add(Executive(CfgMessages.EncodeLinkPriorities(_local.Value, _localPriorities)));
        }

        foreach (var (peer, theirs) in _peerPriorities)
        {
            ComparePriorities(peer, theirs, outputs);
        }
    }

    /// <summary>The <c>knet_link_priority</c> <paramref name="node"/> last announced for <paramref name="link"/>, or null.</summary>
    public int? PeerLinkPriority(uint node, int link) =>
        _peerPriorities.TryGetValue(node, out var priorities) && priorities.Has(link) ? priorities.Priority(link) : null;

    private GroupsResult GroupsCommand(GroupsResult result, List<ServiceOutput> outputs)
    {
        Flush(outputs);
        return result;
    }

    private void OnConfigurationChanged(Instant now, ConfigurationChanged change, List<ServiceOutput> outputs)
    {
        _groups.OnConfigurationChanged(change, _groupsOutputs);
        _quorum.OnConfigurationChanged(now, change, _quorumOutputs);
        if (change.Kind != ConfigurationKind.Regular)
        {
            return;
        }

        _ringId = change.RingId;
        _members = change.Members;
        _syncing = true;
        _barriersPending.Clear();
        foreach (var member in change.Members)
        {
            _barriersPending.Add(member.Value);
        }

        _highestReceivedConfigVersion = _configVersion;

        // Service sync messages first (Groups' DOWNLIST/JOINLIST and votequorum's NODEINFO are in the core
        // outputs, flushed below in order), then cmap's config_version, then our barrier.
        Flush(outputs);
        outputs.Add(Executive(CmapMessages.EncodeConfigVersion(CmapMessages.Reason.Sync, _configVersion)));
        outputs.Add(Executive(CfgMessages.EncodeLinkPriorities(_local.Value, _localPriorities)));
        outputs.Add(new TotemSubmit(GroupHeader.Wrap(GroupHeader.Sync, SyncMessages.EncodeBarrier(change.RingId))));
    }

    private void OnDelivered(Instant now, Delivered delivered, List<ServiceOutput> outputs)
    {
        if (GroupHeader.TryUnwrap(delivered.Payload.Span, GroupHeader.Sync, out var isSync, out var syncBody) == ServiceDecodeStatus.Ok && isSync)
        {
            OnSyncMessage(now, delivered.Sender, syncBody, outputs);
            return;
        }

        if (GroupHeader.TryUnwrap(delivered.Payload.Span, GroupHeader.Executive, out var isExecutive, out var body) != ServiceDecodeStatus.Ok
            || !isExecutive || !ServiceHeader.TryPeekId(body, out var id))
        {
            MalformedMessages++;
            return;
        }

        var headerLength = delivered.Payload.Length - body.Length;
        var service = delivered with { Payload = delivered.Payload[headerLength..] };
        var status = ServiceIds.ServiceOf(id) switch
        {
            ServiceIds.Cpg => _groups.OnDelivered(service, _groupsOutputs),
            ServiceIds.Votequorum => _quorum.OnDelivered(now, service, _quorumOutputs),
            ServiceIds.Cmap => OnCmap(delivered.Sender, body),
            ServiceIds.Cfg => OnCfg(delivered.Sender, body, outputs),
            _ => ServiceDecodeStatus.UnknownMessage,
        };
        if (status != ServiceDecodeStatus.Ok)
        {
            MalformedMessages++;
        }
    }

    private void OnSyncMessage(Instant now, NodeId sender, ReadOnlySpan<byte> body, List<ServiceOutput> outputs)
    {
        if (SyncMessages.TryDecodeBarrier(body, out var ring) != ServiceDecodeStatus.Ok)
        {
            // SERVICE_BUILD from a corosync node, or garbage: neither drives our single-round barrier.
            return;
        }

        if (!_syncing || ring != _ringId || !_barriersPending.Remove(sender.Value) || _barriersPending.Count > 0)
        {
            return;
        }

        Flush(outputs);
        _syncing = false;
        if (_members.Count > 1 && _configVersion != 0 && !_hadMultiNodeSync && _highestReceivedConfigVersion > _configVersion)
        {
            outputs.Add(new ServiceLog(LogSubsystem.Cmap, LogPriority.Error,
                $"Received config version ({_highestReceivedConfigVersion}) is different than my config version ({_configVersion})! Exiting"));
            outputs.Add(new ConfigVersionRefused(_highestReceivedConfigVersion, _configVersion));
            return;
        }

        if (_members.Count > 1)
        {
            _hadMultiNodeSync = true;
        }

        _groups.SyncActivate(_groupsOutputs);
        _quorum.SyncActivate(now, _quorumOutputs);
        Flush(outputs);
        InService = true;
        outputs.Add(new ServiceLog(LogSubsystem.Main, LogPriority.Notice, "Completed service synchronization, ready to provide service.", new LogFields(Ring: _ringId.ToString())));
        outputs.Add(new SyncCompleted(_ringId, _members));
    }

    private ServiceDecodeStatus OnCmap(NodeId sender, ReadOnlySpan<byte> body)
    {
        var status = CmapMessages.TryDecodeConfigVersion(body, out var reason, out var version);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        _memberConfigVersions[sender.Value] = version;
        if (reason == CmapMessages.Reason.Sync && sender != _local && _syncing && version > _highestReceivedConfigVersion)
        {
            _highestReceivedConfigVersion = version;
        }

        return ServiceDecodeStatus.Ok;
    }

    private ServiceDecodeStatus OnCfg(NodeId sender, ReadOnlySpan<byte> body, List<ServiceOutput> outputs)
    {
        var status = CfgMessages.TryDecode(body, out var message);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        switch (message.Function)
        {
            case CfgMessages.ReloadConfigFunction:
                outputs.Add(new ServiceLog(LogSubsystem.Cfg, LogPriority.Notice, $"Config reload requested by node {sender}", new LogFields(Node: sender.Value)));
                outputs.Add(new ReloadRequested(sender, message.RequestId));
                break;
            case CfgMessages.ShutdownFunction:
                outputs.Add(new ServiceLog(LogSubsystem.Cfg, LogPriority.Notice, $"Node {sender} was shut down by sysadmin", new LogFields(Node: sender.Value)));
                outputs.Add(new NodeShutdownAnnounced(sender));
                break;
            case CfgMessages.LinkEnableFunction:
                outputs.Add(new LinkEnableRequested(sender, message.Link, message.Enabled));
                break;
            case CfgMessages.LinkPrioritiesFunction when sender != _local:
                _peerPriorities[sender.Value] = message.Priorities;
                ComparePriorities(sender.Value, message.Priorities, outputs);
                break;
        }

        return ServiceDecodeStatus.Ok;
    }

    /// <summary>
    /// knet sends on the link with the highest priority the sender configured, so priorities that differ between
    /// two nodes make their paths asymmetric (corosync accepts that silently): warn once per (peer, link, values).
    /// </summary>
    private void ComparePriorities(uint peer, LinkPriorities theirs, List<ServiceOutput> outputs)
    {
        for (var link = 0; link < Limits.LinksMax; link++)
        {
            if (!theirs.Has(link) || !_localPriorities.Has(link) || theirs.Priority(link) == _localPriorities.Priority(link))
            {
                continue;
            }

            if (_priorityWarnings.Add((peer, link, theirs.Priority(link), _localPriorities.Priority(link))))
            {
                outputs.Add(new ServiceLog(LogSubsystem.Knet, LogPriority.Warning,
                    $"link: host: {peer} link: {link} priority {theirs.Priority(link)} differs from local priority {_localPriorities.Priority(link)}; "
                    + "traffic between these nodes may take different links in each direction",
                    new LogFields(Node: peer, Link: link)));
            }
        }
    }

    private static TotemSubmit Executive(byte[] serviceMessage) => new(GroupHeader.Wrap(GroupHeader.Executive, serviceMessage));

    /// <summary>Moves the cores' outputs to the caller's list, in the order the cores emitted them.</summary>
    private void Flush(List<ServiceOutput> outputs)
    {
        foreach (var output in _quorumOutputs)
        {
            switch (output)
            {
                case QuorumSend send:
                    outputs.Add(Executive(send.Message));
                    break;
                case QuorumNotification notification:
                    outputs.Add(new QuorumReported(notification));
                    break;
                case QuorumLog log:
                    outputs.Add(new ServiceLog(log.Line.Subsystem, log.Line.Level, log.Line.Text));
                    break;
                case ExpectedVotesTrackingBarrierChanged barrier:
                    outputs.Add(new TrackingBarrierChanged(barrier.Barrier));
                    break;
            }
        }

        _quorumOutputs.Clear();
        foreach (var output in _groupsOutputs)
        {
            switch (output)
            {
                case GroupsSend send:
                    outputs.Add(Executive(send.Message));
                    break;
                case GroupsLog log:
                    outputs.Add(new ServiceLog(LogSubsystem.Cpg, log.Priority, log.Text));
                    break;
                default:
                    outputs.Add(new LocalGroupEvent(output, _groups.RingId));
                    break;
            }
        }

        _groupsOutputs.Clear();
    }
}
