using System.Net;

namespace Rookery.Config.Tests;

public sealed class LoaderTests
{
    [Fact]
    public void SeedConfigurationParsesAndValidates()
    {
        var result = ConfigLoader.Load(Fixture.Seed, "seed.conf");

        Assert.False(result.HasErrors, Fixture.Describe(result.Diagnostics));
        Assert.Empty(result.Warnings);
        var config = result.Config;
        Assert.Equal("testcluster", config.Totem.ClusterName);
        Assert.Equal(4UL, config.Totem.ConfigVersion);
        Assert.Equal(["due", "tre", "uno"], config.Nodes.Select(n => n.Name));
        Assert.Equal([2u, 3u, 1u], config.Nodes.Select(n => n.NodeId!.Value));
        Assert.Equal([new LinkId(0), new LinkId(1)], config.ConfiguredLinks);
        Assert.Equal("10.20.20.3", config.FindNode("tre")!.Address(1));
        Assert.True(config.Quorum.IsVotequorum);
        Assert.True(config.Totem.IsSecure);
        Assert.Equal("aes256", config.Totem.CryptoCipher);
        Assert.Equal("sha256", config.Totem.CryptoHash);
        Assert.Equal("off", config.Logging.Debug);
    }

    [Fact]
    public void SeedTimersFollowTheTokenCoefficientForThreeNodes()
    {
        var timers = ConfigLoader.Parse(Fixture.Seed, "seed.conf").Config.Timers;

        Assert.Equal(3, timers.NodeCount);
        Assert.Equal(3650u, timers.TokenMs);
        Assert.Equal(4380u, timers.ConsensusMs);
        Assert.Equal(869u, timers.TokenRetransmitMs);
        Assert.Equal(685u, timers.HoldMs);
    }

    [Theory]
    [InlineData(1, 3000u, 714u, 561u, 3600u)]
    [InlineData(2, 3000u, 714u, 561u, 3600u)]
    [InlineData(3, 3650u, 869u, 685u, 4380u)]
    [InlineData(5, 4950u, 1178u, 932u, 5940u)]
    public void DerivedTimersMatchCorosyncsFormulas(int nodes, uint token, uint retransmit, uint hold, uint consensus)
    {
        var timers = ConfigLoader.Parse(Nodes(nodes, string.Empty), "t.conf").Config.Timers;

        Assert.Equal(token, timers.TokenMs);
        Assert.Equal(retransmit, timers.TokenRetransmitMs);
        Assert.Equal(hold, timers.HoldMs);
        Assert.Equal(consensus, timers.ConsensusMs);
    }

    [Theory]
    [InlineData(3, "", 3650u, 869u, 685u, 4380u)]
    [InlineData(3, "token: 1000", 1650u, 392u, 303u, 1980u)]
    public void DerivedTimersAreWhatCorosyncsCmapShows(int nodes, string totemKeys, uint token, uint retransmit, uint hold, uint consensus)
    {
        // corosync 3.1.7, `corosync-cmapctl runtime.config.totem` on the 3-node testbed (ref/baseline-corosync.md §2.2).
        var timers = ConfigLoader.Parse(Nodes(nodes, totemKeys), "t.conf").Config.Timers;

        Assert.Equal((token, retransmit, hold, consensus), (timers.TokenMs, timers.TokenRetransmitMs, timers.HoldMs, timers.ConsensusMs));
        Assert.Equal((50u, 200u, 1000u, 2500u, 4u, 30u, 5u, 50u, 50u, 17u), (timers.JoinMs, timers.MergeMs, timers.DowncheckMs, timers.FailRecvConst,
            timers.TokenRetransmitsBeforeLossConst, timers.SeqnoUnchangedConst, timers.MissCountConst, timers.MaxNetworkDelayMs, timers.WindowSize, timers.MaxMessages));
        Assert.Equal((0u, 0u, 75u), (timers.SendJoinMs, timers.HeartbeatFailuresAllowed, timers.TokenWarningPercent));
    }

    [Theory]
    [InlineData(2, "")]
    [InlineData(3, "")]
    [InlineData(7, "")]
    [InlineData(4, "token: 1000")]
    [InlineData(5, "token: 777\n  token_coefficient: 13\n  token_retransmits_before_loss_const: 7")]
    [InlineData(3, "token: 2000\n  token_retransmit: 100\n  hold: 90\n  consensus: 9000")]
    public void OneFormulaServesTheDaemonAndTheSimulator(int nodes, string totemKeys)
    {
        // The daemon derives from a corosync.conf; tests and the simulator compute from the token keys alone.
        var config = ConfigLoader.Parse(Nodes(nodes, totemKeys), "t.conf").Config;
        var totem = config.Totem;

        var computed = TotemTimers.Compute(nodes, totem.Token, totem.TokenCoefficient, totem.TokenRetransmitsBeforeLossConst, totem.TokenRetransmit, totem.Hold, totem.Consensus);

        Assert.Equal(computed, config.Timers);
    }

