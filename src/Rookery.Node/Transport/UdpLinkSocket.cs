using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Rookery.Node.Transport;

/// <summary>What happened to one <see cref="UdpLinkSocket.Send"/>.</summary>
public enum SendOutcome
{
    Sent,

    /// <summary><c>EMSGSIZE</c>: larger than the local interface allows with DF set (PMTUD probes expect this).</summary>
    TooBig,

    /// <summary>A hard error for the destination (no route, or a queued ICMP error); a <see cref="LinkFault"/> was posted.</summary>
    Unreachable,

    /// <summary>Any other error (buffer full, socket closed); the datagram is lost, which the protocols tolerate.</summary>
    Failed,
}

/// <summary>Takes one datagram read by <see cref="UdpLinkSocket.ReceiveAvailable"/>; <paramref name="payload"/> is valid during the call only.</summary>
public delegate void DatagramSink(LinkId link, IPEndPoint source, ReadOnlySpan<byte> payload);

/// <summary>
/// One UDP socket bound to one local link address (knet: one socket per <c>src_addr</c>). Either a receiver thread
/// drains it (it only copies datagrams into the transport's bounded inbound channel and reads ICMP errors off the
/// socket error queue), or, on Linux when the transport says so, the node loop itself reads it without blocking
/// (<see cref="ReceiveAvailable"/>): no thread hand-off and no copy between the socket and the link layer. Every
/// decision is the node loop's.
/// </summary>
public sealed class UdpLinkSocket : IDisposable
{
    /// <summary>Socket buffer size requested (libknet forces 8 MiB, <c>KNET_RING_RCVBUFF</c>); the kernel may cap it.</summary>
    public const int SocketBufferSize = 8 * 1024 * 1024;

    /// <summary>Peer addresses remembered by the receiver (peers per link in a cluster of 32 nodes fit twice over).</summary>
    private const int SourceCacheSize = 64;

    /// <summary>Destinations remembered by the sender; the table is cleared when it passes this (addresses change only by reload).</summary>
    private const int DestinationCacheMax = 1024;

    /// <summary>Room for a sockaddr_in6 and more.</summary>
    private const int SocketAddressBytesMax = 128;

    private const int MsgDontwait = 0x40;
    private const int Eagain = 11;
    private const int Eintr = 4;

    private const int SolIp = 0;
    private const int IpMtuDiscover = 10;

    /// <summary><c>IP_PMTUDISC_PROBE</c>: set DF and ignore the kernel's path-MTU cache, as libknet does, so PMTUD measures the path itself.</summary>
    private const int IpPmtudiscProbe = 3;

    private readonly Socket _socket;
    private readonly MonotonicClock _clock;
    private readonly ChannelWriter<ReceivedDatagram> _inbound;
    private readonly ChannelWriter<LinkFault> _faults;
    private readonly ManualResetEventSlim? _doorbell;
    private readonly Thread? _receiver;

    // Loop mode: the node loop reads the socket into these (one thread only).
    private readonly byte[]? _loopBuffer;
    private readonly byte[] _loopAddress = new byte[SocketAddressBytesMax];

    // Sources seen lately, so a datagram from a known peer reuses its IPEndPoint (receiver thread only).
    private readonly (SocketAddress Address, IPEndPoint EndPoint)?[] _sources = new (SocketAddress, IPEndPoint)?[SourceCacheSize];
    private int _sourcesNext;

    // Destinations in socket form, so a send does not serialize the address again (node loop only).
    private readonly Dictionary<IPEndPoint, SocketAddress> _destinations = [];
    private volatile bool _closing;
    private bool _pendingErrorSurfaced;
    private long _received;
    private long _emptyReads;
    private long _receiveErrors;
    private long _sendErrors;
    private long _faultsReported;

