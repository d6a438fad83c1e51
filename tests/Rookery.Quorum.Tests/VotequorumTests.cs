using Rookery.Services;
using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Quorum.Tests;

public sealed class VotequorumTests
{
    private static uint[] Range(uint from, uint to) => Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => (uint)i).ToArray();

    [Fact]
    public void FiveNodesAllPresentAreQuorateWithQuorumThree()
    {
        var cluster = new QuorumTestCluster(5, seed: 1).Form();
        foreach (var node in Range(1, 5))
        {
            var status = cluster.Status(node);
            Assert.True(status.Quorate);
            Assert.Equal((5u, 5u, 5u, 3u), (status.ExpectedVotes, status.HighestExpected, status.TotalVotes, status.Quorum));
            Assert.Equal(["Quorate"], status.FlagNames);
            Assert.Equal(Range(1, 5), status.Members.Select(m => m.Value));
            Assert.False(status.Syncing);
        }
    }

    [Fact]
    public void MajorityPartitionKeepsQuorumMinorityLosesIt()
    {
        var cluster = new QuorumTestCluster(5, seed: 2).Form();
        cluster.Split([1, 2, 3], [4, 5]);
        Assert.All(Range(1, 3), n => Assert.True(cluster.Status(n).Quorate));
        Assert.All(Range(4, 5), n => Assert.False(cluster.Status(n).Quorate));
        var minority = cluster.Status(4);
        Assert.Equal((5u, 2u, 3u), (minority.ExpectedVotes, minority.TotalVotes, minority.Quorum));
        Assert.Contains("This node is within the non-primary component and will NOT provide any services.", cluster.LogLines(4));
        Assert.Contains("Members[2]: 4 5", cluster.LogLines(4));
        Assert.Contains("Sync left[3]: 1 2 3", cluster.LogLines(4));
    }

    [Fact]
    public void QuorumIsTheMajorityOfVotesPresentWhenAboveExpected()
    {
        // Node 1 has 4 votes, nodes 2-3 have 1: expected 6, all present quorum 4.
        var cluster = new QuorumTestCluster(3, seed: 3, votes: [4, 1, 1]).Form();
        Assert.Equal((6u, 4u), (cluster.Status(2).TotalVotes, cluster.Status(2).Quorum));
        cluster.Split([1], [2, 3]);
        Assert.True(cluster.Status(1).Quorate);
        Assert.False(cluster.Status(2).Quorate);
    }

    [Fact]
    public void ExpectedVotesRiseToTheVotesPresent()
    {
        var cluster = new QuorumTestCluster(3, seed: 4, s => s with { ExpectedVotes = 2 }).Form();
        var status = cluster.Status(1);
        Assert.Equal((3u, 3u, 2u), (status.ExpectedVotes, status.TotalVotes, status.Quorum));
    }

    [Fact]
    public void QuorumNeverDecreasesOnItsOwn()
    {
        var cluster = new QuorumTestCluster(5, seed: 5, s => s with { ExpectedVotes = 3 }).Form();
        Assert.Equal(3u, cluster.Status(1).Quorum);
        cluster.Split([1, 2, 3], [4], [5]);
        Assert.Equal(3u, cluster.Status(1).Quorum);
        Assert.True(cluster.Status(1).Quorate);
    }

    [Fact]
    public void TwoNodeKeepsQuorumWhenThePeerIsLost()
    {
        var cluster = new QuorumTestCluster(2, seed: 6, s => s with { TwoNode = true }).Form();
        Assert.Equal(1u, cluster.Status(1).Quorum);
        Assert.Equal(["2Node", "Quorate", "WaitForAll"], cluster.Status(1).FlagNames);
        cluster.Split([1], [2]);
        Assert.True(cluster.Status(1).Quorate);
        Assert.True(cluster.Status(2).Quorate);
    }

    [Fact]
    public void TwoNodeWithWaitForAllDoesNotStartQuorateAlone()
    {
        var cluster = new QuorumTestCluster(2, seed: 7, s => s with { TwoNode = true }).Form([1], [2]);
        Assert.False(cluster.Status(1).Quorate);
        Assert.True(cluster.Status(1).WaitForAllStatus);
        Assert.Contains("Waiting for all cluster members. Current votes: 1 expected_votes: 2", cluster.LogLines(1));
        cluster.Split([1, 2]);
        Assert.True(cluster.Status(1).Quorate);
        Assert.False(cluster.Status(1).WaitForAllStatus);
    }

    [Fact]
    public void WaitForAllBlocksUntilEveryoneWasSeenThenMajorityRules()
    {
        var cluster = new QuorumTestCluster(5, seed: 8, s => s with { WaitForAll = true }).Form([1, 2, 3, 4], [5]);
        Assert.All(Range(1, 5), n => Assert.False(cluster.Status(n).Quorate));
        cluster.Split([1, 2, 3, 4, 5]);
        Assert.All(Range(1, 5), n => Assert.True(cluster.Status(n).Quorate));
        cluster.Split([1, 2, 3], [4, 5]);
        Assert.True(cluster.Status(1).Quorate);
        Assert.False(cluster.Status(4).Quorate);
    }

    [Fact]
    public void NodeJoiningAQuorateClusterClearsItsWaitForAll()
    {
        var cluster = new QuorumTestCluster(5, seed: 9, s => s with { WaitForAll = true }).Form();
        cluster.Cluster.Crash(5);
        cluster.Cluster.RunUntilSettled();

        // Node 5 restarts cut off from the others: alone, it waits for all again.
        cluster.Cluster.Partition([[1, 2, 3, 4], [5]]);
        cluster.Cluster.Start(5);
        cluster.Cluster.RunUntilSettled();
        Assert.True(cluster.Status(5).WaitForAllStatus);
        cluster.Split([1, 2, 3, 4, 5]);
        Assert.True(cluster.Status(5).Quorate);
        Assert.False(cluster.Status(5).WaitForAllStatus);
    }

    [Fact]
    public void CancelWaitForAllLetsAPartialClusterBecomeQuorate()
    {
        var cluster = new QuorumTestCluster(5, seed: 10, s => s with { WaitForAll = true }).Form([1, 2, 3, 4], [5]);
        Assert.False(cluster.Status(1).Quorate);
        cluster.Command(1, (core, output) => core.CancelWaitForAll(output));
        Assert.All(Range(1, 4), n => Assert.True(cluster.Status(n).Quorate));
        Assert.Contains("wait_for_all_status reset by user on node 1.", cluster.LogLines(2));
    }

    [Fact]
    public void LastManStandingLowersExpectedVotesAfterTheWindow()
    {
        var cluster = new QuorumTestCluster(5, seed: 11, s => s with { LastManStanding = true, LastManStandingWindow = Duration.FromMilliseconds(500) }).Form();
        cluster.Split([1, 2, 3], [4, 5]);
        Assert.Equal(3u, cluster.Status(1).Quorum);
        var windowEnds = cluster.Core(1).NextDeadline;
        Assert.NotEqual(Instant.Never, windowEnds);

        // Just before the window ends nothing has changed; at its end expected votes follow the members down.
        cluster.Cluster.Run(windowEnds - cluster.Cluster.Now - new Duration(1));
        Assert.Equal(3u, cluster.Status(1).Quorum);
        cluster.Cluster.Run(new Duration(1));
        cluster.Cluster.RunUntilSettled();
        Assert.Equal((3u, 2u), (cluster.Status(1).ExpectedVotes, cluster.Status(1).Quorum));
        Assert.Equal(Instant.Never, cluster.Core(1).NextDeadline);

        // 3 -> 2: still quorate with quorum 2; the minority of the original split stays inquorate.
        cluster.Split([1, 2], [3]);
        Assert.True(cluster.Status(1).Quorate);
        cluster.Cluster.Run(Duration.FromMilliseconds(500));
        cluster.Cluster.RunUntilSettled();
        Assert.Equal((2u, 2u), (cluster.Status(1).ExpectedVotes, cluster.Status(1).Quorum));
        Assert.Contains("LastManStanding", cluster.Status(1).FlagNames);
        Assert.False(cluster.Status(4).Quorate);
    }

    [Fact]
    public void LastManStandingNeedsOneVoteEveryNode()
    {
        var cluster = new QuorumTestCluster(3, seed: 12, s => s with { LastManStanding = true }, votes: [1, 2, 1]).Form();
        Assert.Contains("Last Man Standing feature is supported only when all cluster nodes votes are set to 1. Disabling LMS.", cluster.LogLines(1));
        Assert.DoesNotContain("LastManStanding", cluster.Status(1).FlagNames);
    }

    [Theory]
    [InlineData("lowest", new uint[] { 1, 2 })]
    [InlineData("highest", new uint[] { 3, 4 })]
    [InlineData("3 1", new uint[] { 3, 4 })]
    public void AutoTieBreakerPicksOneHalfOfAnEvenSplit(string mode, uint[] winners)
    {
        var cluster = new QuorumTestCluster(4, seed: 13, s => s with { AutoTieBreaker = true, AutoTieBreakerNode = mode }).Form();
        cluster.Split([1, 2], [3, 4]);
        foreach (var node in Range(1, 4))
        {
            Assert.Equal(winners.Contains(node), cluster.Status(node).Quorate);
        }

        Assert.Contains("AutoTieBreaker", cluster.Status(1).FlagNames);
    }

    [Fact]
    public void AutoTieBreakerListDeniesWhenAnEarlierListedNodeMayBeOnTheOtherSide()
    {
        // List "3 1": in {1,2} node 1 is present but 3 (earlier in the list) was in the previous membership.
        var cluster = new QuorumTestCluster(4, seed: 14, s => s with { AutoTieBreaker = true, AutoTieBreakerNode = "3 1" }).Form();
        cluster.Split([1, 2], [3, 4]);
        Assert.False(cluster.Status(1).Quorate);
        Assert.True(cluster.Status(3).Quorate);
    }

    [Fact]
    public void SetExpectedVotesIsRefusedBelowVotesPresentOrWhenItWouldLoseQuorum()
    {
        var cluster = new QuorumTestCluster(5, seed: 15).Form();
        var output = new QuorumOutput();
        Assert.Equal(QuorumCommandResult.InvalidParam, cluster.Core(1).SetExpectedVotes(4, output));
        Assert.Equal(QuorumCommandResult.InvalidParam, cluster.Core(1).SetExpectedVotes(0, output));
        Assert.Equal(QuorumCommandResult.InvalidParam, cluster.Core(1).SetExpectedVotes(11, output));
        Assert.True(output.IsEmpty);

        cluster.Split([1, 2, 3], [4, 5]);
        Assert.Equal(QuorumCommandResult.InvalidParam, cluster.Core(4).SetExpectedVotes(1, output));
        cluster.Command(4, (core, o) => Assert.Equal(QuorumCommandResult.Ok, core.SetExpectedVotes(2, o)));
        Assert.True(cluster.Status(4).Quorate);
        Assert.True(cluster.Status(5).Quorate);
        Assert.Equal((2u, 2u, 2u), (cluster.Status(5).ExpectedVotes, cluster.Status(5).HighestExpected, cluster.Status(5).Quorum));
        Assert.Equal(3u, cluster.Status(1).Quorum);
    }

    [Fact]
    public void SetVotesAppliesClusterWideOnDelivery()
    {
        var cluster = new QuorumTestCluster(5, seed: 16).Form([1, 2, 3], [4, 5]);
        var output = new QuorumOutput();
        Assert.Equal(QuorumCommandResult.NameNotFound, cluster.Core(1).SetVotes(new NodeId(9), 1, output));

        // Votes 0 for node 2: 2 votes present against a quorum of 3.
        Assert.Equal(QuorumCommandResult.InvalidParam, cluster.Core(1).SetVotes(new NodeId(2), 0, output));
        Assert.True(output.IsEmpty);
        cluster.Command(1, (core, o) => Assert.Equal(QuorumCommandResult.Ok, core.SetVotes(new NodeId(2), 2, o)));
        Assert.All(Range(1, 3), n => Assert.Equal(4u, cluster.Status(n).TotalVotes));
        Assert.All(Range(1, 3), n => Assert.Equal(2u, cluster.Status(n).Nodes.Single(x => x.NodeId.Value == 2).Votes));
        Assert.Equal(3u, cluster.Status(1).Quorum);
    }

    [Fact]
    public void AllowDownscaleLowersExpectedVotesWhenANodeLeavesCleanly()
    {
        var cluster = new QuorumTestCluster(5, seed: 17, s => s with { AllowDownscale = true }).Form();
        Assert.Contains("AllowDownscale", cluster.Status(1).FlagNames);
        cluster.Command(5, (core, o) => core.Shutdown(o));
        cluster.Cluster.Crash(5);
        cluster.Cluster.RunUntilSettled();
        Assert.Equal(QuorumNodeState.Dead, cluster.Status(1).Nodes.Single(n => n.NodeId.Value == 5).State);

        // Expected votes follow the members down; the quorum stays bounded by the expected-votes barrier (5).
        Assert.Equal((4u, 3u), (cluster.Status(1).ExpectedVotes, cluster.Status(1).Quorum));
        Assert.True(cluster.Status(1).Quorate);
        Assert.Contains(cluster.Cluster.Outputs[1], o => o is TrackingBarrierChanged { Barrier: 5 });
    }

    [Fact]
    public void MalformedVotequorumMessagesAreCountedAndDropped()
    {
        var configuration = new QuorumTestCluster(3, seed: 18).Configuration(new NodeId(1));
        var core = new Votequorum(configuration);
        var output = new QuorumOutput();
        core.Start(Instant.Zero, output);
        var valid = VotequorumCodec.Encode(new NodeInfoMessage(2, 1, 3, NodeInfoFlags.None));
        var ring = new RingId(new NodeId(1), 4);
        Assert.Equal(ServiceDecodeStatus.Truncated, core.OnDelivered(Instant.Zero, new Delivered(new NodeId(2), ring, valid[..20]), output));
        Assert.Equal(ServiceDecodeStatus.UnknownMessage, core.OnDelivered(Instant.Zero, new Delivered(new NodeId(2), ring, CpgCodec.Encode(new CpgDownListMessage(0, []))), output));
        Assert.Equal(1, core.MalformedMessages);
        Assert.Equal(ServiceDecodeStatus.Ok, core.OnDelivered(Instant.Zero, new Delivered(new NodeId(2), ring, valid), output));
    }

    [Fact]
    public void AbsurdVotesFromTheNetworkSaturateInsteadOfWrapping()
    {
        var configuration = new QuorumTestCluster(3, seed: 21).Configuration(new NodeId(1));
        var core = new Votequorum(configuration);
        var output = new QuorumOutput();
        core.Start(Instant.Zero, output);
        var ring = new RingId(new NodeId(1), 4);
        core.OnConfigurationChanged(Instant.Zero, new ConfigurationChanged(ConfigurationKind.Regular, ring, [new NodeId(1), new NodeId(2)], [], [new NodeId(2)]), output);
        core.OnDelivered(Instant.Zero, new Delivered(new NodeId(2), ring, VotequorumCodec.Encode(new NodeInfoMessage(2, uint.MaxValue, uint.MaxValue, NodeInfoFlags.None))), output);
        Assert.Equal(uint.MaxValue, core.Status.TotalVotes);
        Assert.True(core.Status.Quorum > uint.MaxValue / 2);
    }

    [Fact]
    public void NodeInfoAboutAnotherNodeIsIgnored()
    {
        var configuration = new QuorumTestCluster(3, seed: 19).Configuration(new NodeId(1));
        var core = new Votequorum(configuration);
        var output = new QuorumOutput();
        core.Start(Instant.Zero, output);
        var forged = VotequorumCodec.Encode(new NodeInfoMessage(3, 5, 3, NodeInfoFlags.None));
        core.OnDelivered(Instant.Zero, new Delivered(new NodeId(2), new RingId(new NodeId(1), 4), forged), output);
        Assert.DoesNotContain(core.Status.Nodes, n => n.NodeId.Value == 3);
    }

    [Fact]
    public void StartAnnouncesThisNodeAndQuorumIsReportedAtTheEndOfSync()
    {
        var cluster = new QuorumTestCluster(3, seed: 20);
        cluster.Cluster.Start(1);
        cluster.Cluster.RunUntilSettled();

        // The first votequorum message node 1 delivers is its own announcement (observed as Totem delivered it).
        var first = cluster.Cluster.Outputs[1].OfType<TotemObserved>().Select(o => o.Event).OfType<Delivered>()
            .Select(d => GroupHeader.TryUnwrap(d.Payload.Span, GroupHeader.Executive, out var isExecutive, out var body) == ServiceDecodeStatus.Ok && isExecutive
                && ServiceHeader.TryPeekId(body, out var id) && ServiceIds.ServiceOf(id) == ServiceIds.Votequorum ? body.ToArray() : null)
            .First(message => message is not null);
        Assert.Equal(ServiceDecodeStatus.Ok, VotequorumCodec.TryDecode(first, out var decoded));
        Assert.Equal(new NodeInfoMessage(1, 1, 3, NodeInfoFlags.First), decoded);
        var notification = Assert.Single(cluster.Cluster.Outputs[1].OfType<QuorumReported>()).Notification;
        Assert.False(notification.Quorate);
        Assert.Equal([new NodeId(1)], notification.Members);
    }
}

