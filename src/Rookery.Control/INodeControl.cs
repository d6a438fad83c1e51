using System.Threading.Channels;

namespace Rookery.Control;

/// <summary>
/// Everything an application or an administrator can ask of a running node. The node implements it; the
/// control-socket server serves it to other processes; <c>Rookery.Client</c> offers it over the socket or
/// directly in-process. Failures are <see cref="NodeControlException"/>s.
/// </summary>
public interface INodeControl
{
    /// <summary>Cluster, quorum, membership and link state (<c>rookery status</c>).</summary>
    ValueTask<ClusterStatus> GetStatusAsync(CancellationToken cancellationToken);

    /// <summary>Every node's link state (<c>rookery links</c>).</summary>
    ValueTask<LinksStatus> GetLinksAsync(CancellationToken cancellationToken);

    /// <summary>Sets the cluster's expected votes (votequorum RECONFIGURE, <c>pvecm expected</c>).</summary>
    ValueTask SetExpectedVotesAsync(uint votes, CancellationToken cancellationToken);

    /// <summary>Takes a link out of service or puts it back, on this node only or on every member.</summary>
    ValueTask SetLinkEnabledAsync(int link, bool enabled, bool clusterWide, CancellationToken cancellationToken);

    /// <summary>Reloads the configuration on every member, each from its own file (<c>corosync-cfgtool -R</c>); with <paramref name="dryRun"/> only checks this node's file.</summary>
    ValueTask<ReloadReport> ReloadAsync(bool dryRun, CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="text"/> as the new corosync.conf to every member in one agreed step; each writes it and
    /// applies it as a reload does (<c>rookery config apply</c>). With <paramref name="dryRun"/> only checks it here.
    /// </summary>
    ValueTask<ReloadReport> ApplyConfigAsync(string text, bool dryRun, CancellationToken cancellationToken);

    /// <summary>
    /// Cluster events (membership, quorum, links per peer, config changes) from now on, starting with the current
    /// state; the reader completes when <paramref name="cancellationToken"/> fires or the subscriber falls
    /// <see cref="ControlProtocol.EventBacklogMax"/> events behind (then with a <see cref="NodeControlException"/>).
    /// </summary>
    ValueTask<System.Threading.Channels.ChannelReader<ClusterEvent>> WatchEventsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reopens this node's log file (<c>rookery log reopen</c>, <c>corosync-cfgtool -L</c>): after logrotate moved it,
    /// later lines go to a new file at the configured path. Nothing to do without <c>to_logfile</c>.
    /// </summary>
    ValueTask ReopenLogAsync(CancellationToken cancellationToken);

    /// <summary>Joins a process group as process <paramref name="pid"/> of this node.</summary>
    ValueTask<IGroupSession> JoinGroupAsync(string group, uint pid, CancellationToken cancellationToken);
}

/// <summary>One process's membership in one group. Disposing it leaves the group.</summary>
public interface IGroupSession : IAsyncDisposable
{
    /// <summary>The group name.</summary>
    string Group { get; }

    /// <summary>Deliveries and membership changes of the group, in agreed order, starting with the join.</summary>
    ChannelReader<GroupEvent> Events { get; }

    /// <summary>Sends a message to every member of the group (including this one), in agreed order.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>
    /// Sends several messages, in this order, as separate messages (one request instead of one per message).
    /// Completes when every one was accepted; on failure, the messages before the failing one were sent.
    /// </summary>
    async ValueTask SendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        for (var i = 0; i < payloads.Count; i++)
        {
            try
            {
                await SendAsync(payloads[i], cancellationToken).ConfigureAwait(false);
            }
            catch (NodeControlException exception)
            {
                throw new NodeControlException(exception.Code, exception.Message) { Accepted = i };
            }
        }
    }

    /// <summary>
    /// Queues a message for the group without waiting for the node to accept it (pipelined): returns as soon as
    /// the message is queued, and waits only while the queue is full (back-pressure). Messages keep their order
    /// with every other send of this session. A failure is reported by a later send or by <see cref="FlushAsync"/>.
    /// </summary>
    ValueTask PostAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) => SendAsync(payload, cancellationToken);

    /// <summary>Waits until the node accepted every message posted before; throws the first failure among them.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Leaves the group; <see cref="Events"/> completes after the leave is delivered.</summary>
    ValueTask LeaveAsync(CancellationToken cancellationToken);
}
