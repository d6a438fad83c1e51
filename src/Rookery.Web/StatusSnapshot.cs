using Rookery.Control;

namespace Rookery.Web;

/// <summary>
/// The newest <see cref="ClusterStatus"/> of the node, asked of it through <see cref="INodeControl"/> like any client
/// asks. A scrape refreshes it first (<see cref="RefreshAsync"/>); a reader that does not (dotnet-counters polling the
/// instruments) gets a refresh when the snapshot is older than <see cref="MaxAge"/>, waited for on that reader's thread,
/// never on the node's loop.
/// </summary>
public sealed class StatusSnapshot
{
    /// <summary>How old a snapshot may be before a reader of <see cref="Current"/> refreshes it.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    /// <summary>How long a refresh waits for the node before the previous snapshot is used.</summary>
    public static readonly TimeSpan RefreshTimeout = TimeSpan.FromSeconds(2);

    private readonly INodeControl _node;
    private readonly Lock _gate = new();
    private ClusterStatus? _status;
    private long _takenAtMs = long.MinValue;

    public StatusSnapshot(INodeControl node) => _node = node;

    /// <summary>The newest snapshot (refreshed first when older than <see cref="MaxAge"/>); null when the node never answered.</summary>
    public ClusterStatus? Current
    {
        get
        {
            if (Environment.TickCount64 - Volatile.Read(ref _takenAtMs) > MaxAge.TotalMilliseconds)
            {
                using var timeout = new CancellationTokenSource(RefreshTimeout);
                try
                {
                    RefreshAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
                }
                catch (Exception exception) when (exception is NodeControlException or OperationCanceledException)
                {
                    // The previous snapshot stands; the node may be stopping.
                }
            }

            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>Asks the node for its status now.</summary>
    public async ValueTask RefreshAsync(CancellationToken cancellationToken)
    {
        var status = await _node.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _status = status;
            Volatile.Write(ref _takenAtMs, Environment.TickCount64);
        }
    }
}
