namespace Rookery.Totem.Tests;

/// <summary>Runtime reconfiguration (a reload changing the Totem timers): new values apply from the next timer arm.</summary>
public sealed class ReconfigureTests
{
    private static readonly Duration s_limit = Duration.FromSeconds(60);

    [Theory]
    [InlineData(31UL)]
    [InlineData(32UL)]
    public void A_longer_token_applies_to_the_next_failure_detection(ulong seed)
    {
        var before = TotemOptions.Compute(3) with { FastNodeLoss = false };
        var cluster = TestCluster.Formed(seed, 3, before);
        var after = TotemOptions.Compute(3, token: Duration.FromMilliseconds(8000)) with { FastNodeLoss = false };
        Assert.True(after.Token > before.Token * 2, $"seed {seed}");
        foreach (var node in cluster.Nodes)
        {
            Assert.Empty(node.Core.Reconfigure(after));
            Assert.Same(after, node.Core.Options);
        }

        // Let every armed timer be re-armed with the new values (tokens keep rotating), then crash a node.
        cluster.Run(after.Token);
        cluster[3].Crash();
        var crashedAt = cluster.Now;
        Assert.True(cluster.RunUntil(() => cluster.Converged(1, 2), s_limit), $"seed {seed}: survivors did not re-form");

        var formedAt = cluster[1].Events.Last(e => e.Event is ConfigurationChanged).Time;
        Assert.True(formedAt - crashedAt >= after.Token, $"seed {seed}: re-formed {formedAt - crashedAt} after the crash, before the new token timeout {after.Token}");
        Assert.Contains(
            cluster[1].Logs.Concat(cluster[2].Logs),
            l => l.Text.StartsWith($"A processor failed, forming new configuration: token timed out ({after.Token.Milliseconds}ms), waiting {after.Consensus.Milliseconds}ms for consensus.", StringComparison.Ordinal));
        Checkers.CheckAll(cluster);
    }

    [Fact]
    public void Invalid_options_and_a_changed_netmtu_are_refused_and_change_nothing()
    {
        var cluster = TestCluster.Formed(33, 2);
        var core = cluster[1].Core;
        var running = core.Options;

        var tooShort = core.Reconfigure(running with { Token = Duration.FromMilliseconds(10) });
        var otherMtu = core.Reconfigure(running with { NetMtu = 1500 });

        Assert.Contains("The token timeout parameter (10 ms) may not be less than (30 ms).", tooShort);
        Assert.Contains(otherMtu, e => e.StartsWith("Modified entry 'totem.netmtu' in corosync.conf cannot be changed at run-time", StringComparison.Ordinal));
        Assert.Same(running, core.Options);
    }
}