public sealed class VotequorumReloadTests
{
    [Fact]
    public void ReloadAnnouncesNewVotesAndExpectedVotesClusterWide()
    {
        var cluster = new QuorumTestCluster(3, seed: 30).Form();
        var settings = cluster.Settings(new NodeId(1)) with { ExpectedVotes = 5 };
        cluster.Command(1, (core, o) => Assert.True(core.Reload(settings, o)));
        Assert.All(new uint[] { 1, 2, 3 }, n => Assert.Equal((5u, 5u, 3u), (cluster.Status(n).ExpectedVotes, cluster.Status(n).HighestExpected, cluster.Status(n).Quorum)));
        Assert.True(cluster.Status(2).Quorate);
    }

    [Fact]
    public void ReloadCanTurnTwoNodeOnAndWaitForAllFollowsIt()
    {
        var cluster = new QuorumTestCluster(2, seed: 31).Form();
        Assert.Equal(2u, cluster.Status(1).Quorum);
        foreach (var node in new uint[] { 1, 2 })
        {
            var settings = cluster.Settings(new NodeId(node)) with { TwoNode = true };
            cluster.Command(node, (core, o) => Assert.True(core.Reload(settings, o)));
        }

        Assert.Equal(["2Node", "Quorate", "WaitForAll"], cluster.Status(1).FlagNames);
        cluster.Split([1], [2]);
        Assert.True(cluster.Status(1).Quorate);
        Assert.Equal(1u, cluster.Status(1).Quorum);
    }

