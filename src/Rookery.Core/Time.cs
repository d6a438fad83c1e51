namespace Rookery;

/// <summary>
/// A reading of a node's monotonic clock in microseconds from an arbitrary origin.
/// </summary>
/// <remarks>
/// Pure cores never read a clock. The node shell passes real monotonic time and the simulator
/// passes virtual time, through the same <c>now</c> parameter.
/// </remarks>
public readonly record struct Instant(long Microseconds) : IComparable<Instant>
{
    /// <summary>The origin of the clock.</summary>
    public static Instant Zero => new(0);

    /// <summary>A time later than every real deadline; used for "no deadline".</summary>
    public static Instant Never => new(long.MaxValue);

    /// <summary>Whole milliseconds since the origin (truncated).</summary>
    public long Milliseconds => Microseconds / 1000;

    public static Instant FromMilliseconds(long milliseconds) => new(checked(milliseconds * 1000));

    public static Instant operator +(Instant instant, Duration duration) =>
        instant == Never || duration == Duration.Infinite ? Never : new(checked(instant.Microseconds + duration.Microseconds));

    public static Instant operator -(Instant instant, Duration duration) => new(checked(instant.Microseconds - duration.Microseconds));

    public static Duration operator -(Instant later, Instant earlier) => new(checked(later.Microseconds - earlier.Microseconds));

    public static bool operator <(Instant left, Instant right) => left.Microseconds < right.Microseconds;

    public static bool operator >(Instant left, Instant right) => left.Microseconds > right.Microseconds;

    public static bool operator <=(Instant left, Instant right) => left.Microseconds <= right.Microseconds;

    public static bool operator >=(Instant left, Instant right) => left.Microseconds >= right.Microseconds;

    public static Instant Min(Instant a, Instant b) => a <= b ? a : b;

    public static Instant Max(Instant a, Instant b) => a >= b ? a : b;

    public int CompareTo(Instant other) => Microseconds.CompareTo(other.Microseconds);

    public override string ToString() => this == Never ? "never" : $"{Microseconds / 1000}.{Math.Abs(Microseconds % 1000):D3}ms";
}

/// <summary>A span of time in microseconds.</summary>
public readonly record struct Duration(long Microseconds) : IComparable<Duration>
{
    public static Duration Zero => new(0);

    /// <summary>Longer than any real timeout.</summary>
    public static Duration Infinite => new(long.MaxValue);

    /// <summary>Whole milliseconds (truncated).</summary>
    public long Milliseconds => Microseconds / 1000;

    public static Duration FromMilliseconds(long milliseconds) => new(checked(milliseconds * 1000));

    public static Duration FromSeconds(long seconds) => new(checked(seconds * 1_000_000));

    public static Duration operator +(Duration a, Duration b) => new(checked(a.Microseconds + b.Microseconds));

    public static Duration operator -(Duration a, Duration b) => new(checked(a.Microseconds - b.Microseconds));

    public static Duration operator *(Duration a, long factor) => new(checked(a.Microseconds * factor));

    public static Duration operator /(Duration a, long divisor) => new(a.Microseconds / divisor);

    public static bool operator <(Duration left, Duration right) => left.Microseconds < right.Microseconds;

    public static bool operator >(Duration left, Duration right) => left.Microseconds > right.Microseconds;

    public static bool operator <=(Duration left, Duration right) => left.Microseconds <= right.Microseconds;

    public static bool operator >=(Duration left, Duration right) => left.Microseconds >= right.Microseconds;

    public static Duration Min(Duration a, Duration b) => a <= b ? a : b;

    public static Duration Max(Duration a, Duration b) => a >= b ? a : b;

    public int CompareTo(Duration other) => Microseconds.CompareTo(other.Microseconds);

    public override string ToString() => $"{Microseconds / 1000}.{Math.Abs(Microseconds % 1000):D3}ms";
}
