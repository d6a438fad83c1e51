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

/// <summary>
/// One group membership event as a node reports it (CPG confchg): the group, the members after
/// the change, and who left and joined with their reasons (CPG reason codes: join 1, leave 2,
/// node down 3, node up 4, process down 5).
/// </summary>
public sealed record GroupChange(
    string Group,
    IReadOnlyList<GroupMember> Members,
    IReadOnlyList<(GroupMember Member, int Reason)> Left,
    IReadOnlyList<(GroupMember Member, int Reason)> Joined)
{
    /// <summary>A canonical text form; two events are the same event when these are equal.</summary>
    public string Canonical =>
        $"{Group} members[{string.Join(",", Members)}] left[{string.Join(",", Left.Select(l => $"{l.Member}:{l.Reason}"))}] joined[{string.Join(",", Joined.Select(j => $"{j.Member}:{j.Reason}"))}]";

    public override string ToString() => Canonical;
}
