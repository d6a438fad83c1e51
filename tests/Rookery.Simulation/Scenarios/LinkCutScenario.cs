using Rookery.Simulation.Checking;
using Rookery.Simulation.Harness;
using Rookery.Totem;

namespace Rookery.Simulation.Scenarios;

/// <summary>
/// The seed document's promise, checked on top of the cluster checkers: once the ring of all nodes
/// has formed, cutting the active link of one node (one way or both ways) never changes the ring id
/// or the membership: no configuration event at all afterwards, and no node goes longer than a
/// bound without a delivery while every node keeps submitting. Loss, duplication and reordering are
/// caught by the cluster checkers, and the liveness phase requires every message submitted in the
/// ring to reach every node. Two bounds: the "link-cut" scenario allows a stall up to Totem's token
/// timeout (longer would have cost the membership in corosync); the "failover-gap" scenario holds
/// Totem to <see cref="DeliveryGapMax"/> (issue 4: detection + 50 ms).
/// </summary>
public static class LinkCutScenario
{
    /// <summary>
    /// Longest silence allowed at any node once the ring has formed (issue 4, item 4): the link
    /// layer's worst-case detection of a dead link (300 ms, issue 3) plus at most 50 ms for Totem to
    /// resume on the new link, plus the workload's own pace (every node submits again within
    /// 2 × 50 ms, see <see cref="FaultPlan.LinkCut"/>).
    /// </summary>
    public static Duration DeliveryGapMax => Duration.FromMilliseconds(300 + 50 + 100);

    public static void Attach(ClusterSimulation simulation, Duration deliveryGapMax)
    {
        var checker = simulation.Checker;
        var all = simulation.Nodes.Order().ToArray();
        var formed = false;
        var lastDelivery = new Dictionary<NodeId, Instant>();
        void CheckGap(Instant now, NodeId node)
        {
            if (formed && lastDelivery.TryGetValue(node, out var last) && now - last > deliveryGapMax)
            {
                checker.Report(Property.Scenario, now, simulation.ProcessOf(node), $"no delivery for {now - last} (from {last}) after a link cut; the bound is {deliveryGapMax}");
            }
        }

        simulation.Observed += (now, process, totemEvent) =>
        {
            if (totemEvent is Delivered)
            {
                CheckGap(now, process.Node);
                lastDelivery[process.Node] = now;
            }

            if (totemEvent is not ConfigurationChanged change)
            {
                return;
            }

            if (formed)
            {
                checker.Report(Property.Scenario, now, process, $"the ring changed after a link cut: {change.Kind} configuration {change.RingId} members [{string.Join(",", change.Members)}]");
            }
        };
        bool IsFormed() =>
            all.All(n => checker.CurrentRing(simulation.ProcessOf(n)) is { } ring && checker.RingMembers(ring)!.SequenceEqual(all))
            && all.Select(n => checker.CurrentRing(simulation.ProcessOf(n))).Distinct().Count() == 1;

        // The cut waits for the ring of all nodes: how fast it forms is not this scenario's subject.
        simulation.ScheduleGate = () =>
        {
            if (!formed && IsFormed())
            {
                formed = true;
                foreach (var node in all)
                {
                    lastDelivery[node] = simulation.Now; // gaps count from the formation
                }
            }

            return formed;
        };
        simulation.Applying += action =>
        {
            if (action is SetLinkCut { Cut: false })
            {
                foreach (var node in all)
                {
                    CheckGap(simulation.Now, node);
                }
            }

            if (action is not SetLinkCut { Cut: true } cut)
            {
                return;
            }

            var now = simulation.Now;
            if (!formed)
            {
                if (!formed)
                {
                    checker.Report(Property.Scenario, now, null, "the link was cut before the ring of all nodes had formed");
                    return;
                }
            }

            var active = simulation.Node(cut.From)?.ActiveLink(cut.To);
            if (active != cut.Link)
            {
                checker.Report(Property.Scenario, now, null, $"the cut link {cut.Link} {cut.From}->{cut.To} is not the active one ({active?.ToString() ?? "none"})");
            }
        };
    }
}
