namespace Rookery.Config.Tests;

/// <summary>Numbers as corosync's safe_atoq (strtoll) and str_to_ull (strtoull) read them.</summary>
public sealed class ValueParsingTests
{
    [Theory]
    [InlineData("0", 0L, true)]
    [InlineData("+7", 7L, true)]
    [InlineData("  12", 12L, true)]
    [InlineData("007", 7L, true)]
    [InlineData("-1", 0L, false)]
    [InlineData("4294967295", 4294967295L, true)]
    [InlineData("4294967296", 0L, false)]
    [InlineData("99999999999999999999999", 0L, false)]
    [InlineData("0x10", 0L, false)]
    [InlineData("1.5", 0L, false)]
    [InlineData("", 0L, false)]
    [InlineData("+", 0L, false)]
    [InlineData("12 ", 0L, false)]
    public void UInt32RangeFollowsStrtoll(string text, long expected, bool ok)
    {
        Assert.Equal(ok, ValueParsing.TryParseInteger(text, 0, uint.MaxValue, out var value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void SignedRangeIncludesItsMinimum()
    {
        Assert.True(ValueParsing.TryParseInteger("-2147483648", int.MinValue, int.MaxValue, out var min));
        Assert.Equal(int.MinValue, min);
        Assert.False(ValueParsing.TryParseInteger("-2147483649", int.MinValue, int.MaxValue, out _));
    }

    [Theory]
    [InlineData("18446744073709551615", ulong.MaxValue, true)]
    [InlineData("18446744073709551616", 0UL, false)]
    [InlineData("-0", 0UL, true)]
    [InlineData("-3", 0UL, false)]
    [InlineData("x", 0UL, false)]
    public void UInt64FollowsStrtoullButRefusesNegatives(string text, ulong expected, bool ok)
    {
        Assert.Equal(ok, ValueParsing.TryParseUInt64(text, out var value));
        Assert.Equal(expected, value);
    }
}
