using System.Text;
using Rookery.Groups;
using Rookery.Services;
using Rookery.Simulation.Harness;
using Rookery.Wire.Services;

namespace Rookery.Node.Tests.Stack;

/// <summary>Totem and the services of three nodes on a virtual network: sync, quorum, groups, reload, config_version.</summary>
public sealed class NodeStackTests
{
    private static readonly Duration s_limit = Duration.FromSeconds(30);

    private static bool InService(ComposedCluster cluster, params uint[] ids) =>
        ids.All(id => cluster.Nodes[id] is { } node && node.Services.InService && !node.Services.Syncing
            && node.Services.Members.Select(m => m.Value).SequenceEqual(ids));

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    public void Three_nodes_form_a_ring_complete_the_sync_and_are_quorate(ulong seed)
    {
        var cluster = new ComposedCluster(seed, 3);
        cluster.StartAll();

        cluster.RunUntil(() => InService(cluster, 1, 2, 3), s_limit, "three nodes in service");

        foreach (var id in new uint[] { 1, 2, 3 })
        {
            var quorum = cluster[id].Services.Quorum.Status;
            Assert.True(quorum.Quorate, $"node {id} not quorate (seed {seed})");
            Assert.Equal(3u, quorum.TotalVotes);
            Assert.Equal(2u, quorum.Quorum);
            Assert.Contains(cluster.Outputs[id], o => o is ServiceLog { Text: "This node is within the primary component and will provide service." });
            Assert.Contains(cluster.Outputs[id], o => o is ServiceLog { Text: "Completed service synchronization, ready to provide service." });
        }
    }

    [Fact]
    public void A_crashed_node_leaves_the_membership_and_rejoins_after_restart()
    {
        var cluster = new ComposedCluster(3, 3);
        cluster.StartAll();
        cluster.RunUntil(() => InService(cluster, 1, 2, 3), s_limit, "three nodes in service");

        cluster.Crash(3);
        cluster.RunUntil(() => InService(cluster, 1, 2), s_limit, "two survivors in service");
        Assert.True(cluster[1].Services.Quorum.Status.Quorate);
        Assert.Equal(2u, cluster[1].Services.Quorum.Status.TotalVotes);

        cluster.Restart(3);
        cluster.RunUntil(() => InService(cluster, 1, 2, 3), s_limit, "node 3 back");
        Assert.Equal(3u, cluster[3].Services.Quorum.Status.TotalVotes);
    }

