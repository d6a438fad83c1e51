using System.Buffers.Binary;

namespace Rookery.Wire.Totem;

/// <summary>
/// Encodes and decodes Totem message version 3 (corosync <c>exec/totemsrp.c</c>, packed structs).
/// Writes little-endian (what x86 corosync sends); reads either byte order, told apart by the
/// 0xC070 magic as corosync's <c>*_endian_convert</c> functions do.
/// </summary>
/// <remarks>Decoders never throw on untrusted input: they return a <see cref="TotemDecodeStatus"/>.</remarks>
public static class TotemCodec
{
    public const ushort Magic = 0xC070;
    public const byte Version = 3;
    public const int HeaderSize = 13;

    /// <summary>Encoded size of <paramref name="message"/> in bytes.</summary>
    public static int SizeOf(TotemMessage message) => message switch
    {
        OrfToken t => OrfToken.FixedSize + (OrfToken.EntrySize * t.RetransmitList.Count),
        Mcast m => Mcast.HeaderSize + m.Payload.Length,
        MergeDetect => MergeDetect.Size,
        Join j => Join.FixedSize + (4 * (j.ProcessorList.Count + j.FailedList.Count)),
        CommitToken c => CommitToken.FixedSize + (CommitToken.EntrySize * c.Members.Count),
        TokenHoldCancel => TokenHoldCancel.Size,
        _ => throw new ArgumentException("unknown Totem message", nameof(message)),
    };

    public static byte[] Encode(TotemMessage message)
    {
        var bytes = new byte[SizeOf(message)];
        Write(message, bytes);
        return bytes;
    }

    /// <summary>Writes <paramref name="message"/> little-endian; <paramref name="destination"/> must hold <see cref="SizeOf"/> bytes.</summary>
    public static void Write(TotemMessage message, Span<byte> destination)
    {
        var size = SizeOf(message);
        Invariant.Require(destination.Length >= size);
        var w = new Writer(destination);
        w.U16(Magic);
        w.U8(Version);
        w.U8((byte)message.Type);
        w.U8(message is Mcast mc ? mc.Encapsulated : TotemEncapsulation.None);
        w.U32(message.Sender.Value);
        w.U32(message.Target.Value);
        switch (message)
        {
            case OrfToken t:
                Invariant.Require(t.RetransmitList.Count <= TotemWireLimits.RetransmitEntriesMax);
                w.U32(t.Seq);
                w.U32(t.TokenSeq);
                w.U32(t.Aru);
                w.U32(t.AruAddr.Value);
                w.Ring(t.RingId);
                w.U32(t.Backlog);
                w.U32(t.Fcc);
                w.U32(unchecked((uint)t.RetransFlag));
                w.U32((uint)t.RetransmitList.Count);
                foreach (var entry in t.RetransmitList)
                {
                    w.Ring(entry.RingId);
                    w.U32(entry.Seq);
                }

                break;
            case Mcast m:
                w.U32(m.SystemFrom.Value);
                w.U32(m.Seq);
                w.U32(unchecked((uint)m.ThisSeqno));
                w.Ring(m.RingId);
                w.U32(m.NodeIdField);
                w.U32(unchecked((uint)m.Guarantee));
                w.Bytes(m.Payload.Span);
                break;
            case MergeDetect d:
                w.U32(d.SystemFrom.Value);
                w.Ring(d.RingId);
                break;
            case Join j:
                Invariant.Require(j.ProcessorList.Count <= TotemWireLimits.ProcessorsMax && j.FailedList.Count <= TotemWireLimits.ProcessorsMax);
                w.U32(j.SystemFrom.Value);
                w.U32((uint)j.ProcessorList.Count);
                w.U32((uint)j.FailedList.Count);
                w.U64(j.RingSeq);
                foreach (var node in j.ProcessorList)
                {
                    w.U32(node.Value);
                }

                foreach (var node in j.FailedList)
                {
                    w.U32(node.Value);
                }

                break;
            case CommitToken c:
                Invariant.Require(c.Members.Count == c.Entries.Count && c.Members.Count <= TotemWireLimits.ProcessorsMax);
                w.U32(c.TokenSeq);
                w.Ring(c.RingId);
                w.U32(c.RetransFlag);
                w.U32(unchecked((uint)c.MemberIndex));
                w.U32((uint)c.Members.Count);
                foreach (var node in c.Members)
                {
                    w.U32(node.Value);
                }

                foreach (var entry in c.Entries)
                {
                    w.Ring(entry.OldRingId);
                    w.U32(entry.Aru);
                    w.U32(entry.HighDelivered);
                    w.U32(entry.ReceivedFlag);
                }

                break;
            case TokenHoldCancel h:
                w.Ring(h.RingId);
                break;
        }

        Invariant.Require(w.Position == size);
    }

