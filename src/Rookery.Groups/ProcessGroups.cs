using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Groups;

/// <summary>
/// Closed process groups with CPG's semantics as a pure core (corosync-spec §7; exec/cpg.c): join, leave,
/// multicast in agreed order, confchg events with member/left/joined lists and their reasons, and the sync
/// after a membership change (down list, join lists).
/// </summary>
/// <remarks>
/// <para>Inputs: Totem's <see cref="ConfigurationChanged"/> and <see cref="Delivered"/> events (payload = the cpg
/// service message, totempg group header removed), <see cref="SyncActivate"/> when the service sync barrier of the
/// current ring completes, and local commands from connections (join, leave, send, disconnect).</para>
/// <para>The global process list is identical on every member of a ring once its sync activates, because it is a
/// function of agreed-order deliveries only. Differences from corosync, all deliberate:</para>
/// <list type="bullet">
/// <item>A handle's own delivered LEAVE resets it to unjoined (corosync-spec §7.1 notes the loop bound bug that
/// leaves it in LEAVE_STARTED).</item>
/// <item>A JOINLIST is sent even when empty, only the newest JOINLIST of each sender counts, and stored join lists
/// are dropped when a new membership change aborts a sync, so a join list of an aborted round cannot create a ghost
/// member (corosync PR #828).</item>
/// <item>Joins and leaves delivered during a sync are applied on top of the sender's join list, so a process that
/// joined after its node built its join list is not removed as a zombie at activation.</item>
/// </list>
/// </remarks>
public sealed class ProcessGroups
{
    private readonly NodeId _localNode;
    private readonly SortedDictionary<CpgGroupName, SortedSet<GroupMember>> _groups = [];
    private readonly SortedDictionary<ulong, Handle> _handles = [];
    private readonly SortedDictionary<uint, CpgJoinListEntry[]> _joinLists = [];
    private readonly List<(GroupMember Member, CpgGroupName Group, bool Joined)> _changesSinceRegular = [];
    private readonly SortedDictionary<(uint NodeId, uint Pid, CpgGroupName Group), Reassembly> _reassembly = [];
    private NodeId[] _oldMembers;
    private NodeId[] _members;
    private NodeId[] _transitionalMembers;
    private NodeId[] _downList = [];
    private RingId _ringId;
    private bool _syncing;

    public ProcessGroups(NodeId localNode)
    {
        Invariant.Require(localNode.IsValid);
        _localNode = localNode;
        _oldMembers = [localNode];
        _members = [localNode];
        _transitionalMembers = [localNode];
    }

    /// <summary>Cpg messages that failed to decode (counted, then dropped).</summary>
    public long MalformedMessages { get; private set; }

    /// <summary>Group messages delivered to the processes of this node (one per message, whatever the number of local recipients).</summary>
    public long DeliveredMessages { get; private set; }

    /// <summary>Groups with at least one process in the cluster.</summary>
    public int GroupCount => _groups.Count;

    /// <summary>True between a regular configuration and <see cref="SyncActivate"/>.</summary>
    public bool Syncing => _syncing;

    /// <summary>
    /// Set by the service layer while the rest of a sync round runs after cpg's activation (corosync blocks its IPC
    /// while <c>sync_in_process</c>): join, leave and send answer TryAgain, so nothing a client sends then overtakes
    /// what its node queued before the ring changed.
    /// </summary>
    public bool CommandsHeld { get; set; }

    /// <summary>The ring of the last regular configuration.</summary>
    public RingId RingId => _ringId;

    /// <summary>Every known process, sorted by group then (node id, pid).</summary>
    public IReadOnlyList<(CpgGroupName Group, GroupMember Member)> Processes =>
        _groups.SelectMany(g => g.Value.Select(m => (g.Key, m))).ToArray();

    /// <summary><c>cpg_membership_get</c>: the members of a group, sorted by (node id, pid).</summary>
    public IReadOnlyList<GroupMember> Membership(CpgGroupName group) =>
        _groups.TryGetValue(group, out var members) ? members.ToArray() : [];

    /// <summary>The state of a local connection (unjoined when unknown).</summary>
    public GroupHandleState HandleState(ulong connection) =>
        _handles.TryGetValue(connection, out var handle) ? handle.State : GroupHandleState.Unjoined;

