using System.Globalization;
using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Quorum;

/// <summary>
/// votequorum as a pure core (corosync-spec §6; exec/votequorum.c): votes, expected votes, quorum =
/// max(majority of the highest expected, majority of the votes present), two_node, wait_for_all,
/// last_man_standing with its window, auto_tie_breaker (lowest, highest, list), allow_downscale and
/// expected votes changed at runtime.
/// </summary>
/// <remarks>
/// <para>Inputs: Totem's <see cref="ConfigurationChanged"/> and <see cref="Delivered"/> events (the payload is
/// the votequorum service message, the totempg group header already removed), <see cref="SyncActivate"/>
/// when the service sync barrier of the current ring completes, <see cref="Tick"/> at
/// <see cref="NextDeadline"/>, and the local commands. Outputs go to a caller-owned <see cref="QuorumOutput"/>: messages,
/// quorum notifications, log records, the tracking barrier to persist.</para>
/// <para>Every decision depends only on the configuration and the agreed-order inputs, so every member of a ring
/// computes the same quorum from the same deliveries.</para>
/// <para>Wiring (the node shell): wrap every message of <see cref="QuorumOutput"/>'s datagrams with <c>GroupHeader.Wrap(GroupHeader.Executive, …)</c>
/// and submit it to Totem; on delivery, unwrap with <c>GroupHeader.TryUnwrap</c> and route group "a" messages by
/// <c>ServiceIds.ServiceOf</c> (5 → this core, 2 → <c>ProcessGroups</c>). After each regular configuration give it to
/// both cores and run corosync's sync round (<c>Rookery.Services.ServiceSync</c>): this core's NODEINFOs go out in
/// votequorum's turn, packed before its BARRIER, and <c>SyncActivate</c> runs when every member's barrier of that turn
/// is delivered (after cpg's, as corosync orders services).</para>
/// </remarks>
public sealed class Votequorum
{
    /// <summary>The quorum device's pseudo node id in NODEINFO (<c>VOTEQUORUM_QDEVICE_NODEID</c>).</summary>
    public const uint QuorumDeviceNodeId = 0;

    private const string Voteq = LogSubsystem.Votequorum;
    private const string QuorumSubsystem = LogSubsystem.Quorum;

    private readonly QuorumConfiguration _config;
    private readonly SortedDictionary<uint, ClusterNode> _nodes = [];
    private readonly ClusterNode _us;
    private readonly ClusterNode _qdevice;
    private bool _lastManStanding;
    private bool _twoNode;
    private bool _waitForAll;
    private bool _waitForAllStatus;
    private uint _quorum;
    private bool _quorate;
    private bool _reportedQuorate;
    private uint _lowestNodeId;
    private uint _highestNodeId;
    private uint _expectedVotesBarrier;
    private uint _trackingBarrier;
    private NodeId[] _quorumMembers;
    private NodeId[] _previousQuorumMembers = [];

    /// <summary>
    /// The membership auto_tie_breaker judges this ring's split by: the previous ring's members, when this node was
    /// quorate in it and every member of this ring came from it (a pure split); empty otherwise (no tie-breaker).
    /// Set at each regular configuration (see <see cref="AutoTieBreakerAllows"/>).
    /// </summary>
    private NodeId[] _tieBreakerBasis = [];

    /// <summary>corosync's quorum service's <c>my_old_member_list</c>: the members at the last sync activation (none at start).</summary>
    private NodeId[] _syncOldMembers = [];

    /// <summary>The members of the last transitional configuration (corosync's <c>trans_list</c> of the sync).</summary>
    private NodeId[] _transitionalMembers = [];
    private RingId _ringId;
    private bool _syncInProgress;
    private bool _started;
    private Instant _lastManStandingDeadline = Instant.Never;

    /// <summary>The registered device's name (corosync's <c>qdevice_name</c>); a remote node's device name is recorded too.</summary>
    private string _qdeviceName = string.Empty;

    /// <summary>A local registration went to the cluster and waits for its message (corosync's <c>qdevice_reg_conn</c>).</summary>
    private bool _qdeviceRegistering;
    private QdeviceResult? _qdeviceRegistrationResult;

    /// <summary>When the device's vote lapses without a poll (<c>qdevice_timer</c>), or never.</summary>
    private Instant _qdeviceDeadline = Instant.Never;

    /// <summary>A membership change waits for the device's poll with the new ring (<c>sync_wait_for_poll_or_timeout</c>).</summary>
    private bool _qdeviceSyncWait;
    private bool _qdeviceMasterWins;

    /// <summary>The last_man_standing window ended while the ring was not settled: the next sync activation arms it again.</summary>
    private bool _lastManStandingDeferred;

    public Votequorum(QuorumConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Invariant.Require(configuration.LocalNode.IsValid);
        _config = configuration;
        _lastManStanding = configuration.LastManStanding;
        _twoNode = configuration.TwoNode;
        _waitForAll = configuration.WaitForAll;
        _qdevice = new ClusterNode(QuorumDeviceNodeId) { Votes = configuration.QuorumDeviceVotes, State = QuorumNodeState.Member };
        _us = new ClusterNode(configuration.LocalNode.Value)
        {
            State = QuorumNodeState.Member,
            Votes = configuration.Votes,
            ExpectedVotes = configuration.ExpectedVotes,
            Flags = NodeInfoFlags.First,
        };
        _nodes.Add(_us.NodeId, _us);
        _quorumMembers = [configuration.LocalNode];
        _expectedVotesBarrier = configuration.ExpectedVotes;
        _trackingBarrier = configuration.ExpectedVotesTrackingBarrier;
        if (configuration.WaitForAll)
        {
            SetWaitForAllStatus(true);
        }
    }

