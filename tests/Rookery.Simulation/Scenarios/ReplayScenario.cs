using Rookery.Simulation.Checking;
using Rookery.Simulation.Harness;
using Rookery.Simulation.Nodes;
using Rookery.Totem;

namespace Rookery.Simulation.Scenarios;

/// <summary>
/// Issue 15's replay attack, checked on top of the cluster checkers: once the ring of all nodes has
/// formed (after the restart, when the plan restarts the nodes), replaying recorded datagrams, any
/// slice, any number of times, never changes the ring: no configuration event at all from the first
/// replayed datagram on. Replayed messages that were delivered would show as duplicates or strangers
/// to the cluster checkers; the liveness phase then requires every message submitted at every node.
/// </summary>
public static class ReplayScenario
{
    public const string Name = "replay";

    public static SimulationResult Run(ulong seed, TextWriter? trace = null) => SeedRunner.Run(seed, Name, trace);

    public static void Attach(ClusterSimulation simulation)
    {
        var checker = simulation.Checker;
        var plan = simulation.Plan;
        var all = simulation.Nodes.Order().ToArray();
        var applied = 0;
        var replaying = false;
        bool IsFormed() =>
            all.All(n => simulation.Node(n) is not null && checker.CurrentRing(simulation.ProcessOf(n)) is { } ring && checker.RingMembers(ring)!.SequenceEqual(all))
            && all.Select(n => checker.CurrentRing(simulation.ProcessOf(n))).Distinct().Count() == 1;

        // A replay waits until every restart is done and the ring of all nodes has formed again.
        simulation.ScheduleGate = () => applied >= plan.Schedule.Count || plan.Schedule[applied] is not ReplayTraffic || replaying || IsFormed();
        simulation.Applying += action =>
        {
            applied++;
            if (action is ReplayTraffic && !replaying)
            {
                replaying = true;
                simulation.Trace.Note(simulation.Now, $"replaying: the adversary recorded {simulation.Adversary.Recorded} datagrams");
            }
        };
        simulation.Observed += (now, process, totemEvent) =>
        {
            if (replaying && totemEvent is ConfigurationChanged change)
            {
                checker.Report(Property.Scenario, now, process, $"the ring changed during a replay of recorded datagrams: {change.Kind} configuration {change.RingId} members [{string.Join(",", change.Members)}]");
            }
        };
    }
}
