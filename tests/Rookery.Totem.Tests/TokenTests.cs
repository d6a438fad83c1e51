using Rookery.Wire.Totem;

namespace Rookery.Totem.Tests;

public sealed class TokenTests
{
    private static readonly Duration Limit = Duration.FromSeconds(60);

    [Fact]
    public void IdleRingHoldsTheTokenAndACancelReleasesIt()
    {
        var cluster = TestCluster.Formed(301, 3);
        cluster.Run(Duration.FromSeconds(5));
        long tokens = 0;
        cluster.DropFilter = (_, _, bytes) =>
        {
            tokens += bytes[3] == (byte)TotemMessageType.OrfToken ? 1 : 0;
            return false;
        };
        cluster.Run(Duration.FromSeconds(10));

        // Held by the representative, an idle token goes round about once per `hold` (561 ms), not continuously.
        Assert.InRange(tokens, 30, 3 * 10_000 / 500);
        Assert.Contains(cluster[1].Logs, l => l.Text.StartsWith("A new membership", StringComparison.Ordinal));

        var submittedAt = cluster.Now;
        Assert.True(cluster[2].Submit());
        Assert.True(cluster.RunUntil(() => cluster[3].DeliveredSet.Count == 1, Limit));
        var deliveredAt = cluster[3].Events.Last().Time;
        Assert.True(deliveredAt - submittedAt < Duration.FromMilliseconds(100), $"TOKEN_HOLD_CANCEL should release the held token at once, took {deliveredAt - submittedAt}");
        Assert.True(cluster[2].Core.Stats.TokenHoldCancelTx > 0);
    }

    [Fact]
    public void NodeThatCannotReceiveFailsItselfAndFormsASingletonRing()
    {
        var options = TotemOptions.Compute(3) with { FailReceiveConst = 50, CancelTokenHoldOnRetransmit = true };
        var cluster = TestCluster.Formed(311, 3, options);
        cluster.DropFilter = (_, to, bytes) => to == new NodeId(3) && bytes[3] == (byte)TotemMessageType.Mcast;
        for (var i = 0; i < 5; i++)
        {
            cluster[1].Submit();
        }

        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2) && cluster.Converged(3), Limit), "seed 311: no split after FAILED TO RECEIVE");
        Assert.Contains(cluster[3].Logs, l => l.Priority == LogPriority.Error && l.Text == "FAILED TO RECEIVE");
        Assert.Contains(cluster[3].Logs, l => l.Text.StartsWith("entering GATHER state from 6(", StringComparison.Ordinal));
        cluster.DropFilter = null;
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2, 3), Limit), "seed 311: no merge after the receive problem ended");
        Checkers.CheckAll(cluster);
    }

    [Fact]
    public void RestartedNodeUsesThePersistedSequenceAndRejoins()
    {
        var cluster = TestCluster.Formed(321, 3);
        var before = cluster[3].PersistedRingSequence;
        Assert.True(before > 0);
        cluster[3].Crash();
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2), Limit));
        cluster[3].Restart();
        Assert.Contains(cluster[3].Logs, l => l.Text == $"Created or loaded sequence id 3.{before + 1:x} for this ring.");
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2, 3), Limit));
        Assert.True(cluster[3].PersistedRingSequence > before);
        var joined = cluster[1].Events.Select(e => e.Event).OfType<ConfigurationChanged>().Last();
        Assert.Equal([new NodeId(3)], joined.Joined);
        Checkers.CheckAll(cluster);
    }

    [Fact]
    public void OptionsFollowCorosyncFormulas()
    {
        var two = TotemOptions.Compute(2);
        Assert.Equal((3000, 714, 561, 3600), (two.Token.Milliseconds, two.TokenRetransmit.Milliseconds, two.Hold.Milliseconds, two.Consensus.Milliseconds));
        var three = TotemOptions.Compute(3);
        Assert.Equal((3650, 869, 685, 4380), (three.Token.Milliseconds, three.TokenRetransmit.Milliseconds, three.Hold.Milliseconds, three.Consensus.Milliseconds));
        var tokenOne = TotemOptions.Compute(3, token: Duration.FromMilliseconds(1000), tokenCoefficient: Duration.Zero);
        Assert.Equal((1000, 238, 180, 1200), (tokenOne.Token.Milliseconds, tokenOne.TokenRetransmit.Milliseconds, tokenOne.Hold.Milliseconds, tokenOne.Consensus.Milliseconds));
        var cmap = TotemOptions.Compute(3, token: Duration.FromMilliseconds(1000));
        Assert.Equal((1650, 392, 303, 1980), (cmap.Token.Milliseconds, cmap.TokenRetransmit.Milliseconds, cmap.Hold.Milliseconds, cmap.Consensus.Milliseconds));
        Assert.Equal((50, 200, 2500, 30, 5, 50, 17, 75), (cmap.Join.Milliseconds, cmap.Merge.Milliseconds, cmap.FailReceiveConst, cmap.SeqnoUnchangedConst,
            cmap.MissCountConst, cmap.WindowSize, cmap.MaxMessages, cmap.TokenWarningPercent));
        Assert.Equal(65446, two.PacketSizeMax);
        Assert.Equal(64, two.MessageQueueMax);
        Assert.Empty(two.Validate());
        var bad = two with { Token = Duration.FromMilliseconds(10), Consensus = Duration.FromMilliseconds(40), TokenWarningPercent = 101 };
        var errors = bad.Validate();
        Assert.Contains("The token timeout parameter (10 ms) may not be less than (30 ms).", errors);
        Assert.Contains("The consensus timeout parameter (40 ms) may not be less than join timeout (50 ms).", errors);
        Assert.Contains("The token warning parameter (101%) must be between 0 (disabled) and 100.", errors);
    }

    [Fact]
    public void GarbageDatagramsAreCountedAndDropped()
    {
        var cluster = TestCluster.Formed(331, 2);
        var prng = new Prng(331);
        var core = cluster[1].Core;
        var ring = core.RingId;
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[prng.NextBelow(120)];
            prng.Fill(bytes);
            if (bytes.Length > 4 && prng.Chance(Ratio.Percent(50)))
            {
                bytes[0] = 0x70;
                bytes[1] = 0xc0;
                bytes[2] = 3;
                bytes[3] = (byte)prng.NextBelow(6);
            }

            core.Receive(cluster.Now, new NodeId(2), bytes, cluster.Output);
            cluster.Output.Clear();
        }

        Assert.True(core.Stats.DecodeErrors > 1000);
        cluster.Run(Duration.FromSeconds(10));
        Assert.True(cluster.Converged(1, 2));
        Assert.True(cluster[1].Core.RingId.Sequence >= ring.Sequence);
    }
}
