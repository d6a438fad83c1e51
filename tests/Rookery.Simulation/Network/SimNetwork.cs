namespace Rookery.Simulation.Network;

/// <summary>
/// A deterministic network that carries bytes between (node, link) endpoints with per-path loss, delay
/// and jitter, duplication, corruption, MTU, one-way or two-way cuts and periodic flapping. Every random
/// decision comes from the <see cref="Prng"/> given at construction and datagrams due at the same instant
/// leave in send order, so a seed replays exactly. Dictionaries here are only looked up, never enumerated.
/// </summary>
public sealed class SimNetwork
{
    private readonly Prng _prng;
    private readonly EventQueue<SimDatagram> _inFlight = new();
    private readonly Dictionary<NetworkPath, PathFaults> _faults = [];
    private readonly HashSet<NetworkPath> _cut = [];
    private readonly Dictionary<NetworkPath, Flapping> _flapping = [];

    /// <summary>Creates a network whose paths default to <paramref name="defaults"/> (a quiet LAN if null).</summary>
    public SimNetwork(Prng prng, PathFaults? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(prng);
        _prng = prng;
        DefaultFaults = defaults ?? PathFaults.Lan;
    }

    /// <summary>Faults of every path without its own.</summary>
    public PathFaults DefaultFaults { get; set; }

    /// <summary>What happened so far.</summary>
    public NetworkCounters Counters { get; } = new();

    /// <summary>When the next datagram arrives; <see cref="Instant.Never"/> when none is in flight.</summary>
    public Instant NextDeliveryAt => _inFlight.NextAt;

    /// <summary>Datagrams in flight.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>Gives one path its own faults.</summary>
    public void SetFaults(NetworkPath path, PathFaults faults) => _faults[path] = faults;

    /// <summary>Gives both directions of (a, b, link) the same faults.</summary>
    public void SetFaults(NodeId a, NodeId b, LinkId link, PathFaults faults)
    {
        SetFaults(new NetworkPath(a, b, link), faults);
        SetFaults(new NetworkPath(b, a, link), faults);
    }

    /// <summary>Returns a path to the default faults.</summary>
    public void ClearFaults(NetworkPath path) => _faults.Remove(path);

    /// <summary>The faults in force on a path.</summary>
    public PathFaults FaultsOf(NetworkPath path) => _faults.GetValueOrDefault(path, DefaultFaults);

    /// <summary>Cuts one direction: datagrams sent on it, or arriving over it, vanish silently.</summary>
    public void Cut(NetworkPath path) => _cut.Add(path);

    /// <summary>Heals one direction (and stops its flapping).</summary>
    public void Heal(NetworkPath path)
    {
        _cut.Remove(path);
        _flapping.Remove(path);
    }

    /// <summary>Cuts both directions of (a, b, link).</summary>
    public void CutBoth(NodeId a, NodeId b, LinkId link)
    {
        Cut(new NetworkPath(a, b, link));
        Cut(new NetworkPath(b, a, link));
    }

    /// <summary>Heals both directions of (a, b, link).</summary>
    public void HealBoth(NodeId a, NodeId b, LinkId link)
    {
        Heal(new NetworkPath(a, b, link));
        Heal(new NetworkPath(b, a, link));
    }

    /// <summary>
    /// Makes a path flap from <paramref name="start"/>: up for <paramref name="up"/>, then cut for
    /// <paramref name="down"/>, repeating until <see cref="Heal"/>.
    /// </summary>
    public void Flap(NetworkPath path, Instant start, Duration up, Duration down)
    {
        Invariant.Require(up > Duration.Zero && down > Duration.Zero);
        _flapping[path] = new Flapping(start, up, down);
    }

    /// <summary>Whether the path drops everything at <paramref name="now"/>.</summary>
    public bool IsCut(NetworkPath path, Instant now)
    {
        if (_cut.Contains(path))
        {
            return true;
        }

        if (!_flapping.TryGetValue(path, out var flapping) || now < flapping.Start)
        {
            return false;
        }

        var period = (flapping.Up + flapping.Down).Microseconds;
        return (now - flapping.Start).Microseconds % period >= flapping.Up.Microseconds;
    }

    /// <summary>Hands a datagram to the network at <paramref name="now"/>.</summary>
    public void Send(Instant now, NetworkPath path, ReadOnlySpan<byte> bytes)
    {
        Counters.Sent++;
        var faults = FaultsOf(path);
        if (IsCut(path, now))
        {
            Counters.Cut++;
            return;
        }

        if (bytes.Length > faults.PayloadSizeMax)
        {
            Counters.TooBig++;
            return;
        }

        if (_prng.Chance(faults.Loss))
        {
            Counters.Lost++;
            return;
        }

        Enqueue(now, path, bytes, faults);
        if (_prng.Chance(faults.Duplicate))
        {
            Counters.Duplicated++;
            Enqueue(now, path, bytes, faults);
        }
    }

    /// <summary>Takes the next datagram due at or before <paramref name="now"/>, skipping those whose path was cut meanwhile.</summary>
    public bool TryDeliver(Instant now, out SimDatagram datagram)
    {
        while (_inFlight.TryDequeueDue(now, out var at, out datagram))
        {
            if (IsCut(datagram.Path, at))
            {
                Counters.Cut++;
                continue;
            }

            Counters.Delivered++;
            return true;
        }

        return false;
    }

    private void Enqueue(Instant now, NetworkPath path, ReadOnlySpan<byte> bytes, PathFaults faults)
    {
        var copy = bytes.ToArray();
        if (copy.Length > 0 && _prng.Chance(faults.Corrupt))
        {
            Counters.Corrupted++;
            copy[(int)_prng.NextBelow((ulong)copy.Length)] ^= (byte)(1 + _prng.NextBelow(255));
        }

        var jitter = faults.Jitter > Duration.Zero ? new Duration(_prng.NextInRange(0, faults.Jitter.Microseconds)) : Duration.Zero;
        _inFlight.Schedule(now + faults.Delay + jitter, new SimDatagram(path, copy, now));
    }

    private readonly record struct Flapping(Instant Start, Duration Up, Duration Down);
}
