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
            Assert.Contains(node.Logs, l => l.Message.StartsWith($"A new membership ({ring}) was formed. Members", StringComparison.Ordinal));
        }

        Checkers.CheckAll(cluster);
    }
}
