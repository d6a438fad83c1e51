using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Rookery.Client;
using Rookery.Control;

namespace Rookery.Cli.Demo;

/// <summary>
/// A numbered message stream through a process group: node 1 sends one message every <see cref="Interval"/>, every
/// node (node 1 included) checks that each sequence number arrives exactly once and in order.
/// </summary>
/// <remarks>
/// "In flight" and "lost" are kept apart. A message a node has not delivered yet is in flight while it can still
/// arrive; agreed order delivers in sequence, so once a later number was delivered an earlier missing one can no
/// longer arrive and counts as lost, as does whatever is missing after <see cref="DrainAsync"/>. A node whose daemon
/// was stopped on purpose is out of the count while it is down; after it rejoins it is checked again from the first
/// message it delivers (a member only gets the messages sent while it is a member).
/// </remarks>
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
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Task _sender = Task.CompletedTask;
    private long _sent;
    private bool _drained;

    private DemoStream(int nodes) => _receivers = [.. Enumerable.Range(0, nodes).Select(_ => new Receiver(_clock, fromFirst: true))];

    /// <summary>Joins the group on every node and starts sending from node 1.</summary>
    public static async Task<DemoStream> StartAsync(DemoCluster cluster, CancellationToken cancellationToken)
    {
        var stream = new DemoStream(cluster.Nodes.Count);
        try
        {
            for (var index = 0; index < cluster.Nodes.Count; index++)
            {
                await stream.AttachAsync(cluster.Nodes[index], index, cancellationToken).ConfigureAwait(false);
            }

            stream._sender = Task.Run(() => stream.SendLoopAsync(stream._memberships[0], stream._stop.Token), CancellationToken.None);
            stream._tasks.Add(stream._sender);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>The node's daemon is being stopped on purpose: its deliveries are out of the count until <see cref="RejoinAsync"/>.</summary>
    public void MarkDown(int index) => _receivers[index].Down = true;

    /// <summary>Joins the group again on a node whose daemon was restarted; it is checked from the first message it delivers.</summary>
    public async Task RejoinAsync(DemoNode node, int index, CancellationToken cancellationToken)
    {
        _receivers[index] = new Receiver(_clock, fromFirst: false);
        await AttachAsync(node, index, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The first message a node delivered since it (re)joined; 0 when none yet.</summary>
    public long FirstDelivered(int index) => _receivers[index].First;

    /// <summary>How many messages a node delivered since it (re)joined.</summary>
    public long Delivered(int index) => _receivers[index].Received;

    /// <summary>Starts measuring the longest pause between two deliveries on every node (from now).</summary>
    public void ResetGaps()
    {
        foreach (var receiver in _receivers)
        {
            receiver.ResetGap();
        }
    }

    /// <summary>The longest pause between two deliveries on node <paramref name="index"/> since <see cref="ResetGaps"/>.</summary>
    public TimeSpan LongestGap(int index) => _receivers[index].LongestGap;

    /// <summary>Lost messages over all nodes that are up (see the remarks for when a message counts as lost).</summary>
    public long Lost => _receivers.Where(r => !r.Down).Sum(r => r.Lost(Sent, _drained));

    /// <summary>One line: sent, delivered and in flight per node, lost, duplicated, out of order.</summary>
    public string Summary(DemoCluster cluster)
    {
        // A send is counted when its call returns, which can be after a node delivered it: a delivered number was sent.
        var sent = Math.Max(Sent, _receivers.Max(r => r.Highest));
        var perNode = string.Join(", ", cluster.Nodes.Select((n, i) => _receivers[i] switch
        {
            { Down: true } => $"{n.Name} down",
            var r => string.Create(CultureInfo.InvariantCulture, $"{n.Name} {r.Received}{(r.FromFirst ? "" : $" since #{r.First}")} ({(_drained ? 0 : r.InFlight(sent))} in flight)"),
        }));
        var duplicated = _receivers.Sum(r => r.Duplicated);
        var reordered = _receivers.Sum(r => r.OutOfOrder);
        return string.Create(CultureInfo.InvariantCulture,
            $"messages from uno every {Interval.TotalMilliseconds:0} ms: sent {sent}; delivered {perNode}; lost {Lost}, duplicated {duplicated}, out of order {reordered}");
    }

    /// <summary>True when no node that is up lost, duplicated or reordered a message.</summary>
    public bool Clean => Lost == 0 && _receivers.All(r => r.Duplicated == 0 && r.OutOfOrder == 0);

    /// <summary>
    /// Stops sending (receiving goes on) and waits (up to <paramref name="timeout"/>) for every node that is up to deliver
    /// the last message; from then on whatever is missing counts as lost.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _sender.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A send that hangs for the whole drain time: what is missing then counts as lost below.
        }

        var deadline = DateTime.UtcNow + timeout;
        while (_receivers.Any(r => !r.Down && r.Highest < Sent) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        _drained = true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _stopReceiving.CancelAsync().ConfigureAwait(false);
        foreach (var membership in _memberships)
        {
            try
            {
                await membership.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is NodeControlException or IOException or ObjectDisposedException)
            {
                // That node's daemon is gone (killed on purpose, or the demo is ending).
            }
        }

        foreach (var client in _clients)
        {
            try
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is NodeControlException or IOException or ObjectDisposedException)
            {
                // As above.
            }
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

    private async Task AttachAsync(DemoNode node, int index, CancellationToken cancellationToken)
    {
        var client = await RookeryClient.ConnectAsync(node.Socket, cancellationToken).ConfigureAwait(false);
        _clients.Add(client);
        var membership = await client.JoinGroupAsync(GroupName, cancellationToken).ConfigureAwait(false);
        _memberships.Add(membership);
        var receiver = _receivers[index];
        _tasks.Add(Task.Run(() => receiver.RunAsync(membership, _stopReceiving.Token), CancellationToken.None));
    }

    private async Task SendLoopAsync(GroupMembership membership, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var payload = new byte[sizeof(long)];
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                // A send once started is finished and counted: cancelling it half-way could deliver a message never counted as sent.
                BinaryPrimitives.WriteInt64LittleEndian(payload, Sent + 1);
                await membership.SendAsync(payload, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _sent);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        catch (Exception exception) when (exception is NodeControlException or IOException)
        {
            // uno's daemon went away (the end of the demo): nothing more is sent.
        }
    }

    /// <summary>Checks the sequence numbers of node 1's messages as one node delivers them.</summary>
    private sealed class Receiver(Stopwatch clock, bool fromFirst)
    {
        private readonly Lock _gate = new();
        private long _first;
        private long _highest;
        private long _received;
        private long _duplicated;
        private long _outOfOrder;
        private TimeSpan _lastDelivery;
        private TimeSpan _gapSince;
        private TimeSpan _longestGap;

        /// <summary>Checked from message 1 (joined before the first send) rather than from its first delivery.</summary>
        public bool FromFirst { get; } = fromFirst;

        private volatile bool _down;

        public bool Down
        {
            get => _down;
            set => _down = value;
        }

        public long First => Interlocked.Read(ref _first);

        public long Highest => Interlocked.Read(ref _highest);

        public long Received => Interlocked.Read(ref _received);

        public long Duplicated => Interlocked.Read(ref _duplicated);

        public long OutOfOrder => Interlocked.Read(ref _outOfOrder);

        /// <summary>Sent after the last delivered one: may still arrive.</summary>
        public long InFlight(long sent) => Math.Max(0, sent - Highest);

        /// <summary>Numbers below the highest delivered that never came (they cannot come any more), plus, once drained, the missing tail.</summary>
        public long Lost(long sent, bool drained)
        {
            var first = FromFirst ? 1 : First;
            var skipped = Highest == 0 ? 0 : Math.Max(0, Highest - first + 1 - (Received - Duplicated));
            return skipped + (drained ? InFlight(sent) : 0);
        }

        public void ResetGap()
        {
            lock (_gate)
            {
                _gapSince = clock.Elapsed;
                _longestGap = TimeSpan.Zero;
            }
        }

        /// <summary>The longest pause since <see cref="ResetGap"/>, the pause still running included.</summary>
        public TimeSpan LongestGap
        {
            get
            {
                lock (_gate)
                {
                    var open = clock.Elapsed - (_lastDelivery > _gapSince ? _lastDelivery : _gapSince);
                    return open > _longestGap ? open : _longestGap;
                }
            }
        }

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

                    Deliver(BinaryPrimitives.ReadInt64LittleEndian(data));
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or NodeControlException or IOException)
            {
                // Stopped, or the daemon went away (killed on purpose, or the end of the demo).
            }
        }

        private void Deliver(long seq)
        {
            lock (_gate)
            {
                var now = clock.Elapsed;
                var since = _lastDelivery > _gapSince ? _lastDelivery : _gapSince;
                if (_gapSince != TimeSpan.Zero && now - since > _longestGap)
                {
                    _longestGap = now - since;
                }

                _lastDelivery = now;
            }

            if (_first == 0)
            {
                Interlocked.Exchange(ref _first, seq);
                if (!FromFirst)
                {
                    // A rejoined node starts wherever the stream is: its first message is the baseline, not a jump.
                    Interlocked.Exchange(ref _highest, seq - 1);
                }
            }

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
}