    internal UdpLinkSocket(
        LinkId link,
        IPEndPoint localEndPoint,
        MonotonicClock clock,
        ChannelWriter<ReceivedDatagram> inbound,
        ChannelWriter<LinkFault> faults,
        ManualResetEventSlim? doorbell = null,
        bool receiveOnLoop = false)
    {
        Invariant.Require(link.IsValid);
        Link = link;
        _clock = clock;
        _inbound = inbound;
        _faults = faults;
        _doorbell = doorbell;
        _socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.ReceiveBufferSize = SocketBufferSize;
            _socket.SendBufferSize = SocketBufferSize;
            ErrorQueueEnabled = SocketErrorQueue.Enable(_socket);
            if (OperatingSystem.IsLinux() && localEndPoint.AddressFamily == AddressFamily.InterNetwork)
            {
                Span<byte> value = stackalloc byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(value, IpPmtudiscProbe);
                _socket.SetRawSocketOption(SolIp, IpMtuDiscover, value);
            }

            _socket.Bind(localEndPoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        if (receiveOnLoop)
        {
            ReceivesOnLoop = true;
            _loopBuffer = GC.AllocateUninitializedArray<byte>(ushort.MaxValue, pinned: true);
            return;
        }

        _receiver = new Thread(ReceiveLoop)
        {
            IsBackground = true,
            Name = $"rookery-rx-link{link.Value}",
        };
        _receiver.Start();
    }

    public LinkId Link { get; }

    /// <summary>True when the node loop reads this socket (<see cref="ReceiveAvailable"/>); false when a receiver thread does.</summary>
    public bool ReceivesOnLoop { get; }

    /// <summary>The socket's file descriptor, for the loop's <c>poll</c>.</summary>
    internal int FileDescriptor => (int)_socket.SafeHandle.DangerousGetHandle();

    /// <summary>The bound address and port (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>False where ICMP errors cannot be attributed to a destination (non-Linux, IPv6 for now).</summary>
    public bool ErrorQueueEnabled { get; }

    public long DatagramsReceived => Interlocked.Read(ref _received);

    /// <summary>Loop mode: reads that found the socket empty (each a system call that returned EAGAIN).</summary>
    public long EmptyReads => Interlocked.Read(ref _emptyReads);

    public long ReceiveErrors => Interlocked.Read(ref _receiveErrors);

    public long SendErrors => Interlocked.Read(ref _sendErrors);

    public long FaultsReported => Interlocked.Read(ref _faultsReported);

    /// <summary>UDP payload every IPv4 path carries (RFC 791's 576-byte datagram less 60 bytes of IP and 8 of UDP header).</summary>
    private const int SmallestPathPayload = 508;

    /// <summary>
    /// Sends one datagram (called from the node loop). Never throws for network conditions: a hard
    /// error becomes a <see cref="LinkFault"/> on the transport's fault channel.
    /// </summary>
    public SendOutcome Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var outcome = TrySend(destination, datagram);
        if (outcome == SendOutcome.Unreachable && _pendingErrorSurfaced)
        {
            // The error belonged to an earlier datagram (now read off the queue); this one was not sent yet.
            _pendingErrorSurfaced = false;
            outcome = TrySend(destination, datagram);
        }
        else if (outcome == SendOutcome.TooBig && datagram.Length <= SmallestPathPayload)
        {
            // No path carries less than this, so the EMSGSIZE belonged to an earlier datagram (seen once in CI under
            // load, right after a refused 64 KiB send); this one was not sent yet.
            outcome = TrySend(destination, datagram);
        }

        return outcome;
    }

    private SendOutcome TrySend(IPEndPoint destination, ReadOnlySpan<byte> datagram)
    {
        try
        {
            if (!_destinations.TryGetValue(destination, out var address))
            {
                if (_destinations.Count >= DestinationCacheMax)
                {
                    _destinations.Clear();
                }

                address = destination.Serialize();
                _destinations[destination] = address;
            }

            _socket.SendTo(datagram, SocketFlags.None, address);
            return SendOutcome.Sent;
        }
        catch (SocketException exception)
        {
            Interlocked.Increment(ref _sendErrors);
            return OnSendError(destination, exception.SocketErrorCode);
        }
        catch (ObjectDisposedException)
        {
            return SendOutcome.Failed;
        }
    }

    public void Dispose()
    {
        if (_closing)
        {
            return;
        }

        _closing = true;
        _socket.Dispose();
        if (_receiver is not null && Thread.CurrentThread != _receiver)
        {
            _receiver.Join(TimeSpan.FromSeconds(5));
        }
    }

    private SendOutcome OnSendError(IPEndPoint destination, SocketError error)
    {
        switch (error)
        {
            case SocketError.MessageSize:
                return SendOutcome.TooBig;
            case SocketError.NetworkUnreachable or SocketError.NetworkDown:
                Report(new LinkFault(Link, destination, LinkFaultKind.NetworkUnreachable, (int)error, FromIcmp: false, _clock.Now));
                return SendOutcome.Unreachable;
            case SocketError.HostUnreachable or SocketError.HostDown:
                Report(new LinkFault(Link, destination, LinkFaultKind.HostUnreachable, (int)error, FromIcmp: false, _clock.Now));
                return SendOutcome.Unreachable;
            case SocketError.ConnectionRefused or SocketError.ConnectionReset:
                // A queued ICMP error surfaced on this send; it may concern another destination. The queue says which.
                DrainErrorQueue();
                _pendingErrorSurfaced = true;
                return SendOutcome.Unreachable;
            default:
                return SendOutcome.Failed;
        }
    }