    [Fact]
    public void Group_messages_from_two_nodes_are_delivered_in_the_same_order_everywhere()
    {
        var cluster = new ComposedCluster(4, 3);
        cluster.StartAll();
        cluster.RunUntil(() => InService(cluster, 1, 2, 3), s_limit, "three nodes in service");
        var group = CpgGroupName.FromString("orders");
        foreach (var id in new uint[] { 1, 2, 3 })
        {
            Assert.Equal(GroupsResult.Ok, cluster[id].JoinGroup(cluster.Now, 100 + id, 1000 + id, group));
            cluster.Drain(id);
        }

        cluster.RunUntil(() => new uint[] { 1, 2, 3 }.All(id => cluster[id].Services.Groups.Membership(group).Count == 3), s_limit, "all joined");
        for (var i = 0; i < 50; i++)
        {
            foreach (var id in new uint[] { 1, 2 })
            {
                Assert.Equal(GroupsResult.Ok, cluster[id].SendToGroup(cluster.Now, 100 + id, Encoding.ASCII.GetBytes($"{id}:{i}")));
                cluster.Drain(id);
            }
        }

        cluster.RunUntil(() => Delivered(cluster, 3).Count == 100, s_limit, "100 deliveries on node 3");
        var reference = Delivered(cluster, 1);
        Assert.Equal(100, reference.Count);
        Assert.Equal(reference, Delivered(cluster, 2));
        Assert.Equal(reference, Delivered(cluster, 3));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"1:{i}"), reference.Where(m => m.StartsWith("1:", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(11UL, false)]
    [InlineData(12UL, false)]
    [InlineData(13UL, true)]
    [InlineData(14UL, true)]
    public void A_stream_from_a_node_that_stays_loses_nothing_when_the_ring_reforms(ulong seed, bool restart)
    {
        // Node 1 streams every 5 ms (retrying what is refused with TryAgain, as the shell does); node 3 goes away
        // mid-stream (and comes back): node 2 must deliver every message of node 1, in order, exactly once.
        var cluster = ThreeNodesInOneGroup(seed);
        var ringBefore = cluster[1].Services.RingId;
        var sent = 0;
        var refused = 0;
        for (var step = 0; step < 1200; step++)
        {
            if (step == 100)
            {
                cluster.Crash(3);
            }

            if (restart && step == 700)
            {
                cluster.Restart(3);
            }

            var result = cluster[1].SendToGroup(cluster.Now, 101, Encoding.ASCII.GetBytes($"1:{sent}"));
            cluster.Drain(1);
            if (result == GroupsResult.Ok)
            {
                sent++;
            }
            else
            {
                Assert.Equal(GroupsResult.TryAgain, result);
                refused++;
            }

            cluster.Run(Duration.FromMilliseconds(5));
        }

        cluster.RunUntil(() => Delivered(cluster, 2).Count(m => m.StartsWith("1:", StringComparison.Ordinal)) >= sent, s_limit, $"node 2 delivers all {sent} of node 1's messages");
        Assert.True(cluster[1].Services.RingId != ringBefore, $"the ring did not re-form (seed {seed})");
        Assert.True(!restart || refused > 0, $"the stream never met a sync (seed {seed})");
        Assert.Equal(Enumerable.Range(0, sent).Select(i => $"1:{i}"), Delivered(cluster, 2).Where(m => m.StartsWith("1:", StringComparison.Ordinal)));
        Assert.Equal(Enumerable.Range(0, sent).Select(i => $"1:{i}"), Delivered(cluster, 1).Where(m => m.StartsWith("1:", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(21UL)]
    [InlineData(22UL)]
    public void Members_of_a_ring_deliver_the_same_group_messages_in_it_when_a_node_rejoins_under_a_stream(ulong seed)
    {
        // Node 2 is cut off long enough to form a ring alone (its view drops node 1's processes), then the cut
        // heals: the messages node 1 queued meanwhile are ordered in the merged ring, where node 2 must deliver
        // exactly what node 3 delivers (CPG agreed order and virtual synchrony), with nothing of node 1's lost.
        var cluster = ThreeNodesInOneGroup(seed);
        var sent = 0;
        for (var step = 0; step < 1600; step++)
        {
            if (step == 100)
            {
                cluster.Isolate(2);
            }

            if (step == 900)
            {
                cluster.Cut.Clear();
            }

            if (cluster[1].SendToGroup(cluster.Now, 101, Encoding.ASCII.GetBytes($"1:{sent}")) == GroupsResult.Ok)
            {
                sent++;
            }

            cluster.Drain(1);
            cluster.Run(Duration.FromMilliseconds(5));
        }

        cluster.RunUntil(() => InService(cluster, 1, 2, 3) && Delivered(cluster, 3).Count(m => m.StartsWith("1:", StringComparison.Ordinal)) >= sent, s_limit, "merged and delivered");
        cluster.Run(Duration.FromSeconds(1));
        var finalRing = cluster[1].Services.RingId;
        Assert.Equal(DeliveredIn(cluster, 3, finalRing), DeliveredIn(cluster, 2, finalRing));
        Assert.Equal(Enumerable.Range(0, sent).Select(i => $"1:{i}"), Delivered(cluster, 3).Where(m => m.StartsWith("1:", StringComparison.Ordinal)));
        Assert.DoesNotContain(cluster.Outputs[2], o => o is ServiceLog { Text: "Unknown node -> we will not deliver message" });
    }

    /// <summary>Three nodes in service, each with one process (connection 100 + id, pid 1000 + id) in group "stream".</summary>
    [Fact]
    public void Large_client_messages_are_pushed_back_by_the_bytes_waiting_not_only_by_their_count()
    {
        // No time passes, so Totem's send queue fills and the rest waits in the stack: a client streaming 512 KiB
        // messages must get TryAgain once 16 MiB wait, long before 1024 messages (half a gigabyte) do.
        var cluster = ThreeNodesInOneGroup(21);
        var message = new byte[512 * 1024];
        var accepted = 0;
        while (cluster[1].SendToGroup(cluster.Now, 101, message) == GroupsResult.Ok)
        {
            accepted++;
            Assert.True(accepted < NodeStack.PendingSubmitsMax, "never pushed back");
        }

        var waitingMax = (int)(NodeStack.PendingSubmitBytesMax / message.Length) + 1;
        Assert.InRange(cluster[1].PendingSubmits, 1, waitingMax);
        Assert.True(accepted <= waitingMax + 8, $"{accepted} messages of 512 KiB accepted with no time passing");
    }

    private static ComposedCluster ThreeNodesInOneGroup(ulong seed)
    {
        var cluster = new ComposedCluster(seed, 3);
        cluster.StartAll();
        cluster.RunUntil(() => InService(cluster, 1, 2, 3), s_limit, "three nodes in service");
        var group = CpgGroupName.FromString("stream");
        foreach (var id in new uint[] { 1, 2, 3 })
        {
            Assert.Equal(GroupsResult.Ok, cluster[id].JoinGroup(cluster.Now, 100 + id, 1000 + id, group));
            cluster.Drain(id);
        }

        cluster.RunUntil(() => new uint[] { 1, 2, 3 }.All(id => cluster[id].Services.Groups.Membership(group).Count == 3), s_limit, "all joined");
        return cluster;
    }

    private static List<string> DeliveredIn(ComposedCluster cluster, uint id, Rookery.Wire.Totem.RingId ring) =>
        cluster.Outputs[id].OfType<LocalGroupEvent>().Where(e => e.RingId == ring).Select(e => e.Event).OfType<GroupMessageDelivered>()
            .Where(d => d.Recipients.Contains(100 + id))
            .Select(d => Encoding.ASCII.GetString(d.Data.Span)).ToList();

    [Fact]
    public void A_reload_request_reaches_every_member()
    {
        var cluster = new ComposedCluster(5, 3);
        cluster.StartAll();
        cluster.RunUntil(() => InService(cluster, 1, 2, 3), s_limit, "three nodes in service");

        cluster[2].RequestReload(cluster.Now, 77);
        cluster.Drain(2);

        cluster.RunUntil(
            () => new uint[] { 1, 2, 3 }.All(id => cluster.Outputs[id].OfType<ReloadRequested>().Any(r => r.RequestId == 77 && r.From.Value == 2)),
            s_limit,
            "reload request everywhere");
        Assert.Contains(cluster.Outputs[3], o => o is ServiceLog { Text: "Config reload requested by node 2" });
    }

    [Fact]
    public void A_node_with_a_lower_config_version_is_refused_with_corosyncs_message()
    {
        var cluster = new ComposedCluster(6, 3, id => ComposedCluster.Config(3, id == 3 ? 4UL : 5UL));
        cluster.Start(1);
        cluster.Start(2);
        cluster.RunUntil(() => InService(cluster, 1, 2), s_limit, "nodes 1 and 2 in service");

        cluster.Start(3);

        cluster.RunUntil(() => cluster.Outputs.GetValueOrDefault(3u)?.OfType<ConfigVersionRefused>().Any() == true, s_limit, "node 3 refused");
        Assert.Contains(cluster.Outputs[3], o => o is ServiceLog { Text: "Received config version (5) is different than my config version (4)! Exiting" });
        Assert.DoesNotContain(cluster.Outputs[1], o => o is ConfigVersionRefused);
    }

    private static List<string> Delivered(ComposedCluster cluster, uint id) =>
        cluster.Outputs[id].OfType<LocalGroupEvent>().Select(e => e.Event).OfType<GroupMessageDelivered>()
            .Where(d => d.Recipients.Contains(100 + id))
            .Select(d => Encoding.ASCII.GetString(d.Data.Span)).ToList();
}