    /// <summary><c>cpg_join</c>: multicasts PROCJOIN; the connection becomes joined when it is delivered.</summary>
    public GroupsResult Join(ulong connection, uint pid, CpgGroupName group, GroupsOutput output, bool deliverInitialTotemConfiguration = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var other in _handles.Values)
        {
            if (other.Pid == pid && other.Group is { } joined && joined == group)
            {
                return GroupsResult.Exist;
            }
        }

        if (_groups.TryGetValue(group, out var members) && members.Contains(new GroupMember(_localNode, pid)))
        {
            return GroupsResult.TryAgain;
        }

        var handle = HandleFor(connection);
        switch (handle.State)
        {
            case GroupHandleState.LeaveStarted:
                return GroupsResult.Busy;
            case GroupHandleState.JoinStarted or GroupHandleState.JoinCompleted:
                return GroupsResult.Exist;
        }

        if (_syncing || CommandsHeld)
        {
            return GroupsResult.TryAgain;
        }

        handle.State = GroupHandleState.JoinStarted;
        handle.Pid = pid;
        handle.Group = group;
        handle.WantsInitialTotemConfiguration = deliverInitialTotemConfiguration;
        handle.InitialTotemConfigurationSent = false;
        Send(new CpgProcJoinMessage(group, pid, CpgReason.Join), output);
        return GroupsResult.Ok;
    }

    /// <summary><c>cpg_leave</c>: multicasts PROCLEAVE; the connection becomes unjoined when it is delivered.</summary>
    public GroupsResult Leave(ulong connection, GroupsOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var state = HandleState(connection);
        switch (state)
        {
            case GroupHandleState.Unjoined or GroupHandleState.LeaveStarted:
                return GroupsResult.NotExist;
            case GroupHandleState.JoinStarted:
                return GroupsResult.Busy;
        }

        if (_syncing || CommandsHeld)
        {
            return GroupsResult.TryAgain;
        }

        var handle = _handles[connection];
        handle.State = GroupHandleState.LeaveStarted;
        Send(new CpgProcLeaveMessage(handle.Group!.Value, handle.Pid, CpgReason.Leave), output);
        return GroupsResult.Ok;
    }

    /// <summary><c>cpg_mcast_joined</c>: allowed once the join was requested and until the leave is requested.</summary>
    public GroupsResult Send(ulong connection, ReadOnlyMemory<byte> data, GroupsOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var state = HandleState(connection);
        if (state is not (GroupHandleState.JoinStarted or GroupHandleState.JoinCompleted))
        {
            return GroupsResult.NotExist;
        }

        if (data.Length > GroupsLimits.MessageSizeMax)
        {
            return GroupsResult.TooBig;
        }

        if (_syncing || CommandsHeld)
        {
            return GroupsResult.TryAgain;
        }

        var handle = _handles[connection];
        Send(new CpgMcastMessage(handle.Group!.Value, handle.Pid, _localNode.Value, connection, data), output);
        return GroupsResult.Ok;
    }

    /// <summary>
    /// One fragment of a message too large for one IPC request (libcpg's <c>cpg_mcast_joined</c> over ~1 MiB sends
    /// PARTIAL_MCAST requests): it goes out as corosync's PARTIAL_MCAST, and every member reassembles the message
    /// from the fragments in agreed order. <paramref name="type"/> is 1 first, 2 continued, 3 last.
    /// </summary>
    public GroupsResult SendPartial(ulong connection, uint messageLength, uint type, ReadOnlyMemory<byte> fragment, GroupsOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var state = HandleState(connection);
        if (state is not (GroupHandleState.JoinStarted or GroupHandleState.JoinCompleted))
        {
            return GroupsResult.NotExist;
        }

        if (fragment.Length > GroupsLimits.MessageSizeMax || messageLength > GroupsLimits.ReassemblySizeMax || type is < 1 or > 3)
        {
            return GroupsResult.TooBig;
        }

        if (_syncing || CommandsHeld)
        {
            return GroupsResult.TryAgain;
        }

        var handle = _handles[connection];
        Send(new CpgPartialMcastMessage(handle.Group!.Value, messageLength, handle.Pid, type, _localNode.Value, connection, fragment), output);
        return GroupsResult.Ok;
    }

    /// <summary>A connection closed or its process died (<c>cpg_lib_exit_fn</c>): its group membership ends with reason procdown.</summary>
    public void Disconnect(ulong connection, GroupsOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!_handles.Remove(connection, out var handle))
        {
            return;
        }

        if (handle.Group is { } group && handle.State != GroupHandleState.LeaveStarted)
        {
            Send(new CpgProcLeaveMessage(group, handle.Pid, CpgReason.ProcDown), output);
        }
    }

    /// <summary>
    /// A configuration change from Totem. Transitional: remember who came along. Regular: start the sync —
    /// compute the down list and multicast DOWNLIST and this node's JOINLIST.
    /// </summary>
    public void OnConfigurationChanged(ConfigurationChanged change, GroupsOutput output)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(output);
        var members = change.Members.OrderBy(n => n.Value).ToArray();
        if (change.Kind == ConfigurationKind.Transitional)
        {
            _transitionalMembers = members;
            return;
        }

        _syncing = true;
        _members = members;
        _ringId = change.RingId;
        _joinLists.Clear();
        _changesSinceRegular.Clear();

        var down = new SortedSet<uint>();
        foreach (var node in _oldMembers)
        {
            down.Add(node.Value);
        }

        foreach (var groupMembers in _groups.Values)
        {
            foreach (var member in groupMembers)
            {
                down.Add(member.NodeId.Value);
            }
        }

        down.Remove(_localNode.Value);
        foreach (var node in _transitionalMembers)
        {
            down.Remove(node.Value);
        }

        _downList = down.Select(n => new NodeId(n)).ToArray();
        Send(new CpgDownListMessage((uint)_oldMembers.Length, down.ToArray()), output);

        var local = new List<CpgJoinListEntry>();
        foreach (var (group, groupMembers) in _groups)
        {
            foreach (var member in groupMembers)
            {
                if (member.NodeId == _localNode)
                {
                    local.Add(new CpgJoinListEntry(member.Pid, group));
                }
            }
        }

        Send(new CpgJoinListMessage(local), output);
    }

    /// <summary>A cpg message delivered in agreed order. Returns the decode status (non-Ok is counted and dropped).</summary>
    public ServiceDecodeStatus OnDelivered(Delivered delivered, GroupsOutput output)
    {
        ArgumentNullException.ThrowIfNull(delivered);
        ArgumentNullException.ThrowIfNull(output);
        // Totem's deliveries never change: the message's data stays a slice of them.
        var status = CpgCodec.TryDecode(delivered.Payload, out var message);
        if (status != ServiceDecodeStatus.Ok)
        {
            if (ServiceHeader.TryPeekId(delivered.Payload.Span, out var id) && ServiceIds.ServiceOf(id) == ServiceIds.Cpg)
            {
                MalformedMessages++;
            }

            return status;
        }

        var sender = delivered.Sender;
        switch (message)
        {
            case CpgProcJoinMessage join:
                RecordChangeDuringSync(new GroupMember(sender, join.Pid), join.Group, joined: true);
                ProcessJoin(join.Group, new GroupMemberChange(sender, join.Pid, CpgReason.Join), output);
                break;

            case CpgProcLeaveMessage leave:
                RecordChangeDuringSync(new GroupMember(sender, leave.Pid), leave.Group, joined: false);
                ProcessLeave(leave.Group, new GroupMemberChange(sender, leave.Pid, leave.Reason == CpgReason.ProcDown ? CpgReason.ProcDown : CpgReason.Leave), output);
                break;

            case CpgJoinListMessage list:
                if (_syncing)
                {
                    _joinLists[sender.Value] = list.Entries.ToArray();
                }

                break;

            case CpgMcastMessage mcast:
                DeliverMessage(mcast.Group, sender, mcast.Pid, mcast.Data, output);
                break;

            case CpgPartialMcastMessage partial:
                Reassemble(sender, partial, output);
                break;

            case CpgDownListMessage downList:
                output.Logs.Add(new LogEntry(LogSubsystem.Cpg, LogPriority.Debug, $"downlist left_list: {downList.LeftNodes.Count} received"));
                break;

            default:
                output.Logs.Add(new LogEntry(LogSubsystem.Cpg, LogPriority.Debug, $"downlist OLD from node {sender}"));
                break;
        }

        return ServiceDecodeStatus.Ok;
    }

    /// <summary>
    /// The sync barrier of the current ring completed (<c>cpg_sync_activate</c>): processes of nodes that went down
    /// leave (nodedown), processes announced in join lists join (nodeup), processes no join list vouches for leave
    /// (procdown), and every connection learns the new Totem membership.
    /// </summary>
    public void SyncActivate(GroupsOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Invariant.Require(_syncing);

        // (1) one confchg per group removing the processes of nodes that went down.
        foreach (var group in _groups.Keys.ToArray())
        {
            var left = _groups[group]
                .Where(m => Array.IndexOf(_downList, m.NodeId) >= 0)
                .Select(m => new GroupMemberChange(m.NodeId, m.Pid, CpgReason.NodeDown))
                .ToArray();
            if (left.Length > 0)
            {
                NotifyAndApply(group, [], left, output);
            }
        }

        // What each remote member has now: its join list with the joins and leaves delivered since it was built.
        var expected = new SortedSet<(CpgGroupName Group, GroupMember Member)>(Comparer<(CpgGroupName Group, GroupMember Member)>.Create(CompareEntry));
        foreach (var node in _members)
        {
            if (node == _localNode)
            {
                continue;
            }

            if (_joinLists.TryGetValue(node.Value, out var entries))
            {
                foreach (var entry in entries)
                {
                    expected.Add((entry.Group, new GroupMember(node, entry.Pid)));
                }
            }
        }

        foreach (var (member, group, joined) in _changesSinceRegular)
        {
            if (member.NodeId == _localNode || Array.IndexOf(_members, member.NodeId) < 0)
            {
                continue;
            }

            if (joined)
            {
                expected.Add((group, member));
            }
            else
            {
                expected.Remove((group, member));
            }
        }

        // (2) one confchg per group adding processes announced by join lists (nodeup).
        foreach (var byGroup in expected.GroupBy(e => e.Group))
        {
            var joinedList = byGroup
                .Where(e => !IsKnown(e.Group, e.Member))
                .Select(e => new GroupMemberChange(e.Member.NodeId, e.Member.Pid, CpgReason.NodeUp))
                .ToArray();
            if (joinedList.Length > 0)
            {
                NotifyAndApply(byGroup.Key, joinedList, [], output);
            }
        }

        // (3) remote processes nobody vouches for any more leave one by one (procdown).
        foreach (var (group, member) in Processes)
        {
            if (member.NodeId != _localNode && !expected.Contains((group, member)))
            {
                NotifyAndApply(group, [], [new GroupMemberChange(member.NodeId, member.Pid, CpgReason.ProcDown)], output);
            }
        }

        // (4) the Totem membership to every connection.
        output.Events.Add(new GroupTotemMembership(_ringId, _members, _handles.Keys.ToArray()));

        _oldMembers = _members;
        _joinLists.Clear();
        _changesSinceRegular.Clear();
        _downList = [];
        _syncing = false;
        foreach (var key in _reassembly.Keys.Where(k => Array.IndexOf(_members, new NodeId(k.NodeId)) < 0).ToArray())
        {
            _reassembly.Remove(key);
        }
    }

    private static int CompareEntry((CpgGroupName Group, GroupMember Member) a, (CpgGroupName Group, GroupMember Member) b)
    {
        var byGroup = a.Group.CompareTo(b.Group);
        return byGroup != 0 ? byGroup : a.Member.CompareTo(b.Member);
    }

    private void RecordChangeDuringSync(GroupMember member, CpgGroupName group, bool joined)
    {
        if (_syncing)
        {
            _changesSinceRegular.Add((member, group, joined));
        }
    }

    private bool IsKnown(CpgGroupName group, GroupMember member) =>
        _groups.TryGetValue(group, out var members) && members.Contains(member);

    private void ProcessJoin(CpgGroupName group, GroupMemberChange change, GroupsOutput output)
    {
        if (!IsKnown(group, change.Member))
        {
            NotifyAndApply(group, [change], [], output);
        }
    }

    private void ProcessLeave(CpgGroupName group, GroupMemberChange change, GroupsOutput output)
    {
        if (IsKnown(group, change.Member))
        {
            NotifyAndApply(group, [], [change], output);
        }
    }

    /// <summary>Applies one confchg to the process list and reports it to the group's local connections (<c>notify_lib_joinlist</c>).</summary>
    private void NotifyAndApply(CpgGroupName group, GroupMemberChange[] joined, GroupMemberChange[] left, GroupsOutput output)
    {
        if (!_groups.TryGetValue(group, out var members))
        {
            members = [];
            _groups.Add(group, members);
        }

        foreach (var change in joined)
        {
            var added = members.Add(change.Member);
            Invariant.Require(added);
            if (change.NodeId == _localNode)
            {
                foreach (var handle in _handles.Values)
                {
                    if (handle.Pid == change.Pid && handle.Group == group && handle.State == GroupHandleState.JoinStarted)
                    {
                        handle.State = GroupHandleState.JoinCompleted;
                    }
                }
            }
        }

        foreach (var change in left)
        {
            var removed = members.Remove(change.Member);
            Invariant.Require(removed);
        }

        var recipients = _handles.Values
            .Where(h => h.Group == group && h.State is GroupHandleState.JoinCompleted or GroupHandleState.LeaveStarted)
            .Select(h => h.Connection)
            .ToArray();
        output.Events.Add(new GroupConfigurationChanged(group, members.ToArray(), left, joined, recipients));

        foreach (var change in left)
        {
            if (change.NodeId != _localNode || change.Reason != CpgReason.Leave)
            {
                continue;
            }

            foreach (var handle in _handles.Values)
            {
                if (handle.Pid == change.Pid && handle.Group == group && handle.State == GroupHandleState.LeaveStarted)
                {
                    handle.State = GroupHandleState.Unjoined;
                    handle.Group = null;
                    handle.Pid = 0;
                }
            }
        }

        if (members.Count == 0)
        {
            _groups.Remove(group);
        }

        foreach (var handle in _handles.Values)
        {
            if (handle.WantsInitialTotemConfiguration && !handle.InitialTotemConfigurationSent && handle.State == GroupHandleState.JoinCompleted)
            {
                handle.InitialTotemConfigurationSent = true;
                output.Events.Add(new GroupTotemMembership(_ringId, _oldMembers, [handle.Connection]));
            }
        }
    }

    private void DeliverMessage(CpgGroupName group, NodeId sender, uint pid, ReadOnlyMemory<byte> data, GroupsOutput output)
    {
        if (!_groups.TryGetValue(group, out var members) || !members.Any(m => m.NodeId == sender))
        {
            output.Logs.Add(new LogEntry(LogSubsystem.Cpg, LogPriority.Warning, "Unknown node -> we will not deliver message"));
            return;
        }

        var recipients = _handles.Values
            .Where(h => h.Group == group && h.State is GroupHandleState.JoinCompleted or GroupHandleState.LeaveStarted)
            .Select(h => h.Connection)
            .ToArray();
        output.Events.Add(new GroupMessageDelivered(group, sender, pid, data, recipients));
        DeliveredMessages++;
    }

    /// <summary>Reassembles PARTIAL_MCAST fragments (first 1, continued 2, last 3) from a corosync sender, per (node, pid, group).</summary>
    private void Reassemble(NodeId sender, CpgPartialMcastMessage partial, GroupsOutput output)
    {
        const uint first = 1;
        const uint last = 3;
        var key = (sender.Value, partial.Pid, partial.Group);
        if (partial.Type == first)
        {
            if (partial.MessageLength > GroupsLimits.ReassemblySizeMax)
            {
                MalformedMessages++;
                _reassembly.Remove(key);
                return;
            }

            _reassembly[key] = new Reassembly(partial.MessageLength);
        }

        if (!_reassembly.TryGetValue(key, out var buffer) || buffer.Expected != partial.MessageLength
            || buffer.Data.Count + partial.Fragment.Length > buffer.Expected)
        {
            MalformedMessages++;
            _reassembly.Remove(key);
            return;
        }

        buffer.Data.AddRange(partial.Fragment.Span);
        if (partial.Type == last)
        {
            _reassembly.Remove(key);
            if (buffer.Data.Count != buffer.Expected)
            {
                MalformedMessages++;
                return;
            }

            DeliverMessage(partial.Group, sender, partial.Pid, buffer.Data.ToArray(), output);
        }
    }

    private Handle HandleFor(ulong connection)
    {
        if (!_handles.TryGetValue(connection, out var handle))
        {
            handle = new Handle(connection);
            _handles.Add(connection, handle);
        }

        return handle;
    }

    private static void Send(CpgMessage message, GroupsOutput output) =>
        output.Datagrams.Add(CpgCodec.Encode(message));

    private sealed class Handle(ulong connection)
    {
        public ulong Connection { get; } = connection;

        public uint Pid { get; set; }

        public CpgGroupName? Group { get; set; }

        public GroupHandleState State { get; set; }

        public bool WantsInitialTotemConfiguration { get; set; }

        public bool InitialTotemConfigurationSent { get; set; }
    }

    private sealed class Reassembly(uint expected)
    {
        public uint Expected { get; } = expected;

        public List<byte> Data { get; } = [];
    }
}
