using System.Net;
using System.Runtime.InteropServices;
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
/// With <c>receiveOnLoop</c> (Linux; the daemon) there are no receiver threads: the loop sleeps in <c>poll</c> on the
/// sockets and an eventfd (its doorbell) and reads the sockets itself (<see cref="ReceiveAvailable"/>), so a datagram
/// wakes one thread instead of two and reaches the link layer without a copy or a queue.
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
    // Loop mode: the eventfd that Wake() writes and the poll set (the sockets, then the eventfd), rebuilt on open/close.
    private readonly int _eventFd = -1;
    private PollFd[] _pollSet = [];
    // Loop mode: which sockets may hold datagrams (by link number): set when poll reports one readable, or a read stopped
    // at its batch limit; cleared when a read finds the socket empty. A socket known empty is not read again before poll
    // says otherwise: an idle wake-up then costs no empty reads (each was a system call returning EAGAIN).
    private readonly bool[] _mayBeReadable = new bool[Limits.LinksMax];
    // Loop mode: poll reported the eventfd readable; it is read (reset) before the caller's queue is looked at next.
    private bool _eventFdRang;
    private long _datagramsDropped;
    private long _faultsDropped;
    private bool _disposed;

    /// <param name="clock">The node's clock.</param>
    /// <param name="inboundCapacity">Datagrams the receiver threads may queue.</param>
    /// <param name="receiveOnLoop">The loop reads the sockets itself (Linux only; elsewhere receiver threads do).</param>
    public UdpTransport(MonotonicClock clock, int inboundCapacity = InboundCapacityDefault, bool receiveOnLoop = false)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(inboundCapacity, 1);
        Clock = clock;
        if (receiveOnLoop && OperatingSystem.IsLinux())
        {
            _eventFd = EventFd(0, EfdNonblock | EfdCloexec);
            ReceivesOnLoop = _eventFd >= 0;
            RebuildPollSet();
        }

        // Overload drops the newest datagram (looks like loss); a full fault queue drops the oldest fault.
        _inbound = Bounded<ReceivedDatagram>(inboundCapacity, BoundedChannelFullMode.DropWrite, datagram =>
        {
            datagram.Release();
            Interlocked.Increment(ref _datagramsDropped);
        });
        _faults = Bounded<LinkFault>(FaultCapacity, BoundedChannelFullMode.DropOldest, _ => Interlocked.Increment(ref _faultsDropped));
    }

    public MonotonicClock Clock { get; }

    /// <summary>True when the loop reads the sockets (<see cref="ReceiveAvailable"/>) and sleeps in <c>poll</c>.</summary>
    public bool ReceivesOnLoop { get; }

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

        var socket = new UdpLinkSocket(link, localEndPoint, Clock, _inbound.Writer, _faults.Writer, _doorbell, ReceivesOnLoop);
        _sockets[link.Value] = socket;
        _mayBeReadable[link.Value] = true;
        RebuildPollSet();
        return socket;
    }

    /// <summary>Closes the socket of a link removed at runtime. No-op when it has none.</summary>
    public void Close(LinkId link)
    {
        var socket = _sockets[link.Value];
        _sockets[link.Value] = null;
        socket?.Dispose();
        RebuildPollSet();
    }

    /// <summary>
    /// Loop mode: reads what waits on every socket that may hold datagrams (poll reported it readable, or the last read
    /// stopped at its limit, or the last turn did not sleep in poll), at most <paramref name="perSocketMax"/> datagrams
    /// each (so timers and sends get their turn under load), handing each to <paramref name="sink"/>. Returns true when
    /// a socket may hold more.
    /// </summary>
    public bool ReceiveAvailable(int perSocketMax, DatagramSink sink)
    {
        var more = false;
        for (var link = 0; link < _sockets.Length; link++)
        {
            if (_sockets[link] is not { ReceivesOnLoop: true } socket || !_mayBeReadable[link])
            {
                continue;
            }

            var full = socket.ReceiveAvailable(perSocketMax, sink) >= perSocketMax;
            _mayBeReadable[link] = full;
            more |= full;
        }

        return more;
    }

    /// <summary>Sends on the socket of <paramref name="link"/>; <see cref="SendOutcome.Failed"/> when the link has none.</summary>
    public SendOutcome Send(LinkId link, IPEndPoint destination, ReadOnlySpan<byte> datagram) =>
        _sockets[link.Value] is { } socket ? socket.Send(destination, datagram) : SendOutcome.Failed;

    /// <summary>Wakes a thread blocked in <see cref="WaitForInput"/> (callable from any thread).</summary>
    public void Wake()
    {
        if (ReceivesOnLoop)
        {
            if (_disposed)
            {
                return;
            }

            ulong one = 1;
            _ = Write(_eventFd, ref one, sizeof(ulong));
            return;
        }

        _doorbell.Set();
    }

    /// <summary>
    /// Blocks the calling thread (the node loop) until a datagram or a fault is queued, <see cref="Wake"/> is called,
    /// or <paramref name="deadline"/> passes: one futex wait per wake-up, no timer thread, no task, no allocation.
    /// <paramref name="otherWork"/> (the caller's own queue, whose producers call <see cref="Wake"/>) is looked at after
    /// the doorbell is reset, so a wake-up between the caller's last look and the wait is never lost. Returns true when
    /// a datagram or a fault is waiting.
    /// </summary>
    public bool WaitForInput(Instant deadline, Func<bool>? otherWork = null)
    {
        if (ReceivesOnLoop)
        {
            return PollForInput(deadline, otherWork);
        }

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
    /// Loop mode: sleeps in <c>poll</c> until a socket is readable, the eventfd rings (<see cref="Wake"/>) or the deadline
    /// passes, and notes which sockets poll found readable (<see cref="ReceiveAvailable"/> reads only those). The eventfd
    /// is read empty, when poll saw it ring, before the caller's work is looked at, so a wake-up is never lost.
    /// </summary>
    private bool PollForInput(Instant deadline, Func<bool>? otherWork)
    {
        if (_eventFdRang)
        {
            // Only when poll said it rang: an unconditional read cost a system call (EAGAIN) on every wake-up. A Wake()
            // that came while the loop was busy leaves the eventfd readable, so the poll below returns at once.
            ulong value = 0;
            _ = Read(_eventFd, ref value, sizeof(ulong));
            _eventFdRang = false;
        }

        if (_faults.Reader.Count > 0 || otherWork?.Invoke() == true)
        {
            MayAllBeReadable();
            return _faults.Reader.Count > 0;
        }

        var timeout = Clock.Until(deadline);
        if (timeout == TimeSpan.Zero)
        {
            MayAllBeReadable();
            return false;
        }

        var set = _pollSet;
        for (var i = 0; i < set.Length; i++)
        {
            set[i].Revents = 0;
        }

        var milliseconds = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));
        var ready = Poll(set, (nuint)set.Length, milliseconds);
        if (ready <= 0)
        {
            return false;
        }

        var readable = false;
        for (var i = 0; i < set.Length - 1; i++)
        {
            if ((set[i].Revents & PollErr) != 0 && SocketOf(set[i].Fd) is { } socket)
            {
                // The error queue is not empty (an ICMP error, or EMSGSIZE of a PMTUD probe): poll says so until it
                // is read, so read it now, or the loop would spin.
                socket.DrainErrors();
            }

            if ((set[i].Revents & PollIn) != 0 && SocketOf(set[i].Fd) is { } readableSocket)
            {
                _mayBeReadable[readableSocket.Link.Value] = true;
                readable = true;
            }
        }

        _eventFdRang = (set[^1].Revents & PollIn) != 0;
        return readable || _faults.Reader.Count > 0;
    }

    /// <summary>A turn that does not sleep in poll reads every socket, as before poll told which were readable: a busy loop must not starve them.</summary>
    private void MayAllBeReadable() => Array.Fill(_mayBeReadable, true);

    private UdpLinkSocket? SocketOf(int fd)
    {
        foreach (var socket in _sockets)
        {
            if (socket is not null && socket.FileDescriptor == fd)
            {
                return socket;
            }
        }

        return null;
    }

    private void RebuildPollSet()
    {
        if (!ReceivesOnLoop)
        {
            return;
        }

        var set = new List<PollFd>();
        foreach (var socket in _sockets)
        {
            if (socket is not null)
            {
                set.Add(new PollFd { Fd = socket.FileDescriptor, Events = PollIn });
            }
        }

        set.Add(new PollFd { Fd = _eventFd, Events = PollIn });
        _pollSet = [.. set];
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
        if (ReceivesOnLoop)
        {
            ulong one = 1;
            _ = Write(_eventFd, ref one, sizeof(ulong));
            _ = CloseFd(_eventFd);
        }
    }

    private static Channel<T> Bounded<T>(int capacity, BoundedChannelFullMode fullMode, Action<T> dropped) =>
        Channel.CreateBounded<T>(
            new BoundedChannelOptions(capacity) { FullMode = fullMode, SingleReader = true, SingleWriter = false },
            dropped);


    private const short PollIn = 0x1;
    private const short PollErr = 0x8;
    private const int EfdNonblock = 0x800;
    private const int EfdCloexec = 0x80000;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll([In, Out] PollFd[] fds, nuint count, int timeoutMilliseconds);

    [DllImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static extern int EventFd(uint initial, int flags);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, ref ulong value, nint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int CloseFd(int fd);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    private static extern nint Write(int fd, ref ulong value, nint count);
}