    [Fact]
    public void ExplicitTimersWinOverDerivedOnesAndZeroMeansDefault()
    {
        var config = ConfigLoader.Parse(Nodes(4, "token: 1000\n  token_coefficient: 0\n  consensus: 5000\n  hold: 0\n  join: 60"), "t.conf").Config;
        var timers = config.Timers;

        Assert.Equal(1000u, timers.TokenMs);
        Assert.Equal(5000u, timers.ConsensusMs);
        Assert.Equal(238u, timers.TokenRetransmitMs);
        Assert.Equal(180u, timers.HoldMs);
        Assert.Equal(60u, timers.JoinMs);
    }

    [Fact]
    public void LinkSettingsApplyDefaultsPriorityZeroAsOneAndDerivedPingTimers()
    {
        var text = Nodes(3, "interface {\n    linknumber: 1\n    knet_link_priority: 0\n    knet_pong_count: 5\n    mcastport: 6000\n    link_detection_hint: fast\n  }\n  interface {\n    linknumber: 0\n    knet_link_priority: 20\n    knet_ping_interval: 100\n    knet_ping_timeout: 400\n  }", links: 2);
        var config = ConfigLoader.Parse(text, "t.conf").Config;
        var links = config.Links;

        Assert.Equal(2, links.Count);
        Assert.Equal(new LinkSettings(new LinkId(0), 20, 100, 400, 2048, 2, "udp", 5405, config.Totem.Interfaces[0].Keys), links[0]);
        Assert.Equal(1, links[1].Priority);
        Assert.Equal(3650u / 5, links[1].PingTimeoutMs);
        Assert.Equal(3650u / 10, links[1].PingIntervalMs);
        Assert.Equal(6000, links[1].McastPort);
        Assert.Equal("fast", links[1].Keys["link_detection_hint"]);
        Assert.Equal(0, config.Totem.Interface(new LinkId(1))!.Priority);
    }

    [Fact]
    public void LinkWithoutInterfaceBlockGetsCorosyncDefaults()
    {
        var config = ConfigLoader.Parse(Nodes(2, string.Empty), "t.conf").Config;
        var link = Assert.Single(config.Links);

        Assert.Equal(new LinkId(0), link.Link);
        Assert.Equal(1, link.Priority);
        Assert.Equal(5405, link.McastPort);
        Assert.Equal(1500u, link.PingTimeoutMs);
        Assert.Equal(750u, link.PingIntervalMs);
    }

    [Fact]
    public void HugePongCountsDoNotOverflowThePingInterval()
    {
        var config = ConfigLoader.Parse(Nodes(2, "interface {\n    knet_pong_count: 2147483648\n  }"), "t.conf").Config;

        Assert.Equal(0u, config.Links[0].PingIntervalMs);
        Assert.Equal(0u, config.Links[0].PingTimeoutMs);
    }

    [Fact]
    public void LocalNodeIsFoundByExplicitNameThenHostNameThenAddress()
    {
        var config = ConfigLoader.Parse(Fixture.Seed, "seed.conf").Config;
        var none = Array.Empty<IPAddress>();

        Assert.Equal("tre", LocalNode.Find(config, "tre", "uno", none).Node!.Name);
        Assert.Equal(LocalNodeMatch.HostName, LocalNode.Find(config, null, "uno", none).Match);
        Assert.Equal("due", LocalNode.Find(config, null, "due.example.org", none).Node!.Name);
        var byAddress = LocalNode.Find(config, null, "elsewhere", [IPAddress.Parse("10.20.20.3")]);
        Assert.Equal(("tre", LocalNodeMatch.LocalAddress), (byAddress.Node!.Name, byAddress.Match));
        Assert.False(LocalNode.Find(config, null, "elsewhere", [IPAddress.Parse("10.30.30.3")]).Found);
        Assert.False(LocalNode.Find(config, "nobody", "uno", none).Found);
    }

    [Fact]
    public void UnknownKeysStayAvailableAsRawValues()
    {
        var config = ConfigLoader.Parse(Fixture.Seed.Replace("  secauth: on", "  secauth: on\n  x_rookery_hint: 7", StringComparison.Ordinal), "s").Config;

        Assert.Equal("7", config.Totem.Keys["x_rookery_hint"]);
    }

    [Fact]
    public void LoadFileReportsMissingAndDirectoryPathsAsDiagnostics()
    {
        var directory = Directory.CreateTempSubdirectory("rookery-config-");
        try
        {
            var missing = ConfigFile.Load(Path.Combine(directory.FullName, "absent.conf"));
            var dir = ConfigFile.Load(directory.FullName);

            Assert.Equal($"Can't read file {directory.FullName}/absent.conf: No such file or directory", Assert.Single(missing.Errors).ToString());
            Assert.EndsWith("Is a directory", Assert.Single(dir.Errors).Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>A valid file with <paramref name="count"/> nodes and extra totem lines.</summary>
    internal static string Nodes(int count, string totemExtra, int links = 1)
    {
        var nodes = string.Concat(Enumerable.Range(1, count).Select(i =>
            $"  node {{\n    name: n{i}\n    nodeid: {i}\n" +
            string.Concat(Enumerable.Range(0, links).Select(l => $"    ring{l}_addr: 10.{l + 1}0.{l + 1}0.{i}\n")) +
            "  }\n"));
        return $"totem {{\n  version: 2\n  cluster_name: c\n  {totemExtra}\n}}\nnodelist {{\n{nodes}}}\nquorum {{\n  provider: corosync_votequorum\n}}\n";
    }
}
