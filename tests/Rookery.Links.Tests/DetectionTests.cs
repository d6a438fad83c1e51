using Rookery.Simulation.Network;

namespace Rookery.Links.Tests;

/// <summary>
/// The detection claim of docs/links.md, measured in simulation: a silently dead active link is replaced in
/// ≤ 150 ms median and ≤ 300 ms worst case, and healthy links are never declared down under 5 % loss or
/// 50 ms delay bursts over 10 000 simulated seconds (about 6–10 s of wall time each; set
/// ROOKERY_FALSE_ALARM_SECONDS to shorten). The benchmark runs the same with 1000 detection trials.
/// </summary>
public sealed class DetectionTests
{
    private static readonly Duration s_falseAlarmDuration = Duration.FromSeconds(
        long.TryParse(Environment.GetEnvironmentVariable("ROOKERY_FALSE_ALARM_SECONDS"), out var seconds) ? seconds : 10_000);

    [Fact]
    public void A_silently_dead_active_link_is_replaced_within_150_ms_median_and_300_ms_worst()
    {
        const ulong Seed = 20261126;
        var result = LinkDetectionExperiment.MeasureDetection(Seed, trials: 200, LinkTimingOptions.Fast);

        var summary = $"seed {Seed}: n={result.Samples.Count} missed={result.Missed} best={result.Best} median={result.Median} p99={result.Percentile(99)} worst={result.Worst}";
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        Assert.True(result.Missed == 0, summary);
        Assert.True(result.Median <= Duration.FromMilliseconds(150), summary);
        Assert.True(result.Worst <= Duration.FromMilliseconds(300), summary);
    }

    [Fact]
    public void Knet_timers_keep_knets_detection_time()
    {
        const ulong Seed = 7;
        var knet = LinkTimingOptions.Knet(Duration.FromMilliseconds(3650));
        var result = LinkDetectionExperiment.MeasureDetection(Seed, trials: 10, knet);

        var summary = $"seed {Seed}: n={result.Samples.Count} missed={result.Missed} median={result.Median} worst={result.Worst}";
        Assert.True(result.Missed == 0, summary);
        Assert.True(result.Best >= Duration.FromMilliseconds(1825 - 912), summary);
        Assert.True(result.Worst <= Duration.FromMilliseconds(1825 + 50), summary);
    }

    [Fact]
    public void Five_percent_random_loss_never_brings_a_healthy_link_down()
    {
        const ulong Seed = 5;
        var faults = PathFaults.Lan with { Loss = Ratio.Percent(5) };
        var result = LinkDetectionExperiment.CountFalseDowns(Seed, s_falseAlarmDuration, LinkTimingOptions.Fast, faults, Duration.Zero);

        Assert.True(result.LinkDowns == 0, $"seed {Seed}: {result} over {s_falseAlarmDuration}");
        Assert.True(result.Lost > result.Datagrams / 25, $"seed {Seed}: the loss did not happen: {result}");
    }

    [Fact]
    public void Bursts_of_50_ms_extra_delay_never_bring_a_healthy_link_down()
    {
        const ulong Seed = 50;
        var result = LinkDetectionExperiment.CountFalseDowns(Seed, s_falseAlarmDuration, LinkTimingOptions.Fast, PathFaults.Lan, Duration.FromMilliseconds(50));

        Assert.True(result.LinkDowns == 0, $"seed {Seed}: {result} over {s_falseAlarmDuration}");
        Assert.True(result.Bursts > 100, $"seed {Seed}: too few bursts: {result}");
    }
}
