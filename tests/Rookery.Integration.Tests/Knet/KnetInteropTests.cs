using Rookery.Integration.Tests.Testbed;
using Rookery.KnetPeer;
using Rookery.Links;

namespace Rookery.Integration.Tests.Knet;

/// <summary>
/// Issue 3 item 6: a real libknet peer accepts Rookery. Two real corosync 3.1.7 nodes (libknet 1.25)
/// and one Rookery link endpoint as node 3, in three namespaces joined by two bridges, secauth on
/// (aes256 + sha256). Root only; skipped with the reason otherwise.
/// </summary>
[Collection(TestbedCollection.Name)]
public sealed class KnetInteropTests
{
    /// <summary>Corosync's defaults need ~3 s for a link to come up and 1–2 s to see it die (10× that right after start-up, see knet-spec §2.7).</summary>
    private static readonly TimeSpan CorosyncDeadline = TimeSpan.FromSeconds(40);

    private static readonly NodeId Rookery = new(3);
    private static readonly LinkId Link0 = new(0);
    private static readonly LinkId Link1 = new(1);

    /// <summary>
    /// Silent loss (nftables) exercises Rookery's pong timeout; the interface going down inside Rookery's
    /// namespace exercises the shell's "no route → link down at once" path into the core.
    /// </summary>
    [Theory]
    [InlineData(LinkCut.NftablesDrop)]
    [InlineData(LinkCut.InterfaceDown)]
    public async Task RealCorosyncShowsRookeryConnectedOnBothLinksAndBothSidesSeeLink1DieWhenItIsCut(LinkCut how)
    {
        CorosyncClusterTests.SkipUnlessAvailable();
        var output = TestContext.Current.TestOutputHelper;
        var cancel = TestContext.Current.CancellationToken;
        using var testbed = NetnsTestbed.Create(nodes: 3, links: 2);
        using var work = new TemporaryDirectory();
        using var cluster = new CorosyncCluster(testbed, [1, 2], work.Path);
        cluster.StartAll();
        using var log = new StreamWriter(Path.Combine(work.Path, "rookery.log")) { AutoFlush = true };
        await using var endpoint = new KnetPeerEndpoint(EndpointConfig(cluster), TextWriter.Synchronized(log));
        endpoint.Start(open => testbed.RunIn(3, open));

        // Both real nodes mark node 3 connected on link 0 and link 1 (they need 3 answered pings per link).
        var accepted = await Eventually.TrueAsync(
            () => BothReport(cluster, link: 0, connected: true) && BothReport(cluster, link: 1, connected: true),
            CorosyncDeadline,
            TimeSpan.FromMilliseconds(200));
        Assert.True(accepted, $"corosync did not mark node 3 connected:\n{cluster.Status(1).Text}\n{cluster.Status(2).Text}\n{EndpointTesting.Describe(endpoint)}");
        Assert.True(
            await Eventually.TrueAsync(() => RookeryReports(endpoint, Link0, true) && RookeryReports(endpoint, Link1, true), TimeSpan.FromSeconds(10)),
            $"Rookery did not see both links up to both nodes:\n{EndpointTesting.Describe(endpoint)}");
        Assert.Contains(cluster.LogLines(1), line => line.Contains("host: 3 link: 1 is up", StringComparison.Ordinal));

        // Rookery answers knet's PMTUD probes, so corosync finds the full path MTU to node 3 (1500-byte veths:
        // 1397 data bytes with aes256 + sha256, as for its real peers in wire-vectors §4).
        var pmtud = await Eventually.TrueAsync(
            () => cluster.Cfgtool(1, "-n").Contains("(10.10.10.1->10.10.10.3) enabled connected mtu: 1397", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15),
            TimeSpan.FromMilliseconds(200));
        Assert.True(pmtud, cluster.Cfgtool(1, "-n"));

        var cutAt = endpoint.Clock.Now;
        var cutWall = DateTimeOffset.UtcNow;
        testbed.Cut(3, 1, how);

        var downTo1 = await endpoint.WaitForEventAsync(e => e is LinkDown { Link.Value: 1, Peer.Value: 1 }, cutAt, TimeSpan.FromSeconds(5), cancel);
        var downTo2 = await endpoint.WaitForEventAsync(e => e is LinkDown { Link.Value: 1, Peer.Value: 2 }, cutAt, TimeSpan.FromSeconds(5), cancel);
        Assert.True(downTo1 is not null && downTo2 is not null, $"Rookery did not report link 1 down:\n{EndpointTesting.Describe(endpoint)}");
        var rookeryDetection = TimeSpan.FromMicroseconds(Math.Max((downTo1.At - cutAt).Microseconds, (downTo2.At - cutAt).Microseconds));

        var corosyncSawIt = await Eventually.TrueAsync(() => BothReport(cluster, link: 1, connected: false), CorosyncDeadline, TimeSpan.FromMilliseconds(50));
        var corosyncDetection = DateTimeOffset.UtcNow - cutWall;
        output?.WriteLine($"link 1 cut ({how}): Rookery reported it down after {rookeryDetection.TotalMilliseconds:F1} ms, corosync's cfgtool after ≤ {corosyncDetection.TotalMilliseconds:F0} ms");
        Assert.True(corosyncSawIt, $"corosync still shows node 3 connected on link 1:\n{cluster.Status(1).Text}\n{cluster.Status(2).Text}");
        Assert.True(
            rookeryDetection <= EndpointTesting.DetectionBound,
            $"Rookery took {rookeryDetection.TotalMilliseconds:F1} ms (bound {EndpointTesting.DetectionBound.TotalMilliseconds} ms):\n{EndpointTesting.Describe(endpoint)}");

        // Both sides agree: link 0 carries on.
        Assert.True(BothReport(cluster, link: 0, connected: true), $"{cluster.Status(1).Text}\n{cluster.Status(2).Text}");
        Assert.True(RookeryReports(endpoint, Link0, true) && RookeryReports(endpoint, Link1, false), EndpointTesting.Describe(endpoint));
        Assert.All(new[] { 1, 2 }, node =>
            Assert.Contains(cluster.LogLines(node), line => line.Contains("host: 3 link: 1 is down", StringComparison.Ordinal)));
        Assert.Contains(endpoint.Events, e => e.Event is ActiveLinksChanged { Peer.Value: 1 } changed && changed.Links.SequenceEqual([Link0]));
        Assert.Equal(0, endpoint.RejectedSources);
        if (how == LinkCut.InterfaceDown)
        {
            Assert.True(endpoint.TransportFaults > 0, EndpointTesting.Describe(endpoint));
            Assert.Equal(LinkDownReason.TransportError, ((LinkDown)downTo1.Event).Reason);
        }

        // A peer whose corosync stops answers with ICMP port unreachable: Rookery's link 0 to it goes down at
        // once through the socket error queue, not by timeout (as libknet's UDP transport does).
        cluster.Stop(2);
        var stoppedAt = endpoint.Clock.Now;
        var portUnreachable = await endpoint.WaitForEventAsync(e => e is LinkDown { Link.Value: 0, Peer.Value: 2 }, stoppedAt - Duration.FromSeconds(1), TimeSpan.FromSeconds(5), cancel);
        Assert.NotNull(portUnreachable);
        Assert.Equal(LinkDownReason.TransportError, ((LinkDown)portUnreachable.Event).Reason);
        Assert.True(endpoint.IsConnected(new NodeId(1), Link0), EndpointTesting.Describe(endpoint));
    }

