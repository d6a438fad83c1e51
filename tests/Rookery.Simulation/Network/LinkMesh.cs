using Rookery.Links;

namespace Rookery.Simulation.Network;

/// <summary>An event as a <see cref="LinkMesh"/> observed it.</summary>
public readonly record struct MeshEvent(Instant At, NodeId Node, LinkEvent Event)
{
    /// <inheritdoc />
    public override string ToString() => $"{At} node {Node}: {Event.LogLine}";
}

/// <summary>
/// Several <see cref="LinkLayer"/> cores joined by a <see cref="SimNetwork"/> and driven in virtual time:
/// the same loop a node shell runs (deliver datagrams, run due actions, tick due cores, route outputs),
/// with every random choice drawn from one seed. Every node has the same links to every other node.
/// </summary>
public sealed class LinkMesh
{
    private readonly Dictionary<NodeId, Member> _members = [];
    private readonly List<NodeId> _order;
    private readonly IReadOnlyList<(LinkId Link, LinkOptions Options)> _links;
    private readonly Func<NodeId, LinkLayerOptions> _optionsOf;
    private readonly EventQueue<Action> _actions = new();
    private readonly Prng _prng;
    private readonly LinkOutput _output = new();
    private int _stepsAtSameInstant;

    /// <summary>Steps at one instant beyond which the run is a livelock (a deadline that never moves), not a simulation.</summary>
    public const int StepsAtSameInstantMax = 100_000;

    /// <summary>Builds the mesh and starts every node at time zero.</summary>
    /// <param name="seed">The run's seed; print it on failure.</param>
    /// <param name="nodes">Node ids.</param>
    /// <param name="links">The links every node has towards every other node, with their options.</param>
    /// <param name="optionsOf">Node-wide options per node (crypto, policy); a clear passive default if null.</param>
    /// <param name="faults">Default path faults (a quiet LAN if null).</param>
    public LinkMesh(
        ulong seed,
        IReadOnlyList<NodeId> nodes,
        IReadOnlyList<(LinkId Link, LinkOptions Options)> links,
        Func<NodeId, LinkLayerOptions>? optionsOf = null,
        PathFaults? faults = null)
    {
        Seed = seed;
        _prng = new Prng(seed);
        Network = new SimNetwork(_prng.Fork(), faults);
        _order = [.. nodes.Order()];
        _links = links;
        _optionsOf = optionsOf ?? (_ => new LinkLayerOptions());
        foreach (var node in _order)
        {
            _members[node] = new Member(CreateLayer(node));
        }
    }

    /// <summary>The seed this run replays from.</summary>
    public ulong Seed { get; }

    /// <summary>Virtual time.</summary>
    public VirtualClock Clock { get; } = new();

    /// <summary>The network, for faults and cuts.</summary>
    public SimNetwork Network { get; }

    /// <summary>Node ids, ascending.</summary>
    public IReadOnlyList<NodeId> Nodes => _order;

    /// <summary>Every event so far, when <see cref="RecordEvents"/> is on.</summary>
    public List<MeshEvent> Events { get; } = [];

    /// <summary>Whether <see cref="Events"/> keeps events (<see cref="Delivered"/> ones only if <see cref="RecordDeliveries"/>).</summary>
    public bool RecordEvents { get; set; } = true;

    /// <summary>Whether <see cref="Events"/> also keeps deliveries.</summary>
    public bool RecordDeliveries { get; set; } = true;

    /// <summary>When a datagram reaches a crashed node, report a transport error to its sender (ICMP port unreachable).</summary>
    public bool PortUnreachableOnCrash { get; set; }

    /// <summary>Called for every event, recorded or not.</summary>
    public Action<MeshEvent>? OnEvent { get; set; }

    /// <summary>The live core of <paramref name="node"/>.</summary>
    public LinkLayer Node(NodeId node) => _members[node].Layer;

    /// <summary>Whether <paramref name="node"/> is running.</summary>
    public bool IsRunning(NodeId node) => !_members[node].Crashed;

    /// <summary>Runs <paramref name="action"/> at <paramref name="at"/> (actions at one instant run in scheduling order).</summary>
    public void At(Instant at, Action action) => _actions.Schedule(at, action);

    /// <summary>Calls <paramref name="change"/> on a node's core now and routes what it produced (runtime configuration).</summary>
    public void Apply(NodeId node, Action<LinkLayer, LinkOutput> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        change(_members[node].Layer, _output);
        Route(node);
    }

    /// <summary>Broadcasts from <paramref name="node"/> now.</summary>
    public SendStatus Broadcast(NodeId node, byte channel, ReadOnlySpan<byte> payload)
    {
        var status = _members[node].Layer.Broadcast(Clock.Now, channel, payload, _output);
        Route(node);
        return status;
    }

    /// <summary>Sends from <paramref name="node"/> to <paramref name="destination"/> now.</summary>
    public SendStatus Send(NodeId node, NodeId destination, byte channel, ReadOnlySpan<byte> payload)
    {
        var status = _members[node].Layer.Send(Clock.Now, destination, channel, payload, _output);
        Route(node);
        return status;
    }

    /// <summary>Stops a node: it neither ticks nor receives.</summary>
    public void Crash(NodeId node) => _members[node].Crashed = true;

    /// <summary>
    /// Freezes a node's loop until <paramref name="until"/> (a scheduling stall): it runs no timer and its
    /// datagrams wait in its socket; at <paramref name="until"/> it reads them all, then runs its timers.
    /// </summary>
    public void Stall(NodeId node, Instant until) => _members[node].StalledUntil = until;

