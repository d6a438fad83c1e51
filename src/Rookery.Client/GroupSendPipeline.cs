using System.Threading.Channels;
using Rookery.Control;

namespace Rookery.Client;

/// <summary>
/// The sends of one group session over the control socket, pipelined. Messages wait in one bounded queue; one
/// writer gathers whatever is queued into a <c>group_send</c> batch and writes up to <see cref="WindowBatches"/>
/// batches before the first reply is back, instead of one request and one round trip per message. The daemon
/// serves a connection's requests in order and answers a batch once it accepted every message of it, so order is
/// kept and nothing the daemon accepted is lost. Back-pressure: posting waits while the queue is full, and the
/// queue drains only as fast as the daemon accepts (its own send queue is bounded by Totem's flow control).
/// After a failure, messages not yet written are failed too (never sent out of order), and every later send throws.
/// </summary>
internal sealed class GroupSendPipeline
{
    /// <summary>Messages queued in the client before posting waits.</summary>
    public const int QueueMessagesMax = 1024;

    /// <summary>Batches written and not yet answered.</summary>
    public const int WindowBatches = 4;

    /// <summary>Payload bytes in one batch (a single larger message goes alone); keeps a frame far below the frame limit.</summary>
    public const int BatchBytesMax = 512 * 1024;

    /// <summary>Messages in one batch.</summary>
    public const int BatchMessagesMax = 1024;

    private readonly SocketNodeControl _owner;
    private readonly string _group;
    private readonly Channel<Outgoing> _queue = Channel.CreateBounded<Outgoing>(
        new BoundedChannelOptions(QueueMessagesMax) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly Channel<(Task<ServerFrame> Reply, Outgoing[] Items)> _inFlight = Channel.CreateUnbounded<(Task<ServerFrame>, Outgoing[])>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private readonly SemaphoreSlim _window = new(WindowBatches, WindowBatches);
    private readonly bool _binary;
    private readonly Task _writer;
    private readonly Task _acknowledger;
    private volatile NodeControlException? _failure;

    /// <param name="owner">The connection.</param>
    /// <param name="group">The group.</param>
    /// <param name="binary">Batches go as binary frames (<see cref="GroupFrames"/>): the daemon said it takes them.</param>
    public GroupSendPipeline(SocketNodeControl owner, string group, bool binary = false)
    {
        _owner = owner;
        _group = group;
        _binary = binary;
        _writer = Task.Run(WriteLoopAsync);
        _acknowledger = Task.Run(AcknowledgeLoopAsync);
    }

    /// <summary>Queues a message; completes once it is queued (waits while the queue is full).</summary>
    public async ValueTask PostAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        await EnqueueAsync(new Outgoing(Copy(payload), null), cancellationToken).ConfigureAwait(false);

    /// <summary>Queues a message and waits until the daemon accepted it.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var done = NewCompletion();
        await EnqueueAsync(new Outgoing(Copy(payload), done), cancellationToken).ConfigureAwait(false);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues several messages in order and waits until the daemon accepted the last (and so every) one.</summary>
    public async ValueTask SendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        if (payloads.Count == 0)
        {
            return;
        }

        var copies = payloads.Select(Copy).ToArray();
        var done = NewCompletion();
        for (var i = 0; i < copies.Length; i++)
        {
            await EnqueueAsync(new Outgoing(copies[i], i == copies.Length - 1 ? done : null), cancellationToken).ConfigureAwait(false);
        }

        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until the daemon answered every message queued before; throws the first failure.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var done = NewCompletion();
        await EnqueueAsync(new Outgoing(null, done), cancellationToken).ConfigureAwait(false);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends what is queued, then stops taking messages (before the session leaves its group).</summary>
    public async ValueTask CloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NodeControlException)
        {
            // Reported to the senders already; the leave goes on.
        }

        _queue.Writer.TryComplete();
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The connection is gone or the session ended: fails what is queued or in flight, refuses new sends.</summary>
    public void Abort(Exception? failure)
    {
        Fail(failure as NodeControlException
            ?? new NodeControlException(ControlErrorCodes.GroupState, $"the session of group '{_group}' ended; nothing more can be sent"));
        _queue.Writer.TryComplete();
    }

    private static TaskCompletionSource NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static byte[] Copy(ReadOnlyMemory<byte> payload)
    {
        if (payload.Length > ControlProtocol.GroupMessageSizeMax)
        {
            throw new NodeControlException(ControlErrorCodes.InvalidArgument,
                $"message of {payload.Length} bytes is over the limit of {ControlProtocol.GroupMessageSizeMax} bytes (CS_ERR_TOO_BIG); nothing was sent");
        }

        // The caller may reuse its buffer as soon as the message is queued.
        return payload.ToArray();
    }

