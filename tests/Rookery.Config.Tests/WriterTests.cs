using CsCheck;

namespace Rookery.Config.Tests;

public sealed class WriterTests
{
    [Fact]
    public void CanonicalLayoutIsPvecmsByteForByte()
    {
        var expected = Fixture.Text("pvecm-create.conf");
        var config = ConfigLoader.Parse(expected, "f").Config;

        Assert.Equal(expected, CanonicalWriter.Write(config));
    }

    [Fact]
    public void SeedIsRewrittenSortedAndWithoutBlankLinesInsideSections()
    {
        var written = CanonicalWriter.Write(ConfigLoader.Parse(Fixture.Seed, "f").Config);

        Assert.StartsWith("logging {\n  debug: off\n  to_syslog: yes\n}\n\nnodelist {\n  node {\n    name: due\n", written, StringComparison.Ordinal);
        Assert.Contains("  config_version: 4\n  interface {\n    linknumber: 0\n  }\n  interface {\n    linknumber: 1\n  }\n  ip_version: ipv4-6\n", written, StringComparison.Ordinal);
        Assert.EndsWith("  version: 2\n}\n\n", written, StringComparison.Ordinal);
    }

    [Fact]
    public void UnwritableValuesAreRefused()
    {
        var config = new CorosyncConfig(
            new TotemConfig(true, KeyValues.Of(("cluster_name", "a{b")), []), [], QuorumConfig.Absent, LoggingConfig.Absent);

        Assert.Throws<ArgumentException>(() => CanonicalWriter.Write(config));
    }

    [Fact]
    public void ParseOfWriteIsTheModel()
    {
        Gen.Select(Gen.Int[1, 6], Gen.Int[1, 4], Gen.ULong).Sample((nodes, links, seed) =>
        {
            var model = RandomConfigs.Model(nodes, links, seed);
            var text = CanonicalWriter.Write(model);
            var parsed = ConfigLoader.Parse(text, "f");

            Assert.True(parsed.Parsed, Fixture.Describe(parsed.Diagnostics) + "\n" + text);
            Assert.True(model.Equals(parsed.Config), text);
            Assert.Equal(text, CanonicalWriter.Write(parsed.Config));
        }, iter: 300);
    }
}
