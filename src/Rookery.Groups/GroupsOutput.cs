using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Groups;

/// <summary>A process in a group: CPG identifies members by (node id, pid).</summary>
public readonly record struct GroupMember(NodeId NodeId, uint Pid) : IComparable<GroupMember>
{
    public int CompareTo(GroupMember other)
    {
        var byNode = NodeId.CompareTo(other.NodeId);
        return byNode != 0 ? byNode : Pid.CompareTo(other.Pid);
    }

    public override string ToString() => $"{NodeId}/{Pid}";
}

/// <summary>An entry of a confchg's left or joined list: the process and why (join, leave, nodedown, nodeup, procdown).</summary>
public readonly record struct GroupMemberChange(NodeId NodeId, uint Pid, CpgReason Reason)
{
    public GroupMember Member => new(NodeId, Pid);

    public override string ToString() => $"{NodeId}/{Pid}:{Reason}";
}

/// <summary>
/// Caller-owned output of the groups core (the <see cref="CoreOutput{TDatagram, TEvent}"/> contract): cpg service
/// messages (qb header onwards) to submit to Totem in group "a" in list order, then the events for local connections in
/// list order (deliveries and confchgs in agreed order), and CPG's log records. The groups core has no state to persist.
/// </summary>
public sealed class GroupsOutput : CoreOutput<byte[], GroupsEvent>;

/// <summary>
/// An event of the groups core for local connections. Events carry their recipients (local connection ids); they are
/// emitted even with no local recipient, so every node produces the same event stream.
/// </summary>
public abstract record GroupsEvent;

/// <summary>A group's membership changed (cpg confchg callback): members after the change, who left, who joined.</summary>
public sealed record GroupConfigurationChanged(
    CpgGroupName Group,
    IReadOnlyList<GroupMember> Members,
    IReadOnlyList<GroupMemberChange> Left,
    IReadOnlyList<GroupMemberChange> Joined,
    IReadOnlyList<ulong> Recipients) : GroupsEvent
{
    public override string ToString() =>
        $"confchg {Group} members=[{string.Join(' ', Members)}] left=[{string.Join(' ', Left)}] joined=[{string.Join(' ', Joined)}]";
}

/// <summary>A message delivered to a group in agreed order (cpg deliver callback).</summary>
public sealed record GroupMessageDelivered(
    CpgGroupName Group, NodeId NodeId, uint Pid, ReadOnlyMemory<byte> Data, IReadOnlyList<ulong> Recipients) : GroupsEvent
{
    public override string ToString() => $"deliver {Group} from {NodeId}/{Pid} {Convert.ToHexString(Data.Span)}";
}

/// <summary>The Totem membership after a sync (cpg totem confchg callback), to every connection.</summary>
public sealed record GroupTotemMembership(RingId RingId, IReadOnlyList<NodeId> Members, IReadOnlyList<ulong> Recipients) : GroupsEvent
{
    public override string ToString() => $"totem {RingId} [{string.Join(' ', Members)}]";
}

/// <summary>Result of a local command: corosync's library error codes for the same situations.</summary>
public enum GroupsResult
{
    Ok = 0,

    /// <summary>CS_ERR_EXIST: the handle is already joined, or the same pid already joined the group on another handle.</summary>
    Exist = 1,

    /// <summary>CS_ERR_BUSY: a join or leave of this handle is still in flight.</summary>
    Busy = 2,

    /// <summary>CS_ERR_NOT_EXIST: the handle is not joined.</summary>
    NotExist = 3,

    /// <summary>CS_ERR_TRY_AGAIN: the previous leave of this pid is not delivered yet, or a sync is running.</summary>
    TryAgain = 4,

    /// <summary>CS_ERR_TOO_BIG: the message is larger than <see cref="GroupsLimits.MessageSizeMax"/>.</summary>
    TooBig = 5,
}

/// <summary>State of a local connection (corosync <c>enum cpd_state</c>).</summary>
public enum GroupHandleState
{
    Unjoined = 0,
    LeaveStarted = 1,
    JoinStarted = 2,
    JoinCompleted = 3,
}

/// <summary>Bounds of the groups core.</summary>
public static class GroupsLimits
{
    /// <summary>Largest message a connection may send (<c>cpg_max_atomic_msgsize_get</c>: IPC request size 1 MiB − 1 KiB).</summary>
    public const int MessageSizeMax = (1024 * 1024) - 1024;

    /// <summary>Largest message reassembled from PARTIAL_MCAST fragments of a corosync sender.</summary>
    public const int ReassemblySizeMax = 64 * 1024 * 1024;
}
