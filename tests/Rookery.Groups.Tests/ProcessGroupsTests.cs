using Rookery.Simulation.Harness;
using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Groups.Tests;

public sealed class ProcessGroupsTests
{
    private static readonly CpgGroupName Alpha = CpgGroupName.FromString("alpha");

    [Fact]
    public void JoinIsSeenByEveryNodeAndTheJoinerGetsTheFirstConfchgWithItself()
    {
        var cluster = new GroupsTestCluster(3, seed: 1);
        var connection = cluster.Join(2, 100, "alpha");
        Assert.Equal(GroupHandleState.JoinCompleted, cluster.Core(2).HandleState(connection));
        foreach (var node in new uint[] { 1, 2, 3 })
        {
            var change = cluster.LastChange(node);
            Assert.Equal("confchg alpha members=[2/100] left=[] joined=[2/100:Join]", change.ToString());
            Assert.Equal(node == 2 ? [connection] : [], change.Recipients);
        }
    }

    [Fact]
    public void JoinErrorsFollowCorosync()
    {
        var cluster = new GroupsTestCluster(2, seed: 2);
        var first = cluster.Join(1, 100, "alpha");
        Assert.Equal(GroupsResult.Exist, cluster.Command(1, (core, o) => core.Join(first, 100, Alpha, o)));
        Assert.Equal(GroupsResult.Exist, cluster.Command(1, (core, o) => core.Join(99, 100, Alpha, o)));
        Assert.Equal(GroupsResult.NotExist, cluster.Command(1, (core, o) => core.Leave(99, o)));
        Assert.Equal(GroupsResult.NotExist, cluster.Command(1, (core, o) => core.Send(99, new byte[] { 1 }, o)));

        var second = cluster.NewConnection(1);
        Assert.Equal(GroupsResult.Ok, cluster.Command(1, (core, o) => core.Join(second, 200, Alpha, o), settle: false));
        Assert.Equal(GroupHandleState.JoinStarted, cluster.Core(1).HandleState(second));
        Assert.Equal(GroupsResult.Busy, cluster.Command(1, (core, o) => core.Leave(second, o), settle: false));
        Assert.Equal(GroupsResult.Ok, cluster.Command(1, (core, o) => core.Send(second, new byte[] { 1 }, o), settle: false));

        // The leave of pid 100 is not delivered yet: a new join of the same pid must wait.
        Assert.Equal(GroupsResult.Ok, cluster.Command(1, (core, o) => core.Leave(first, o), settle: false));
        Assert.Equal(GroupsResult.NotExist, cluster.Command(1, (core, o) => core.Leave(first, o), settle: false));
        Assert.Equal(GroupsResult.Busy, cluster.Command(1, (core, o) => core.Join(first, 101, Alpha, o), settle: false));
        Assert.Equal(GroupsResult.Exist, cluster.Command(1, (core, o) => core.Join(77, 100, Alpha, o), settle: false));
        cluster.Command(1, (core, o) =>
        {
            core.Disconnect(first, o);
            return GroupsResult.Ok;
        }, settle: false);
        Assert.Equal(GroupsResult.TryAgain, cluster.Command(1, (core, o) => core.Join(77, 100, Alpha, o), settle: false));
        cluster.Cluster.RunUntilSettled();
        Assert.Equal(GroupsResult.Ok, cluster.Command(1, (core, o) => core.Join(77, 100, Alpha, o)));
        Assert.Equal(GroupsResult.TooBig, cluster.Command(1, (core, o) => core.Send(second, new byte[GroupsLimits.MessageSizeMax + 1], o)));
    }

