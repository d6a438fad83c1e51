namespace Rookery.Simulation.Checking;

/// <summary>A process-group member as CPG names it: (node id, pid).</summary>
public readonly record struct GroupMember(NodeId Node, uint Pid) : IComparable<GroupMember>
{
    public int CompareTo(GroupMember other)
    {
        var byNode = Node.CompareTo(other.Node);
        return byNode != 0 ? byNode : Pid.CompareTo(other.Pid);
    }

    public override string ToString() => $"{Node}/{Pid}";
}

/// <summary>Where a group event comes from, which decides what must be identical across nodes.</summary>
public enum GroupChangeCause
{
    /// <summary>An agreed-order delivery (a process joined or left): identical on every node, lists included.</summary>
    Agreed,

    /// <summary>
    /// The sync after a membership change (node down, node up, zombie removal). Each node reports what
    /// changed from its own previous view, so the left and joined lists legitimately differ by node;
    /// what must agree is the view once the sync completes (<see cref="Snapshot"/>).
    /// </summary>
    Sync,

    /// <summary>Every process of every group right after a sync completed (<see cref="GroupChange.Group"/> is "*[group:node/pid,...]").</summary>
    Snapshot,
}

/// <summary>
/// One group membership event as a node reports it (CPG confchg): the group, the members after
/// the change, and who left and joined with their reasons (CPG reason codes: join 1, leave 2,
/// node down 3, node up 4, process down 5).
/// </summary>
public sealed record GroupChange(
    string Group,
    IReadOnlyList<GroupMember> Members,
    IReadOnlyList<(GroupMember Member, int Reason)> Left,
    IReadOnlyList<(GroupMember Member, int Reason)> Joined,
    GroupChangeCause Cause = GroupChangeCause.Agreed)
{
    /// <summary>A canonical text form; two events are the same event when these are equal.</summary>
    public string Canonical =>
        $"{Cause} {Group} members[{string.Join(",", Members)}] left[{string.Join(",", Left.Select(l => $"{l.Member}:{l.Reason}"))}] joined[{string.Join(",", Joined.Select(j => $"{j.Member}:{j.Reason}"))}]";

    public override string ToString() => Canonical;
}
