using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Rookery.Ipc.Native;

namespace Rookery.Ipc;

/// <summary>Severity of a line the IPC server logs (mapped to the node's log by the caller).</summary>
public enum IpcLogLevel
{
    Debug,
    Notice,
    Warning,
    Error,
}

/// <summary>
/// libqb's IPC server (2.0.6, shared-memory mode) for corosync's client libraries: one abstract stream socket per
/// service (the name zero-padded to 108 bytes), the 24-byte connection request answered with the 12328-byte
/// response naming three rings in <c>/dev/shm/qb-SRVPID-CLIPID-FD-XXXXXX/</c>, one-byte wake-ups on the socket,
/// corosync's access rule, clean-up on disconnect and of stale directories at start.
/// One thread ("rookery-ipc") polls the sockets and owns every ring; requests go to the node loop through
/// <c>post</c> in batches, one batch per client at a time, and their answers come back through queues.
/// </summary>
public sealed partial class QbIpcServer : IDisposable
{
    /// <summary>Where libqb puts its rings.</summary>
    public const string ShmDirectory = "/dev/shm";

    /// <summary>Marks a ring directory as this server's, so stale clean-up never touches another program's.</summary>
    public const string MarkerFile = "rookery-ipc";

    private const int AbstractNameLength = 108;
    private const int ConnectionResponseSize = 12328;
    private const int ConnectionTypeShm = 1;
    private const int MessageAuthenticate = -1;
    private const int SolSocket = 1;
    private const int SoPeerCredentials = 17;

    private readonly IReadOnlyList<IIpcService> _services;
    private readonly Action<Action> _post;
    private readonly IpcAccess _access;
    private readonly Action<IpcLogLevel, string> _log;
    private readonly string _shmDirectory;
    private readonly Action? _laggardDropped;
    private readonly List<(Socket Socket, IIpcService Service)> _listeners = [];
    private readonly List<QbConnection> _connections = [];
    private readonly int _serverPid = Environment.ProcessId;

    /// <summary>
    /// This server's network namespace ("net:[4026531840]"), written into <see cref="MarkerFile"/>: libqb's abstract
    /// sockets belong to one namespace, so a daemon owns the rings of its namespace only and leaves those of a daemon in
    /// another (a container, a test bed) to that daemon.
    /// </summary>
    private readonly string _namespace = NetworkNamespace();
    private readonly bool _isRoot = LibC.GetEuid() == 0;
    private int _eventFd = -1;
    private Thread? _thread;
    private volatile bool _stopping;
    private ulong _nextClientId;

    /// <summary>
    /// A server of <paramref name="services"/>; <paramref name="laggardDropped"/> is called on the node loop after a client
    /// dropped for outrunning a bound has been disconnected (its backlog is garbage now).
    /// </summary>
    /// <param name="services">The services, each on its abstract socket.</param>
    /// <param name="post">Runs an action on the node loop.</param>
    /// <param name="access">corosync's access rule.</param>
    /// <param name="log">Where the server's lines go.</param>
    /// <param name="shmDirectory">Where the rings are made.</param>
    /// <param name="laggardDropped">Called after a laggard was dropped, or null.</param>
    public QbIpcServer(IReadOnlyList<IIpcService> services, Action<Action> post, IpcAccess access, Action<IpcLogLevel, string> log, string shmDirectory = ShmDirectory, Action? laggardDropped = null)
    {
        _laggardDropped = laggardDropped;
        _services = services;
        _post = post;
        _access = access;
        _log = log;
        _shmDirectory = shmDirectory;
    }

    /// <summary>Connections currently set up (for tests and status).</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>The 110-byte abstract address libqb's clients connect to: "\0" + name, zero-padded to 108 bytes.</summary>
    public static System.Net.Sockets.UnixDomainSocketEndPoint AbstractEndPoint(string name) =>
        new("\0" + name + new string('\0', AbstractNameLength - 1 - name.Length));

