using System.Net.Sockets;
using System.Text;
using Rookery.Node.Logging;
using Rookery.Node.Shell;
using Rookery.Node.Systemd;

namespace Rookery.Node.Tests.Shell;

/// <summary>
/// Goal: under systemd's watchdog (<c>WatchdogSec=</c>) the node's loop thread itself sends <c>WATCHDOG=1</c> every
/// half timeout, so a loop that is stuck stops the pings (and systemd restarts the node) and a loop that moves on
/// resumes them; the timeout is read as sd_watchdog_enabled(3) reads it.
/// Method: a real node on a loopback address with a fake systemd (a datagram socket named by the notifier) and a log
/// sink that blocks the loop thread on one line, written by the loop when asked to reopen the log.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WatchdogTests : IDisposable
{
    /// <summary>systemd's timeout in the test: pings every 100 ms.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(200);

    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-watchdog-").FullName;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("30000000", null, 30_000_000L)]
    [InlineData("30000000", "self", 30_000_000L)]
    [InlineData("30000000", "1", null)]
    [InlineData("0", null, null)]
    [InlineData("-5", null, null)]
    [InlineData("soon", null, null)]
    [InlineData(null, null, null)]
    public void The_timeout_is_WATCHDOG_USEC_when_it_is_meant_for_this_process(string? usec, string? pid, long? expectedMicroseconds)
    {
        var processId = 4242;
        var environment = new Dictionary<string, string?>
        {
            ["WATCHDOG_USEC"] = usec,
            ["WATCHDOG_PID"] = pid == "self" ? "4242" : pid,
            ["NOTIFY_SOCKET"] = "/run/systemd/notify",
        };

        var timeout = SystemdNotifier.WatchdogTimeout(k => environment.GetValueOrDefault(k), processId);
        var notifier = SystemdNotifier.FromEnvironment(k => environment.GetValueOrDefault(k), processId);

        Assert.Equal(expectedMicroseconds, timeout is { } t ? (long)t.TotalMicroseconds : null);
        Assert.Equal(timeout, notifier.WatchdogInterval);
        Assert.Null(SystemdNotifier.FromEnvironment(k => k == "NOTIFY_SOCKET" ? null : environment.GetValueOrDefault(k), processId).WatchdogInterval);
    }

    [Fact]
    public async Task The_loop_pings_the_watchdog_and_a_stuck_loop_stops_the_pings_until_it_moves_on()
    {
        var address = $"127.{20 + (Environment.ProcessId % 80)}.12.1";
        var config = Path.Combine(_directory, "corosync.conf");
        await File.WriteAllTextAsync(config,
            "totem {\n version: 2\n cluster_name: watchdog\n config_version: 1\n crypto_cipher: none\n crypto_hash: none\n}\n" +
            "logging {\n to_stderr: no\n to_syslog: no\n}\nquorum {\n provider: corosync_votequorum\n}\n" +
            $"nodelist {{\n node {{\n  name: solo\n  nodeid: 1\n  ring0_addr: {address}\n }}\n}}\n", Token);
        var notifyPath = Path.Combine(_directory, "notify");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint(notifyPath));
        using var blocker = new BlockingSink("Reopening logging files");
        using var log = new ClusterLog(new LoggingSettings(), [blocker]);
        var options = new NodeOptions { ConfigPath = config, StateDirectory = Path.Combine(_directory, "state"), NodeName = "solo", LogDestinationsFromConfig = false };
        var node = ClusterNode.Start(options, log, new SystemdNotifier(notifyPath, Timeout));
        await using var _ = node;
        using var stop = new CancellationTokenSource();
        var running = node.RunAsync(stop.Token);
        Task? reopen = null;
        try
        {
            // Pings keep coming while the loop runs: three in a row.
            for (var pings = 0; pings < 3;)
            {
                pings += await ReceiveAsync(systemd, TimeSpan.FromSeconds(60)) == "WATCHDOG=1" ? 1 : 0;
            }

            // The loop thread blocks in the sink; whatever it sent before is drained, then ten ping intervals pass without one.
            reopen = node.ReopenLogAsync(Token).AsTask();
            Assert.True(blocker.Blocked.Wait(TimeSpan.FromSeconds(60), Token), "the loop never wrote the line to block on");
            while (systemd.Available > 0)
            {
                await ReceiveAsync(systemd, TimeSpan.FromSeconds(1));
            }

            var silence = Timeout * 5;
            var during = await ReceiveOrNullAsync(systemd, silence);
            Assert.True(during is null, $"'{during}' arrived from a loop that was stuck for {silence.TotalMilliseconds} ms (pings every {(Timeout / 2).TotalMilliseconds} ms)");

            // The loop moves on: the pings come back.
            blocker.Release();
            Assert.Equal("WATCHDOG=1", await ReceiveAsync(systemd, TimeSpan.FromSeconds(60)));
            await reopen.WaitAsync(TimeSpan.FromSeconds(60), Token);
        }
        finally
        {
            blocker.Release();
            await stop.CancelAsync();
        }

        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(60), Token));
    }

    private static async Task<string> ReceiveAsync(Socket socket, TimeSpan deadline) =>
        await ReceiveOrNullAsync(socket, deadline) ?? throw new TimeoutException($"nothing from the node within {deadline.TotalSeconds} s");

    private static async Task<string?> ReceiveOrNullAsync(Socket socket, TimeSpan deadline)
    {
        var buffer = new byte[4096];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(deadline);
        try
        {
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return Encoding.UTF8.GetString(buffer, 0, received);
        }
        catch (OperationCanceledException) when (!Token.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>A log sink that holds the writing thread on the first line containing a text, until released.</summary>
    private sealed class BlockingSink(string text) : ILogSink
    {
        private readonly ManualResetEventSlim _release = new();
        private int _blockedOnce;

        public ManualResetEventSlim Blocked { get; } = new();

        public void Write(in LogRecord record)
        {
            if (record.Message.Contains(text, StringComparison.Ordinal) && Interlocked.Exchange(ref _blockedOnce, 1) == 0)
            {
                Blocked.Set();
                _release.Wait();
            }
        }

        public void Release() => _release.Set();

        public void Dispose()
        {
            _release.Set();
            _release.Dispose();
            Blocked.Dispose();
        }
    }
}
