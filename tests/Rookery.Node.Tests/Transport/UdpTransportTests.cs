using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rookery.Node.Transport;

namespace Rookery.Node.Tests.Transport;

/// <summary>The UDP shell on real loopback sockets (no root needed).</summary>
public sealed class UdpTransportTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private static readonly IPEndPoint LoopbackAnyPort = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task DatagramArrivesInTheInboundChannelTaggedWithLinkAndSource()
    {
        using var a = new UdpTransport(new MonotonicClock());
        using var b = new UdpTransport(new MonotonicClock());
        var sender = a.Open(new LinkId(1), LoopbackAnyPort);
        var receiver = b.Open(new LinkId(1), LoopbackAnyPort);

        var outcome = a.Send(new LinkId(1), receiver.LocalEndPoint, [1, 2, 3, 4]);

        Assert.Equal(SendOutcome.Sent, outcome);
        Assert.True(await b.WaitForInputAsync(b.Clock.Now + Duration.FromSeconds(5), TestContext.Current.CancellationToken));
        Assert.True(b.Datagrams.TryRead(out var datagram));
        Assert.Equal(new LinkId(1), datagram.Link);
        Assert.Equal(sender.LocalEndPoint, datagram.Source);
        Assert.Equal([1, 2, 3, 4], datagram.Payload.ToArray());
        Assert.True(datagram.ReceivedAt <= b.Clock.Now);
    }

    [Fact]
    public async Task PortUnreachableBecomesALinkFaultNamingTheDestination()
    {
        using var transport = new UdpTransport(new MonotonicClock());
        var socket = transport.Open(new LinkId(0), LoopbackAnyPort);
        Assert.True(socket.ErrorQueueEnabled, "IP_RECVERR could not be enabled");
        var closed = ClosedLoopbackPort();

        // The first send goes out; the ICMP port-unreachable comes back through the error queue.
        Assert.Equal(SendOutcome.Sent, transport.Send(new LinkId(0), closed, [0x01, 0x81]));

        Assert.True(await transport.WaitForInputAsync(transport.Clock.Now + Duration.FromSeconds(5), TestContext.Current.CancellationToken));
        Assert.True(transport.Faults.TryRead(out var fault));
        Assert.Equal(new LinkId(0), fault.Link);
        Assert.Equal(closed, fault.Destination);
        Assert.Equal(LinkFaultKind.PortUnreachable, fault.Kind);
        Assert.True(fault.FromIcmp);
        Assert.Equal(0, transport.Datagrams.Count);
    }

    [Fact]
    public async Task TrafficToALiveDestinationIsNotBlamedForAnotherDestinationsIcmpError()
    {
        using var transport = new UdpTransport(new MonotonicClock());
        using var peer = new UdpTransport(new MonotonicClock());
        transport.Open(new LinkId(2), LoopbackAnyPort);
        var live = peer.Open(new LinkId(2), LoopbackAnyPort).LocalEndPoint;
        var closed = ClosedLoopbackPort();

        for (var i = 0; i < 20; i++)
        {
            transport.Send(new LinkId(2), closed, [9]);
            transport.Send(new LinkId(2), live, [7]);
        }

        Assert.True(await Eventually.TrueAsync(() => peer.Datagrams.Count >= 10 && transport.Faults.Count > 0, Deadline));
        while (transport.Faults.TryRead(out var fault))
        {
            Assert.Equal(closed, fault.Destination);
        }
    }

    [Fact]
    public void OversizedDatagramIsReportedTooBigNotAFault()
    {
        using var transport = new UdpTransport(new MonotonicClock());
        using var peer = new UdpTransport(new MonotonicClock());
        transport.Open(new LinkId(0), LoopbackAnyPort);
        var destination = peer.Open(new LinkId(0), LoopbackAnyPort).LocalEndPoint;

        var outcome = transport.Send(new LinkId(0), destination, new byte[Limits.DatagramSizeMax + 1]);

        Assert.Equal(SendOutcome.TooBig, outcome);
        Assert.Equal(0, transport.Faults.Count);
    }

    [Fact]
    public async Task FullInboundChannelDropsNewDatagramsAndCountsThem()
    {
        using var receiver = new UdpTransport(new MonotonicClock(), inboundCapacity: 4);
        using var sender = new UdpTransport(new MonotonicClock());
        var socket = receiver.Open(new LinkId(0), LoopbackAnyPort);
        sender.Open(new LinkId(0), LoopbackAnyPort);

        for (var i = 0; i < 40; i++)
        {
            sender.Send(new LinkId(0), socket.LocalEndPoint, [(byte)i]);
        }

        Assert.True(await Eventually.TrueAsync(() => socket.DatagramsReceived == 40, Deadline), $"received {socket.DatagramsReceived}");
        Assert.Equal(4, receiver.Datagrams.Count);
        Assert.Equal(36, receiver.DatagramsDropped);
        Assert.True(receiver.Datagrams.TryRead(out var first));
        Assert.Equal([0], first.Payload.ToArray());
    }

    [Fact]
    public async Task WaitForInputReturnsFalseAtTheDeadlineWhenNothingArrives()
    {
        using var transport = new UdpTransport(new MonotonicClock());
        transport.Open(new LinkId(0), LoopbackAnyPort);
        var started = Stopwatch.StartNew();

        var hasInput = await transport.WaitForInputAsync(transport.Clock.Now + Duration.FromMilliseconds(50), TestContext.Current.CancellationToken);

        Assert.False(hasInput);
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(45), $"returned after {started.Elapsed}");
    }

    [Fact]
    public async Task WaitForInputWakesWhenADatagramArrivesBeforeTheDeadline()
    {
        using var transport = new UdpTransport(new MonotonicClock());
        using var sender = new UdpTransport(new MonotonicClock());
        var destination = transport.Open(new LinkId(0), LoopbackAnyPort).LocalEndPoint;
        sender.Open(new LinkId(0), LoopbackAnyPort);
        var started = Stopwatch.StartNew();

        var wait = transport.WaitForInputAsync(Instant.Never, TestContext.Current.CancellationToken);
        sender.Send(new LinkId(0), destination, [42]);

        Assert.True(await wait.AsTask().WaitAsync(Deadline, TestContext.Current.CancellationToken));
        Assert.True(started.Elapsed < Deadline);
    }

    [Fact]
    public async Task BlockingWaitWakesForADatagramForWakeAndAtTheDeadline()
    {
        using var transport = new UdpTransport(new MonotonicClock());
        using var sender = new UdpTransport(new MonotonicClock());
        var destination = transport.Open(new LinkId(0), LoopbackAnyPort).LocalEndPoint;
        sender.Open(new LinkId(0), LoopbackAnyPort);

        // The node loop's wait: on a thread of its own, no deadline; a datagram ends it.
        var datagram = Task.Run(() => transport.WaitForInput(Instant.Never), TestContext.Current.CancellationToken);
        sender.Send(new LinkId(0), destination, [42]);
        Assert.True(await datagram.WaitAsync(Deadline, TestContext.Current.CancellationToken));
        Assert.True(transport.Datagrams.TryRead(out _));

        // Wake() ends it with no input (a control call queued work); the caller's own queue is checked after arming.
        var queued = false;
        var woken = Task.Run(() => transport.WaitForInput(Instant.Never, () => Volatile.Read(ref queued)), TestContext.Current.CancellationToken);
        Volatile.Write(ref queued, true);
        transport.Wake();
        Assert.False(await woken.WaitAsync(Deadline, TestContext.Current.CancellationToken));

        // Nothing at all: it returns false at the deadline, not before.
        var started = Stopwatch.StartNew();
        Assert.False(transport.WaitForInput(transport.Clock.Now + Duration.FromMilliseconds(50)));
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(45), $"returned after {started.Elapsed}");
    }

    [Fact]
    public void OpeningALinkTwiceIsRefusedAndCloseFreesIt()
    {
        using var transport = new UdpTransport(new MonotonicClock());
        var first = transport.Open(new LinkId(3), LoopbackAnyPort);

        Assert.Throws<InvalidOperationException>(() => transport.Open(new LinkId(3), LoopbackAnyPort));
        Assert.Throws<ArgumentOutOfRangeException>(() => transport.Open(new LinkId(Limits.LinksMax), LoopbackAnyPort));

        transport.Close(new LinkId(3));
        Assert.Null(transport[new LinkId(3)]);
        Assert.Equal(SendOutcome.Failed, transport.Send(new LinkId(3), first.LocalEndPoint, [1]));
        var second = transport.Open(new LinkId(3), LoopbackAnyPort);
        Assert.Same(second, transport[new LinkId(3)]);
    }

    [Fact]
    public void ASecondSocketCannotTakeAnAddressInUse()
    {
        using var transport = new UdpTransport(new MonotonicClock());
        using var other = new UdpTransport(new MonotonicClock());
        var bound = transport.Open(new LinkId(0), LoopbackAnyPort).LocalEndPoint;

        var error = Assert.Throws<SocketException>(() => other.Open(new LinkId(0), bound));
        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
        Assert.Null(other[new LinkId(0)]);
    }

    private static IPEndPoint ClosedLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(LoopbackAnyPort);
        return (IPEndPoint)probe.LocalEndPoint!;
    }
}