    private async ValueTask EnqueueAsync(Outgoing item, CancellationToken cancellationToken)
    {
        ThrowIfFailed();
        try
        {
            await _queue.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            ThrowIfFailed();
            throw new NodeControlException(ControlErrorCodes.GroupState, $"group '{_group}': the session left the group; nothing more can be sent (CS_ERR_NOT_EXIST)");
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new NodeControlException(failure.Code, failure.Message);
        }
    }

    private void Fail(NodeControlException failure) => Interlocked.CompareExchange(ref _failure, failure, null);

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Outgoing>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await _window.WaitAsync().ConfigureAwait(false);
            batch.Clear();
            var bytes = 0;
            Outgoing? marker = null;
            while (batch.Count < BatchMessagesMax && reader.TryPeek(out var next))
            {
                if (next.Payload is { } payload && batch.Count > 0 && bytes + payload.Length > BatchBytesMax)
                {
                    break;
                }

                reader.TryRead(out _);
                if (next.Payload is null)
                {
                    marker = next;
                    break;
                }

                batch.Add(next);
                bytes += next.Payload.Length;
            }

            if (batch.Count == 0)
            {
                _window.Release();
            }
            else
            {
                // The batch holds a window slot until the acknowledger took its reply.
                var items = batch.ToArray();
                Task<ServerFrame> reply;
                if (_failure is { } failure)
                {
                    // Never sent: a message after a failed one would be delivered out of order.
                    reply = Task.FromException<ServerFrame>(new NodeControlException(failure.Code, failure.Message));
                }
                else
                {
                    try
                    {
                        reply = _binary
                            ? await _owner.WriteBinarySendAsync(_group, Payloads(items), CancellationToken.None).ConfigureAwait(false)
                            : await _owner.WriteRequestAsync(Request(items), CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (NodeControlException exception)
                    {
                        reply = Task.FromException<ServerFrame>(exception);
                    }
                }

                _inFlight.Writer.TryWrite((reply, items));
            }

            if (marker is not null)
            {
                // A flush: answered once everything before it is (the acknowledger works in queue order).
                _inFlight.Writer.TryWrite((Task.FromResult(new ServerFrame { Ok = true, Accepted = 0 }), [marker]));
            }
        }

        _inFlight.Writer.TryComplete();
        await _acknowledger.ConfigureAwait(false);
    }

    private ControlRequest Request(Outgoing[] items) => items.Length == 1
        ? new ControlRequest { Cmd = ControlProtocol.Commands.GroupSend, Group = _group, Data = items[0].Payload }
        : new ControlRequest { Cmd = ControlProtocol.Commands.GroupSend, Group = _group, Messages = items.Select(i => i.Payload!).ToArray() };

    private static ReadOnlyMemory<byte>[] Payloads(Outgoing[] items)
    {
        var payloads = new ReadOnlyMemory<byte>[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            payloads[i] = items[i].Payload;
        }

        return payloads;
    }

    /// <summary>Takes the replies in the order the batches were written and settles their messages.</summary>
    private async Task AcknowledgeLoopAsync()
    {
        await foreach (var (reply, items) in _inFlight.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var accepted = items.Length;
            NodeControlException? error = null;
            try
            {
                SocketNodeControl.ThrowIfError(await reply.ConfigureAwait(false));
            }
            catch (NodeControlException exception)
            {
                accepted = Math.Clamp(exception.Accepted ?? 0, 0, items.Length);
                error = exception;
                Fail(exception);
            }

            for (var i = 0; i < items.Length; i++)
            {
                if (items[i].Done is not { } done)
                {
                    continue;
                }

                if (items[i].Payload is null)
                {
                    // A flush reports the first failure of any message before it.
                    _ = _failure is { } failure ? done.TrySetException(new NodeControlException(failure.Code, failure.Message)) : done.TrySetResult();
                }
                else if (i < accepted)
                {
                    done.TrySetResult();
                }
                else
                {
                    done.TrySetException(error ?? _failure!);
                }
            }

            if (items[0].Payload is not null)
            {
                _window.Release();
            }
        }
    }

    /// <summary>A queued message (or, with no payload, a flush marker) and who waits for its answer.</summary>
    private sealed record Outgoing(byte[]? Payload, TaskCompletionSource? Done);
}
