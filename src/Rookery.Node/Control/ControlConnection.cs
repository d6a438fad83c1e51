using System.Buffers;
using System.Text;
using System.Text.Json;
using Rookery.Control;
using Rookery.Node.Logging;

namespace Rookery.Node.Control;

/// <summary>One client connection of the control socket: reads requests, writes replies and pushed group events.</summary>
internal sealed class ControlConnection : IAsyncDisposable
{
    /// <summary>Group events gathered into one write to the client.</summary>
    private const int PumpWriteBytes = 256 * 1024;

    private readonly Stream _stream;
    private readonly INodeControl _node;
    private readonly ClusterLog _log;
    private readonly Action _countBadFrame;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<string, (IGroupSession Session, Task Pump)> _groups = new(StringComparer.Ordinal);

    public ControlConnection(Stream stream, INodeControl node, ClusterLog log, Action countBadFrame)
    {
        _stream = stream;
        _node = node;
        _log = log;
        _countBadFrame = countBadFrame;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = new LineFrameReader(_stream, ControlProtocol.FrameSizeMax);
        while (true)
        {
            var (status, frame) = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (status == FrameStatus.EndOfStream)
            {
                return;
            }

            if (status == FrameStatus.TooLarge)
            {
                await RejectAsync(null, ControlErrorCodes.FrameTooLarge,
                    $"frame longer than {ControlProtocol.FrameSizeMax} bytes; it was dropped", cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (frame.Length == 0 || frame.AsSpan().Trim((byte)' ').IsEmpty)
            {
                continue;
            }

            var reply = await HandleAsync(frame, cancellationToken).ConfigureAwait(false);
            await WriteAsync(reply, cancellationToken).ConfigureAwait(false);
        }
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
        _writeLock.Dispose();
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
            case ControlProtocol.Commands.GroupJoin:
                await JoinAsync(request, cancellationToken).ConfigureAwait(false);
                return ok;
            case ControlProtocol.Commands.GroupLeave:
                await LeaveAsync(request, cancellationToken).ConfigureAwait(false);
                return ok;
            case ControlProtocol.Commands.GroupSend:
                return ok with { Accepted = await SendAsync(request, cancellationToken).ConfigureAwait(false) };
            case null:
                throw new NodeControlException(ControlErrorCodes.BadRequest, "the frame has no 'cmd'; e.g. {\"v\":1,\"id\":1,\"cmd\":\"status\"}");
            default:
                throw new NodeControlException(ControlErrorCodes.UnknownCommand,
                    $"unknown command '{request.Cmd}'; known: hello, status, links, expected, link_enable, reload, group_join, group_leave, group_send");
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

            CheckMessageSize(data, null);
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
            CheckMessageSize(message, i);
            payloads[i] = message;
        }

        await Joined(request).SendBatchAsync(payloads, cancellationToken).ConfigureAwait(false);
        return payloads.Length;
    }

    private static void CheckMessageSize(byte[] message, int? index)
    {
        if (message.Length > ControlProtocol.GroupMessageSizeMax)
        {
            var which = index is { } i ? $"messages[{i}]" : "message";
            throw Invalid($"{which} of {message.Length} bytes is over the limit of {ControlProtocol.GroupMessageSizeMax} bytes; nothing was sent");
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
        _groups[group] = (session, Task.Run(() => PumpAsync(session)));
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
    /// call for many deliveries under load), never more than <see cref="PumpWriteBytes"/> at a time.
    /// </summary>
    private async Task PumpAsync(IGroupSession session)
    {
        var buffer = new ArrayBufferWriter<byte>(PumpWriteBytes);
        using var json = new Utf8JsonWriter(buffer);
        try
        {
            while (await session.Events.WaitToReadAsync().ConfigureAwait(false))
            {
                buffer.ResetWrittenCount();
                while (buffer.WrittenCount < PumpWriteBytes && session.Events.TryRead(out var groupEvent))
                {
                    json.Reset(buffer);
                    JsonSerializer.Serialize(json, new ServerFrame { GroupEvent = groupEvent }, ControlJsonContext.Default.ServerFrame);
                    json.Flush();
                    buffer.Write("\n"u8);
                }

                await WriteAsync(buffer.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // The client went away; RunAsync ends and DisposeAsync leaves the group.
        }
        catch (NodeControlException exception)
        {
            // The node ended the subscription (e.g. the reader fell too far behind): tell the client why.
            await TryWriteAsync(ControlServer.Error(null, exception.Code, exception.Message)).ConfigureAwait(false);
        }
    }

    private async Task TryWriteAsync(ServerFrame frame)
    {
        try
        {
            await WriteAsync(frame, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException)
        {
            // The client is gone.
        }
    }

    private async Task RejectAsync(long? id, string code, string message, CancellationToken cancellationToken)
    {
        _countBadFrame();
        _log.Debug(LogSubsystem.Ipc, $"control frame refused ({code})");
        await WriteAsync(ControlServer.Error(id, code, message), cancellationToken).ConfigureAwait(false);
    }

    private Task WriteAsync(ServerFrame frame, CancellationToken cancellationToken) =>
        WriteAsync(ControlServer.Line(frame), cancellationToken);

    private async Task WriteAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(lines, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
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
