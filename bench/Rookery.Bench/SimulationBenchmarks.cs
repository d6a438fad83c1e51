using System.Diagnostics;
using System.Globalization;
using Rookery.Simulation.Checking;
using Rookery.Simulation.Harness;
using Rookery.Simulation.Nodes;
using Rookery.Simulation.Scenarios;
using Rookery.Totem;

namespace Rookery.Bench;

/// <summary>
/// Scenario benchmarks in the deterministic simulation (virtual time, the real cores, bytes on a
/// simulated LAN of 100 µs one way): agreed-delivery throughput and latency for 3 nodes, the
/// delivery gap when the active link of a node fails, and the whole-cluster stall when a node is lost.
/// <code>
/// dotnet run -c Release --project bench/Rookery.Bench -- sim [throughput|failover|nodeloss|all] [--runs N]
/// </code>
/// Figures are virtual time (what the protocols allow); the CPU column is the real time the
/// simulation took, i.e. the cost of the cores themselves on this machine.
/// </summary>
public static class SimulationBenchmarks
{
    private static readonly int[] Sizes = [100, 1024, 10 * 1024, 64 * 1024];

    public static int Run(string[] args)
    {
        var what = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "all";
        var runs = 30;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--runs" && i + 1 < args.Length)
            {
                runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
        }

        if (what is "throughput" or "all")
        {
            Throughput();
        }

        if (what is "failover" or "all")
        {
            Gaps("failover gap (active link of node 3 cut, both ways or one way)", runs, nodeLoss: false);
        }

        if (what is "nodeloss" or "all")
        {
            Gaps("node-loss stall (every link of node 3 cut both ways)", runs, nodeLoss: true);
        }

        return 0;
    }

    private static FaultPlan Quiet(ulong seed, int nodes, Duration length) => new()
    {
        Seed = seed,
        NodeCount = nodes,
        LinkCount = 2,
        LinkPriorities = [FaultPlan.LinkCutTopPriority, FaultPlan.LinkCutTopPriority - 1],
        Quorum = QuorumChoice.Plain,
        Kinds = FaultKinds.None,
        Conditions = PathConditions.Clean,
        Schedule = [],
        SubmitInterval = Duration.FromMilliseconds(1000),
        MessageSizeMin = MessageStamp.HeaderSize,
        MessageSizeMax = MessageStamp.HeaderSize,
        SafetyDuration = length,
        LivenessBound = Duration.FromSeconds(10),
    };

    /// <summary>
    /// Saturation: the 3 nodes keep Totem's send queue topped up (a few packets waiting) until a fixed
    /// number of messages is delivered everywhere. The simulated LAN has latency but no bandwidth limit,
    /// so the virtual rate only says that Totem's token and flow control are not the limit; the CPU rate
    /// (process CPU time, so other load on the machine does not count) is what the cores of all 3 nodes
    /// together, plus the simulator's hashing and checkers, process on this machine.
    /// </summary>
    private static void Throughput()
    {
        Console.WriteLine($"agreed delivery, 3 nodes, simulated LAN 100 µs one way (no bandwidth limit), the shipped composition, corosync default timers");
        Console.WriteLine("size     | messages | virtual msg/s   MB/s | CPU msg/s   MB/s | light-load latency p50 / p99 / max (ms)");
        foreach (var size in Sizes)
        {
            var count = size switch { <= 100 => 30_000, <= 1024 => 20_000, <= 10 * 1024 => 5_000, _ => 1_000 };
            var (virtualSeconds, cpuSeconds) = Saturate(size, count);
            var latencies = Latency(size);
            Console.WriteLine(
                $"{size,6} B | {count,8} | {count / virtualSeconds,12:F0} {count * (double)size / virtualSeconds / 1e6,7:F1} | {count / cpuSeconds,9:F0} {count * (double)size / cpuSeconds / 1e6,6:F1} | {Percentile(latencies, 50),8:F2} / {Percentile(latencies, 99),6:F2} / {latencies.DefaultIfEmpty().Max(),6:F2}");
        }
    }

