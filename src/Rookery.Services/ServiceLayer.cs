using System.Buffers.Binary;
using Rookery.Groups;
using Rookery.Quorum;
using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Services;

/// <summary>
/// Everything above Totem on one node, as a pure state machine: routes agreed deliveries to the service that owns
/// them (cpg → <see cref="ProcessGroups"/>, votequorum → <see cref="Votequorum"/>, cmap config_version, cfg
/// reload/shutdown/link), and runs corosync's synchronisation after every membership change (exec/sync.c, in
/// <see cref="ServiceSync"/>): SERVICE_BUILD, then one turn per service in id order — cmap (config_version), cpg
/// (DOWNLIST, JOINLIST when this node has local members), quorum (barrier alone), votequorum (NODEINFO for this node
/// and for the quorum device), Rookery's own (link priorities, only when every member runs Rookery) — each turn's
/// messages in the same packet as its BARRIER, each service activating when every member's barrier is delivered.
/// A newer configuration aborts the round.
/// </summary>
/// <remarks>
/// <para>Deterministic: time comes in as <c>now</c>, outputs are appended to the caller's list in order.</para>
/// <para>Every service's init runs at the regular configuration (corosync: "call init for locally known services");
/// what the cores emit then is held until the service's turn. Rookery's extension messages (cfg functions 256 and up)
/// go only to a ring whose every member listed <see cref="ServiceSync.RookeryService"/> in its SERVICE_BUILD:
/// corosync would discard them ("discarded unknown message").</para>
/// </remarks>
public sealed class ServiceLayer
{
    private readonly NodeId _local;
    private readonly Votequorum _quorum;
    private readonly ProcessGroups _groups;
    private readonly QuorumOutput _quorumOutput = new();
    private readonly GroupsOutput _groupsOutput = new();
    private readonly ServiceSync _sync = new(ServiceSync.RookeryServices);
    private readonly List<SyncStep> _syncSteps = [];
    private readonly List<byte[]> _heldGroupsSync = [];
    private readonly List<byte[]> _heldQuorumSync = [];

    /// <summary>The next barrier is votequorum's and waits for the quorum device (set at votequorum's sync turn).</summary>
    private bool _holdBarrierForQuorumDevice;

    /// <summary>votequorum's barrier waiting for the quorum device's poll with the new ring, or null.</summary>
    private byte[]? _heldQuorumDeviceBarrier;
    private readonly SortedDictionary<uint, ulong> _memberConfigVersions = [];
    private readonly SortedDictionary<uint, LinkPriorities> _peerPriorities = [];
    private readonly HashSet<(uint Peer, int Link, int Theirs, int Ours)> _priorityWarnings = [];
    private LinkPriorities _localPriorities;
    private ulong _configVersion;
    private ulong _highestReceivedConfigVersion;
    private bool _hadMultiNodeSync;
    private bool _configVersionRefused;
    private bool _awaitingConfig;
    private Instant _awaitingConfigDeadline = Instant.Never;
    private readonly List<SyncStep> _deferredSteps = [];
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
    public bool Syncing => _sync.State != ServiceSyncState.Idle || _awaitingConfig;

    /// <summary>The service synchronisation engine (its merged service list tells who runs what).</summary>
    public ServiceSync Sync => _sync;

    /// <summary>Every member of the ring runs Rookery (so Rookery's extension messages may be sent).</summary>
    public bool EveryMemberRunsRookery => _sync.EveryMemberRuns(ServiceSync.RookeryService);

    /// <summary>Service messages of a sync turn delivered outside that turn (an aborted round's), dropped and counted.</summary>
    public long StaleSyncMessages { get; private set; }

    /// <summary>At least one sync completed: the node is in a ring and provides service.</summary>
    public bool InService { get; private set; }

    public ulong ConfigVersion => _configVersion;

    /// <summary><c>runtime.members.&lt;id&gt;.config_version</c> as received in this ring's syncs.</summary>
    public IReadOnlyDictionary<uint, ulong> MemberConfigVersions => _memberConfigVersions;

    /// <summary>Service messages dropped because they did not decode (counted, never logged one by one).</summary>
    public long MalformedMessages { get; private set; }

