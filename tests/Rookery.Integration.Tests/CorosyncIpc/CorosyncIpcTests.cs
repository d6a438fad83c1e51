using System.Diagnostics;
using System.Security.Cryptography;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.CorosyncIpc;

/// <summary>
/// Goal: Debian's unmodified corosync tools (corosync-quorumtool, corosync-cfgtool, corosync-cmapctl), talking libqb
/// IPC to a Rookery daemon, print what they print against corosync 3.1.7 for the same configuration; rings leave
/// /dev/shm when clients and daemons go, also after a SIGKILL.
/// Method: real <c>rookery daemon</c> processes, each in its own network namespace of the testbed (abstract socket
/// names are per namespace); the tools run in the same namespace; outputs are compared with golden files captured
/// from a real corosync (Golden/: the capture in ref/corosync-ipc and capture-3node.sh), dates and ring ids masked.
/// Root only; skipped with the reason otherwise.
/// </summary>
public sealed class CorosyncIpcTests : IDisposable
{
    private static readonly TimeSpan Formation = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("rookery-ipc-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task OneNodeQuorumtoolCfgtoolAndCmapctlPrintWhatCorosyncPrintsAndRingsLeaveDevShm()
    {
        SkipUnlessAvailable();
        using var testbed = NetnsTestbed.Create(nodes: 1, links: 1);
        var daemon = new IpcDaemon(testbed, 1, Path.Combine(_root.FullName, "n1"), Golden("1node.conf"), "node1");
        daemon.Start();
        await WaitForAsync(daemon, output => output.Contains("Quorate:          Yes", StringComparison.Ordinal));

        Assert.Equal(Golden("1node-quorumtool-s.out"), IpcDaemon.Mask(Check(daemon, "corosync-quorumtool", "-s")));
        Assert.Equal(Golden("1node-quorumtool-l.out"), Check(daemon, "corosync-quorumtool", "-l"));
        Assert.Equal(Golden("1node-cfgtool-s.out"), Check(daemon, "corosync-cfgtool", "-s"));
        Assert.Equal(Golden("1node-cfgtool-n.out"), Check(daemon, "corosync-cfgtool", "-n"));

        // Every configuration key and the runtime keys clients read carry corosync's value and type.
        var listing = Check(daemon, "corosync-cmapctl").Split('\n');
        foreach (var line in Golden("1node-cmapctl.out").Split('\n').Where(l => l.Length > 0 && !IsStatisticLine(l)))
        {
            Assert.Contains(line, listing);
        }

        // -g, -s (with a track running: its callback arrives), -d.
        Assert.Equal("totem.cluster_name (str) = qbtest\n", Check(daemon, "corosync-cmapctl", "-g", "totem.cluster_name"));
        var track = StartTrack(testbed, "test.key");
        Check(daemon, "corosync-cmapctl", "-s", "test.key", "u32", "3001");
        Assert.Equal("test.key (u32) = 3001\n", Check(daemon, "corosync-cmapctl", "-g", "test.key"));
        Check(daemon, "corosync-cmapctl", "-d", "test.key");
        var missing = daemon.Tool("corosync-cmapctl", "-g", "test.key");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("CS_ERR_NOT_EXIST", missing.StandardError, StringComparison.Ordinal);
        var tracked = await track.OutputAsync(line => line.Contains("delete", StringComparison.Ordinal));
        Assert.Contains("create> test.key (u32) = 3001", tracked, StringComparison.Ordinal);
        Assert.Contains("delete> test.key (u32) = 3001", tracked, StringComparison.Ordinal);

        // corosync-cfgtool -R reloads on every member (here one) and waits for it.
        Assert.Equal("Reloading corosync.conf...\nDone\n", Check(daemon, "corosync-cfgtool", "-R"));

        // votequorum refuses expected votes that would make a quorate cluster inquorate, as corosync does.
        var expected = daemon.Tool("corosync-quorumtool", "-e", "2");
        Assert.Equal(1, expected.ExitCode);
        Assert.Contains("Unable to set expected votes: CS_ERR_INVALID_PARAM", expected.StandardError, StringComparison.Ordinal);

        // Access: uid 65534 is refused until uidgid.uid.65534 is set at run time (as Pacemaker sets uidgid.gid.N);
        // its rings are then chowned to it so it can open them.
        string[] asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", HostCommand.Resolve("corosync-quorumtool"), "-s"];
        var refused = testbed.Exec(1, "setpriv", asNobody);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Denied connection attempt from 65534:65534", daemon.Log(), StringComparison.Ordinal);
        Check(daemon, "corosync-cmapctl", "-s", "uidgid.uid.65534", "u8", "1");
        var allowed = testbed.Exec(1, "setpriv", asNobody);
        Assert.True(allowed.Succeeded, allowed.StandardError);
        Assert.Equal(Golden("1node-quorumtool-s.out"), IpcDaemon.Mask(allowed.StandardOutput));

        // Every client is gone: its rings are too.
        track.Stop();
        Assert.True(
            await Eventually.TrueAsync(() => IpcDaemon.RingDirectories(daemon.Pid).Count == 0, TimeSpan.FromSeconds(10)),
            $"ring directories left after every client exited: {string.Join(", ", IpcDaemon.RingDirectories(daemon.Pid))}");

        // A daemon killed with a client connected leaves its rings; the next start removes them.
        var holder = StartTrack(testbed, "totem.token");
        Assert.True(await Eventually.TrueAsync(() => IpcDaemon.RingDirectories(daemon.Pid).Count == 1, TimeSpan.FromSeconds(10)), "the tracking client's rings");
        var killedPid = daemon.Pid;
        daemon.Kill();
        holder.Stop();
        Assert.Single(IpcDaemon.RingDirectories(killedPid));
        daemon.Start();
        await WaitForAsync(daemon, output => output.Contains("Quorate:          Yes", StringComparison.Ordinal));
        Assert.Empty(IpcDaemon.RingDirectories(killedPid));
        Assert.Contains($"removing stale IPC ring directory /dev/shm/qb-{killedPid}-", daemon.Log(), StringComparison.Ordinal);

        await daemon.StopAsync();
        Assert.Empty(IpcDaemon.RingDirectories(daemon.Pid));
    }

    [Fact]
    public async Task ThreeNodesQuorumtoolAndCfgtoolPrintWhatCorosyncPrints()
    {
        SkipUnlessAvailable();
        using var testbed = NetnsTestbed.Create(nodes: 3, links: 2);
        var key = Path.Combine(_root.FullName, "authkey");
        File.WriteAllBytes(key, RandomNumberGenerator.GetBytes(256));
        var daemons = new List<IpcDaemon>();
        foreach (var node in new[] { 1, 2, 3 })
        {
            var directory = Path.Combine(_root.FullName, $"n{node}");
            var config = Golden("node.conf.in").Replace("@RUN@", directory, StringComparison.Ordinal).Replace("@KEY@", key, StringComparison.Ordinal);
            var daemon = new IpcDaemon(testbed, node, directory, config, $"node{node}");
            daemon.Start();
            daemons.Add(daemon);
        }

        var first = daemons[0];
        await WaitForAsync(first, output => output.Contains("Nodes:            3", StringComparison.Ordinal));

        // Link state settles after membership (links connect, then path MTU discovery finds knet's 1397 with
        // aes256/sha256): wait until node 1 shows every peer link connected with its discovered MTU.
        foreach (var (arguments, golden) in new[] { ("-s", "3node-cfgtool-s.out"), ("-n", "3node-cfgtool-n.out") })
        {
            Assert.True(
                await Eventually.TrueAsync(() => first.Tool("corosync-cfgtool", arguments).StandardOutput == Golden(golden), Formation, TimeSpan.FromMilliseconds(500)),
                $"corosync-cfgtool {arguments} never matched; last:\n{first.Tool("corosync-cfgtool", arguments).StandardOutput}\n{Tail(first.Log())}");
        }

        Assert.Equal(Golden("3node-quorumtool-s.out"), IpcDaemon.Mask(Check(first, "corosync-quorumtool", "-s")));
        Assert.Equal(Golden("3node-quorumtool-l.out"), Check(first, "corosync-quorumtool", "-l"));
        Assert.Equal(Golden("3node-cmapctl-g.out"), Check(first, "corosync-cmapctl", "-g", "totem.cluster_name"));

        foreach (var daemon in daemons)
        {
            await daemon.StopAsync();
            Assert.Empty(IpcDaemon.RingDirectories(daemon.Pid));
        }
    }

    internal static void SkipUnlessAvailable()
    {
        if (NetnsTestbed.UnavailableReason is { } reason)
        {
            Assert.Skip(reason);
        }

        foreach (var tool in new[] { "corosync-quorumtool", "corosync-cfgtool", "corosync-cmapctl" })
        {
            if (!HostCommand.Exists(tool))
            {
                Assert.Skip($"the corosync IPC tests need `{tool}` (apt-get install corosync)");
            }
        }
    }

    /// <summary>Statistics corosync keeps and Rookery does not (yet): request counters, load, blackbox, knet stats.</summary>
    private static bool IsStatisticLine(string line) =>
        line.StartsWith("runtime.services.", StringComparison.Ordinal) || line.StartsWith("resources.", StringComparison.Ordinal)
        || line.StartsWith("runtime.blackbox.", StringComparison.Ordinal) || line.StartsWith("runtime.force_gather", StringComparison.Ordinal)
        || line.StartsWith("runtime.config.totem.interface.", StringComparison.Ordinal) || line.StartsWith("runtime.config.totem.knet_", StringComparison.Ordinal)
        || line.StartsWith("runtime.config.totem.block_unlisted_ips", StringComparison.Ordinal) || line.StartsWith("runtime.config.totem.cancel_token_hold", StringComparison.Ordinal)
        || line.StartsWith("runtime.config.totem.max_messages", StringComparison.Ordinal) || line.StartsWith("runtime.config.totem.miss_count_const", StringComparison.Ordinal)
        || line.StartsWith("totem.interface.0.bindnetaddr", StringComparison.Ordinal);

    private static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "CorosyncIpc", "Golden", name));

    private static string Check(IpcDaemon daemon, string tool, params string[] arguments)
    {
        var result = daemon.Tool(tool, arguments);
        Assert.True(result.Succeeded, $"`{result.CommandLine}` exited {result.ExitCode}: {result.StandardError}{result.StandardOutput}\n--- daemon log:\n{Tail(daemon.Log())}");
        return result.StandardOutput;
    }

    private static async Task WaitForAsync(IpcDaemon daemon, Func<string, bool> condition)
    {
        var last = string.Empty;
        var ok = await Eventually.TrueAsync(
            () =>
            {
                Assert.False(daemon.HasExited, $"the daemon exited\n{Tail(daemon.Log())}");
                last = daemon.Tool("corosync-quorumtool", "-s").StandardOutput;
                return condition(last);
            },
            Formation,
            TimeSpan.FromMilliseconds(250));
        Assert.True(ok, $"corosync-quorumtool -s never showed the expected state; last:\n{last}\n--- daemon log:\n{Tail(daemon.Log())}");
    }

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(30));

    private static TrackedTool StartTrack(NetnsTestbed testbed, string key) => new(testbed, key);

    /// <summary><c>corosync-cmapctl -t KEY</c> in node 1's namespace, line-buffered (stdbuf) so each callback is seen as it comes.</summary>
    private sealed class TrackedTool
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _output = new();

        public TrackedTool(NetnsTestbed testbed, string key)
        {
            var start = new ProcessStartInfo(HostCommand.Resolve("ip"))
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardInput = true,
            };
            foreach (var argument in new[] { "netns", "exec", testbed.Namespace(1), HostCommand.Resolve("stdbuf"), "-oL", HostCommand.Resolve("corosync-cmapctl"), "-t", key })
            {
                start.ArgumentList.Add(argument);
            }

            _process = Process.Start(start)!;
            _process.OutputDataReceived += (_, e) =>
            {
                lock (_output)
                {
                    _output.Append(e.Data).Append('\n');
                }
            };
            _process.BeginOutputReadLine();
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public async Task<string> OutputAsync(Func<string, bool> until)
        {
            Assert.True(
                await Eventually.TrueAsync(() => Output.Split('\n').Any(l => until(l.ToLowerInvariant())), TimeSpan.FromSeconds(10)),
                $"corosync-cmapctl -t printed:\n{Output}");
            return Output;
        }

        public void Stop()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }

            _process.Dispose();
        }
    }
}
