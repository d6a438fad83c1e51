using System.Buffers.Binary;
using System.Text;

namespace Rookery.Ipc;

/// <summary>
/// Reading requests and building responses in corosync's native little-endian layouts
/// (struct-layouts-x86_64.txt): request header id@0 size@8 (16 bytes), response header id@0 size@8 error@16
/// (24 bytes). Readers are bounds-checked and never throw: a short field reads as zero.
/// </summary>
public static class IpcMessage
{
    public const int RequestHeaderSize = 16;
    public const int ResponseHeaderSize = 24;

    /// <summary>A response of <paramref name="size"/> bytes with its header filled in.</summary>
    public static byte[] Response(int id, int size, CsError error)
    {
        var bytes = new byte[size];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, id);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), size);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), (int)error);
        return bytes;
    }

    public static int RequestId(ReadOnlySpan<byte> request) => Int32(request, 0);

    public static int Int32(ReadOnlySpan<byte> bytes, int offset) =>
        offset >= 0 && offset + 4 <= bytes.Length ? BinaryPrimitives.ReadInt32LittleEndian(bytes[offset..]) : 0;

    public static uint UInt32(ReadOnlySpan<byte> bytes, int offset) => (uint)Int32(bytes, offset);

    public static ulong UInt64(ReadOnlySpan<byte> bytes, int offset) =>
        offset >= 0 && offset + 8 <= bytes.Length ? BinaryPrimitives.ReadUInt64LittleEndian(bytes[offset..]) : 0;

    public static byte Byte(ReadOnlySpan<byte> bytes, int offset) => offset >= 0 && offset < bytes.Length ? bytes[offset] : (byte)0;

    public static void Put(Span<byte> bytes, int offset, int value) => BinaryPrimitives.WriteInt32LittleEndian(bytes[offset..], value);

    public static void Put(Span<byte> bytes, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(bytes[offset..], value);

    public static void Put(Span<byte> bytes, int offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(bytes[offset..], value);

    /// <summary>
    /// A corosync <c>mar_name_t</c> ({uint16 length; pad; uint8 value[256]}, 264 bytes, as cmap keys use it) read
    /// at <paramref name="offset"/>; null when the length is out of range.
    /// </summary>
    public static string? MarName(ReadOnlySpan<byte> bytes, int offset, int valueMax = 256)
    {
        if (offset < 0 || offset + 8 > bytes.Length)
        {
            return null;
        }

        int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes[offset..]);
        if (length > valueMax || offset + 8 + length > bytes.Length)
        {
            return null;
        }

        var value = bytes.Slice(offset + 8, length);
        var zero = value.IndexOf((byte)0);
        return Encoding.UTF8.GetString(zero >= 0 ? value[..zero] : value);
    }

    /// <summary>Writes a <c>mar_name_t</c>-shaped name (uint16 length at <paramref name="offset"/>, bytes at +8).</summary>
    public static void PutMarName(Span<byte> bytes, int offset, string value, int valueMax = 256)
    {
        var encoded = Encoding.UTF8.GetBytes(value);
        var length = Math.Min(encoded.Length, valueMax);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[offset..], (ushort)length);
        encoded.AsSpan(0, length).CopyTo(bytes[(offset + 8)..]);
    }

    /// <summary>A zero-terminated C string in a fixed field.</summary>
    public static string CString(ReadOnlySpan<byte> bytes, int offset, int fieldSize)
    {
        if (offset < 0 || offset >= bytes.Length)
        {
            return string.Empty;
        }

        var field = bytes.Slice(offset, Math.Min(fieldSize, bytes.Length - offset));
        var zero = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(zero >= 0 ? field[..zero] : field);
    }

    /// <summary>Writes a zero-terminated C string into a fixed field (truncated to leave the terminator).</summary>
    public static void PutCString(Span<byte> bytes, int offset, int fieldSize, string value)
    {
        var encoded = Encoding.UTF8.GetBytes(value);
        var length = Math.Min(encoded.Length, fieldSize - 1);
        encoded.AsSpan(0, length).CopyTo(bytes[offset..]);
        bytes[offset + length] = 0;
    }
}
