namespace Rookery.Ipc;

/// <summary>Every bound of the libqb IPC server in one place.</summary>
public static class IpcLimits
{
    /// <summary>
    /// Ring size offered to clients (libqb negotiates max(client, server)); corosync's clients ask for 1 MiB
    /// (libcpg and friends: 8192 * 128).
    /// </summary>
    public const int DefaultMessageSize = 1024 * 1024;

    /// <summary>Largest ring size granted whatever a client asks: 3 rings of it are tmpfs memory per connection.</summary>
    public const int MessageSizeMax = 8 * 1024 * 1024;

    /// <summary>Connections served at once over all five services (corosync has only its fd limit; each costs ~3 MiB of /dev/shm).</summary>
    public const int ConnectionsMax = 128;

    /// <summary>Listen backlog of each service socket (libqb's SERVER_BACKLOG).</summary>
    public const int ListenBacklog = 128;

    /// <summary>A connected socket that has not sent its 24-byte connection request by then is dropped.</summary>
    public static readonly TimeSpan SetupTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Requests taken from one client's ring per hand-over to the node loop (libqb's MAX_RECV_MSGS).</summary>
    public const int RequestsPerBatch = 50;

    /// <summary>Events (callbacks) queued for a client whose event ring is full; past it the client is disconnected.</summary>
    public const long EventBacklogBytesMax = 16L * 1024 * 1024;

    /// <summary>
    /// Bytes of cpg messages one connection may have waiting for room in Totem's send queue (with the count bound
    /// <c>CpgService.PendingMessagesMax</c>): flow control stops an honest client long before; past it the client is
    /// disconnected. Two of the largest ring's messages and then some.
    /// </summary>
    public const long CpgPendingBytesMax = 32L * 1024 * 1024;

    /// <summary>How often full event and response rings are retried (the client gives no signal when it reads).</summary>
    public const int FullRingRetryMilliseconds = 10;
}
