using Rookery.Node.Logging;
using Rookery.Services;
using Rookery.Simulation.Harness;
using Rookery.Wire.Services;

namespace Rookery.Node.Tests.Stack;

/// <summary>Each node announces its link priorities after a membership change; a peer's that differ are a warning, once.</summary>
public sealed class LinkPriorityTests
{
    private static readonly Duration s_limit = Duration.FromSeconds(30);

    /// <summary>Two links, link 0 priority 15 and link 1 priority 20 (the seed's), reversed on <paramref name="reversedNode"/>.</summary>
    private static string Config(int node, int reversedNode)
    {
        var (link0, link1) = node == reversedNode ? (20, 15) : (15, 20);
        return "totem {\n version: 2\n cluster_name: test\n config_version: 1\n token: 1000\n"
            + $" interface {{\n  linknumber: 0\n  knet_link_priority: {link0}\n }}\n interface {{\n  linknumber: 1\n  knet_link_priority: {link1}\n }}\n}}\n"
            + "quorum {\n provider: corosync_votequorum\n}\n"
            + "nodelist {\n" + string.Concat(Enumerable.Range(1, 3).Select(i => $" node {{\n  nodeid: {i}\n  name: n{i}\n  ring0_addr: 127.0.0.{i}\n  ring1_addr: 127.0.1.{i}\n }}\n")) + "}\n";
    }

    private static List<string> PriorityWarnings(ComposedCluster cluster, uint node) =>
        cluster.Outputs[node].OfType<ServiceLog>().Where(l => l.Priority == LogPriority.Warning && l.Text.Contains("differs from local priority", StringComparison.Ordinal)).Select(l => l.Text).ToList();

    private static bool InService(ComposedCluster cluster) =>
        new uint[] { 1, 2, 3 }.All(id => cluster[id].Services.InService && !cluster[id].Services.Syncing && cluster[id].Services.Members.Count == 3);

    [Theory]
    [InlineData(11UL)]
    [InlineData(12UL)]
    public void Priorities_that_differ_from_a_peer_are_logged_once_per_peer_and_link(ulong seed)
    {
        var cluster = new ComposedCluster(seed, 3, node => Config(node, reversedNode: 3));
        cluster.StartAll();
        cluster.RunUntil(() => InService(cluster) && PriorityWarnings(cluster, 1).Count == 2, s_limit, "in service and node 1 warned");

        Assert.Equal(
            ["link: host: 3 link: 0 priority 20 differs from local priority 15; traffic between these nodes may take different links in each direction",
             "link: host: 3 link: 1 priority 15 differs from local priority 20; traffic between these nodes may take different links in each direction"],
            PriorityWarnings(cluster, 1).Order(StringComparer.Ordinal));
        Assert.Equal(2, PriorityWarnings(cluster, 2).Count);
        Assert.Equal(4, PriorityWarnings(cluster, 3).Count);
        Assert.Equal(20, cluster[1].PeerLinkPriority(3, 0));
        Assert.Equal(15, cluster[1].PeerLinkPriority(2, 0));
        Assert.Null(cluster[1].PeerLinkPriority(2, 5));

        // A new membership re-announces: the same values are not logged again.
        cluster.Crash(2);
        cluster.Restart(2);
        cluster.RunUntil(() => InService(cluster) && PriorityWarnings(cluster, 2).Count == 4, s_limit, "node 2 back and warned again (a new process)");
        Assert.Equal(2, PriorityWarnings(cluster, 1).Count);
        Assert.Equal(4, PriorityWarnings(cluster, 3).Count);
    }

    [Fact]
    public void Equal_priorities_are_not_reported_and_a_reload_that_aligns_them_stops_the_difference()
    {
        var cluster = new ComposedCluster(13, 3, node => Config(node, reversedNode: 0));
        cluster.StartAll();
        cluster.RunUntil(() => InService(cluster) && cluster[1].PeerLinkPriority(2, 1) == 20 && cluster[1].PeerLinkPriority(3, 1) == 20, s_limit, "in service, priorities known");
        Assert.All(new uint[] { 1, 2, 3 }, id => Assert.Empty(PriorityWarnings(cluster, id)));

        cluster[3].SetLinkPriorities(cluster.Now, LinkPriorities.From([(0, 15), (1, 30)]));
        cluster.RunUntil(() => PriorityWarnings(cluster, 1).Count == 1 && PriorityWarnings(cluster, 3).Count == 2, s_limit, "the reloaded priority reported");
        Assert.Equal(30, cluster[1].PeerLinkPriority(3, 1));
        Assert.Contains("link: host: 3 link: 1 priority 30 differs from local priority 20", PriorityWarnings(cluster, 1)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Link_priorities_round_trip_and_a_short_message_is_refused()
    {
        var priorities = LinkPriorities.From([(0, 15), (1, 20), (7, 255)]);
        Assert.Equal(ServiceDecodeStatus.Ok, CfgMessages.TryDecode(CfgMessages.EncodeLinkPriorities(4, priorities), out var decoded));
        Assert.Equal((CfgMessages.LinkPrioritiesFunction, 4u, priorities), (decoded.Function, decoded.NodeId, decoded.Priorities));
        Assert.True(decoded.Priorities.Has(7) && !decoded.Priorities.Has(2));
        Assert.Equal(255, decoded.Priorities.Priority(7));
        Assert.NotEqual(ServiceDecodeStatus.Ok, CfgMessages.TryDecode(CfgMessages.EncodeLinkPriorities(4, priorities).AsSpan(0, 39), out _));
    }
}
