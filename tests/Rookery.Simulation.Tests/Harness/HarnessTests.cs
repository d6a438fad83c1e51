using Rookery.Simulation.Checking;
using Rookery.Simulation.Harness;
using Rookery.Simulation.Scenarios;

namespace Rookery.Simulation.Tests.Harness;

/// <summary>
/// Goal: the driver itself is trustworthy: a correct total order passes all phases, a planted
/// ordering bug is caught with its seed, and one seed replays to the same trace hash.
/// Method: the <see cref="SequencerNode"/> test double on the harness network.
/// </summary>
public sealed class HarnessTests
{
    [Fact]
    public void CorrectTotalOrderPassesSafetyHealAndLiveness()
    {
        using var simulation = new ClusterSimulation(Quiet(seed: 11, nodeCount: 4), env => new SequencerNode(env));

        var result = simulation.Run();

        Assert.True(result.Passed, result.Describe());
        Assert.True(result.Delivered > 100, result.Describe());
        Assert.Equal(result.Submitted * 4, result.Delivered);
    }

    [Fact]
    public void PlantedReorderIsCaughtAndNamesTheSeed()
    {
        using var simulation = new ClusterSimulation(Quiet(seed: 12, nodeCount: 3), env => new SequencerNode(env, swapAt: 7));

        var result = simulation.Run();

        Assert.False(result.Passed);
        Assert.Equal(Property.AgreedOrder, result.Violations[0].Property);
        Assert.Contains("seed=12", result.Describe(), StringComparison.Ordinal);
        Assert.True(result.End < Instant.Zero + Duration.FromSeconds(5), "the run stops at the first violation");
    }

    [Fact]
    public void SameSeedGivesTheSameTraceHash()
    {
        var plan = Quiet(seed: 13, nodeCount: 3) with { Conditions = new PathConditions { Loss = Ratio.Percent(1), DelayMin = new Duration(200) } };

        string Run(FaultPlan p)
        {
            using var simulation = new ClusterSimulation(p, env => new SequencerNode(env));
            return simulation.Run().TraceHash;
        }

        Assert.Equal(Run(plan), Run(plan));
        Assert.NotEqual(Run(plan), Run(plan with { Seed = 14 }));
    }

    [Fact]
    public void PausedNodeCatchesUpFromItsSocketBuffer()
    {
        var plan = Quiet(seed: 15, nodeCount: 3) with
        {
            Schedule = [new PauseNode(Instant.FromMilliseconds(500), new NodeId(3), Instant.FromMilliseconds(1500))],
        };
        using var simulation = new ClusterSimulation(plan, env => new SequencerNode(env));

        var result = simulation.Run();

        Assert.True(result.Passed, result.Describe());
    }

    [Fact]
    public void PartitionDropsTrafficBetweenSidesAndTheDoubleCannotConverge()
    {
        // The sequencer double has no membership: a partition makes it lose messages for good, and
        // the liveness phase must say so rather than pass.
        var plan = Quiet(seed: 16, nodeCount: 3) with
        {
            Schedule =
            [
                new SetPartition(Instant.FromMilliseconds(300), [[new NodeId(1)], [new NodeId(2), new NodeId(3)]], OneWay: false),
                new HealPartition(Instant.FromMilliseconds(900)),
            ],
        };
        using var simulation = new ClusterSimulation(plan, env => new SequencerNode(env));

        var result = simulation.Run();

        Assert.False(result.Passed);
        Assert.Contains(result.Violations, v => v.Property is Property.Liveness or Property.NoLossNoDuplicate);
    }

    [Fact]
    public void TracePrintsEveryStep()
    {
        var writer = new StringWriter();
        using var simulation = new ClusterSimulation(Quiet(seed: 17, nodeCount: 2) with { SafetyDuration = Duration.FromMilliseconds(200) }, env => new SequencerNode(env), writer);

        simulation.Run();

        var text = writer.ToString();
        Assert.Contains("n2 send 2->1/link0", text, StringComparison.Ordinal);
        Assert.Contains("n1 deliver 2#0:1 from 2 ring 1.4", text, StringComparison.Ordinal);
        Assert.Contains("Regular configuration 1.4 members [1,2]", text, StringComparison.Ordinal);
        Assert.Contains("converged", text, StringComparison.Ordinal);
    }

    internal static FaultPlan Quiet(ulong seed, int nodeCount) => new()
    {
        Seed = seed,
        NodeCount = nodeCount,
        LinkCount = 1,
        LinkPriorities = [1],
        Quorum = QuorumChoice.Plain,
        Kinds = FaultKinds.None,
        Conditions = new PathConditions { DelayMin = new Duration(150) }, // no jitter: the double needs FIFO paths
        Schedule = [],
        SubmitInterval = Duration.FromMilliseconds(20),
        MessageSizeMin = 24,
        MessageSizeMax = 300,
        SafetyDuration = Duration.FromSeconds(2),
        LivenessBound = Duration.FromSeconds(5),
    };
}
