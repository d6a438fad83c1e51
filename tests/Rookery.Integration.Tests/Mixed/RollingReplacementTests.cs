using System.Diagnostics;
using Rookery.Integration.Tests.Procedure;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Mixed;

/// <summary>
/// Goal: a running 3-node corosync 3.1.7 cluster becomes a Rookery cluster one node at a time and back, as
/// docs/rolling-replacement.md tells an admin to do it, without losing quorum and without losing, duplicating or
/// reordering a process-group message of the surviving members.
/// Method: the namespace testbed; for each step (node N: stop one program with SIGTERM, start the other on the same
/// corosync.conf and authkey) a member on another node streams numbered messages every 5 ms (a libcpg client on a
/// corosync node, rookery group send on a Rookery node) to a member on each surviving node; every survivor must
/// deliver the stream's numbers consecutively, the same first and last; both survivors' logs must never say they
/// left the primary component; both sides must agree on quorum after every start.
/// </summary>
[Collection(TestbedCollection.Name)]
public sealed class RollingReplacementTests
{
    private const string Group = "rolling";

    [Fact]
    public async Task ThreeCorosyncNodesBecomeThreeRookeryNodesOneAtATimeAndBackWithQuorumAndTheStreamsIntact()
    {
        MixedClusterTests.SkipUnlessAvailable();
        await using var cluster = MixedCluster.Create();
        int[] all = [1, 2, 3];
        foreach (var node in all)
        {
            cluster.StartCorosync(node);
        }

        await cluster.AgreeAsync(all, all, quorate: true, "three corosync nodes");
        using var work = new Knet.TemporaryDirectory();
        var cpgmix = GroupObserver.CompileCpgmix(work.Path);
        var figures = new List<string>();
        foreach (var (node, toRookery) in new[] { (1, true), (2, true), (3, true), (1, false), (2, false), (3, false) })
        {
            figures.Add(await ReplaceAsync(cluster, cpgmix, node, toRookery));
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join('\n', figures));
        MixedClusterTests.AssertNothingDiscarded(cluster, all);
    }

    /// <summary>One step: replaces the program on <paramref name="node"/> under a stream between the two other nodes.</summary>
    private static async Task<string> ReplaceAsync(MixedCluster cluster, string cpgmix, int node, bool toRookery)
    {
        int[] all = [1, 2, 3];
        var survivors = all.Where(n => n != node).ToArray();
        var sender = survivors[0];
        var logStart = survivors.ToDictionary(n => n, n => cluster.Corosync.LogLines(n).Count);
        var step = $"node {node} {(toRookery ? "corosync -> rookery" : "rookery -> corosync")}";

        var observers = new List<GroupObserver>();
        Process? rookerySender = null;
        try
        {
            foreach (var survivor in survivors)
            {
                observers.Add(cluster.IsRookery(survivor)
                    ? GroupObserver.StartWatch(cluster, survivor, Group)
                    : GroupObserver.StartCpgmix(cluster, survivor, cpgmix, Group, 0, 0, 0));
            }

            await GroupObserver.WaitAllAsync(observers, o => o.LastMembership.Length >= 2, TimeSpan.FromSeconds(30), $"{step}: the survivors' members see each other");
            GroupObserver? cpgSender = null;
            if (cluster.IsRookery(sender))
            {
                rookerySender = Process.Start(RookeryBinary.StartInfo(["group", "send", Group, "--count", "1000000", "--interval", "5", "--size", "64"], cluster.On(sender)))
                    ?? throw new InvalidOperationException("could not start rookery group send");
                rookerySender.StandardInput.Close();
            }
            else
            {
                cpgSender = GroupObserver.StartCpgmix(cluster, sender, cpgmix, Group, 1_000_000, 5, 3);
                observers.Add(cpgSender);
            }

            var watched = observers.Where(o => o != cpgSender).ToList();
            await GroupObserver.WaitAllAsync(watched, o => FromSender(o, sender).Count >= 100, TimeSpan.FromSeconds(30), $"{step}: the stream flows before");

            await cluster.StopAsync(node);
            await cluster.AgreeAsync(survivors, survivors, quorate: true, $"{step}: after node {node} stopped");
            if (toRookery)
            {
                cluster.StartRookery(node);
            }
            else
            {
                cluster.StartCorosync(node);
            }

            await cluster.AgreeAsync(all, all, quorate: true, $"{step}: after node {node} started");
            var before = watched.ToDictionary(o => o, o => FromSender(o, sender).Count);
            await GroupObserver.WaitAllAsync(watched, o => FromSender(o, sender).Count >= before[o] + 100, TimeSpan.FromSeconds(30), $"{step}: the stream flows after");

            // Stop the stream, let the last messages arrive, then check every survivor's copy.
            if (rookerySender is not null)
            {
                rookerySender.Kill();
                await rookerySender.WaitForExitAsync(TestContext.Current.CancellationToken);
            }
            else
            {
                await cpgSender!.StopAsync();
            }

            await Eventually.TrueAsync(() => watched.Select(o => FromSender(o, sender).LastOrDefault().Delivery.Seq).Distinct().Count() == 1, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
            var report = new List<string>();
            foreach (var observer in watched)
            {
                var stream = FromSender(observer, sender);
                var seqs = stream.Select(d => d.Delivery.Seq).ToList();
                var problems = seqs.Zip(seqs.Skip(1)).Where(p => p.Second != p.First + 1).Select(p => $"{p.Second} after {p.First}").Take(5).ToList();
                Assert.True(problems.Count == 0, $"{step}: node {observer.Node} lost, duplicated or reordered: {string.Join("; ", problems)}");
                var gap = stream.Zip(stream.Skip(1)).Select(p => p.Second.At - p.First.At).DefaultIfEmpty().Max();
                report.Add($"node {observer.Node} delivered {seqs.Count} (seq {seqs[0]}..{seqs[^1]}), longest gap {gap.TotalMilliseconds:0} ms");
            }

            Assert.Single(watched.Select(o => FromSender(o, sender)[^1].Delivery.Seq).Distinct());
            foreach (var survivor in survivors)
            {
                var lost = cluster.Corosync.LogLines(survivor).Skip(logStart[survivor]).Where(l => l.Contains("non-primary component", StringComparison.Ordinal)).ToList();
                Assert.True(lost.Count == 0, $"{step}: node {survivor} lost quorum:\n{string.Join('\n', lost)}");
            }

            return $"{step}: stream from node {sender}: {string.Join(", ", report)}";
        }
        finally
        {
            if (rookerySender is { HasExited: false })
            {
                rookerySender.Kill();
            }

            rookerySender?.Dispose();
            foreach (var observer in observers)
            {
                await observer.DisposeAsync();
            }
        }
    }

    private static List<TimedDelivery> FromSender(GroupObserver observer, int sender) =>
        [.. observer.TimedDeliveries.Where(d => d.Delivery.Nodeid == sender && d.Delivery.Seq > 0)];
}