    [Fact]
    public void OwnLeaveResetsTheHandleSoItCanJoinAgain()
    {
        var cluster = new GroupsTestCluster(2, seed: 3);
        var connection = cluster.Join(1, 100, "alpha");
        Assert.Equal(GroupsResult.Ok, cluster.Command(1, (core, o) => core.Leave(connection, o)));

        var leave = cluster.LastChange(1);
        Assert.Equal("confchg alpha members=[] left=[1/100:Leave] joined=[]", leave.ToString());
        Assert.Equal([connection], leave.Recipients);
        Assert.Equal(GroupHandleState.Unjoined, cluster.Core(1).HandleState(connection));

        // corosync's loop-bound bug would leave it in LEAVE_STARTED: CS_ERR_BUSY here and messages still delivered.
        var other = cluster.Join(2, 200, "alpha");
        Assert.Equal(GroupsResult.Ok, cluster.Command(2, (core, o) => core.Send(other, new byte[] { 7 }, o)));
        Assert.DoesNotContain(connection, cluster.OutputsOf<GroupMessageDelivered>(1).Last().Recipients);
        Assert.Equal(GroupsResult.Ok, cluster.Command(1, (core, o) => core.Join(connection, 100, Alpha, o)));
        Assert.Equal(GroupHandleState.JoinCompleted, cluster.Core(1).HandleState(connection));
    }

    [Fact]
    public void MessagesAreDeliveredToEveryJoinedProcessIncludingTheSenderInAgreedOrder()
    {
        var cluster = new GroupsTestCluster(3, seed: 4);
        var a = cluster.Join(1, 100, "alpha");
        var b = cluster.Join(2, 200, "alpha");
        var outsider = cluster.Join(3, 300, "beta");
        for (byte i = 0; i < 5; i++)
        {
            var value = i;
            cluster.Command(1, (core, o) => core.Send(a, new[] { value }, o), settle: false);
            cluster.Command(2, (core, o) => core.Send(b, new[] { (byte)(value + 100) }, o), settle: false);
        }

        cluster.Cluster.RunUntilSettled();
        var orders = new[] { 1u, 2u, 3u }.Select(n => string.Join(',', cluster.OutputsOf<GroupMessageDelivered>(n).Select(d => $"{d.NodeId}/{d.Pid}:{d.Data.Span[0]}"))).ToArray();
        Assert.Equal(10, orders[0].Split(',').Length);
        Assert.All(orders, order => Assert.Equal(orders[0], order));
        Assert.All(cluster.OutputsOf<GroupMessageDelivered>(1), d => Assert.Equal([a], d.Recipients));
        Assert.All(cluster.OutputsOf<GroupMessageDelivered>(3), d => Assert.Empty(d.Recipients));
        Assert.DoesNotContain(cluster.OutputsOf<GroupMessageDelivered>(3), d => d.Recipients.Contains(outsider));
    }

    [Fact]
    public void MessageFromANodeWithoutAProcessInTheGroupIsNotDelivered()
    {
        var core = new ProcessGroups(new NodeId(1));
        var output = new GroupsOutput();
        var message = CpgCodec.Encode(new CpgMcastMessage(Alpha, 5, 2, 0, new byte[] { 1 }));
        core.OnDelivered(new Delivered(new NodeId(2), default, message), output);
        Assert.Empty(output.Events.OfType<GroupMessageDelivered>());
        Assert.Contains(output.Logs, l => l is { Subsystem: LogSubsystem.Cpg, Priority: LogPriority.Warning, Text: "Unknown node -> we will not deliver message" });
    }

    [Fact]
    public void DisconnectedProcessLeavesWithProcDown()
    {
        var cluster = new GroupsTestCluster(2, seed: 5);
        var connection = cluster.Join(1, 100, "alpha");
        cluster.Join(2, 200, "alpha");
        cluster.Command(1, (core, o) =>
        {
            core.Disconnect(connection, o);
            return GroupsResult.Ok;
        });
        Assert.Equal("confchg alpha members=[2/200] left=[1/100:ProcDown] joined=[]", cluster.LastChange(2).ToString());
    }

    [Fact]
    public void NodeDownRemovesAllItsProcessesInOneConfchgPerGroupAfterTheOldRingsMessages()
    {
        var cluster = new GroupsTestCluster(3, seed: 6);
        cluster.Join(1, 100, "alpha");
        cluster.Join(3, 300, "alpha");
        cluster.Join(3, 301, "alpha");
        var beta = cluster.Join(3, 302, "beta");
        cluster.Command(3, (core, o) => core.Send(beta, new byte[] { 9 }, o), settle: false);
        cluster.Cluster.RunUntil(() => cluster.OutputsOf<GroupMessageDelivered>(1).Any(), ComposedCluster.SettleLimit, "node 1 delivers the message");
        cluster.Cluster.Crash(3);
        cluster.Cluster.RunUntilSettled();
        var events = cluster.OutputsOf<GroupsEvent>(1).Select(e => e.ToString()).ToArray();
        var last = events[^4..];
        Assert.Equal(
        [
            "deliver beta from 3/302 09",
            "confchg alpha members=[1/100] left=[3/300:NodeDown 3/301:NodeDown] joined=[]",
            "confchg beta members=[] left=[3/302:NodeDown] joined=[]",
            $"totem {cluster.Core(1).RingId} [1 2]",
        ], last);
    }

