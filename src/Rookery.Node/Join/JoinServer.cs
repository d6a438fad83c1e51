using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Rookery.Node.Logging;

namespace Rookery.Node.Join;

/// <summary>
/// The join endpoint of a running node: TLS (this node's certificate) on TCP <see cref="JoinProtocol.Port"/> of each
/// of its link addresses. One request per connection: a wrong secret is refused before anything else is looked at,
/// then the node checks and applies the join cluster-wide. Joins are handled one at a
/// time. A port that cannot be bound is logged and skipped: the node runs without taking joins on it.
/// </summary>
public sealed class JoinServer : IAsyncDisposable
{
    /// <summary>Connections served at once (the rest wait in the listen backlog).</summary>
    public const int ConnectionsMax = 4;

    private readonly List<TcpListener> _listeners = [];
    private readonly List<Task> _accepting = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _oneJoin = new(1, 1);
    private readonly SemaphoreSlim _connections = new(ConnectionsMax, ConnectionsMax);
    private readonly X509Certificate2 _certificate;
    private readonly string _secret;
    private readonly Func<JoinRequest, CancellationToken, Task<JoinResponse>> _handle;
    private readonly ClusterLog _log;

    private JoinServer(X509Certificate2 certificate, string secret, Func<JoinRequest, CancellationToken, Task<JoinResponse>> handle, ClusterLog log)
    {
        _certificate = certificate;
        _secret = secret;
        _handle = handle;
        _log = log;
    }

    /// <summary>Starts listening on <paramref name="addresses"/>; null when none could be bound or the identity cannot be read.</summary>
    public static JoinServer? TryStart(NodeIdentity identity, IEnumerable<IPAddress> addresses, int port, Func<JoinRequest, CancellationToken, Task<JoinResponse>> handle, ClusterLog log)
    {
        X509Certificate2 certificate;
        string secret;
        try
        {
            certificate = identity.LoadCertificate();
            secret = identity.ReadSecret();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException)
        {
            log.Warning(LogSubsystem.Main, $"join endpoint not started: cannot read {identity.Directory} ({exception.Message})");
            return null;
        }

        var server = new JoinServer(certificate, secret, handle, log);
        foreach (var address in addresses.Distinct())
        {
            var listener = new TcpListener(address, port);
            try
            {
                listener.Start();
            }
            catch (SocketException exception)
            {
                log.Warning(LogSubsystem.Main, $"join endpoint: cannot listen on {address} port {port} ({exception.SocketErrorCode})");
                continue;
            }

            log.Notice(LogSubsystem.Main, $"join endpoint listening on {address} port {port} (TLS, fingerprint {NodeIdentity.Fingerprint(certificate)})");
            server._listeners.Add(listener);
            server._accepting.Add(Task.Run(() => server.AcceptAsync(listener)));
        }

        return server;
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                await _connections.WaitAsync(_stop.Token).ConfigureAwait(false);
                client = await listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(client).ConfigureAwait(false);
                }
                finally
                {
                    client.Dispose();
                    _connections.Release();
                }
            });
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var peer = client.Client.RemoteEndPoint?.ToString() ?? "?";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(JoinProtocol.Timeout);
        try
        {
            await using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _certificate,
                EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
            }, timeout.Token).ConfigureAwait(false);
            var request = JoinProtocol.TryParse(await JoinProtocol.ReadLineAsync(tls, timeout.Token).ConfigureAwait(false), JoinJsonContext.Default.JoinRequest);
            JoinResponse response;
            if (request is null || request.V != JoinProtocol.Version)
            {
                response = new JoinResponse(false) { Error = $"not a join request of protocol version {JoinProtocol.Version}" };
            }
            else if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(request.Secret), Encoding.UTF8.GetBytes(_secret)))
            {
                _log.Warning(LogSubsystem.Main, $"join request from {peer} (node '{request.Node}') refused: wrong join secret");
                response = new JoinResponse(false) { Error = "wrong join secret (see 'rookery join-info' on a member); nothing was changed" };
            }
            else
            {
                _log.Notice(LogSubsystem.Main, $"join request from {peer}: node '{request.Node}' with links {string.Join(", ", request.Links.Select(l => $"{l.Link}={l.Address}"))}");
                await _oneJoin.WaitAsync(timeout.Token).ConfigureAwait(false);
                try
                {
                    response = await _handle(request, timeout.Token).ConfigureAwait(false);
                }
                finally
                {
                    _oneJoin.Release();
                }
            }

            await tls.WriteAsync(JoinProtocol.Serialize(response, JoinJsonContext.Default.JoinResponse), timeout.Token).ConfigureAwait(false);
            await tls.FlushAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or AuthenticationException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            _log.Debug(LogSubsystem.Main, $"join connection from {peer} ended: {exception.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        await Task.WhenAll(_accepting).ConfigureAwait(false);
        _certificate.Dispose();
        _stop.Dispose();
    }
}
