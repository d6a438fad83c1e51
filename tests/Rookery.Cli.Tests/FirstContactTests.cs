using System.Net;

namespace Rookery.Cli.Tests;

/// <summary>
/// Goal: the rough edges a new admin met on first contact (issue 17) stay fixed: host names follow one rule in create,
/// addnode, config check and the daemon; keygen refuses a missing directory; a binary file gives a few errors; no
/// .NET names in messages; one error per bad option; options that would do nothing are refused.
/// Method: the real command line in-process (<see cref="CliHarness"/>), with a resolver table instead of DNS.
/// </summary>
public sealed class FirstContactTests
{
    [Fact]
    public void CreateWritesTheAddressAHostNameResolvesToByCorosyncsRule()
    {
        using var cli = new CliHarness();
        // create writes ip_version ipv4-6: the first IPv4 address wins over an earlier IPv6 one.
        cli.Hosts["pve1.example"] = [IPAddress.Parse("2001:db8::1"), IPAddress.Parse("10.10.10.1"), IPAddress.Parse("10.10.10.9")];

        var (exit, output, error) = cli.RunIn("create", "c", "--node", "pve1", "--link0", "pve1.example");

        Assert.True(exit == 0, error);
        Assert.Contains("link0: 'pve1.example' resolves to 10.10.10.1 (totem.ip_version ipv4-6); writing ring0_addr: 10.10.10.1", output, StringComparison.Ordinal);
        Assert.Equal("10.10.10.1", Config.ConfigFile.Load(cli.ConfigFile).Config.Nodes.Single().Address(0));
    }

    [Fact]
    public void CreateAndAddnodeRefuseANameThatDoesNotResolveAndWriteNothing()
    {
        using var cli = new CliHarness();
        var before = cli.Snapshot();
        var create = cli.RunIn("create", "c", "--node", "pve1", "--link0", "nosuchhost.example");
        Assert.Equal(1, create.Exit);
        Assert.Contains("ring0_addr 'nosuchhost.example' does not resolve to an IPv4 or IPv6 address (totem.ip_version ipv4-6)", create.Error, StringComparison.Ordinal);
        Assert.Equal(before, cli.Snapshot());

        cli.CreateSeedCluster();
        before = cli.Snapshot();
        var add = cli.RunIn("addnode", "pve2", "--link0", "10.10.10.2", "--link1", "nosuchhost.example");
        Assert.Equal(1, add.Exit);
        Assert.Contains("link1: ring1_addr 'nosuchhost.example' does not resolve", add.Error, StringComparison.Ordinal);
        Assert.Equal(before, cli.Snapshot());
    }

    [Fact]
    public void ConfigCheckResolvesNamesAsTheDaemonDoesAndRefusesOneThatDoesNot()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();
        cli.LocalAddresses.Add(IPAddress.Parse("10.10.10.1"));
        Assert.Equal(0, cli.RunIn("addnode", "pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2").Exit);
        var text = File.ReadAllText(cli.ConfigFile).Replace("ring1_addr: 10.20.20.2", "ring1_addr: pve2-link1", StringComparison.Ordinal);
        File.WriteAllText(cli.ConfigFile, text);

        var missing = cli.RunIn("config", "check");
        Assert.Equal(8, missing.Exit);
        Assert.Contains("ring1_addr 'pve2-link1' for node 'pve2' does not resolve to an IPv4 or IPv6 address (totem.ip_version ipv4-6)", missing.Error, StringComparison.Ordinal);

        // An IPv6 answer first, an IPv4 one second: ipv4-6 takes the IPv4 one, so the link keeps one family.
        cli.Hosts["pve2-link1"] = [IPAddress.Parse("2001:db8::2"), IPAddress.Parse("10.20.20.2")];
        var found = cli.RunIn("config", "check");
        Assert.True(found.Exit == 0, found.Error);
        Assert.Contains("ring1_addr 'pve2-link1' for node 'pve2' resolves to '10.20.20.2' (totem.ip_version ipv4-6), which is used", found.Error, StringComparison.Ordinal);

