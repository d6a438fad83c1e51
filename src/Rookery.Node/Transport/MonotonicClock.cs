namespace Rookery.Node.Transport;

/// <summary>
/// The node's real clock: monotonic (never jumps with wall-clock changes), microsecond resolution,
/// origin = the moment this instance was created. Cores never read it; the shell passes its
/// readings in as <c>now</c>.
/// </summary>
public sealed class MonotonicClock
{
    private readonly long _originTicks;
    private readonly long _frequency;

    public MonotonicClock()
        : this(TimeProvider.System)
    {
    }

    public MonotonicClock(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        TimeProvider = timeProvider;
        _frequency = timeProvider.TimestampFrequency;
        _originTicks = timeProvider.GetTimestamp();
        Invariant.Require(_frequency > 0);
    }

    /// <summary>The provider behind this clock (the system's monotonic timestamp unless a test says otherwise).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The current reading.</summary>
    public Instant Now => FromTimestamp(TimeProvider.GetTimestamp());

    /// <summary>Converts a raw <see cref="TimeProvider.GetTimestamp"/> value taken from the same provider.</summary>
    public Instant FromTimestamp(long timestamp)
    {
        var ticks = timestamp - _originTicks;
        // Split to avoid overflow of ticks * 1_000_000 for long uptimes with high-frequency counters.
        var seconds = Math.DivRem(ticks, _frequency, out var remainder);
        return new Instant(checked((seconds * 1_000_000) + (remainder * 1_000_000 / _frequency)));
    }

    /// <summary>A timespan until <paramref name="deadline"/>, zero if it has passed, for a real wait.</summary>
    public TimeSpan Until(Instant deadline)
    {
        if (deadline == Instant.Never)
        {
            return Timeout.InfiniteTimeSpan;
        }

        var left = deadline - Now;
        return left <= Duration.Zero ? TimeSpan.Zero : TimeSpan.FromMicroseconds(left.Microseconds);
    }
}
