using Rookery.Simulation.Harness;
using Rookery.Simulation.Scenarios;
using Rookery.Totem;

namespace Rookery.Simulation.Nodes;

/// <summary>Which node stack a run simulates.</summary>
public enum StackKind
{
    /// <summary>Totem + groups over the link layer (the node shell's stack): the default.</summary>
    Links,

    /// <summary>Totem + groups with datagrams straight on link 0 (Totem alone, no link layer).</summary>
    Direct,
}

/// <summary>Builds the node stacks the simulation runs, with corosync's default timers for the cluster size.</summary>
public static class NodeStacks
{
    public static NodeFactory For(StackKind kind, FaultPlan plan)
    {
        var options = TotemOptions.Compute(plan.NodeCount);
        return kind switch
        {
            StackKind.Direct => environment => new ClusterNode(environment, options),
            _ => environment => new ClusterNode(environment, options, env => new LinksTransport(env)),
        };
    }
}

/// <summary>Runs one seed of one scenario: the entry point of the tests, the replay tool and the sweeps.</summary>
public static class SeedRunner
{
    /// <summary>
    /// The plan of a seed. Without the link layer nothing authenticates datagrams (knet's HMAC does), so
    /// corruption is left out of direct runs: Totem, like corosync, trusts its transport for integrity.
    /// </summary>
    /// <summary>The scenarios a seed can run.</summary>
    public static readonly string[] Scenarios = ["swarm", "link-cut", "failover-gap"];

    public static FaultPlan Plan(ulong seed, string scenario, StackKind stack = StackKind.Links) => scenario switch
    {
        "link-cut" or "failover-gap" => FaultPlan.LinkCut(seed),
        _ => FaultPlan.FromSeed(seed, stack == StackKind.Direct ? FaultKinds.All & ~FaultKinds.Corrupt : FaultKinds.All),
    };

    public static SimulationResult Run(ulong seed, string scenario = "swarm", StackKind stack = StackKind.Links, TextWriter? trace = null)
    {
        var plan = Plan(seed, scenario, stack);
        using var simulation = new ClusterSimulation(plan, NodeStacks.For(stack, plan), trace);
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
