namespace Rookery.Cli.Tests;

public sealed class CreateCommandTests
{
    private const string PvecmLayout = """
        logging {
          debug: off
          to_syslog: yes
        }

        nodelist {
          node {
            name: pve1
            nodeid: 1
            quorum_votes: 1
            ring0_addr: 10.10.10.1
            ring1_addr: 10.20.20.1
          }
        }

        quorum {
          provider: corosync_votequorum
        }

        totem {
          cluster_name: CLUSTERNAME
          config_version: 1
          interface {
            knet_link_priority: 15
            linknumber: 0
          }
          interface {
            knet_link_priority: 20
            linknumber: 1
          }
          ip_version: ipv4-6
          link_mode: passive
          secauth: on
          token_coefficient: 125
          version: 2
        }


        """;

    [Fact]
    public void TheSeedsExampleWritesPvecmsFileByteForByteAndAKey()
    {
        using var cli = new CliHarness();
        var (exit, output, error) = cli.RunIn("create", "CLUSTERNAME", "--link0", "10.10.10.1,priority=15", "--link1", "10.20.20.1,priority=20", "--node", "pve1");

        Assert.Equal((0, string.Empty), (exit, error));
        Assert.Equal(PvecmLayout, File.ReadAllText(cli.ConfigFile));
        Assert.Equal(256, File.ReadAllBytes(cli.KeyFile).Length);
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(cli.KeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(cli.ConfigFile));
        Assert.Contains($"Writing corosync config to {cli.ConfigFile}", output, StringComparison.Ordinal);
        Assert.False(File.Exists(cli.ConfigFile + ".new"));
    }

    [Fact]
    public void OptionsAndAddressFormsAreApplied()
    {
        using var cli = new CliHarness();
        var (exit, _, error) = cli.RunIn("create", "c1", "--link1", "address=fd00::1", "--nodeid", "7", "--votes", "2", "--token-coefficient", "0", "--node", "alpha");

        Assert.True(exit == 0, error);
        var config = Config.ConfigFile.Load(cli.ConfigFile).Config;
        var node = Assert.Single(config.Nodes);
        Assert.Equal(("alpha", 7u, 2u, "fd00::1"), (node.Name, node.NodeId!.Value, node.QuorumVotes, node.Address(1)));
        Assert.Equal(0u, config.Totem.TokenCoefficient);
        Assert.Equal(1, Assert.Single(config.Totem.Interfaces).LinkNumber);
        Assert.False(config.Totem.Interfaces[0].Keys.Contains("knet_link_priority"));
    }

    [Fact]
    public void WithoutLinksTheNodesOwnAddressBecomesLink0()
    {
        using var cli = new CliHarness();
        cli.Hosts["testhost"] = [System.Net.IPAddress.Loopback, System.Net.IPAddress.Parse("192.0.2.5")];

        Assert.Equal(0, cli.RunIn("create", "c1").Exit);
        var node = Config.ConfigFile.Load(cli.ConfigFile).Config.Nodes[0];
        Assert.Equal(("testhost", "192.0.2.5"), (node.Name, node.Address(0)));
    }

    [Fact]
    public void WithoutLinksAndWithoutAnAddressNothingIsWritten()
    {
        using var cli = new CliHarness();
        var (exit, _, error) = cli.RunIn("create", "c1");

        Assert.Equal(1, exit);
        Assert.Equal("rookery: no links given and 'testhost' does not resolve to a non-loopback address; pass --link0 ADDR\n", error);
        Assert.False(Directory.Exists(cli.ConfigDir));
    }

    [Theory]
    [InlineData("bad_name", "--link0", "10.0.0.1", "rookery: clustername: value does not look like a valid node name")]
    [InlineData("a-very-long-cluster-name", "--link0", "10.0.0.1", "rookery: clustername: value may only be 15 characters long")]
    [InlineData("c", "--link0", "10.0.0.1,priority=256", "rookery: link0: invalid format - value must have a maximum value of 255")]
    [InlineData("c", "--link0", "10.0.0.1,priority=-1", "rookery: link0: invalid format - value must have a minimum value of 0")]
    [InlineData("c", "--link0", "10.0.0.1,priority=high", "rookery: link0: invalid format - type check ('integer') failed - got 'high'")]
    [InlineData("c", "--link0", "10.0.0.1,weight=3", "rookery: link0: invalid key in comma-separated list property: weight")]
    [InlineData("c", "--link0", "10.0.0.1,address=10.0.0.2", "rookery: link0: duplicate key in comma-separated list property: address")]
    [InlineData("c", "--link0", "10.0.0.1,=3", "rookery: link0: missing key in comma-separated list property")]
    [InlineData("c", "--link0", "priority=3", "rookery: link0: invalid format - property is missing and it is not optional: address")]
    [InlineData("c", "--link0", "10.0.0.256", "rookery: link0: invalid format - value does not look like a valid address: 10.0.0.256")]
    [InlineData("c", "--link0", "under_score.example", "rookery: link0: invalid format - value does not look like a valid address: under_score.example")]
    [InlineData("c", "--nodeid", "0", "rookery: nodeid: value must have a minimum value of 1")]
    [InlineData("c", "--nodeid", "65536", "rookery: nodeid: value must have a maximum value of 65535")]
    [InlineData("c", "--votes", "0", "rookery: votes: value must have a minimum value of 1")]
    [InlineData("c", "--token-coefficient", "-5", "rookery: token-coefficient: value must have a minimum value of 0")]
    [InlineData("c", "--node", "-pve", "rookery: node: value does not look like a valid node name")]
    public void BadInputGetsPvecmsMessageAndWritesNothing(string name, string option, string value, string expected)
    {
        using var cli = new CliHarness();
        var (exit, output, error) = cli.RunIn("create", name, option, value, "--link1", "10.20.0.1");

        Assert.Equal(1, exit);
        Assert.Contains(expected + "\n", error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, output);
        Assert.False(Directory.Exists(cli.ConfigDir));
    }

