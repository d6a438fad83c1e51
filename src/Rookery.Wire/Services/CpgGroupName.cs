namespace Rookery.Wire.Services;

/// <summary>
/// A CPG group name: up to 128 arbitrary bytes (corosync <c>mar_cpg_name_t</c>: u32 length, 4 pad bytes,
/// char value[128]). Ordered by bytes, then by length, so every node sorts groups the same way.
/// </summary>
public readonly struct CpgGroupName : IEquatable<CpgGroupName>, IComparable<CpgGroupName>
{
    /// <summary><c>CPG_MAX_NAME_LENGTH</c>.</summary>
    public const int LengthMax = 128;

    /// <summary>Bytes a name takes on the wire: length (4), pad (4), value (128).</summary>
    public const int WireSize = 136;

    private readonly byte[]? _value;

    private CpgGroupName(byte[] value) => _value = value;

    public ReadOnlySpan<byte> Value => _value;

    public int Length => _value?.Length ?? 0;

    /// <summary>A name from bytes; false when longer than <see cref="LengthMax"/> (corosync: CS_ERR_NAME_TOO_LONG).</summary>
    public static bool TryCreate(ReadOnlySpan<byte> value, out CpgGroupName name)
    {
        if (value.Length > LengthMax)
        {
            name = default;
            return false;
        }

        name = new CpgGroupName(value.ToArray());
        return true;
    }

    /// <summary>A name from text (UTF-8); the caller guarantees it fits.</summary>
    public static CpgGroupName FromString(string value)
    {
        var ok = TryCreate(System.Text.Encoding.UTF8.GetBytes(value), out var name);
        Invariant.Require(ok);
        return name;
    }

    public int CompareTo(CpgGroupName other)
    {
        var byBytes = Value.SequenceCompareTo(other.Value);
        return byBytes;
    }

    public bool Equals(CpgGroupName other) => Value.SequenceEqual(other.Value);

    public override bool Equals(object? obj) => obj is CpgGroupName other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Value);
        return hash.ToHashCode();
    }

    /// <summary>Printable form, escaped as corosync's <c>cpg_print_group_name</c> does.</summary>
    public override string ToString()
    {
        var builder = new System.Text.StringBuilder();
        foreach (var b in Value)
        {
            if (b is >= (byte)' ' and < 0x7f && b != (byte)'\\')
            {
                builder.Append((char)b);
            }
            else if (b == (byte)'\\')
            {
                builder.Append("\\\\");
            }
            else
            {
                builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{b:X2}");
            }
        }

        return builder.ToString();
    }

    public static bool operator ==(CpgGroupName left, CpgGroupName right) => left.Equals(right);

    public static bool operator !=(CpgGroupName left, CpgGroupName right) => !left.Equals(right);

    public static bool operator <(CpgGroupName left, CpgGroupName right) => left.CompareTo(right) < 0;

    public static bool operator >(CpgGroupName left, CpgGroupName right) => left.CompareTo(right) > 0;

    public static bool operator <=(CpgGroupName left, CpgGroupName right) => left.CompareTo(right) <= 0;

    public static bool operator >=(CpgGroupName left, CpgGroupName right) => left.CompareTo(right) >= 0;
}
