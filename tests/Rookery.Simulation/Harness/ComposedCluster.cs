using Rookery.Config;
using Rookery.Services;

namespace Rookery.Simulation.Harness;

/// <summary>
/// A small cluster of the shipped composition (<see cref="NodeStack"/>: links, Totem, services) on a quiet virtual
/// network with virtual time, for scenario tests of one service: every datagram arrives after a fixed delay, in order;
/// pairs of nodes can be cut apart (partitions), nodes can crash and restart with their persisted state. Nothing is
/// routed here: each stack routes itself, this only carries datagrams and keeps what each stack emitted. Deterministic
/// for a seed. (The swarm simulation, <see cref="ClusterSimulation"/>, is the one with faults and checkers.)
/// </summary>
public sealed class ComposedCluster
{
    /// <summary>One way latency of every path.</summary>
    public static readonly Duration Delay = Duration.FromMilliseconds(1);

    /// <summary>Virtual time a partition or a restart may take to settle; corosync's timers settle in a few seconds.</summary>
    public static readonly Duration SettleLimit = Duration.FromSeconds(60);

    /// <summary>After the membership has settled, this much virtual time lets the last messages in flight be delivered (many token rotations).</summary>
    public static readonly Duration DeliveryAllowance = Duration.FromMilliseconds(200);

    private readonly PriorityQueue<(NodeId From, NodeId To, LinkId Link, byte[] Bytes), (long, long)> _network = new();
    private readonly Dictionary<uint, ulong> _ringSequences = [];
    private readonly Dictionary<uint, uint> _trackingBarriers = [];
    private readonly Func<NodeBirth, NodeStack> _create;
    private readonly HashSet<uint> _started = [];
    private readonly Prng _prng;
    private long _order;
    private bool _observeTotemEvents;

    /// <summary>
    /// <paramref name="nodes"/> nodes built from a corosync.conf each (<paramref name="configFor"/>, by default
    /// <see cref="Config"/>) by <see cref="NodeStackFactory"/>, or by <paramref name="create"/> when a test needs
    /// settings a file cannot say. Nodes run once started.
    /// </summary>
    public ComposedCluster(ulong seed, int nodes, Func<int, string>? configFor = null, Func<NodeBirth, NodeStack>? create = null)
    {
        Seed = seed;
        _prng = new Prng(seed);
        var configText = configFor ?? (_ => Config(nodes, 1));
        _create = create ?? (birth => FromConfig(configText((int)birth.Id), birth));
        for (var i = 1; i <= nodes; i++)
        {
            Nodes[(uint)i] = Create((uint)i);
        }
    }

    public ulong Seed { get; }

    public Instant Now { get; private set; } = Instant.FromMilliseconds(1);

    /// <summary>Every node's stack; null while crashed.</summary>
    public SortedDictionary<uint, NodeStack?> Nodes { get; } = [];

    /// <summary>Everything each node's stack emitted for the shell, in order; its logs as <see cref="ServiceLog"/> records.</summary>
    public Dictionary<uint, List<ServiceOutput>> Outputs { get; } = [];

    /// <summary>
    /// Every stack, now and after a restart, emits the Totem events it hands to its services
    /// (<see cref="NodeStack.ObserveTotemEvents"/>): configuration changes and deliveries, for checks that follow rings.
    /// </summary>
    public bool ObserveTotemEvents
    {
        get => _observeTotemEvents;
        set
        {
            _observeTotemEvents = value;
            foreach (var node in Nodes.Values)
            {
                node?.ObserveTotemEvents = value;
            }
        }
    }

    /// <summary>Called after every step of the network and the timers (a checker that must hold at every instant).</summary>
    public Action? AfterStep { get; set; }

    /// <summary>Called after a node's output was drained into <see cref="Outputs"/> (with the node's id).</summary>
    public Action<uint>? Drained { get; set; }

    /// <summary>Node pairs that cannot reach each other (both ways), for partitions.</summary>
    public HashSet<(uint, uint)> Cut { get; } = [];

    /// <summary>Started and not crashed.</summary>
    public IEnumerable<NodeId> AliveNodes => Nodes.Where(n => n.Value is not null && _started.Contains(n.Key)).Select(n => new NodeId(n.Key));

    public NodeStack this[uint id] => Nodes[id] ?? throw new InvalidOperationException($"node {id} is down (seed {Seed})");

