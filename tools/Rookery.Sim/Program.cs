using System.Diagnostics;
using System.Globalization;
using Rookery.Simulation.Nodes;

namespace Rookery.Sim;

/// <summary>
/// Seed replay tool: runs one simulation seed (or a sweep) and prints its full trace.
/// <code>
/// rookery-sim --seed N [--scenario swarm|link-cut|failover-gap|replay] [--trace] [--verify]
/// rookery-sim --sweep COUNT [--from SEED] [--scenario …]
/// </code>
/// Exit code: 0 all seeds passed, 1 a seed failed (its seed and first violation are printed), 2 usage.
/// </summary>
public static class Program
{
    private const string Usage =
        "usage: rookery-sim --seed N [--scenario swarm|link-cut|failover-gap|replay] [--trace] [--verify]\n" +
        "       rookery-sim --sweep COUNT [--from SEED] [--scenario swarm|link-cut|failover-gap|replay]\n" +
        "  --trace   print every step of the run (datagrams, ticks, deliveries, configurations, faults)\n" +
        "  --verify  run the seed twice and compare the trace hashes byte for byte";

    public static int Main(string[] args)
    {
        ulong? seed = null;
        int? sweep = null;
        ulong from = 1;
        var scenario = "swarm";
        var trace = false;
        var verify = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            try
            {
                switch (args[i])
                {
                    case "--seed":
                        seed = ulong.Parse(Next(), CultureInfo.InvariantCulture);
                        break;
                    case "--sweep":
                        sweep = int.Parse(Next(), CultureInfo.InvariantCulture);
                        break;
                    case "--from":
                        from = ulong.Parse(Next(), CultureInfo.InvariantCulture);
                        break;
                    case "--scenario":
                        scenario = Next();
                        if (!SeedRunner.Scenarios.Contains(scenario))
                        {
                            throw new ArgumentException($"unknown scenario '{scenario}' ({string.Join(", ", SeedRunner.Scenarios)})");
                        }

                        break;
                    case "--trace":
                        trace = true;
                        break;
                    case "--verify":
                        verify = true;
                        break;
                    case "-h" or "--help":
                        Console.WriteLine(Usage);
                        return 0;
                    default:
                        throw new ArgumentException($"unknown argument '{args[i]}'");
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
            {
                Console.Error.WriteLine($"rookery-sim: {e.Message}");
                Console.Error.WriteLine(Usage);
                return 2;
            }
        }

        if (seed is null == sweep is null)
        {
            Console.Error.WriteLine("rookery-sim: give exactly one of --seed and --sweep");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        return seed is { } one ? RunOne(one, scenario, trace, verify) : RunSweep(from, sweep!.Value, scenario);
    }

    private static int RunOne(ulong seed, string scenario, bool trace, bool verify)
    {
        var result = SeedRunner.Run(seed, scenario, trace ? Console.Out : null);
        Console.WriteLine(result.Describe());
        Console.WriteLine($"trace hash {result.TraceHash}");
        if (verify)
        {
            var again = SeedRunner.Run(seed, scenario);
            var same = again.TraceHash == result.TraceHash;
            Console.WriteLine(same ? "reproduced byte for byte" : $"NOT reproduced: second run hash {again.TraceHash}");
            if (!same)
            {
                return 1;
            }
        }

        return result.Passed ? 0 : 1;
    }

    private static int RunSweep(ulong from, int count, string scenario)
    {
        var failed = new List<ulong>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var seed = from + (ulong)i;
            var result = SeedRunner.Run(seed, scenario);
            if (!result.Passed)
            {
                failed.Add(seed);
                Console.WriteLine(result.Describe());
            }
        }

        Console.WriteLine($"{scenario}: {count - failed.Count} of {count} seeds passed in {clock.Elapsed.TotalSeconds:F1} s (seeds {from}..{from + (ulong)count - 1}){(failed.Count > 0 ? $"; failed: {string.Join(" ", failed)}" : "")}");
        return failed.Count == 0 ? 0 : 1;
    }
}
