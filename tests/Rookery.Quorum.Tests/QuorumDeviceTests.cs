using Rookery.Simulation;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Quorum.Tests;

/// <summary>
/// The quorum device calls corosync-qdevice makes (exec/votequorum.c's qdevice_register/poll/master_wins/unregister/
/// update and qdevice_timer_fn), on a composed cluster of two nodes with a one-vote device: expected votes 3.
/// </summary>
public sealed class QuorumDeviceTests
{
    private static QuorumTestCluster TwoNodesWithDevice(ulong seed) =>
        new QuorumTestCluster(2, seed, s => s with { QuorumDeviceConfigured = true, QuorumDeviceVotes = 1 }).Form();

    private static QdeviceResult Call(QuorumTestCluster cluster, uint node, Func<Votequorum, QuorumOutput, QdeviceResult> call)
    {
        var result = QdeviceResult.Ok;
        cluster.Command(node, (core, output) => result = call(core, output));
        return result;
    }

    private static void RegisterAndVote(QuorumTestCluster cluster, uint node)
    {
        Assert.Equal(QdeviceResult.Pending, Call(cluster, node, (core, o) => core.QdeviceRegister("Qdevice", o)));
        Assert.Equal(QdeviceResult.Ok, cluster.Core(node).TakeQdeviceRegistrationResult());
        Assert.Null(cluster.Core(node).TakeQdeviceRegistrationResult());
        var ring = cluster.Status(node).RingId;
        Assert.Equal(QdeviceResult.Ok, Call(cluster, node, (core, o) => core.QdevicePoll(cluster.Cluster.Now, "Qdevice", castVote: true, ring, o)));
    }

    [Fact]
    public void ARegisteredDeviceThatCastsItsVoteCountsOnEveryMember()
    {
        var cluster = TwoNodesWithDevice(seed: 101);
        Assert.Equal((3u, 2u, 2u), (cluster.Status(1).ExpectedVotes, cluster.Status(1).TotalVotes, cluster.Status(1).Quorum));
        Assert.Equal(QdeviceResult.NotExist, Call(cluster, 1, (core, o) => core.QdevicePoll(cluster.Cluster.Now, "Qdevice", true, cluster.Status(1).RingId, o)));

        RegisterAndVote(cluster, 1);
        var status = cluster.Status(1);
        Assert.Equal(3u, status.TotalVotes);
        Assert.Contains("Qdevice", status.FlagNames);
        Assert.Equal("Qdevice", status.QuorumDeviceName);

        // Node 2 sees node 1's device flags (quorumtool's A,V,NMW column) and learned the name.
        var seen = cluster.Status(2).Nodes.Single(n => n.NodeId.Value == 1).Flags;
        Assert.True(seen.HasFlag(NodeInfoFlags.QdeviceRegistered) && seen.HasFlag(NodeInfoFlags.QdeviceAlive) && seen.HasFlag(NodeInfoFlags.QdeviceCastVote));
        Assert.Equal("Qdevice", cluster.Status(2).QuorumDeviceName);

        // Registering the same name again is answered at once; another name is refused; a poll for another ring too.
        Assert.Equal(QdeviceResult.Ok, Call(cluster, 1, (core, o) => core.QdeviceRegister("Qdevice", o)));
        Assert.Equal(QdeviceResult.Exist, Call(cluster, 1, (core, o) => core.QdeviceRegister("Other", o)));
        var stale = new RingId(new NodeId(1), cluster.Status(1).RingId.Sequence + 4);
        Assert.Equal(QdeviceResult.MessageError, Call(cluster, 1, (core, o) => core.QdevicePoll(cluster.Cluster.Now, "Qdevice", true, stale, o)));
        Assert.Equal(QdeviceResult.InvalidParam, Call(cluster, 1, (core, o) => core.QdevicePoll(cluster.Cluster.Now, "Other", true, cluster.Status(1).RingId, o)));
    }

