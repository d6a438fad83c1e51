namespace Rookery.Simulation.Network;

/// <summary>
/// How one path treats datagrams. Every random decision is drawn from the network's <see cref="Prng"/>.
/// </summary>
public sealed record PathFaults
{
    /// <summary>A quiet LAN: 100 µs one way, up to 50 µs of jitter, 1500-byte IP MTU.</summary>
    public static PathFaults Lan { get; } = new();

    /// <summary>Probability that a datagram is lost.</summary>
    public Ratio Loss { get; init; } = Ratio.Zero;

    /// <summary>One-way delay.</summary>
    public Duration Delay { get; init; } = new(100);

    /// <summary>Extra delay, uniform in [0, Jitter]; unequal delays reorder datagrams.</summary>
    public Duration Jitter { get; init; } = new(50);

    /// <summary>Probability that a datagram arrives twice (the copy gets its own delay).</summary>
    public Ratio Duplicate { get; init; } = Ratio.Zero;

    /// <summary>Probability that one random byte of a datagram is flipped.</summary>
    public Ratio Corrupt { get; init; } = Ratio.Zero;

    /// <summary>Largest UDP payload the path carries (IP MTU − 28); larger datagrams vanish, as with DF set.</summary>
    public int PayloadSizeMax { get; init; } = 1500 - 28;
}
