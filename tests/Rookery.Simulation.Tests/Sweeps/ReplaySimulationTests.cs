using Rookery.Simulation.Nodes;
using Rookery.Simulation.Scenarios;

namespace Rookery.Simulation.Tests.Sweeps;

/// <summary>
/// Goal: no recorded datagram, replayed at any time and in any amount, changes membership or delivery
/// (issue 15): the ring never changes from the first replayed datagram on, no message is delivered twice
/// or out of order, and everything submitted reaches every node.
/// Method: <see cref="FaultPlan.Replay"/> draws 2–5 nodes, a recording of the start-up, a restart of every
/// node with its persisted ring id (two seeds in three), and bursts of the record replayed from the original
/// sources once the ring has formed again; <see cref="ReplayScenario"/> adds the ring check to the cluster
/// checkers. Fixed seeds plus fresh random ones (printed; SIM_REPLAY_SEEDS=n changes their number).
/// </summary>
public sealed class ReplaySimulationTests
{
    [Fact]
    public void FixedSeedsNeverChangeTheRing()
    {
        var seeds = Enumerable.Range(1, 30).Select(i => (ulong)i).ToArray();

        var failed = Run(seeds);

        Assert.True(failed.Count == 0, string.Join("\n", failed.Select(r => r.Describe())));
    }

    [Fact]
    public void FreshRandomSeedsNeverChangeTheRing()
    {
        var seeds = SeedSweep.FreshSeeds(SeedSweep.Count("SIM_REPLAY_SEEDS", 12));
        SeedSweep.Print($"replay: {seeds.Length} fresh seeds: {string.Join(" ", seeds)}");

        var failed = Run(seeds);

        Assert.True(failed.Count == 0, string.Join("\n", failed.Select(r => r.Describe())));
    }

    private static List<Rookery.Simulation.Harness.SimulationResult> Run(IEnumerable<ulong> seeds) =>
        seeds.AsParallel().Select(seed => ReplayScenario.Run(seed)).Where(r => !r.Passed).OrderBy(r => r.Plan.Seed).ToList();
}
