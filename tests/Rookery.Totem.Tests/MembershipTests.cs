using Rookery.Wire.Totem;

namespace Rookery.Totem.Tests;

public sealed class MembershipTests
{
    private static readonly Duration FormLimit = Duration.FromSeconds(30);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RingFormsWithEveryNode(int count)
    {
        var cluster = new TestCluster(seed: 100 + (ulong)count, count);
        cluster.StartAll();
        var all = Enumerable.Range(1, count).ToArray();
        Assert.True(cluster.RunUntil(() => cluster.Converged(all), FormLimit), $"seed {cluster.Seed}: no ring of {count}");
        var ring = cluster[1].Core.RingId;
        Assert.Equal(new NodeId(1), ring.Representative);
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(ring.Sequence, node.PersistedRingSequence);
            Assert.Contains(node.Logs, l => l.Text.StartsWith($"A new membership ({ring}) was formed. Members", StringComparison.Ordinal));
        }

        Checkers.CheckAll(cluster);
    }
}

/// <summary>
/// Goal: a node pulled back from RECOVERY to GATHER by a member of its new ring does not carry the failed
/// list that built that ring (swarm seed 39: it was adopted by the ring-mates, the failed nodes failed them
/// back, and the two halves of a healed partition re-formed apart for ever). Method: drive one core by hand
/// through GATHER (node 3 fails it, so it fails node 3), COMMIT and RECOVERY of ring {1,2}, then node 1,
/// already OPERATIONAL with clean lists, gathers again; the core's next join must not fail node 3.
/// </summary>
public sealed class RecoveryJoinTests
{
    private static readonly NodeId N1 = new(1);
    private static readonly NodeId N2 = new(2);
    private static readonly NodeId N3 = new(3);

    [Theory]
    [InlineData(0)]
    [InlineData(80)]
    public void SendJoinDelaysEachJoinByARandomAmountBelowItAndTheRingStillForms(int sendJoinMs)
    {
        var options = TotemOptions.Compute(4) with { SendJoin = Duration.FromMilliseconds(sendJoinMs) };
        var cluster = new TestCluster(91, 4, options);
        var firstJoin = new Dictionary<NodeId, Instant>();
        cluster.DropFilter = (from, _, bytes) =>
        {
            if (bytes[3] == (byte)TotemMessageType.Join)
            {
                firstJoin.TryAdd(from, cluster.Now);
            }

            return false;
        };
        var start = cluster.Now;
        cluster.StartAll();

        // Without send_join every node sends its join as it starts; with it, none has sent yet, all have within the bound.
        Assert.All(cluster.Nodes, n => Assert.Equal(sendJoinMs == 0 ? 1 : 0, n.Core.Stats.JoinTx));
        cluster.Run(Duration.FromMilliseconds(sendJoinMs));
        Assert.All(cluster.Nodes, n => Assert.True(n.Core.Stats.JoinTx >= 1));
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2, 3, 4), Duration.FromSeconds(60)), "seed 91: ring did not form");
        if (sendJoinMs > 0)
        {
            Assert.Equal(4, firstJoin.Count);
            Assert.All(firstJoin.Values, at => Assert.InRange((at - start).Microseconds, 0, (sendJoinMs * 1000) - 1));
            Assert.True(firstJoin.Values.Distinct().Count() > 1, "every node sent its first join at the same instant");
        }
    }

    [Fact]
    public void JoinDuringRecoveryGathersWithoutTheSpentFailedList()
    {
        var output = new TotemOutput();
        var now = Instant.FromMilliseconds(1);
        var core = new TotemSrp(N2, TotemOptions.Compute(3), new Prng(39), 0);
        core.SetNodelist(now, [N1, N2, N3], output);
        core.Start(now, output);
        var seq = core.RingId.Sequence;

        void Receive(NodeId from, TotemMessage message)
        {
            output.Clear();
            now += Duration.FromMilliseconds(1);
            core.Receive(now, from, TotemCodec.Encode(message), output);
        }

        Receive(N1, new Join(N1, default, N1, [N1, N2, N3], [], seq));
        Receive(N3, new Join(N3, default, N3, [N2, N3], [N2], seq));
        Receive(N1, new Join(N1, default, N1, [N1, N2, N3], [N3], seq));
        Assert.Equal(MembershipState.Gather, core.State);

        var ring = new RingId(N1, seq + 4);
        var oldRing = new RingId(N1, seq);
        Receive(N1, new CommitToken(N1, N2, 1, ring, 0, 1, [N1, N2], [new CommitTokenEntry(oldRing, 0, 0, 1), default]));
        Assert.Equal(MembershipState.Commit, core.State);
        var filled = Assert.Single(output.Datagrams.Select(Decode).OfType<CommitToken>());
        Receive(N1, filled with { Sender = N1, Target = N2, TokenSeq = filled.TokenSeq + 1, MemberIndex = 2 });
        Assert.Equal(MembershipState.Recovery, core.State);

        Receive(N1, new Join(N1, default, N1, [N1, N2], [], ring.Sequence));

        Assert.Equal(MembershipState.Gather, core.State);
        var join = Assert.Single(output.Datagrams.Select(Decode).OfType<Join>());
        Assert.Equal([N1, N2], join.ProcessorList);
        Assert.Empty(join.FailedList);
    }

    private static TotemMessage? Decode(TotemDatagram datagram) =>
        TotemCodec.TryDecode(datagram.Bytes, out var message) == TotemDecodeStatus.Ok ? message : null;
}
