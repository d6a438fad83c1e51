using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
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

/// <summary>
/// One UDP socket bound to one local link address (knet: one socket per <c>src_addr</c>) and the
/// receiver thread that drains it. The receiver only copies datagrams into the transport's bounded
/// inbound channel and reads ICMP errors off the socket error queue; every decision is the node loop's.
/// </summary>
public sealed class UdpLinkSocket : IDisposable
{
    /// <summary>Socket buffer size requested (libknet forces 8 MiB, <c>KNET_RING_RCVBUFF</c>); the kernel may cap it.</summary>
    public const int SocketBufferSize = 8 * 1024 * 1024;

    private const int SolIp = 0;
    private const int IpMtuDiscover = 10;

    /// <summary><c>IP_PMTUDISC_PROBE</c>: set DF and ignore the kernel's path-MTU cache, as libknet does, so PMTUD measures the path itself.</summary>
    private const int IpPmtudiscProbe = 3;

    private readonly Socket _socket;
    private readonly MonotonicClock _clock;
    private readonly ChannelWriter<ReceivedDatagram> _inbound;
    private readonly ChannelWriter<LinkFault> _faults;
    private readonly ManualResetEventSlim? _doorbell;
    private readonly Thread _receiver;
    private volatile bool _closing;
    private bool _pendingErrorSurfaced;
    private long _received;
    private long _receiveErrors;
    private long _sendErrors;
    private long _faultsReported;

    internal UdpLinkSocket(
        LinkId link,
        IPEndPoint localEndPoint,
        MonotonicClock clock,
        ChannelWriter<ReceivedDatagram> inbound,
        ChannelWriter<LinkFault> faults,
        ManualResetEventSlim? doorbell = null)
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
        _receiver = new Thread(ReceiveLoop)
        {
            IsBackground = true,
            Name = $"rookery-rx-link{link.Value}",
        };
        _receiver.Start();
    }

    public LinkId Link { get; }

    /// <summary>The bound address and port (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>False where ICMP errors cannot be attributed to a destination (non-Linux, IPv6 for now).</summary>
    public bool ErrorQueueEnabled { get; }

    public long DatagramsReceived => Interlocked.Read(ref _received);

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
            _socket.SendTo(datagram, SocketFlags.None, destination);
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
        if (Thread.CurrentThread != _receiver)
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
            var source = (IPEndPoint)LocalEndPoint.Create(address);
            Interlocked.Increment(ref _received);
            _inbound.TryWrite(new ReceivedDatagram(Link, source, buffer.AsSpan(0, length).ToArray(), at));
            _doorbell?.Set();
        }
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
