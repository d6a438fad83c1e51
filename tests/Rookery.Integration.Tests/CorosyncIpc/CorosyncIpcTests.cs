using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Rookery.Client;
using Rookery.Integration.Tests.Testbed;
using Rookery.Control;

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
        var track = await StartTrackAsync(testbed, "test.key");
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

        // corosync-quorumtool -v: votes of a node, refused for an unknown node, applied when the message comes back.
        var unknown = daemon.Tool("corosync-quorumtool", "-v", "2", "-n", "9");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("CS_ERR_NAME_NOT_FOUND", unknown.StandardError, StringComparison.Ordinal);
        Check(daemon, "corosync-quorumtool", "-v", "2");
        await WaitForAsync(daemon, output => output.Contains("Total votes:      2", StringComparison.Ordinal));

        // Every client is gone: its rings are too.
        track.Stop();
        Assert.True(
            await Eventually.TrueAsync(() => IpcDaemon.RingDirectories(daemon.Pid).Count == 0, TimeSpan.FromSeconds(10)),
            $"ring directories left after every client exited: {string.Join(", ", IpcDaemon.RingDirectories(daemon.Pid))}");

        // A daemon killed with a client connected leaves its rings; the next start removes them.
        var holder = await StartTrackAsync(testbed, "totem.token");
        Assert.True(await Eventually.TrueAsync(() => IpcDaemon.RingDirectories(daemon.Pid).Count == 1, TimeSpan.FromSeconds(10)), "the tracking client's rings");
        var killedPid = daemon.Pid;
        daemon.Kill();
        holder.Stop();
        Assert.Single(IpcDaemon.RingDirectories(killedPid));

        // A dead daemon's rings from another network namespace (a container, another test's bed) are that namespace's
        // daemon's to remove, not this one's: other daemons on this machine start while this test runs.
        var foreign = System.IO.Directory.CreateDirectory($"/dev/shm/qb-{killedPid}-1-99-foreig").FullName;
        try
        {
            File.WriteAllText(Path.Combine(foreign, "rookery-ipc"), "net:[1]");
            daemon.Start();
            await WaitForAsync(daemon, output => output.Contains("Quorate:          Yes", StringComparison.Ordinal));
            Assert.Equal([foreign], IpcDaemon.RingDirectories(killedPid));
            Assert.Contains($"removing stale IPC ring directory /dev/shm/qb-{killedPid}-", daemon.Log(), StringComparison.Ordinal);
        }
        finally
        {
            System.IO.Directory.Delete(foreign, recursive: true);
        }

        // corosync-cfgtool -H with no cfg tracker: the daemon shuts down cleanly at once (exit status 0).
        Assert.Equal("Shutting down corosync\n", Check(daemon, "corosync-cfgtool", "-H"));
        Assert.True(await Eventually.TrueAsync(() => daemon.HasExited, Formation), $"corosync-cfgtool -H did not stop the daemon\n{Tail(daemon.Log())}");
        Assert.Equal(0, daemon.ExitCode);
        Assert.Empty(IpcDaemon.RingDirectories(daemon.Pid));
    }

    [Fact]
    public async Task ThreeNodesQuorumtoolCfgtoolPrintWhatCorosyncPrintsAndLibcpgMeetsRookeryClient()
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

        await CpgClientsOfBothKindsSeeOneOrderAndOneMembershipAsync(testbed, first, daemons[1]);
        await ALibcpgMessageOverOneMebibyteArrivesWholeAsync(testbed, first);

        // corosync-cfgtool -k: an unknown node is refused; node 3 is asked in agreed order to stop, logs who asked, and
        // leaves (a non-zero status, as corosync's fatal exit); the two others go on quorate.
        var unknown = first.Tool("corosync-cfgtool", "-k", "9");
        Assert.Contains("CS_ERR_NOT_EXIST", unknown.StandardError, StringComparison.Ordinal);
        Assert.Equal("Killing node 3\n", Check(first, "corosync-cfgtool", "-k", "3"));
        Assert.True(await Eventually.TrueAsync(() => daemons[2].HasExited, Formation), $"node 3 did not stop\n{Tail(daemons[2].Log())}");
        Assert.Contains("Killed by node 1 : Killed by corosync-cfgtool", IpcDaemon.ReadLog(Path.Combine(daemons[2].Directory, "corosync.log")), StringComparison.Ordinal);
        await WaitForAsync(first, output => output.Contains("Nodes:            2", StringComparison.Ordinal) && output.Contains("Quorate:          Yes", StringComparison.Ordinal));

        foreach (var daemon in daemons)
        {
            await daemon.StopAsync();
            Assert.Empty(IpcDaemon.RingDirectories(daemon.Pid));
        }
    }

    /// <summary>
    /// A plain libcpg client (cpgpeer.c, gcc) on node 1 and a Rookery.Client application on node 2 join one group and
    /// send 20 messages each: both see the same 40 deliveries in the same order and the same two members;
    /// corosync-cpgtool on node 1 lists the Rookery application's process in that group.
    /// </summary>
    private async Task CpgClientsOfBothKindsSeeOneOrderAndOneMembershipAsync(NetnsTestbed testbed, IpcDaemon cNode, IpcDaemon rookeryNode)
    {
        const string Group = "ipcmix";
        const int Each = 20;
        var peer = Path.Combine(_root.FullName, "cpgpeer");
        var compiled = HostCommand.Run("gcc", ["-O2", "-o", peer, Path.Combine(AppContext.BaseDirectory, "CorosyncIpc", "cpgpeer.c"), "-lcpg"]);
        Assert.True(compiled.Succeeded, $"gcc cpgpeer.c: {compiled.StandardError}");

        var cancel = TestContext.Current.CancellationToken;
        await using var client = await RookeryClient.ConnectAsync(Path.Combine(rookeryNode.Directory, "rookery.sock"), cancel);
        await using var membership = await client.JoinGroupAsync(Group, cancel);
        var events = new List<GroupEvent>();
        var reader = Task.Run(async () =>
        {
            await foreach (var groupEvent in membership.ReadEventsAsync(cancel))
            {
                lock (events)
                {
                    events.Add(groupEvent);
                }

                if (groupEvent.Event == GroupEvent.Deliver && Deliveries(events).Count == 2 * Each)
                {
                    return;
                }
            }
        }, cancel);

        // The Rookery application's process is in the group, seen from node 1 through libcpg's iteration.
        var rookeryPid = (uint)Environment.ProcessId;
        Assert.True(
            await Eventually.TrueAsync(() => cNode.Tool("corosync-cpgtool").StandardOutput.Contains($"{Group}\n\t\t{rookeryPid,10}\t{2,10} (10.10.10.2 10.20.20.2)", StringComparison.Ordinal), Formation),
            $"corosync-cpgtool never listed pid {rookeryPid} on node 2:\n{cNode.Tool("corosync-cpgtool").StandardOutput}");

        var start = new ProcessStartInfo(HostCommand.Resolve("ip")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "netns", "exec", testbed.Namespace(cNode.Node), peer, Group, "2", Each.ToString(CultureInfo.InvariantCulture), (2 * Each).ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var collected = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            lock (collected)
            {
                collected.Append(e.Data).Append('\n');
            }
        };
        process.BeginOutputReadLine();
        var errors = process.StandardError.ReadToEndAsync(cancel);
        string Output()
        {
            lock (collected)
            {
                return collected.ToString();
            }
        }

        Assert.True(
            await Eventually.TrueAsync(() => { lock (events) { return events.Any(e => e.Event == GroupEvent.Membership && e.Members!.Count == 2); } }, Formation),
            $"the Rookery application never saw the libcpg client join; its events: {Describe(events)}; cpgpeer printed:\n{Output()}\n{Tail(cNode.Log())}");
        for (var i = 0; i < Each; i++)
        {
            await membership.SendAsync(Encoding.UTF8.GetBytes($"r{rookeryPid}-{i}"), cancel);
        }

        var finished = await Eventually.TrueAsync(() => process.HasExited && reader.IsCompleted, Formation, TimeSpan.FromMilliseconds(50));
        Assert.True(finished, $"not every delivery arrived: cpgpeer {(process.HasExited ? "exited" : "still waits")}, printed:\n{Output()}\nthe application's events: {Describe(events)}\n--- node 1:\n{Tail(cNode.Log())}\n--- node 2:\n{Tail(rookeryNode.Log())}");
        await reader;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"cpgpeer exited {process.ExitCode}: {await errors}\n{Output()}");
        var lines = Output().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var cSeen = lines.Where(l => l.StartsWith("deliver ", StringComparison.Ordinal)).Select(l => l["deliver ".Length..]).ToList();
        List<string> rookerySeen;
        GroupEvent lastMembership;
        lock (events)
        {
            rookerySeen = Deliveries(events);
            lastMembership = events.Last(e => e.Event == GroupEvent.Membership);
        }

        Assert.Equal(2 * Each, cSeen.Count);
        Assert.Equal(cSeen, rookerySeen);
        var cPid = uint.Parse(cSeen.First(d => d.StartsWith("1 ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);
        Assert.Equal(Each, cSeen.Count(d => d.StartsWith($"1 {cPid} c{cPid}-", StringComparison.Ordinal)));
        Assert.Equal(Each, cSeen.Count(d => d.StartsWith($"2 {rookeryPid} r{rookeryPid}-", StringComparison.Ordinal)));

        // One membership: the libcpg client's last confchg lists the same two processes as the application's.
        var cMembers = lines.Last(l => l.StartsWith("confchg", StringComparison.Ordinal)).Split(" | ")[0]["confchg ".Length..].Split(' ').Order();
        var rookeryMembers = lastMembership.Members!.Select(m => $"{m.Nodeid}/{m.Pid}").Order();
        Assert.Equal(rookeryMembers, cMembers);
        Assert.Equal(["1/" + cPid, "2/" + rookeryPid], cMembers.ToArray());
    }

    /// <summary>
    /// libcpg sends a 3 MiB message as PARTIAL_MCAST fragments (its requests hold ~1 MiB); node 1's client sends it,
    /// node 2's and its own receive it whole (Rookery hands it to libcpg as PARTIAL_DELIVER fragments, libcpg joins them).
    /// </summary>
    private async Task ALibcpgMessageOverOneMebibyteArrivesWholeAsync(NetnsTestbed testbed, IpcDaemon sender)
    {
        const int Size = (3 * 1024 * 1024) + 17;
        var program = Path.Combine(_root.FullName, "cpgbig");
        var compiled = HostCommand.Run("gcc", ["-O2", "-o", program, Path.Combine(AppContext.BaseDirectory, "CorosyncIpc", "cpgbig.c"), "-lcpg"]);
        Assert.True(compiled.Succeeded, $"gcc cpgbig.c: {compiled.StandardError}");
        var timeout = TimeSpan.FromSeconds(90);
        var receiver = Task.Run(() => HostCommand.Run("ip", ["netns", "exec", testbed.Namespace(2), program, "ipcbig", "2", "0"], timeout: timeout));
        var sent = await Task.Run(() => HostCommand.Run("ip", ["netns", "exec", testbed.Namespace(sender.Node), program, "ipcbig", "2", Size.ToString(CultureInfo.InvariantCulture)], timeout: timeout));
        var received = await receiver;
        Assert.True(sent.Succeeded && received.Succeeded, $"cpgbig: sender {sent.ExitCode} {sent.StandardError}{sent.StandardOutput}; receiver {received.ExitCode} {received.StandardError}{received.StandardOutput}\n{Tail(sender.Log())}");
        Assert.Matches($"^deliver 1 [0-9]+ {Size} ok\n$", sent.StandardOutput);
        Assert.Equal(sent.StandardOutput, received.StandardOutput);
    }

    private static string Describe(List<GroupEvent> events)
    {
        lock (events)
        {
            return string.Join("; ", events.Select(e => $"{e.Event} {e.Nodeid}/{e.Pid} members [{string.Join(' ', e.Members?.Select(m => $"{m.Nodeid}/{m.Pid}") ?? [])}]"));
        }
    }

    private static List<string> Deliveries(List<GroupEvent> events) =>
        [.. events.Where(e => e.Event == GroupEvent.Deliver).Select(e => $"{e.Nodeid} {e.Pid} {Encoding.UTF8.GetString(e.Data!)}")];

    internal static void SkipUnlessAvailable()
    {
        if (NetnsTestbed.UnavailableReason is { } reason)
        {
            Assert.Skip(reason);
        }

        foreach (var tool in new[] { "corosync-quorumtool", "corosync-cfgtool", "corosync-cmapctl", "corosync-cpgtool", "gcc" })
        {
            if (!HostCommand.Exists(tool))
            {
                Assert.Skip($"the corosync IPC tests need `{tool}` (apt-get install corosync gcc libcpg-dev)");
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

    internal static async Task WaitForAsync(IpcDaemon daemon, Func<string, bool> condition)
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

    /// <summary>Starts <c>corosync-cmapctl -t KEY</c> and waits until its track is added (it prints its prompt after cmap_track_add).</summary>
    private static async Task<TrackedTool> StartTrackAsync(NetnsTestbed testbed, string key)
    {
        var tool = new TrackedTool(testbed, key);
        await tool.OutputAsync(line => line.StartsWith("type \"q\" to finish", StringComparison.Ordinal));
        return tool;
    }

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

                // Its "Dispatch error CS_ERR_LIBRARY" when the daemon stops under it is kept with the output, not
                // printed into the test run's own stderr where it reads like a failure.
                RedirectStandardError = true,
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
            _process.ErrorDataReceived += (_, e) =>
            {
                lock (_output)
                {
                    _output.Append("stderr: ").Append(e.Data).Append('\n');
                }
            };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
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
