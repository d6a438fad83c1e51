using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Rookery.Control;
using Rookery.Node.Logging;

namespace Rookery.Node.Control;

/// <summary>
/// One client connection of the control socket: reads requests, writes replies and pushed group events.
/// Everything written goes through one outgoing queue bounded in bytes
/// (<see cref="ControlLimits.ConnectionBacklogBytesMax"/>): a client that stops reading is disconnected
/// when its backlog passes the bound, and its groups end as for a dead client (corosync: PROCDOWN).
/// </summary>
internal sealed class ControlConnection : IAsyncDisposable
{
    /// <summary>Group events gathered into one write to the client.</summary>
    private const int PumpWriteBytes = 256 * 1024;

    /// <summary>Commands a reserved connection (one past <see cref="ControlProtocol.ClientsMax"/>) may use: read-only ones.</summary>
    private static readonly HashSet<string> ReservedCommands = [ControlProtocol.Commands.Hello, ControlProtocol.Commands.Status, ControlProtocol.Commands.Links];

    private readonly Stream _stream;
    private readonly INodeControl _node;
    private readonly ClusterLog _log;
    private readonly Action _countBadFrame;
    private readonly string _peer;
    private readonly bool _reserved;
    private readonly Action _closeTransport;
    private readonly CancellationTokenSource _abort = new();
    private readonly Channel<ReadOnlyMemory<byte>> _outgoing = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleReader = true });
    private (CancellationTokenSource Stop, Task Pump)? _events;
    private readonly Dictionary<string, (IGroupSession Session, Task Pump)> _groups = new(StringComparer.Ordinal);
    private long _outgoingBytes;
    private int _overflowed;

    /// <param name="stream">The connection.</param>
    /// <param name="node">What the requests are served by.</param>
    /// <param name="log">The node's log.</param>
    /// <param name="countBadFrame">Counts a request answered with an error.</param>
    /// <param name="peer">Who the client is (its SO_PEERCRED credentials), for log lines.</param>
    /// <param name="reserved">A connection past the ordinary limit: read-only commands, and a deadline on every request.</param>
    /// <param name="closeTransport">Closes the socket: ends a write blocked on a client that does not read.</param>
    public ControlConnection(Stream stream, INodeControl node, ClusterLog log, Action countBadFrame, string peer = "unknown peer", bool reserved = false, Action? closeTransport = null)
    {
        _closeTransport = closeTransport ?? (() => { });
        _stream = stream;
        _node = node;
        _log = log;
        _countBadFrame = countBadFrame;
        _peer = peer;
        _reserved = reserved;
    }

    /// <summary>Whether the client was disconnected for falling behind (its backlog passed the bound).</summary>
    public bool Overflowed => Volatile.Read(ref _overflowed) != 0;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        var token = linked.Token;
        var writer = Task.Run(() => WriteLoopAsync(token), CancellationToken.None);
        try
        {
            await ReadLoopAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Ended by the connection itself (overflow, request timeout): not an error of the caller's.
        }
        finally
        {
            _outgoing.Writer.TryComplete();
            if (_abort.IsCancellationRequested)
            {
                _closeTransport();
            }

            await writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var reader = new LineFrameReader(_stream, ControlProtocol.FrameSizeMax);
        var completedRequest = false;
        while (true)
        {
            FrameStatus status;
            byte[] frame;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                // Until a request is complete (every request, on a reserved connection) the client has a deadline.
                if (!completedRequest || _reserved)
                {
                    deadline.CancelAfter(ControlLimits.RequestTimeout);
                }

                try
                {
                    (status, frame) = await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    _log.Debug(LogSubsystem.Ipc, $"control connection closed: no complete request within {ControlLimits.RequestTimeout.TotalSeconds:0} s ({_peer})");
                    Enqueue(ControlServer.Line(ControlServer.Error(null, ControlErrorCodes.Refused,
                        $"no complete request within {ControlLimits.RequestTimeout.TotalSeconds:0} s; closing the connection")));
                    return;
                }
            }

            if (status == FrameStatus.EndOfStream)
            {
                return;
            }

            if (status == FrameStatus.TooLarge)
            {
                Reject(null, ControlErrorCodes.FrameTooLarge, $"frame longer than {ControlProtocol.FrameSizeMax} bytes; it was dropped");
                continue;
            }

            if (status == FrameStatus.Binary)
            {
                completedRequest = true;
                Enqueue(ControlServer.Line(await HandleBinaryAsync(frame, cancellationToken).ConfigureAwait(false)));
                continue;
            }

            if (frame.Length == 0 || frame.AsSpan().Trim((byte)' ').IsEmpty)
            {
                continue;
            }

            completedRequest = true;
            var reply = await HandleAsync(frame, cancellationToken).ConfigureAwait(false);
            Enqueue(ControlServer.Line(reply));
        }
    }

    /// <summary>Writes the outgoing queue to the client in order; the only writer of the stream.</summary>
    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _outgoing.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_outgoing.Reader.TryRead(out var bytes))
                {
                    await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                    Interlocked.Add(ref _outgoingBytes, -bytes.Length);
                }

                await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // The client went away or the connection was aborted: the reader ends too.
            await _abort.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Queues bytes for the client. Past <see cref="ControlLimits.ConnectionBacklogBytesMax"/> the client is too
    /// slow: the connection is aborted (its groups end when it is disposed) instead of buffering without bound.
    /// </summary>
    private void Enqueue(ReadOnlyMemory<byte> bytes)
    {
        if (Overflowed)
        {
            return;
        }

        if (Interlocked.Add(ref _outgoingBytes, bytes.Length) > ControlLimits.ConnectionBacklogBytesMax)
        {
            if (Interlocked.Exchange(ref _overflowed, 1) == 0)
            {
                _log.Warning(LogSubsystem.Ipc,
                    $"control client ({_peer}) fell more than {ControlLimits.ConnectionBacklogBytesMax} bytes behind in reading; disconnecting it, its groups end as for a dead client (PROCDOWN)");
                _abort.Cancel();
            }

            Interlocked.Add(ref _outgoingBytes, -bytes.Length);
            return;
        }

        _outgoing.Writer.TryWrite(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        // A client that goes away leaves its groups (corosync: PROCLEAVE with reason PROCDOWN).
        foreach (var (session, pump) in _groups.Values)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
        }

        _groups.Clear();
        if (_events is { } events)
        {
            await events.Stop.CancelAsync().ConfigureAwait(false);
            await events.Pump.ConfigureAwait(false);
            events.Stop.Dispose();
        }

        _abort.Dispose();
    }

    private async Task<ServerFrame> HandleAsync(byte[] frame, CancellationToken cancellationToken)
    {
        var request = ControlProtocol.TryParseRequest(frame, out var parseError);
        if (request is null)
        {
            return Bad(null, ControlErrorCodes.BadRequest, parseError!, frame);
        }

        if (request.V != ControlProtocol.Version)
        {
            return Bad(request.Id, ControlErrorCodes.UnsupportedVersion,
                $"protocol version {request.V} is not supported; this daemon speaks version {ControlProtocol.Version}", frame);
        }

        if (_reserved && !ReservedCommands.Contains(request.Cmd ?? string.Empty))
        {
            return Bad(request.Id, ControlErrorCodes.Busy,
                $"too many clients (limit {ControlProtocol.ClientsMax}): this connection is one of the {ControlLimits.ReservedClientsMax} reserved for hello, status and links; '{request.Cmd}' must wait for a free slot", frame);
        }

        try
        {
            return await DispatchAsync(request, cancellationToken).ConfigureAwait(false) with { Id = request.Id };
        }
        catch (NodeControlException exception)
        {
            _countBadFrame();
            return ControlServer.Error(request.Id, exception.Code, exception.Message) with { Accepted = exception.Accepted };
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            _log.Error(LogSubsystem.Ipc, $"control request '{request.Cmd}' failed: {exception}");
            return ControlServer.Error(request.Id, ControlErrorCodes.Internal, $"the node failed to serve '{request.Cmd}': {exception.Message}");
        }
    }

    /// <summary>A binary frame: only <c>group_send</c> batches (<see cref="GroupFrames.KindSend"/>) come this way.</summary>
    private async Task<ServerFrame> HandleBinaryAsync(byte[] frame, CancellationToken cancellationToken)
    {
        if (frame[1] != GroupFrames.KindSend)
        {
            return Bad(null, ControlErrorCodes.BadRequest, $"binary frame of kind {frame[1]}: a client sends only group_send batches (kind {GroupFrames.KindSend}) in binary", frame);
        }

        if (GroupFrames.TryReadSend(frame, out var id, out var group, out var payloads) is { } error)
        {
            return Bad(id, ControlErrorCodes.BadRequest, error, frame);
        }

        if (_reserved)
        {
            return Bad(id, ControlErrorCodes.Busy, $"too many clients (limit {ControlProtocol.ClientsMax}): this connection may only use hello, status and links", frame);
        }

        try
        {
            var request = new ControlRequest { Id = id, Cmd = ControlProtocol.Commands.GroupSend, Group = group };
            for (var i = 0; i < payloads.Length; i++)
            {
                CheckMessageSize(payloads[i].Length, payloads.Length == 1 ? null : i);
            }

            await Joined(request).SendBatchAsync(payloads, cancellationToken).ConfigureAwait(false);
            return new ServerFrame { Ok = true, Id = id, Accepted = payloads.Length };
        }
        catch (NodeControlException exception)
        {
            _countBadFrame();
            return ControlServer.Error(id, exception.Code, exception.Message) with { Accepted = exception.Accepted };
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            _log.Error(LogSubsystem.Ipc, $"control request 'group_send' (binary) failed: {exception}");
            return ControlServer.Error(id, ControlErrorCodes.Internal, $"the node failed to serve 'group_send': {exception.Message}");
        }
    }

    private ServerFrame Bad(long? id, string code, string message, byte[] frame)
    {
        _countBadFrame();
        _log.Debug(LogSubsystem.Ipc, $"control frame refused ({code}): {ControlServer.Describe(frame)}");
        return ControlServer.Error(id, code, message);
    }

    private async Task<ServerFrame> DispatchAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        var ok = new ServerFrame { Ok = true };
        switch (request.Cmd)
        {
            case ControlProtocol.Commands.Hello:
                return ok with { Hello = new HelloResult(ControlProtocol.Version, ControlServer.ProductVersion) };
            case ControlProtocol.Commands.Status:
                return ok with { Status = await _node.GetStatusAsync(cancellationToken).ConfigureAwait(false) };
            case ControlProtocol.Commands.Links:
                return ok with { Links = await _node.GetLinksAsync(cancellationToken).ConfigureAwait(false) };
            case ControlProtocol.Commands.Expected:
                var votes = Require(request.Votes, "votes");
                if (votes is < 1 or > uint.MaxValue)
                {
                    throw Invalid($"votes must be a positive number (1..{uint.MaxValue}), not {votes}");
                }

                await _node.SetExpectedVotesAsync((uint)votes, cancellationToken).ConfigureAwait(false);
                return ok;
            case ControlProtocol.Commands.LinkEnable:
                var link = Require(request.Link, "link");
                if (link is < 0 or >= Limits.LinksMax)
                {
                    throw Invalid($"link must be 0..{Limits.LinksMax - 1}, not {link}");
                }

                await _node.SetLinkEnabledAsync(link, Require(request.Enabled, "enabled"), clusterWide: request.Local != true, cancellationToken)
                    .ConfigureAwait(false);
                return ok;
            case ControlProtocol.Commands.Reload:
                return ok with { Reload = await _node.ReloadAsync(request.DryRun == true, cancellationToken).ConfigureAwait(false) };
            case ControlProtocol.Commands.ConfigApply:
                return ok with
                {
                    Reload = await _node.ApplyConfigAsync(request.Text ?? throw Invalid("the request has no 'text' (the new corosync.conf)"), request.DryRun == true, cancellationToken).ConfigureAwait(false),
                };
            case ControlProtocol.Commands.Events:
                await WatchEventsAsync().ConfigureAwait(false);
                return ok;
            case ControlProtocol.Commands.LogReopen:
                await _node.ReopenLogAsync(cancellationToken).ConfigureAwait(false);
                return ok;
            case ControlProtocol.Commands.GroupJoin:
                await JoinAsync(request, cancellationToken).ConfigureAwait(false);
                return request.Binary == true ? ok with { Binary = true } : ok;
            case ControlProtocol.Commands.GroupLeave:
                await LeaveAsync(request, cancellationToken).ConfigureAwait(false);
                return ok;
            case ControlProtocol.Commands.GroupSend:
                return ok with { Accepted = await SendAsync(request, cancellationToken).ConfigureAwait(false) };
            case null:
                throw new NodeControlException(ControlErrorCodes.BadRequest, "the frame has no 'cmd'; e.g. {\"v\":1,\"id\":1,\"cmd\":\"status\"}");
            default:
                throw new NodeControlException(ControlErrorCodes.UnknownCommand,
                    $"unknown command '{request.Cmd}'; known: hello, status, links, expected, link_enable, reload, config_apply, events, log_reopen, group_join, group_leave, group_send");
        }
    }

    /// <summary><c>group_send</c>: one message in <c>data</c>, or a batch in <c>messages</c>; returns how many were accepted.</summary>
    private async Task<int> SendAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        if (request.Data is { } data)
        {
            if (request.Messages is not null)
            {
                throw Invalid("group_send takes 'data' (one message) or 'messages' (a batch), not both");
            }

            CheckMessageSize(data.Length, null);
            await Joined(request).SendAsync(data, cancellationToken).ConfigureAwait(false);
            return 1;
        }

        var messages = request.Messages ?? throw Invalid("group_send needs 'data' (the payload, base64) or 'messages' (a list of payloads)");
        if (messages.Count is 0 or > ControlProtocol.GroupSendBatchMax)
        {
            throw Invalid($"'messages' must hold 1..{ControlProtocol.GroupSendBatchMax} payloads, not {messages.Count}");
        }

        var payloads = new ReadOnlyMemory<byte>[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i] ?? throw Invalid($"messages[{i}] is null; every entry must be a payload (base64)");
            CheckMessageSize(message.Length, i);
            payloads[i] = message;
        }

        await Joined(request).SendBatchAsync(payloads, cancellationToken).ConfigureAwait(false);
        return payloads.Length;
    }

    private static void CheckMessageSize(int length, int? index)
    {
        if (length > ControlProtocol.GroupMessageSizeMax)
        {
            var which = index is { } i ? $"messages[{i}]" : "message";
            throw Invalid($"{which} of {length} bytes is over the limit of {ControlProtocol.GroupMessageSizeMax} bytes; nothing was sent");
        }
    }

    /// <summary><c>events</c>: subscribes once per connection; the events are pushed until the client goes away.</summary>
    private async Task WatchEventsAsync()
    {
        if (_events is not null)
        {
            throw new NodeControlException(ControlErrorCodes.GroupState, "this connection already watches the cluster events");
        }

        var stop = new CancellationTokenSource();
        var reader = await _node.WatchEventsAsync(stop.Token).ConfigureAwait(false);
        _events = (stop, Task.Run(() => PumpEventsAsync(reader)));
    }

    /// <summary>Copies the cluster events to the client through the connection's byte-bounded queue, as group events go.</summary>
    private async Task PumpEventsAsync(System.Threading.Channels.ChannelReader<ClusterEvent> reader)
    {
        try
        {
            await foreach (var clusterEvent in reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (Overflowed)
                {
                    // Drop what is still posted until the connection is disposed.
                    continue;
                }

                Enqueue(ControlServer.Line(new ServerFrame { ClusterEvent = clusterEvent }));
            }
        }
        catch (OperationCanceledException)
        {
            // The subscription was stopped: the client went away.
        }
        catch (NodeControlException exception)
        {
            // The node ended the subscription: tell the client why.
            Enqueue(ControlServer.Line(ControlServer.Error(null, exception.Code, exception.Message)));
        }
    }

    private async Task JoinAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        var group = GroupName(request);
        var pid = Require(request.Pid, "pid");
        if (pid is < 1 or > uint.MaxValue)
        {
            throw Invalid($"pid must be a positive process id, not {pid}");
        }

        if (_groups.ContainsKey(group))
        {
            throw new NodeControlException(ControlErrorCodes.GroupState, $"this connection already joined group '{group}' (CS_ERR_EXIST)");
        }

        var session = await _node.JoinGroupAsync(group, (uint)pid, cancellationToken).ConfigureAwait(false);
        var binary = request.Binary == true;
        _groups[group] = (session, Task.Run(() => PumpAsync(session, binary)));
    }

    private async Task LeaveAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        var group = GroupName(request);
        var session = Joined(request);
        await session.LeaveAsync(cancellationToken).ConfigureAwait(false);
        var pump = _groups[group].Pump;
        _groups.Remove(group);
        await pump.ConfigureAwait(false);
        await session.DisposeAsync().ConfigureAwait(false);
    }

    private IGroupSession Joined(ControlRequest request)
    {
        var group = GroupName(request);
        return _groups.TryGetValue(group, out var entry)
            ? entry.Session
            : throw new NodeControlException(ControlErrorCodes.GroupState, $"this connection has not joined group '{group}'; send group_join first (CS_ERR_NOT_EXIST)");
    }

    /// <summary>
    /// Copies the session's events to the client: every event already waiting goes out in one write (one system
    /// call for many deliveries under load), never more than <see cref="PumpWriteBytes"/> at a time. With
    /// <paramref name="binary"/>, deliveries go as binary frames (<see cref="GroupFrames"/>), membership changes as JSON.
    /// </summary>
    private async Task PumpAsync(IGroupSession session, bool binary)
    {
        var buffer = new ArrayBufferWriter<byte>(PumpWriteBytes);
        using var json = new Utf8JsonWriter(buffer);
        var group = Encoding.UTF8.GetBytes(session.Group);
        var ring = (Text: string.Empty, Bytes: Array.Empty<byte>());
        try
        {
            while (await session.Events.WaitToReadAsync().ConfigureAwait(false))
            {
                buffer.ResetWrittenCount();
                while (buffer.WrittenCount < PumpWriteBytes && session.Events.TryRead(out var groupEvent))
                {
                    if (binary && groupEvent is { Event: GroupEvent.Deliver, Data: { } data, Nodeid: { } nodeid, Pid: { } pid })
                    {
                        if (!ReferenceEquals(ring.Text, groupEvent.RingId))
                        {
                            ring = (groupEvent.RingId, Encoding.ASCII.GetBytes(groupEvent.RingId));
                        }

                        GroupFrames.WriteDeliver(buffer, nodeid, pid, (long)(groupEvent.Time * 1_000_000m), ring.Bytes, group, data);
                        continue;
                    }

                    json.Reset(buffer);
                    JsonSerializer.Serialize(json, new ServerFrame { GroupEvent = groupEvent }, ControlJsonContext.Default.ServerFrame);
                    json.Flush();
                    buffer.Write("\n"u8);
                }

                // The queue holds its own copy: the pump's buffer is reused for the next batch.
                Enqueue(buffer.WrittenMemory.ToArray());
                if (Overflowed)
                {
                    // Drain and drop what the node still posts until the connection is disposed and leaves.
                    while (session.Events.TryRead(out _))
                    {
                    }
                }
            }
        }
        catch (NodeControlException exception)
        {
            // The node ended the subscription: tell the client why.
            Enqueue(ControlServer.Line(ControlServer.Error(null, exception.Code, exception.Message)));
        }
        catch (ChannelClosedException)
        {
            // The subscription ended.
        }
    }

    private void Reject(long? id, string code, string message)
    {
        _countBadFrame();
        _log.Debug(LogSubsystem.Ipc, $"control frame refused ({code})");
        Enqueue(ControlServer.Line(ControlServer.Error(id, code, message)));
    }

    private static string GroupName(ControlRequest request)
    {
        var group = request.Group;
        if (string.IsNullOrEmpty(group))
        {
            throw Invalid($"'{request.Cmd}' needs 'group' (the group name)");
        }

        if (Encoding.UTF8.GetByteCount(group) > ControlProtocol.GroupNameLengthMax)
        {
            throw Invalid($"group name is longer than {ControlProtocol.GroupNameLengthMax} bytes (CS_ERR_NAME_TOO_LONG)");
        }

        return group;
    }

    private static T Require<T>(T? value, string name)
        where T : struct =>
        value ?? throw Invalid($"this command needs '{name}'");

    private static NodeControlException Invalid(string message) => new(ControlErrorCodes.InvalidArgument, message);
}
