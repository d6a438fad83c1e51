using System.Diagnostics;
using System.Globalization;
using Rookery.Integration.Tests.CorosyncIpc;
using Rookery.Integration.Tests.Knet;
using Rookery.Integration.Tests.Mixed;
using Rookery.Integration.Tests.Procedure;
using Rookery.Integration.Tests.Testbed;
using Rookery.Ipc;

namespace Rookery.Integration.Tests.Hostile;

/// <summary>
/// Goal: hostile clients of the corosync IPC (libqb) server cannot grow the daemon's memory without bound, lock
/// corosync's tools out, leave rings in /dev/shm, or disturb the cluster (issue 15: "the same bounds apply to the
/// corosync IPC connections").
/// Method: three <c>rookery daemon</c>s on the namespace testbed; against node 1, in its namespace, the clients of
/// <c>qbhostile.c</c> one after the other: a cpg member that never reads while another sends 512 KiB messages to its
/// group (dropped with a warning once its events pass <see cref="IpcLimits.EventBacklogBytesMax"/>, its rings gone
/// while it still runs); a client that sends answered requests and never reads an answer (its request ring fills,
/// then it is killed with SIGKILL: its rings go); requests of random ids, sizes and bytes to cmap, quorum and cpg;
/// 200 sockets that never send their connection request (<c>corosync-quorumtool -s</c> still works); 150 set-up
/// connections (128 served, the rest refused with at most 10 lines and a count; <c>rookery status</c> still works;
/// after a SIGKILL every ring is gone and the tool works again). The daemon's resident size is sampled all along and
/// must stay under <see cref="ResidentBytesMax"/>; at the end every node still has the ring it had at the start.
/// </summary>
[Collection(TestbedCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostileIpcTests
{
    /// <summary>An idle daemon is ~70 MiB; 16 MiB of queued events, the messages in flight and collector slack fit well under this.</summary>
    private const long ResidentBytesMax = 320L * 1024 * 1024;

    private const int MessageBytes = 512 * 1024;

    private static readonly int[] All = [1, 2, 3];
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SlowGarbageFloodingAndKilledIpcClientsLeaveTheDaemonBoundedAndTheClusterUndisturbed()
    {
        await using var cluster = await HostileClients.StartRookeryClusterAsync();
        using var work = new TemporaryDirectory();
        var before = await cluster.AgreeAsync(All, All, quorate: true, "after start");
        var testbed = cluster.Testbed;
        var daemon = cluster.RookeryPid(1);
        var log = cluster.Corosync.LogPath(1);
        var logStart = HostileClients.Length(log);
        var samples = new List<(double Seconds, long Bytes)>();
        var clock = Stopwatch.StartNew();
        using var stopSampling = new CancellationTokenSource();
        var sampling = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                var rss = HostileClients.ResidentBytes(daemon);
                lock (samples)
                {
                    samples.Add((clock.Elapsed.TotalSeconds, rss));
                }

                await Task.Delay(100, CancellationToken.None);
            }
        }, CancellationToken.None);
        var steps = new List<string>();

        // 1. A cpg member that never reads its events while another member streams to the group.
        using (var member = HostileClients.Start(testbed, 1, work.Path, null, "join", "hostile"))
        {
            await member.WaitForAsync("holding", Step);
            using var sender = HostileClients.Start(testbed, 1, work.Path, null, "send", "hostile", MessageBytes.ToString(CultureInfo.InvariantCulture), "20");
            var dropped = await Eventually.TrueAsync(
                () => HostileClients.ReadFrom(log, logStart).Contains($"IPC client pid {member.Pid} of cpg fell more than {IpcLimits.EventBacklogBytesMax} bytes behind", StringComparison.Ordinal),
                Step, TimeSpan.FromMilliseconds(100));
            Assert.True(dropped, $"the member that never reads was not dropped\n{Tail(HostileClients.ReadFrom(log, logStart))}\nsender: {sender.Output}");
            Assert.True(await Eventually.TrueAsync(() => RingsOf(daemon, member.Pid) == 0, Step), "the dropped member's rings are still in /dev/shm");
            Assert.False(member.HasExited, "the member was to be dropped by the daemon, not to exit");
            steps.Add($"member that never reads dropped at {clock.Elapsed.TotalSeconds:0.0} s, rings removed, sender: {sender.Output.Trim()}");
        }

        // 2. Answered requests, no answer ever read: the request ring fills; then the client dies mid-request.
        using (var deaf = HostileClients.Start(testbed, 1, work.Path, null, "noread", "quorum"))
        {
            await deaf.WaitForAsync("holding", Step);
            Assert.Equal(1, RingsOf(daemon, deaf.Pid));
            deaf.Kill();
            Assert.True(await Eventually.TrueAsync(() => RingsOf(daemon, deaf.Pid) == 0, Step), "the killed client's rings are still in /dev/shm");
            steps.Add($"client that never reads answers: {deaf.Output.Split('\n')[0]}, killed, rings removed");
        }

        // 3. Garbage: random ids, lying size fields, short requests, on three services at once.
        var garbage = new[] { "cmap", "quorum", "cpg" }.Select(service => HostileClients.Start(testbed, 1, work.Path, null, "garbage", service, "6")).ToList();
        foreach (var client in garbage)
        {
            var output = await client.ExitAsync(Step);
            steps.Add($"garbage {client.Description}: {output.Trim()}");
            client.Dispose();
        }

        Assert.True(await Eventually.TrueAsync(() => IpcDaemon.RingDirectories(daemon).Count == 0, Step),
            $"rings left after the garbage clients: {string.Join(", ", IpcDaemon.RingDirectories(daemon))}");

        // 4. Silent sockets do not lock corosync's tools out: they give way to clients that send their request.
        using (var silent = HostileClients.Start(testbed, 1, work.Path, null, "silent", "quorum", "200"))
        {
            await silent.WaitForAsync("holding", Step);
            var tool = testbed.Exec(1, "corosync-quorumtool", "-s");
            Assert.True(tool.Succeeded, $"corosync-quorumtool -s with 200 silent sockets open: exit {tool.ExitCode} {tool.StandardError}");
            steps.Add($"200 silent sockets: {silent.Output.Split('\n')[0]}, corosync-quorumtool -s answered");
        }

        // 5. More set-up connections than the bound: the rest are refused, quietly; the control socket still answers.
        using (var holder = HostileClients.Start(testbed, 1, work.Path, null, "hold", "quorum", "150"))
        {
            await holder.WaitForAsync("holding", Step);
            Assert.Contains($"connections={IpcLimits.ConnectionsMax} of=150", holder.Output, StringComparison.Ordinal);
            var status = await RookeryBinary.RunAsync(["status"], cluster.On(1));
            Assert.True(status.ExitCode == 0, $"rookery status with every IPC slot taken: {status}");
            holder.Kill();
            Assert.True(await Eventually.TrueAsync(() => IpcDaemon.RingDirectories(daemon).Count == 0, Step),
                $"{IpcDaemon.RingDirectories(daemon).Count} ring directories left after the holder was killed");
            var tool = testbed.Exec(1, "corosync-quorumtool", "-s");
            Assert.True(tool.Succeeded, $"corosync-quorumtool -s after the holder was killed: {tool.StandardError}");
            steps.Add($"150 held connections: {holder.Output.Split('\n')[0]}, rookery status answered, all rings removed after SIGKILL");
        }

        await stopSampling.CancelAsync();
        await sampling;
        var text = HostileClients.ReadFrom(log, logStart);
        var denied = text.Split('\n').Count(l => l.Contains("Denied connection to quorum", StringComparison.Ordinal) && !l.Contains("more lines like it", StringComparison.Ordinal));
        long peak;
        string curve;
        lock (samples)
        {
            peak = samples.Max(s => s.Bytes);
            curve = string.Join(' ', samples.Where((_, i) => i % 10 == 0).Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Seconds:0}s:{s.Bytes >> 20}")));
        }

        var report = $"hostile IPC on node 1 (pid {daemon}): peak RSS {peak >> 20} MiB (bound {ResidentBytesMax >> 20}); RSS MiB over time: {curve}\n  "
            + string.Join("\n  ", steps) + $"\n  'Denied connection to quorum' lines written: {denied}";
        TestContext.Current.SendDiagnosticMessage(report);
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "rookery-hostile-ipc.txt"), report + "\n");

        Assert.True(peak <= ResidentBytesMax, report);
        Assert.InRange(denied, 1, 10);
        Assert.DoesNotContain("IPC request", text, StringComparison.Ordinal);
        cluster.AssertRunning();
        var after = await cluster.AgreeAsync(All, All, quorate: true, "after the hostile clients");
        foreach (var node in All)
        {
            Assert.Equal(before[node].RingId, after[node].RingId);
        }
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(30));

    private static int RingsOf(int daemon, int client) =>
        IpcDaemon.RingDirectories(daemon).Count(d => Path.GetFileName(d).StartsWith($"qb-{daemon}-{client}-", StringComparison.Ordinal));
}
