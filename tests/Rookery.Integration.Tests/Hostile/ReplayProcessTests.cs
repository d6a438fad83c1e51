using Rookery.Client;
using Rookery.Integration.Tests.Loopback;

namespace Rookery.Integration.Tests.Hostile;

/// <summary>
/// Goal: datagrams recorded during a cluster's start-up, replayed from their original source addresses after
/// every node restarted with its state directory, change neither membership, ring id nor quorum (issue 15:
/// the ring re-formed 4–5 times and a node was left alone and not quorate).
/// Method: three real daemons on loopback with crypto on; a raw IPv4/UDP socket records every datagram between
/// their addresses during the start-up; all daemons are killed and started again with the same directories; once
/// the ring of all three has formed, the recorded IP packets are sent again, unchanged (spoofed source, as root,
/// through a raw socket with the IP header included), three times over; then every node must still report the
/// same ring id, the same three members and quorum, and no new membership may be logged.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ReplayProcessTests
{
    private const int Copies = 3;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>How long the nodes are watched after the replay: longer than the token timeout the loopback cluster uses (2 s) plus consensus.</summary>
    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task ReplayedStartUpTrafficChangesNothingAfterARestart()
    {
        Assert.SkipUnless(Environment.UserName == "root", "needs root: records and replays with raw sockets");
        // Addresses of its own: the other loopback clusters of this test process run at the same time.
        await using var cluster = new LoopbackCluster(fifth: true);
        var recorded = new List<RecordedPacket>();
        using var recorder = RawUdp.OpenRecorder();
        using var stopRecording = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var recording = Task.Run(() => RawUdp.RecordAsync(recorder, p => IsOfCluster(p, cluster.Base), recorded, stopRecording.Token), CancellationToken.None);

        cluster.StartAll();
        await LoopbackClusterTests.WaitForMembersAsync(cluster, [1, 2, 3], Deadline);
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken); // a little traffic of the formed ring too
        await stopRecording.CancelAsync();
        recorder.Dispose();
        await recording;
        List<RecordedPacket> packets;
        lock (recorded)
        {
            packets = [.. recorded];
        }

        Assert.True(packets.Count > 100, $"only {packets.Count} datagrams recorded");

        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            cluster.Kill(id);
        }

        cluster.StartAll();
        await LoopbackClusterTests.WaitForMembersAsync(cluster, [1, 2, 3], Deadline);
        var before = await StatusesAsync(cluster);
        var logLengths = Enumerable.Range(1, LoopbackCluster.NodeCount).Select(id => cluster.Log(id).Length).ToArray();

        using (var replayer = RawUdp.OpenReplayer())
        {
            RawUdp.Replay(packets, Copies, _ => replayer);
        }

        await Task.Delay(Watch, TestContext.Current.CancellationToken);
        var after = await StatusesAsync(cluster);
        var report = $"replayed {packets.Count} datagrams x{Copies}; ring before {string.Join(" ", before.Select(s => s.Quorum.RingId))}, after {string.Join(" ", after.Select(s => s.Quorum.RingId))}";
        TestContext.Current.SendDiagnosticMessage(report);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "rookery-replay-result.txt"), report + "\n");
        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            var newLines = cluster.Log(id)[logLengths[id - 1]..];
            Assert.True(cluster.IsRunning(id), cluster.Log(id));
            Assert.Equal(before[id - 1].Quorum.RingId, after[id - 1].Quorum.RingId);
            Assert.Equal([1u, 2u, 3u], after[id - 1].Members.Select(m => m.Nodeid));
            Assert.True(after[id - 1].Quorum.Quorate, report);
            Assert.DoesNotContain("A new membership", newLines, StringComparison.Ordinal);
        }
    }

    /// <summary>A packet between two addresses of this cluster (127.BASE.x.y) to a knet port.</summary>
    private static bool IsOfCluster(RecordedPacket packet, int clusterBase)
    {
        var source = packet.Source.GetAddressBytes();
        var destination = packet.Destination.GetAddressBytes();
        return source[0] == 127 && destination[0] == 127 && source[1] == clusterBase && destination[1] == clusterBase && RawUdp.IsKnetPort(packet.DestinationPort);
    }

    private static async Task<Rookery.Control.ClusterStatus[]> StatusesAsync(LoopbackCluster cluster)
    {
        var statuses = new List<Rookery.Control.ClusterStatus>();
        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            await using var client = await RookeryClient.ConnectAsync(cluster.SocketPath(id), TestContext.Current.CancellationToken);
            statuses.Add(await client.GetStatusAsync(TestContext.Current.CancellationToken));
        }

        return [.. statuses];
    }
}
