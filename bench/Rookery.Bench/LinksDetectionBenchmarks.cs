using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Rookery.Links;
using Rookery.Simulation.Network;

namespace Rookery.Bench;

/// <summary>
/// Scenario benchmark, not a micro-benchmark: the detection-time distribution of a silently dead active
/// link (1000 trials, two sides each) and the false-alarm count over 10 000 simulated seconds of 5 % loss
/// and of 50 ms delay bursts, all in simulation with Rookery's default timers. Figures are printed to the
/// console (the timing BenchmarkDotNet reports is just the wall time of the run).
/// Run: <c>dotnet run -c Release --project bench/Rookery.Bench -- --filter '*LinksDetection*'</c>.
/// </summary>
[SimpleJob(RunStrategy.ColdStart, launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class LinksDetectionBenchmarks
{
    private static readonly Duration s_falseAlarmDuration = Duration.FromSeconds(10_000);

    [Benchmark]
    public Duration DetectionDistribution()
    {
        var result = LinkDetectionExperiment.MeasureDetection(seed: 20261126, trials: 1000, LinkTimingOptions.Fast);
        Console.WriteLine($"// links detection (fast defaults): n={result.Samples.Count} missed={result.Missed} best={result.Best} " +
            $"p10={result.Percentile(10)} median={result.Median} p90={result.Percentile(90)} p99={result.Percentile(99)} worst={result.Worst}");
        var knet = LinkDetectionExperiment.MeasureDetection(seed: 20261126, trials: 100, LinkTimingOptions.Knet(Duration.FromMilliseconds(3650)));
        Console.WriteLine($"// links detection (knet timers, 3 nodes' token 3650 ms): n={knet.Samples.Count} best={knet.Best} median={knet.Median} worst={knet.Worst}");
        return result.Median;
    }

    [Benchmark]
    public int FalseAlarmsUnderLoss()
    {
        var result = LinkDetectionExperiment.CountFalseDowns(5, s_falseAlarmDuration, LinkTimingOptions.Fast,
            PathFaults.Lan with { Loss = Ratio.Percent(5) }, Duration.Zero);
        Console.WriteLine($"// links false alarms, 5% loss, {s_falseAlarmDuration}: {result}");
        return result.LinkDowns;
    }

    [Benchmark]
    public int FalseAlarmsUnderDelayBursts()
    {
        var result = LinkDetectionExperiment.CountFalseDowns(50, s_falseAlarmDuration, LinkTimingOptions.Fast, PathFaults.Lan, Duration.FromMilliseconds(50));
        Console.WriteLine($"// links false alarms, 50 ms delay bursts, {s_falseAlarmDuration}: {result}");
        return result.LinkDowns;
    }
}