    [Fact]
    public void WithExpectedVotesTrackingAReloadKeepsTheHighestExpectedVotesSeen()
    {
        var cluster = new QuorumTestCluster(3, seed: 33, s => s with { ExpectedVotesTracking = true }).Form();
        cluster.Command(1, (core, o) => Assert.Equal(QuorumCommandResult.Ok, core.SetExpectedVotes(5, o)));
        Assert.Equal(5u, cluster.Status(1).ExpectedVotes);

        // The file knows nothing of the barrier (the node passes 0): the running one is the floor, as at startup.
        cluster.Command(1, (core, o) => Assert.True(core.Reload(cluster.Settings(new NodeId(1)), o)));

        Assert.All(new uint[] { 1, 2, 3 }, n => Assert.Equal(5u, cluster.Status(n).ExpectedVotes));
    }

    [Fact]
    public void InvalidReloadKeepsTheRunningValues()
    {
        var cluster = new QuorumTestCluster(3, seed: 32).Form();
        var output = new QuorumOutput();
        var broken = new QuorumSettings { LocalNode = new NodeId(1) };
        Assert.False(cluster.Core(1).Reload(broken, output));
        Assert.Equal(
            ["configuration error: nodelist or quorum.expected_votes must be configured!", "will continue with current runtime data"],
            output.Logs.Select(l => l.Text));
        Assert.Empty(output.Datagrams);
        Assert.Equal(3u, cluster.Status(1).ExpectedVotes);
    }
}