        // Only IPv6 while link 1's other node is IPv4: the address the daemon would use breaks the link's family rule.
        cli.Hosts["pve2-link1"] = [IPAddress.Parse("2001:db8::2")];
        var mixed = cli.RunIn("config", "check");
        Assert.Equal(8, mixed.Exit);
        Assert.Contains("Nodes for link 1 have different IP families", mixed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDaemonExitsEightWithTheReasonWhenANameDoesNotResolve()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();
        File.WriteAllText(cli.ConfigFile, File.ReadAllText(cli.ConfigFile).Replace("ring0_addr: 10.10.10.1", "ring0_addr: pve1-link0", StringComparison.Ordinal));

        var (exit, _, error) = cli.RunIn("daemon", "--node", "pve1", "--state-dir", Path.Combine(cli.Root, "state"), "--socket", Path.Combine(cli.Root, "s.sock"));

        Assert.True(exit == 8, error);
        Assert.Contains("ring0_addr 'pve1-link0' for node 'pve1' does not resolve to an IPv4 or IPv6 address (totem.ip_version ipv4-6)", error, StringComparison.Ordinal);
        Assert.Contains("Rookery Cluster Engine configuration is not valid", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Corosync Cluster Engine", error, StringComparison.Ordinal);
    }

    [Fact]
    public void KeygenRefusesAMissingDirectoryAsCorosyncKeygenDoes()
    {
        using var cli = new CliHarness();
        var path = Path.Combine(cli.Root, "nonexistent", "dir", "key");

        var (exit, _, error) = cli.Run("keygen", path);

        Assert.Equal(1, exit);
        Assert.StartsWith($"rookery: Could not create {path}: No such file or directory", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(cli.Root, "nonexistent")));
    }

    [Fact]
    public void ConfigCheckOnABinaryFileStopsAfterAFewErrorsAndSaysItIsNotText()
    {
        using var cli = new CliHarness();
        var file = Path.Combine(cli.Root, "binary");
        var bytes = new byte[200_000];
        new Random(17).NextBytes(bytes);
        File.WriteAllBytes(file, bytes);

        var (exit, _, error) = cli.Run("config", "check", file);

        Assert.Equal(8, exit);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length <= Config.Syntax.ConfigParser.ParseErrorsMax + 5, $"{lines.Length} lines:\n{error}");
        Assert.Contains($"stopped after {Config.Syntax.ConfigParser.ParseErrorsMax} syntax errors", error, StringComparison.Ordinal);
        Assert.Contains("the file is not text", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AFailedConnectionNamesNoDotNetEnum()
    {
        using var cli = new CliHarness();
        var socket = Path.Combine(cli.Root, "none.sock");

        var (exit, _, error) = cli.Run("status", "--socket", socket);

        Assert.Equal(1, exit);
        Assert.Contains($"cannot connect to the rookery daemon at {socket} (no such socket file): is it running?", error, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\((AddressNotAvailable|ConnectionRefused|AccessDenied|SocketError)\)", error);
    }

    [Theory]
    [InlineData("--link9", "10.0.0.9")]
    [InlineData("--link9=10.0.0.9")]
    public void AnUnknownLinkNumberGivesOneErrorNotTwo(params string[] link)
    {
        using var cli = new CliHarness();

        var (exit, _, error) = cli.RunIn(["create", "c", "--link0", "10.0.0.1", .. link]);

        Assert.Equal(2, exit);
        Assert.Equal(
            $"rookery: Unrecognized command or argument '{link[0]}'. Link numbers are 0..7 (--link0 … --link7).\nTry 'rookery --help' for more information.\n",
            error);
    }

    [Fact]
    public void GroupSendHelpShowsEachDefaultOnce()
    {
        using var cli = new CliHarness();

        var (exit, output, _) = cli.Run("group", "send", "--help");

        Assert.Equal(0, exit);
        foreach (var line in output.Split('\n').Where(l => l.Contains("[default:", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain("(default", line, StringComparison.Ordinal);
        }

        Assert.Contains("[default: 1]", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("demo", "--config-dir", "/tmp")]
    [InlineData("demo", "--config", "/tmp/c.conf")]
    [InlineData("keygen", "/tmp/k", "--config-dir", "/tmp")]
    [InlineData("keygen", "/tmp/k", "--config", "/tmp/c.conf")]
    public void DemoAndKeygenRefuseConfigurationOptionsTheyWouldIgnore(params string[] args)
    {
        using var cli = new CliHarness();

        var (exit, _, error) = cli.Run(args);

        Assert.Equal(2, exit);
        Assert.Contains("Unrecognized command or argument '--config", error, StringComparison.Ordinal);
        Assert.DoesNotContain("--config", cli.Run(args[0], "--help").Output, StringComparison.Ordinal);
    }

    [Fact]
    public void DaemonHelpListsEveryExitCodeIncludingTwentyOne()
    {
        using var cli = new CliHarness();

        var (_, output, _) = cli.Run("daemon", "--help");

        foreach (var code in new[] { "0 stopped", "1 other failure", "8 configuration not valid", "13 a service refused", "21 the ring id cannot be stored" })
        {
            Assert.Contains(code, output.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }
}
