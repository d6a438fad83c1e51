using Rookery.Wire.Totem;

namespace Rookery.Totem;

/// <summary>
/// Rollover-aware comparisons of 32-bit message sequence numbers (corosync <c>include/corosync/sq.h</c>
/// <c>sq_lt_compare</c>: when either value is above 0x80000000 both are shifted by 0x10000).
/// </summary>
public static class SequenceNumber
{
    public static bool LessThan(uint a, uint b)
    {
        if (a > 0x80000000u || b > 0x80000000u)
        {
            return unchecked(a + 0x10000u) < unchecked(b + 0x10000u);
        }

        return a < b;
    }

    public static bool LessOrEqual(uint a, uint b) => a == b || LessThan(a, b);
}

/// <summary>A message held in a sort queue: decoded, plus its exact bytes for retransmission and encapsulation.</summary>
internal sealed record SortQueueItem(Mcast Message, byte[] Bytes);

/// <summary>
/// Messages of one ring indexed by sequence number (corosync <c>struct sq</c>): a window of
/// <see cref="TotemLimits.SortQueueSize"/> slots above the last released sequence, each with a miss counter.
/// Only looked up by key, never enumerated, so decisions do not depend on dictionary order.
/// </summary>
internal sealed class SortQueue
{
    private readonly Dictionary<uint, SortQueueItem> _items = [];
    private readonly Dictionary<uint, int> _misses = [];
    private uint _head = 1;

    public void Reinit(uint startSeq)
    {
        _items.Clear();
        _misses.Clear();
        _head = unchecked(startSeq + 1);
    }

    public bool InRange(uint seq) => unchecked(seq - _head) < TotemLimits.SortQueueSize;

    public bool InUse(uint seq) => _items.ContainsKey(seq);

    public SortQueueItem? Get(uint seq) => _items.GetValueOrDefault(seq);

    public void Add(uint seq, SortQueueItem item)
    {
        _items[seq] = item;
        _misses.Remove(seq);
    }

    /// <summary>Counts one more token visit on which <paramref name="seq"/> was missing; returns the count.</summary>
    public int MissCount(uint seq)
    {
        var count = _misses.GetValueOrDefault(seq) + 1;
        _misses[seq] = count;
        return count;
    }

    /// <summary>Frees every slot up to and including <paramref name="seq"/>.</summary>
    public void ReleaseThrough(uint seq)
    {
        while (SequenceNumber.LessOrEqual(_head, seq) && unchecked(seq - _head) < TotemLimits.SortQueueSize)
        {
            _items.Remove(_head);
            _misses.Remove(_head);
            _head = unchecked(_head + 1);
        }
    }

    /// <summary>Replaces this queue's content with <paramref name="other"/>'s (corosync <c>sq_copy</c>).</summary>
    public void CopyFrom(SortQueue other)
    {
        _items.Clear();
        _misses.Clear();
        foreach (var (seq, item) in other._items)
        {
            _items[seq] = item;
        }

        _head = other._head;
    }
}

/// <summary>Sorted, duplicate-free node lists used as sets (corosync <c>memb_set_*</c>).</summary>
internal static class NodeSet
{
    public static List<NodeId> Of(IEnumerable<NodeId> nodes)
    {
        var list = new List<NodeId>(nodes);
        list.Sort();
        for (var i = list.Count - 1; i > 0; i--)
        {
            if (list[i] == list[i - 1])
            {
                list.RemoveAt(i);
            }
        }

        return list;
    }

    public static bool Contains(IReadOnlyList<NodeId> set, NodeId node)
    {
        for (var i = 0; i < set.Count; i++)
        {
            if (set[i] == node)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds <paramref name="nodes"/> to <paramref name="set"/>; true when it grew.</summary>
    public static bool Merge(List<NodeId> set, IEnumerable<NodeId> nodes)
    {
        var grew = false;
        foreach (var node in nodes)
        {
            var index = set.BinarySearch(node);
            if (index < 0)
            {
                set.Insert(~index, node);
                grew = true;
            }
        }

        return grew;
    }

    public static List<NodeId> Subtract(IReadOnlyList<NodeId> set, IReadOnlyList<NodeId> remove)
    {
        var result = new List<NodeId>();
        foreach (var node in set)
        {
            if (!Contains(remove, node))
            {
                result.Add(node);
            }
        }

        result.Sort();
        return result;
    }

    public static bool IsSubset(IReadOnlyList<NodeId> subset, IReadOnlyList<NodeId> set)
    {
        foreach (var node in subset)
        {
            if (!Contains(set, node))
            {
                return false;
            }
        }

        return true;
    }

    public static bool SetEquals(IReadOnlyList<NodeId> a, IReadOnlyList<NodeId> b) => IsSubset(a, b) && IsSubset(b, a);

    public static string Format(IEnumerable<NodeId> nodes) => string.Join(' ', nodes.Select(n => n.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
