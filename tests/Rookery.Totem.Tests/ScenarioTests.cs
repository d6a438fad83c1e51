using System.Text;
using Rookery.Wire.Totem;

namespace Rookery.Totem.Tests;

public sealed class ScenarioTests
{
    private static readonly Duration Limit = Duration.FromSeconds(60);

    private static void SubmitRound(TestCluster cluster, int perNode, int size = 0, params int[] ids)
    {
        foreach (var id in ids.Length > 0 ? ids : Enumerable.Range(1, cluster.Nodes.Count).ToArray())
        {
            for (var i = 0; i < perNode; i++)
            {
                cluster[id].Submit(size);
            }
        }
    }

    private static bool AllDelivered(TestCluster cluster, params int[] ids)
    {
        var wanted = ids.Sum(i => cluster[i].Accepted.Count);
        return ids.All(i => cluster[i].DeliveredSet.Count >= wanted) &&
            ids.All(i => ids.All(j => cluster[j].Accepted.All(cluster[i].DeliveredSet.Contains)));
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    [InlineData(5UL)]
    public void AgreedOrderUnderLossDuplicationAndReordering(ulong seed)
    {
        var cluster = TestCluster.Formed(seed, 4);
        var configurationsBefore = cluster[1].Events.Count(e => e.Event is ConfigurationChanged);
        cluster.Loss = Ratio.Percent(10);
        cluster.Duplicate = Ratio.Percent(5);
        cluster.DelayJitter = Duration.FromMilliseconds(20);
        for (var round = 0; round < 20; round++)
        {
            SubmitRound(cluster, 5);
            cluster.Run(Duration.FromMilliseconds(50));
        }

        Assert.True(cluster.RunUntil(() => AllDelivered(cluster, 1, 2, 3, 4), Limit), $"seed {seed}: not everything delivered");
        Assert.Equal(configurationsBefore, cluster[1].Events.Count(e => e.Event is ConfigurationChanged));
        var first = cluster[1].DeliveredTexts.ToList();
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(first, node.DeliveredTexts.ToList());
        }

        Assert.Contains(cluster.Nodes.SelectMany(n => n.Logs), l => l.Text.StartsWith("Retransmit List: ", StringComparison.Ordinal));
        Checkers.CheckAll(cluster);
    }

