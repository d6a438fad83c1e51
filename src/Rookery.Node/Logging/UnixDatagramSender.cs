using System.Net.Sockets;

namespace Rookery.Node.Logging;

/// <summary>
/// Sends datagrams to one Unix socket (the journal's, syslog's) from any thread. A datagram the socket does not take
/// (nobody listens, a full queue, after dispose) is counted, never thrown or logged.
/// </summary>
public sealed class UnixDatagramSender : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly UnixDomainSocketEndPoint _endPoint;
    private readonly Lock _lock = new();
    private long _dropped;

    public UnixDatagramSender(string socketPath) => _endPoint = new UnixDomainSocketEndPoint(socketPath);

    /// <summary>Datagrams not taken.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Send(byte[] datagram)
    {
        lock (_lock)
        {
            try
            {
                _socket.SendTo(datagram, _endPoint);
            }
            catch (SocketException)
            {
                Interlocked.Increment(ref _dropped);
            }
            catch (ObjectDisposedException)
            {
                Interlocked.Increment(ref _dropped);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _socket.Dispose();
        }
    }
}
