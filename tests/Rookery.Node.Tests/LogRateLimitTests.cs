using Rookery.Node.Logging;

namespace Rookery.Node.Tests;

/// <summary>
/// Goal: a flood of per-message log lines (a forged CPG message from an unknown node, a replayed leave,
/// a refused control frame) writes at most <see cref="LogRateLimiter.BurstLines"/> lines per window plus
/// one line with the count of what was not logged; other lines are never held back.
/// Method: write 100,000 lines through a real <see cref="ClusterLog"/> into a memory sink on a clock the
/// test moves, and count the lines that come out.
/// </summary>
public sealed class LogRateLimitTests
{
    private const string UnknownNode = "Unknown node -> we will not deliver message";

    [Fact]
    public void AFloodWritesTheBurstThenOneCountedSummary()
    {
        var clock = new ManualClock();
        var memory = new MemoryLogSink();
        using var log = new ClusterLog(new LoggingSettings(), [memory], clock);

        for (var i = 0; i < 100_000; i++)
        {
            log.Warning(LogSubsystem.Cpg, UnknownNode);
            log.Notice(LogSubsystem.Totem, "A new membership (1.2) was formed. Members joined: 2");
            if (i % 1000 == 0)
            {
                clock.Now += TimeSpan.FromMilliseconds(50);
                log.FlushSuppressed();
            }
        }

        Assert.Equal(LogRateLimiter.BurstLines, memory.Records.Count(r => r.Message == UnknownNode));
        Assert.Equal(100_000, memory.Records.Count(r => r.Subsystem == LogSubsystem.Totem));
        Assert.DoesNotContain(memory.Records, r => r.Message.Contains("not logged", StringComparison.Ordinal));

        clock.Now += LogRateLimiter.Window;
        log.FlushSuppressed();

        var summary = Assert.Single(memory.Records, r => r.Message.Contains("not logged", StringComparison.Ordinal));
        Assert.Equal($"{UnknownNode} (and {100_000 - LogRateLimiter.BurstLines} more lines like it in 10 s, not logged)", summary.Message);
        Assert.Equal((LogSubsystem.Cpg, LogPriority.Warning), (summary.Subsystem, summary.Priority));

        // A new window starts afresh.
        log.Warning(LogSubsystem.Cpg, UnknownNode);
        Assert.Equal(LogRateLimiter.BurstLines + 1, memory.Records.Count(r => r.Message == UnknownNode));
    }

    [Fact]
    public void EachKindHasItsOwnBudgetAndLinesThatDifferOnlyInTheirNumbersShareOne()
    {
        var clock = new ManualClock();
        var memory = new MemoryLogSink();
        using var log = new ClusterLog(new LoggingSettings { Debug = LogDebug.On }, [memory], clock);

        for (var i = 0; i < 1000; i++)
        {
            log.Debug(LogSubsystem.Totem, $"Received LEAVE message from {i}");
            log.Debug(LogSubsystem.Cpg, $"downlist OLD from node {i}");
        }

        Assert.Equal(LogRateLimiter.BurstLines, memory.Records.Count(r => r.Subsystem == LogSubsystem.Totem));
        Assert.Equal(LogRateLimiter.BurstLines, memory.Records.Count(r => r.Subsystem == LogSubsystem.Cpg));
        clock.Now += LogRateLimiter.Window;
        log.Info(LogSubsystem.Main, "any line ends the windows that are over");
        Assert.Equal(
            ["Received LEAVE message from 999 (and 990 more lines like it in 10 s, not logged)", "downlist OLD from node 999 (and 990 more lines like it in 10 s, not logged)"],
            memory.Records.Where(r => r.Message.Contains("not logged", StringComparison.Ordinal)).Select(r => r.Message).Order(StringComparer.Ordinal));
    }

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
