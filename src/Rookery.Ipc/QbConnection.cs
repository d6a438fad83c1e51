using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Rookery.Ipc;

/// <summary>
/// One client connection as the IPC thread sees it: the set-up socket, the three rings, the queues the node
/// loop fills (answers, callbacks) and the wake-up bytes owed. The rings and the socket are touched only by the
/// IPC thread; the loop only enqueues and sets flags, then signals the IPC thread.
/// </summary>
internal sealed class QbConnection
{
    private readonly Action _signal;
    private readonly ConcurrentQueue<byte[]> _responses = new();
    private readonly ConcurrentQueue<byte[]> _events = new();
    private long _eventBytes;
    private int _closeRequested;
    private string? _closeWarning;
    private int _closed;
    private int _flowControl = -1;

    public QbConnection(Socket socket, IIpcService service, Action signal, DateTime setupDeadline)
    {
        Socket = socket;
        Service = service;
        _signal = signal;
        SetupDeadline = setupDeadline;
    }

    public Socket Socket { get; }

    public IIpcService Service { get; }

    public DateTime SetupDeadline { get; }

    /// <summary>The 24-byte connection request, filled as bytes arrive.</summary>
    public byte[] SetupRequest { get; } = new byte[24];

    public int SetupReceived { get; set; }

    public bool Active { get; set; }

    public IpcClient? Client { get; set; }

    public string? Directory { get; set; }

    public QbRing? Request { get; set; }

    public QbRing? Response { get; set; }

    public QbRing? Event { get; set; }

    /// <summary>A batch of requests is on the loop; the next is read when it comes back (keeps them in order).</summary>
    public volatile bool InFlight;

    /// <summary>Wake-up bytes for written events that the socket would not take yet.</summary>
    public int NotificationsOwed { get; set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public bool CloseRequested => Volatile.Read(ref _closeRequested) != 0;

    public bool HasQueuedEvents => !_events.IsEmpty;

    /// <summary>Answers the response ring has not taken yet: no new request is read until they are gone.</summary>
    public bool HasQueuedResponses => !_responses.IsEmpty;

    /// <summary>Why the connection is being ended, for the log at warning level; null for an ordinary end.</summary>
    public string? CloseWarning => Volatile.Read(ref _closeWarning);

    public void MarkClosed() => Volatile.Write(ref _closed, 1);

    public void QueueResponse(byte[] response)
    {
        if (IsClosed)
        {
            return;
        }

        _responses.Enqueue(response);
        _signal();
    }

    public void QueueEvent(byte[] message)
    {
        if (IsClosed)
        {
            return;
        }

        if (Interlocked.Add(ref _eventBytes, message.Length) > IpcLimits.EventBacklogBytesMax)
        {
            // The client stopped reading its callbacks: end it rather than buffer without bound (corosync drops it too).
            RequestClose($"fell more than {IpcLimits.EventBacklogBytesMax} bytes behind in reading its events; disconnecting it");
            return;
        }

        _events.Enqueue(message);
        _signal();
    }

    /// <summary>Asks the IPC thread to end the connection; <paramref name="warning"/> (the first one given) is logged as the reason.</summary>
    public void RequestClose(string? warning = null)
    {
        if (warning is not null)
        {
            Interlocked.CompareExchange(ref _closeWarning, warning, null);
        }

        Volatile.Write(ref _closeRequested, 1);
        _signal();
    }

    public void SetFlowControl(bool on)
    {
        Volatile.Write(ref _flowControl, on ? 1 : 0);
        _signal();
    }

    /// <summary>On the IPC thread: moves queued answers and callbacks into the rings while they fit.</summary>
    public void Flush()
    {
        if (Response is null || Event is null || Request is null)
        {
            return;
        }

        var flowControl = Interlocked.Exchange(ref _flowControl, -1);
        if (flowControl >= 0)
        {
            Request.FlowControl = flowControl;
        }

        while (_responses.TryPeek(out var response) && Response.TryWrite(response))
        {
            _responses.TryDequeue(out _);
        }

        while (_events.TryPeek(out var message) && Event.TryWrite(message))
        {
            _events.TryDequeue(out _);
            Interlocked.Add(ref _eventBytes, -message.Length);
            NotificationsOwed++;
        }

        SendNotifications();
    }

    /// <summary>One byte on the set-up socket per event written: the client reads one per event it takes.</summary>
    public void SendNotifications()
    {
        Span<byte> bytes = stackalloc byte[64];
        bytes.Clear();
        while (NotificationsOwed > 0)
        {
            var sent = Socket.Send(bytes[..Math.Min(NotificationsOwed, bytes.Length)], SocketFlags.None, out var error);
            if (error != SocketError.Success || sent <= 0)
            {
                // WouldBlock: the IPC thread polls for POLLOUT and sends the rest then; other errors show as hang-up.
                return;
            }

            NotificationsOwed -= sent;
        }
    }

    /// <summary>On the IPC thread, when closing: releases the rings and the socket.</summary>
    public void Release()
    {
        MarkClosed();
        Request?.Dispose();
        Response?.Dispose();
        Event?.Dispose();
        Request = Response = Event = null;
        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already gone.
        }

        Socket.Dispose();
    }
}
