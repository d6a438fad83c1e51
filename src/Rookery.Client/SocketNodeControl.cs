using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.Channels;
using Rookery.Control;

namespace Rookery.Client;

/// <summary>
/// <see cref="INodeControl"/> over the daemon's control socket: requests with ids, replies matched by id, pushed
/// group events routed to their session. One reader task per connection.
/// </summary>
internal sealed class SocketNodeControl : INodeControl, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<ServerFrame>> _pending = new();
    private readonly ConcurrentDictionary<string, SocketGroupSession> _groups = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _readLoop;
    private Channel<ClusterEvent>? _clusterEvents;
    private long _nextId;

    // The read loop's last ring id and group name of a binary delivery (only it touches them).
    private (byte[] Bytes, string Text) _lastRing = ([], string.Empty);
    private (byte[] Bytes, string Text) _lastGroup = ([], string.Empty);
    private volatile Exception? _failure;

    /// <summary>An error the daemon sent without a request id (a refusal, or the end of a subscription): the reason the connection ends.</summary>
    private volatile NodeControlException? _unsolicited;

    private SocketNodeControl(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public string? Path { get; private init; }

    public static async Task<SocketNodeControl> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException exception)
        {
            socket.Dispose();
            throw new NodeControlException(ControlErrorCodes.NotRunning,
                $"cannot connect to the rookery daemon at {path} ({ConnectFailure(path, exception)}): is it running? " +
                "Start it with 'systemctl start rookery' or 'rookery daemon', or pass --socket PATH");
        }

        return new SocketNodeControl(socket) { Path = path };
    }

    /// <summary>Why a connect failed, in words (.NET names ENOENT on a Unix socket "AddressNotAvailable", which misleads).</summary>
    private static string ConnectFailure(string path, SocketException exception) => exception.SocketErrorCode switch
    {
        _ when !File.Exists(path) => "no such socket file",
        SocketError.ConnectionRefused => "nothing listens on it",
        SocketError.AccessDenied => "permission denied",
        _ => exception.Message,
    };

    public async ValueTask<ClusterStatus> GetStatusAsync(CancellationToken cancellationToken) =>
        (await RequestAsync(new ControlRequest { Cmd = ControlProtocol.Commands.Status }, cancellationToken).ConfigureAwait(false)).Status
        ?? throw Malformed("status");

    public async ValueTask<LinksStatus> GetLinksAsync(CancellationToken cancellationToken) =>
        (await RequestAsync(new ControlRequest { Cmd = ControlProtocol.Commands.Links }, cancellationToken).ConfigureAwait(false)).Links
        ?? throw Malformed("links");

    public async ValueTask SetExpectedVotesAsync(uint votes, CancellationToken cancellationToken) =>
        await RequestAsync(new ControlRequest { Cmd = ControlProtocol.Commands.Expected, Votes = votes }, cancellationToken).ConfigureAwait(false);

    public async ValueTask SetLinkEnabledAsync(int link, bool enabled, bool clusterWide, CancellationToken cancellationToken) =>
        await RequestAsync(
            new ControlRequest { Cmd = ControlProtocol.Commands.LinkEnable, Link = link, Enabled = enabled, Local = !clusterWide },
            cancellationToken).ConfigureAwait(false);

    public async ValueTask<ReloadReport> ReloadAsync(bool dryRun, CancellationToken cancellationToken) =>
        (await RequestAsync(new ControlRequest { Cmd = ControlProtocol.Commands.Reload, DryRun = dryRun }, cancellationToken).ConfigureAwait(false)).Reload
        ?? throw Malformed("reload");

    public async ValueTask<ReloadReport> ApplyConfigAsync(string text, bool dryRun, CancellationToken cancellationToken) =>
        (await RequestAsync(new ControlRequest { Cmd = ControlProtocol.Commands.ConfigApply, Text = text, DryRun = dryRun }, cancellationToken).ConfigureAwait(false)).Reload
        ?? throw Malformed("config_apply");

    public async ValueTask<ChannelReader<ClusterEvent>> WatchEventsAsync(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<ClusterEvent>(new UnboundedChannelOptions { SingleReader = true });
        if (Interlocked.CompareExchange(ref _clusterEvents, channel, null) is not null)
        {
            throw new NodeControlException(ControlErrorCodes.GroupState, "this connection already watches the cluster events");
        }

        await RequestAsync(new ControlRequest { Cmd = ControlProtocol.Commands.Events }, cancellationToken).ConfigureAwait(false);
        cancellationToken.Register(() => channel.Writer.TryComplete());
        return channel.Reader;
    }
    public async ValueTask ReopenLogAsync(CancellationToken cancellationToken) =>
        await RequestAsync(new ControlRequest { Cmd = ControlProtocol.Commands.LogReopen }, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IGroupSession> JoinGroupAsync(string group, uint pid, CancellationToken cancellationToken)
    {
        var session = new SocketGroupSession(this, group);
        if (!_groups.TryAdd(group, session))
        {
            throw new NodeControlException(ControlErrorCodes.GroupState, $"this connection already joined group '{group}' (CS_ERR_EXIST)");
        }

        try
        {
            // Deliveries and sends as binary frames when the daemon speaks them (it says so in the reply).
            var reply = await RequestAsync(new ControlRequest { Cmd = ControlProtocol.Commands.GroupJoin, Group = group, Pid = pid, Binary = true }, cancellationToken)
                .ConfigureAwait(false);
            session.Binary = reply.Binary == true;
        }
        catch
        {
            _groups.TryRemove(group, out _);
            throw;
        }

        return session;
    }

    /// <summary>Sends a request and returns the reply frame (tests and the protocol's own use).</summary>
    public async Task<ServerFrame> RequestAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        var reply = await WriteRequestAsync(request, cancellationToken).ConfigureAwait(false);
        return ThrowIfError(await reply.WaitAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Writes a request and returns its reply without waiting for it (pipelining: the daemon serves the requests of a
    /// connection in order, so replies come in order). The reply may be an error frame; see <see cref="ThrowIfError"/>.
    /// </summary>
    internal Task<Task<ServerFrame>> WriteRequestAsync(ControlRequest request, CancellationToken cancellationToken) =>
        WriteFrameAsync(id =>
        {
            var json = ControlProtocol.Serialize(request with { Id = id });
            var line = GC.AllocateUninitializedArray<byte>(json.Length + 1);
            json.CopyTo(line, 0);
            line[^1] = (byte)'\n';
            return line;
        }, cancellationToken);

    /// <summary>Writes a binary <c>group_send</c> batch (<see cref="GroupFrames"/>) and returns its reply without waiting for it.</summary>
    internal Task<Task<ServerFrame>> WriteBinarySendAsync(string group, IReadOnlyList<ReadOnlyMemory<byte>> payloads, CancellationToken cancellationToken) =>
        WriteFrameAsync(id => GroupFrames.EncodeSend(id, group, payloads), cancellationToken);

    /// <summary>Writes the frame <paramref name="encode"/> makes for a fresh request id, in one write.</summary>
    private async Task<Task<ServerFrame>> WriteFrameAsync(Func<long, byte[]> encode, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var completion = new TaskCompletionSource<ServerFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        try
        {
            ThrowIfFailed();
            var frame = encode(id);
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException exception)
            {
                // A refused connection may fail the write before the refusal is read: report the refusal.
                throw _unsolicited is { } refusal ? new NodeControlException(refusal.Code, refusal.Message) : Lost(exception);
            }
            finally
            {
                _writeLock.Release();
            }

            if (_failure is { } failure)
            {
                // The read loop ended meanwhile and may have missed this request.
                completion.TrySetException(failure);
            }
        }
        catch
        {
            _pending.TryRemove(id, out _);
            throw;
        }

        return completion.Task;
    }

    /// <summary>The reply itself when it says ok; otherwise its error as a <see cref="NodeControlException"/>.</summary>
    internal static ServerFrame ThrowIfError(ServerFrame reply)
    {
        if (reply.Ok != true)
        {
            var error = reply.Error ?? new ControlError(ControlErrorCodes.Internal, "the daemon sent an error reply without a reason");
            throw new NodeControlException(error.Code, error.Message) { Accepted = reply.Accepted };
        }

        return reply;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Shutdown(SocketShutdown.Both);
        await _stream.DisposeAsync().ConfigureAwait(false);
        await _readLoop.ConfigureAwait(false);
        _writeLock.Dispose();
        _stop.Dispose();
    }

    internal async Task LeaveAsync(string group, CancellationToken cancellationToken)
    {
        await RequestAsync(new ControlRequest { Cmd = ControlProtocol.Commands.GroupLeave, Group = group }, cancellationToken).ConfigureAwait(false);

        // The daemon replies after the last event of the group, so the stream is complete now.
        if (_groups.TryRemove(group, out var session))
        {
            session.Complete(null);
        }
    }

    private async Task ReadLoopAsync()
    {
        var reader = new LineFrameReader(_stream, ControlProtocol.FrameSizeMax);
        Exception failure;
        try
        {
            while (true)
            {
                var (status, line) = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                if (status == FrameStatus.EndOfStream)
                {
                    failure = _unsolicited ?? new NodeControlException(ControlErrorCodes.NotRunning, "the rookery daemon closed the connection (did it stop?)");
                    break;
                }

                if (status == FrameStatus.Frame)
                {
                    Route(ControlProtocol.TryParseServerFrame(line));
                }
                else if (status == FrameStatus.Binary)
                {
                    RouteBinary(line);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            failure = Lost(exception);
        }

        _failure = failure;
        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(failure);
        }

        foreach (var session in _groups.Values)
        {
            session.Complete(failure);
        }

        _clusterEvents?.Writer.TryComplete(failure);
    }

    private void Route(ServerFrame? frame)
    {
        if (frame is null)
        {
            return;
        }

        if (frame.ClusterEvent is { } clusterEvent)
        {
            _clusterEvents?.Writer.TryWrite(clusterEvent);
            return;
        }

        if (frame.GroupEvent is { } groupEvent)
        {
            if (_groups.TryGetValue(groupEvent.Group, out var session))
            {
                session.Post(groupEvent);
            }

            return;
        }

        if (frame.Id is { } id && _pending.TryRemove(id, out var completion))
        {
            completion.TrySetResult(frame);
        }
        else if (frame.Id is null && frame.Error is { } error)
        {
            // An unsolicited error: the daemon ended a subscription. Fail the sessions and the events reader with it.
            var failure = new NodeControlException(error.Code, error.Message);
            _unsolicited = failure;
            _clusterEvents?.Writer.TryComplete(failure);
            foreach (var session in _groups.Values)
            {
                session.Complete(failure);
            }
        }
    }

    /// <summary>A binary deliver frame: to its group's session as a <see cref="GroupEvent"/> (the ring id and group name strings are reused while they repeat).</summary>
    private void RouteBinary(byte[] frame)
    {
        if (!GroupFrames.TryReadDeliver(frame, out var deliver))
        {
            return;
        }

        if (!deliver.Ring.SequenceEqual(_lastRing.Bytes))
        {
            _lastRing = (deliver.Ring.ToArray(), System.Text.Encoding.ASCII.GetString(deliver.Ring));
        }

        if (!deliver.Group.SequenceEqual(_lastGroup.Bytes))
        {
            _lastGroup = (deliver.Group.ToArray(), System.Text.Encoding.UTF8.GetString(deliver.Group));
        }

        if (_groups.TryGetValue(_lastGroup.Text, out var session))
        {
            var data = deliver.Payload.ToArray();
            session.Post(new GroupEvent(GroupEvent.Deliver, _lastGroup.Text, deliver.Nodeid, deliver.Pid, data.Length, data, null, null, null,
                _lastRing.Text, deliver.UnixMicroseconds / 1_000_000m));
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw failure is NodeControlException control ? new NodeControlException(control.Code, control.Message) : Lost(failure);
        }
    }

    private static NodeControlException Lost(Exception exception) =>
        new(ControlErrorCodes.NotRunning, $"lost the connection to the rookery daemon: {exception.Message}");

    private static NodeControlException Malformed(string what) =>
        new(ControlErrorCodes.Internal, $"the daemon's reply to '{what}' has no result; is it a different rookery version?");

    private sealed class SocketGroupSession : IGroupSession
    {
        private readonly SocketNodeControl _owner;

        private readonly Channel<GroupEvent> _events = Channel.CreateUnbounded<GroupEvent>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Lazy<GroupSendPipeline> _sends;
        private int _left;

        public SocketGroupSession(SocketNodeControl owner, string group)
        {
            _owner = owner;
            Group = group;
            _sends = new(() => new GroupSendPipeline(owner, group, Binary));
        }

        public string Group { get; }

        /// <summary>The daemon takes this group's sends and sends its deliveries as binary frames.</summary>
        public bool Binary { get; set; }

        public ChannelReader<GroupEvent> Events => _events.Reader;

        public void Post(GroupEvent groupEvent) => _events.Writer.TryWrite(groupEvent);

        public void Complete(Exception? failure)
        {
            _events.Writer.TryComplete(failure);
            if (_sends.IsValueCreated)
            {
                _sends.Value.Abort(failure);
            }
        }

        public ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
            _sends.Value.SendAsync(payload, cancellationToken);

        public ValueTask SendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, CancellationToken cancellationToken) =>
            _sends.Value.SendBatchAsync(payloads, cancellationToken);

        public ValueTask PostAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
            _sends.Value.PostAsync(payload, cancellationToken);

        public ValueTask FlushAsync(CancellationToken cancellationToken) =>
            _sends.IsValueCreated ? _sends.Value.FlushAsync(cancellationToken) : ValueTask.CompletedTask;

        public async ValueTask LeaveAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                if (_sends.IsValueCreated)
                {
                    // Everything queued goes out before the leave (a failure of those sends does not stop the leave).
                    await _sends.Value.CloseAsync(cancellationToken).ConfigureAwait(false);
                }

                await _owner.LeaveAsync(Group, cancellationToken).ConfigureAwait(false);
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await LeaveAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (NodeControlException)
            {
                // The connection is gone; the daemon leaves the group for us.
            }

            Complete(null);
        }
    }
}
