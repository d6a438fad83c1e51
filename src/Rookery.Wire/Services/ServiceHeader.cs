using System.Buffers.Binary;

namespace Rookery.Wire.Services;

/// <summary>Outcome of decoding a service message from untrusted bytes. Decoders never throw; callers count and drop.</summary>
public enum ServiceDecodeStatus
{
    Ok = 0,

    /// <summary>Fewer bytes than the header or the message's own size field says.</summary>
    Truncated = 1,

    /// <summary>The header's size field disagrees with the number of bytes received, or a length field inside disagrees with it.</summary>
    LengthMismatch = 2,

    /// <summary>The header's id names another service or a function this codec does not know.</summary>
    UnknownMessage = 3,

    /// <summary>A field holds a value the protocol forbids (group name longer than 128 bytes, unterminated name, list longer than its bound).</summary>
    InvalidField = 4,
}

/// <summary>
/// Service numbers of the executive's message ids (corosync <c>include/corosync/corodefs.h</c>):
/// a message of group "a" has id <c>(service &lt;&lt; 16) | function</c>.
/// </summary>
public static class ServiceIds
{
    public const int Cmap = 0;
    public const int Cfg = 1;
    public const int Cpg = 2;
    public const int Quorum = 3;
    public const int Pload = 4;
    public const int Votequorum = 5;
    public const int Mon = 6;
    public const int Wd = 7;

    public static int Make(int service, int function) => (service << 16) | function;

    public static int ServiceOf(int id) => (int)((uint)id >> 16);

    public static int FunctionOf(int id) => id & 0xFFFF;
}

/// <summary>
/// libqb's <c>qb_ipc_request_header</c> that starts every service message: i32 id at offset 0, 4 pad
/// bytes, i32 size (of the whole message, header included) at offset 8, 4 pad bytes (ref/wire-vectors.md §9).
/// All fields little-endian.
/// </summary>
public static class ServiceHeader
{
    public const int Size = 16;

    /// <summary>libqb's <c>qb_ipc_response_header</c> (id, size, error, each padded to 8), used by cpg JOINLIST.</summary>
    public const int ResponseSize = 24;

    public static void Write(Span<byte> destination, int id, int size)
    {
        Invariant.Require(destination.Length >= Size);
        destination[..Size].Clear();
        BinaryPrimitives.WriteInt32LittleEndian(destination, id);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], size);
    }

    /// <summary>Reads id and size; checks that size equals the number of bytes given.</summary>
    public static ServiceDecodeStatus TryRead(ReadOnlySpan<byte> message, out int id, out int size)
    {
        id = 0;
        size = 0;
        if (message.Length < Size)
        {
            return ServiceDecodeStatus.Truncated;
        }

        id = BinaryPrimitives.ReadInt32LittleEndian(message);
        size = BinaryPrimitives.ReadInt32LittleEndian(message[8..]);
        if (size > message.Length)
        {
            return ServiceDecodeStatus.Truncated;
        }

        return size == message.Length ? ServiceDecodeStatus.Ok : ServiceDecodeStatus.LengthMismatch;
    }

    /// <summary>The id of a service message without validating the rest (for routing to a service).</summary>
    public static bool TryPeekId(ReadOnlySpan<byte> message, out int id)
    {
        id = message.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(message) : 0;
        return message.Length >= Size;
    }
}
