using Rookery.Groups;
using Rookery.Services;
using Rookery.Simulation.Harness;

namespace Rookery.Node.Tests.Services;

/// <summary>
/// Goal: every membership change runs its sync in corosync's order of events, as corosync 3.1.7 logs it: the services'
/// init with the quorum service's member lists, then cmap, cpg (its downlists), quorum and votequorum committed in that
/// order, the quorum report, and "Completed service synchronization"; and the clients hear cpg's membership before
/// the quorum report.
/// Method: the composed simulator replays the membership changes of the reference capture (node 1 alone, node 2
/// joins, node 3 joins, node 3 leaves and comes back, node 2 is killed and comes back) and node 1's log lines of each
/// sync are compared, ring by ring, with node 1's log of the capture (Fixtures/corosync-sync/corosync.node1.sync.log).
/// Rookery's own fifth turn ("Committing synchronization for rookery extensions", only in a ring of Rookery nodes) is
/// the one line corosync has no counterpart for.
/// </summary>
public sealed class ServiceSyncOrderTests
{
    private const string RookeryTurn = "Committing synchronization for rookery extensions";

    [Fact]
    public void Every_ring_syncs_in_corosyncs_order_of_events_as_node_1_of_the_capture_logs_it()
    {
        var corosync = Rings(File.ReadAllLines(CorosyncCapture.FixturePath("corosync.node1.sync.log")).Select(CorosyncText));
        Assert.Equal(7, corosync.Count);

        var cluster = new ComposedCluster(seed: 17, nodes: 3);
        cluster.Start(1);
        cluster.RunUntilSettled();
        foreach (var step in new Action[] { () => cluster.Start(2), () => cluster.Start(3), () => cluster.Crash(3), () => cluster.Restart(3), () => cluster.Crash(2), () => cluster.Restart(2) })
        {
            step();
            cluster.RunUntilSettled();
        }

        var rookery = Rings(cluster.LogLines(1).Where(line => line != RookeryTurn));
        Assert.Equal(corosync.Count, rookery.Count);
        for (var ring = 0; ring < corosync.Count; ring++)
        {
            Assert.True(corosync[ring].SequenceEqual(rookery[ring]),
                $"ring {ring + 1} of the capture:\n  corosync: {string.Join("\n            ", corosync[ring])}\n  rookery:  {string.Join("\n            ", rookery[ring])}");
        }

        // What node 1's clients hear in each sync: cpg's membership (its activation) before the quorum report, then the end.
        var order = cluster.Outputs[1]
            .Select(o => o switch
            {
                LocalGroupEvent { Event: GroupTotemMembership } => "cpg",
                QuorumReported => "quorum",
                SyncCompleted => "completed",
                _ => null,
            })
            .OfType<string>();
        Assert.Equal(string.Concat(Enumerable.Repeat("cpg quorum completed ", corosync.Count)), string.Concat(order.Select(o => o + " ")));
    }

    /// <summary>The lines of each sync round, from the services' init to "Completed service synchronization", as corosync words them.</summary>
    private static List<List<string>> Rings(IEnumerable<string> lines)
    {
        var rings = new List<List<string>>();
        List<string>? current = null;
        foreach (var line in lines.Where(IsSyncLine))
        {
            if (line == "call init for locally known services")
            {
                current = [];
                rings.Add(current);
            }

            current?.Add(line);
            if (line.StartsWith("Completed service synchronization", StringComparison.Ordinal))
            {
                current = null;
            }
        }

        return rings;
    }

    private static bool IsSyncLine(string text) =>
        text is "call init for locally known services" or "enter sync process"
        || text.StartsWith("Committing synchronization for ", StringComparison.Ordinal)
        || text.StartsWith("Completed service synchronization", StringComparison.Ordinal)
        || text.StartsWith("Sync members[", StringComparison.Ordinal)
        || text.StartsWith("Sync joined[", StringComparison.Ordinal)
        || text.StartsWith("Sync left[", StringComparison.Ordinal)
        || text.StartsWith("Members[", StringComparison.Ordinal)
        || text.StartsWith("This node is within the", StringComparison.Ordinal)
        || text.StartsWith("downlist left_list", StringComparison.Ordinal);

    /// <summary>A corosync log line's text after its "[SUBSYS] " tag.</summary>
    private static string CorosyncText(string line)
    {
        var tag = line.IndexOf("] ", line.IndexOf('[', line.IndexOf("corosync", StringComparison.Ordinal)), StringComparison.Ordinal);
        return line[(tag + 2)..].TrimEnd();
    }
}
