namespace Rookery.Simulation.Network;

/// <summary>One direction of one link between two nodes.</summary>
public readonly record struct NetworkPath(NodeId Source, NodeId Destination, LinkId Link)
{
    /// <summary>The opposite direction.</summary>
    public NetworkPath Reverse => new(Destination, Source, Link);

    /// <inheritdoc />
    public override string ToString() => $"{Source}->{Destination} link {Link}";
}

/// <summary>A datagram as the simulated network hands it to its destination.</summary>
public readonly record struct SimDatagram(NetworkPath Path, byte[] Bytes, Instant SentAt);
