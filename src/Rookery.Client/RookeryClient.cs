using Rookery.Control;

namespace Rookery.Client;

/// <summary>
/// The .NET API of a Rookery node for applications and the <c>rookery</c> command: status, links, expected
/// votes, link maintenance, reload, and process groups (join, send, leave, and the stream of deliveries and
/// membership changes). Talks to the local daemon over its control socket (<see cref="ConnectAsync"/>), or to a
/// node hosted in the same process (<see cref="InProcess"/>) with the very same calls.
/// </summary>
/// <remarks>Failures are <see cref="NodeControlException"/>s with a stable <see cref="NodeControlException.Code"/>.</remarks>
public sealed class RookeryClient : IAsyncDisposable
{
    private readonly INodeControl _node;
    private readonly IAsyncDisposable? _connection;

    private RookeryClient(INodeControl node, IAsyncDisposable? connection)
    {
        _node = node;
        _connection = connection;
    }

    /// <summary>Connects to the daemon's control socket (<paramref name="socketPath"/>, else <c>ROOKERY_SOCKET</c>, else <c>/run/rookery/rookery.sock</c>).</summary>
    public static async Task<RookeryClient> ConnectAsync(string? socketPath = null, CancellationToken cancellationToken = default)
    {
        var connection = await SocketNodeControl.ConnectAsync(ControlSocket.Resolve(socketPath), cancellationToken).ConfigureAwait(false);
        return new RookeryClient(connection, connection);
    }

    /// <summary>A client for a node running in this process (no daemon, no socket).</summary>
    public static RookeryClient InProcess(INodeControl node) => new(node, null);

    public async Task<ClusterStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        await _node.GetStatusAsync(cancellationToken).ConfigureAwait(false);

    public async Task<LinksStatus> GetLinksAsync(CancellationToken cancellationToken = default) =>
        await _node.GetLinksAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Sets the expected votes of the cluster (<c>pvecm expected</c>).</summary>
    public async Task SetExpectedVotesAsync(uint votes, CancellationToken cancellationToken = default) =>
        await _node.SetExpectedVotesAsync(votes, cancellationToken).ConfigureAwait(false);

    /// <summary>Takes link <paramref name="link"/> out of service or back in, on every member or only here.</summary>
    public async Task SetLinkEnabledAsync(int link, bool enabled, bool clusterWide = true, CancellationToken cancellationToken = default) =>
        await _node.SetLinkEnabledAsync(link, enabled, clusterWide, cancellationToken).ConfigureAwait(false);

    /// <summary>Reloads every member's configuration from its own file, or with <paramref name="dryRun"/> says what would happen here.</summary>
    public async Task<ReloadReport> ReloadAsync(bool dryRun = false, CancellationToken cancellationToken = default) =>
        await _node.ReloadAsync(dryRun, cancellationToken).ConfigureAwait(false);

    /// <summary>Joins process group <paramref name="group"/> as this process. Dispose the result to leave.</summary>
    public async Task<GroupMembership> JoinGroupAsync(string group, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        var session = await _node.JoinGroupAsync(group, (uint)Environment.ProcessId, cancellationToken).ConfigureAwait(false);
        return new GroupMembership(session);
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>This process's membership in one group: send, read events, leave.</summary>
public sealed class GroupMembership : IAsyncDisposable
{
    private readonly IGroupSession _session;

    internal GroupMembership(IGroupSession session) => _session = session;

    public string Group => _session.Group;

    /// <summary>
    /// Sends a message to every member, in agreed order (delivered to this process too), and waits until the node
    /// accepted it (<c>cpg_mcast_joined</c>). Concurrent sends share requests; for a stream, see <see cref="PostAsync"/>.
    /// </summary>
    public async Task SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        await _session.SendAsync(payload, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Queues a message for the group without waiting for the node's answer: the way to stream. Messages go to the
    /// node in batches, in order with every other send of this membership; this waits only while the queue is full
    /// (back-pressure: the node takes messages as fast as Totem's flow control lets them out). The buffer may be
    /// reused at once. A failure is thrown by a later send or by <see cref="FlushAsync"/>; messages after a failed
    /// one are not sent.
    /// </summary>
    public async ValueTask PostAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        await _session.PostAsync(payload, cancellationToken).ConfigureAwait(false);

    /// <summary>Sends several messages in this order (one request) and waits until the node accepted all of them.</summary>
    public async Task SendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, CancellationToken cancellationToken = default) =>
        await _session.SendBatchAsync(payloads, cancellationToken).ConfigureAwait(false);

    /// <summary>Waits until the node accepted every message posted before; throws the first failure among them.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default) =>
        await _session.FlushAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Deliveries and membership changes, in agreed order, starting with this process's own join; ends after <see cref="LeaveAsync"/>.</summary>
    public IAsyncEnumerable<GroupEvent> ReadEventsAsync(CancellationToken cancellationToken = default) =>
        _session.Events.ReadAllAsync(cancellationToken);

    public async Task LeaveAsync(CancellationToken cancellationToken = default) =>
        await _session.LeaveAsync(cancellationToken).ConfigureAwait(false);

    public ValueTask DisposeAsync() => _session.DisposeAsync();
}
