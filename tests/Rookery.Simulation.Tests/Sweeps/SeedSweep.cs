using System.Security.Cryptography;
using Rookery.Simulation.Harness;
using Rookery.Simulation.Nodes;

namespace Rookery.Simulation.Tests.Sweeps;

/// <summary>Runs lists of seeds for the sweep tests and words their failures (seed first, then the replay command).</summary>
internal static class SeedSweep
{
    /// <summary><paramref name="count"/> fresh seeds from the OS generator (the only unseeded randomness: choosing seeds).</summary>
    public static ulong[] FreshSeeds(int count)
    {
        var bytes = RandomNumberGenerator.GetBytes(count * 8);
        return Enumerable.Range(0, count).Select(i => BitConverter.ToUInt64(bytes, i * 8) >> 1).ToArray();
    }

    /// <summary>How many fresh seeds to add: <paramref name="variable"/> from the environment, else <paramref name="fallback"/>.</summary>
    public static int Count(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var count) && count >= 0 ? count : fallback;

    public static void Print(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        Console.WriteLine(line);
    }

    /// <summary>Runs every seed; returns the failed results (all of them, not only the first).</summary>
    public static List<SimulationResult> Run(IEnumerable<ulong> seeds, string scenario)
    {
        var failed = new List<SimulationResult>();
        foreach (var seed in seeds)
        {
            TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
            var result = SeedRunner.Run(seed, scenario);
            if (!result.Passed)
            {
                failed.Add(result);
            }
        }

        return failed;
    }

    public static string Describe(IReadOnlyCollection<SimulationResult> failed, int total) =>
        $"{failed.Count} of {total} seeds failed:\n" + string.Join("\n", failed.Take(10).Select(f => f.Describe()));
}
