using System.Diagnostics;
using System.Text;
using CsCheck;
using Rookery.Config.Syntax;

namespace Rookery.Config.Tests;

/// <summary>
/// Goal: no corosync.conf, however deep, long or large, costs the parser more than linear time and
/// memory or overflows its stack; the limits are reported as <c>file:line</c> parse errors.
/// Method: build pathological texts (100,000 nested sections, long section names at the depth limit,
/// texts over the size limit) and random nested texts (CsCheck), load each, and measure the wall time
/// and the bytes this thread allocated against bounds that a quadratic or recursive parser breaks.
/// </summary>
public sealed class HostileConfigTests
{
    /// <summary>Allocation allowed per input byte (lines, entries, diagnostics), plus a fixed allowance.</summary>
    private const long AllocatedBytesPerInputByte = 64;

    private const long AllocatedBytesFixed = 8 * 1024 * 1024;

    [Fact]
    public void HundredThousandNestedSectionsAreRefusedAtTheDepthLimitQuickly()
    {
        var text = string.Concat(Enumerable.Repeat("a {\n", 100_000)) + string.Concat(Enumerable.Repeat("}\n", 100_000));

        var (result, elapsed, allocated) = Measure(text);

        var error = Assert.Single(result.Errors);
        Assert.Equal($"parser error: deep.conf:{ConfigParser.NestingDepthMax + 1}: Sections nested more than {ConfigParser.NestingDepthMax} levels deep; the rest of the file was not read", error.ToString());
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"took {elapsed}");
        Assert.True(allocated < Bound(text), $"allocated {allocated} bytes for {text.Length} chars");
    }

    [Fact]
    public void DeepNestingInsideANodeIsRefusedWithoutRecursion()
    {
        var text = "nodelist {\n  node {\n" + string.Concat(Enumerable.Repeat("x {\n", 100_000)) + "ring0_addr: 10.0.0.1\n";

        var (result, elapsed, allocated) = Measure(text);

        Assert.Contains(result.Errors, e => e.Line == ConfigParser.NestingDepthMax + 1 && e.Message.Contains("nested more than", StringComparison.Ordinal));
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"took {elapsed}");
        Assert.True(allocated < Bound(text), $"allocated {allocated} bytes for {text.Length} chars");
    }

    [Fact]
    public void LongSectionNamesAtTheDepthLimitDoNotGrowPathsQuadratically()
    {
        // 126 levels of 500-character names: every path is far over cmap's 255 characters.
        var name = new string('n', 500);
        var builder = new StringBuilder("totem {\n");
        for (var level = 0; level < ConfigParser.NestingDepthMax - 1; level++)
        {
            builder.Append(name).Append(" {\n");
        }

        for (var entry = 0; entry < 5_000; entry++)
        {
            builder.Append("k: v\n");
        }

        var text = builder.ToString();

        var (result, elapsed, allocated) = Measure(text);

        Assert.Contains(result.Errors, e => e.Line == 2 && e.Message == "Start of section makes total cmap path too long");
        Assert.Contains(result.Errors, e => e.Message.StartsWith($"stopped after {ConfigParser.ParseErrorsMax} syntax errors", StringComparison.Ordinal));
        Assert.True(result.Errors.Count() <= ConfigParser.ParseErrorsMax + 1);
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"took {elapsed}");
        Assert.True(allocated < Bound(text), $"allocated {allocated} bytes for {text.Length} chars");
    }

    [Fact]
    public void ATextOverTheSizeLimitIsRefusedWithTheLineWhereItPassesIt()
    {
        var line = "# " + new string('c', 97) + "\n";
        var text = string.Concat(Enumerable.Repeat(line, (ConfigParser.TextBytesMax / line.Length) + 10));

        var (result, elapsed, _) = Measure(text);

        var error = Assert.Single(result.Errors);
        Assert.Equal((ConfigParser.TextBytesMax / line.Length) + 1, error.Line);
        Assert.Contains("File too large: more than 1048576 bytes", error.Message, StringComparison.Ordinal);
        Assert.Empty(result.Document.Lines);
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"took {elapsed}");
    }

    [Fact]
    public void ATextAtTheSizeLimitIsRead()
    {
        var header = "totem {\n  version: 2\n}\n";
        var padding = ConfigParser.TextBytesMax - header.Length;
        var text = header + string.Concat(Enumerable.Repeat("#" + new string('p', 98) + "\n", padding / 100)) + new string('#', padding % 100);

        Assert.Equal(ConfigParser.TextBytesMax, Encoding.UTF8.GetByteCount(text));
        Assert.True(ConfigLoader.Parse(text, "full.conf").Parsed);
    }

    [Fact]
    public void ABiggerFileOnDiskIsReadOnlyUpToTheLimit()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rookery-huge-{Guid.NewGuid():N}.conf");
        try
        {
            using (var stream = File.Create(path))
            {
                stream.SetLength(64L * 1024 * 1024);
            }

            var result = ConfigFile.Load(path);

            var error = Assert.Single(result.Errors);
            Assert.StartsWith($"parser error: {path}:", error.ToString(), StringComparison.Ordinal);
            Assert.Contains("File too large", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AFifoIsRefusedWithoutBeingOpened()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rookery-fifo-{Guid.NewGuid():N}");
        using (var mkfifo = Process.Start("mkfifo", path))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        try
        {
            var result = ConfigFile.Load(path);
            Assert.Equal($"Can't read file {path}: not a regular file (a FIFO)", Assert.Single(result.Errors).ToString());
            Assert.Equal($"Can't read file /dev/zero: not a regular file (a character device)", Assert.Single(ConfigFile.Load("/dev/zero").Errors).ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Random nested texts: no input takes more than linear memory or a second of time.</summary>
    [Fact]
    public void RandomNestedTextsStayWithinTimeAndMemoryBounds()
    {
        var name = Gen.OneOf(Gen.Const("a"), Gen.Const("totem"), Gen.Const("nodelist"), Gen.Const("node"), Gen.Const("interface"), Gen.Char['a', 'z'].Array[1, 500].Select(c => new string(c)));
        var line = Gen.Frequency(
            (4, name.Select(n => n + " {\n")),
            (3, Gen.Const("}\n")),
            (3, Gen.Select(name, Gen.Char['0', 'z'].Array[0, 40]).Select((k, v) => $"{k}: {new string(v)}\n")),
            (1, Gen.Const("{\n")));
        var run = Gen.Select(line, Gen.Int[1, 400]).Select((l, count) => string.Concat(Enumerable.Repeat(l, count)));
        run.Array[1, 40].Select(string.Concat).Sample(text =>
        {
            var (result, elapsed, allocated) = Measure(text);
            _ = result.Config.Nodes;
            Assert.True(elapsed < TimeSpan.FromSeconds(1), $"took {elapsed} for {text.Length} chars");
            Assert.True(allocated < Bound(text), $"allocated {allocated} bytes for {text.Length} chars");
        }, iter: 300);
    }

    private static long Bound(string text) => AllocatedBytesFixed + (AllocatedBytesPerInputByte * text.Length);

    private static (LoadResult Result, TimeSpan Elapsed, long Allocated) Measure(string text)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var result = ConfigLoader.Load(text, "deep.conf");
        _ = result.Diagnostics.Select(d => d.ToString()).ToList();
        watch.Stop();
        return (result, watch.Elapsed, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