public sealed class VotequorumRobustnessTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomValidMessagesFromAnySenderNeverBreakTheCore(bool features)
    {
        var prng = new Prng(features ? 7u : 8u);
        var settings = new QuorumSettings
        {
            LocalNode = new NodeId(1),
            Nodelist = Enumerable.Range(1, 4).Select(i => new NodelistVotes(new NodeId((uint)i), 1)).ToArray(),
            WaitForAll = features,
            LastManStanding = features,
            AutoTieBreaker = features,
            AllowDownscale = features,
        };
        var core = new Votequorum(QuorumConfiguration.Resolve(settings, [], out _)!);
        var output = new QuorumOutput();
        var now = Instant.Zero;
        core.Start(now, output);
        for (var i = 0; i < 20_000; i++)
        {
            var sender = new NodeId((uint)prng.NextInRange(1, 5));
            VotequorumMessage message = prng.NextBelow(5) switch
            {
                0 or 1 => new NodeInfoMessage(prng.NextBelow(4) == 0 ? 0 : sender.Value, (uint)prng.NextInRange(0, 3), (uint)prng.NextInRange(0, 9), (NodeInfoFlags)prng.NextBelow(512)),
                2 => new ReconfigureMessage((uint)prng.NextInRange(0, 5), (uint)prng.NextInRange(0, 9), (ReconfigureParam)prng.NextInRange(1, 3)),
                3 => new QdeviceRegisterMessage(1, "q"),
                _ => new QdeviceExtraInfoMessage(sender.Value, new byte[] { 1 }),
            };
            core.OnDelivered(now, new Delivered(sender, default, VotequorumCodec.Encode(message)), output);
            if (prng.NextBelow(40) == 0)
            {
                var members = Enumerable.Range(1, (int)prng.NextInRange(1, 5)).Select(n => new NodeId((uint)n)).ToArray();
                core.OnConfigurationChanged(now, new ConfigurationChanged(ConfigurationKind.Regular, new RingId(new NodeId(1), (ulong)i), members, [], []), output);
            }
            else if (core.Syncing && prng.NextBelow(5) == 0)
            {
                core.SyncActivate(now, output);
            }

            now += Duration.FromMilliseconds(100);
            core.Tick(now, ringOperational: true, output);
            output.Clear();
        }

        var status = core.Status;
        Assert.Equal(status.Quorate, status.Flags.HasFlag(QuorumInfoFlags.Quorate));
    }
}