    private static (double VirtualSeconds, double CpuSeconds) Saturate(int size, int count)
    {
        var plan = Quiet(1, 3, Duration.FromSeconds(600));
        using var simulation = new ClusterSimulation(plan, NodeStacks.For(plan)) { WorkloadEnabled = false };
        simulation.RunUntil(Instant.FromMilliseconds(2000));
        var start = simulation.Now;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        long delivered = 0;
        var submitted = 0;
        simulation.Observed = (now, process, totemEvent) =>
        {
            if (totemEvent is Delivered)
            {
                delivered++;
            }
        };
        var nodes = simulation.Nodes.ToArray();
        while (delivered < (long)count * nodes.Length && !simulation.IsFailed && simulation.Now < start + Duration.FromSeconds(300))
        {
            foreach (var node in nodes)
            {
                while (submitted < count && simulation.Node(node) is ComposedNode { Stack.Totem.PendingPackets: < 8 } && simulation.Submit(node, size) is not null)
                {
                    submitted++;
                }
            }

            simulation.RunUntil(simulation.Now + new Duration(200));
        }

        Require(simulation);
        return ((simulation.Now - start).Microseconds / 1e6, (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
    }

    private static List<double> Latency(int size)
    {
        var plan = Quiet(2, 3, Duration.FromSeconds(60));
        using var simulation = new ClusterSimulation(plan, NodeStacks.For(plan)) { WorkloadEnabled = false };
        simulation.RunUntil(Instant.FromMilliseconds(2000));
        var submittedAt = new Dictionary<MessageId, Instant>();
        var latencies = new List<double>();
        simulation.Observed = (now, process, totemEvent) =>
        {
            if (totemEvent is Delivered delivered && MessageStamp.TryRead(delivered.Payload.Span, out var id, out _) && submittedAt.TryGetValue(id, out var at))
            {
                latencies.Add((now - at).Microseconds / 1000.0);
            }
        };
        for (var round = 0; round < 50; round++)
        {
            foreach (var node in simulation.Nodes)
            {
                if (simulation.Submit(node, size) is { } id)
                {
                    submittedAt[id] = simulation.Now;
                }

                simulation.RunUntil(simulation.Now + Duration.FromMilliseconds(33));
            }
        }

        simulation.RunUntil(simulation.Now + Duration.FromSeconds(2));
        Require(simulation);
        return latencies;
    }

    /// <summary>
    /// Node 1 streams 100-byte messages every 5 ms (200 msg/s, as the Corosync baseline). At a random
    /// instant the active link (link 0) of node 3 is cut (failover) or every link of node 3 (node loss).
    /// The figure is the longest silence between two deliveries of the stream at any node that stays in
    /// the ring, measured around the cut (minus nothing: a 5 ms gap is the stream's own pace).
    /// </summary>
    private static void Gaps(string title, int runs, bool nodeLoss)
    {
        var gaps = new List<double>();
        var configurationChanges = 0;
        var clock = Stopwatch.StartNew();
        for (var run = 1; run <= runs; run++)
        {
            var plan = Quiet((ulong)run, 3, Duration.FromSeconds(60));
            var prng = new Prng((ulong)run * 7919);
            using var simulation = new ClusterSimulation(plan, NodeStacks.For(plan)) { WorkloadEnabled = false };
            var cutAt = Instant.FromMilliseconds(3000 + prng.NextInRange(0, 1000));
            var mode = nodeLoss ? 0 : prng.NextBelow(3);
            var lastDelivery = new Dictionary<NodeId, Instant>();
            var worst = 0.0;
            var changed = false;
            simulation.Observed = (now, process, totemEvent) =>
            {
                if (now < cutAt - Duration.FromMilliseconds(100))
                {
                    return;
                }

                if (totemEvent is ConfigurationChanged && !nodeLoss)
                {
                    changed = true;
                }

                if (totemEvent is Delivered delivered && delivered.Sender.Value == 1 && process.Node.Value != 3)
                {
                    if (lastDelivery.TryGetValue(process.Node, out var last))
                    {
                        worst = Math.Max(worst, (now - last).Microseconds / 1000.0);
                    }

                    lastDelivery[process.Node] = now;
                }
            };
            var end = cutAt + Duration.FromSeconds(5);
            var cutDone = false;
            while (simulation.Now < end)
            {
                if (!cutDone && simulation.Now >= cutAt)
                {
                    cutDone = true;
                    Cut(simulation, nodeLoss, mode);
                }

                simulation.Submit(new NodeId(1), 100);
                simulation.RunUntil(simulation.Now + Duration.FromMilliseconds(5));
            }

            Require(simulation);
            gaps.Add(worst);
            configurationChanges += changed ? 1 : 0;
        }

        gaps.Sort();
        Console.WriteLine($"{title}, 3 nodes, 2 links, {runs} runs (CPU {clock.Elapsed.TotalSeconds:F1} s):");
        Console.WriteLine($"  longest delivery gap at the surviving nodes (ms): min {gaps[0]:F1}  p50 {Percentile(gaps, 50):F1}  p95 {Percentile(gaps, 95):F1}  max {gaps[^1]:F1}");
        if (!nodeLoss)
        {
            Console.WriteLine($"  runs with a configuration change: {configurationChanges} (must be 0)");
        }
    }

    private static void Cut(ClusterSimulation simulation, bool nodeLoss, ulong mode)
    {
        var victim = new NodeId(3);
        foreach (var peer in simulation.Nodes.Where(n => n != victim))
        {
            for (var link = 0; link < (nodeLoss ? 2 : 1); link++)
            {
                var linkId = new LinkId((byte)link);
                if (mode != 2)
                {
                    simulation.Apply(new SetLinkCut(simulation.Now, victim, peer, linkId, true));
                }

                if (mode != 1)
                {
                    simulation.Apply(new SetLinkCut(simulation.Now, peer, victim, linkId, true));
                }
            }
        }
    }

    private static void Require(ClusterSimulation simulation)
    {
        if (simulation.IsFailed)
        {
            Console.WriteLine($"  (checker violation during the benchmark: {simulation.Checker.Violations[0]}; seed {simulation.Plan.Seed})");
        }
    }

    private static double Percentile(List<double> values, int percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1)];
    }
}