    [Theory]
    [InlineData(11UL, false)]
    [InlineData(12UL, false)]
    [InlineData(13UL, true)]
    [InlineData(14UL, true)]
    public void NodeCrashGivesTransitionalThenRegularConfiguration(ulong seed, bool lossy)
    {
        var cluster = TestCluster.Formed(seed, 3, TotemOptions.Compute(3) with { FastNodeLoss = false });
        if (lossy)
        {
            cluster.Loss = Ratio.Percent(5);
        }

        SubmitRound(cluster, 10);
        cluster.Run(Duration.FromMilliseconds(5));
        cluster[3].Crash();
        var crashedAt = cluster.Now;
        SubmitRound(cluster, 10, 0, 1, 2);
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2), Limit), $"seed {seed}: survivors did not re-form");
        Assert.True(cluster.RunUntil(() => AllDelivered(cluster, 1, 2), Limit), $"seed {seed}: survivors did not deliver");

        // Corosync timing: token timeout then consensus, before the new ring.
        var formedAt = cluster[1].Events.Last(e => e.Event is ConfigurationChanged).Time;
        Assert.True(formedAt - crashedAt >= cluster.Options.Token, $"seed {seed}: ring re-formed before the token timeout");
        foreach (var id in new[] { 1, 2 })
        {
            var configs = cluster[id].Events.Select(e => e.Event).OfType<ConfigurationChanged>().ToList();
            var transitional = configs[^2];
            var regular = configs[^1];
            Assert.Equal(ConfigurationKind.Transitional, transitional.Kind);
            Assert.Equal([new NodeId(1), new NodeId(2)], transitional.Members);
            Assert.Equal([new NodeId(3)], transitional.Left);
            Assert.Equal(ConfigurationKind.Regular, regular.Kind);
            Assert.Equal([new NodeId(1), new NodeId(2)], regular.Members);
            Assert.Empty(regular.Joined);
            Assert.Contains(cluster[id].Logs, l => l.Text == $"A new membership ({regular.RingId}) was formed. Members left: 3");
            Assert.Contains(cluster[id].Logs, l => l.Text == "Failed to receive the leave message. failed: 3");
        }

        Assert.Contains(cluster[1].Logs.Concat(cluster[2].Logs), l => l.Text.StartsWith("A processor failed, forming new configuration: token timed out", StringComparison.Ordinal));

        Checkers.CheckAll(cluster);
        Checkers.SelfDelivery(cluster, [cluster[1], cluster[2]]);
    }

    [Fact]
    public void CleanLeaveIsNotReportedAsFailure()
    {
        var cluster = TestCluster.Formed(21, 3);
        cluster[3].Core.Leave(cluster.Now, cluster.Output);
        cluster.Process(cluster[3], cluster.Output);
        cluster.Run(Duration.FromMilliseconds(20));
        cluster[3].Crash();
        var leftAt = cluster.Now;
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2), Limit), "seed 21: survivors did not re-form");
        Assert.True(cluster.Now - leftAt < Duration.FromSeconds(1), "a LEAVE should re-form the ring without waiting for the token timeout");
        Assert.DoesNotContain(cluster[1].Logs, l => l.Text.StartsWith("Failed to receive the leave message", StringComparison.Ordinal));
        Checkers.CheckAll(cluster);
    }

    [Theory]
    [InlineData(31UL)]
    [InlineData(32UL)]
    [InlineData(33UL)]
    public void PartitionsFormTheirOwnRingsAndMergeAfterHeal(ulong seed)
    {
        var cluster = TestCluster.Formed(seed, 5);
        cluster.Partition([1, 2], [3, 4, 5]);
        SubmitRound(cluster, 5);
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2) && cluster.Converged(3, 4, 5), Limit), $"seed {seed}: partitions did not form");
        Assert.Equal(new NodeId(3), cluster[4].Core.RingId.Representative);
        SubmitRound(cluster, 5);
        cluster.Run(Duration.FromSeconds(1));
        cluster.Heal();
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2, 3, 4, 5), Limit), $"seed {seed}: no merge after heal");
        SubmitRound(cluster, 5);
        var lastRound = cluster.Nodes.SelectMany(n => n.Accepted.Skip(10)).ToList();
        Assert.True(cluster.RunUntil(() => cluster.Nodes.All(n => lastRound.All(n.DeliveredSet.Contains)), Limit), $"seed {seed}: messages after the merge not delivered everywhere");
        var regular = cluster[1].Events.Select(e => e.Event).OfType<ConfigurationChanged>().Last();
        Assert.Equal(5, regular.Members.Count);
        Assert.Equal([new NodeId(3), new NodeId(4), new NodeId(5)], regular.Joined);
        Checkers.CheckAll(cluster);
        Checkers.SelfDelivery(cluster, cluster.Nodes);
    }

    [Fact]
    public void TokenLossEntersGatherAndReformsTheSameMembership()
    {
        var cluster = TestCluster.Formed(41, 3);
        var before = cluster[1].Core.RingId;
        SubmitRound(cluster, 3);

        // Every token is lost for longer than the token timeout.
        cluster.DropFilter = (_, _, bytes) => bytes[3] == (byte)TotemMessageType.OrfToken;
        cluster.Run(cluster.Options.Token + Duration.FromMilliseconds(200));
        Assert.Contains(cluster.Nodes.SelectMany(n => n.Logs), l => l.Text.StartsWith("Token has not been received in ", StringComparison.Ordinal));
        Assert.Contains(cluster.Nodes.SelectMany(n => n.Logs), l => l.Text.StartsWith("entering GATHER state from 2(", StringComparison.Ordinal));
        cluster.DropFilter = null;
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2, 3) && cluster[1].Core.RingId != before, Limit), "seed 41: no new ring");
        Assert.True(cluster.RunUntil(() => AllDelivered(cluster, 1, 2, 3), Limit), "seed 41: messages lost");
        Assert.True(cluster[1].Core.RingId.Sequence > before.Sequence);
        Checkers.CheckAll(cluster);
    }

    [Fact]
    public void RecoveryDeliversOldRingMessagesBeforeTheTransitionalConfiguration()
    {
        var cluster = TestCluster.Formed(51, 3, TotemOptions.Compute(3) with { FastNodeLoss = false });

        // Node 3 receives no multicast at all; node 1 sends, then crashes before 3 can recover.
        cluster.DropFilter = (_, to, bytes) => to == new NodeId(3) && bytes[3] == (byte)TotemMessageType.Mcast;
        SubmitRound(cluster, 10, 0, 1);
        cluster.Run(Duration.FromMilliseconds(30));
        Assert.Equal(10, cluster[2].DeliveredTexts.Count());
        Assert.Empty(cluster[3].DeliveredTexts);
        cluster[1].Crash();
        cluster.DropFilter = null;
        Assert.True(cluster.RunUntil(() => cluster.Converged(2, 3), Limit), "seed 51: no ring of 2 and 3");
        var events = cluster[3].Events.Select(e => e.Event).ToList();
        var transitional = events.FindIndex(e => e is ConfigurationChanged { Kind: ConfigurationKind.Transitional, Left.Count: 1 });
        Assert.True(transitional > 0);
        var before = events.Take(transitional).OfType<Delivered>().Select(d => Encoding.UTF8.GetString(d.Payload.Span)).ToList();
        Assert.Equal(cluster[1].Accepted, before);
        Assert.All(events.Take(transitional).OfType<Delivered>(), d => Assert.NotEqual(cluster[3].Core.RingId, d.RingId));
        Assert.Contains(cluster[2].Logs, l => l.Text == "copying all old ring messages from 1-1.");
        Checkers.CheckAll(cluster);
    }

    [Fact]
    public void FlowControlBoundsTheBacklogAndDeliversEverythingAccepted()
    {
        var options = TotemOptions.Compute(3) with { NetMtu = 1500 };
        var cluster = TestCluster.Formed(61, 3, options);
        var refused = 0;
        for (var i = 0; i < 20_000; i++)
        {
            if (!cluster[1].Submit(200))
            {
                refused++;
            }
        }

        Assert.True(refused > 0, "a full backlog must refuse submissions");
        Assert.True(cluster[1].Core.PendingPackets <= options.MessageQueueMax + 1);
        Assert.True(cluster.RunUntil(() => AllDelivered(cluster, 1, 2, 3), Limit), "seed 61: accepted messages not delivered");
        Assert.True(cluster[1].Submit(200));
        Checkers.CheckAll(cluster);
    }

    [Theory]
    [InlineData(65536)]
    [InlineData(200_000)]
    public void TotempgFragmentsLargeMessages(int size)
    {
        var cluster = TestCluster.Formed(71, 3);
        cluster.Loss = Ratio.Percent(5);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(cluster[1].Submit(size));
            Assert.True(cluster[2].Submit(100));
        }

        Assert.True(cluster.RunUntil(() => AllDelivered(cluster, 1, 2, 3), Limit), "seed 71: large messages not delivered");
        foreach (var node in cluster.Nodes)
        {
            var large = node.Deliveries.Where(d => d.Sender == new NodeId(1)).ToList();
            Assert.Equal(5, large.Count);
            Assert.All(large, d => Assert.Equal(size, d.Payload.Length));
        }

        Assert.Equal(cluster[1].Accepted, cluster[3].Deliveries.Where(d => d.Sender == new NodeId(1)).Select(d => Encoding.UTF8.GetString(d.Payload.Span)));
        Checkers.CheckAll(cluster);
    }

    [Theory]
    [InlineData(81UL)]
    [InlineData(82UL)]
    [InlineData(83UL)]
    public void MessageWhoseFragmentsStraddleAMergeIsDeliveredWholeByEveryMemberOfTheNewRing(ulong seed)
    {
        // Node 2 sends large messages (many fragments each) in the ring {1, 2}; node 3 joins while they are on
        // the way, so one message has its first fragments ordered in the old ring and its rest in the new one.
        // Old members hold its start, the joiner does not: it must be delivered by all of them or by none, and
        // since its sender stays, by all (sent again whole in the new ring).
        var cluster = TestCluster.Formed(seed, 3, TotemOptions.Compute(3) with { NetMtu = 1500 });
        cluster.Partition([1, 2], [3]);
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2) && cluster.Converged(3), Limit), $"seed {seed}: partitions did not form");
        for (var i = 0; i < 6; i++)
        {
            Assert.True(cluster[2].Submit(150_000));
        }

        cluster.Run(Duration.FromMilliseconds(5));
        cluster.Heal();
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2, 3) && AllDelivered(cluster, 1, 2, 3), Limit), $"seed {seed}: not everything delivered after the merge");
        Assert.Contains(cluster[2].Logs, l => l.Text == "A message partly sent in the old ring is sent again whole in the new ring.");
        var newRing = cluster[1].Core.RingId;
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(
                cluster[1].Deliveries.Where(d => d.RingId == newRing).Select(d => Encoding.UTF8.GetString(d.Payload.Span)),
                node.Deliveries.Where(d => d.RingId == newRing).Select(d => Encoding.UTF8.GetString(d.Payload.Span)));
        }

        Assert.Equal(cluster[2].Accepted, cluster[3].Deliveries.Where(d => d.Sender == new NodeId(2)).Select(d => Encoding.UTF8.GetString(d.Payload.Span)));
        Checkers.CheckAll(cluster);
    }

    [Fact]
    public void WhatWasQueuedBeforeANewRingWaitsForTheTransAckWhileTheSyncsSubmissionsGo()
    {
        var cluster = TestCluster.Formed(85, 3);
        cluster[1].AckTransitions = false;
        var oldRing = cluster[1].Core.RingId;
        cluster[3].Crash();
        Assert.True(cluster.RunUntil(() => cluster[1].Core.State == MembershipState.Gather, Limit), "seed 85: node 1 never gathered");
        Assert.True(cluster[1].Submit()); // queued while the ring re-forms: an application message of before the change
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2), Limit), "seed 85: no ring of 1 and 2");
        Assert.True(cluster[1].Core.WaitingTransAck);

        cluster.Run(Duration.FromMilliseconds(500));
        Assert.DoesNotContain("n1:0:", cluster[2].DeliveredTexts);
        Assert.True(cluster[1].Submit()); // submitted during the sync: goes at once
        Assert.True(cluster.RunUntil(() => cluster[2].DeliveredSet.Contains("n1:1:"), Limit), "seed 85: the sync's message did not go");
        Assert.DoesNotContain("n1:0:", cluster[2].DeliveredTexts);

        cluster[1].Core.TransAck(cluster.Now, oldRing, cluster.Output); // the ack of an old ring's sync changes nothing
        cluster.Process(cluster[1], cluster.Output);
        Assert.True(cluster[1].Core.WaitingTransAck);
        cluster[1].Core.TransAck(cluster.Now, cluster[1].Core.RingId, cluster.Output);
        cluster.Process(cluster[1], cluster.Output);
        Assert.False(cluster[1].Core.WaitingTransAck);
        Assert.True(cluster.RunUntil(() => AllDelivered(cluster, 1, 2), Limit), "seed 85: what waited was not sent after the ack");
        Assert.Equal(["n1:1:", "n1:0:"], cluster[2].DeliveredTexts.Where(t => t.StartsWith("n1:", StringComparison.Ordinal)).TakeLast(2));
        Assert.Equal(cluster[1].DeliveredTexts.TakeLast(2), cluster[2].DeliveredTexts.TakeLast(2));
        Checkers.AgreedOrder(cluster);
        Checkers.MembershipAgreement(cluster);
    }

    [Fact]
    public void SameSeedGivesTheSameTrace()
    {
        string Run(ulong seed)
        {
            var cluster = new TestCluster(seed, 4) { Loss = Ratio.Percent(10), DelayJitter = Duration.FromMilliseconds(10) };
            cluster.StartAll();
            cluster.Run(Duration.FromSeconds(2));
            SubmitRound(cluster, 20);
            cluster.Run(Duration.FromSeconds(1));
            cluster[4].Crash();
            SubmitRound(cluster, 20, 0, 1, 2, 3);
            cluster.Run(Duration.FromSeconds(15));
            return cluster.TraceHash();
        }

        Assert.Equal(Run(81), Run(81));
        Assert.NotEqual(Run(81), Run(82));
    }
}
