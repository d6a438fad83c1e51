namespace Rookery.Simulation.Harness;

/// <summary>One direction of one link between two nodes.</summary>
public readonly record struct LinkPath(NodeId From, NodeId To, LinkId Link)
{
    public override string ToString() => $"{From}->{To}/link{Link}";
}

/// <summary>A datagram the network hands to its destination.</summary>
public readonly record struct ArrivingDatagram(LinkPath Path, byte[] Bytes);

/// <summary>
/// What the driver needs from a simulated network that carries bytes: send on a path, hand out
/// due datagrams in a deterministic order, and cut single paths.
/// </summary>
public interface ISimNetwork
{
    /// <summary>When the next datagram is due (<see cref="Instant.Never"/> when nothing is in flight).</summary>
    Instant NextArrival { get; }

    void Send(Instant now, LinkPath path, byte[] bytes);

    /// <summary>Takes the next datagram due at or before <paramref name="now"/>; equal times keep send order.</summary>
    bool TryReceive(Instant now, out ArrivingDatagram datagram);

    /// <summary>Cuts or heals one direction of one link.</summary>
    void SetCut(LinkPath path, bool cut);

    /// <summary>Replaces the loss, delay, duplication and corruption of every path (healing sets them clean).</summary>
    void SetConditions(Scenarios.PathConditions conditions);

    /// <summary>Datagrams sent so far and dropped so far (loss, cuts).</summary>
    (long Sent, long Dropped) Counters { get; }
}