    public static string Config(int nodes, ulong configVersion) =>
        "totem {\n version: 2\n cluster_name: test\n config_version: " + configVersion + "\n token: 1000\n}\n" +
        "quorum {\n provider: corosync_votequorum\n}\n" +
        "nodelist {\n" + string.Concat(Enumerable.Range(1, nodes).Select(i => $" node {{\n  nodeid: {i}\n  name: n{i}\n  ring0_addr: 127.0.0.{i}\n }}\n")) + "}\n";

    /// <summary>The log texts a node's stack emitted so far.</summary>
    public IEnumerable<string> LogLines(uint id) => Outputs.GetValueOrDefault(id)?.OfType<ServiceLog>().Select(l => l.Text) ?? [];

    /// <summary>Cuts <paramref name="id"/> off from every other node.</summary>
    public void Isolate(uint id)
    {
        foreach (var other in Nodes.Keys.Where(n => n != id))
        {
            Cut.Add((id, other));
            Cut.Add((other, id));
        }
    }

    /// <summary>Cuts every pair of nodes that are not in the same component (nodes in no component are isolated).</summary>
    public void Partition(IEnumerable<IEnumerable<uint>> components)
    {
        var side = new Dictionary<uint, int>();
        var index = 0;
        foreach (var component in components)
        {
            foreach (var node in component)
            {
                side[node] = index;
            }

            index++;
        }

        Cut.Clear();
        foreach (var a in Nodes.Keys)
        {
            foreach (var b in Nodes.Keys)
            {
                if (a != b && (!side.TryGetValue(a, out var sa) || !side.TryGetValue(b, out var sb) || sa != sb))
                {
                    Cut.Add((a, b));
                }
            }
        }
    }

    public void StartAll()
    {
        foreach (var id in Nodes.Keys)
        {
            Start(id);
        }
    }

    public void Start(uint id)
    {
        Nodes[id] ??= Create(id);
        _started.Add(id);
        this[id].SetNodelist(Now, [.. Nodes.Keys.Select(n => new NodeId(n))]);
        this[id].Start(Now);
        Drain(id);
    }

    /// <summary>Cuts nothing: every node can reach every other.</summary>
    public void Heal() => Cut.Clear();

    /// <summary>
    /// One random change of the membership, for seeded sweeps: a new partition of every node into one to three
    /// components, a crash (one node always stays alive), or the restart of a crashed node.
    /// </summary>
    public void RandomMembershipChange(Prng prng)
    {
        ArgumentNullException.ThrowIfNull(prng);
        var alive = AliveNodes.Select(n => n.Value).ToArray();
        var crashed = Nodes.Keys.Where(id => Nodes[id] is null).ToArray();
        switch (prng.NextBelow(6))
        {
            case 0 when alive.Length > 1:
                Crash(alive[prng.NextBelow((ulong)alive.Length)]);
                break;
            case 1 when crashed.Length > 0:
                Restart(crashed[prng.NextBelow((ulong)crashed.Length)]);
                break;
            case 2:
                Heal();
                break;
            default:
                var components = (int)prng.NextInRange(1, 3);
                var sides = Enumerable.Range(0, components).Select(_ => new List<uint>()).ToArray();
                foreach (var id in Nodes.Keys)
                {
                    sides[prng.NextBelow((ulong)components)].Add(id);
                }

                Partition(sides);
                break;
        }
    }

    public void Crash(uint id)
    {
        Nodes[id] = null;
        _started.Remove(id);
    }

    public void Restart(uint id)
    {
        Nodes[id] = Create(id);
        Start(id);
    }

    /// <summary>Runs until the condition holds; throws, naming the seed, when the virtual deadline passes first.</summary>
    public void RunUntil(Func<bool> condition, Duration limit, string what)
    {
        var deadline = Now + limit;
        while (!condition())
        {
            if (Now >= deadline)
            {
                throw new InvalidOperationException($"{what}: not reached within {limit} of virtual time (seed {Seed})");
            }

            Step(deadline);
        }
    }

    public void Run(Duration duration)
    {
        var until = Now + duration;
        while (Now < until)
        {
            Step(until);
        }
    }

    /// <summary>
    /// Runs until every live node is in service in a ring of exactly the live nodes it can reach (its side of the
    /// cuts), nothing waits to be sent, and then <see cref="DeliveryAllowance"/> more for what is in flight.
    /// </summary>
    public void RunUntilSettled()
    {
        RunUntil(IsSettled, SettleLimit, "every side of the partition in service");
        Run(DeliveryAllowance);
        RunUntil(IsSettled, SettleLimit, "every side of the partition in service");
    }

