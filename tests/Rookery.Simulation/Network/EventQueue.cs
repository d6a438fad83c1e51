namespace Rookery.Simulation.Network;

/// <summary>
/// A virtual-time event queue. Items come out by time, and items scheduled for the same time come out
/// in the order they were scheduled (an explicit sequence number breaks ties), so a run replays exactly.
/// </summary>
/// <typeparam name="T">The scheduled item.</typeparam>
public sealed class EventQueue<T>
{
    private readonly PriorityQueue<T, (long Time, long Sequence)> _queue = new();
    private long _sequence;

    /// <summary>Items waiting.</summary>
    public int Count => _queue.Count;

    /// <summary>When the next item is due; <see cref="Instant.Never"/> when empty.</summary>
    public Instant NextAt => _queue.TryPeek(out _, out var key) ? new Instant(key.Time) : Instant.Never;

    /// <summary>Schedules <paramref name="item"/> at <paramref name="at"/>.</summary>
    public void Schedule(Instant at, T item) => _queue.Enqueue(item, (at.Microseconds, _sequence++));

    /// <summary>Takes the earliest item if it is due at or before <paramref name="now"/>.</summary>
    public bool TryDequeueDue(Instant now, out Instant at, out T item)
    {
        if (_queue.TryPeek(out item!, out var key) && key.Time <= now.Microseconds)
        {
            _queue.Dequeue();
            at = new Instant(key.Time);
            return true;
        }

        at = Instant.Never;
        item = default!;
        return false;
    }
}