    [Fact]
    public void OneAddressOnTwoLinksIsRefusedWhileFamiliesMayDifferBetweenLinks()
    {
        using var cli = new CliHarness();
        var (exit, _, error) = cli.RunIn("create", "c", "--link0", "10.0.0.1", "--link1", "fd00::1", "--node", "n", "--link2", "10.0.0.1");

        Assert.Equal((1, "rookery: address '10.0.0.1' given for link 0 and link 2: every link needs its own address\n"), (exit, error));
        Assert.Equal(0, cli.RunIn("create", "c", "--link0", "10.0.0.1", "--link1", "fd00::1", "--node", "n").Exit);
        Assert.Equal(2, Config.ConfigFile.Load(cli.ConfigFile).Config.ConfiguredLinks.Count);
    }

    [Fact]
    public void AnExistingConfigurationOrKeyIsNeverOverwritten()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();
        var first = cli.Snapshot();

        var again = cli.RunIn("create", "other", "--link0", "10.9.9.9");
        Assert.Equal((1, $"rookery: cluster config '{cli.ConfigFile}' already exists\n"), (again.Exit, again.Error));
        Assert.Equal(first, cli.Snapshot());
        File.Delete(cli.ConfigFile);
        var before = cli.Snapshot();
        var keyOnly = cli.RunIn("create", "other", "--link0", "10.9.9.9");
        Assert.Equal((1, $"rookery: authentication key '{cli.KeyFile}' already exists\n"), (keyOnly.Exit, keyOnly.Error));
        Assert.Equal(before, cli.Snapshot());
    }

    [Theory]
    [InlineData("--link8", "rookery: Unrecognized command or argument '--link8'. Link numbers are 0..7 (--link0 … --link7).")]
    [InlineData("--bogus", "rookery: Unrecognized command or argument '--bogus'.")]
    public void UnknownOptionsAreUsageErrors(string option, string expected)
    {
        using var cli = new CliHarness();
        var (exit, _, error) = cli.RunIn("create", "c", option, "x");

        Assert.Equal(2, exit);
        Assert.StartsWith(expected + "\n", error, StringComparison.Ordinal);
        Assert.EndsWith("Try 'rookery --help' for more information.\n", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(cli.ConfigDir));
    }

    [Fact]
    public void ANonNumberForANumericOptionIsAUsageErrorInPvecmsWords()
    {
        using var cli = new CliHarness();
        var (exit, _, error) = cli.RunIn("create", "c", "--nodeid", "abc");

        Assert.Equal(2, exit);
        Assert.StartsWith("rookery: --nodeid: type check ('integer') failed - got 'abc'\n", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingNameIsAUsageError()
    {
        using var cli = new CliHarness();

        Assert.Equal(2, cli.RunIn("create").Exit);
    }

    [Fact]
    public void TheConfigDirectoryComesFromTheOptionThenTheEnvironment()
    {
        using var cli = new CliHarness();
        cli.Environment["ROOKERY_CONFIG_DIR"] = cli.ConfigDir;

        Assert.Equal(0, cli.Run("create", "c", "--link0", "10.0.0.1").Exit);
        Assert.True(File.Exists(cli.ConfigFile));
        var other = Path.Combine(cli.Root, "other");
        Assert.Equal(0, cli.Run("create", "c", "--link0", "10.0.0.1", "--config-dir", other).Exit);
        Assert.True(File.Exists(Path.Combine(other, "corosync.conf")));
        var file = Path.Combine(cli.Root, "third", "cluster.conf");
        Assert.Equal(0, cli.Run("create", "c", "--link0", "10.0.0.1", "--config", file).Exit);
        Assert.True(File.Exists(file));
        Assert.True(File.Exists(Path.Combine(cli.Root, "third", "authkey")));
        Assert.Equal(0, cli.Run("config", "check", "--config", file).Exit);
    }
}
