using Rookery.Simulation.Nodes;

namespace Rookery.Simulation.Tests.Sweeps;

/// <summary>
/// Goal: the seed document's promise. With two or three links, cutting the active link of any node,
/// one way or both ways, never changes the ring id or the membership, and loses, duplicates or
/// reorders no message.
/// Method: <see cref="Scenarios.FaultPlan.LinkCut"/> draws 2–7 nodes, the victim, the direction and
/// the instant; the real stack runs with the cluster checkers plus <see cref="Scenarios.LinkCutScenario"/>
/// (no configuration event after the cut, and the cut link was the active one), then the liveness
/// phase requires every message submitted in the ring at every node. At least 1 000 seeds per run:
/// a fixed block and fresh random seeds (printed; SIM_LINKCUT_SEEDS=n changes their number).
/// </summary>
public sealed class LinkCutSimulationTests
{
    private const int FixedSeedCount = 500;

    [Fact]
    public void FixedSeedsNeverChangeTheRing()
    {
        var seeds = Enumerable.Range(1, FixedSeedCount).Select(i => (ulong)i).ToArray();

        var failed = SeedSweep.Run(seeds, "link-cut");

        Assert.True(failed.Count == 0, SeedSweep.Describe(failed, seeds.Length));
    }

    [Fact]
    public void FreshRandomSeedsNeverChangeTheRing()
    {
        var seeds = SeedSweep.FreshSeeds(SeedSweep.Count("SIM_LINKCUT_SEEDS", 500));
        SeedSweep.Print($"link-cut: {seeds.Length} fresh seeds, first {seeds.FirstOrDefault()} last {seeds.LastOrDefault()}: {string.Join(" ", seeds)}");

        var failed = SeedSweep.Run(seeds, "link-cut");

        Assert.True(failed.Count == 0, SeedSweep.Describe(failed, seeds.Length));
    }
}
