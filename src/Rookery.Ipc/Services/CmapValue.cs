using System.Buffers.Binary;
using System.Text;

namespace Rookery.Ipc.Services;

/// <summary>cmap's value types (cmap_value_types_t / icmap_value_types_t).</summary>
public enum CmapType : byte
{
    Int8 = 1,
    UInt8 = 2,
    Int16 = 3,
    UInt16 = 4,
    Int32 = 5,
    UInt32 = 6,
    Int64 = 7,
    UInt64 = 8,
    Float = 9,
    Double = 10,
    String = 11,
    Binary = 12,
}

/// <summary>One cmap value as the wire carries it: the type and its native bytes (strings with their NUL).</summary>
public sealed record CmapValue(CmapType Type, byte[] Bytes)
{
    public static CmapValue String(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return new CmapValue(CmapType.String, bytes);
    }

    public static CmapValue UInt8(byte value) => new(CmapType.UInt8, [value]);

    public static CmapValue UInt16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return new CmapValue(CmapType.UInt16, bytes);
    }

    public static CmapValue UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return new CmapValue(CmapType.UInt32, bytes);
    }

    public static CmapValue Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return new CmapValue(CmapType.Int32, bytes);
    }

    public static CmapValue UInt64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return new CmapValue(CmapType.UInt64, bytes);
    }

    /// <summary>The byte count an integer or float type must have; null for strings and binary.</summary>
    public static int? FixedLength(CmapType type) => type switch
    {
        CmapType.Int8 or CmapType.UInt8 => 1,
        CmapType.Int16 or CmapType.UInt16 => 2,
        CmapType.Int32 or CmapType.UInt32 or CmapType.Float => 4,
        CmapType.Int64 or CmapType.UInt64 or CmapType.Double => 8,
        _ => null,
    };

    /// <summary>Whether bytes fit the type (icmap_check_value_len): fixed sizes exact, strings NUL-terminated.</summary>
    public static bool IsValid(CmapType type, ReadOnlySpan<byte> bytes) => type switch
    {
        >= CmapType.Int8 and <= CmapType.Double => bytes.Length == FixedLength(type),
        CmapType.String => bytes.Length > 0 && bytes.IndexOf((byte)0) == bytes.Length - 1,
        CmapType.Binary => true,
        _ => false,
    };

    /// <summary>The value as a signed 64-bit number for ADJUST_INT, with its type's range; null for non-integers.</summary>
    public (long Value, long Min, long Max)? AsInteger() => Type switch
    {
        CmapType.Int8 => ((sbyte)Bytes[0], sbyte.MinValue, sbyte.MaxValue),
        CmapType.UInt8 => (Bytes[0], byte.MinValue, byte.MaxValue),
        CmapType.Int16 => (BinaryPrimitives.ReadInt16LittleEndian(Bytes), short.MinValue, short.MaxValue),
        CmapType.UInt16 => (BinaryPrimitives.ReadUInt16LittleEndian(Bytes), ushort.MinValue, ushort.MaxValue),
        CmapType.Int32 => (BinaryPrimitives.ReadInt32LittleEndian(Bytes), int.MinValue, int.MaxValue),
        CmapType.UInt32 => (BinaryPrimitives.ReadUInt32LittleEndian(Bytes), uint.MinValue, uint.MaxValue),
        CmapType.Int64 => (BinaryPrimitives.ReadInt64LittleEndian(Bytes), long.MinValue, long.MaxValue),
        CmapType.UInt64 => ((long)BinaryPrimitives.ReadUInt64LittleEndian(Bytes), long.MinValue, long.MaxValue),
        _ => null,
    };

    /// <summary>The same type holding <paramref name="value"/> (wraps like corosync's integer adjust).</summary>
    public CmapValue WithInteger(long value)
    {
        var bytes = new byte[Bytes.Length];
        switch (Type)
        {
            case CmapType.Int8 or CmapType.UInt8:
                bytes[0] = (byte)value;
                break;
            case CmapType.Int16 or CmapType.UInt16:
                BinaryPrimitives.WriteInt16LittleEndian(bytes, (short)value);
                break;
            case CmapType.Int32 or CmapType.UInt32:
                BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
                break;
            default:
                BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
                break;
        }

        return new CmapValue(Type, bytes);
    }

    public bool SameAs(CmapValue other) => Type == other.Type && Bytes.AsSpan().SequenceEqual(other.Bytes);
}