    /// <summary>
    /// A configuration reload (<c>corosync-cfgtool -R</c>; <c>votequorum_refresh_config</c>): this node's votes,
    /// expected votes and two_node are re-read, wait_for_all follows two_node when it is not set explicitly; the
    /// other quorum keys only take effect at startup. The new values are announced with NODEINFO and
    /// RECONFIGURE messages, so they apply cluster-wide in agreed order. When the new settings are invalid,
    /// corosync's message is logged and the running values stay (returns false).
    /// </summary>
    public bool Reload(QuorumSettings settings, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        var log = new List<LogEntry>();

        // With expected_votes_tracking the running barrier (the highest expected votes seen) is the floor, as at startup.
        settings = settings with { ExpectedVotesTrackingBarrier = Math.Max(settings.ExpectedVotesTrackingBarrier, _trackingBarrier) };
        var resolved = QuorumConfiguration.Resolve(settings, log, out var error);
        output.Logs.AddRange(log);

        if (resolved is null)
        {
            Log(output, Voteq, LogPriority.Critical, error!);
            Log(output, Voteq, LogPriority.Critical, "will continue with current runtime data");
            return false;
        }

        var oldVotes = _us.Votes;
        var oldExpected = _us.ExpectedVotes;
        _twoNode = resolved.TwoNode;
        if (settings.WaitForAll is null)
        {
            _waitForAll = _twoNode;
            if (!_waitForAll && _waitForAllStatus)
            {
                SetWaitForAllStatus(false);
            }
        }

        _us.Votes = resolved.Votes;
        _us.ExpectedVotes = resolved.ExpectedVotes;
        _expectedVotesBarrier = resolved.ExpectedVotes;
        SendNodeInfo(_us, output);
        SendNodeInfo(_qdevice, output);
        if (_us.Votes != oldVotes)
        {
            Send(new ReconfigureMessage(_us.NodeId, _us.Votes, ReconfigureParam.NodeVotes), output);
        }

        if (_us.ExpectedVotes != oldExpected)
        {
            Send(new ReconfigureMessage(_us.NodeId, _us.ExpectedVotes, ReconfigureParam.ExpectedVotes), output);
        }

        return true;
    }

    /// <summary>Votequorum messages that failed to decode (counted, then dropped).</summary>
    public long MalformedMessages { get; private set; }

    /// <summary>When <see cref="Tick"/> is due: the last_man_standing window, the quorum device's poll timeout, or never.</summary>
    public Instant NextDeadline => Instant.Min(_qdeviceDeadline, _lastManStandingDeadline);

    /// <summary>
    /// While true, votequorum's turn in a sync is not over: the registered device has not polled with the new ring yet
    /// and its sync_timeout has not passed (corosync's votequorum_sync_process returns "not done").
    /// </summary>
    public bool WaitingForQuorumDevice => _qdeviceSyncWait && _us.Flags.HasFlag(NodeInfoFlags.QdeviceRegistered);

    public bool Quorate => _quorate;

    /// <summary>True between a regular configuration and <see cref="SyncActivate"/>: quorum is not reported then.</summary>
    public bool Syncing => _syncInProgress;

    /// <summary>The current quorum view (members of the last regular configuration), sorted.</summary>
    public IReadOnlyList<NodeId> Members => _quorumMembers;

    /// <summary>This node's expected votes.</summary>
    public uint ExpectedVotes => _us.ExpectedVotes;

    /// <summary>Computes the initial quorum and announces this node (corosync's exec_init).</summary>
    public void Start(Instant now, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Invariant.Require(!_started);
        _started = true;
        RecalculateQuorum(allowDecrease: false, byCurrentNodes: false, output);
        SendNodeInfo(_us, output);
    }

    /// <summary>
    /// A configuration change from Totem. A regular configuration starts the sync: nodes that left are
    /// marked dead, the last_man_standing window is (re)armed, and this node's NODEINFO is multicast.
    /// </summary>
    public void OnConfigurationChanged(Instant now, ConfigurationChanged change, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(output);
        Invariant.Require(_started);
        if (change.Kind != ConfigurationKind.Regular)
        {
            _transitionalMembers = [.. change.Members];
            return;
        }

        SyncInit(now, change, output);
        SendNodeInfo(_us, output);
        SendNodeInfo(_qdevice, output);
    }

    /// <summary>
    /// votequorum's turn in the sync round (<c>votequorum_sync_process</c>): NODEINFO for this node and for the quorum
    /// device, built now, so what goes out is this node's state at its turn (its quorate flag, expected votes), not at
    /// the configuration change a few barriers earlier.
    /// </summary>
    /// <remarks>
    /// Deliberate difference from corosync: quorum is recalculated first, on the nodes known to be here (the members
    /// that left were marked dead at the configuration change). corosync sends the flags of the previous ring; a node
    /// that was quorate there and comes into a ring without the nodes that made it quorate announces a quorate flag
    /// it no longer has, and an inquorate member that reads it adopts its (possibly lowered) expected votes and drops
    /// its wait_for_all: the simulation found two quorate partitions that way (swarm seed 3589929083077345175).
    /// In an unchanged or growing ring the result is the same as corosync's.
    /// </remarks>
    public void SyncProcess(QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        RecalculateQuorum(allowDecrease: false, byCurrentNodes: false, output);
        SendNodeInfo(_us, output);
        SendNodeInfo(_qdevice, output);
        output.Events.Add(new QuorumNodelistNotification(_ringId, _quorumMembers));
    }

    /// <summary>A votequorum message delivered in agreed order. Returns the decode status (non-Ok is counted and dropped).</summary>
    public ServiceDecodeStatus OnDelivered(Instant now, Delivered delivered, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(delivered);
        ArgumentNullException.ThrowIfNull(output);
        Invariant.Require(_started);
        var status = VotequorumCodec.TryDecode(delivered.Payload.Span, out var message);
        if (status != ServiceDecodeStatus.Ok)
        {
            if (ServiceHeader.TryPeekId(delivered.Payload.Span, out var id) && ServiceIds.ServiceOf(id) == ServiceIds.Votequorum)
            {
                MalformedMessages++;
            }

            return status;
        }

        switch (message)
        {
            case NodeInfoMessage nodeInfo:
                HandleNodeInfo(delivered.Sender, nodeInfo, output);
                break;
            case ReconfigureMessage reconfigure:
                HandleReconfigure(reconfigure, output);
                break;
            case QdeviceRegisterMessage register:
                HandleQdeviceRegister(delivered.Sender, register, output);
                break;
            case QdeviceReconfigureMessage rename:
                Log(output, Voteq, LogPriority.Debug, $"Received qdevice name change req from node {delivered.Sender} [from: {rename.OldName} to: {rename.NewName}]");
                if (rename.OldName == _qdeviceName)
                {
                    Log(output, Voteq, LogPriority.Debug, "Allowing qdevice rename");
                    _qdeviceName = rename.NewName;
                }

                break;
            default:
                Log(output, Voteq, LogPriority.Debug, $"ignoring quorum device extra information from node {delivered.Sender}");
                break;
        }

        return ServiceDecodeStatus.Ok;
    }

