namespace Rookery.Links;

/// <summary>
/// Per-source duplicate suppression with libknet ≤ 1.33 semantics (knet-spec §3.5): the reference is the
/// newest seq seen and a 4096-slot ring remembers which of the last 4096 seqs were delivered. A seq at or
/// behind the reference by less than the window is answered from the ring; one ahead by less than the
/// window slides it; anything farther re-bases the window.
/// </summary>
internal sealed class DedupWindow
{
    private readonly bool[] _delivered = new bool[LinksLimits.DedupWindowSize];
    private ushort _reference;
    private bool _hasReference;

    /// <summary>The newest seq seen, when any.</summary>
    public ushort Reference => _reference;

    /// <summary>Answers whether <paramref name="seq"/> was already delivered, moving the window as knet does.</summary>
    public bool IsDelivered(ushort seq)
    {
        if (!_hasReference)
        {
            _reference = seq;
            _hasReference = true;
        }

        var behind = unchecked((ushort)(_reference - seq));
        if (behind < LinksLimits.DedupWindowSize)
        {
            return _delivered[seq % LinksLimits.DedupWindowSize];
        }

        if (behind <= ushort.MaxValue - LinksLimits.DedupWindowSize)
        {
            // Far away in either direction: forget everything and start over at this seq.
            Array.Clear(_delivered);
        }
        else
        {
            // Ahead by less than the window: clear the slots the window slides over.
            for (var slot = unchecked((ushort)(_reference + 1)); slot != seq; slot = unchecked((ushort)(slot + 1)))
            {
                _delivered[slot % LinksLimits.DedupWindowSize] = false;
            }

            _delivered[seq % LinksLimits.DedupWindowSize] = false;
        }

        _reference = seq;
        return false;
    }

    /// <summary>Records that <paramref name="seq"/> was delivered.</summary>
    public void MarkDelivered(ushort seq) => _delivered[seq % LinksLimits.DedupWindowSize] = true;

    /// <summary>Clears the history and re-bases at <paramref name="seq"/> (0 = wait for the next seq), as a peer restart or an untimed ping does.</summary>
    public void Reset(ushort seq)
    {
        Array.Clear(_delivered);
        _reference = seq;
        _hasReference = seq != 0;
    }
}
