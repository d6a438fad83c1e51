namespace Rookery.Simulation.Network;

/// <summary>What the simulated network did with the datagrams it was given.</summary>
public sealed class NetworkCounters
{
    /// <summary>Datagrams handed to <see cref="SimNetwork.Send"/>.</summary>
    public long Sent { get; internal set; }

    /// <summary>Datagrams handed to their destination (duplicates included).</summary>
    public long Delivered { get; internal set; }

    /// <summary>Dropped by random loss.</summary>
    public long Lost { get; internal set; }

    /// <summary>Dropped because the path was cut at send or delivery time.</summary>
    public long Cut { get; internal set; }

    /// <summary>Dropped for exceeding the path MTU.</summary>
    public long TooBig { get; internal set; }

    /// <summary>Extra copies made.</summary>
    public long Duplicated { get; internal set; }

    /// <summary>Datagrams with a flipped byte.</summary>
    public long Corrupted { get; internal set; }
}
