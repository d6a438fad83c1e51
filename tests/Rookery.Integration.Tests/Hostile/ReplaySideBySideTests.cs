using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Rookery.Integration.Tests.Knet;
using Rookery.Integration.Tests.Mixed;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Hostile;

/// <summary>
/// Goal: the replay of issue 15, run on Rookery and on Debian's corosync 3.1.7 in the same test, on the same testbed
/// and the same traffic pattern: datagrams recorded during a three-node start-up, replayed from their original
/// senders after every node was killed and restarted with the same key, configuration and state directory, change
/// neither ring id, membership nor quorum, on either program.
/// Method: the namespace testbed (3 nodes, 2 links, secauth on, token 1000 ms, one corosync.conf for both programs
/// as <see cref="MixedCluster"/> writes it). A raw UDP socket in every node's namespace records each knet datagram the
/// node receives from the others, from before the start until 1 s after the ring of three formed; every node is
/// killed (SIGKILL) and started again; once all three agree, every recorded IP packet is sent again unchanged, three
/// times over, by a raw socket (IP header included) in the namespace of its original sender, so it crosses the
/// bridge as the original did. The receivers' interface counters show the copies arrived; 6 s later (several token
/// timeouts) every node must report the ring id, members and quorum it had before, and no node may have logged
/// "A new membership". Both programs run before anything is asserted, so the report always shows both.
/// </summary>
[Collection(TestbedCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ReplaySideBySideTests
{
    private const int Copies = 3;

    /// <summary>The testbed's MTU: a reassembled datagram larger than this cannot be sent again as one packet (knet's PMTUd probes are sent with DF, so none should be).</summary>
    private const int MtuBytes = 1500;

    private static readonly int[] All = [1, 2, 3];

    /// <summary>Several token timeouts (1 s) plus consensus: a ring the replay broke has been re-formed by then.</summary>
    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(6);

    private enum Program
    {
        Rookery,
        Corosync,
    }

    [Fact]
    public async Task ReplayedStartUpTrafficChangesNeitherRookeryNorCorosync317()
    {
        if (MixedCluster.UnavailableReason is { } reason)
        {
            Assert.Skip(reason);
        }

        var rookery = await RunAsync(Program.Rookery);
        var corosync = await RunAsync(Program.Corosync);
        var report = $"replay side by side (3 nodes, 2 links, token 1000 ms, x{Copies}):\n{rookery}\n{corosync}";
        TestContext.Current.SendDiagnosticMessage(report);
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "rookery-replay-side-by-side.txt"), report + "\n");

        foreach (var outcome in new[] { rookery, corosync })
        {
            Assert.True(outcome.Recorded > 100, $"{outcome.Program}: only {outcome.Recorded} datagrams recorded\n{report}");
            Assert.True(outcome.Failed == 0, $"{outcome.Program}: {outcome.Failed} replayed packets could not be sent\n{report}");
            foreach (var node in All)
            {
                Assert.True(outcome.RxAfter[node] - outcome.RxBefore[node] >= outcome.SentTo[node],
                    $"{outcome.Program}: node {node} received {outcome.RxAfter[node] - outcome.RxBefore[node]} packets, {outcome.SentTo[node]} were replayed to it\n{report}");
                var before = outcome.Before[node];
                var after = outcome.After[node];
                Assert.True(after is not null, $"{outcome.Program}: node {node} gave no quorum view after the replay\n{report}\n{outcome.Logs}");
                Assert.True(before.RingId == after.RingId && after.Members.SequenceEqual(All) && after.Quorate == before.Quorate && after.Quorate,
                    $"{outcome.Program}: node {node} changed: before {before.Agreed}, after {after.Agreed}\n{report}\n{outcome.Logs}");
                Assert.True(outcome.NewMemberships[node] == 0, $"{outcome.Program}: node {node} logged {outcome.NewMemberships[node]} new memberships after the replay\n{report}\n{outcome.Logs}");
            }
        }
    }

    private static async Task<Outcome> RunAsync(Program program)
    {
        await using var cluster = MixedCluster.Create();
        var testbed = cluster.Testbed;
        var recorded = new List<RecordedPacket>();
        using var stopRecording = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var recorders = All.Select(node => testbed.RunIn(node, RawUdp.OpenRecorder)).ToArray();
        var recordings = All.Select(node => Task.Run(
            () => RawUdp.RecordAsync(recorders[node - 1], p => IsFromPeer(p, node), recorded, stopRecording.Token),
            CancellationToken.None)).ToArray();
        try
        {
            Start(cluster, program);
            await cluster.AgreeAsync(All, All, quorate: true, $"{program}: after the first start");
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken); // a little traffic of the formed ring too
        }
        finally
        {
            await stopRecording.CancelAsync();
            foreach (var recorder in recorders)
            {
                recorder.Dispose();
            }

            await Task.WhenAll(recordings);
        }

        List<RecordedPacket> packets;
        lock (recorded)
        {
            packets = [.. recorded.Where(p => p.Packet.Length <= MtuBytes)];
        }

        foreach (var node in All)
        {
            await cluster.StopAsync(node, kill: true);
        }

        Start(cluster, program);
        var before = await cluster.AgreeAsync(All, All, quorate: true, $"{program}: after the restart");
        var memberships = All.ToDictionary(node => node, node => NewMembershipLines(cluster, node));
        var rxBefore = All.ToDictionary(node => node, node => ReceivedPackets(testbed, node));

        var replayers = All.Select(node => testbed.RunIn(node, RawUdp.OpenReplayer)).ToArray();
        int failed;
        try
        {
            failed = RawUdp.Replay(packets, Copies, p => replayers[NodeOf(p.Source) - 1]);
        }
        finally
        {
            foreach (var replayer in replayers)
            {
                replayer.Dispose();
            }
        }

        var rxAfterReplay = All.ToDictionary(node => node, node => ReceivedPackets(testbed, node));
        await Task.Delay(Watch, TestContext.Current.CancellationToken);
        cluster.AssertRunning();
        var after = new Dictionary<int, QuorumView?>();
        foreach (var node in All)
        {
            after[node] = await cluster.QuorumAsync(node);
        }

        return new Outcome(
            program,
            recorded.Count,
            packets.Count,
            failed,
            All.ToDictionary(node => node, node => packets.Count(p => NodeOf(p.Destination) == node) * Copies),
            rxBefore,
            rxAfterReplay,
            before,
            after,
            All.ToDictionary(node => node, node => NewMembershipLines(cluster, node) - memberships[node]),
            cluster.Logs());
    }

    private static void Start(MixedCluster cluster, Program program)
    {
        foreach (var node in All)
        {
            if (program == Program.Rookery)
            {
                cluster.StartRookery(node);
            }
            else
            {
                cluster.StartCorosync(node);
            }
        }
    }

    /// <summary>A knet datagram from another node of the testbed (10.x.x.N) to <paramref name="node"/>.</summary>
    private static bool IsFromPeer(RecordedPacket packet, int node) =>
        RawUdp.IsKnetPort(packet.DestinationPort)
        && packet.Source.GetAddressBytes()[0] == 10
        && NodeOf(packet.Destination) == node
        && NodeOf(packet.Source) is >= 1 and <= 3 and var source && source != node;

    private static int NodeOf(IPAddress address) => address.GetAddressBytes()[3];

    /// <summary>
    /// "A new membership (…) was formed" lines the node logged so far: the same words in corosync's log and Rookery's,
    /// which goes to the same logging.logfile (and to its standard output when the file cannot be written).
    /// </summary>
    private static int NewMembershipLines(MixedCluster cluster, int node) =>
        cluster.Corosync.LogLines(node).Concat(MixedCluster.Tail(cluster.RookeryLog(node), int.MaxValue).Split('\n'))
            .Count(line => line.Contains("A new membership (", StringComparison.Ordinal));

    /// <summary>Packets received on every testbed interface of the node's namespace.</summary>
    private static long ReceivedPackets(NetnsTestbed testbed, int node) =>
        Enumerable.Range(0, testbed.Links).Sum(link => long.Parse(
            testbed.Exec(node, "cat", $"/sys/class/net/{testbed.NamespaceDevice(link)}/statistics/rx_packets").StandardOutput.Trim(),
            CultureInfo.InvariantCulture));

    private sealed record Outcome(
        Program Program,
        int Recorded,
        int Replayed,
        int Failed,
        Dictionary<int, int> SentTo,
        Dictionary<int, long> RxBefore,
        Dictionary<int, long> RxAfter,
        Dictionary<int, QuorumView> Before,
        Dictionary<int, QuorumView?> After,
        Dictionary<int, int> NewMemberships,
        string Logs)
    {
        public override string ToString()
        {
            var nodes = string.Join("; ", All.Select(node =>
                $"n{node} ring {Before[node].RingId} -> {After[node]?.RingId ?? "?"}, members [{string.Join(' ', After[node]?.Members ?? [])}], " +
                $"quorate {(After[node]?.Quorate == true ? "yes" : "no")}, new memberships {NewMemberships[node]}, rx +{RxAfter[node] - RxBefore[node]} (replayed to it {SentTo[node]})"));
            return $"  {Program,-8}: {Replayed} of {Recorded} recorded datagrams replayed x{Copies} ({Failed} sends failed): {nodes}";
        }
    }
}