    /// <summary>Starts a node again with a fresh core (its data seq restarts at 0, as after a real restart).</summary>
    public void Restart(NodeId node)
    {
        _members[node].Layer = CreateLayer(node);
        _members[node].Crashed = false;
    }

    /// <summary>Runs until virtual time <paramref name="end"/>.</summary>
    public void RunUntil(Instant end)
    {
        while (Step(end))
        {
        }

        Clock.AdvanceTo(Instant.Max(Clock.Now, end));
    }

    /// <summary>Runs for <paramref name="duration"/> of virtual time.</summary>
    public void RunFor(Duration duration) => RunUntil(Clock.Now + duration);

    /// <summary>Runs until <paramref name="condition"/> holds (checked after every step) or <paramref name="deadline"/>; returns whether it held.</summary>
    public bool RunUntil(Func<bool> condition, Instant deadline)
    {
        ArgumentNullException.ThrowIfNull(condition);
        while (!condition())
        {
            if (!Step(deadline))
            {
                Clock.AdvanceTo(Instant.Max(Clock.Now, deadline));
                return condition();
            }
        }

        return true;
    }

    private LinkLayer CreateLayer(NodeId node)
    {
        var layer = new LinkLayer(node, _optionsOf(node), _prng.Fork());
        foreach (var peer in _order)
        {
            if (peer == node)
            {
                continue;
            }

            layer.AddPeer(peer);
            foreach (var (link, options) in _links)
            {
                layer.AddLink(Clock.Now, peer, link, options);
            }
        }

        return layer;
    }

    private bool Step(Instant limit)
    {
        var next = Instant.Min(Network.NextDeliveryAt, _actions.NextAt);
        foreach (var node in _order)
        {
            var member = _members[node];
            if (!member.Crashed)
            {
                next = Instant.Min(next, member.StalledUntil != Instant.Never ? member.StalledUntil : member.Layer.NextDeadline);
            }
        }

        if (next > limit || next == Instant.Never)
        {
            return false;
        }

        var now = Instant.Max(next, Clock.Now);
        _stepsAtSameInstant = now == Clock.Now ? _stepsAtSameInstant + 1 : 0;
        Invariant.Require(_stepsAtSameInstant < StepsAtSameInstantMax);
        Clock.AdvanceTo(now);
        while (Network.TryDeliver(now, out var datagram))
        {
            DeliverDatagram(now, datagram);
        }

        while (_actions.TryDequeueDue(now, out _, out var action))
        {
            action();
        }

        foreach (var node in _order)
        {
            var member = _members[node];
            if (!member.Crashed && member.StalledUntil != Instant.Never && now >= member.StalledUntil)
            {
                member.StalledUntil = Instant.Never;
                foreach (var (link, bytes) in member.Held)
                {
                    member.Layer.Receive(now, link, bytes, _output);
                    Route(node);
                }

                member.Held.Clear();
            }
        }

        foreach (var node in _order)
        {
            var member = _members[node];
            if (!member.Crashed && member.StalledUntil == Instant.Never && member.Layer.NextDeadline <= now)
            {
                member.Layer.Tick(now, _output);
                Route(node);
            }
        }

        return true;
    }

    private void DeliverDatagram(Instant now, SimDatagram datagram)
    {
        var destination = _members[datagram.Path.Destination];
        if (destination.Crashed)
        {
            var sender = _members[datagram.Path.Source];
            if (PortUnreachableOnCrash && !sender.Crashed)
            {
                sender.Layer.ReportTransportError(now, datagram.Path.Destination, datagram.Path.Link, _output);
                Route(datagram.Path.Source);
            }

            return;
        }

        if (destination.StalledUntil != Instant.Never)
        {
            destination.Held.Add((datagram.Path.Link, datagram.Bytes));
            return;
        }

        destination.Layer.Receive(now, datagram.Path.Link, datagram.Bytes, _output);
        Route(datagram.Path.Destination);
    }

    /// <summary>
    /// Sends what a core produced and reports its events (its log records are not kept). The output is emptied first, so an
    /// <see cref="OnEvent"/> handler may send or reconfigure (a layer above reacting to a delivery).
    /// </summary>
    private void Route(NodeId node)
    {
        var now = Clock.Now;
        var datagrams = _output.Datagrams.ToArray();
        var events = _output.Events.ToArray();
        _output.Clear();
        foreach (var datagram in datagrams)
        {
            Network.Send(now, new NetworkPath(node, datagram.Destination, datagram.Link), datagram.Bytes);
        }

        foreach (var linkEvent in events)
        {
            var meshEvent = new MeshEvent(now, node, linkEvent);
            if (RecordEvents && (RecordDeliveries || linkEvent is not Delivered))
            {
                Events.Add(meshEvent);
            }

            OnEvent?.Invoke(meshEvent);
        }
    }

    private sealed class Member(LinkLayer layer)
    {
        public LinkLayer Layer { get; set; } = layer;

        public bool Crashed { get; set; }

        /// <summary>End of a scheduling stall (<see cref="Instant.Never"/> when running).</summary>
        public Instant StalledUntil { get; set; } = Instant.Never;

        /// <summary>Datagrams that arrived during a stall, in arrival order.</summary>
        public List<(LinkId Link, byte[] Bytes)> Held { get; } = [];
    }
}