    [Fact]
    public async Task AnEndpointWithTheWrongKeyIsRejectedByCorosyncAndNeverConnected()
    {
        CorosyncClusterTests.SkipUnlessAvailable();
        using var testbed = NetnsTestbed.Create(nodes: 3, links: 2);
        using var work = new TemporaryDirectory();
        using var cluster = new CorosyncCluster(testbed, [1, 2], work.Path);
        cluster.StartAll();
        var wrongKey = (byte[])cluster.AuthKey.Clone();
        wrongKey[^1] ^= 0x01; // cipher key (first 32 bytes) right, HMAC key wrong, as wire-vectors §8 phase A
        await using var endpoint = new KnetPeerEndpoint(EndpointConfig(cluster) with { Crypto = KnetPeerConfig.SecAuth(wrongKey) });
        endpoint.Start(open => testbed.RunIn(3, open));

        var rejected = await Eventually.TrueAsync(
            () => cluster.LogLines(1).Any(line => line.Contains("Unable to decrypt packet from 10.10.10.3", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(100));

        Assert.True(rejected, string.Join('\n', cluster.LogLines(1).TakeLast(20)));
        Assert.False(cluster.Status(1).IsConnected(0, 3), cluster.Status(1).Text);
        Assert.False(RookeryReports(endpoint, Link0, true), EndpointTesting.Describe(endpoint));
        Assert.DoesNotContain(endpoint.Events, e => e.Event is LinkUp);
    }

    internal static KnetPeerConfig EndpointConfig(CorosyncCluster cluster) => new()
    {
        LocalNode = Rookery,
        LocalAddresses = EndpointTesting.Addresses(3, cluster.Testbed.Links),
        Peers = [.. cluster.CorosyncNodes.Select(node => new KnetPeerNode(new NodeId((uint)node), EndpointTesting.Addresses(node, cluster.Testbed.Links)))],
        Crypto = KnetPeerConfig.SecAuth(cluster.AuthKey),
        Priorities = Enumerable.Range(0, cluster.Testbed.Links)
            .ToDictionary(link => new LinkId((byte)link), link => (byte)cluster.Options.LinkPriorities[link]),
    };

    private static bool BothReport(CorosyncCluster cluster, int link, bool connected) =>
        cluster.CorosyncNodes.All(node => cluster.Status(node).IsConnected(link, 3) == connected);

    private static bool RookeryReports(KnetPeerEndpoint endpoint, LinkId link, bool connected) =>
        endpoint.IsConnected(new NodeId(1), link) == connected && endpoint.IsConnected(new NodeId(2), link) == connected;
}
