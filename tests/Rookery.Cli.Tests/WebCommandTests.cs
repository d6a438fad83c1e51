namespace Rookery.Cli.Tests;

/// <summary>
/// Goal: the web interface's commands and settings refuse what they cannot use, with the reason, before anything
/// starts: a bad <c>--web</c> (exit 2), a mistake in rookery.conf (exit 8, FILE:LINE), <c>web serve</c> on a machine
/// already in a cluster; <c>web token</c> prints a token and keeps only its hash. Method: the real command line in-process.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WebCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    [Fact]
    public void A_bad_web_address_is_a_usage_error()
    {
        var (exit, _, error) = _cli.RunIn("daemon", "--web", "localhost");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--web: 'localhost' is not ADDRESS[:PORT]", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mistake_in_rookery_conf_stops_the_daemon_with_exit_8_and_its_line()
    {
        _cli.CreateSeedCluster();
        var settings = Path.Combine(_cli.ConfigDir, "rookery.conf");
        File.WriteAllText(settings, "metrics {\n  listen: 127.0.0.1:9405\n}\nweb {\n  port: 8405\n}\n");

        var (exit, _, error) = _cli.RunIn("daemon", "--node", "pve1");

        Assert.Equal(ExitCodes.ConfigInvalid, exit);
        Assert.Contains($"{settings}:5: unknown key 'port' in section 'web' (keys: listen)", error, StringComparison.Ordinal);
        Assert.Contains("the daemon was not started", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Web_serve_is_for_a_machine_in_no_cluster()
    {
        _cli.CreateSeedCluster();

        var (exit, _, error) = _cli.RunIn("web", "serve", "--web", "127.0.0.1:0");

        Assert.Equal(ExitCodes.Error, exit);
        Assert.Contains("this machine is in a cluster; serve its web interface with 'rookery daemon --web ADDR:PORT'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Web_token_prints_a_token_and_stores_only_its_hash()
    {
        var (exit, output, error) = _cli.RunIn("web", "token");

        Assert.True(exit == 0, error);
        var token = output.Trim();
        Assert.StartsWith("rkw_", token, StringComparison.Ordinal);
        Assert.Contains($"login?token={token}", error, StringComparison.Ordinal);
        var stored = File.ReadAllText(Path.Combine(_cli.ConfigDir, "rookery", "web-tokens"));
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        Assert.True(new Rookery.Web.WebTokens(Path.Combine(_cli.ConfigDir, "rookery", "web-tokens")).IsValid(token));
    }

    public void Dispose() => _cli.Dispose();
}