    public Instant NextDeadline => Instant.Min(_quorum.NextDeadline, _awaitingConfigDeadline);

    /// <summary>
    /// This node rejoined with an older config_version than a member's and waits for that member's corosync.conf
    /// (CONFIG_APPLY catch-up) before its services activate (cmap's turn is done; the other turns' activations wait).
    /// </summary>
    public bool AwaitingConfig => _awaitingConfig;

    public Votequorum Quorum => _quorum;

    public ProcessGroups Groups => _groups;

    /// <summary>Starts votequorum (computes the initial quorum and announces this node).</summary>
    public void Start(Instant now, List<ServiceOutput> outputs)
    {
        _quorum.Start(now, _quorumOutput);
        Flush(outputs);
    }

    /// <summary>Runs the services' timers that are due; <paramref name="ringOperational"/>: Totem is OPERATIONAL (votequorum's last_man_standing waits otherwise).</summary>
    public void Tick(Instant now, bool ringOperational, List<ServiceOutput> outputs)
    {
        if (_awaitingConfig && now >= _awaitingConfigDeadline)
        {
            // No member handed its file over (a corosync member, or a donor that cannot read its file): corosync's rule.
            _awaitingConfig = false;
            _awaitingConfigDeadline = Instant.Never;
            _deferredSteps.Clear();
            RefuseConfigVersion(outputs);
        }

        _quorum.Tick(now, ringOperational, _quorumOutput);
        Flush(outputs);
        ReleaseQuorumDeviceBarrier(outputs);
    }

