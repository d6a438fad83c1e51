using BenchmarkDotNet.Running;

namespace Rookery.Bench;

/// <summary>Micro-benchmarks (BenchmarkDotNet) and scenario benchmarks. Run by hand; see docs/benchmarks.md.</summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "sim")
        {
            Environment.Exit(SimulationBenchmarks.Run(args[1..]));
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