    /// <summary>
    /// Reads the type of a datagram without decoding it (for counters); returns false when the
    /// header is not a valid Totem v3 header.
    /// </summary>
    public static bool TryPeekType(ReadOnlySpan<byte> bytes, out TotemMessageType type)
    {
        type = default;
        if (bytes.Length < HeaderSize || ReadOrder(bytes) is null || bytes[2] != Version || bytes[3] > (byte)TotemMessageType.TokenHoldCancel)
        {
            return false;
        }

        type = (TotemMessageType)bytes[3];
        return true;
    }

    /// <summary>Decodes one untrusted datagram. Never throws; on failure <paramref name="message"/> is null.</summary>
    public static TotemDecodeStatus TryDecode(ReadOnlySpan<byte> bytes, out TotemMessage? message) => TryDecode(bytes, null, out message);

    /// <summary>
    /// Decodes one untrusted datagram whose bytes the caller hands over: an MCAST's payload is a slice of
    /// <paramref name="bytes"/>, not a copy, so they must never change afterwards. Never throws.
    /// </summary>
    public static TotemDecodeStatus TryDecode(ReadOnlyMemory<byte> bytes, out TotemMessage? message) => TryDecode(bytes.Span, bytes, out message);

    private static TotemDecodeStatus TryDecode(ReadOnlySpan<byte> bytes, ReadOnlyMemory<byte>? owned, out TotemMessage? message)
    {
        message = null;
        if (bytes.Length < HeaderSize)
        {
            return TotemDecodeStatus.TooShort;
        }

        if (ReadOrder(bytes) is not { } bigEndian)
        {
            return TotemDecodeStatus.BadMagic;
        }

        if (bytes[2] != Version)
        {
            return TotemDecodeStatus.UnsupportedVersion;
        }

        var r = new Reader(bytes, bigEndian);
        r.Skip(3);
        var type = r.U8();
        var encapsulated = r.U8();
        var sender = new NodeId(r.U32());
        var target = new NodeId(r.U32());
        return type switch
        {
            (byte)TotemMessageType.OrfToken => DecodeOrfToken(ref r, sender, target, out message),
            (byte)TotemMessageType.Mcast => DecodeMcast(ref r, bytes, owned, encapsulated, sender, target, out message),
            (byte)TotemMessageType.MergeDetect => DecodeFixed(ref r, MergeDetect.Size, out message, (ref Reader x) => new MergeDetect(sender, target, new NodeId(x.U32()), x.Ring())),
            (byte)TotemMessageType.Join => DecodeJoin(ref r, sender, target, out message),
            (byte)TotemMessageType.CommitToken => DecodeCommitToken(ref r, sender, target, out message),
            (byte)TotemMessageType.TokenHoldCancel => DecodeFixed(ref r, TokenHoldCancel.Size, out message, (ref Reader x) => new TokenHoldCancel(sender, target, x.Ring())),
            _ => TotemDecodeStatus.UnknownType,
        };
    }

    private delegate TotemMessage FixedBody(ref Reader reader);

    private static bool? ReadOrder(ReadOnlySpan<byte> bytes)
    {
        var little = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        if (little == Magic)
        {
            return false;
        }

        return BinaryPrimitives.ReadUInt16BigEndian(bytes) == Magic ? true : null;
    }

    private static TotemDecodeStatus DecodeFixed(ref Reader r, int size, out TotemMessage? message, FixedBody body)
    {
        message = null;
        if (r.Length != size)
        {
            return r.Length < size ? TotemDecodeStatus.TooShort : TotemDecodeStatus.LengthMismatch;
        }

        message = body(ref r);
        return TotemDecodeStatus.Ok;
    }

    private static TotemDecodeStatus DecodeOrfToken(ref Reader r, NodeId sender, NodeId target, out TotemMessage? message)
    {
        message = null;
        if (r.Length < OrfToken.FixedSize)
        {
            return TotemDecodeStatus.TooShort;
        }

        var seq = r.U32();
        var tokenSeq = r.U32();
        var aru = r.U32();
        var aruAddr = new NodeId(r.U32());
        var ring = r.Ring();
        var backlog = r.U32();
        var fcc = r.U32();
        var retransFlag = unchecked((int)r.U32());
        var entries = unchecked((int)r.U32());
        if (entries is < 0 or > TotemWireLimits.RetransmitEntriesMax)
        {
            return TotemDecodeStatus.TooManyEntries;
        }

        var size = OrfToken.FixedSize + (OrfToken.EntrySize * entries);
        if (r.Length != size)
        {
            return r.Length < size ? TotemDecodeStatus.TooShort : TotemDecodeStatus.LengthMismatch;
        }

        var list = new RetransmitRequest[entries];
        for (var i = 0; i < entries; i++)
        {
            list[i] = new RetransmitRequest(r.Ring(), r.U32());
        }

        message = new OrfToken(sender, target, seq, tokenSeq, aru, aruAddr, ring, backlog, fcc, retransFlag, list);
        return TotemDecodeStatus.Ok;
    }

