using System.Diagnostics;
using System.Text.RegularExpressions;
using Rookery.Integration.Tests.Procedure;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Mixed;

/// <summary>
/// Goal: real corosync 3.1.7 nodes and <c>rookery daemon</c> nodes form one cluster: corosync completes its service
/// synchronisation for every ring that holds a Rookery node, both sides report the same quorum (members, total and
/// expected votes, quorum, quorate) after start, a clean leave, a kill, a rejoin and a change of expected votes made
/// on either side, and corosync never discards a Rookery message.
/// Method: the namespace testbed (3 nodes, 2 links, secauth on), corosync's own tools (<c>corosync-quorumtool -s/-e</c>)
/// on corosync nodes, <c>rookery status/expected</c> on Rookery nodes, corosync's log as the witness of its sync.
/// </summary>
[Collection(TestbedCollection.Name)]
public sealed class MixedClusterTests
{
    [Fact]
    public async Task TwoCorosyncNodesAndOneRookeryNodeAgreeOnQuorumThroughLeaveKillRejoinAndExpectedVotes()
    {
        SkipUnlessAvailable();
        await using var cluster = MixedCluster.Create();
        cluster.StartCorosync(1);
        cluster.StartCorosync(2);
        cluster.StartRookery(3);
        int[] all = [1, 2, 3];

        var start = await cluster.AgreeAsync(all, all, quorate: true, "after start", v => v.TotalVotes == 3 && v.ExpectedVotes == 3);
        TestContext.Current.TestOutputHelper?.WriteLine($"corosync-quorumtool -s (node 1):\n{start[1].Text}\nrookery status (node 3):\n{start[3].Text}");

        await cluster.StopAsync(3);
        await cluster.AgreeAsync([1, 2], [1, 2], quorate: true, "after the Rookery node left cleanly", v => v.TotalVotes == 2);
        cluster.StartRookery(3);
        await cluster.AgreeAsync(all, all, quorate: true, "after the Rookery node rejoined", v => v.TotalVotes == 3);

        await cluster.StopAsync(2, kill: true);
        await cluster.AgreeAsync([1, 3], [1, 3], quorate: true, "after corosync node 2 was killed", v => v.TotalVotes == 2);
        cluster.StartCorosync(2);
        await cluster.AgreeAsync(all, all, quorate: true, "after corosync node 2 rejoined", v => v.TotalVotes == 3);

        // Expected votes from the corosync side reach the Rookery node, and from the Rookery side reach corosync.
        var raised = cluster.Testbed.Exec(1, "corosync-quorumtool", "-e", "4");
        Assert.True(raised.Succeeded, raised.StandardOutput + raised.StandardError);
        await cluster.AgreeAsync(all, all, quorate: true, "after corosync-quorumtool -e 4 on node 1", v => v.ExpectedVotes == 4 && v.Quorum == 3);
        await RookeryBinary.CheckAsync(["expected", "3"], cluster.On(3));
        await cluster.AgreeAsync(all, all, quorate: true, "after rookery expected 3 on node 3", v => v.ExpectedVotes == 3 && v.Quorum == 2);

        // A reload asked on either side reloads every node (each from its own file), as corosync-cfgtool -R does.
        var reload = cluster.Testbed.Exec(1, "corosync-cfgtool", "-R");
        Assert.True(reload.Succeeded, reload.StandardOutput + reload.StandardError);
        Assert.True(await Eventually.TrueAsync(() => LogHas(cluster, 3, "Config reload requested by node 1"), TimeSpan.FromSeconds(20)),
            $"the Rookery node did not reload on corosync-cfgtool -R:\n{cluster.Logs()}");
        var rookeryReload = await RookeryBinary.CheckAsync(["reload"], cluster.On(3));
        Assert.True(await Eventually.TrueAsync(() => LogHas(cluster, 1, "Config reload requested by node 3") && LogHas(cluster, 2, "Config reload requested by node 3"), TimeSpan.FromSeconds(20)),
            $"corosync did not reload on rookery reload:\n{ReloadLines(cluster)}\n{cluster.Logs()}");

        // The report says why the corosync members sent no member report, rather than calling them unreachable.
        foreach (var node in new[] { 1, 2 })
        {
            Assert.Contains($"no-report: node {node} runs corosync: no Rookery member report", rookeryReload.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("unreachable", rookeryReload.Output, StringComparison.Ordinal);

        // A whole file cannot be handed to corosync: refused at once, naming the corosync nodes, nothing sent.
        var apply = await RookeryBinary.RunAsync(["config", "apply", cluster.Corosync.ConfigPath(3)], cluster.On(3));
        Assert.True(apply.ExitCode != 0 && apply.Error.Contains("nodes 1, 2 of the ring run corosync", StringComparison.Ordinal), apply.ToString());
        await cluster.AgreeAsync(all, all, quorate: true, "after the reloads", v => v.ExpectedVotes == 3);

        AssertCorosyncSyncedEveryRingWithRookery(cluster, corosyncNode: 1, rookeryNodes: [3]);
        AssertNothingDiscarded(cluster, 1, 2);
    }

    /// <summary>Every corosync log line about a reload, per corosync node: which request arrived where, and when.</summary>
    private static string ReloadLines(MixedCluster cluster) => string.Join('\n', new[] { 1, 2 }.Select(node =>
        $"--- node {node} corosync log, reload lines:\n" + string.Join('\n', cluster.Corosync.LogLines(node).Where(l => l.Contains("reload", StringComparison.OrdinalIgnoreCase)))));

    private static bool LogHas(MixedCluster cluster, int node, string text) =>
        cluster.Corosync.LogLines(node).Any(l => l.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task OneCorosyncNodeAndTwoRookeryNodesAgreeOnQuorumThroughLeaveKillAndRejoin()
    {
        SkipUnlessAvailable();
        await using var cluster = MixedCluster.Create();
        cluster.StartRookery(1);
        cluster.StartCorosync(2);
        cluster.StartRookery(3);
        int[] all = [1, 2, 3];

        await cluster.AgreeAsync(all, all, quorate: true, "after start", v => v.TotalVotes == 3);
        await cluster.StopAsync(2);
        await cluster.AgreeAsync([1, 3], [1, 3], quorate: true, "after the corosync node left cleanly", v => v.TotalVotes == 2);
        cluster.StartCorosync(2);
        await cluster.AgreeAsync(all, all, quorate: true, "after the corosync node rejoined", v => v.TotalVotes == 3);
        await cluster.StopAsync(1, kill: true);
        await cluster.AgreeAsync([2, 3], [2, 3], quorate: true, "after Rookery node 1 was killed", v => v.TotalVotes == 2);
        cluster.StartRookery(1);
        await cluster.AgreeAsync(all, all, quorate: true, "after Rookery node 1 rejoined", v => v.TotalVotes == 3);

        AssertCorosyncSyncedEveryRingWithRookery(cluster, corosyncNode: 2, rookeryNodes: [1, 3]);
        AssertNothingDiscarded(cluster, 2);

        // config_version as corosync checks it: the Rookery nodes move to version 2 (rookery reload), the corosync
        // node comes back with version 1 and exits at its first multi-node sync; the others stay quorate.
        await cluster.StopAsync(2);
        await cluster.AgreeAsync([1, 3], [1, 3], quorate: true, "after the corosync node left again");
        foreach (var node in new[] { 1, 3 })
        {
            var path = cluster.Corosync.ConfigPath(node);
            File.WriteAllText(path, File.ReadAllText(path).Replace("config_version: 1\n", "config_version: 2\n", StringComparison.Ordinal));
        }

        await RookeryBinary.CheckAsync(["reload"], cluster.On(1));
        cluster.StartCorosync(2);
        var refused = await Eventually.TrueAsync(() => !cluster.Corosync.IsRunning(2), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
        Assert.True(refused && LogHas(cluster, 2, "Received config version (2) is different than my config version (1)! Exiting"),
            $"corosync with an older config_version did not leave:\n{cluster.Logs()}");
        await cluster.AgreeAsync([1, 3], [1, 3], quorate: true, "after the corosync node with the older config_version left");
    }

    [Fact]
    public async Task ProcessGroupsSpanBothSidesWithOneTotalOrderAndTheSameMembershipChanges()
    {
        SkipUnlessAvailable();
        await using var cluster = await MixedCluster.StartTwoCorosyncAndOneRookeryAsync();
        int[] all = [1, 2, 3];
        using var work = new Knet.TemporaryDirectory();
        var cpgmix = GroupObserver.CompileCpgmix(work.Path);
        const string group = "mixed";
        const int count = 200;

        // Members: a libcpg client on each corosync node (each sends once the three observers are in the group) and
        // rookery group watch on the Rookery node; then rookery group send on the Rookery node sends as well.
        await using var watch = GroupObserver.StartWatch(cluster, 3, group);
        await using var client1 = GroupObserver.StartCpgmix(cluster, 1, cpgmix, group, count, intervalMs: 5, startMembers: 3);
        await using var client2 = GroupObserver.StartCpgmix(cluster, 2, cpgmix, group, count, intervalMs: 5, startMembers: 3);
        GroupObserver[] observers = [client1, client2, watch];
        await GroupObserver.WaitAllAsync(observers, o => o.LastMembership.Length >= 3, TimeSpan.FromSeconds(30), "the three members see each other");
        await RookeryBinary.CheckAsync(["group", "send", group, "--count", $"{count}", "--interval", "5", "--size", "64"], cluster.On(3));

        await GroupObserver.WaitAllAsync(observers, o => o.Deliveries.Count(d => d.Seq > 0) >= 3 * count, TimeSpan.FromSeconds(60), $"every member delivers the {3 * count} messages");
        var reference = client1.Deliveries.Where(d => d.Seq > 0).ToList();
        Assert.Equal(3, reference.Select(d => (d.Nodeid, d.Pid)).Distinct().Count());
        foreach (var sender in reference.GroupBy(d => (d.Nodeid, d.Pid)))
        {
            Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), sender.Select(d => d.Seq));
        }

        foreach (var observer in observers.Skip(1))
        {
            var seen = observer.Deliveries.Where(d => d.Seq > 0).ToList();
            var firstDifference = Enumerable.Range(0, Math.Min(seen.Count, reference.Count)).FirstOrDefault(i => seen[i] != reference[i], -1);
            Assert.True(firstDifference < 0 && seen.Count == reference.Count,
                $"node {observer.Node} delivered another order than node 1 (first difference at {firstDifference}: {(firstDifference >= 0 ? $"{seen[firstDifference]} vs {reference[firstDifference]}" : "lengths")})");
        }

        // Membership changes are seen alike: the libcpg client of node 2 leaves, then corosync node 2 goes down.
        var leaver = client2.LastMembership.Single(m => m.Nodeid == 2);
        await client2.StopAsync();
        await GroupObserver.WaitAllAsync([client1, watch], o => o.LastMembership.Length == 2 && !o.LastMembership.Contains(leaver), TimeSpan.FromSeconds(30), "node 2's client has left");
        Assert.Equal(client1.LastMembership.Order(), watch.LastMembership.Order());
        await using var again = GroupObserver.StartCpgmix(cluster, 2, cpgmix, group, 0, 0, 0);
        await GroupObserver.WaitAllAsync([client1, watch, again], o => o.LastMembership.Length == 3, TimeSpan.FromSeconds(30), "node 2's new client joined");
        await cluster.StopAsync(2, kill: true);
        await GroupObserver.WaitAllAsync([client1, watch], o => o.LastMembership.Length == 2 && o.LastMembership.All(m => m.Nodeid != 2), TimeSpan.FromSeconds(30), "node 2 went down");
        Assert.Equal(client1.LastMembership.Order(), watch.LastMembership.Order());
        Assert.Empty(client1.Problems);
        Assert.Empty(watch.Problems);
    }

    /// <summary>
    /// A Rookery node streams messages of about 145 packets each while corosync node 2 leaves and comes back three
    /// times; corosync node 1's libcpg client must deliver every message, the same as the Rookery node's own watcher.
    /// After each ring change the Rookery node, which sent fragments in the old ring, begins the new ring with
    /// totempg reset packets (TotemPg): real corosync must take them without losing or delivering anything. (A ring
    /// change inside a message, which makes the Rookery node send it again whole, did not happen in the runs seen:
    /// the model test TotemPgTests covers what corosync's receiver then does.)
    /// </summary>
    [Fact]
    public async Task MessagesOfManyPacketsFromARookeryNodeReachCorosyncWholeAcrossRingChanges()
    {
        SkipUnlessAvailable();
        await using var cluster = await MixedCluster.StartTwoCorosyncAndOneRookeryAsync();
        int[] all = [1, 2, 3];
        using var work = new Knet.TemporaryDirectory();
        var cpgmix = GroupObserver.CompileCpgmix(work.Path);
        const string group = "big";
        await using var watch = GroupObserver.StartWatch(cluster, 3, group);
        await using var client1 = GroupObserver.StartCpgmix(cluster, 1, cpgmix, group, 0, 0, 0);
        GroupObserver[] observers = [client1, watch];
        await GroupObserver.WaitAllAsync(observers, o => o.LastMembership.Length >= 2, TimeSpan.FromSeconds(30), "both members see each other");

        // 200 000 bytes: about 145 packets a message, several token visits each.
        using var sender = Process.Start(RookeryBinary.StartInfo(["group", "send", group, "--count", "1000000", "--interval", "20", "--size", "200000"], cluster.On(3)))
            ?? throw new InvalidOperationException("could not start rookery group send");
        sender.StandardInput.Close();
        try
        {
            await GroupObserver.WaitAllAsync(observers, o => FromNode3(o).Count >= 50, TimeSpan.FromSeconds(30), "the stream flows");
            for (var round = 1; round <= 3; round++)
            {
                await cluster.StopAsync(2);
                await cluster.AgreeAsync([1, 3], [1, 3], quorate: true, $"round {round}: node 2 stopped");
                cluster.StartCorosync(2);
                await cluster.AgreeAsync(all, all, quorate: true, $"round {round}: node 2 back");
                var before = observers.ToDictionary(o => o, o => FromNode3(o).Count);
                await GroupObserver.WaitAllAsync(observers, o => FromNode3(o).Count >= before[o] + 20, TimeSpan.FromSeconds(30), $"round {round}: the stream flows again");
            }
        }
        finally
        {
            sender.Kill();
            await sender.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        Assert.True(
            await Eventually.TrueAsync(() => observers.Select(o => FromNode3(o).LastOrDefault()).Distinct().Count() == 1, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50)),
            $"the two members did not end on the same message: {string.Join(", ", observers.Select(o => $"node {o.Node} last {FromNode3(o).LastOrDefault()}"))}");
        foreach (var observer in observers)
        {
            var seqs = FromNode3(observer);
            var problems = seqs.Zip(seqs.Skip(1)).Where(p => p.Second != p.First + 1).Select(p => $"{p.Second} after {p.First}").Take(5).ToList();
            Assert.True(seqs[0] == 1 && problems.Count == 0, $"node {observer.Node} delivered {seqs.Count} from {seqs[0]}: {string.Join("; ", problems)}");
        }

        Assert.Equal(FromNode3(watch), FromNode3(client1));
        Assert.Empty(client1.Problems);
        Assert.Empty(watch.Problems);
        TestContext.Current.TestOutputHelper?.WriteLine($"{FromNode3(client1).Count} messages of 200000 bytes delivered alike across three ring changes");
    }

    private static List<long> FromNode3(GroupObserver observer) => [.. observer.Deliveries.Where(d => d.Nodeid == 3 && d.Seq > 0).Select(d => d.Seq)];

    [Fact]
    public async Task CuttingTheActiveLinkOfTheRookeryNodeThenOfACorosyncNodeChangesNothingAboveKnet()
    {
        SkipUnlessAvailable();
        await using var cluster = MixedCluster.Create(tokenMilliseconds: null);
        cluster.StartCorosync(1);
        cluster.StartCorosync(2);
        cluster.StartRookery(3);
        int[] all = [1, 2, 3];
        var formed = await cluster.AgreeAsync(all, all, quorate: true, "after start");
        var ring = formed[1].RingId;
        using var work = new Knet.TemporaryDirectory();
        var cpgmix = GroupObserver.CompileCpgmix(work.Path);
        const string group = "failover";

        // Two streams at once, 5 ms each: a libcpg client on corosync node 1 and rookery group send on node 3; every
        // member (the client itself, a libcpg client on node 2, rookery group watch on node 3) delivers both.
        await using var watch = GroupObserver.StartWatch(cluster, 3, group);
        await using var client2 = GroupObserver.StartCpgmix(cluster, 2, cpgmix, group, 0, 0, 0);
        await using var client1 = GroupObserver.StartCpgmix(cluster, 1, cpgmix, group, 1_000_000, 5, 3);
        GroupObserver[] observers = [client1, client2, watch];
        await GroupObserver.WaitAllAsync(observers, o => o.LastMembership.Length >= 3, TimeSpan.FromSeconds(30), "the three members see each other");
        using var rookerySender = System.Diagnostics.Process.Start(RookeryBinary.StartInfo(["group", "send", group, "--count", "1000000", "--interval", "5", "--size", "64"], cluster.On(3)))
            ?? throw new InvalidOperationException("could not start rookery group send");
        rookerySender.StandardInput.Close();
        int Count(GroupObserver o, int sender) => o.Deliveries.Count(d => d.Nodeid == sender && d.Seq > 0);
        async Task FlowsAsync(string when)
        {
            var before = observers.ToDictionary(o => o, o => (Count(o, 1), Count(o, 3)));
            await GroupObserver.WaitAllAsync(observers, o => Count(o, 1) >= before[o].Item1 + 200 && Count(o, 3) >= before[o].Item2 + 200, TimeSpan.FromSeconds(30), $"both streams flow {when}");
        }

        await FlowsAsync("with every link up");
        foreach (var node in new[] { 3, 1 })
        {
            cluster.Testbed.Cut(node, 1, LinkCut.NftablesDrop);
            await FlowsAsync($"with link 1 of node {node} cut");
            cluster.Testbed.Restore(node, 1, LinkCut.NftablesDrop);
            await FlowsAsync($"with link 1 of node {node} restored");
        }

        rookerySender.Kill();
        await rookerySender.WaitForExitAsync(TestContext.Current.CancellationToken);
        await client1.StopAsync();
        await Eventually.TrueAsync(() => new[] { client2, watch }.Select(o => (Count(o, 1), Count(o, 3))).Distinct().Count() == 1, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        foreach (var observer in new[] { client2, watch })
        {
            foreach (var sender in new[] { 1, 3 })
            {
                var seqs = observer.Deliveries.Where(d => d.Nodeid == sender && d.Seq > 0).Select(d => d.Seq).ToList();
                var problems = seqs.Zip(seqs.Skip(1)).Where(p => p.Second != p.First + 1).Select(p => $"{p.Second} after {p.First}").Take(5).ToList();
                Assert.True(seqs.Count > 0 && seqs[0] == 1 && problems.Count == 0, $"node {observer.Node}, stream of node {sender}: {string.Join("; ", problems)}");
            }
        }

        Assert.Equal(Count(client2, 1), Count(watch, 1));
        Assert.Equal(Count(client2, 3), Count(watch, 3));
        await cluster.AgreeAsync(all, all, quorate: true, "after the link cuts", v => v.RingId == ring);
        AssertNothingDiscarded(cluster, 1, 2);
    }

    /// <summary>
    /// In the corosync node's log, every ring whose sync members include a Rookery node reaches "Completed service
    /// synchronization" before the next membership forms.
    /// </summary>
    internal static void AssertCorosyncSyncedEveryRingWithRookery(MixedCluster cluster, int corosyncNode, int[] rookeryNodes)
    {
        var lines = cluster.Corosync.LogLines(corosyncNode);
        string? ring = null;
        int[] members = [];
        var completed = false;
        var checkedRings = 0;
        foreach (var line in lines.Append("A new membership (end) was formed"))
        {
            if (Regex.Match(line, @"A new membership \((\S+)\) was formed") is { Success: true } membership)
            {
                if (ring is not null && members.Intersect(rookeryNodes).Any())
                {
                    Assert.True(completed, $"corosync node {corosyncNode} never completed the sync of ring {ring} (members {string.Join(' ', members)}):\n{string.Join('\n', lines.TakeLast(40))}");
                    checkedRings++;
                }

                ring = membership.Groups[1].Value;
                members = [];
                completed = false;
            }
            else if (Regex.Match(line, @"Sync members\[\d+\]: ([\d ]+)") is { Success: true } sync)
            {
                members = [.. sync.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
            }
            else if (line.Contains("Completed service synchronization, ready to provide service.", StringComparison.Ordinal))
            {
                completed = true;
            }
        }

        Assert.True(checkedRings >= 2, $"corosync node {corosyncNode} logged {checkedRings} rings with a Rookery node");
    }

    internal static void AssertNothingDiscarded(MixedCluster cluster, params int[] corosyncNodes)
    {
        foreach (var node in corosyncNodes)
        {
            var discarded = cluster.Corosync.LogLines(node).Where(l => l.Contains("discarded unknown message", StringComparison.Ordinal)).ToList();
            Assert.True(discarded.Count == 0, $"corosync node {node} discarded messages:\n{string.Join('\n', discarded)}");
        }
    }

    internal static void SkipUnlessAvailable()
    {
        if (MixedCluster.UnavailableReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }
}
