using System.Text.Json;

namespace Rookery.Cli.Tests;

/// <summary>
/// Goal: the commands that write files print one JSON document with <c>--json</c> (and nothing else on stdout), with
/// the values a script needs; <c>config check --json</c> lists errors and keeps exit 8; <c>config edit</c>'s diff
/// shows exactly the changed lines.
/// Method: the real commands in-process against a temporary configuration directory.
/// </summary>
public sealed class JsonCommandTests
{
    [Fact]
    public void Create_addnode_delnode_and_config_check_print_json()
    {
        using var cli = new CliHarness();
        cli.LocalAddresses.Add(System.Net.IPAddress.Parse("10.10.10.1"));
        var create = cli.RunIn("create", "lab", "--node", "one", "--link0", "10.10.10.1", "--json");
        Assert.True(create.Exit == 0, create.Error);
        using (var document = JsonDocument.Parse(create.Output))
        {
            Assert.Equal("lab", document.RootElement.GetProperty("cluster_name").GetString());
            Assert.Equal(1, document.RootElement.GetProperty("config_version").GetInt32());
            Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", document.RootElement.GetProperty("fingerprint").GetString());
        }

        var add = cli.RunIn("addnode", "two", "--link0", "10.10.10.2", "--json");
        Assert.True(add.Exit == 0, add.Error);
        using (var document = JsonDocument.Parse(add.Output))
        {
            Assert.Equal(2, document.RootElement.GetProperty("nodeid").GetInt32());
            Assert.Equal(2, document.RootElement.GetProperty("config_version").GetInt32());
        }

        var check = cli.Run("config", "check", cli.ConfigFile, "--json");
        Assert.True(check.Exit == 0, check.Error);
        using (var document = JsonDocument.Parse(check.Output))
        {
            Assert.True(document.RootElement.GetProperty("valid").GetBoolean());
            Assert.Equal(2, document.RootElement.GetProperty("nodes").GetInt32());
        }

        var delete = cli.RunIn("delnode", "two", "--json");
        Assert.True(delete.Exit == 0, delete.Error);
        using (var document = JsonDocument.Parse(delete.Output))
        {
            Assert.Equal(3, document.RootElement.GetProperty("config_version").GetInt32());
        }

        var bad = Path.Combine(cli.Root, "bad.conf");
        File.WriteAllText(bad, "totem {\n  version: 2\n");
        var invalid = cli.Run("config", "check", bad, "--json");
        Assert.Equal(8, invalid.Exit);
        using (var document = JsonDocument.Parse(invalid.Output))
        {
            Assert.False(document.RootElement.GetProperty("valid").GetBoolean());
            Assert.NotEmpty(document.RootElement.GetProperty("errors").EnumerateArray());
        }
    }

    [Fact]
    public void Config_apply_refuses_an_invalid_file_with_exit_8_before_contacting_any_node()
    {
        using var cli = new CliHarness();
        var file = Path.Combine(cli.Root, "bad.conf");
        File.WriteAllText(file, "totem {\n  version: 2\n");
        var apply = cli.Run("config", "apply", file, "--socket", Path.Combine(cli.Root, "no.sock"));
        Assert.Equal(8, apply.Exit);
        Assert.Contains("is not valid; nothing was sent", apply.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_edit_diff_shows_the_changed_lines_with_context()
    {
        var before = "a\nb\nc\nd\ne\nf\ng\n";
        var after = "a\nb\nc\nD\ne\nf\ng\nh\n";
        Assert.Equal(["b", "c", "-d", "+D", "e", "f", "g", "+h", ""], Rookery.Cli.Commands.ConfigApplyCommand.Diff(before, after).Select(l => l.TrimStart(' ')).ToArray());
    }
}
