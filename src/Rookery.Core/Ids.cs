namespace Rookery;

/// <summary>A corosync node id (<c>nodelist.node.nodeid</c>): 1..<see cref="Limits.NodeIdMax"/>; 0 is never a node.</summary>
public readonly record struct NodeId(uint Value) : IComparable<NodeId>
{
    public bool IsValid => Value is > 0 and <= Limits.NodeIdMax;

    public int CompareTo(NodeId other) => Value.CompareTo(other.Value);

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A link number (<c>interface.linknumber</c>, <c>ringX_addr</c>): 0..<see cref="Limits.LinksMax"/>-1.</summary>
public readonly record struct LinkId(byte Value) : IComparable<LinkId>
{
    public bool IsValid => Value < Limits.LinksMax;

    public int CompareTo(LinkId other) => Value.CompareTo(other.Value);

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