    private static TotemDecodeStatus DecodeMcast(ref Reader r, ReadOnlySpan<byte> bytes, ReadOnlyMemory<byte>? owned, byte encapsulated, NodeId sender, NodeId target, out TotemMessage? message)
    {
        message = null;
        if (r.Length < Mcast.HeaderSize)
        {
            return TotemDecodeStatus.TooShort;
        }

        var systemFrom = new NodeId(r.U32());
        var seq = r.U32();
        var thisSeqno = unchecked((int)r.U32());
        var ring = r.Ring();
        var nodeIdField = r.U32();
        var guarantee = unchecked((int)r.U32());
        ReadOnlyMemory<byte> payload = owned is { } whole ? whole[Mcast.HeaderSize..] : bytes[Mcast.HeaderSize..].ToArray();
        message = new Mcast(sender, target, encapsulated, systemFrom, seq, thisSeqno, ring, nodeIdField, guarantee, payload);
        return TotemDecodeStatus.Ok;
    }

    private static TotemDecodeStatus DecodeJoin(ref Reader r, NodeId sender, NodeId target, out TotemMessage? message)
    {
        message = null;
        if (r.Length < Join.FixedSize)
        {
            return TotemDecodeStatus.TooShort;
        }

        var systemFrom = new NodeId(r.U32());
        var processors = r.U32();
        var failed = r.U32();
        var ringSeq = r.U64();
        if (processors > TotemWireLimits.ProcessorsMax || failed > TotemWireLimits.ProcessorsMax)
        {
            return TotemDecodeStatus.TooManyEntries;
        }

        var size = Join.FixedSize + (4 * (int)(processors + failed));
        if (r.Length != size)
        {
            return r.Length < size ? TotemDecodeStatus.TooShort : TotemDecodeStatus.LengthMismatch;
        }

        message = new Join(sender, target, systemFrom, r.Nodes((int)processors), r.Nodes((int)failed), ringSeq);
        return TotemDecodeStatus.Ok;
    }

    private static TotemDecodeStatus DecodeCommitToken(ref Reader r, NodeId sender, NodeId target, out TotemMessage? message)
    {
        message = null;
        if (r.Length < CommitToken.FixedSize)
        {
            return TotemDecodeStatus.TooShort;
        }

        var tokenSeq = r.U32();
        var ring = r.Ring();
        var retransFlag = r.U32();
        var memberIndex = unchecked((int)r.U32());
        var count = unchecked((int)r.U32());
        if (count is < 0 or > TotemWireLimits.ProcessorsMax)
        {
            return TotemDecodeStatus.TooManyEntries;
        }

        var size = CommitToken.FixedSize + (CommitToken.EntrySize * count);
        if (r.Length != size)
        {
            return r.Length < size ? TotemDecodeStatus.TooShort : TotemDecodeStatus.LengthMismatch;
        }

        var members = r.Nodes(count);
        var entries = new CommitTokenEntry[count];
        for (var i = 0; i < count; i++)
        {
            entries[i] = new CommitTokenEntry(r.Ring(), r.U32(), r.U32(), r.U32());
        }

        message = new CommitToken(sender, target, tokenSeq, ring, retransFlag, memberIndex, members, entries);
        return TotemDecodeStatus.Ok;
    }

    private ref struct Writer(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Position { get; private set; }

        public void U8(byte value) => _destination[Position++] = value;

        public void U16(ushort value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_destination[Position..], value);
            Position += 2;
        }

        public void U32(uint value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_destination[Position..], value);
            Position += 4;
        }

        public void U64(ulong value)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_destination[Position..], value);
            Position += 8;
        }

        public void Ring(RingId ring)
        {
            U32(ring.Representative.Value);
            U64(ring.Sequence);
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_destination[Position..]);
            Position += bytes.Length;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> source, bool bigEndian)
    {
        private readonly ReadOnlySpan<byte> _source = source;
        private readonly bool _bigEndian = bigEndian;
        private int _position;

        public readonly int Length => _source.Length;

        public void Skip(int count) => _position += count;

        public byte U8() => _source[_position++];

        public uint U32()
        {
            var slice = _source.Slice(_position, 4);
            _position += 4;
            return _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(slice) : BinaryPrimitives.ReadUInt32LittleEndian(slice);
        }

        public ulong U64()
        {
            var slice = _source.Slice(_position, 8);
            _position += 8;
            return _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(slice) : BinaryPrimitives.ReadUInt64LittleEndian(slice);
        }

        public RingId Ring() => new(new NodeId(U32()), U64());

        public NodeId[] Nodes(int count)
        {
            var nodes = new NodeId[count];
            for (var i = 0; i < count; i++)
            {
                nodes[i] = new NodeId(U32());
            }

            return nodes;
        }
    }
}
