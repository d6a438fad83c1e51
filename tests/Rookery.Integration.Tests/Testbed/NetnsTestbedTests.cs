using System.Net;
using Rookery.Config;
using Rookery.Node.Transport;

namespace Rookery.Integration.Tests.Testbed;

/// <summary>
/// The namespace testbed itself, exercised with the real UDP shell: topology, reachability per
/// link, the three ways to cut a link, and cleanup in every path. Root only.
/// </summary>
[Collection(TestbedCollection.Name)]
public sealed class NetnsTestbedTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    [Fact]
    public void BuildsNamespacesBridgesAndAddressesAndRemovesEverythingOnDispose()
    {
        SkipUnlessAvailable();
        IReadOnlyList<string> created;
        string prefix;
        using (var testbed = NetnsTestbed.Create(nodes: 3, links: 2))
        {
            prefix = testbed.Prefix;
            created = testbed.ExistingObjects();
            Assert.Contains(testbed.Namespace(3), created);
            Assert.Contains(testbed.Bridge(1), created);
            Assert.Contains(testbed.BridgePort(2, 1), created);
            Assert.DoesNotContain(created, name => name.StartsWith("cb", StringComparison.Ordinal));

            var addresses = testbed.Exec(2, "ip", "-br", "addr").StandardOutput;
            Assert.Contains("10.10.10.2/24", addresses, StringComparison.Ordinal);
            Assert.Contains("10.20.20.2/24", addresses, StringComparison.Ordinal);
            Assert.Equal(string.Empty, testbed.Exec(1, "ip", "route", "show", "default").StandardOutput.Trim());
        }

        Assert.DoesNotContain(NetnsTestbed.ListHostObjects(), n => n.StartsWith(prefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EachLinkCarriesDatagramsBetweenTheNodesAddressesOnThatLink()
    {
        SkipUnlessAvailable();
        using var testbed = NetnsTestbed.Create(nodes: 2, links: 2);
        using var pair = TransportPair.Open(testbed);

        for (var link = 0; link < 2; link++)
        {
            var got = await pair.DeliversAsync(link, Deadline);
            Assert.True(got, $"link {link}: nothing arrived");
        }
    }

    [Theory]
    [InlineData(LinkCut.InterfaceDown)]
    [InlineData(LinkCut.BridgePortDown)]
    [InlineData(LinkCut.NftablesDrop)]
    public async Task ACutLinkStopsCarryingTrafficWhileTheOtherLinkStillDoesAndRestoreHealsIt(LinkCut how)
    {
        SkipUnlessAvailable();
        using var testbed = NetnsTestbed.Create(nodes: 2, links: 2);
        using var pair = TransportPair.Open(testbed);
        Assert.True(await pair.DeliversAsync(1, Deadline), "link 1 dead before the cut");

        testbed.Cut(2, 1, how);

        Assert.False(await pair.DeliversAsync(1, TimeSpan.FromMilliseconds(300)), $"{how}: link 1 still delivers");
        Assert.True(await pair.DeliversAsync(0, Deadline), $"{how}: link 0 stopped too");
        if (how == LinkCut.InterfaceDown)
        {
            // The cut node's own sends on that link fail at once with no route: the "link down at once" path.
            var outcome = pair.Two.Send(new LinkId(1), pair.Endpoint(1, 1), [1]);
            Assert.Equal(SendOutcome.Unreachable, outcome);
            Assert.True(pair.Two.Faults.TryRead(out var fault));
            Assert.Equal(LinkFaultKind.NetworkUnreachable, fault.Kind);
            Assert.Equal(new LinkId(1), fault.Link);
        }

        testbed.Restore(2, 1, how);

        Assert.True(await pair.DeliversAsync(1, Deadline), $"{how}: link 1 did not heal");
    }

    [Fact]
    public void CleanupRunsWhenTheTestBodyThrows()
    {
        SkipUnlessAvailable();
        string? prefix = null;

        var thrown = Assert.Throws<InvalidOperationException>((Action)(() =>
        {
            using var testbed = NetnsTestbed.Create(nodes: 2, links: 1);
            prefix = testbed.Prefix;
            testbed.Cut(1, 0, LinkCut.NftablesDrop);
            throw new InvalidOperationException("the test failed");
        }));

        Assert.Equal("the test failed", thrown.Message);
        Assert.NotNull(prefix);
        Assert.DoesNotContain(NetnsTestbed.ListHostObjects(), n => n.StartsWith(prefix, StringComparison.Ordinal));
    }

    [Fact]
    public void LeftoversOfADeadProcessAreRemovedByTheNextTestbedButLiveOnesAreNot()
    {
        SkipUnlessAvailable();
        // pid_max is at most 2^22 on Linux, so this pid can never be alive.
        var dead = NetnsTestbed.PrefixFor(pid: 50_000_000, counter: 0);
        HostCommand.Check("ip", ["netns", "add", $"{dead}n1"]);
        HostCommand.Check("ip", ["link", "add", $"{dead}b0", "type", "bridge"]);
        // A process left running inside (as a crashed run's corosync would be) must not keep the namespace alive.
        using var straggler = System.Diagnostics.Process.Start(HostCommand.Resolve("ip"), ["netns", "exec", $"{dead}n1", HostCommand.Resolve("sleep"), "600"]);
        try
        {
            using var live = NetnsTestbed.Create(nodes: 1, links: 1);
            using var second = NetnsTestbed.Create(nodes: 1, links: 1);

            Assert.True(straggler.WaitForExit(TimeSpan.FromSeconds(5)), "the process inside the leftover namespace still runs");

            var remaining = NetnsTestbed.ListHostObjects();
            Assert.DoesNotContain(remaining, n => n.StartsWith(dead, StringComparison.Ordinal));
            Assert.Contains(live.Namespace(1), remaining);
            Assert.NotEqual(live.Prefix, second.Prefix);
        }
        finally
        {
            if (!straggler.HasExited)
            {
                straggler.Kill();
            }

            HostCommand.Run("ip", ["netns", "delete", $"{dead}n1"]);
            HostCommand.Run("ip", ["link", "delete", $"{dead}b0"]);
        }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(32767, 35)]
    [InlineData(4194304, 7)]
    public void PrefixEncodesTheOwningPid(int pid, int counter)
    {
        var prefix = NetnsTestbed.PrefixFor(pid, counter);
        Assert.Equal(pid, NetnsTestbed.TryParsePid(prefix));
        Assert.StartsWith(NetnsTestbed.NamePrefix, prefix, StringComparison.Ordinal);
        Assert.True($"{prefix}v91".Length <= 15, "interface names are limited to 15 characters");
    }

    internal static void SkipUnlessAvailable()
    {
        if (NetnsTestbed.UnavailableReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }
}

/// <summary>Testbed suites build and cut networks; run them one at a time so timings stay honest.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TestbedCollection
{
    public const string Name = "network namespace testbed";
}

/// <summary>A UDP transport in node 1's and node 2's namespaces, one socket per link on the link's address.</summary>
internal sealed class TransportPair : IDisposable
{
    private byte _next;

    private TransportPair(NetnsTestbed testbed, UdpTransport one, UdpTransport two)
    {
        Testbed = testbed;
        One = one;
        Two = two;
    }

    public NetnsTestbed Testbed { get; }

    public UdpTransport One { get; }

    public UdpTransport Two { get; }

    public static TransportPair Open(NetnsTestbed testbed)
    {
        var one = new UdpTransport(new MonotonicClock());
        var two = new UdpTransport(new MonotonicClock());
        for (var link = 0; link < testbed.Links; link++)
        {
            var id = new LinkId((byte)link);
            testbed.RunIn(1, () => one.Open(id, new IPEndPoint(NetnsTestbed.Address(1, link), LinkPorts.For(id))));
            testbed.RunIn(2, () => two.Open(id, new IPEndPoint(NetnsTestbed.Address(2, link), LinkPorts.For(id))));
        }

        return new TransportPair(testbed, one, two);
    }

    public IPEndPoint Endpoint(int node, int link) =>
        new(NetnsTestbed.Address(node, link), LinkPorts.For(new LinkId((byte)link)));

    /// <summary>Sends from node 1 to node 2 on <paramref name="link"/> every 20 ms until one datagram arrives there or the timeout passes.</summary>
    public async Task<bool> DeliversAsync(int link, TimeSpan timeout)
    {
        while (Two.Datagrams.TryRead(out _))
        {
        }

        var marker = ++_next;
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            One.Send(new LinkId((byte)link), Endpoint(2, link), [marker]);
            var arrived = await Eventually.TrueAsync(() => Arrived(link, marker), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(2));
            if (arrived)
            {
                return true;
            }
        }

        return false;
    }

    private bool Arrived(int link, byte marker)
    {
        while (Two.Datagrams.TryRead(out var datagram))
        {
            if (datagram.Link.Value == link && datagram.Payload.Span[0] == marker)
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose()
    {
        One.Dispose();
        Two.Dispose();
    }
}
