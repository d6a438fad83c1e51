using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Rookery.Control;

/// <summary>
/// Binary frames of the control socket for group data, the hot path: a delivered message (daemon to client) and a
/// batch of messages to send (client to daemon), without JSON or base64. Everything else stays JSON lines.
/// <code>
/// frame:    u8 marker 0xB7 · u8 kind · u32 body length · body                      (integers little-endian)
/// deliver:  u32 nodeid · u32 pid · i64 time (Unix µs) · u8 n · ring id (n ASCII) · u8 n · group (n UTF-8) · payload
/// send:     i64 request id · u8 n · group (n UTF-8) · u32 count · count × (u32 length · payload)
/// </code>
/// The marker can never start a JSON line (0xB7 is a UTF-8 continuation byte), so both kinds share one stream:
/// <see cref="LineFrameReader"/> returns a binary frame whole (header included) as <see cref="FrameStatus.Binary"/>.
/// A client asks for binary deliveries with <c>"binary":true</c> in <c>group_join</c>; a daemon that speaks them says
/// <c>"binary":true</c> in the reply, and only then does the client send binary batches. The reply to a binary send is
/// the JSON reply of <c>group_send</c> (same <c>id</c>, <c>accepted</c>).
/// </summary>
public static class GroupFrames
{
    /// <summary>First byte of every binary frame.</summary>
    public const byte Marker = 0xB7;

    /// <summary>Marker, kind and body length.</summary>
    public const int HeaderSize = 6;

    /// <summary>Daemon to client: one delivered group message.</summary>
    public const byte KindDeliver = 1;

    /// <summary>Client to daemon: a batch of messages for one group (<c>group_send</c>).</summary>
    public const byte KindSend = 2;

    /// <summary>Largest body either side accepts: a frame never exceeds <see cref="ControlProtocol.FrameSizeMax"/>.</summary>
    public const int BodySizeMax = ControlProtocol.FrameSizeMax - HeaderSize;

    private const int DeliverFixedSize = 4 + 4 + 8 + 1 + 1;
    private const int SendFixedSize = 8 + 1 + 4;

    /// <summary>Body length of a frame that starts with <paramref name="header"/> (at least <see cref="HeaderSize"/> bytes with the marker first).</summary>
    public static int BodyLength(ReadOnlySpan<byte> header) => (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(header[2..]));

