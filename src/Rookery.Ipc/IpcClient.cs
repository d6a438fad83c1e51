namespace Rookery.Ipc;

/// <summary>
/// The node loop's handle on one connected client: its credentials, the service's private state, and the way to
/// answer and to send callbacks. Safe to use after the client left: answers then go nowhere.
/// </summary>
public sealed class IpcClient
{
    private readonly QbConnection _connection;

    internal IpcClient(QbConnection connection, ulong id, int pid, uint uid, uint gid)
    {
        _connection = connection;
        Id = id;
        Pid = pid;
        Uid = uid;
        Gid = gid;
    }

    /// <summary>Unique per server run; a connection number for the cores (cpg's connection handle).</summary>
    public ulong Id { get; }

    public int Pid { get; }

    public uint Uid { get; }

    public uint Gid { get; }

    /// <summary>The service's per-connection data (corosync's ipc private data); touched only on the loop.</summary>
    public object? State { get; set; }

    public bool IsClosed => _connection.IsClosed;

    /// <summary>Queues the answer to the request being handled.</summary>
    public void Respond(byte[] response) => _connection.QueueResponse(response);

    /// <summary>Queues a callback (event ring + one wake-up byte on the socket).</summary>
    public void SendEvent(byte[] message) => _connection.QueueEvent(message);

    /// <summary>
    /// Ends the connection (a protocol violation the service cannot answer, a client that outran its bounds);
    /// <paramref name="warning"/>, when given, is logged at warning level as what the client did.
    /// </summary>
    public void Disconnect(string? warning = null) => _connection.RequestClose(warning);

    /// <summary>Turns libqb's flow control on the request ring on or off: while on, the client's sends return CS_ERR_TRY_AGAIN.</summary>
    public void SetFlowControl(bool on) => _connection.SetFlowControl(on);
}
