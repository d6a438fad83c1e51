using Rookery.Node.Transport;

namespace Rookery.Node.Tests.Transport;

public sealed class BufferedSaltSourceTests
{
    [Fact]
    public void EverySaltIsFreshAcrossBlockBoundaries()
    {
        var source = new BufferedSaltSource();
        var seen = new HashSet<string>();
        var salt = new byte[16];

        // Three blocks' worth and an odd size that straddles a boundary: no salt repeats and none is all zeros.
        for (var i = 0; i < (3 * BufferedSaltSource.BlockSize / 16) + 5; i++)
        {
            source.Fill(i % 7 == 0 ? salt.AsSpan(0, 13) : salt);
            Assert.True(seen.Add(Convert.ToHexString(salt)), $"salt {i} repeated");
            Assert.Contains(salt, b => b != 0);
        }
    }

    [Fact]
    public void RequestsLargerThanABlockAreFilled()
    {
        var source = new BufferedSaltSource();
        var big = new byte[BufferedSaltSource.BlockSize + 100];
        source.Fill(big);
        Assert.True(big.Count(b => b == 0) < big.Length / 64, "a large request came back mostly zeros");
    }
}
