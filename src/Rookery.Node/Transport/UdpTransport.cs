using System.Net;
using System.Threading.Channels;
using Rookery.Config;

namespace Rookery.Node.Transport;

/// <summary>
/// The node's UDP shell for the link layer: one <see cref="UdpLinkSocket"/> per local link address,
/// a bounded inbound channel the receiver threads fill and the node loop drains, and a fault
/// channel for "link down at once" errors (ICMP port/host/network unreachable, no route).
/// </summary>
/// <remarks>
/// Threading: receivers write, one loop thread reads, opens, closes and sends. Overload of the inbound
/// channel drops the newest datagram and counts it, which looks like packet loss to the protocols.
/// </remarks>
public sealed class UdpTransport : IDisposable
{
    /// <summary>Inbound datagrams buffered between receiver threads and the node loop.</summary>
    public const int InboundCapacityDefault = 4096;

    /// <summary>Faults buffered; when full the oldest is dropped (a newer fault says the same or more).</summary>
    public const int FaultCapacity = 1024;

    private readonly Channel<ReceivedDatagram> _inbound;
    private readonly Channel<LinkFault> _faults;
    private readonly UdpLinkSocket?[] _sockets = new UdpLinkSocket?[Limits.LinksMax];

    // The node loop's wake-up: the receivers set it each time they queue a datagram or a fault, Wake() when other work
    // is queued; WaitForInput resets it before it looks, so nothing is missed. No spinning before blocking: at a few
    // hundred wake-ups a second, spinning would be most of the idle CPU.
    private readonly ManualResetEventSlim _doorbell = new(initialState: false, spinCount: 0);
    private long _datagramsDropped;
    private long _faultsDropped;
    private bool _disposed;

