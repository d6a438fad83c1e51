namespace Rookery.Simulation.Checking;

/// <summary>
/// One incarnation of a node: a crash and restart starts a new process with the same node id and
/// an empty history, as a real daemon restart does.
/// </summary>
public readonly record struct ProcessId(NodeId Node, int Incarnation) : IComparable<ProcessId>
{
    public int CompareTo(ProcessId other)
    {
        var byNode = Node.CompareTo(other.Node);
        return byNode != 0 ? byNode : Incarnation.CompareTo(other.Incarnation);
    }

    public override string ToString() => $"{Node}#{Incarnation}";
}

/// <summary>Identity of one workload message: its sending process and that process's submit counter (from 1).</summary>
public readonly record struct MessageId(ProcessId Sender, ulong Sequence)
{
    public override string ToString() => $"{Sender}:{Sequence}";
}