    /// <summary>The sync barrier of the current ring completed: recalculate and report quorum (<c>votequorum_sync_activate</c>).</summary>
    public void SyncActivate(Instant now, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        RecalculateQuorum(allowDecrease: false, byCurrentNodes: false, output);
        Notify(output);
        _syncInProgress = false;
        _syncOldMembers = _quorumMembers;
        if (_lastManStandingDeferred)
        {
            // The window ended while the membership was not known (see Tick): it runs again on this settled ring.
            _lastManStandingDeferred = false;
            _lastManStandingDeadline = now + _config.LastManStandingWindow;
        }
    }

    /// <summary>
    /// Timer expiry: the last_man_standing window ends; if still quorate, expected votes drop to the members present.
    /// <paramref name="ringOperational"/> says whether Totem is in its OPERATIONAL state (the node stack knows it).
    /// </summary>
    /// <remarks>
    /// Deliberate difference from corosync, whose timer fires whatever Totem is doing: the members present are only
    /// counted while the ring is operational. A node that lost its ring and sits in GATHER still lists the members of
    /// the old ring, which may have formed a ring of their own without it; lowering expected votes to that stale count
    /// let it (and, through its NODEINFO, a node it met next)
    /// be quorate beside them (swarm seed 3589929083077345175: a node in GATHER for 6 s). The lowering then waits:
    /// the window runs again from the next sync activation, on a ring whose members are known.
    /// The same holds while the ring is operational but its quorum sync has not completed: the quorate flag is still
    /// the previous ring's. Node 4 of seven, quorate in [1,3,4,5,6,7], came into [2,4,6] with the window armed in the
    /// old ring; it ended before node 2's NODEINFO arrived, expected votes fell to 2 (nodes 4 and 6) and [2,4,6] was
    /// quorate while [3,5,7] took the tie-breaker (swarm seed 8800000767).
    /// </remarks>
    public void Tick(Instant now, bool ringOperational, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (now >= _qdeviceDeadline)
        {
            QdeviceTimerExpired(output);
        }

        if (now < _lastManStandingDeadline)
        {
            return;
        }

        _lastManStandingDeadline = Instant.Never;
        if (!ringOperational || _syncInProgress)
        {
            _lastManStandingDeferred = _lastManStanding;
            return;
        }

        if (_quorate)
        {
            RecalculateQuorum(allowDecrease: true, byCurrentNodes: true, output);
        }
    }

    /// <summary>
    /// <c>corosync-quorumtool -e</c> / <c>rookery expected N</c>: refused (InvalidParam) when below the votes present or
    /// when it would make a quorate cluster inquorate; otherwise a RECONFIGURE is multicast and applies on delivery.
    /// </summary>
    public QuorumCommandResult SetExpectedVotes(uint expectedVotes, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (expectedVotes == 0)
        {
            return QuorumCommandResult.InvalidParam;
        }

        var newQuorum = CalculateQuorum(allowDecrease: true, expectedVotes, allowDownscale: false, out var totalVotes);
        if (expectedVotes < totalVotes || (_quorate && newQuorum > totalVotes))
        {
            return QuorumCommandResult.InvalidParam;
        }

        Send(new ReconfigureMessage(_us.NodeId, expectedVotes, ReconfigureParam.ExpectedVotes), output);
        return QuorumCommandResult.Ok;
    }

    /// <summary><c>corosync-quorumtool -v N -n ID</c>: refused when the resulting quorum would be below half or above the votes present.</summary>
    public QuorumCommandResult SetVotes(NodeId node, uint votes, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!_nodes.TryGetValue(node.Value, out var target))
        {
            return QuorumCommandResult.NameNotFound;
        }

        var saved = target.Votes;
        target.Votes = votes;
        var newQuorum = CalculateQuorum(allowDecrease: true, 0, _config.AllowDownscale, out var totalVotes);
        target.Votes = saved;
        if (newQuorum < totalVotes / 2 || newQuorum > totalVotes)
        {
            return QuorumCommandResult.InvalidParam;
        }