    /// <summary>True when every live node is in service with exactly the live nodes it can reach, and has nothing queued.</summary>
    public bool IsSettled()
    {
        var alive = AliveNodes.Select(n => n.Value).ToArray();
        foreach (var id in alive)
        {
            var stack = this[id];
            var side = alive.Where(other => other == id || (!Cut.Contains((id, other)) && !Cut.Contains((other, id)))).ToArray();
            if (!stack.Services.InService || stack.Services.Syncing || stack.PendingSubmits > 0 || stack.Totem.PendingPackets > 0
                || !stack.Services.Members.Select(m => m.Value).SequenceEqual(side))
            {
                return false;
            }
        }

        return true;
    }

    public void Drain(uint id)
    {
        var node = Nodes[id];
        if (node is null)
        {
            return;
        }

        if (!Outputs.TryGetValue(id, out var list))
        {
            Outputs[id] = list = [];
        }

        // Logs are kept as ServiceLog records beside the events, so a test looks for both in one list.
        list.AddRange(node.Output.Logs.Select(l => new ServiceLog(l.Subsystem, l.Priority, l.Text, l.Fields)));
        list.AddRange(node.Output.Events);
        if (node.Output.RingSequenceToPersist is { } sequence)
        {
            _ringSequences[id] = sequence;
        }

        if (node.Output.TrackingBarrierToPersist is { } barrier)
        {
            _trackingBarriers[id] = barrier;
            list.Add(new TrackingBarrierChanged(barrier));
        }

        foreach (var datagram in node.Output.Datagrams)
        {
            if (!Cut.Contains((id, datagram.Destination.Value)))
            {
                _network.Enqueue((new NodeId(id), datagram.Destination, datagram.Link, datagram.Bytes), ((Now + Delay).Microseconds, _order++));
            }
        }

        node.Output.Clear();
        Drained?.Invoke(id);
    }

    private void Step(Instant limit)
    {
        var next = limit;
        if (_network.TryPeek(out _, out var key) && key.Item1 < next.Microseconds)
        {
            next = new Instant(key.Item1);
        }

        foreach (var node in Nodes.Values)
        {
            if (node is not null && _started.Contains(node.Local.Value) && node.NextDeadline < next)
            {
                next = node.NextDeadline;
            }
        }

        Now = Instant.Max(Now, next);
        while (_network.TryPeek(out var datagram, out key) && key.Item1 <= Now.Microseconds)
        {
            _network.Dequeue();
            if (Nodes.GetValueOrDefault(datagram.To.Value) is { } target && _started.Contains(datagram.To.Value) && Nodes[datagram.From.Value] is not null
                && !Cut.Contains((datagram.From.Value, datagram.To.Value)))
            {
                target.Receive(Now, datagram.Link, datagram.Bytes);
                Drain(datagram.To.Value);
            }
        }

        foreach (var id in Nodes.Keys.ToArray())
        {
            if (Nodes[id] is { } node && _started.Contains(id) && node.NextDeadline <= Now)
            {
                node.Tick(Now);
                Drain(id);
            }
        }

        AfterStep?.Invoke();
    }

    private NodeStack Create(uint id)
    {
        var stack = _create(new NodeBirth(id, _ringSequences.GetValueOrDefault(id), _trackingBarriers.GetValueOrDefault(id), _prng.Fork(), Now));
        stack.ObserveTotemEvents |= _observeTotemEvents;
        return stack;
    }

    private static NodeStack FromConfig(string text, NodeBirth birth)
    {
        var (id, ringSequence, trackingBarrier, prng, now) = birth;
        var loaded = ConfigLoader.Parse(text, "corosync.conf");
        if (loaded.HasErrors)
        {
            throw new InvalidOperationException(string.Join("\n", loaded.Errors));
        }

        var log = new List<LogEntry>();
        var stack = NodeStackFactory.Create(loaded.Config, new NodeId(id), ringSequence, trackingBarrier, prng, log, out var error)
            ?? throw new InvalidOperationException(error);
        var errors = new List<string>();
        NodeStackFactory.AddPeers(stack, loaded.Config, now, errors);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join("\n", errors));
        }

        return stack;
    }
}

/// <summary>What a node of a <see cref="ComposedCluster"/> starts from: its id, its persisted state, its generator, the time.</summary>
public readonly record struct NodeBirth(uint Id, ulong RingSequence, uint TrackingBarrier, Prng Prng, Instant Now);
