using System.Net;

namespace Rookery.Cli.Tests;

public sealed class AddNodeCommandTests
{
    private const string HandWritten = """
        # hand-written: keep this comment
        totem {
          version: 2
          cluster_name: lab
          config_version: 11
          secauth: on
          interface {
            linknumber: 0
          }
        }

        nodelist {
          node {
            name: a
            nodeid: 1
            # rack 1, top switch
            ring0_addr: 10.10.10.1
          }
        }

        quorum {
          provider: corosync_votequorum
        }

        """;

    [Fact]
    public void AddsNodesWithTheSmallestFreeIdAndRaisesTheVersion()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();

        var (exit, output, error) = cli.RunIn("addnode", "pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2");
        Assert.True(exit == 0, error);
        Assert.Equal("adding node pve2 to cluster (nodeid 2, config_version 2)\n", output);
        Assert.Equal(0, cli.RunIn("addnode", "pve4", "--link0", "10.10.10.4", "--link1", "10.20.20.4", "--nodeid", "4").Exit);
        Assert.Equal(0, cli.RunIn("addnode", "pve3", "--link0", "10.10.10.3", "--link1", "10.20.20.3").Exit);

        var config = Config.ConfigLoader.Load(File.ReadAllText(cli.ConfigFile), "f").Config;
        Assert.Equal(4UL, config.Totem.ConfigVersion);
        Assert.Equal([1u, 2u, 4u, 3u], config.Nodes.Select(n => n.NodeId!.Value));
        Assert.Equal("10.20.20.3", config.FindNode("pve3")!.Address(1));
        Assert.Equal(1u, config.FindNode("pve3")!.QuorumVotes);
    }

    [Fact]
    public void KeepsEveryOtherByteOfAHandWrittenFile()
    {
        using var cli = new CliHarness();
        Directory.CreateDirectory(cli.ConfigDir);
        File.WriteAllText(cli.ConfigFile, HandWritten);

        var (exit, _, error) = cli.RunIn("addnode", "b", "--link0", "10.10.10.2", "--votes", "2");

        Assert.True(exit == 0, error);
        var expected = HandWritten
            .Replace("config_version: 11", "config_version: 12", StringComparison.Ordinal)
            .Replace("  }\n}\n\nquorum", "  }\n  node {\n    name: b\n    nodeid: 2\n    quorum_votes: 2\n    ring0_addr: 10.10.10.2\n  }\n}\n\nquorum", StringComparison.Ordinal);
        Assert.Equal(expected, File.ReadAllText(cli.ConfigFile));
    }

    public static TheoryData<string[], string> Refusals => new()
    {
        { ["pve2", "--link0", "10.10.10.1", "--link1", "10.20.20.2"], "rookery: corosync: address '10.10.10.1' already used on link ring0_addr by node 'pve1'" },
        { ["pve2", "--link0", "10.10.10.2"], "rookery: corosync: link 1 exists in cluster config but wasn't specified for new node" },
        { ["pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2", "--link3", "10.40.40.2"], "rookery: corosync: link 3 specified for new node doesn't exist in cluster config" },
        { ["pve2", "--link0", "10.10.10.2", "--link1", "10.10.10.2"], "rookery: address '10.10.10.2' given for link 0 and link 1: every link needs its own address" },
        { ["pve2", "--link0", "10.10.10.2", "--link1", "fd00::2"], "rookery: address 'fd00::2' is IPv6 but link 1 uses IPv4 (compared with '10.20.20.1')" },
        { ["pve1", "--link0", "10.10.10.2", "--link1", "10.20.20.2"], "rookery: can't add existing node 'pve1'" },
        { ["pve1", "--link0", "10.10.10.2", "--link1", "10.20.20.2", "--force", "--votes", "3"], "rookery: can't add existing node 'pve1'" },
        { ["pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2", "--nodeid", "1"], "rookery: nodeid 1 is already used by node 'pve1'" },
        { ["pve2"], "rookery: no links given but multiple links found on other nodes, fallback only supported on single-link clusters" },
        { ["pve_2", "--link0", "10.10.10.2", "--link1", "10.20.20.2"], "rookery: node: value does not look like a valid node name" },
        { ["pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2", "--nodeid", "70000"], "rookery: nodeid: value must have a maximum value of 65535" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void RefusalsUsePvecmsWordsAndChangeNothing(string[] args, string expected)
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();
        var before = cli.Snapshot();

        var (exit, _, error) = cli.RunIn(["addnode", .. args]);

        Assert.Equal(1, exit);
        Assert.Contains(expected + "\n", error, StringComparison.Ordinal);
        Assert.Equal(before, cli.Snapshot());
    }

    [Fact]
    public void ForceOverwritesANodeWithTheSameIdAndVotes()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();

        var (exit, _, error) = cli.RunIn("addnode", "pve1", "--link0", "10.10.10.9", "--link1", "10.20.20.9", "--force");

        Assert.Equal((0, "rookery: forcing overwrite of configured node 'pve1'\n"), (exit, error));
        var node = Assert.Single(Config.ConfigFile.Load(cli.ConfigFile).Config.Nodes);
        Assert.Equal(("10.10.10.9", 1u), (node.Address(0), node.NodeId!.Value));
    }

    [Fact]
    public void OnASingleLinkClusterTheNodesResolvedAddressIsTheFallback()
    {
        using var cli = new CliHarness();
        Assert.Equal(0, cli.RunIn("create", "c", "--link0", "10.10.10.1", "--node", "a").Exit);
        cli.Hosts["b"] = [IPAddress.Parse("10.10.10.2")];

        Assert.Equal(0, cli.RunIn("addnode", "b").Exit);
        Assert.Equal("10.10.10.2", Config.ConfigFile.Load(cli.ConfigFile).Config.FindNode("b")!.Address(0));
        var (exit, _, error) = cli.RunIn("addnode", "c");
        Assert.Equal((1, "rookery: no links and no fallback ip given, cannot join cluster: 'c' does not resolve; pass --link0 ADDR\n"), (exit, error));
    }

    [Fact]
    public void PrioritiesOfTheJoiningNodeAreIgnoredWithANote()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();

        var (exit, _, error) = cli.RunIn("addnode", "pve2", "--link0", "10.10.10.2,priority=99", "--link1", "10.20.20.2");

        Assert.Equal(0, exit);
        Assert.Equal("rookery: priority of link0 ignored: link priorities are cluster-wide (set at create or in the interface section)\n", error);
        Assert.Equal(15, Config.ConfigFile.Load(cli.ConfigFile).Config.Totem.Interface(new LinkId(0))!.Priority);
    }

    [Fact]
    public void AChangeThatWouldMakeTheFileInvalidWritesNothing()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();
        File.WriteAllText(cli.ConfigFile, File.ReadAllText(cli.ConfigFile).Replace("  provider: corosync_votequorum\n", "  provider: corosync_votequorum\n  device {\n    model: net\n  }\n", StringComparison.Ordinal));
        var before = cli.Snapshot();

        var (exit, _, error) = cli.RunIn("addnode", "pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2", "--votes", "2");

        Assert.Equal(1, exit);
        Assert.Equal("rookery: the change would make corosync.conf invalid; nothing was written\nrookery: configuration error: quorum.device.votes must be specified when not all nodes votes 1\n", error);
        Assert.Equal(before, cli.Snapshot());
    }

    [Fact]
    public void AnInvalidExistingFileIsRefusedWithEveryError()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();
        File.WriteAllText(cli.ConfigFile, File.ReadAllText(cli.ConfigFile).Replace("  version: 2\n", "  version: 2\n  token: 10\n  join: 10\n", StringComparison.Ordinal));
        var before = cli.Snapshot();

        var (exit, _, error) = cli.RunIn("addnode", "pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2");

        Assert.Equal(1, exit);
        Assert.StartsWith("rookery: invalid corosync.conf\n", error, StringComparison.Ordinal);
        Assert.Contains(": The token timeout parameter (10 ms) may not be less than (30 ms).\n", error, StringComparison.Ordinal);
        Assert.Contains(": The join timeout parameter (10 ms) may not be less than (30 ms).\n", error, StringComparison.Ordinal);
        Assert.Equal(before, cli.Snapshot());
    }

    [Fact]
    public void AVersionAtItsMaximumIsReportedNotCrashedOn()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();
        File.WriteAllText(cli.ConfigFile, File.ReadAllText(cli.ConfigFile).Replace("config_version: 1", "config_version: 18446744073709551615", StringComparison.Ordinal));
        var before = cli.Snapshot();

        var (exit, _, error) = cli.RunIn("addnode", "pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2");

        Assert.Equal((1, "rookery: config_version 18446744073709551615 cannot be raised any further\n"), (exit, error));
        Assert.Equal(before, cli.Snapshot());
    }

    [Fact]
    public void MissingUnreadableAndInvalidConfigurationsAreReported()
    {
        using var cli = new CliHarness();
        var missing = cli.RunIn("addnode", "b", "--link0", "10.0.0.2");
        Assert.Equal((1, $"rookery: Can't read file {cli.ConfigFile}: No such file or directory\n"), (missing.Exit, missing.Error));

        Directory.CreateDirectory(cli.ConfigFile);
        var directory = cli.RunIn("addnode", "b", "--link0", "10.0.0.2");
        Assert.Equal((1, $"rookery: Can't read file {cli.ConfigFile}: Is a directory\n"), (directory.Exit, directory.Error));
        Directory.Delete(cli.ConfigFile);

        File.WriteAllText(cli.ConfigFile, "totem {\n  version: 2\n");
        var before = cli.Snapshot();
        var broken = cli.RunIn("addnode", "b", "--link0", "10.0.0.2");
        Assert.Equal((1, $"rookery: invalid corosync.conf\nrookery: parser error: {cli.ConfigFile}:2: Missing closing brace\n"), (broken.Exit, broken.Error));
        Assert.Equal(before, cli.Snapshot());
    }
}
