namespace Rookery.Wire.Totem;

/// <summary>
/// A Totem ring identifier: the representative node of the ring and the ring sequence number
/// (corosync: <c>struct memb_ring_id { rep; seq }</c>). Shown as <c>rep.seq</c> in hex, as corosync
/// prints it ("A new membership (1.1c) was formed").
/// </summary>
public readonly record struct RingId(NodeId Representative, ulong Sequence) : IComparable<RingId>
{
    /// <summary>Orders by sequence, then representative.</summary>
    public int CompareTo(RingId other)
    {
        var bySequence = Sequence.CompareTo(other.Sequence);
        return bySequence != 0 ? bySequence : Representative.CompareTo(other.Representative);
    }

    public override string ToString() => $"{Representative.Value:x}.{Sequence:x}";
}