    [Fact]
    public void WhenThePeerDiesTheDevicesVoteKeepsTheSurvivorQuorate()
    {
        var cluster = TwoNodesWithDevice(seed: 102);
        RegisterAndVote(cluster, 1);
        RegisterAndVote(cluster, 2);
        cluster.Cluster.Crash(2);
        cluster.Cluster.Partition([[1]]);

        // The sync waits for the device's poll with the new ring (at most sync_timeout), then counts its vote.
        cluster.Cluster.RunUntil(() => cluster.Core(1).WaitingForQuorumDevice, Duration.FromSeconds(30), "the sync waits for the device");
        Assert.Contains(cluster.LogLines(1), l => l.StartsWith("waiting for quorum device Qdevice poll (but maximum for 30000 ms)", StringComparison.Ordinal));
        var ring = cluster.Status(1).RingId;
        Assert.Equal(QdeviceResult.Ok, Call(cluster, 1, (core, o) => core.QdevicePoll(cluster.Cluster.Now, "Qdevice", castVote: true, ring, o)));
        Assert.False(cluster.Core(1).WaitingForQuorumDevice);
        var status = cluster.Status(1);
        Assert.Equal([1u], status.Members.Select(m => m.Value));
        Assert.True(status.Quorate);
        Assert.Equal((2u, 2u), (status.TotalVotes, status.Quorum));
        Assert.DoesNotContain(cluster.LogLines(1), l => l.Contains("non-primary", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutAPollWithinTheTimeoutTheDeviceLosesItsVote()
    {
        var cluster = TwoNodesWithDevice(seed: 103);
        RegisterAndVote(cluster, 1);
        Assert.Equal(3u, cluster.Status(1).TotalVotes);
        cluster.Cluster.Run(Duration.FromSeconds(11));
        Assert.Contains("lost contact with quorum device Qdevice", cluster.LogLines(1));
        Assert.Equal(2u, cluster.Status(1).TotalVotes);
        var flags = cluster.Status(2).Nodes.Single(n => n.NodeId.Value == 1).Flags;
        Assert.False(flags.HasFlag(NodeInfoFlags.QdeviceAlive) || flags.HasFlag(NodeInfoFlags.QdeviceCastVote));
    }

    [Fact]
    public void MasterWinsMakesThePartitionWhoseDeviceVotesQuorate()
    {
        // Four nodes and a one-vote device: expected 5, quorum 3. Node 1 alone has 2 votes with its device's.
        var cluster = new QuorumTestCluster(4, seed: 104, s => s with { QuorumDeviceConfigured = true, QuorumDeviceVotes = 1 }).Form();
        RegisterAndVote(cluster, 1);
        Assert.Equal(QdeviceResult.Ok, Call(cluster, 1, (core, o) => core.QdeviceMasterWins("Qdevice", allow: true, o)));
        Assert.True(cluster.Status(1).QuorumDeviceMasterWins);
        Assert.True(cluster.Status(1).Flags.HasFlag(QuorumInfoFlags.QdeviceMasterWins));

        cluster.Cluster.Partition([[1], [2, 3, 4]]);
        cluster.Cluster.RunUntil(() => cluster.Core(1).WaitingForQuorumDevice, Duration.FromSeconds(30), "node 1's sync waits for the device");
        Assert.Equal(QdeviceResult.Ok, Call(cluster, 1, (core, o) => core.QdevicePoll(cluster.Cluster.Now, "Qdevice", castVote: true, cluster.Status(1).RingId, o)));
        var alone = cluster.Status(1);
        Assert.Equal((2u, 3u), (alone.TotalVotes, alone.Quorum));
        Assert.True(alone.Quorate);
        Assert.Contains("node is quorate as part of master_wins partition", cluster.LogLines(1));
    }

    [Fact]
    public void UnregisterClearsTheDeviceAndUpdateRenamesIt()
    {
        var cluster = TwoNodesWithDevice(seed: 105);
        Assert.Equal(QdeviceResult.NotExist, Call(cluster, 1, (core, o) => core.QdeviceUpdate("Qdevice", "Renamed", o)));
        RegisterAndVote(cluster, 1);
        Assert.Equal(QdeviceResult.InvalidParam, Call(cluster, 1, (core, o) => core.QdeviceUpdate("Wrong", "Renamed", o)));
        Assert.Equal(QdeviceResult.Ok, Call(cluster, 1, (core, o) => core.QdeviceUpdate("Qdevice", "Renamed", o)));
        Assert.Equal("Renamed", cluster.Status(1).QuorumDeviceName);
        Assert.Equal("Renamed", cluster.Status(2).QuorumDeviceName);

        Assert.Equal(QdeviceResult.InvalidParam, Call(cluster, 1, (core, o) => core.QdeviceUnregister("Qdevice", o)));
        Assert.Equal(QdeviceResult.Ok, Call(cluster, 1, (core, o) => core.QdeviceUnregister("Renamed", o)));
        var status = cluster.Status(1);
        Assert.Equal(2u, status.TotalVotes);
        Assert.DoesNotContain("Qdevice", status.FlagNames);
        Assert.Equal(string.Empty, status.QuorumDeviceName);
        Assert.Equal(string.Empty, cluster.Status(2).QuorumDeviceName);
        Assert.Equal(QdeviceResult.NotExist, Call(cluster, 1, (core, o) => core.QdeviceUnregister("Renamed", o)));
    }
}