        Send(new ReconfigureMessage(node.Value, votes, ReconfigureParam.NodeVotes), output);
        return QuorumCommandResult.Ok;
    }

    /// <summary>Writing <c>quorum.cancel_wait_for_all</c> = 1: clears wait_for_all cluster-wide.</summary>
    public void CancelWaitForAll(QuorumOutput output) =>
        Send(new ReconfigureMessage(_us.NodeId, 0, ReconfigureParam.CancelWaitForAll), output);

    /// <summary>
    /// <c>votequorum_qdevice_register</c>: the name goes to every member in agreed order; the answer comes when it is
    /// delivered back (<see cref="TakeQdeviceRegistrationResult"/>). Registering the registered name again is Ok.
    /// </summary>
    public QdeviceResult QdeviceRegister(string name, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(output);
        if (_us.Flags.HasFlag(NodeInfoFlags.QdeviceRegistered))
        {
            if (name == _qdeviceName)
            {
                return QdeviceResult.Ok;
            }

            Log(output, Voteq, LogPriority.Warning, $"A new qdevice with different name (new: {name} old: {_qdeviceName}) is trying to re-register!");
            return QdeviceResult.Exist;
        }

        if (_qdeviceRegistering)
        {
            Log(output, Voteq, LogPriority.Warning, "Registration request already in progress");
            return QdeviceResult.TryAgain;
        }

        _qdeviceRegistering = true;
        _qdeviceRegistrationResult = null;
        Send(new QdeviceRegisterMessage(VotequorumCodec.QdeviceOperationRegister, name), output);
        return QdeviceResult.Pending;
    }

    /// <summary>The answer to a <see cref="QdeviceResult.Pending"/> registration once its message came back; null before (taken once).</summary>
    public QdeviceResult? TakeQdeviceRegistrationResult()
    {
        var result = _qdeviceRegistrationResult;
        _qdeviceRegistrationResult = null;
        return result;
    }

    /// <summary><c>votequorum_qdevice_unregister</c>: the device's flags clear here at once and on the members by NODEINFO.</summary>
    public QdeviceResult QdeviceUnregister(string name, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!_us.Flags.HasFlag(NodeInfoFlags.QdeviceRegistered))
        {
            return QdeviceResult.NotExist;
        }

        if (name != _qdeviceName)
        {
            return QdeviceResult.InvalidParam;
        }

        _qdeviceDeadline = Instant.Never;
        _qdeviceSyncWait = false;
        _us.Flags &= ~(NodeInfoFlags.QdeviceRegistered | NodeInfoFlags.QdeviceAlive | NodeInfoFlags.QdeviceCastVote | NodeInfoFlags.QdeviceMasterWins);
        SendNodeInfo(_us, output);
        Send(new QdeviceRegisterMessage(VotequorumCodec.QdeviceOperationUnregister, name), output);
        return QdeviceResult.Ok;
    }

    /// <summary><c>votequorum_qdevice_update</c>: renames the registered device cluster-wide.</summary>
    public QdeviceResult QdeviceUpdate(string oldName, string newName, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!_us.Flags.HasFlag(NodeInfoFlags.QdeviceRegistered))
        {
            return QdeviceResult.NotExist;
        }

        if (oldName != _qdeviceName)
        {
            return QdeviceResult.InvalidParam;
        }

        Send(new QdeviceReconfigureMessage(oldName, newName), output);
        return QdeviceResult.Ok;
    }

    /// <summary>
    /// <c>votequorum_qdevice_poll</c>: the device is alive and casts its vote or not, for the ring of the last sync only;
    /// the vote lapses unless the next poll comes within <c>quorum.device.timeout</c>. A change of flags goes out as
    /// NODEINFO and counts when it is delivered, on every member alike.
    /// </summary>
    public QdeviceResult QdevicePoll(Instant now, string name, bool castVote, RingId ringId, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!_us.Flags.HasFlag(NodeInfoFlags.QdeviceRegistered))
        {
            return QdeviceResult.NotExist;
        }

        if (ringId != _ringId)
        {
            Log(output, Voteq, LogPriority.Debug, $"Received poll ring id ({ringId}) != last sync ring id ({_ringId}). Ignoring poll call.");
            return QdeviceResult.MessageError;
        }

        if (name != _qdeviceName)
        {
            return QdeviceResult.InvalidParam;
        }

        var oldFlags = _us.Flags;
        _us.Flags |= NodeInfoFlags.QdeviceAlive;
        _us.Flags = castVote ? _us.Flags | NodeInfoFlags.QdeviceCastVote : _us.Flags & ~NodeInfoFlags.QdeviceCastVote;
        if (_us.Flags != oldFlags)
        {
            SendNodeInfo(_us, output);
        }

        _qdeviceDeadline = now + _config.QuorumDeviceTimeout;
        _qdeviceSyncWait = false;
        return QdeviceResult.Ok;
    }

    /// <summary><c>votequorum_qdevice_master_wins</c>: a partition whose member's device casts its vote with master wins is quorate.</summary>
    public QdeviceResult QdeviceMasterWins(string name, bool allow, QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!_us.Flags.HasFlag(NodeInfoFlags.QdeviceRegistered))
        {
            return QdeviceResult.NotExist;
        }

        if (name != _qdeviceName)
        {
            return QdeviceResult.InvalidParam;
        }

        var oldFlags = _us.Flags;
        _us.Flags = allow ? _us.Flags | NodeInfoFlags.QdeviceMasterWins : _us.Flags & ~NodeInfoFlags.QdeviceMasterWins;
        if (_us.Flags != oldFlags)
        {
            SendNodeInfo(_us, output);
        }

        _qdeviceMasterWins = allow;
        return QdeviceResult.Ok;
    }

    /// <summary>Clean shutdown: with allow_downscale, tell the others this node is leaving so they may lower expected votes.</summary>
    public void Shutdown(QuorumOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_config.AllowDownscale)
        {
            _us.Flags |= NodeInfoFlags.Leaving;
            SendNodeInfo(_us, output);
        }
    }

    /// <summary>The values <c>rookery status</c> prints.</summary>
    public QuorumStatus Status
    {
        get
        {
            uint highestExpected = 0;
            uint totalVotes = 0;
            var nodes = new List<QuorumNodeStatus>();
            foreach (var node in _nodes.Values)
            {
                if (node.State == QuorumNodeState.Member)
                {
                    highestExpected = Math.Max(highestExpected, node.ExpectedVotes);
                    totalVotes = SaturatingAdd(totalVotes, node.Votes);
                }

                nodes.Add(new QuorumNodeStatus(new NodeId(node.NodeId), node.State, node.Votes, node.ExpectedVotes, node.Flags));
            }

            if (_us.Flags.HasFlag(NodeInfoFlags.QdeviceCastVote))
            {
                totalVotes = SaturatingAdd(totalVotes, _qdevice.Votes);
            }

            return new QuorumStatus
            {
                NodeId = _config.LocalNode,
                RingId = _ringId,
                Quorate = _quorate,
                ExpectedVotes = _us.ExpectedVotes,
                HighestExpected = highestExpected,
                TotalVotes = totalVotes,
                Quorum = _quorum,
                Flags = InfoFlags(),
                Members = _quorumMembers,
                Nodes = nodes,
                QuorumDeviceVotes = _qdevice.Votes,
                WaitForAllStatus = _waitForAllStatus,
                LowestNodeId = new NodeId(_lowestNodeId),
                HighestNodeId = new NodeId(_highestNodeId),
                ExpectedVotesBarrier = _expectedVotesBarrier,
                Syncing = _syncInProgress,
                QuorumDeviceName = _qdeviceName,
                QuorumDeviceMasterWins = _qdeviceMasterWins,
            };
        }
    }

    private QuorumInfoFlags InfoFlags()
    {
        var flags = QuorumInfoFlags.None;
        flags |= _twoNode ? QuorumInfoFlags.TwoNode : 0;
        flags |= _quorate ? QuorumInfoFlags.Quorate : 0;
        flags |= _waitForAll ? QuorumInfoFlags.WaitForAll : 0;
        flags |= _lastManStanding ? QuorumInfoFlags.LastManStanding : 0;
        flags |= _config.AutoTieBreaker != AutoTieBreakerMode.None ? QuorumInfoFlags.AutoTieBreaker : 0;
        flags |= _config.AllowDownscale ? QuorumInfoFlags.AllowDownscale : 0;
        flags |= _us.Flags.HasFlag(NodeInfoFlags.QdeviceRegistered) ? QuorumInfoFlags.QdeviceRegistered : 0;
        flags |= _us.Flags.HasFlag(NodeInfoFlags.QdeviceAlive) ? QuorumInfoFlags.QdeviceAlive : 0;
        flags |= _us.Flags.HasFlag(NodeInfoFlags.QdeviceCastVote) ? QuorumInfoFlags.QdeviceCastVote : 0;
        flags |= _us.Flags.HasFlag(NodeInfoFlags.QdeviceMasterWins) ? QuorumInfoFlags.QdeviceMasterWins : 0;
        return flags;
    }

    private void SyncInit(Instant now, ConfigurationChanged change, QuorumOutput output)
    {
        _syncInProgress = true;
        var members = change.Members.OrderBy(n => n.Value).ToArray();
        if (members.Length > 1)
        {
            _us.Flags &= ~NodeInfoFlags.First;
        }

        var left = _quorumMembers.Where(m => Array.IndexOf(members, m) < 0).ToArray();
        foreach (var gone in left)
        {
            if (_nodes.TryGetValue(gone.Value, out var node))
            {
                node.State = QuorumNodeState.Dead;
            }
        }

        if (_lastManStanding
            && ((members.Length >= _quorum && left.Length > 0)
                || (members.Length <= _quorum && _config.AutoTieBreaker != AutoTieBreakerMode.None && IsMemberNode(_lowestNodeId))))
        {
            _lastManStandingDeadline = now + _config.LastManStandingWindow;
        }

        var pureSplit = members.All(m => Array.IndexOf(_transitionalMembers, m) >= 0);
        _tieBreakerBasis = _quorate && pureSplit ? _quorumMembers : [];
        _previousQuorumMembers = _quorumMembers;
        _quorumMembers = members;
        _ringId = change.RingId;
        if (_us.Flags.HasFlag(NodeInfoFlags.QdeviceRegistered) && _us.Flags.HasFlag(NodeInfoFlags.QdeviceAlive))
        {
            // The device must poll with the new ring before votequorum's sync turn ends (or its sync_timeout passes).
            _qdeviceDeadline = now + _config.QuorumDeviceSyncTimeout;
            _qdeviceSyncWait = true;
            Log(output, Voteq, LogPriority.Info,
                $"waiting for quorum device {_qdeviceName} poll (but maximum for {_config.QuorumDeviceSyncTimeout.Milliseconds.ToString(CultureInfo.InvariantCulture)} ms)");
        }

        LogSyncLists(members, output);
    }

    /// <summary>
    /// corosync's quorum service at sync init (<c>quorum_sync_init</c> in exec/vsf_quorum.c): the new members; as left,
    /// the members at the last activation that are not in the transitional configuration; as joined, the new members
    /// that were not there, or that left and came back in the same change (a quick restart). Log lines only.
    /// </summary>
    private void LogSyncLists(NodeId[] members, QuorumOutput output)
    {
        var left = _syncOldMembers.Where(m => Array.IndexOf(_transitionalMembers, m) < 0 || Array.IndexOf(members, m) < 0).ToArray();
        var joined = members.Where(m => Array.IndexOf(_syncOldMembers, m) < 0 || Array.IndexOf(left, m) >= 0).ToArray();
        LogNodeList(output, "Sync members", members);
        if (joined.Length > 0)
        {
            LogNodeList(output, "Sync joined", joined);
        }

        if (left.Length > 0)
        {
            LogNodeList(output, "Sync left", left);
        }
    }

    private void HandleNodeInfo(NodeId sender, NodeInfoMessage message, QuorumOutput output)
    {
        var nodeId = message.NodeId;
        Log(output, Voteq, LogPriority.Debug, $"got nodeinfo message from cluster node {sender}");
        Log(output, Voteq, LogPriority.Debug, $"nodeinfo message[{nodeId}]: votes: {message.Votes}, expected: {message.ExpectedVotes} flags: {(uint)message.Flags}");
        if (nodeId != QuorumDeviceNodeId && nodeId != sender.Value)
        {
            Log(output, Voteq, LogPriority.Debug, $"ignoring nodeinfo for node {nodeId} sent by node {sender}");
            return;
        }

        var isNew = false;
        ClusterNode node;
        if (nodeId == QuorumDeviceNodeId)
        {
            node = _qdevice;
        }
        else if (!_nodes.TryGetValue(nodeId, out node!))
        {
            node = new ClusterNode(nodeId) { State = QuorumNodeState.Dead };
            _nodes.Add(nodeId, node);
            isNew = true;
        }

        var oldVotes = node.Votes;
        var oldExpected = node.ExpectedVotes;
        var oldFlags = node.Flags;
        var oldState = node.State;
        var allowDecrease = false;
        var byNode = false;

        if (nodeId == QuorumDeviceNodeId)
        {
            if (!_nodes.TryGetValue(sender.Value, out var senderNode))
            {
                return;
            }

            node.Votes = !_quorate && senderNode.Flags.HasFlag(NodeInfoFlags.Quorate)
                ? message.Votes
                : Math.Max(node.Votes, message.Votes);
        }
        else
        {
            node.Flags = message.Flags;
            node.Votes = message.Votes;
            node.AnnouncedExpectedVotes = message.ExpectedVotes;
            node.State = QuorumNodeState.Member;
            if (node.Flags.HasFlag(NodeInfoFlags.Leaving))
            {
                node.State = QuorumNodeState.Leaving;
                allowDecrease = true;
                byNode = true;
            }

            if (!_quorate && node.Flags.HasFlag(NodeInfoFlags.Quorate))
            {
                allowDecrease = true;
                _us.ExpectedVotes = message.ExpectedVotes;
            }

            node.ExpectedVotes = node.Flags.HasFlag(NodeInfoFlags.Quorate) || _config.ExpectedVotesTracking
                ? message.ExpectedVotes
                : _us.ExpectedVotes;

            if (_lastManStanding && node.Votes > 1)
            {
                Log(output, Voteq, LogPriority.Warning, "Last Man Standing feature is supported only when all cluster nodes votes are set to 1. Disabling LMS.");
                _lastManStanding = false;
                _lastManStandingDeadline = Instant.Never;
                _lastManStandingDeferred = false;
            }
        }

        if (isNew
            || nodeId == _us.NodeId
            || node.Flags.HasFlag(NodeInfoFlags.First)
            || oldVotes != node.Votes
            || oldExpected != node.ExpectedVotes
            || oldFlags != node.Flags
            || oldState != node.State)
        {
            RecalculateQuorum(allowDecrease, byNode, output);
        }

        if (_waitForAll
            && !node.Flags.HasFlag(NodeInfoFlags.WaitForAllStatus)
            && node.Flags.HasFlag(NodeInfoFlags.Quorate))
        {
            SetWaitForAllStatus(false);
        }
    }

    /// <summary>corosync's <c>message_handler_req_exec_votequorum_qdevice_reg</c>.</summary>
    private void HandleQdeviceRegister(NodeId sender, QdeviceRegisterMessage message, QuorumOutput output)
    {
        Log(output, Voteq, LogPriority.Debug, $"Received qdevice op {message.Operation} req from node {sender} [{message.Name}]");
        if (message.Operation == VotequorumCodec.QdeviceOperationUnregister)
        {
            if (!_nodes.Values.Any(n => n.State == QuorumNodeState.Member && n.Flags.HasFlag(NodeInfoFlags.QdeviceRegistered)))
            {
                _qdeviceName = string.Empty;
            }

            return;
        }

        if (message.Operation != VotequorumCodec.QdeviceOperationRegister)
        {
            return;
        }

        if (sender.Value != _us.NodeId)
        {
            if (_qdeviceName.Length == 0)
            {
                Log(output, Voteq, LogPriority.Debug, "Remote qdevice name recorded");
                _qdeviceName = message.Name;
            }

            return;
        }

        if (_us.Flags.HasFlag(NodeInfoFlags.QdeviceRegistered))
        {
            return;
        }

        if (!_qdeviceRegistering)
        {
            Log(output, Voteq, LogPriority.Warning, "Unable to determine origin of the qdevice register call!");
            return;
        }

        if (_qdeviceName.Length == 0)
        {
            _qdeviceName = message.Name;
        }

        if (message.Name == _qdeviceName)
        {
            _us.Flags |= NodeInfoFlags.QdeviceRegistered;
            SendNodeInfo(_qdevice, output);
            SendNodeInfo(_us, output);
            _qdeviceRegistrationResult = QdeviceResult.Ok;
        }
        else
        {
            Log(output, Voteq, LogPriority.Warning, $"A new qdevice with different name (new: {message.Name} old: {_qdeviceName}) is trying to register!");
            _qdeviceRegistrationResult = QdeviceResult.Exist;
        }

        _qdeviceRegistering = false;
    }

    /// <summary>corosync's <c>qdevice_timer_fn</c>: no poll in time, the device is no longer alive and casts no vote.</summary>
    private void QdeviceTimerExpired(QuorumOutput output)
    {
        _qdeviceDeadline = Instant.Never;
        _qdeviceSyncWait = false;
        if (!_us.Flags.HasFlag(NodeInfoFlags.QdeviceAlive))
        {
            return;
        }

        _us.Flags &= ~(NodeInfoFlags.QdeviceAlive | NodeInfoFlags.QdeviceCastVote);
        Log(output, Voteq, LogPriority.Info, $"lost contact with quorum device {_qdeviceName}");
        SendNodeInfo(_us, output);
    }

    private void HandleReconfigure(ReconfigureMessage message, QuorumOutput output)
    {
        switch (message.Param)
        {
            case ReconfigureParam.ExpectedVotes:
                SetMembersExpectedVotes(message.Value);
                _expectedVotesBarrier = message.Value;
                if (_config.ExpectedVotesTracking)
                {
                    _us.ExpectedVotes = Math.Max(_us.ExpectedVotes, _trackingBarrier);
                }

                RecalculateQuorum(allowDecrease: true, byCurrentNodes: false, output);
                break;

            case ReconfigureParam.NodeVotes:
                var node = message.NodeId == QuorumDeviceNodeId ? _qdevice : _nodes.GetValueOrDefault(message.NodeId);
                if (node is null)
                {
                    return;
                }

                node.Votes = message.Value;
                RecalculateQuorum(allowDecrease: true, byCurrentNodes: false, output);
                break;

            case ReconfigureParam.CancelWaitForAll:
                SetWaitForAllStatus(false);
                Log(output, Voteq, LogPriority.Info, $"wait_for_all_status reset by user on node {message.NodeId}.");
                RecalculateQuorum(allowDecrease: false, byCurrentNodes: false, output);
                break;
        }
    }

    private void RecalculateQuorum(bool allowDecrease, bool byCurrentNodes, QuorumOutput output)
    {
        uint totalVotes = 0;
        uint members = 0;
        foreach (var node in _nodes.Values)
        {
            if (node.State == QuorumNodeState.Member)
            {
                members++;
                totalVotes = SaturatingAdd(totalVotes, node.Votes);
            }
        }

        if (_qdevice.Votes > 0)
        {
            totalVotes = SaturatingAdd(totalVotes, _qdevice.Votes);
            members++;
        }

        if (!byCurrentNodes)
        {
            members = 0;
        }

        Log(output, Voteq, LogPriority.Debug, $"total_votes={totalVotes}, expected_votes={_us.ExpectedVotes}");
        if (totalVotes > _us.ExpectedVotes)
        {
            _us.ExpectedVotes = totalVotes;
        }

        if (_config.ExpectedVotesTracking && _us.ExpectedVotes > _trackingBarrier)
        {
            _trackingBarrier = _us.ExpectedVotes;
            output.TrackingBarrierToPersist = _trackingBarrier;
        }

        _quorum = CalculateQuorum(allowDecrease, members, _config.AllowDownscale, out var countedVotes);
        SetMembersExpectedVotes(members);
        AreWeQuorate(countedVotes, output);
    }

    private uint CalculateQuorum(bool allowDecrease, uint maxExpected, bool allowDownscale, out uint totalVotes)
    {
        if (allowDownscale && allowDecrease && maxExpected != 0)
        {
            maxExpected = Math.Max(_expectedVotesBarrier, maxExpected);
        }

        uint highestExpected = 0;
        uint nodes = 0;
        totalVotes = 0;
        foreach (var node in _nodes.Values)
        {
            if (node.State == QuorumNodeState.Member)
            {
                highestExpected = Math.Max(highestExpected, node.ExpectedVotes);
                totalVotes = SaturatingAdd(totalVotes, node.Votes);
                nodes++;
            }
        }

        if (_us.Flags.HasFlag(NodeInfoFlags.QdeviceCastVote))
        {
            totalVotes = SaturatingAdd(totalVotes, _qdevice.Votes);
            nodes++;
        }

        if (maxExpected > 0)
        {
            highestExpected = maxExpected;
        }

        var quorum = (uint)Math.Max(((ulong)highestExpected + 2) / 2, ((ulong)totalVotes + 2) / 2);
        if (!allowDecrease)
        {
            quorum = Math.Max(_quorum, quorum);
        }

        if (_twoNode && nodes <= 2)
        {
            quorum = 1;
        }

        return quorum;
    }

    private void AreWeQuorate(uint totalVotes, QuorumOutput output)
    {
        if (_waitForAll && _waitForAllStatus)
        {
            var waitFor = WaitForAllVotes();
            if (totalVotes != waitFor)
            {
                Log(output, Voteq, LogPriority.Notice, $"Waiting for all cluster members. Current votes: {totalVotes} expected_votes: {waitFor}");
                Invariant.Require(!_quorate);
                return;
            }

            SetWaitForAllStatus(false);
        }

        var quorate = _quorum <= totalVotes;
        if (quorate)
        {
            _lowestNodeId = _us.NodeId;
            _highestNodeId = _us.NodeId;
            var members = new List<NodeId>();
            foreach (var node in _nodes.Values)
            {
                if (node.State == QuorumNodeState.Member)
                {
                    _lowestNodeId = Math.Min(_lowestNodeId, node.NodeId);
                    _highestNodeId = Math.Max(_highestNodeId, node.NodeId);
                    members.Add(new NodeId(node.NodeId));
                }
            }
        }

        // A half (or, odd, half-1) split: the tie-breaker may decide only if the nodes that left cannot be quorate on
        // their side. corosync compares them with this node's quorum, which never decreases on its own and follows the
        // highest expected votes of the members, so it can stand above what this node's own expected votes give; the
        // other side may count with those (swarm seed 7000344: quorum 4 from a member's expected 6, own expected 5, and
        // [1,3] of 5 took the tie while [2,4,5] had its 3 of 5). Deliberate difference: the smaller of the two.
        // A second deliberate difference: all the votes outside this partition, not only those of the nodes that left
        // its ring, must fall short of that quorum. A node outside the previous ring may be with the ones that left:
        // of three, node 1 of [1,2] alone took the tie with 1 of 3 (3 / 2 = 1) while 2 and 3 could hold 2 of 3 (swarm
        // seed 9900000007). So with an odd count the "half-1" side never takes the tie; an even half still does.
        var otherSideQuorum = Math.Min(_quorum, (_us.ExpectedVotes + 2) / 2);
        if (_config.AutoTieBreaker != AutoTieBreakerMode.None
            && totalVotes == _us.ExpectedVotes / 2
            && (long)_previousQuorumMembers.Length - _quorumMembers.Length < otherSideQuorum
            && (long)_us.ExpectedVotes - totalVotes < otherSideQuorum
            && AutoTieBreakerAllows())
        {
            Log(output, Voteq, LogPriority.Debug, $"auto_tie_breaker decision: quorate with {totalVotes} of {_us.ExpectedVotes} votes (decided within the previous ring {string.Join(' ', _tieBreakerBasis.Select(n => n.Value.ToString(CultureInfo.InvariantCulture)))})");
            quorate = true;
        }

        if (_qdeviceMasterWins && !quorate && QdeviceMasterPresent())
        {
            Log(output, Voteq, LogPriority.Debug, "node is quorate as part of master_wins partition");
            quorate = true;
        }

        var changed = quorate != _quorate;
        if (changed)
        {
            Log(output, Voteq, LogPriority.Debug, quorate ? "quorum regained, resuming activity" : "quorum lost, blocking activity");
        }

        _quorate = quorate;
        if (quorate)
        {
            _us.Flags |= NodeInfoFlags.Quorate;
        }
        else
        {
            _us.Flags &= ~NodeInfoFlags.Quorate;
        }

        if (_waitForAll)
        {
            SetWaitForAllStatus(!quorate);
        }

        if (changed && !_syncInProgress)
        {
            Notify(output);
        }
    }

    /// <summary>
    /// The votes wait_for_all waits for: this node's expected votes, or more when a member announced more.
    /// </summary>
    /// <remarks>
    /// Deliberate difference from corosync, which waits for this node's expected votes alone (an inquorate member's
    /// announced expected votes are replaced by this node's). After last_man_standing lowered this node's expected
    /// votes, the members it then meets need not be the ones it counted: node 4 of six, lowered to 3 in ring [2,4,6],
    /// cut off alone while [2,6] stayed quorate with 2 of 3, then met 3 and 5 (inquorate, expecting 5) and had "all" 3
    /// votes (QuorumSimulationTests seed 9000029, last_man_standing + wait_for_all). Waiting for what every member
    /// expects keeps such a partition inquorate; when every member announces the same, nothing changes.
    /// </remarks>
    private uint WaitForAllVotes()
    {
        var votes = _us.ExpectedVotes;
        foreach (var node in _nodes.Values)
        {
            if (node.State == QuorumNodeState.Member && node.NodeId != _us.NodeId)
            {
                votes = Math.Max(votes, node.AnnouncedExpectedVotes);
            }
        }

        return votes;
    }

    /// <summary>
    /// The auto_tie_breaker decision for an exact half split (the caller checks the split: this node's votes are half
    /// its expected votes, and the nodes that left could not be quorate on their side): the decider is the lowest (or
    /// highest) node id of the previous ring, or, for a list, the first listed node that was in the previous ring; this
    /// half wins when the decider is here.
    /// </summary>
    /// <remarks>
    /// <para>Deliberate difference from corosync, which takes its decider from views that the two halves of a split
    /// need not share (lowest and highest from the last quorate membership, a list from the previous ring, and both
    /// also when this node was not quorate before): the simulation found both halves winning, first for two nodes that
    /// started apart or a partition re-forming alone, then (swarm seed 7700000181) for a node that had been cut off,
    /// still remembered an older quorate membership [1,4] and met node 4 in a ring whose sync never finished while
    /// [2,3] judged by the newer [2,3,4].</para>
    /// <para>Here the tie-breaker decides only a pure split of a ring this node was quorate in (every member of this
    /// ring came from the previous one, <see cref="_tieBreakerBasis"/>), and the decider comes from that ring's member
    /// list, which Totem gave every node of it alike. Both halves of one ring pick the same decider, so at most one
    /// wins; a half that comes from elsewhere (a restart, a node that was cut off, a merge) waits for a majority, as it
    /// would without auto_tie_breaker.</para>
    /// </remarks>
    private bool AutoTieBreakerAllows()
    {
        if (_tieBreakerBasis.Length == 0)
        {
            return false;
        }

        switch (_config.AutoTieBreaker)
        {
            case AutoTieBreakerMode.Lowest:
                return IsMemberNode(_tieBreakerBasis.Min(n => n.Value));
            case AutoTieBreakerMode.Highest:
                return IsMemberNode(_tieBreakerBasis.Max(n => n.Value));
        }

        foreach (var listed in _config.AutoTieBreakerNodes)
        {
            if (Array.IndexOf(_tieBreakerBasis, listed) >= 0)
            {
                return IsMemberNode(listed.Value);
            }
        }

        return false;
    }

    /// <summary>corosync's <c>check_qdevice_master</c>: a member whose device casts its vote with master wins.</summary>
    private bool QdeviceMasterPresent() => _nodes.Values.Any(n =>
        n.State == QuorumNodeState.Member && n.Flags.HasFlag(NodeInfoFlags.QdeviceMasterWins) && n.Flags.HasFlag(NodeInfoFlags.QdeviceCastVote));

    private bool IsMemberNode(uint nodeId) =>
        _nodes.TryGetValue(nodeId, out var node) && node.State == QuorumNodeState.Member;

    private void SetMembersExpectedVotes(uint expectedVotes)
    {
        if (expectedVotes == 0)
        {
            return;
        }

        foreach (var node in _nodes.Values)
        {
            if (node.State == QuorumNodeState.Member)
            {
                node.ExpectedVotes = expectedVotes;
            }
        }
    }

    private void SetWaitForAllStatus(bool status)
    {
        _waitForAllStatus = status;
        if (status)
        {
            _us.Flags |= NodeInfoFlags.WaitForAllStatus;
        }
        else
        {
            _us.Flags &= ~NodeInfoFlags.WaitForAllStatus;
        }
    }

    private void Notify(QuorumOutput output)
    {
        if (_quorate && !_reportedQuorate)
        {
            Log(output, QuorumSubsystem, LogPriority.Notice, "This node is within the primary component and will provide service.");
        }
        else if (!_quorate && _reportedQuorate)
        {
            Log(output, QuorumSubsystem, LogPriority.Notice, "This node is within the non-primary component and will NOT provide any services.");
        }

        _reportedQuorate = _quorate;
        LogNodeList(output, "Members", _quorumMembers);
        output.Events.Add(new QuorumNotification(_quorate, _ringId, _quorumMembers));
    }

    private void SendNodeInfo(ClusterNode node, QuorumOutput output) =>
        Send(new NodeInfoMessage(node.NodeId, node.Votes, node.ExpectedVotes, node.Flags), output);

    private static void Send(VotequorumMessage message, QuorumOutput output) =>
        output.Datagrams.Add(VotequorumCodec.Encode(message));

    private static void Log(QuorumOutput output, string subsystem, LogPriority priority, string text) =>
        output.Logs.Add(new LogEntry(subsystem, priority, text));

    /// <summary>corosync's <c>log_view_list</c>: "Members[3]: 1 2 3", wrapped with a trailing backslash past 64 bytes.</summary>
    private static void LogNodeList(QuorumOutput output, string label, IReadOnlyList<NodeId> nodes)
    {
        const int lineMax = 64;
        var line = new System.Text.StringBuilder($"{label}[{nodes.Count.ToString(CultureInfo.InvariantCulture)}]:");
        foreach (var node in nodes)
        {
            var item = " " + node.ToString();
            if (line.Length + item.Length + 2 > lineMax)
            {
                Log(output, QuorumSubsystem, LogPriority.Notice, line + " \\");
                line.Clear();
            }

            line.Append(item);
        }

        Log(output, QuorumSubsystem, LogPriority.Notice, line.ToString());
    }

    /// <summary>Votes come from the network: sums saturate instead of wrapping (corosync wraps) or throwing.</summary>
    private static uint SaturatingAdd(uint a, uint b) => (uint)Math.Min((ulong)a + b, uint.MaxValue);

    private sealed class ClusterNode(uint nodeId)
    {
        public uint NodeId { get; } = nodeId;

        public QuorumNodeState State { get; set; }

        public uint Votes { get; set; }

        public uint ExpectedVotes { get; set; }

        /// <summary>The expected votes the node itself announced in its last NODEINFO (<see cref="ExpectedVotes"/> may be ours instead).</summary>
        public uint AnnouncedExpectedVotes { get; set; }

        public NodeInfoFlags Flags { get; set; }
    }
}