    public UdpTransport(MonotonicClock clock, int inboundCapacity = InboundCapacityDefault)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(inboundCapacity, 1);
        Clock = clock;
        // Overload drops the newest datagram (looks like loss); a full fault queue drops the oldest fault.
        _inbound = Bounded<ReceivedDatagram>(inboundCapacity, BoundedChannelFullMode.DropWrite, () => Interlocked.Increment(ref _datagramsDropped));
        _faults = Bounded<LinkFault>(FaultCapacity, BoundedChannelFullMode.DropOldest, () => Interlocked.Increment(ref _faultsDropped));
    }

    public MonotonicClock Clock { get; }

    /// <summary>True when a datagram or a fault is queued.</summary>
    public bool HasInput => _inbound.Reader.Count > 0 || _faults.Reader.Count > 0;

    public ChannelReader<ReceivedDatagram> Datagrams => _inbound.Reader;

    public ChannelReader<LinkFault> Faults => _faults.Reader;

    /// <summary>Datagrams dropped because the node loop fell behind (inbound channel full).</summary>
    public long DatagramsDropped => Interlocked.Read(ref _datagramsDropped);

    public long FaultsDropped => Interlocked.Read(ref _faultsDropped);

    /// <summary>The open socket of <paramref name="link"/>, or null.</summary>
    public UdpLinkSocket? this[LinkId link] => _sockets[link.Value];

    /// <summary>
    /// Binds the socket of <paramref name="link"/> to <paramref name="localEndPoint"/> (address of the
    /// link's <c>ringN_addr</c>, port from <see cref="LinkPorts.For(LinkId, int?)"/>) and starts its receiver.
    /// The socket belongs to the network namespace of the calling thread.
    /// </summary>
    public UdpLinkSocket Open(LinkId link, IPEndPoint localEndPoint)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(localEndPoint);
        if (!link.IsValid)
        {
            throw new ArgumentOutOfRangeException(nameof(link), link, $"link number must be below {Limits.LinksMax}");
        }

        if (_sockets[link.Value] is not null)
        {
            throw new InvalidOperationException($"link {link} already has a socket ({_sockets[link.Value]!.LocalEndPoint})");
        }

        var socket = new UdpLinkSocket(link, localEndPoint, Clock, _inbound.Writer, _faults.Writer, _doorbell);
        _sockets[link.Value] = socket;
        return socket;
    }

    /// <summary>Closes the socket of a link removed at runtime. No-op when it has none.</summary>
    public void Close(LinkId link)
    {
        var socket = _sockets[link.Value];
        _sockets[link.Value] = null;
        socket?.Dispose();
    }

    /// <summary>Sends on the socket of <paramref name="link"/>; <see cref="SendOutcome.Failed"/> when the link has none.</summary>
    public SendOutcome Send(LinkId link, IPEndPoint destination, ReadOnlySpan<byte> datagram) =>
        _sockets[link.Value] is { } socket ? socket.Send(destination, datagram) : SendOutcome.Failed;

    /// <summary>Wakes a thread blocked in <see cref="WaitForInput"/> (callable from any thread).</summary>
    public void Wake() => _doorbell.Set();

    /// <summary>
    /// Blocks the calling thread (the node loop) until a datagram or a fault is queued, <see cref="Wake"/> is called,
    /// or <paramref name="deadline"/> passes: one futex wait per wake-up, no timer thread, no task, no allocation.
    /// <paramref name="otherWork"/> (the caller's own queue, whose producers call <see cref="Wake"/>) is looked at after
    /// the doorbell is reset, so a wake-up between the caller's last look and the wait is never lost. Returns true when
    /// a datagram or a fault is waiting.
    /// </summary>
    public bool WaitForInput(Instant deadline, Func<bool>? otherWork = null)
    {
        _doorbell.Reset();
        if (HasInput || otherWork?.Invoke() == true)
        {
            return HasInput;
        }

        var timeout = Clock.Until(deadline);
        if (timeout == TimeSpan.Zero)
        {
            return false;
        }

        // Whole milliseconds, rounded up: a timer is never fired early, and a sub-millisecond wait does not spin.
        _doorbell.Wait(timeout == Timeout.InfiniteTimeSpan ? Timeout.Infinite : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds)));
        return HasInput;
    }

    /// <summary>
    /// Waits until a datagram or a fault is queued, <paramref name="deadline"/> passes (the cores'
    /// <c>NextDeadline</c>) or <paramref name="cancellationToken"/> fires. Returns true when input is waiting.
    /// </summary>
    public async ValueTask<bool> WaitForInputAsync(Instant deadline, CancellationToken cancellationToken)
    {
        if (HasInput)
        {
            return true;
        }

        var timeout = Clock.Until(deadline);
        if (timeout == TimeSpan.Zero)
        {
            return false;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            wait.CancelAfter(timeout);
        }

        var datagram = _inbound.Reader.WaitToReadAsync(wait.Token).AsTask();
        var fault = _faults.Reader.WaitToReadAsync(wait.Token).AsTask();
        try
        {
            await Task.WhenAny(datagram, fault).ConfigureAwait(false);
        }
        finally
        {
            await wait.CancelAsync().ConfigureAwait(false);

            // The other wait was released by our own cancel, or the deadline came first: no exception thrown for
            // that (this runs for every datagram; a throw per wake-up was most of the idle CPU). The caller's
            // cancellation is checked below.
            await Task.WhenAll((Task)datagram, fault).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return HasInput;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        for (var i = 0; i < _sockets.Length; i++)
        {
            _sockets[i]?.Dispose();
            _sockets[i] = null;
        }

        _inbound.Writer.TryComplete();
        _faults.Writer.TryComplete();

        // A loop blocked in WaitForInput wakes and finds the transport closed.
        _doorbell.Set();
    }

    private static Channel<T> Bounded<T>(int capacity, BoundedChannelFullMode fullMode, Action dropped) =>
        Channel.CreateBounded<T>(
            new BoundedChannelOptions(capacity) { FullMode = fullMode, SingleReader = true, SingleWriter = false },
            _ => dropped());

}
