using Rookery.Simulation.Scenarios;

namespace Rookery.Simulation.Harness;

/// <summary>
/// A deterministic in-memory network for the harness: loss, delay with jitter (which reorders),
/// duplication, corruption (one flipped byte) and per-path cuts, every decision drawn from the
/// run's <see cref="Prng"/>. Ties in arrival time keep send order, so a seed replays exactly.
/// </summary>
public sealed class HarnessNetwork(Prng prng, PathConditions conditions) : ISimNetwork
{
    private readonly PriorityQueue<ArrivingDatagram, (long ArriveAt, long SendOrder)> _inFlight = new();
    private readonly HashSet<LinkPath> _cut = [];
    private long _sendOrder;
    private long _sent;
    private long _dropped;

    private PathConditions _conditions = conditions;

    public Instant NextArrival => _inFlight.TryPeek(out _, out var due) ? new Instant(due.ArriveAt) : Instant.Never;

    public (long Sent, long Dropped) Counters => (_sent, _dropped);

    public void Send(Instant now, LinkPath path, byte[] bytes)
    {
        Invariant.Require(bytes.Length > 0);
        _sent++;
        if (_cut.Contains(path) || prng.Chance(_conditions.Loss))
        {
            _dropped++;
            return;
        }

        Enqueue(now, path, bytes);
        if (prng.Chance(_conditions.Duplicate))
        {
            Enqueue(now, path, bytes);
        }
    }

    public bool TryReceive(Instant now, out ArrivingDatagram datagram)
    {
        if (_inFlight.TryPeek(out datagram, out var due) && due.ArriveAt <= now.Microseconds)
        {
            _inFlight.Dequeue();
            return true;
        }

        datagram = default;
        return false;
    }

    public void SetConditions(PathConditions conditions) => _conditions = conditions;

    public void SetCut(LinkPath path, bool cut)
    {
        if (cut)
        {
            _cut.Add(path);
        }
        else
        {
            _cut.Remove(path);
        }
    }

    private void Enqueue(Instant now, LinkPath path, byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        if (prng.Chance(_conditions.Corrupt))
        {
            copy[(int)prng.NextBelow((ulong)copy.Length)] ^= (byte)(1 + prng.NextBelow(255));
        }

        var jitter = _conditions.DelayJitter.Microseconds > 0 ? (long)prng.NextBelow((ulong)_conditions.DelayJitter.Microseconds + 1) : 0;
        var arriveAt = now + _conditions.DelayMin + new Duration(jitter);
        _inFlight.Enqueue(new ArrivingDatagram(path, copy), (arriveAt.Microseconds, _sendOrder++));
    }
}
