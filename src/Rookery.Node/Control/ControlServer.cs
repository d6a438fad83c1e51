using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Rookery.Control;
using Rookery.Node.Logging;

namespace Rookery.Node.Control;

/// <summary>
/// Serves <see cref="INodeControl"/> on a Unix stream socket (mode 0600) with the JSON-lines protocol of
/// <see cref="ControlProtocol"/>. Each connection is served on its own task; a bad frame gets an error reply and
/// the connection goes on; a failing connection never affects the node or the others.
/// </summary>
public sealed class ControlServer : IAsyncDisposable
{
    private readonly string _path;
    private readonly INodeControl _node;
    private readonly ClusterLog _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly HashSet<Task> _connections = [];
    private readonly ControlAccess _access;
    private int _reservedConnections;
    private Socket? _listener;
    private Task? _acceptLoop;
    private long _errorReplies;

    /// <param name="path">The socket path.</param>
    /// <param name="node">What requests are served by.</param>
    /// <param name="log">The node's log.</param>
    /// <param name="access">Who may connect (SO_PEERCRED); root and the daemon's user when null.</param>
    public ControlServer(string path, INodeControl node, ClusterLog log, ControlAccess? access = null)
    {
        _path = path;
        _node = node;
        _log = log;
        _access = access ?? ControlAccess.OwnerOnly;
    }

    /// <summary>The socket path.</summary>
    public string Path => _path;

    /// <summary>Requests answered with an error (malformed, too large, unknown command, refused); counted, logged at debug.</summary>
    public long ErrorReplies => Interlocked.Read(ref _errorReplies);

    /// <summary>The version string the daemon reports in <c>hello</c>.</summary>
    public static string ProductVersion { get; } =
        typeof(ControlServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    /// <summary>Binds the socket (replacing a stale one, refusing a live one) and starts accepting.</summary>
    /// <exception cref="IOException">Another daemon answers on the path, or the path cannot be bound.</exception>
    public void Start()
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path));
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory) && !OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        if (File.Exists(_path))
        {
            if (IsAnswering(_path))
            {
                throw new IOException($"another rookery daemon is already running on control socket {_path}; stop it first or pass --socket PATH");
            }

            File.Delete(_path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(_path));
            if (!OperatingSystem.IsWindows())
            {
                // Other users may connect only when corosync.conf's uidgid names them; SO_PEERCRED decides then.
                File.SetUnixFileMode(_path, _access.AllowsOthers
                    ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(ControlProtocol.ClientsMax + ControlLimits.ReservedClientsMax);
        }
        catch (SocketException exception)
        {
            listener.Dispose();
            throw new IOException($"cannot listen on control socket {_path}: {exception.Message}", exception);
        }

        _listener = listener;
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, _stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        Task[] connections;
        lock (_lock)
        {
            connections = _connections.ToArray();
        }

        await Task.WhenAll(connections).ConfigureAwait(false);
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Already gone, or the directory went away: nothing to clean up.
        }

        _stop.Dispose();
    }

    private static bool IsAnswering(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException exception)
            {
                _log.Error(LogSubsystem.Ipc, $"control socket accept failed: {exception.SocketErrorCode}");
                continue;
            }

            var peer = PeerCredentials.Of(client);
            if (peer is { } credentials && !_access.Allows(credentials))
            {
                _log.Warning(LogSubsystem.Ipc, $"control connection refused: {credentials} is not root, the daemon's user or in corosync.conf's uidgid");
                _ = RefuseAsync(client, ControlErrorCodes.Refused,
                    $"permission denied: uid {credentials.Uid} / gid {credentials.Gid} may not use this daemon (root, its own user, or uidgid in corosync.conf)");
                continue;
            }

            var who = peer?.ToString() ?? "unknown peer";
            lock (_lock)
            {
                var reserved = _connections.Count >= ControlProtocol.ClientsMax;
                if (reserved && _reservedConnections >= ControlLimits.ReservedClientsMax)
                {
                    _log.Debug(LogSubsystem.Ipc, $"control connection refused: too many clients ({who})");
                    _ = RefuseAsync(client, ControlErrorCodes.Busy, $"too many clients (limit {ControlProtocol.ClientsMax}); try again later");
                    continue;
                }

                if (reserved)
                {
                    _reservedConnections++;
                }

                var task = Task.Run(() => ServeAsync(client, who, reserved, cancellationToken));
                if (!reserved)
                {
                    _connections.Add(task);
                }

                _ = task.ContinueWith(
                    finished =>
                    {
                        lock (_lock)
                        {
                            if (reserved)
                            {
                                _reservedConnections--;
                            }
                            else
                            {
                                _connections.Remove(finished);
                            }
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// Tells a client it was refused, then keeps the socket open (up to <see cref="ControlLimits.RefusalLinger"/>)
    /// until its request has arrived: closing at once would make the client's write fail with EPIPE
    /// ("Broken pipe") before it reads why.
    /// </summary>
    private static async Task RefuseAsync(Socket client, string code, string message)
    {
        using (client)
        {
            try
            {
                await client.SendAsync(Line(Error(null, code, message))).ConfigureAwait(false);
                using var linger = new CancellationTokenSource(ControlLimits.RefusalLinger);
                var buffer = new byte[4096];
                while (true)
                {
                    var read = await client.ReceiveAsync(buffer, SocketFlags.None, linger.Token).ConfigureAwait(false);
                    if (read == 0 || Array.IndexOf(buffer, (byte)'\n', 0, read) >= 0)
                    {
                        break;
                    }
                }

                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException)
            {
                // The client is gone already, or said nothing in time.
            }
        }
    }

    private async Task ServeAsync(Socket client, string who, bool reserved, CancellationToken cancellationToken)
    {
        var stream = new NetworkStream(client, ownsSocket: true);
        var connection = new ControlConnection(stream, _node, _log, () => Interlocked.Increment(ref _errorReplies), who, reserved, client.Dispose);
        try
        {
            await connection.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _log.Debug(LogSubsystem.Ipc, $"control connection closed: {exception.Message}");
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            if (connection.Overflowed)
            {
                Shell.LaggardMemory.Return();
            }
        }
    }

    internal static ServerFrame Error(long? id, string code, string message) =>
        new() { Id = id, Ok = false, Error = new ControlError(code, message) };

    internal static byte[] Line(ServerFrame frame)
    {
        var json = ControlProtocol.Serialize(frame);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    internal static string Describe(byte[] frame) =>
        Encoding.UTF8.GetString(frame, 0, Math.Min(frame.Length, 80));
}