    /// <summary>votequorum's barrier, held for the quorum device's poll, goes once the device polled or its sync_timeout passed.</summary>
    private void ReleaseQuorumDeviceBarrier(List<ServiceOutput> outputs)
    {
        if (_heldQuorumDeviceBarrier is { } barrier && !_quorum.WaitingForQuorumDevice)
        {
            _heldQuorumDeviceBarrier = null;
            outputs.Add(new TotemSubmit(GroupHeader.Wrap(GroupHeader.Sync, barrier)));
        }
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

    /// <remarks>
    /// The group commands ask to try again while a sync runs, until its last service activates (corosync blocks the
    /// IPC of every flow-controlled service while <c>sync_in_process</c>): cpg activates before votequorum and
    /// Rookery's own service, and a message sent then would overtake what this node queued before the ring changed.
    /// </remarks>
    public GroupsResult JoinGroup(ulong connection, uint pid, CpgGroupName group, List<ServiceOutput> outputs) =>
        Syncing ? GroupsResult.TryAgain : GroupsCommand(_groups.Join(connection, pid, group, _groupsOutput), outputs);

    public GroupsResult LeaveGroup(ulong connection, List<ServiceOutput> outputs) =>
        Syncing ? GroupsResult.TryAgain : GroupsCommand(_groups.Leave(connection, _groupsOutput), outputs);

    public GroupsResult SendToGroup(ulong connection, ReadOnlyMemory<byte> data, List<ServiceOutput> outputs) =>
        Syncing ? GroupsResult.TryAgain : GroupsCommand(_groups.Send(connection, data, _groupsOutput), outputs);

    public void Disconnect(ulong connection, List<ServiceOutput> outputs)
    {
        _groups.Disconnect(connection, _groupsOutput);
        Flush(outputs);
    }

    public QuorumCommandResult SetExpectedVotes(uint votes, List<ServiceOutput> outputs)
    {
        var result = _quorum.SetExpectedVotes(votes, _quorumOutput);
        Flush(outputs);
        return result;
    }

    /// <summary>A cpg library call on this node's groups core (join, leave, send, with any handle): its messages go out in agreed order.</summary>
    public T GroupsCommand<T>(Func<ProcessGroups, GroupsOutput, T> command, List<ServiceOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(command);
        var result = command(_groups, _groupsOutput);
        Flush(outputs);
        return result;
    }

    /// <summary>
    /// A votequorum library call (cancel wait_for_all, set votes, ...) on this node's core: whatever it announces goes
    /// to the members in agreed order, like every other votequorum message.
    /// </summary>
    public T QuorumCommand<T>(Func<Votequorum, QuorumOutput, T> command, List<ServiceOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(command);
        var result = command(_quorum, _quorumOutput);
        Flush(outputs);
        ReleaseQuorumDeviceBarrier(outputs);
        return result;
    }

    /// <summary>
    /// A reload's new quorum settings (corosync <c>votequorum_refresh_config</c>): votes, expected votes and two_node
    /// are re-read and announced to the members. False when votequorum refused them (its message is logged).
    /// </summary>
    public bool ReloadQuorum(QuorumSettings settings, List<ServiceOutput> outputs)
    {
        var applied = _quorum.Reload(settings, _quorumOutput);
        Flush(outputs);
        return applied;
    }

    /// <summary>Asks every member (this one included) to reload its configuration.</summary>
    /// <summary>corosync-cfgtool -k: asks <paramref name="node"/> to stop, in agreed order.</summary>
    public void RequestKillNode(NodeId node, string reason, List<ServiceOutput> outputs) =>
        outputs.Add(Executive(CfgMessages.EncodeKillNode(node.Value, reason)));

    public void RequestReload(ulong requestId, List<ServiceOutput> outputs) =>
        outputs.Add(Executive(CfgMessages.EncodeReloadConfig(_local.Value, requestId)));

    /// <summary>
    /// Asks every member (this one included) to enable or disable a link. Only a ring of Rookery nodes understands
    /// it: false (nothing sent) when a member does not run Rookery, or before this ring's SERVICE_BUILDs are in.
    /// </summary>
    public bool RequestLinkEnable(int link, bool enabled, List<ServiceOutput> outputs)
    {
        if (!EveryMemberRunsRookery)
        {
            return false;
        }

        outputs.Add(Executive(CfgMessages.EncodeLinkEnable(_local.Value, link, enabled)));
        return true;
    }

    /// <summary>Sends this node's answer to a cluster-wide request to every member (the requester gathers them).</summary>
    public void SendMemberReport(MemberReport report, List<ServiceOutput> outputs)
    {
        // Rookery-only (cfg 258): never to a ring with a corosync member, which would log it as unknown.
        if (EveryMemberRunsRookery)
        {
            outputs.Add(Executive(ClusterConfigMessages.EncodeMemberReport(_local.Value, report)));
        }
    }

    /// <summary>Sends a whole corosync.conf to every member (this one included), in agreed order.</summary>
    public void RequestConfigApply(ConfigApplyRequest request, List<ServiceOutput> outputs)
    {
        // Rookery-only (cfg 259): never to a ring with a corosync member (the request then finds no member answering).
        if (EveryMemberRunsRookery)
        {
            outputs.Add(Executive(ClusterConfigMessages.EncodeConfigApply(_local.Value, request)));
        }
    }

    /// <summary>
    /// The shell wrote and applied the catch-up file this node waited for: its config_version is now the cluster's,
    /// and the activations the round held back run now, as at the end of any sync.
    /// </summary>
    public void ConfigCaughtUp(Instant now, ulong configVersion, List<ServiceOutput> outputs)
    {
        _configVersion = Math.Max(_configVersion, configVersion);
        if (!_awaitingConfig)
        {
            return;
        }

        _awaitingConfig = false;
        _awaitingConfigDeadline = Instant.Never;
        if (_members.Count > 1)
        {
            _hadMultiNodeSync = true;
        }

        _syncSteps.AddRange(_deferredSteps);
        _deferredSteps.Clear();
        RunSyncSteps(now, outputs);
    }

    /// <summary>Clean shutdown: announces it (cfg SHUTDOWN) and lets votequorum say this node is leaving.</summary>
    public void Shutdown(List<ServiceOutput> outputs)
    {
        _quorum.Shutdown(_quorumOutput);
        Flush(outputs);
        outputs.Add(Executive(CfgMessages.EncodeShutdown()));
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
        if (_members.Count > 0 && EveryMemberRunsRookery)
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
        if (change.Kind != ConfigurationKind.Regular)
        {
            _groups.OnConfigurationChanged(change, _groupsOutput);
            _quorum.OnConfigurationChanged(now, change, _quorumOutput);
            _sync.SaveTransitional(change.Members);
            return;
        }

        _ringId = change.RingId;
        _members = change.Members;
        _configVersionRefused = false;
        _awaitingConfig = false;
        _awaitingConfigDeadline = Instant.Never;
        _deferredSteps.Clear();
        _holdBarrierForQuorumDevice = false;
        _heldQuorumDeviceBarrier = null;
        Flush(outputs);
        _sync.Start(change.RingId, change.Members, _syncSteps);

        // Every service's init now (cpg computes its down list, votequorum marks the departed dead); what they want
        // to multicast waits for their turn.
        _heldGroupsSync.Clear();
        _heldQuorumSync.Clear();
        _groups.OnConfigurationChanged(change, _groupsOutput);
        HoldGroupsMessages();
        _quorum.OnConfigurationChanged(now, change, _quorumOutput);
        _heldQuorumSync.AddRange(_quorumOutput.Datagrams);
        _quorumOutput.Datagrams.Clear();
        _highestReceivedConfigVersion = _configVersion;
        RunSyncSteps(now, outputs);
    }

    /// <summary>Moves cpg's messages out of its output for its sync turn (its events and logs stay, in order, for the next flush).</summary>
    private void HoldGroupsMessages()
    {
        foreach (var message in _groupsOutput.Datagrams)
        {
            if (!IsEmptyJoinList(message))
            {
                _heldGroupsSync.Add(message);
            }
        }

        _groupsOutput.Datagrams.Clear();
    }

    /// <summary>
    /// The groups core sends a JOINLIST even when this node has no process; corosync sends none then (the captures
    /// show DOWNLIST alone), and dropping join lists delivered outside cpg's turn already keeps an aborted round's
    /// from counting.
    /// </summary>
    private static bool IsEmptyJoinList(byte[] message) =>
        message.Length == ServiceHeader.ResponseSize
        && BinaryPrimitives.ReadInt32LittleEndian(message) == ServiceIds.Make(ServiceIds.Cpg, CpgCodec.JoinListFunction);

    /// <summary>Carries out what the sync engine asked, in order.</summary>
    private void RunSyncSteps(Instant now, List<ServiceOutput> outputs)
    {
        for (var i = 0; i < _syncSteps.Count; i++)
        {
            if (_awaitingConfig && _syncSteps[i] is SyncActivate or SyncRoundCompleted)
            {
                // Waiting for the cluster's corosync.conf: this node's turns go on (the others finish their round),
                // but nothing activates here before the file is applied (ConfigCaughtUp).
                _deferredSteps.Add(_syncSteps[i]);
                continue;
            }

            switch (_syncSteps[i])
            {
                case SyncSend send when _holdBarrierForQuorumDevice:
                    // votequorum's turn is not over while the registered quorum device has not polled with the new
                    // ring (corosync's votequorum_sync_process returns "not done"): its barrier waits.
                    _holdBarrierForQuorumDevice = false;
                    _heldQuorumDeviceBarrier = send.Message;
                    break;
                case SyncSend send:
                    outputs.Add(new TotemSubmit(GroupHeader.Wrap(GroupHeader.Sync, send.Message)));
                    break;
                case SyncProcess process:
                    SyncProcessService(process.Service, outputs);
                    break;
                case SyncActivate activate:
                    if (!SyncActivateService(now, activate.Service, outputs))
                    {
                        // This node refused the cluster's config_version and leaves: nothing more of this round.
                        _syncSteps.Clear();
                        _sync.Abort(_syncSteps);
                        _syncSteps.Clear();
                        _groups.CommandsHeld = false;
                        return;
                    }

                    break;
                case SyncAbort abort:
                    outputs.Add(new ServiceLog(LogSubsystem.Sync, LogPriority.Debug, $"aborting synchronization for {ServiceSync.ServiceName(abort.Service)}"));
                    break;
                case SyncLog log:
                    outputs.Add(new ServiceLog(LogSubsystem.Sync, LogPriority.Debug, log.Text));
                    break;
                case SyncRoundCompleted completed:
                    InService = true;
                    outputs.Add(new ServiceLog(LogSubsystem.Main, LogPriority.Notice, "Completed service synchronization, ready to provide service.", new LogFields(Ring: completed.RingId.ToString())));
                    outputs.Add(new SyncCompleted(completed.RingId, completed.Members));
                    break;
            }
        }

        _syncSteps.Clear();
        _groups.CommandsHeld = Syncing;
    }

    /// <summary>A service's turn (<c>sync_process</c>): its sync messages, before the barrier the engine adds next.</summary>
    private void SyncProcessService(int service, List<ServiceOutput> outputs)
    {
        switch (service)
        {
            case ServiceIds.Cmap:
                outputs.Add(Executive(CmapMessages.EncodeConfigVersion(CmapMessages.Reason.Sync, _configVersion)));
                break;
            case ServiceIds.Cpg:
                outputs.AddRange(_heldGroupsSync.Select(Executive));
                _heldGroupsSync.Clear();
                break;
            case ServiceIds.Votequorum:
                // Built at the turn (corosync's votequorum_sync_process): the NODEINFOs of the configuration change
                // may no longer say what this node is (it may have lost quorum since), and a stale quorate flag
                // would let an inquorate partition adopt this node's expected votes.
                _heldQuorumSync.Clear();
                _quorum.SyncProcess(_quorumOutput);
                Flush(outputs);
                _holdBarrierForQuorumDevice = _quorum.WaitingForQuorumDevice;
                break;
            case ServiceSync.RookeryService when EveryMemberRunsRookery:
                outputs.Add(Executive(CfgMessages.EncodeLinkPriorities(_local.Value, _localPriorities)));
                break;
        }
    }

    /// <summary>Every member's barrier of a service is in (<c>sync_activate</c>). False when cmap refuses this node's config_version.</summary>
    private bool SyncActivateService(Instant now, int service, List<ServiceOutput> outputs)
    {
        switch (service)
        {
            case ServiceIds.Cmap:
                if (_members.Count > 1 && _configVersion != 0 && !_hadMultiNodeSync && _highestReceivedConfigVersion > _configVersion)
                {
                    // corosync exits here ("Received config version ... Exiting"). Rookery members hand the newest file
                    // to a node that rejoins with an older one: wait for it, bounded, and activate nothing before it
                    // is applied (RunSyncSteps holds the remaining activations back).
                    _awaitingConfig = true;
                    _awaitingConfigDeadline = now + ConfigCatchUpWait;
                    outputs.Add(new ServiceLog(LogSubsystem.Cmap, LogPriority.Notice,
                        $"Received config version ({_highestReceivedConfigVersion}) is newer than my config version ({_configVersion}): waiting for corosync.conf from the cluster"));
                    return true;
                }

                // Every member's config_version is known once cmap's barriers are in (each sent it before its barrier).
                OfferNewestConfig(outputs);
                if (_members.Count > 1)
                {
                    _hadMultiNodeSync = true;
                }

                break;
            case ServiceIds.Cpg:
                _groups.SyncActivate(_groupsOutput);
                Flush(outputs);
                break;
            case ServiceIds.Votequorum:
                _quorum.SyncActivate(now, _quorumOutput);
                Flush(outputs);
                break;
        }

        return true;
    }

    /// <summary>How long a node that rejoined with an older config_version waits for the cluster's file before it exits as corosync does.</summary>
    public static readonly Duration ConfigCatchUpWait = Duration.FromSeconds(10);

    private void RefuseConfigVersion(List<ServiceOutput> outputs)
    {
        _configVersionRefused = true;
        outputs.Add(new ServiceLog(LogSubsystem.Cmap, LogPriority.Error,
            $"Received config version ({_highestReceivedConfigVersion}) is different than my config version ({_configVersion})! Exiting"));
        outputs.Add(new ConfigVersionRefused(_highestReceivedConfigVersion, _configVersion));
    }

    /// <summary>The lowest node id among those with the newest config_version hands its file to the members behind it.</summary>
    private void OfferNewestConfig(List<ServiceOutput> outputs)
    {
        if (_members.Count < 2 || _configVersion == 0)
        {
            return;
        }

        var versions = _members.Where(m => _memberConfigVersions.ContainsKey(m.Value)).Select(m => (Node: m, Version: _memberConfigVersions[m.Value])).ToList();
        if (versions.Count == 0)
        {
            return;
        }

        var newest = versions.Max(v => v.Version);
        var donor = versions.Where(v => v.Version == newest).Min(v => v.Node.Value);
        var behind = versions.Where(v => v.Version != 0 && v.Version < newest).Select(v => v.Node).ToList();
        if (donor == _local.Value && newest == _configVersion && behind.Count > 0)
        {
            outputs.Add(new ConfigDonorNeeded(_configVersion, behind));
        }
    }

    private void OnDelivered(Instant now, Delivered delivered, List<ServiceOutput> outputs)
    {
        if (GroupHeader.TryUnwrap(delivered.Payload.Span, GroupHeader.Sync, out var isSync, out var syncBody) == ServiceDecodeStatus.Ok && isSync)
        {
            if (_configVersionRefused)
            {
                return;
            }

            if (_sync.OnDelivered(delivered.Sender, syncBody, _syncSteps) != ServiceDecodeStatus.Ok)
            {
                MalformedMessages++;
            }

            RunSyncSteps(now, outputs);
            return;
        }

        if (GroupHeader.TryUnwrap(delivered.Payload.Span, GroupHeader.Executive, out var isExecutive, out var body) != ServiceDecodeStatus.Ok
            || !isExecutive || !ServiceHeader.TryPeekId(body, out var id))
        {
            MalformedMessages++;
            return;
        }

        if (IsOutOfTurn(id))
        {
            StaleSyncMessages++;
            return;
        }

        var headerLength = delivered.Payload.Length - body.Length;
        var service = delivered with { Payload = delivered.Payload[headerLength..] };
        var status = ServiceIds.ServiceOf(id) switch
        {
            ServiceIds.Cpg => _groups.OnDelivered(service, _groupsOutput),
            ServiceIds.Votequorum => _quorum.OnDelivered(now, service, _quorumOutput),
            ServiceIds.Cmap => OnCmap(delivered.Sender, body),
            ServiceIds.Cfg => OnCfg(delivered.Sender, body, outputs),
            _ => ServiceDecodeStatus.UnknownMessage,
        };
        if (status != ServiceDecodeStatus.Ok)
        {
            MalformedMessages++;
        }
    }

    /// <summary>
    /// A service's sync message delivered outside its turn of the current round: a round aborted by a newer ring left
    /// it in its sender's queue (its sender sent this round's SERVICE_BUILD after it, so it can only arrive before this
    /// round reaches the service). Counting it would let an old JOINLIST vouch for a process that has gone (corosync
    /// PR #828) or an old config_version refuse this node.
    /// </summary>
    private bool IsOutOfTurn(int id)
    {
        var syncService = ServiceIds.ServiceOf(id) switch
        {
            ServiceIds.Cpg when ServiceIds.FunctionOf(id) is CpgCodec.JoinListFunction or CpgCodec.DownListFunction => ServiceIds.Cpg,
            _ => -1,
        };
        return syncService >= 0 && _sync.CurrentService != syncService;
    }

    private ServiceDecodeStatus OnCmap(NodeId sender, ReadOnlySpan<byte> body)
    {
        var status = CmapMessages.TryDecodeConfigVersion(body, out var reason, out var version);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        _memberConfigVersions[sender.Value] = version;
        if (reason == CmapMessages.Reason.Sync && sender != _local && _sync.CurrentService == ServiceIds.Cmap && version > _highestReceivedConfigVersion)
        {
            _highestReceivedConfigVersion = version;
        }

        return ServiceDecodeStatus.Ok;
    }

    private ServiceDecodeStatus OnClusterConfig(NodeId sender, ReadOnlySpan<byte> body, int function, List<ServiceOutput> outputs)
    {
        if (function == ClusterConfigMessages.MemberReportFunction)
        {
            var status = ClusterConfigMessages.TryDecodeMemberReport(body, out var report);
            if (status == ServiceDecodeStatus.Ok && report!.Requester == _local.Value)
            {
                outputs.Add(new MemberReportReceived(sender, report));
            }

            return status;
        }

        var applyStatus = ClusterConfigMessages.TryDecodeConfigApply(body, out var request);
        if (applyStatus == ServiceDecodeStatus.Ok)
        {
            outputs.Add(new ServiceLog(LogSubsystem.Cfg, LogPriority.Notice,
                $"Config apply (config_version {request!.ConfigVersion}{(request.Kind == ConfigApplyKind.CatchUp ? ", catch-up" : "")}) requested by node {sender}",
                new LogFields(Node: sender.Value)));
            outputs.Add(new ConfigApplyRequested(sender, request));
        }

        return applyStatus;
    }

    private ServiceDecodeStatus OnCfg(NodeId sender, ReadOnlySpan<byte> body, List<ServiceOutput> outputs)
    {
        if (ServiceHeader.TryPeekId(body, out var id) && ClusterConfigMessages.Owns(ServiceIds.FunctionOf(id)))
        {
            return OnClusterConfig(sender, body, ServiceIds.FunctionOf(id), outputs);
        }

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
            case CfgMessages.KillNodeFunction:
                outputs.Add(new ServiceLog(LogSubsystem.Cfg, LogPriority.Debug, $"request to kill node {message.NodeId} (us={_local})"));
                if (message.NodeId == _local.Value)
                {
                    outputs.Add(new ServiceLog(LogSubsystem.Cfg, LogPriority.Notice, $"Killed by node {sender} : {message.Reason}", new LogFields(Node: sender.Value)));
                    outputs.Add(new NodeKillRequested(sender, message.Reason ?? string.Empty));
                }

                break;
            case CfgMessages.ShutdownFunction:
                // corosync's SHUTDOWN names nobody: the sender is Totem's.
                outputs.Add(new ServiceLog(LogSubsystem.Cfg, LogPriority.Notice, $"Node {sender} was shut down by sysadmin", new LogFields(Node: sender.Value)));
                outputs.Add(new NodeShutdownAnnounced(sender));
                break;
            case CfgMessages.LinkEnableFunction:
                outputs.Add(new LinkEnableRequested(sender, message.Link, message.Enabled));
                break;
            case CfgMessages.CryptoReconfigFunction:
                // corosync acts only on its own (a node reloading its crypto settings sends it to itself through Totem);
                // another node's is ignored, as corosync ignores it. Rookery never sends one.
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

    /// <summary>
    /// Moves the cores' outputs to the caller's list: votequorum's, then cpg's, each in its output's order (messages, then
    /// events, logs, the barrier to persist; the node stack sorts them into its own output's parts, so only the order
    /// within each part carries meaning).
    /// </summary>
    private void Flush(List<ServiceOutput> outputs)
    {
        foreach (var message in _quorumOutput.Datagrams)
        {
            outputs.Add(Executive(message));
        }

        foreach (var quorumEvent in _quorumOutput.Events)
        {
            switch (quorumEvent)
            {
                case QuorumNotification notification:
                    outputs.Add(new QuorumReported(notification));
                    break;
                case QuorumNodelistNotification nodelist:
                    outputs.Add(new QuorumNodelistReported(nodelist));
                    break;
            }
        }

        AddLogs(_quorumOutput.Logs, outputs);
        if (_quorumOutput.TrackingBarrierToPersist is { } barrier)
        {
            outputs.Add(new TrackingBarrierChanged(barrier));
        }

        _quorumOutput.Clear();
        foreach (var message in _groupsOutput.Datagrams)
        {
            outputs.Add(Executive(message));
        }

        foreach (var groupsEvent in _groupsOutput.Events)
        {
            outputs.Add(new LocalGroupEvent(groupsEvent, _groups.RingId));
        }

        AddLogs(_groupsOutput.Logs, outputs);
        _groupsOutput.Clear();
    }

    private static void AddLogs(List<LogEntry> logs, List<ServiceOutput> outputs)
    {
        foreach (var entry in logs)
        {
            outputs.Add(new ServiceLog(entry.Subsystem, entry.Priority, entry.Text, entry.Fields));
        }
    }
}
