using System.Buffers.Binary;
using Rookery.Client;
using Rookery.Control;

namespace Rookery.Cli.Demo;

/// <summary>
/// A numbered message stream through a process group: node 1 sends one message every <see cref="Interval"/>, every
/// node (node 1 included) checks that each sequence number arrives exactly once and in order.
/// </summary>
public sealed class DemoStream : IAsyncDisposable
{
    public const string GroupName = "rookery-demo";
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);
    private readonly List<RookeryClient> _clients = [];
    private readonly List<GroupMembership> _memberships = [];
    private readonly Receiver[] _receivers;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _stopReceiving = new();
    private readonly List<Task> _tasks = [];
    private long _sent;

    private DemoStream(int nodes) => _receivers = [.. Enumerable.Range(0, nodes).Select(_ => new Receiver())];

    /// <summary>Joins the group on every node and starts sending from node 1.</summary>
    public static async Task<DemoStream> StartAsync(DemoCluster cluster, CancellationToken cancellationToken)
    {
        var stream = new DemoStream(cluster.Nodes.Count);
        try
        {
            for (var index = 0; index < cluster.Nodes.Count; index++)
            {
                var client = await RookeryClient.ConnectAsync(cluster.Nodes[index].Socket, cancellationToken).ConfigureAwait(false);
                stream._clients.Add(client);
                var membership = await client.JoinGroupAsync(GroupName, cancellationToken).ConfigureAwait(false);
                stream._memberships.Add(membership);
                var receiver = stream._receivers[index];
                stream._tasks.Add(Task.Run(() => receiver.RunAsync(membership, stream._stopReceiving.Token), CancellationToken.None));
            }

            stream._tasks.Add(Task.Run(() => stream.SendLoopAsync(stream._memberships[0], stream._stop.Token), CancellationToken.None));
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>One line: sent, received per node, lost, duplicated, out of order.</summary>
    public string Summary(DemoCluster cluster)
    {
        var received = string.Join(", ", cluster.Nodes.Select((n, i) => $"{n.Name} {_receivers[i].Received}"));
        var lost = _receivers.Sum(r => r.Missing(Sent));
        var duplicated = _receivers.Sum(r => r.Duplicated);
        var reordered = _receivers.Sum(r => r.OutOfOrder);
        return $"messages from uno every {Interval.TotalMilliseconds:0} ms: sent {Sent}; delivered at {received}; lost {lost}, duplicated {duplicated}, gaps {reordered}";
    }

    /// <summary>True when no node lost, duplicated or reordered a message (missing tail excluded while in flight).</summary>
    public bool Clean(long inFlight) => _receivers.All(r => r.Duplicated == 0 && r.OutOfOrder == 0 && r.Missing(Sent) <= inFlight);

    /// <summary>Stops sending (receiving goes on) and waits (up to <paramref name="timeout"/>) for every node to deliver the last message.</summary>
    public async Task DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        var deadline = DateTime.UtcNow + timeout;
        while (_receivers.Any(r => r.Highest < Sent) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _stopReceiving.CancelAsync().ConfigureAwait(false);
        foreach (var membership in _memberships)
        {
            await membership.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException or NodeControlException or IOException)
        {
            // The daemons may already be gone; the stream's figures are final.
        }

        _stop.Dispose();
        _stopReceiving.Dispose();
    }

    private async Task SendLoopAsync(GroupMembership membership, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var payload = new byte[sizeof(long)];
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                BinaryPrimitives.WriteInt64LittleEndian(payload, Sent + 1);
                await membership.SendAsync(payload, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _sent);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    /// <summary>Checks the sequence numbers of node 1's messages as one node delivers them.</summary>
    private sealed class Receiver
    {
        private long _highest;
        private long _received;
        private long _duplicated;
        private long _outOfOrder;

        public long Highest => Interlocked.Read(ref _highest);

        public long Received => Interlocked.Read(ref _received);

        public long Duplicated => Interlocked.Read(ref _duplicated);

        public long OutOfOrder => Interlocked.Read(ref _outOfOrder);

        public long Missing(long sent) => Math.Max(0, sent - (Received - Duplicated));

        public async Task RunAsync(GroupMembership membership, CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var groupEvent in membership.ReadEventsAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (groupEvent is not { Event: GroupEvent.Deliver, Nodeid: 1, Data: { Length: sizeof(long) } data })
                    {
                        continue;
                    }

                    var seq = BinaryPrimitives.ReadInt64LittleEndian(data);
                    if (seq <= _highest)
                    {
                        Interlocked.Increment(ref _duplicated);
                    }
                    else
                    {
                        if (seq != _highest + 1)
                        {
                            Interlocked.Increment(ref _outOfOrder);
                        }

                        Interlocked.Exchange(ref _highest, seq);
                    }

                    Interlocked.Increment(ref _received);
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or NodeControlException or IOException)
            {
                // Stopped, or the daemon went away at the end of the demo.
            }
        }
    }
}
