using Rookery.Simulation.Network;
using Rookery.Simulation.Scenarios;

namespace Rookery.Simulation.Harness;

/// <summary>
/// The harness's view of the simulated network (<see cref="SimNetwork"/>, Network/): the plan's
/// conditions become every path's default faults. No IP MTU is enforced here (the link layer
/// fragments to its own MTU; a run without it carries Totem's packets whole).
/// </summary>
public sealed class SimNetworkAdapter(Prng prng, PathConditions conditions) : ISimNetwork
{
    private readonly SimNetwork _network = new(prng, Faults(conditions));

    public SimNetwork Network => _network;

    public Instant NextArrival => _network.NextDeliveryAt;

    public (long Sent, long Dropped) Counters =>
        (_network.Counters.Sent, _network.Counters.Lost + _network.Counters.Cut + _network.Counters.TooBig);

    public void Send(Instant now, LinkPath path, byte[] bytes) => _network.Send(now, Path(path), bytes);

    public bool TryReceive(Instant now, out ArrivingDatagram datagram)
    {
        if (_network.TryDeliver(now, out var arrived))
        {
            datagram = new ArrivingDatagram(new LinkPath(arrived.Path.Source, arrived.Path.Destination, arrived.Path.Link), arrived.Bytes);
            return true;
        }

        datagram = default;
        return false;
    }

    public void SetCut(LinkPath path, bool cut)
    {
        if (cut)
        {
            _network.Cut(Path(path));
        }
        else
        {
            _network.Heal(Path(path));
        }
    }

    public void SetConditions(PathConditions conditions) => _network.DefaultFaults = Faults(conditions);

    private static NetworkPath Path(LinkPath path) => new(path.From, path.To, path.Link);

    private static PathFaults Faults(PathConditions conditions) => new()
    {
        Loss = conditions.Loss,
        Duplicate = conditions.Duplicate,
        Corrupt = conditions.Corrupt,
        Delay = conditions.DelayMin,
        Jitter = conditions.DelayJitter,
        PayloadSizeMax = Limits.DatagramSizeMax,
    };
}