    private void ReceiveLoop()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ushort.MaxValue, pinned: true);
        var address = new SocketAddress(_socket.AddressFamily);
        while (!_closing)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, SocketFlags.None, address);
            }
            catch (SocketException) when (_closing)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException exception) when (IsQueuedIcmpError(exception.SocketErrorCode))
            {
                DrainErrorQueue();
                continue;
            }
            catch (SocketException)
            {
                Interlocked.Increment(ref _receiveErrors);
                continue;
            }

            var at = _clock.Now;
            var source = Source(address);
            Interlocked.Increment(ref _received);
            var copy = ArrayPool<byte>.Shared.Rent(length);
            buffer.AsSpan(0, length).CopyTo(copy);
            _inbound.TryWrite(new ReceivedDatagram(Link, source, copy.AsMemory(0, length), at) { Pooled = copy });
            _doorbell?.Set();
        }
    }

    /// <summary>
    /// Loop mode: reads up to <paramref name="max"/> waiting datagrams without blocking and hands each to
    /// <paramref name="sink"/> straight from the socket's buffer; ICMP errors met on the way go to the fault channel.
    /// Returns how many were read (fewer than <paramref name="max"/> means the socket is drained).
    /// </summary>
    public int ReceiveAvailable(int max, DatagramSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        Invariant.Require(ReceivesOnLoop);
        if (_closing)
        {
            return 0;
        }

        var added = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref added);
            var fd = _socket.SafeHandle.DangerousGetHandle();
            var count = 0;
            while (count < max)
            {
                var addressLength = (uint)_loopAddress.Length;
                var length = RecvFrom(fd, ref _loopBuffer![0], _loopBuffer.Length, MsgDontwait, ref _loopAddress[0], ref addressLength);
                if (length < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Eintr)
                    {
                        continue;
                    }

                    if (errno == Eagain)
                    {
                        _emptyReads++;
                        return count;
                    }

                    if (IsQueuedIcmpErrno(errno))
                    {
                        DrainErrorQueue();
                        continue;
                    }

                    Interlocked.Increment(ref _receiveErrors);
                    return count;
                }

                count++;
                Interlocked.Increment(ref _received);
                sink(Link, Source(_loopAddress.AsSpan(0, (int)Math.Min(addressLength, (uint)_loopAddress.Length))), _loopBuffer.AsSpan(0, (int)length));
            }

            return count;
        }
        finally
        {
            if (added)
            {
                _socket.SafeHandle.DangerousRelease();
            }
        }
    }

    /// <summary>Loop mode: reads the socket's error queue (poll reported POLLERR); ICMP errors become faults, local ones are dropped.</summary>
    internal void DrainErrors()
    {
        if (!_closing)
        {
            DrainErrorQueue();
        }
    }

    private static bool IsQueuedIcmpErrno(int errno) =>
        errno is SocketErrorQueue.Econnrefused or SocketErrorQueue.Ehostunreach or SocketErrorQueue.Ehostdown
            or SocketErrorQueue.Enetunreach or SocketErrorQueue.Enetdown or 104 /* ECONNRESET */;

    /// <summary>The sender's endpoint for a raw <c>sockaddr</c>: the one already made for it, or a new one remembered.</summary>
    private IPEndPoint Source(ReadOnlySpan<byte> raw)
    {
        foreach (var entry in _sources)
        {
            if (entry is { } known && known.Address.Buffer.Span[..known.Address.Size].SequenceEqual(raw))
            {
                return known.EndPoint;
            }
        }

        var address = new SocketAddress(_socket.AddressFamily, raw.Length);
        raw.CopyTo(address.Buffer.Span);
        return Source(address);
    }

    [DllImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    private static extern nint RecvFrom(nint fd, ref byte buffer, nint length, int flags, ref byte address, ref uint addressLength);

    /// <summary>The sender's endpoint: the one already made for this address, or a new one remembered.</summary>
    private IPEndPoint Source(SocketAddress address)
    {
        foreach (var entry in _sources)
        {
            if (entry is { } known && known.Address.Equals(address))
            {
                return known.EndPoint;
            }
        }

        var endPoint = (IPEndPoint)LocalEndPoint.Create(address);
        _sources[_sourcesNext] = (endPoint.Serialize(), endPoint);
        _sourcesNext = (_sourcesNext + 1) % _sources.Length;
        return endPoint;
    }

    private static bool IsQueuedIcmpError(SocketError error) =>
        error is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.HostUnreachable
            or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown;

    private void DrainErrorQueue()
    {
        if (!ErrorQueueEnabled)
        {
            return;
        }

        SocketErrorQueue.Drain(_socket, entry =>
        {
            if (entry.Origin != SocketErrorQueue.OriginIcmp)
            {
                return; // local errors (EMSGSIZE of a PMTUD probe) were already seen by the sender
            }

            LinkFaultKind? kind = entry.Errno switch
            {
                SocketErrorQueue.Econnrefused => LinkFaultKind.PortUnreachable,
                SocketErrorQueue.Ehostunreach or SocketErrorQueue.Ehostdown => LinkFaultKind.HostUnreachable,
                SocketErrorQueue.Enetunreach or SocketErrorQueue.Enetdown => LinkFaultKind.NetworkUnreachable,
                _ => null,
            };
            if (kind is { } hard)
            {
                Report(new LinkFault(Link, entry.Destination, hard, entry.Errno, FromIcmp: true, _clock.Now));
            }
        });
    }

    private void Report(LinkFault fault)
    {
        Interlocked.Increment(ref _faultsReported);
        _faults.TryWrite(fault);
        _doorbell?.Set();
    }
}