    /// <summary>Removes stale ring directories, binds every service socket and starts the IPC thread.</summary>
    /// <exception cref="IOException">A service name is taken in this network namespace (another corosync or Rookery).</exception>
    public void Start()
    {
        RemoveStaleDirectories();
        try
        {
            foreach (var service in _services)
            {
                var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    listener.Bind(AbstractEndPoint(service.Name));
                    listener.Listen(IpcLimits.ListenBacklog);
                    listener.Blocking = false;
                }
                catch (SocketException exception)
                {
                    listener.Dispose();
                    throw new IOException($"cannot listen on the corosync IPC socket @{service.Name}: {exception.SocketErrorCode} (is corosync or another rookery daemon running in this network namespace?)", exception);
                }

                _listeners.Add((listener, service));
            }

            _eventFd = LibC.EventFd(0, LibC.EfdNonblock | LibC.EfdCloexec);
            if (_eventFd < 0)
            {
                throw new IOException($"eventfd failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
            }
        }
        catch
        {
            CloseListeners();
            throw;
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "rookery-ipc" };
        _thread.Start();
    }

    /// <summary>Stops the thread, disconnects every client (their directories are removed) and closes the sockets.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        Signal();
        _thread?.Join();
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Release();
                RemoveDirectory(connection.Directory);
            }

            _connections.Clear();
        }

        CloseListeners();
        if (_eventFd >= 0)
        {
            LibC.Close(_eventFd);
            _eventFd = -1;
        }
    }

    private void CloseListeners()
    {
        foreach (var (socket, _) in _listeners)
        {
            socket.Dispose();
        }

        _listeners.Clear();
    }

    /// <summary>Wakes the IPC thread (any thread).</summary>
    private unsafe void Signal()
    {
        var fd = _eventFd;
        if (fd >= 0)
        {
            ulong one = 1;
            LibC.Write(fd, &one, 8);
        }
    }

    private unsafe void Run()
    {
        var fds = new LibC.PollFd[1 + _listeners.Count + IpcLimits.ConnectionsMax];
        var polled = new QbConnection[IpcLimits.ConnectionsMax];
        while (!_stopping)
        {
            var count = 0;
            fds[count++] = new LibC.PollFd { Fd = _eventFd, Events = LibC.PollIn };
            foreach (var (socket, _) in _listeners)
            {
                fds[count++] = new LibC.PollFd { Fd = (int)socket.Handle, Events = LibC.PollIn };
            }

            var connectionCount = 0;
            var timeout = -1;
            lock (_connections)
            {
                foreach (var connection in _connections)
                {
                    polled[connectionCount++] = connection;
                    var events = LibC.PollIn;
                    if (connection.NotificationsOwed > 0)
                    {
                        events |= LibC.PollOut;
                    }

                    fds[count++] = new LibC.PollFd { Fd = (int)connection.Socket.Handle, Events = events };
                    if (connection.HasQueuedEvents || connection.HasQueuedResponses)
                    {
                        timeout = IpcLimits.FullRingRetryMilliseconds;
                    }
                    else if (!connection.Active && timeout < 0)
                    {
                        timeout = 1000;
                    }
                }
            }

            int ready;
            fixed (LibC.PollFd* pointer = fds)
            {
                ready = LibC.Poll(pointer, (nuint)count, timeout);
            }

            if (_stopping)
            {
                return;
            }

            if (ready < 0)
            {
                var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno != LibC.EIntr)
                {
                    _log(IpcLogLevel.Error, $"IPC poll failed (errno {errno})");
                    Thread.Sleep(100);
                }

                continue;
            }

            if (fds[0].Revents != 0)
            {
                ulong drained;
                LibC.Read(_eventFd, &drained, 8);
            }

            for (var i = 0; i < _listeners.Count; i++)
            {
                if (fds[1 + i].Revents != 0)
                {
                    Accept(_listeners[i].Socket, _listeners[i].Service);
                }
            }

            for (var i = 0; i < connectionCount; i++)
            {
                var connection = polled[i];
                var revents = fds[1 + _listeners.Count + i].Revents;
                if (revents != 0)
                {
                    OnSocketReady(connection, revents);
                }
            }

            Service();
        }
    }

    private void Accept(Socket listener, IIpcService service)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (SocketException)
            {
                return;
            }

            QbConnection connection;
            QbConnection? evicted = null;
            lock (_connections)
            {
                if (_connections.Count >= IpcLimits.ConnectionsMax)
                {
                    // A connection still owing its request (an honest client sends it with the connect) gives way, so
                    // sockets opened and left silent cannot lock clients out; past that the newcomer is refused.
                    evicted = _connections.Where(c => !c.Active).MinBy(c => c.SetupDeadline);
                    if (evicted is null)
                    {
                        _log(IpcLogLevel.Warning, $"Denied connection to {service.Name}: {IpcLimits.ConnectionsMax} IPC connections already open");
                        client.Dispose();
                        continue;
                    }
                }

                client.Blocking = false;
                connection = new QbConnection(client, service, Signal, DateTime.UtcNow + IpcLimits.SetupTimeout);
                _connections.Add(connection);
            }

            if (evicted is not null)
            {
                Close(evicted, $"{IpcLimits.ConnectionsMax} IPC connections open; this one had sent no connection request and gave way to a new one");
            }

            // Its request is usually there already: read it now, so only silent connections stay pending.
            OnSocketReady(connection, LibC.PollIn);
        }
    }

    private void OnSocketReady(QbConnection connection, short revents)
    {
        if (connection.IsClosed)
        {
            return;
        }

        if (!connection.Active)
        {
            if ((revents & LibC.PollIn) != 0)
            {
                var received = connection.Socket.Receive(connection.SetupRequest.AsSpan(connection.SetupReceived), SocketFlags.None, out var error);
                if (error == SocketError.WouldBlock)
                {
                    return;
                }

                if (error != SocketError.Success || received == 0)
                {
                    Close(connection, "closed before its connection request");
                    return;
                }

                connection.SetupReceived += received;
                if (connection.SetupReceived == connection.SetupRequest.Length)
                {
                    Authenticate(connection);
                }
            }
            else
            {
                Close(connection, "hung up before its connection request");
            }

            return;
        }

        if ((revents & LibC.PollOut) != 0)
        {
            connection.SendNotifications();
        }

        if ((revents & LibC.PollIn) != 0)
        {
            // The wake-up bytes only say "look at the ring": drain them all, the ring holds the requests.
            Span<byte> bytes = stackalloc byte[256];
            var received = connection.Socket.Receive(bytes, SocketFlags.None, out var error);
            if ((error == SocketError.Success && received == 0) || (error != SocketError.Success && error != SocketError.WouldBlock))
            {
                Close(connection, null);
                return;
            }
        }
        else if ((revents & (LibC.PollHup | LibC.PollErr | LibC.PollNval)) != 0)
        {
            Close(connection, null);
        }
    }

    /// <summary>After every wake: set-up deadlines, close requests, answers and callbacks into rings, new requests to the loop.</summary>
    private void Service()
    {
        QbConnection[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        var now = DateTime.UtcNow;
        foreach (var connection in connections)
        {
            if (connection.IsClosed)
            {
                continue;
            }

            if (!connection.Active)
            {
                if (now > connection.SetupDeadline)
                {
                    Close(connection, "sent no connection request in time");
                }

                continue;
            }

            if (connection.CloseRequested)
            {
                Close(connection, "disconnected by the service");
                continue;
            }

            connection.Flush();
            if (!connection.InFlight && !connection.HasQueuedResponses)
            {
                // A client that sends and never reads its answers fills its request ring and gets EAGAIN, as with libqb.
                ReadRequests(connection);
            }
        }
    }

    private void ReadRequests(QbConnection connection)
    {
        List<byte[]>? batch = null;
        while ((batch?.Count ?? 0) < IpcLimits.RequestsPerBatch)
        {
            if (!connection.Request!.TryRead(out var message, out var malformed))
            {
                if (malformed)
                {
                    Close(connection, "wrote a malformed chunk to its request ring");
                    return;
                }

                break;
            }

            if (message!.Length < IpcMessage.RequestHeaderSize)
            {
                Close(connection, $"sent a {message.Length}-byte request, shorter than a request header");
                return;
            }

            (batch ??= []).Add(message);
        }

        if (batch is null)
        {
            return;
        }

        connection.InFlight = true;
        var client = connection.Client!;
        var service = connection.Service;
        _post(() =>
        {
            foreach (var request in batch)
            {
                if (client.IsClosed)
                {
                    break;
                }

                try
                {
                    service.OnRequest(client, request);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    _log(IpcLogLevel.Error, $"IPC request {IpcMessage.RequestId(request)} to {service.Name} from pid {client.Pid} failed: {exception.Message}; disconnecting it");
                    client.Disconnect();
                    break;
                }
            }

            connection.InFlight = false;
            Signal();
        });
    }

    private void Authenticate(QbConnection connection)
    {
        var request = connection.SetupRequest;
        var id = BinaryPrimitives.ReadInt32LittleEndian(request);
        var size = BinaryPrimitives.ReadInt32LittleEndian(request.AsSpan(8));
        var clientMax = BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(16));
        if (id != MessageAuthenticate || size != request.Length)
        {
            Close(connection, $"sent a bad connection request (id {id}, size {size})");
            return;
        }

        Span<byte> credentials = stackalloc byte[12];
        int pid;
        uint uid;
        uint gid;
        try
        {
            connection.Socket.GetRawSocketOption(SolSocket, SoPeerCredentials, credentials);
            pid = BinaryPrimitives.ReadInt32LittleEndian(credentials);
            uid = BinaryPrimitives.ReadUInt32LittleEndian(credentials[4..]);
            gid = BinaryPrimitives.ReadUInt32LittleEndian(credentials[8..]);
        }
        catch (SocketException exception)
        {
            Close(connection, $"peer credentials unreadable: {exception.SocketErrorCode}");
            return;
        }

        if (!_access.Allows(uid, gid))
        {
            _log(IpcLogLevel.Error, $"Denied connection attempt from {uid}:{gid}");
            SendConnectionResponse(connection, -LibC.EAccess, 0, null);
            Close(connection, null);
            return;
        }

        var messageSize = (int)Math.Clamp(Math.Max(clientMax, (uint)IpcLimits.DefaultMessageSize), IpcLimits.DefaultMessageSize, IpcLimits.MessageSizeMax);
        var directory = LibC.MakeTemporaryDirectory(
            $"{_shmDirectory}/qb-{_serverPid}-{pid}-{(int)connection.Socket.Handle}-XXXXXX");
        if (directory is null)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            _log(IpcLogLevel.Error, $"cannot create a ring directory in {_shmDirectory} for pid {pid} (errno {errno})");
            SendConnectionResponse(connection, -(errno == 0 ? LibC.ENoMemory : errno), 0, null);
            Close(connection, null);
            return;
        }

        connection.Directory = directory;
        var description = directory + "/qb";
        var name = connection.Service.Name;
        try
        {
            if (OperatingSystem.IsWindows())
            {
                throw new PlatformNotSupportedException("libqb IPC exists only on Linux");
            }

            File.WriteAllText(Path.Combine(directory, MarkerFile), _namespace);
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);
            uint? owner = _isRoot ? uid : null;
            uint? group = _isRoot ? gid : null;
            if (_isRoot && LibC.Chown(directory, uid, gid) != 0)
            {
                throw new IOException($"chown {directory} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
            }

            connection.Request = QbRing.Create($"{description}-request-{name}", messageSize, owner, group);
            connection.Response = QbRing.Create($"{description}-response-{name}", messageSize, owner, group);
            connection.Event = QbRing.Create($"{description}-event-{name}", messageSize, owner, group);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            _log(IpcLogLevel.Error, $"shm connection FAILED for pid {pid} on {name}: {exception.Message}");
            SendConnectionResponse(connection, -LibC.ENoMemory, 0, null);
            Close(connection, null);
            return;
        }

        if (!SendConnectionResponse(connection, 0, messageSize, description))
        {
            Close(connection, "could not take its connection response");
            return;
        }

        var client = new IpcClient(connection, Interlocked.Increment(ref _nextClientId), pid, uid, gid);
        connection.Client = client;
        connection.Active = true;
        _log(IpcLogLevel.Debug, $"IPC credentials authenticated ({description}), {name} client pid {pid} uid {uid} gid {gid}");
        _post(() => connection.Service.OnConnect(client));
    }

    private static bool SendConnectionResponse(QbConnection connection, int error, int messageSize, string? description)
    {
        var response = new byte[ConnectionResponseSize];
        BinaryPrimitives.WriteInt32LittleEndian(response, MessageAuthenticate);
        BinaryPrimitives.WriteInt32LittleEndian(response.AsSpan(8), ConnectionResponseSize);
        BinaryPrimitives.WriteInt32LittleEndian(response.AsSpan(16), error);
        BinaryPrimitives.WriteInt32LittleEndian(response.AsSpan(24), ConnectionTypeShm);
        BinaryPrimitives.WriteInt32LittleEndian(response.AsSpan(28), messageSize);
        if (description is not null)
        {
            var name = connection.Service.Name;
            WriteCString(response.AsSpan(40, 4096), $"{description}-request-{name}");
            WriteCString(response.AsSpan(4136, 4096), $"{description}-response-{name}");
            WriteCString(response.AsSpan(8232, 4096), $"{description}-event-{name}");
        }

        // A fresh socket's buffer takes the whole response; a short send means the client is gone.
        var sent = connection.Socket.Send(response, SocketFlags.None, out var socketError);
        return socketError == SocketError.Success && sent == response.Length;
    }

    private static void WriteCString(Span<byte> field, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, field[..^1]);
        field[length] = 0;
    }

    private void Close(QbConnection connection, string? reason)
    {
        if (connection.IsClosed)
        {
            return;
        }

        lock (_connections)
        {
            _connections.Remove(connection);
        }

        var client = connection.Client;
        if (connection.CloseWarning is { } warning)
        {
            _log(IpcLogLevel.Warning, $"IPC client pid {client?.Pid} of {connection.Service.Name} {warning}");
        }
        else if (reason is not null)
        {
            _log(IpcLogLevel.Debug, $"IPC connection to {connection.Service.Name} closed: {reason}");
        }

        connection.Release();
        RemoveDirectory(connection.Directory);
        if (client is not null)
        {
            _post(() =>
            {
                connection.Service.OnDisconnect(client);
                if (connection.CloseWarning is not null)
                {
                    _laggardDropped?.Invoke();
                }
            });
        }
    }

    private void RemoveDirectory(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        try
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(directory))
            {
                File.Delete(file);
            }

            System.IO.Directory.Delete(directory);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            _log(IpcLogLevel.Warning, $"cannot remove {directory}: {exception.Message}");
        }
    }

    /// <summary>
    /// Ring directories left by a Rookery daemon that was killed: ours carry <see cref="MarkerFile"/> and name the
    /// server's pid first; when that process is gone (or is this one, a reused pid) and it served this network namespace
    /// (the marker says which; an empty marker is from a release that did not say), the directory is garbage.
    /// </summary>
    private void RemoveStaleDirectories()
    {
        IEnumerable<string> directories;
        try
        {
            directories = System.IO.Directory.EnumerateDirectories(_shmDirectory, "qb-*").ToArray();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var directory in directories)
        {
            var match = RingDirectoryName().Match(Path.GetFileName(directory));
            if (!match.Success || ReadMarker(Path.Combine(directory, MarkerFile)) is not { } owner || (owner.Length > 0 && owner != _namespace))
            {
                continue;
            }

            var pid = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (pid == _serverPid || !IsAlive(pid))
            {
                _log(IpcLogLevel.Notice, $"removing stale IPC ring directory {directory} (server pid {pid} is gone)");
                RemoveDirectory(directory);
            }
        }
    }

    /// <summary>The marker's text (the owner's network namespace), or null when there is no readable marker.</summary>
    private static string? ReadMarker(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The link text of /proc/self/ns/net, or empty where it cannot be read.</summary>
    private static string NetworkNamespace()
    {
        try
        {
            return new FileInfo("/proc/self/ns/net").LinkTarget ?? string.Empty;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^qb-(\d+)-(\d+)-(\d+)-[A-Za-z0-9]{6}$")]
    private static partial Regex RingDirectoryName();
}
