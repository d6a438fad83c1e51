using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Rookery.Client;
using Rookery.Control;
using Rookery.Integration.Tests.Loopback;
using Rookery.Integration.Tests.Testbed;
using Rookery.Node.Control;

namespace Rookery.Integration.Tests.Hostile;

/// <summary>Starts a three-node loopback cluster whose node 3 lets uid 65534 (nobody) use its control socket.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostileClusterFixture : IAsyncLifetime
{
    public LoopbackCluster Cluster { get; } = new();

    public async ValueTask InitializeAsync()
    {
        File.AppendAllText(Cluster.ConfigPath(3), "\nuidgid {\n  uid: 65534\n}\n");
        Cluster.StartAll();
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], TimeSpan.FromSeconds(60));
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}

/// <summary>
/// Goal: no control-socket client can take the daemon's memory or lock the administrator out: a subscriber that
/// never reads is disconnected once its backlog passes <see cref="ControlLimits.ConnectionBacklogBytesMax"/> bytes,
/// its group membership ends (procdown) and the memory comes back; idle connections do not keep <c>rookery status</c>
/// out; the peer's uid is checked with SO_PEERCRED.
/// Method: real daemons on loopback; raw Unix sockets for the hostile clients; the daemon's resident size read from
/// /proc while a sender streams 1 MiB messages; the real CLI as a process; a client run as another uid with setpriv.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ControlSocketHostileTests(HostileClusterFixture fixture) : IClassFixture<HostileClusterFixture>
{
    /// <summary>
    /// The daemon's resident size while one subscriber lags (docs/hostile-input.md): its idle size (about 70 MiB),
    /// the laggard's backlog bound (32 MiB), the messages in flight through Totem and the sender's connection
    /// (a few MiB each) and the collector's slack.
    /// </summary>
    private const long SlowSubscriberRssBoundBytes = 320L * 1024 * 1024;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private LoopbackCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task ASubscriberThatNeverReadsIsDroppedAndTheDaemonsMemoryStaysBounded()
    {
        const uint hogPid = 4242;
        using var hog = await ConnectRawAsync(Cluster.SocketPath(1));
        hog.ReceiveBufferSize = 4096;
        var daemonPid = PeerCredentials.Of(hog)!.Value.Pid;
        await hog.SendAsync(Encoding.UTF8.GetBytes($"{{\"v\":1,\"id\":1,\"cmd\":\"group_join\",\"group\":\"hog\",\"pid\":{hogPid}}}\n"));

        await using var sender = await RookeryClient.ConnectAsync(Cluster.SocketPath(2), TestContext.Current.CancellationToken);
        await using var membership = await sender.JoinGroupAsync("hog", TestContext.Current.CancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var hogJoined = new TaskCompletionSource();
        var hogLeft = new TaskCompletionSource<string>();
        var reader = Task.Run(async () =>
        {
            await foreach (var groupEvent in membership.ReadEventsAsync(stop.Token))
            {
                if (groupEvent.Members?.Any(m => m.Pid == hogPid) == true)
                {
                    hogJoined.TrySetResult();
                }

                if (groupEvent.Left?.FirstOrDefault(m => m.Pid == hogPid) is { } left)
                {
                    hogLeft.TrySetResult(left.Reason ?? string.Empty);
                }
            }
        }, CancellationToken.None);
        await hogJoined.Task.WaitAsync(Deadline, TestContext.Current.CancellationToken);

        var samples = new List<(double Seconds, long Rss)>();
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var payload = new byte[Rookery.Groups.GroupsLimits.MessageSizeMax];
        Exception? sendFailure = null;
        var streaming = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await membership.SendAsync(payload, stop.Token);
                    sent++;
                }
            }
            catch (Exception exception) when (!stop.IsCancellationRequested)
            {
                sendFailure = exception;
            }
        }, CancellationToken.None);

        double? droppedAt = null;
        while (clock.Elapsed < Deadline)
        {
            samples.Add((clock.Elapsed.TotalSeconds, Rss(daemonPid)));
            if (droppedAt is null && hogLeft.Task.IsCompleted)
            {
                droppedAt = clock.Elapsed.TotalSeconds;
            }

            // After the drop, keep streaming (the other members still receive) and watch the memory come back.
            if (droppedAt is { } at && clock.Elapsed.TotalSeconds > at + 5)
            {
                break;
            }

            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        await stop.CancelAsync();
        await Task.WhenAll(streaming, reader).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        var series = string.Join("\n", samples.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Seconds,6:0.00} s  {s.Rss / (1024.0 * 1024.0),7:0.0} MiB")));
        var report = $"sent {sent} messages of 1 MiB{(sendFailure is null ? string.Empty : $" (then {sendFailure.Message})")}; hog dropped at {droppedAt?.ToString("0.00", CultureInfo.InvariantCulture) ?? "never"} s\n{series}";
        TestContext.Current.SendDiagnosticMessage(report);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "rookery-slow-subscriber-rss.txt"), report + "\n");

        Assert.True(droppedAt is not null, $"the hog was never dropped\n{report}\n{Cluster.Log(1)}");
        Assert.Equal(GroupMember.ReasonProcDown, await hogLeft.Task);
        Assert.Contains($"fell more than {ControlLimits.ConnectionBacklogBytesMax} bytes behind in reading; disconnecting it", Cluster.Log(1), StringComparison.Ordinal);
        var peak = samples.Max(s => s.Rss);
        Assert.True(peak < SlowSubscriberRssBoundBytes, $"peak RSS {peak} over the bound {SlowSubscriberRssBoundBytes}\n{report}");
        var final = samples[^1].Rss;
        Assert.True(final < peak || peak < SlowSubscriberRssBoundBytes / 2, $"the memory did not come back after the drop\n{report}");
        Assert.True(Cluster.IsRunning(1), Cluster.Log(1));
    }

    [Fact]
    public async Task IdleConnectionsDoNotLockOutStatusAndTheLimitMessageReachesTheCli()
    {
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < ControlProtocol.ClientsMax; i++)
            {
                sockets.Add(await ConnectRawAsync(Cluster.SocketPath(1)));
            }

            // Every ordinary slot is taken by a connection that says nothing: status still works (a reserved slot).
            var status = await LoopbackCluster.CliProcessAsync("status", "--socket", Cluster.SocketPath(1));
            Assert.True(status.ExitCode == 0, status.Output + status.Error);
            Assert.Contains("Quorate:          Yes", status.Output, StringComparison.Ordinal);

            for (var i = 0; i < ControlLimits.ReservedClientsMax + 2; i++)
            {
                sockets.Add(await ConnectRawAsync(Cluster.SocketPath(1)));
            }

            // Reserved slots taken too: the daemon's own message, not "Broken pipe".
            var refused = await LoopbackCluster.CliProcessAsync("status", "--socket", Cluster.SocketPath(1));
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains($"too many clients (limit {ControlProtocol.ClientsMax})", refused.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("Broken pipe", refused.Error, StringComparison.Ordinal);

            // Connections that never complete a request are closed after the request timeout, with a reason.
            var first = sockets[0];
            var reason = await ReadUntilClosedAsync(first, ControlLimits.RequestTimeout + TimeSpan.FromSeconds(10));
            Assert.Contains($"no complete request within {ControlLimits.RequestTimeout.TotalSeconds:0} s", reason, StringComparison.Ordinal);
            Assert.True(
                await Eventually.TrueAsync(() => LoopbackCluster.Cli("status", "--socket", Cluster.SocketPath(1)).ExitCode == 0, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(250)),
                "status did not work again after the idle connections were closed");
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public void PeerCredentialsDecideWhoMayUseTheSocket()
    {
        Assert.SkipUnless(Environment.UserName == "root", "needs root: runs clients as other users with setpriv");
        Assert.SkipUnless(File.Exists("/usr/bin/setpriv") && File.Exists("/usr/bin/python3"), "needs /usr/bin/setpriv and /usr/bin/python3");
        foreach (var directory in new[] { Cluster.Directory, Cluster.NodeDirectory(3) })
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        // uidgid names 65534: hello is answered. 65533 is not named: the kernel's credentials refuse it, whatever the file mode.
        Assert.Contains("\"ok\":true", Hello(65534, Cluster.SocketPath(3)), StringComparison.Ordinal);
        var refused = Hello(65533, Cluster.SocketPath(3));
        Assert.Contains("permission denied: uid 65533 / gid 65533 may not use this daemon", refused, StringComparison.Ordinal);
        Assert.Contains("control connection refused: pid", Cluster.Log(3), StringComparison.Ordinal);
    }

    private static string Hello(int uid, string socketPath)
    {
        const string script = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.sendall(b'{\"v\":1,\"id\":1,\"cmd\":\"hello\"}\\n')\nprint(s.recv(4096).decode())";
        var id = uid.ToString(CultureInfo.InvariantCulture);
        var result = HostCommand.Run("/usr/bin/setpriv", ["--reuid", id, "--regid", id, "--clear-groups", "/usr/bin/python3", "-c", script, socketPath]);
        return result.StandardOutput + result.StandardError;
    }

    private static async Task<Socket> ConnectRawAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), TestContext.Current.CancellationToken);
        return socket;
    }

    private static async Task<string> ReadUntilClosedAsync(Socket socket, TimeSpan deadline)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(deadline);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                return text.ToString();
            }

            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
