using Rookery.Simulation.Nodes;

namespace Rookery.Simulation.Tests.Sweeps;

/// <summary>
/// Goal (issue 4, beyond Corosync): after a link switch Totem resumes at once, so no node goes
/// longer than the link layer's worst-case detection plus 50 ms without a delivery
/// (<see cref="Scenarios.LinkCutScenario.DeliveryGapMax"/>) when the active link of a node is cut.
/// Method: the link-cut plans of <see cref="LinkCutSimulationTests"/>, seeds 1..200, with the tight
/// gap bound; every failure names its seed (replay with <c>--scenario failover-gap</c>).
/// </summary>
public sealed class FailoverGapSimulationTests
{
    [Fact]
    public void DeliveriesResumeRightAfterALinkSwitch()
    {
        var seeds = Enumerable.Range(1, 200).Select(i => (ulong)i).ToArray();

        var failed = SeedSweep.Run(seeds, "failover-gap");

        Assert.True(failed.Count == 0, SeedSweep.Describe(failed, seeds.Length));
    }
}
