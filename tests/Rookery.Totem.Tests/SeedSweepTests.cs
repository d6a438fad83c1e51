using System.Globalization;

namespace Rookery.Totem.Tests;

/// <summary>
/// Randomised runs: loss, duplication, reordering, crashes and restarts, partitions, with and without
/// the link layer's unreachable reports. Safety checkers after the run, then heal and liveness.
/// TOTEM_SWEEP_SEEDS=N adds N fresh seeds (each failure names its seed); TOTEM_ONE_SEED=N replays one.
/// </summary>
public sealed class SeedSweepTests
{
    private static readonly Duration LivenessLimit = Duration.FromSeconds(120);

    public static TheoryData<ulong> Seeds()
    {
        var data = new TheoryData<ulong>();
        for (ulong seed = 1000; seed < 1040; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void FixedSeed(ulong seed) => RunSeed(seed);

    [Fact]
    public void FreshSeedsFromEnvironment()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("TOTEM_SWEEP_SEEDS"), CultureInfo.InvariantCulture, out var n) ? n : 0;
        var start = (ulong)Environment.TickCount64;
        TestContext.Current.TestOutputHelper?.WriteLine($"fresh seeds {start}..{start + (ulong)count - 1}");
        for (var i = 0; i < count; i++)
        {
            if (Environment.GetEnvironmentVariable("TOTEM_SWEEP_TRACE") is { Length: > 0 } trace)
            {
                File.AppendAllText(trace, $"{start + (ulong)i}\n");
            }

            RunSeed(start + (ulong)i);
        }
    }

    /// <summary>Replays one seed: TOTEM_ONE_SEED=N (with TOTEM_TEST_LOG=/path for a full log of every node).</summary>
    [Fact]
    public void ReplaySeedFromEnvironment()
    {
        if (!ulong.TryParse(Environment.GetEnvironmentVariable("TOTEM_ONE_SEED"), CultureInfo.InvariantCulture, out var seed))
        {
            Assert.Skip("set TOTEM_ONE_SEED to replay one seed");
        }

        RunSeed(seed);
    }

    internal static void RunSeed(ulong seed)
    {
        var plan = new Prng(seed ^ 0x5eed);
        var count = (int)plan.NextInRange(2, 5);
        var fast = plan.Chance(Ratio.Percent(50));
        var cluster = new TestCluster(seed, count, TotemOptions.Compute(count) with { FastNodeLoss = fast })
        {
            Loss = Ratio.Percent(plan.NextBelow(16)),
            Duplicate = Ratio.Percent(plan.NextBelow(6)),
            DelayJitter = Duration.FromMilliseconds(1 + (long)plan.NextBelow(30)),
        };
        var everCrashed = new HashSet<int>();
        cluster.StartAll();
        for (var step = 0; step < 25; step++)
        {
            foreach (var node in cluster.Nodes.Where(n => n.Up))
            {
                var messages = (int)plan.NextBelow(6);
                for (var i = 0; i < messages; i++)
                {
                    node.Submit(plan.Chance(Ratio.Percent(5)) ? 70_000 : (int)plan.NextBelow(300));
                }
            }

            var action = plan.NextBelow(10);
            var victim = (int)plan.NextInRange(1, count);
            switch (action)
            {
                case 0 when cluster.Nodes.Count(n => n.Up) > 1 && cluster[victim].Up:
                    cluster[victim].Crash();
                    everCrashed.Add(victim);
                    cluster.Run(Duration.FromMilliseconds(plan.NextInRange(100, 900)));
                    ReportReachability(cluster);
                    break;
                case 1 when !cluster[victim].Up:
                    cluster[victim].Restart();
                    ReportReachability(cluster);
                    break;
                case 2:
                    var split = (int)plan.NextInRange(1, count);
                    cluster.Partition(Enumerable.Range(1, split).ToArray(), Enumerable.Range(split + 1, count - split).ToArray());
                    cluster.Run(Duration.FromMilliseconds(plan.NextInRange(100, 900)));
                    ReportReachability(cluster);
                    break;
                case 3:
                    cluster.Heal();
                    ReportReachability(cluster);
                    break;
            }

            cluster.Run(Duration.FromMilliseconds(plan.NextInRange(200, 3000)));
        }

        Checkers.CheckAll(cluster);

        // Liveness: heal everything; one ring of all nodes must form and deliver a final round everywhere.
        cluster.Heal();
        cluster.Loss = Ratio.Zero;
        cluster.Duplicate = Ratio.Zero;
        foreach (var node in cluster.Nodes.Where(n => !n.Up))
        {
            node.Restart();
        }

        ReportReachability(cluster);
        var all = Enumerable.Range(1, count).ToArray();
        Checkers.Check(cluster, cluster.RunUntil(() => cluster.Converged(all), LivenessLimit), $"no ring of all {count} nodes after heal (fast={fast})");
        var final = new List<string>();
        foreach (var node in cluster.Nodes)
        {
            Checkers.Check(cluster, node.Submit(10), $"node {node.Id} refused a final message");
            final.Add(node.Accepted[^1]);
        }

        Checkers.Check(cluster, cluster.RunUntil(() => cluster.Nodes.All(n => final.All(n.DeliveredSet.Contains)), LivenessLimit), "final round not delivered everywhere");
        Checkers.CheckAll(cluster);
        Checkers.SelfDelivery(cluster, cluster.Nodes.Where(n => !everCrashed.Contains((int)n.Id.Value)));
    }

    /// <summary>Plays the link layer: a peer is unreachable when it is down or in another partition.</summary>
    private static void ReportReachability(TestCluster cluster)
    {
        foreach (var node in cluster.Nodes.Where(n => n.Up))
        {
            foreach (var peer in cluster.Nodes.Where(p => p != node))
            {
                if (peer.Up && peer.Group == node.Group)
                {
                    node.Core.OnPeerReachable(cluster.Now, peer.Id, cluster.Output);
                }
                else
                {
                    node.Core.OnPeerUnreachable(cluster.Now, peer.Id, cluster.Output);
                }

                cluster.Process(node, cluster.Output);
            }
        }
    }
}
