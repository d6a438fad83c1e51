using System.Collections;
using System.Globalization;

namespace Rookery.Config;

/// <summary>One <c>key: value</c> of a section; nested subsections appear as dotted keys (<c>device.net.host</c>).</summary>
public readonly record struct KeyValue(string Key, string Value);

/// <summary>
/// The keys of one section as corosync stores them in cmap: the last value of a repeated key
/// wins, keys of nested subsections are joined with dots, values are the raw strings. Kept in
/// ordinal key order, so enumeration is deterministic. Unknown keys stay available here, so a
/// later layer can read its own extension keys without this layer knowing them.
/// Equality compares keys and values, not source lines.
/// </summary>
public sealed class KeyValues : IReadOnlyList<KeyValue>, IEquatable<KeyValues>
{
    private readonly KeyValue[] _items;
    private readonly Dictionary<string, int> _lines;

    public KeyValues(IEnumerable<KeyValue> items, IReadOnlyDictionary<string, int>? lines = null)
    {
        var byKey = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            byKey[item.Key] = item.Value;
        }

        _items = [.. byKey.Select(pair => new KeyValue(pair.Key, pair.Value))];
        _lines = lines is null ? [] : new Dictionary<string, int>(lines, StringComparer.Ordinal);
    }

    public static KeyValues Empty { get; } = new([]);

    public int Count => _items.Length;

    public KeyValue this[int index] => _items[index];

    public string? this[string key] => Get(key);

    public static KeyValues Of(params (string Key, string Value)[] items) =>
        new(items.Select(item => new KeyValue(item.Key, item.Value)));

    public string? Get(string key)
    {
        var index = IndexOf(key);
        return index < 0 ? null : _items[index].Value;
    }

    public bool Contains(string key) => IndexOf(key) >= 0;

    /// <summary>The line the key was (last) set on, or 0 when it was not read from a file.</summary>
    public int LineOf(string key) => _lines.TryGetValue(key, out var line) ? line : 0;

    /// <summary>A decimal unsigned value as corosync reads it (<c>strtoll</c> base 10), or null when unset or not a number.</summary>
    public uint? GetUInt32(string key) => ValueParsing.TryParseInteger(Get(key), 0, uint.MaxValue, out var value) ? (uint)value : null;

    public ulong? GetUInt64(string key) => ValueParsing.TryParseUInt64(Get(key), out var value) ? value : null;

    public int? GetInt32(string key) => ValueParsing.TryParseInteger(Get(key), int.MinValue, int.MaxValue, out var value) ? (int)value : null;

    /// <summary>Keys under <paramref name="prefix"/> (a subsection), with the prefix and its dot removed.</summary>
    public KeyValues Under(string prefix)
    {
        var start = prefix + ".";
        return new KeyValues(
            _items.Where(item => item.Key.StartsWith(start, StringComparison.Ordinal))
                .Select(item => new KeyValue(item.Key[start.Length..], item.Value)));
    }

    /// <summary>A copy with <paramref name="key"/> set (or removed when <paramref name="value"/> is null).</summary>
    public KeyValues With(string key, string? value)
    {
        var items = _items.Where(item => item.Key != key).ToList();
        if (value is not null)
        {
            items.Add(new KeyValue(key, value));
        }

        return new KeyValues(items, _lines);
    }

    public IEnumerator<KeyValue> GetEnumerator() => ((IEnumerable<KeyValue>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(KeyValues? other) => other is not null && _items.AsSpan().SequenceEqual(other._items);

    public override bool Equals(object? obj) => Equals(obj as KeyValues);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    public override string ToString() =>
        string.Join(", ", _items.Select(item => string.Create(CultureInfo.InvariantCulture, $"{item.Key}={item.Value}")));

    private int IndexOf(string key)
    {
        int low = 0, high = _items.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var comparison = string.CompareOrdinal(_items[middle].Key, key);
            if (comparison == 0)
            {
                return middle;
            }

            if (comparison < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }
}

/// <summary>Number parsing with corosync's rules (<c>safe_atoq</c>, <c>str_to_ull</c>): decimal, optional sign and leading whitespace, nothing after the digits.</summary>
public static class ValueParsing
{
    public static bool TryParseInteger(string? text, long min, long max, out long value)
    {
        value = 0;
        if (!TrySplit(text, out var negative, out var digits) || !TryAccumulate(digits, long.MaxValue, out var magnitude))
        {
            return false;
        }

        var result = negative ? -(long)magnitude : (long)magnitude;
        if (result < min || result > max)
        {
            return false;
        }

        value = result;
        return true;
    }

    public static bool TryParseUInt64(string? text, out ulong value)
    {
        // strtoull negates a leading minus in unsigned arithmetic; corosync accepts it. We refuse it (except -0).
        value = 0;
        if (!TrySplit(text, out var negative, out var digits) || !TryAccumulate(digits, ulong.MaxValue, out var magnitude) || (negative && magnitude != 0))
        {
            return false;
        }

        value = magnitude;
        return true;
    }

    /// <summary>Skips leading whitespace and one sign, as strtoll does; false when no digits follow.</summary>
    private static bool TrySplit(string? text, out bool negative, out ReadOnlySpan<char> digits)
    {
        negative = false;
        digits = text.AsSpan().TrimStart(" \t\n\v\f\r");
        if (digits.Length > 0 && (digits[0] == '+' || digits[0] == '-'))
        {
            negative = digits[0] == '-';
            digits = digits[1..];
        }

        return digits.Length > 0 && text is not null;
    }

    /// <summary>Decimal digits only, up to <paramref name="max"/> (beyond it strtoll reports ERANGE).</summary>
    private static bool TryAccumulate(ReadOnlySpan<char> digits, ulong max, out ulong value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            var digit = (ulong)(c - '0');
            if (value > (max - digit) / 10)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }
}
