using Rookery.Integration.Tests.Testbed;
using Rookery.KnetPeer;
using Rookery.Links;

namespace Rookery.Integration.Tests.Knet;

/// <summary>
/// Two Rookery link endpoints on the namespace testbed, real sockets and kernel bridges: the active link
/// (link 1, priority 20) is cut silently under a 5 ms stream; traffic moves to link 0 within the detection
/// bound, nothing is delivered twice, and traffic fails back when the link returns. Root only.
/// </summary>
[Collection(TestbedCollection.Name)]
public sealed class RookeryPairFailoverTests
{
    private static readonly LinkId Link0 = new(0);
    private static readonly LinkId Link1 = new(1);

    [Fact]
    public async Task StreamFailsOverToLink0WhenLink1DiesSilentlyAndFailsBack()
    {
        NetnsTestbedTests.SkipUnlessAvailable();
        var cancel = TestContext.Current.CancellationToken;
        using var testbed = NetnsTestbed.Create(nodes: 2, links: 2);
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(256);
        await using var sender = new KnetPeerEndpoint(Config(1, 2, key));
        await using var receiver = new KnetPeerEndpoint(Config(2, 1, key));
        sender.Start(open => testbed.RunIn(1, open));
        receiver.Start(open => testbed.RunIn(2, open));
        var one = new NodeId(1);
        var two = new NodeId(2);
        Assert.True(
            await Eventually.TrueAsync(() => sender.IsConnected(two, Link1) && sender.IsConnected(two, Link0) && receiver.IsConnected(one, Link1), TimeSpan.FromSeconds(10)),
            EndpointTesting.Describe(sender));
        sender.StartStream(Duration.FromMilliseconds(5), 100);
        Assert.True(await Eventually.TrueAsync(() => receiver.Deliveries.Count >= 100, TimeSpan.FromSeconds(10)), $"{receiver.Deliveries.Count} delivered");

        var cutAt = sender.Clock.Now;
        testbed.Cut(2, 1, LinkCut.NftablesDrop);
        var down = await sender.WaitForEventAsync(e => e is LinkDown { Link.Value: 1 }, cutAt, TimeSpan.FromSeconds(5), cancel);
        Assert.NotNull(down);
        Assert.True(down.At - cutAt <= Duration.FromMilliseconds((long)EndpointTesting.DetectionBound.TotalMilliseconds), $"detected after {down.At - cutAt}\n{EndpointTesting.Describe(sender)}");
        var failedOver = await sender.WaitForEventAsync(e => e is ActiveLinksChanged c && c.Links.SequenceEqual([Link0]), cutAt, TimeSpan.FromSeconds(5), cancel);
        Assert.NotNull(failedOver);
        var seen = receiver.Deliveries.Count;
        Assert.True(await Eventually.TrueAsync(() => receiver.Deliveries.Count >= seen + 100, TimeSpan.FromSeconds(10)), "the stream did not continue on link 0");

        var restoredAt = sender.Clock.Now;
        testbed.Restore(2, 1, LinkCut.NftablesDrop);
        var failedBack = await sender.WaitForEventAsync(e => e is ActiveLinksChanged c && c.Links.SequenceEqual([Link1]), restoredAt, TimeSpan.FromSeconds(10), cancel);
        Assert.NotNull(failedBack);
        sender.StopStream();

        var deliveries = receiver.Deliveries;
        var gap = deliveries.Zip(deliveries.Skip(1), (a, b) => b.At - a.At).Max();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"detection {down.At - cutAt}, failover {failedOver.At - cutAt}, failback {failedBack.At - restoredAt}, largest delivery gap {gap}");
        Assert.True(gap <= Duration.FromMilliseconds((long)EndpointTesting.DetectionBound.TotalMilliseconds), $"largest delivery gap {gap}");
        Assert.Equal(deliveries.Count, deliveries.Select(d => d.Seq).Distinct().Count());
    }

    private static KnetPeerConfig Config(int local, int peer, byte[] key) => new()
    {
        LocalNode = new NodeId((uint)local),
        LocalAddresses = EndpointTesting.Addresses(local, 2),
        Peers = [new KnetPeerNode(new NodeId((uint)peer), EndpointTesting.Addresses(peer, 2))],
        Crypto = KnetPeerConfig.SecAuth(key),
        Priorities = new Dictionary<LinkId, byte> { [Link0] = 15, [Link1] = 20 },
    };
}
