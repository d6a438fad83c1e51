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
            var missing = ConfigLoader.LoadFile(Path.Combine(directory.FullName, "absent.conf"));
            var dir = ConfigLoader.LoadFile(directory.FullName);

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
