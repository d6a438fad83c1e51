using System.Diagnostics;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.CorosyncIpc;

/// <summary>
/// Goal: Debian's unmodified corosync-qdevice (model net, algorithm ffsplit) registers with a Rookery node's
/// votequorum, polls it, and its vote counts as corosync counts it: <c>corosync-quorumtool -s</c> shows the Qdevice
/// vote as against corosync, and when one node of a two-node cluster dies the other stays quorate on the device's vote.
/// Method: a testbed of three namespaces: Rookery daemons on nodes 1 and 2, <c>corosync-qnetd</c> on node 3; a
/// <c>corosync-qdevice</c> beside each daemon, in a private mount namespace so each has its own local socket directory.
/// TLS is off on both sides (<c>tls: off</c>, <c>corosync-qnetd -s off</c>): no NSS database is needed. The
/// configuration (Golden/qdevice.conf) and the golden output are those of capture-qdevice.sh against real corosync.
/// Root only, corosync-qdevice and corosync-qnetd installed (test.sh installs them); skipped with the reason otherwise.
/// </summary>
[Collection(TestbedCollection.Name)]
public sealed class QdeviceTests : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("rookery-qdevice-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task QdeviceVoteShowsInQuorumtoolAndKeepsTheSurvivorOfATwoNodeClusterQuorate()
    {
        CorosyncIpcTests.SkipUnlessAvailable();
        foreach (var tool in new[] { "corosync-qdevice", "corosync-qnetd", "unshare" })
        {
            if (!HostCommand.Exists(tool))
            {
                Assert.Skip($"the quorum device test needs `{tool}` (apt-get install corosync-qdevice corosync-qnetd)");
            }
        }

        using var testbed = NetnsTestbed.Create(nodes: 3, links: 1);
        var processes = new List<Process>();
        var daemons = new List<IpcDaemon>();
        try
        {
            processes.Add(StartIsolated(testbed, 3, "/var/run/corosync-qnetd", "qnetd", "corosync-qnetd -f -d -s off"));
            foreach (var node in new[] { 1, 2 })
            {
                var daemon = new IpcDaemon(testbed, node, Path.Combine(_root.FullName, $"n{node}"), Golden("qdevice.conf"), $"node{node}");
                daemon.Start();
                daemons.Add(daemon);
            }

            await CorosyncIpcTests.WaitForAsync(daemons[0], output => output.Contains("Nodes:            2", StringComparison.Ordinal));
            var qdevices = new[] { 1, 2 }.Select(node => StartIsolated(testbed, node, "/var/run/corosync-qdevice", $"qdevice{node}", "corosync-qdevice -f -d")).ToList();
            processes.AddRange(qdevices);

            // Both devices registered and alive, casting their vote: three votes of three.
            var status = await WaitForStatusAsync(daemons[0], s => s.Contains("Total votes:      3", StringComparison.Ordinal)
                && s.Contains("A,V,NMW node2", StringComparison.Ordinal));
            TestContext.Current.TestOutputHelper?.WriteLine($"corosync-quorumtool -s on node 1:\n{status}");
            Assert.Equal(Golden("qdevice-quorumtool-s.out"), IpcDaemon.Mask(status));

            // Node 2 dies (daemon and device): node 1 keeps quorum with its own vote and the device's, never losing it.
            daemons[1].Kill();
            qdevices[1].Kill();
            status = await WaitForStatusAsync(daemons[0], s => s.Contains("Nodes:            1", StringComparison.Ordinal)
                && s.Contains("Total votes:      2", StringComparison.Ordinal));
            TestContext.Current.TestOutputHelper?.WriteLine($"corosync-quorumtool -s on node 1 after node 2 died:\n{status}");
            Assert.Contains("Quorate:          Yes", status, StringComparison.Ordinal);
            Assert.Contains("Flags:            Quorate Qdevice", status, StringComparison.Ordinal);
            Assert.Contains("0          1            Qdevice", status, StringComparison.Ordinal);
            var log = daemons[0].Log();
            Assert.Contains("waiting for quorum device Qdevice poll", log, StringComparison.Ordinal);
            Assert.DoesNotContain("non-primary component", log, StringComparison.Ordinal);

            // Node 2's daemon comes back (its start removes the rings the SIGKILL left in /dev/shm) and rejoins.
            daemons[1].Start();
            await WaitForStatusAsync(daemons[0], s => s.Contains("Nodes:            2", StringComparison.Ordinal) && s.Contains("Quorate:          Yes", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var process in processes.Where(p => !p.HasExited))
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None);
            }

            foreach (var daemon in daemons)
            {
                await daemon.StopAsync();
            }
        }

        foreach (var daemon in daemons)
        {
            Assert.Empty(IpcDaemon.RingDirectories(daemon.Pid));
        }
    }

    /// <summary>
    /// A command in a node's namespace inside a private mount namespace where <paramref name="runDirectory"/> (the
    /// program's socket and pid directory, one per host otherwise) is a directory of its own.
    /// </summary>
    private Process StartIsolated(NetnsTestbed testbed, int node, string runDirectory, string name, string command)
    {
        var own = Path.Combine(_root.FullName, name);
        Directory.CreateDirectory(own);
        var script = $"mkdir -p {runDirectory} && mount --bind {own} {runDirectory} && exec {command}";
        return testbed.Start(node, "unshare", ["--mount", "--propagation", "private", "sh", "-c", script], Path.Combine(_root.FullName, $"{name}.log"));
    }

    private async Task<string> WaitForStatusAsync(IpcDaemon daemon, Func<string, bool> condition)
    {
        var last = string.Empty;
        var ok = await Eventually.TrueAsync(
            () =>
            {
                last = daemon.Tool("corosync-quorumtool", "-s").StandardOutput;
                return condition(last);
            },
            Settle,
            TimeSpan.FromMilliseconds(250));
        Assert.True(ok, $"corosync-quorumtool -s never showed the expected state; last:\n{last}\n--- daemon:\n{Tail(daemon.Log())}\n--- qdevice1:\n{Tail(IpcDaemon.ReadLog(Path.Combine(_root.FullName, "qdevice1.log")))}");
        return last;
    }

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(30));

    private static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "CorosyncIpc", "Golden", name));
}
