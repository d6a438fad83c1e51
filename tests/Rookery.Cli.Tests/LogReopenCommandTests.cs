using Rookery.Node.Shell;

namespace Rookery.Cli.Tests;

/// <summary>
/// Goal: <c>rookery log reopen</c> does for logrotate what <c>corosync-cfgtool -L</c> does: after the log file is
/// moved away, the node's later lines go to a new file at the configured path, none to the moved one; a path that
/// cannot be opened is refused with the reason and the old file keeps the lines.
/// Method: a real daemon in-process (<see cref="NodeHost"/>, UDP on a loopback address, its control socket in a
/// temporary directory) with <c>to_logfile</c>, and the real command line talking to it over the socket.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LogReopenCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task After_the_file_is_moved_log_reopen_sends_new_lines_to_a_new_file_and_a_bad_path_is_refused()
    {
        var logs = Path.Combine(_cli.Root, "log");
        Directory.CreateDirectory(logs);
        var logfile = Path.Combine(logs, "rookery.log");
        var socket = Path.Combine(_cli.Root, "rookery.sock");
        var config = Path.Combine(_cli.Root, "corosync.conf");
        var address = $"127.{20 + (Environment.ProcessId % 80)}.11.1";
        await File.WriteAllTextAsync(config,
            "totem {\n version: 2\n cluster_name: rotate\n config_version: 1\n crypto_cipher: none\n crypto_hash: none\n}\n" +
            $"logging {{\n to_stderr: no\n to_syslog: no\n to_logfile: yes\n logfile: {logfile}\n timestamp: off\n}}\n" +
            $"quorum {{\n provider: corosync_votequorum\n}}\nnodelist {{\n node {{\n  name: solo\n  nodeid: 1\n  ring0_addr: {address}\n }}\n}}\n", Token);
        var options = new NodeOptions { ConfigPath = config, StateDirectory = Path.Combine(_cli.Root, "state"), SocketPath = socket, NodeName = "solo" };
        using var stop = new CancellationTokenSource();
        var daemon = Task.Run(() => NodeHost.RunAsync(options, TextWriter.Null, _ => null, stop.Token), Token);
        try
        {
            await WaitForAsync(() => _cli.Run("status", "--socket", socket).Exit == 0, "the node to become quorate");

            // logrotate's move, then its postrotate script.
            File.Move(logfile, logfile + ".1");
            var (exit, output, error) = _cli.Run("log", "reopen", "--socket", socket);

            Assert.True(exit == 0, $"exit {exit}: {error}");
            Assert.Equal(string.Empty, output + error);
            Assert.Contains("[MAIN  ] Reopening logging files", ReadShared(logfile), StringComparison.Ordinal);
            Assert.Contains("Completed service synchronization", ReadShared(logfile + ".1"), StringComparison.Ordinal);
            Assert.DoesNotContain("Reopening logging files", ReadShared(logfile + ".1"), StringComparison.Ordinal);

            // A path that cannot be opened any more (its directory moved away): refused, the open file keeps the lines.
            Directory.Move(logs, logs + ".old");
            (exit, _, error) = _cli.Run("log", "reopen", "--socket", socket);

            Assert.True(exit == 1, $"exit {exit}: {error}");
            Assert.Contains("cannot reopen the log file", error, StringComparison.Ordinal);
            Assert.Contains(logfile, error, StringComparison.Ordinal);
            Assert.Contains("the log still goes to the old file", ReadShared(Path.Combine(logs + ".old", "rookery.log")), StringComparison.Ordinal);
            Directory.Move(logs + ".old", logs);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await daemon.WaitAsync(TimeSpan.FromSeconds(60), Token));
        }

        Assert.Contains("Rookery Cluster Engine exiting normally", ReadShared(logfile), StringComparison.Ordinal);
        Assert.DoesNotContain("exiting normally", ReadShared(logfile + ".1"), StringComparison.Ordinal);
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after 60 s waiting for {what}");
            await Task.Delay(50, Token);
        }
    }
}
