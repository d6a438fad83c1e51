using System.Net;

namespace Rookery.Cli.Tests;

public sealed class OtherCommandTests
{
    [Fact]
    public void DelnodeRemovesByNameOrAddressAndRaisesTheVersion()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();
        Assert.Equal(0, cli.RunIn("addnode", "pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2").Exit);
        Assert.Equal(0, cli.RunIn("addnode", "pve3", "--link0", "10.10.10.3", "--link1", "10.20.20.3").Exit);

        Assert.Equal((0, "deleting node pve2 from cluster (config_version 4)\n"), Pick(cli.RunIn("delnode", "pve2")));
        Assert.Equal(0, cli.RunIn("delnode", "10.20.20.3").Exit);
        var config = Config.ConfigFile.Load(cli.ConfigFile).Config;
        Assert.Equal(["pve1"], config.Nodes.Select(n => n.Name));
        Assert.Equal(5UL, config.Totem.ConfigVersion);
    }

    [Fact]
    public void DelnodeRefusesUnknownNodesAndItself()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();
        Assert.Equal(0, cli.RunIn("addnode", "pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2").Exit);
        var before = cli.Snapshot();

        Assert.Equal((1, "rookery: Node/IP: pve9 is not a known host of the cluster.\n"), Pick2(cli.RunIn("delnode", "pve9")));
        cli.LocalAddresses.Add(IPAddress.Parse("10.20.20.2"));
        Assert.Equal((1, "rookery: Cannot delete myself from cluster!\n"), Pick2(cli.RunIn("delnode", "pve2")));
        Assert.Equal(before, cli.Snapshot());
    }

    [Fact]
    public void KeygenWritesFreshRandomKeysAndNeverOverwrites()
    {
        using var cli = new CliHarness();
        var first = Path.Combine(cli.Root, "keys", "a");
        var second = Path.Combine(cli.Root, "keys", "b");
        Directory.CreateDirectory(Path.Combine(cli.Root, "keys"));

        Assert.Equal(0, cli.Run("keygen", first).Exit);
        Assert.Equal(0, cli.Run("keygen", second).Exit);
        Assert.Equal(256, File.ReadAllBytes(first).Length);
        Assert.NotEqual(File.ReadAllBytes(first), File.ReadAllBytes(second));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(first));
        var before = cli.Snapshot();
        Assert.Equal((1, $"rookery: key file '{first}' already exists\n"), Pick2(cli.Run("keygen", first)));
        Assert.Equal(before, cli.Snapshot());
    }

    [Fact]
    public void ConfigCheckAcceptsAValidFileWithExitZero()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();
        cli.LocalAddresses.Add(IPAddress.Parse("10.10.10.1"));

        var (exit, output, error) = cli.RunIn("config", "check");

        Assert.Equal((0, string.Empty), (exit, error));
        Assert.Equal($"{cli.ConfigFile}: valid (1 node, 2 links, 0 warning(s))\n", output);
    }

    [Fact]
    public void ConfigCheckPrintsEveryErrorAndWarningAndExitsEight()
    {
        using var cli = new CliHarness();
        var file = Path.Combine(cli.Root, "bad.conf");
        File.WriteAllText(file, "totem {\n  version: 2\n  token: 10\n  join: 10\n}\nnodelist {\n  node {\n    ring0_addr: 10.0.0.1\n  }\n}\n");

        var (exit, output, error) = cli.Run("config", "check", file);

        Assert.Equal(8, exit);
        Assert.Equal(string.Empty, output);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"{file}:3: The token timeout parameter (10 ms) may not be less than (30 ms).", lines);
        Assert.Contains($"{file}:4: The join timeout parameter (10 ms) may not be less than (30 ms).", lines);
        Assert.Contains($"{file}:7: Knet requires an explicit nodeid to be specified for address '10.0.0.1'.", lines);
        Assert.Contains($"{file}:1: warning: authentication/encryption is not explicitly enabled (secauth / crypto_cipher / crypto_hash)", lines);
        Assert.Contains($"{file}: warning: No valid name found for local host (this file is not for this machine, or its addresses are not up here)", lines);
        Assert.EndsWith("not valid", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigCheckWithNodeRequiresThatNode()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();

        Assert.Equal(0, cli.RunIn("config", "check", "--node", "pve1").Exit);
        var (exit, _, error) = cli.RunIn("config", "check", "--node", "pve7");
        Assert.Equal(8, exit);
        Assert.Contains($"{cli.ConfigFile}: node 'pve7' is not in the nodelist\n", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigCheckReportsUnreadableFilesAndParseErrors()
    {
        using var cli = new CliHarness();

        var missing = cli.Run("config", "check", Path.Combine(cli.Root, "none.conf"));
        Assert.Equal(8, missing.Exit);
        Assert.StartsWith($"Can't read file {cli.Root}/none.conf: No such file or directory\n", missing.Error, StringComparison.Ordinal);
        var directory = cli.Run("config", "check", cli.Root);
        Assert.Equal(8, directory.Exit);
        Assert.StartsWith($"Can't read file {cli.Root}: Is a directory\n", directory.Error, StringComparison.Ordinal);
        var file = Path.Combine(cli.Root, "broken.conf");
        File.WriteAllText(file, "totem {\n  version 2\n}\n");
        var broken = cli.Run("config", "check", file);
        Assert.Equal(8, broken.Exit);
        Assert.StartsWith($"parser error: {file}:2: Line is not opening or closing section or key value\n", broken.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigCheckLooksAtTheKeyWhenCryptoIsOn()
    {
        using var cli = new CliHarness();
        cli.CreateSeedCluster();
        File.Delete(cli.KeyFile);

        Assert.Contains($"warning: Could not open {cli.KeyFile}: No such file or directory", cli.RunIn("config", "check").Error, StringComparison.Ordinal);
        File.WriteAllBytes(cli.KeyFile, new byte[100]);
        var (exit, _, error) = cli.RunIn("config", "check");
        Assert.Equal(8, exit);
        Assert.Contains($"Could only read 800 bits of minimum 1024 bits from {cli.KeyFile}.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void HelpListsTheConfigurationCommands()
    {
        using var cli = new CliHarness();
        var (exit, output, _) = cli.Run("--help");

        Assert.Equal(0, exit);
        foreach (var command in new[] { "create", "addnode", "delnode", "keygen", "config", "demo" })
        {
            Assert.Contains($"  {command}", output, StringComparison.Ordinal);
        }
    }

    private static (int, string) Pick((int Exit, string Output, string Error) run) => (run.Exit, run.Output);

    private static (int, string) Pick2((int Exit, string Output, string Error) run) => (run.Exit, run.Error);
}

/// <summary>Every command that talks to the daemon, given bad input or no daemon: a clear error, the right exit code.</summary>
public sealed class DaemonCommandErrorTests
{
    [Theory]
    [InlineData("status")]
    [InlineData("nodes")]
    [InlineData("links")]
    [InlineData("links", "--json")]
    [InlineData("reload")]
    [InlineData("reload", "--dry-run")]
    [InlineData("expected", "3")]
    [InlineData("link", "disable", "1")]
    [InlineData("link", "enable", "1", "--local")]
    [InlineData("group", "send", "g", "--count", "1")]
    [InlineData("group", "watch", "g")]
    [InlineData("log", "reopen")]
    public void Without_a_daemon_every_command_says_so_and_exits_1(params string[] args)
    {
        using var cli = new CliHarness();
        var socket = Path.Combine(cli.Root, "nobody.sock");

        var (exit, output, error) = cli.Run([.. args, "--socket", socket]);

        Assert.True(exit == 1, $"exit {exit}\n{output}\n{error}");
        Assert.Contains(socket, error, StringComparison.Ordinal);
        Assert.Contains("is it running?", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("links", "--bogus")]
    [InlineData("nodes", "extra")]
    [InlineData("reload", "--dry-run=maybe")]
    [InlineData("expected")]
    [InlineData("expected", "-1")]
    [InlineData("link", "disable")]
    [InlineData("link", "disable", "x")]
    [InlineData("expected", "many")]
    [InlineData("link", "enable", "8")]
    [InlineData("link", "reset", "1")]
    [InlineData("group", "send")]
    [InlineData("group", "send", "g", "--interval", "-5")]
    [InlineData("group", "send", "g", "--size", "99999999")]
    [InlineData("group", "watch", "")]
    public void Bad_arguments_are_refused_before_any_connection_with_exit_2(params string[] args)
    {
        using var cli = new CliHarness();

        var (exit, output, error) = cli.Run([.. args, "--socket", Path.Combine(cli.Root, "nobody.sock")]);

        Assert.True(exit == 2, $"exit {exit}\n{output}\n{error}");
        Assert.NotEmpty(error.Trim());
        Assert.DoesNotContain("is it running?", error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
    }
}