    [Fact]
    public void MergedPartitionsLearnEachOthersProcessesAsNodeUp()
    {
        var cluster = new GroupsTestCluster(4, seed: 7);
        cluster.Cluster.Partition([[1, 2], [3, 4]]);
        cluster.Cluster.RunUntilSettled();
        cluster.Join(1, 100, "alpha");
        cluster.Join(3, 300, "alpha");
        cluster.Join(4, 400, "alpha");
        Assert.Equal("1/100", cluster.Members(2, "alpha"));
        Assert.Equal("3/300 4/400", cluster.Members(3, "alpha"));
        cluster.Cluster.Partition([[1, 2, 3, 4]]);
        cluster.Cluster.RunUntilSettled();
        Assert.All(new uint[] { 1, 2, 3, 4 }, n => Assert.Equal("1/100 3/300 4/400", cluster.Members(n, "alpha")));
        Assert.Equal("confchg alpha members=[1/100 3/300 4/400] left=[] joined=[3/300:NodeUp 4/400:NodeUp]", cluster.LastChange(2).ToString());
        Assert.Equal("confchg alpha members=[1/100 3/300 4/400] left=[] joined=[1/100:NodeUp]", cluster.LastChange(4).ToString());
    }

    [Fact]
    public void CommandsDuringSyncAskToTryAgain()
    {
        var core = new ProcessGroups(new NodeId(1));
        var output = new GroupsOutput();
        core.OnConfigurationChanged(new ConfigurationChanged(ConfigurationKind.Regular, new RingId(new NodeId(1), 4), [new NodeId(1), new NodeId(2)], [], [new NodeId(2)]), output);
        Assert.True(core.Syncing);
        Assert.Equal(GroupsResult.TryAgain, core.Join(1, 100, Alpha, output));
        var sent = output.Datagrams.Select(bytes => CpgCodec.TryDecode(bytes, out var m) == ServiceDecodeStatus.Ok ? m : null).ToArray();
        Assert.IsType<CpgDownListMessage>(sent[0]);
        Assert.Empty(Assert.IsType<CpgJoinListMessage>(sent[1]).Entries);
    }

    [Fact]
    public void ProcessNoJoinListVouchesForLeavesAsProcDown()
    {
        // Node 2 stays in the membership (transitional) but its join list no longer names pid 200:
        // its leave was lost with a restart of its daemon that Totem did not see.
        var core = SyncedCore(out var output, remoteProcess: 200);
        Regular(core, output, 8, transitional: [1, 2], members: [1, 2]);
        Deliver(core, output, 2, new CpgJoinListMessage([]));
        core.SyncActivate(output);
        Assert.Equal("confchg alpha members=[] left=[2/200:ProcDown] joined=[]", output.Events.OfType<GroupConfigurationChanged>().Last().ToString());
    }

    [Fact]
    public void JoinListOfAnAbortedSyncCannotCreateAGhostMember()
    {
        var core = SyncedCore(out var output, remoteProcess: null);

        // Round 1 (ring 8): node 2 announces pid 200, then a new membership aborts the round.
        Regular(core, output, 8, transitional: [1, 2], members: [1, 2]);
        Deliver(core, output, 2, new CpgJoinListMessage([new(200, Alpha)]));

        // Round 2 (ring 12): pid 200 left in between; node 2's join list of round 1 is delivered late, then its fresh one.
        Regular(core, output, 12, transitional: [1, 2], members: [1, 2]);
        Deliver(core, output, 2, new CpgJoinListMessage([new(200, Alpha)]));
        Deliver(core, output, 2, new CpgJoinListMessage([]));
        core.SyncActivate(output);
        Assert.Empty(core.Processes);
        Assert.DoesNotContain(output.Events, e => e is GroupConfigurationChanged);
    }