    /// <summary>Appends a deliver frame. <paramref name="ring"/> and <paramref name="group"/> are the encoded ring id (ASCII) and group name (UTF-8), at most 255 bytes each.</summary>
    public static void WriteDeliver(IBufferWriter<byte> writer, uint nodeid, uint pid, long unixMicroseconds, ReadOnlySpan<byte> ring, ReadOnlySpan<byte> group, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ring.Length, byte.MaxValue);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(group.Length, byte.MaxValue);
        var body = DeliverFixedSize + ring.Length + group.Length + payload.Length;
        var span = writer.GetSpan(HeaderSize + body);
        WriteHeader(span, KindDeliver, body);
        var at = HeaderSize;
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], nodeid);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 4)..], pid);
        BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], unixMicroseconds);
        at += 16;
        at = WriteShortString(span, at, ring);
        at = WriteShortString(span, at, group);
        payload.CopyTo(span[at..]);
        writer.Advance(HeaderSize + body);
    }

    /// <summary>A decoded deliver frame; the spans point into the frame.</summary>
    public readonly ref struct Deliver(uint nodeid, uint pid, long unixMicroseconds, ReadOnlySpan<byte> ring, ReadOnlySpan<byte> group, ReadOnlySpan<byte> payload)
    {
        public uint Nodeid { get; } = nodeid;

        public uint Pid { get; } = pid;

        public long UnixMicroseconds { get; } = unixMicroseconds;

        public ReadOnlySpan<byte> Ring { get; } = ring;

        public ReadOnlySpan<byte> Group { get; } = group;

        public ReadOnlySpan<byte> Payload { get; } = payload;
    }

    /// <summary>Reads a whole deliver frame (header included). Never throws on bad bytes: false instead.</summary>
    public static bool TryReadDeliver(ReadOnlySpan<byte> frame, out Deliver deliver)
    {
        deliver = default;
        if (!TryBody(frame, KindDeliver, out var body) || body.Length < DeliverFixedSize)
        {
            return false;
        }

        var at = 16;
        if (!TryReadShortString(body, ref at, out var ring) || !TryReadShortString(body, ref at, out var group))
        {
            return false;
        }

        deliver = new Deliver(
            BinaryPrimitives.ReadUInt32LittleEndian(body), BinaryPrimitives.ReadUInt32LittleEndian(body[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(body[8..]), ring, group, body[at..]);
        return true;
    }

    /// <summary>Body length of a send frame of <paramref name="payloads"/> for a group of <paramref name="groupBytes"/> bytes.</summary>
    public static long SendBodyLength(int groupBytes, IReadOnlyList<ReadOnlyMemory<byte>> payloads)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        long length = SendFixedSize + groupBytes;
        for (var i = 0; i < payloads.Count; i++)
        {
            length += 4 + payloads[i].Length;
        }

        return length;
    }

    /// <summary>Encodes a whole send frame. Throws when the group name is longer than 255 bytes or the frame too large (the caller's batch limits keep it far below).</summary>
    public static byte[] EncodeSend(long id, string group, IReadOnlyList<ReadOnlyMemory<byte>> payloads)
    {
        ArgumentNullException.ThrowIfNull(group);
        var groupBytes = Encoding.UTF8.GetBytes(group);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(groupBytes.Length, byte.MaxValue);
        var body = SendBodyLength(groupBytes.Length, payloads);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(body, BodySizeMax);
        var frame = GC.AllocateUninitializedArray<byte>(HeaderSize + (int)body);
        var span = frame.AsSpan();
        WriteHeader(span, KindSend, (int)body);
        BinaryPrimitives.WriteInt64LittleEndian(span[HeaderSize..], id);
        var at = WriteShortString(span, HeaderSize + 8, groupBytes);
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], payloads.Count);
        at += 4;
        for (var i = 0; i < payloads.Count; i++)
        {
            var payload = payloads[i].Span;
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], payload.Length);
            payload.CopyTo(span[(at + 4)..]);
            at += 4 + payload.Length;
        }

        return frame;
    }

    /// <summary>
    /// Reads a whole send frame (header included): the request id, the group and the payloads as slices of
    /// <paramref name="frame"/>. Never throws on bad bytes: returns the reason instead (null when it is valid).
    /// <paramref name="id"/> is set as soon as it could be read, so the error reply can carry it.
    /// </summary>
    public static string? TryReadSend(ReadOnlyMemory<byte> frame, out long? id, out string group, out ReadOnlyMemory<byte>[] payloads)
    {
        id = null;
        group = string.Empty;
        payloads = [];
        if (!TryBody(frame.Span, KindSend, out var body) || body.Length < SendFixedSize)
        {
            return "a binary group_send frame shorter than its header";
        }

        id = BinaryPrimitives.ReadInt64LittleEndian(body);
        var at = 8;
        if (!TryReadShortString(body, ref at, out var name) || body.Length - at < 4)
        {
            return "a binary group_send frame whose group name runs past its end";
        }

        if (!IsValidUtf8(name))
        {
            return "the group name of a binary group_send frame is not UTF-8";
        }

        group = Encoding.UTF8.GetString(name);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(body[at..]);
        at += 4;
        if (count is 0 or > ControlProtocol.GroupSendBatchMax)
        {
            return $"a binary group_send frame must hold 1..{ControlProtocol.GroupSendBatchMax} messages, not {count}";
        }

        var list = new ReadOnlyMemory<byte>[count];
        var bodyStart = HeaderSize;
        for (var i = 0; i < list.Length; i++)
        {
            if (body.Length - at < 4)
            {
                return $"a binary group_send frame ends before message {i}";
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(body[at..]);
            at += 4;
            if (length > (uint)(body.Length - at))
            {
                return $"message {i} of a binary group_send frame runs past the frame's end";
            }

            list[i] = frame.Slice(bodyStart + at, (int)length);
            at += (int)length;
        }

        if (at != body.Length)
        {
            return "a binary group_send frame has bytes after its last message";
        }

        payloads = list;
        return null;
    }

    private static bool TryBody(ReadOnlySpan<byte> frame, byte kind, out ReadOnlySpan<byte> body)
    {
        body = default;
        if (frame.Length < HeaderSize || frame[0] != Marker || frame[1] != kind || BodyLength(frame) != frame.Length - HeaderSize)
        {
            return false;
        }

        body = frame[HeaderSize..];
        return true;
    }

    private static void WriteHeader(Span<byte> span, byte kind, int body)
    {
        span[0] = Marker;
        span[1] = kind;
        BinaryPrimitives.WriteUInt32LittleEndian(span[2..], (uint)body);
    }

    private static int WriteShortString(Span<byte> span, int at, ReadOnlySpan<byte> text)
    {
        span[at] = (byte)text.Length;
        text.CopyTo(span[(at + 1)..]);
        return at + 1 + text.Length;
    }

    private static bool TryReadShortString(ReadOnlySpan<byte> body, scoped ref int at, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (at >= body.Length || body[at] > body.Length - at - 1)
        {
            return false;
        }

        text = body.Slice(at + 1, body[at]);
        at += 1 + text.Length;
        return true;
    }

    private static bool IsValidUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);
}
