namespace Rookery.Links;

/// <summary>
/// Reassembly of fragmented DATA from one source (knet-spec §6.4): at most
/// <see cref="LinksLimits.ReassemblyBuffersMax"/> messages in progress, the least recently updated one
/// evicted when a new one needs room, and a message more than <see cref="LinksLimits.ReassemblyWindow"/>
/// seqs behind the newest abandoned. Fragments may arrive in any order and on any link; duplicates are ignored.
/// </summary>
internal sealed class Reassembler
{
    private readonly Buffer?[] _buffers = new Buffer?[LinksLimits.ReassemblyBuffersMax];
    private long _updates;

    /// <summary>Result of adding a fragment.</summary>
    public enum Outcome
    {
        /// <summary>Stored; the message is not complete yet.</summary>
        Pending,

        /// <summary>The message is complete.</summary>
        Complete,

        /// <summary>Dropped: inconsistent with earlier fragments of the same seq, or too large.</summary>
        Rejected,

        /// <summary>Dropped: a copy of a fragment already held.</summary>
        Duplicate,
    }

    /// <summary>
    /// Adds fragment <paramref name="fragmentSeq"/> (1-based) of <paramref name="fragmentCount"/> for
    /// <paramref name="seq"/>. On <see cref="Outcome.Complete"/>, <paramref name="message"/> is the whole message.
    /// </summary>
    public Outcome Add(ushort seq, byte fragmentCount, byte fragmentSeq, ReadOnlySpan<byte> fragment, out byte[]? message, out int evicted)
    {
        message = null;
        evicted = 0;
        var buffer = Find(seq);
        if (buffer is null)
        {
            evicted = Reclaim(seq);
            buffer = new Buffer(seq, fragmentCount);
            var slot = FreeOrOldestSlot();
            if (_buffers[slot] is not null)
            {
                evicted++;
            }

            _buffers[slot] = buffer;
        }

        if (buffer.Fragments.Length != fragmentCount)
        {
            return Outcome.Rejected;
        }

        if (buffer.Fragments[fragmentSeq - 1] is not null)
        {
            return Outcome.Duplicate;
        }

        if (buffer.Size + fragment.Length > LinksLimits.MessageSizeMax)
        {
            Remove(buffer);
            return Outcome.Rejected;
        }

        buffer.Fragments[fragmentSeq - 1] = fragment.ToArray();
        buffer.Size += fragment.Length;
        buffer.Received++;
        buffer.LastUpdate = ++_updates;
        if (buffer.Received < fragmentCount)
        {
            return Outcome.Pending;
        }

        message = new byte[buffer.Size];
        var offset = 0;
        foreach (var piece in buffer.Fragments)
        {
            piece!.CopyTo(message, offset);
            offset += piece.Length;
        }

        Remove(buffer);
        return Outcome.Complete;
    }

    /// <summary>Abandons every partial message (the source became unreachable or restarted).</summary>
    public int Clear()
    {
        var count = 0;
        for (var slot = 0; slot < _buffers.Length; slot++)
        {
            count += _buffers[slot] is null ? 0 : 1;
            _buffers[slot] = null;
        }

        return count;
    }

    private Buffer? Find(ushort seq)
    {
        foreach (var buffer in _buffers)
        {
            if (buffer is not null && buffer.Seq == seq)
            {
                return buffer;
            }
        }

        return null;
    }

    private int Reclaim(ushort newest)
    {
        var count = 0;
        for (var slot = 0; slot < _buffers.Length; slot++)
        {
            var buffer = _buffers[slot];
            if (buffer is not null && unchecked((ushort)(newest - buffer.Seq)) is >= LinksLimits.ReassemblyWindow and < 32768)
            {
                _buffers[slot] = null;
                count++;
            }
        }

        return count;
    }

    private int FreeOrOldestSlot()
    {
        var oldest = 0;
        for (var slot = 0; slot < _buffers.Length; slot++)
        {
            var buffer = _buffers[slot];
            if (buffer is null)
            {
                return slot;
            }

            if (buffer.LastUpdate < _buffers[oldest]!.LastUpdate)
            {
                oldest = slot;
            }
        }

        return oldest;
    }

    private void Remove(Buffer buffer)
    {
        for (var slot = 0; slot < _buffers.Length; slot++)
        {
            if (ReferenceEquals(_buffers[slot], buffer))
            {
                _buffers[slot] = null;
            }
        }
    }

    private sealed class Buffer(ushort seq, byte fragmentCount)
    {
        public ushort Seq { get; } = seq;

        public byte[]?[] Fragments { get; } = new byte[]?[fragmentCount];

        public int Received { get; set; }

        public int Size { get; set; }

        public long LastUpdate { get; set; }
    }
}