    [Fact]
    public void JoinDeliveredDuringSyncAfterTheJoinListWasBuiltSurvivesActivation()
    {
        var core = SyncedCore(out var output, remoteProcess: null);
        Regular(core, output, 8, transitional: [1, 2], members: [1, 2]);
        Deliver(core, output, 2, new CpgJoinListMessage([]));
        Deliver(core, output, 2, new CpgProcJoinMessage(Alpha, 201, CpgReason.Join));
        core.SyncActivate(output);
        Assert.Equal("2/201", string.Join(' ', core.Membership(Alpha)));
        Assert.Single(output.Events.OfType<GroupConfigurationChanged>());
    }

    [Fact]
    public void LargeMessagesFromCorosyncSendersAreReassembled()
    {
        var core = SyncedCore(out var output, remoteProcess: 200);
        var data = Enumerable.Range(0, 10).Select(i => (byte)i).ToArray();
        Deliver(core, output, 2, new CpgPartialMcastMessage(Alpha, 10, 200, 1, 2, 0, data[..4]));
        Deliver(core, output, 2, new CpgPartialMcastMessage(Alpha, 10, 200, 2, 2, 0, data[4..8]));
        Assert.Empty(output.Events.OfType<GroupMessageDelivered>());
        Deliver(core, output, 2, new CpgPartialMcastMessage(Alpha, 10, 200, 3, 2, 0, data[8..]));
        Assert.Equal(data, Assert.Single(output.Events.OfType<GroupMessageDelivered>()).Data.ToArray());

        Deliver(core, output, 2, new CpgPartialMcastMessage(Alpha, 10, 200, 3, 2, 0, data[8..]));
        Assert.Equal(1, core.MalformedMessages);
    }

    [Fact]
    public void APartialSendGoesOutAsFragmentsThatEveryMemberReassembles()
    {
        var cluster = new GroupsTestCluster(2, seed: 31);
        var sender = cluster.Join(1, 100, "alpha");
        cluster.Join(2, 200, "alpha");
        var data = Enumerable.Range(0, 3000).Select(i => (byte)(i % 251)).ToArray();
        Assert.Equal(GroupsResult.NotExist, cluster.Command(1, (core, o) => core.SendPartial(99, 3000, 1, data[..1000], o)));
        Assert.Equal(GroupsResult.TooBig, cluster.Command(1, (core, o) => core.SendPartial(sender, 3000, 4, data[..1000], o)));
        Assert.Equal(GroupsResult.Ok, cluster.Command(1, (core, o) => core.SendPartial(sender, 3000, 1, data[..1000], o)));
        Assert.Equal(GroupsResult.Ok, cluster.Command(1, (core, o) => core.SendPartial(sender, 3000, 2, data[1000..2000], o)));
        Assert.Empty(cluster.OutputsOf<GroupMessageDelivered>(2));
        Assert.Equal(GroupsResult.Ok, cluster.Command(1, (core, o) => core.SendPartial(sender, 3000, 3, data[2000..], o)));
        foreach (var node in new uint[] { 1, 2 })
        {
            var delivered = Assert.Single(cluster.OutputsOf<GroupMessageDelivered>(node));
            Assert.Equal((1u, 100u), (delivered.NodeId.Value, delivered.Pid));
            Assert.Equal(data, delivered.Data.ToArray());
        }
    }

    [Fact]
    public void InitialTotemConfigurationIsDeliveredOnceAfterOwnJoinWhenAsked()
    {
        var cluster = new GroupsTestCluster(2, seed: 8);
        var connection = cluster.NewConnection(1);
        cluster.Command(1, (core, o) => core.Join(connection, 100, Alpha, o, deliverInitialTotemConfiguration: true));
        cluster.Join(2, 200, "alpha");
        var initial = cluster.OutputsOf<GroupTotemMembership>(1).Where(t => t.Recipients.SequenceEqual([connection])).ToArray();
        Assert.Equal("1 2", string.Join(' ', Assert.Single(initial).Members));
    }

