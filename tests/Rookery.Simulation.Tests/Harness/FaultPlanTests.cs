using Rookery.Simulation.Scenarios;

namespace Rookery.Simulation.Tests.Harness;

/// <summary>Goal: a seed fully determines a plan, plans stay in bounds, and every fault is repaired.</summary>
public sealed class FaultPlanTests
{
    [Fact]
    public void ASeedAlwaysGivesTheSamePlan()
    {
        for (ulong seed = 0; seed < 50; seed++)
        {
            Assert.Equal(FaultPlan.FromSeed(seed).Describe(), FaultPlan.FromSeed(seed).Describe());
            Assert.Equal(FaultPlan.FromSeed(seed).Schedule.Select(a => a.ToString()), FaultPlan.FromSeed(seed).Schedule.Select(a => a.ToString()));
        }
    }

    [Fact]
    public void PlansStayInBoundsAndRepairEveryFault()
    {
        var kindsSeen = FaultKinds.None;
        var sizes = new HashSet<int>();
        for (ulong seed = 0; seed < 500; seed++)
        {
            var plan = FaultPlan.FromSeed(seed);
            kindsSeen |= plan.Kinds;
            sizes.Add(plan.NodeCount);
            Assert.InRange(plan.NodeCount, FaultPlan.NodeCountMin, FaultPlan.NodeCountMax);
            Assert.InRange(plan.LinkCount, 1, FaultPlan.LinkCountMax);
            var end = Instant.Zero + plan.SafetyDuration;
            Assert.All(plan.Schedule, a => Assert.True(a.At <= end, $"seed={seed}: {a} after the safety phase"));
            Assert.Equal(plan.Schedule.OrderBy(a => a.At).Select(a => a.At), plan.Schedule.Select(a => a.At));
            var cuts = plan.Schedule.OfType<SetLinkCut>().ToArray();
            Assert.Equal(cuts.Count(c => c.Cut), cuts.Count(c => !c.Cut));
            Assert.Equal(plan.Schedule.OfType<SetPartition>().Count(), plan.Schedule.OfType<HealPartition>().Count());
            Assert.Equal(plan.Schedule.OfType<CrashNode>().Count(), plan.Schedule.OfType<RestartNode>().Count());
            Assert.All(plan.Schedule.OfType<PauseNode>(), p => Assert.True(p.Until <= end));
        }

        Assert.Equal(FaultKinds.All, kindsSeen);
        Assert.Equal(6, sizes.Count);
    }

    [Fact]
    public void LinkCutPlansCutOnlyTheActiveLinkOfOneNode()
    {
        var modes = new HashSet<string>();
        for (ulong seed = 0; seed < 200; seed++)
        {
            var plan = FaultPlan.LinkCut(seed);
            Assert.True(plan.LinkCount >= 2);
            var cuts = plan.Schedule.Cast<SetLinkCut>().ToArray();
            Assert.All(cuts, c => Assert.True(c.Cut && c.Link.Value == 0));
            var victims = cuts.Select(c => c.From).Intersect(cuts.Select(c => c.To)).ToArray();
            var victim = cuts.GroupBy(c => c.From).Concat(cuts.GroupBy(c => c.To)).OrderByDescending(g => g.Count()).First().Key;
            Assert.All(cuts, c => Assert.True(c.From == victim || c.To == victim));
            modes.Add(cuts.All(c => c.From == victim) ? "out" : cuts.All(c => c.To == victim) ? "in" : "both");
        }

        Assert.Equal(3, modes.Count);
    }
}
