using Rookery.Simulation.Harness;
using Rookery.Simulation.Scenarios;
using Rookery.Totem;

namespace Rookery.Simulation.Nodes;

/// <summary>Builds the nodes a run simulates: the shipped composition, configured from the run's corosync.conf.</summary>
public static class NodeStacks
{
    public static NodeFactory For(FaultPlan plan)
    {
        var config = ComposedNode.Config(plan);
        return environment => new ComposedNode(environment, config);
    }
}

/// <summary>Runs one seed of one scenario: the entry point of the tests, the replay tool and the sweeps.</summary>
public static class SeedRunner
{
    /// <summary>The scenarios a seed can run.</summary>
    public static readonly string[] Scenarios = ["swarm", "link-cut", "failover-gap"];

    public static FaultPlan Plan(ulong seed, string scenario) => scenario switch
    {
        "link-cut" or "failover-gap" => FaultPlan.LinkCut(seed),
        _ => FaultPlan.FromSeed(seed),
    };

    public static SimulationResult Run(ulong seed, string scenario = "swarm", TextWriter? trace = null)
    {
        var plan = Plan(seed, scenario);
        using var simulation = new ClusterSimulation(plan, NodeStacks.For(plan), trace);
        if (scenario == "link-cut")
        {
            LinkCutScenario.Attach(simulation, TotemOptions.Compute(plan.NodeCount).Token);
        }
        else if (scenario == "failover-gap")
        {
            LinkCutScenario.Attach(simulation, LinkCutScenario.DeliveryGapMax);
        }

        return simulation.Run() with { Scenario = scenario };
    }
}