    [Fact]
    public void MalformedCpgMessagesAreCountedAndDropped()
    {
        var core = new ProcessGroups(new NodeId(1));
        var bytes = CpgCodec.Encode(new CpgProcJoinMessage(Alpha, 1, CpgReason.Join));
        Assert.Equal(ServiceDecodeStatus.Truncated, core.OnDelivered(new Delivered(new NodeId(2), default, bytes[..100]), new GroupsOutput()));
        Assert.Equal(1, core.MalformedMessages);
        Assert.Empty(core.Processes);
    }

    private static ProcessGroups SyncedCore(out GroupsOutput output, uint? remoteProcess)
    {
        var core = new ProcessGroups(new NodeId(1));
        output = new GroupsOutput();
        Regular(core, output, 4, transitional: [1], members: [1, 2]);
        Deliver(core, output, 2, new CpgJoinListMessage(remoteProcess is { } pid ? [new(pid, Alpha)] : []));
        core.SyncActivate(output);
        Assert.Equal(remoteProcess is null ? 0 : 1, core.Processes.Count);
        output.Clear();
        return core;
    }

    private static void Regular(ProcessGroups core, GroupsOutput output, ulong sequence, uint[] transitional, uint[] members)
    {
        var ring = new RingId(new NodeId(1), sequence);
        core.OnConfigurationChanged(new ConfigurationChanged(ConfigurationKind.Transitional, ring, transitional.Select(n => new NodeId(n)).ToArray(), [], []), output);
        core.OnConfigurationChanged(new ConfigurationChanged(ConfigurationKind.Regular, ring, members.Select(n => new NodeId(n)).ToArray(), [], []), output);
    }

    private static void Deliver(ProcessGroups core, GroupsOutput output, uint sender, CpgMessage message) =>
        Assert.Equal(ServiceDecodeStatus.Ok, core.OnDelivered(new Delivered(new NodeId(sender), default, CpgCodec.Encode(message)), output));
}

public sealed class ProcessGroupsRobustnessTests
{
    [Fact]
    public void RandomValidMessagesFromAnySenderNeverBreakTheCore()
    {
        var prng = new Prng(99);
        var core = new ProcessGroups(new NodeId(1));
        var output = new GroupsOutput();
        var groups = new[] { CpgGroupName.FromString("a"), CpgGroupName.FromString("b") };
        for (var i = 0; i < 20_000; i++)
        {
            var sender = new NodeId((uint)prng.NextInRange(1, 4));
            var group = groups[prng.NextBelow(2)];
            var pid = (uint)prng.NextInRange(1, 3);
            CpgMessage message = prng.NextBelow(8) switch
            {
                0 => new CpgProcJoinMessage(group, pid, (CpgReason)prng.NextBelow(6)),
                1 => new CpgProcLeaveMessage(group, pid, (CpgReason)prng.NextBelow(6)),
                2 => new CpgJoinListMessage([new(pid, group)]),
                3 => new CpgMcastMessage(group, pid, sender.Value, 0, new byte[] { 1 }),
                4 => new CpgPartialMcastMessage(group, (uint)prng.NextBelow(8), pid, (uint)prng.NextInRange(0, 4), sender.Value, 0, new byte[prng.NextBelow(5)]),
                5 => new CpgDownListMessage(3, [(uint)prng.NextInRange(1, 4)]),
                6 => new CpgDownListOldMessage([]),
                _ => new CpgMcastMessage(group, pid, sender.Value, 0, Array.Empty<byte>()),
            };
            core.OnDelivered(new Delivered(sender, default, CpgCodec.Encode(message)), output);
            if (prng.NextBelow(50) == 0)
            {
                var members = Enumerable.Range(1, (int)prng.NextInRange(1, 4)).Select(n => new NodeId((uint)n)).ToArray();
                var ring = new RingId(new NodeId(1), (ulong)i);
                core.OnConfigurationChanged(new ConfigurationChanged(ConfigurationKind.Transitional, ring, members[..1], [], []), output);
                core.OnConfigurationChanged(new ConfigurationChanged(ConfigurationKind.Regular, ring, members, [], []), output);
            }
            else if (core.Syncing && prng.NextBelow(10) == 0)
            {
                core.SyncActivate(output);
            }

            output.Clear();
        }

        Assert.All(core.Processes, p => Assert.Contains(p.Member, core.Membership(p.Group)));
    }
}
