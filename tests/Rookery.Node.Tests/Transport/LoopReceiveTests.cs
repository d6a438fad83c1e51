using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rookery.Node.Transport;

namespace Rookery.Node.Tests.Transport;

/// <summary>The daemon's transport mode: the loop thread polls the link sockets and reads them itself (real loopback sockets).</summary>
public sealed class LoopReceiveTests
{
    private static readonly IPEndPoint LoopbackAnyPort = new(IPAddress.Loopback, 0);

    [Fact]
    public void A_datagram_wakes_the_poll_and_reaches_the_sink_with_its_link_and_source_without_a_receiver_thread()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "poll and eventfd are Linux's");
        using var loop = new UdpTransport(new MonotonicClock(), receiveOnLoop: true);
        using var peer = new UdpTransport(new MonotonicClock());
        var socket = loop.Open(new LinkId(3), LoopbackAnyPort);
        var sender = peer.Open(new LinkId(3), LoopbackAnyPort);
        Assert.True(loop.ReceivesOnLoop);
        Assert.True(socket.ReceivesOnLoop);

        Assert.Equal(SendOutcome.Sent, peer.Send(new LinkId(3), socket.LocalEndPoint, [5, 6, 7]));
        Assert.Equal(SendOutcome.Sent, peer.Send(new LinkId(3), socket.LocalEndPoint, [8]));

        var received = new List<(LinkId Link, IPEndPoint Source, byte[] Payload)>();
        var deadline = loop.Clock.Now + Duration.FromSeconds(5);
        while (received.Count < 2 && loop.Clock.Now < deadline)
        {
            loop.WaitForInput(deadline);
            loop.ReceiveAvailable(64, (link, source, payload) => received.Add((link, source, payload.ToArray())));
        }

        Assert.Equal(2, received.Count);
        Assert.All(received, r => Assert.Equal(new LinkId(3), r.Link));
        Assert.All(received, r => Assert.Equal(sender.LocalEndPoint, r.Source));
        Assert.Same(received[0].Source, received[1].Source);
        Assert.Equal([5, 6, 7], received[0].Payload);
        Assert.Equal([8], received[1].Payload);
        Assert.Equal(0, loop.Datagrams.Count);
        Assert.False(loop.ReceiveAvailable(64, (_, _, _) => Assert.Fail("the socket was drained")));
    }

    [Fact]
    public async Task Wake_from_another_thread_ends_a_poll_whose_deadline_is_far_away()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "poll and eventfd are Linux's");
        using var loop = new UdpTransport(new MonotonicClock(), receiveOnLoop: true);
        loop.Open(new LinkId(0), LoopbackAnyPort);
        var woken = false;
        var waiter = Task.Factory.StartNew(() =>
        {
            var watch = Stopwatch.StartNew();
            var input = loop.WaitForInput(loop.Clock.Now + Duration.FromSeconds(30), () => Volatile.Read(ref woken));
            return (input, watch.Elapsed);
        }, TaskCreationOptions.LongRunning);

        await Task.Delay(100, TestContext.Current.CancellationToken);
        Volatile.Write(ref woken, true);
        loop.Wake();
        var (hasInput, elapsed) = await waiter.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.False(hasInput);
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"the wait lasted {elapsed}");
    }

    /// <summary>
    /// Goal: an idle wake-up costs no system call that finds nothing (issue 12: the loop sleeps until the next deadline).
    /// Method: two link sockets on a real loop; a datagram to one of them; then a wait that ends at its deadline. Only the
    /// socket poll reported readable is read (once more to find it empty), and after the timed-out wait none is.
    /// </summary>
    [Fact]
    public void Only_the_sockets_poll_reports_readable_are_read()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "poll and eventfd are Linux's");
        using var loop = new UdpTransport(new MonotonicClock(), receiveOnLoop: true);
        using var peer = new UdpTransport(new MonotonicClock());
        var busy = loop.Open(new LinkId(0), LoopbackAnyPort);
        var quiet = loop.Open(new LinkId(1), LoopbackAnyPort);
        peer.Open(new LinkId(0), LoopbackAnyPort);

        // A socket just opened is read once (nothing is known about it yet).
        loop.ReceiveAvailable(64, (_, _, _) => Assert.Fail("nothing was sent yet"));
        var (busyEmpty, quietEmpty) = (busy.EmptyReads, quiet.EmptyReads);

        Assert.Equal(SendOutcome.Sent, peer.Send(new LinkId(0), busy.LocalEndPoint, [1, 2]));
        var received = 0;
        var deadline = loop.Clock.Now + Duration.FromSeconds(5);
        while (received == 0 && loop.Clock.Now < deadline)
        {
            loop.WaitForInput(deadline);
            loop.ReceiveAvailable(64, (_, _, _) => received++);
        }

        Assert.Equal(1, received);
        Assert.Equal(busyEmpty + 1, busy.EmptyReads);
        Assert.Equal(quietEmpty, quiet.EmptyReads);

        Assert.False(loop.WaitForInput(loop.Clock.Now + Duration.FromMilliseconds(20)));
        loop.ReceiveAvailable(64, (_, _, _) => Assert.Fail("nothing more was sent"));
        Assert.Equal(busyEmpty + 1, busy.EmptyReads);
        Assert.Equal(quietEmpty, quiet.EmptyReads);
    }

    /// <summary>
    /// Goal: a Wake() that comes while the loop is busy is not lost, and once seen it does not wake the loop again.
    /// Method: Wake() before the wait with nothing queued yet makes the next wait end at once; the wait after that
    /// sleeps until its deadline.
    /// </summary>
    [Fact]
    public void A_wake_while_busy_makes_the_next_wait_return_and_the_one_after_sleep()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "poll and eventfd are Linux's");
        using var loop = new UdpTransport(new MonotonicClock(), receiveOnLoop: true);
        loop.Open(new LinkId(0), LoopbackAnyPort);
        loop.Wake();

        var watch = Stopwatch.StartNew();
        loop.WaitForInput(loop.Clock.Now + Duration.FromSeconds(30), () => false);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the wake-up was lost: the wait lasted {watch.Elapsed}");

        var sleep = TimeSpan.FromMilliseconds(50);
        watch.Restart();
        loop.WaitForInput(loop.Clock.Now + Duration.FromMilliseconds(50), () => false);
        Assert.True(watch.Elapsed >= sleep - TimeSpan.FromMilliseconds(1), $"the wait after the wake-up returned after {watch.Elapsed}, before its deadline: the doorbell was not reset");
    }

    [Fact]
    public void Port_unreachable_read_by_the_loop_becomes_a_link_fault_naming_the_destination()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "IP_RECVERR is Linux's");
        using var loop = new UdpTransport(new MonotonicClock(), receiveOnLoop: true);
        loop.Open(new LinkId(1), LoopbackAnyPort);
        var closed = ClosedLoopbackPort();

        Assert.Equal(SendOutcome.Sent, loop.Send(new LinkId(1), closed, [0x01, 0x81]));

        LinkFault? fault = null;
        var deadline = loop.Clock.Now + Duration.FromSeconds(5);
        while (fault is null && loop.Clock.Now < deadline)
        {
            loop.WaitForInput(deadline);
            loop.ReceiveAvailable(64, (_, _, _) => Assert.Fail("nothing was sent to this socket"));
            if (loop.Faults.TryRead(out var read))
            {
                fault = read;
            }
        }

        Assert.NotNull(fault);
        Assert.Equal(new LinkId(1), fault.Link);
        Assert.Equal(closed, fault.Destination);
        Assert.Equal(LinkFaultKind.PortUnreachable, fault.Kind);
    }

    private static IPEndPoint ClosedLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(LoopbackAnyPort);
        return (IPEndPoint)probe.LocalEndPoint!;
    }
}
