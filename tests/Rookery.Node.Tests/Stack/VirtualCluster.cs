using Rookery.Config;
using Rookery.Services;

namespace Rookery.Node.Tests.Stack;

/// <summary>
/// Node stacks (Totem + services) of several nodes on a virtual network with virtual time: every datagram
/// arrives after a fixed delay, in order; nodes can crash and restart. Deterministic for a seed.
/// </summary>
internal sealed class VirtualCluster
{
    private static readonly Duration s_delay = Duration.FromMilliseconds(1);

    private readonly PriorityQueue<(NodeId From, NodeId To, byte[] Bytes), (long, long)> _network = new();
    private readonly Dictionary<uint, ulong> _ringSequences = [];
    private readonly Prng _prng;
    private long _order;

    public VirtualCluster(ulong seed, int nodes, Func<int, string>? configFor = null)
    {
        Seed = seed;
        _prng = new Prng(seed);
        ConfigFor = configFor ?? (_ => Config(nodes, 1));
        for (var i = 1; i <= nodes; i++)
        {
            Nodes[(uint)i] = Create((uint)i);
        }
    }

    public ulong Seed { get; }

    public Func<int, string> ConfigFor { get; }

    public Instant Now { get; private set; } = Instant.FromMilliseconds(1);

    public SortedDictionary<uint, NodeStack?> Nodes { get; } = [];

    /// <summary>Everything each node's stack emitted for the shell, in order.</summary>
    public Dictionary<uint, List<ServiceOutput>> Outputs { get; } = [];

    /// <summary>Node pairs that cannot reach each other (both ways), for partitions.</summary>
    public HashSet<(uint, uint)> Cut { get; } = [];

    /// <summary>Cuts <paramref name="id"/> off from every other node.</summary>
    public void Isolate(uint id)
    {
        foreach (var other in Nodes.Keys.Where(n => n != id))
        {
            Cut.Add((id, other));
            Cut.Add((other, id));
        }
    }

    public NodeStack this[uint id] => Nodes[id] ?? throw new InvalidOperationException($"node {id} is down (seed {Seed})");

    public static string Config(int nodes, ulong configVersion) =>
        "totem {\n version: 2\n cluster_name: test\n config_version: " + configVersion + "\n token: 1000\n}\n" +
        "quorum {\n provider: corosync_votequorum\n}\n" +
        "nodelist {\n" + string.Concat(Enumerable.Range(1, nodes).Select(i => $" node {{\n  nodeid: {i}\n  name: n{i}\n  ring0_addr: 127.0.0.{i}\n }}\n")) + "}\n";

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
        this[id].SetNodelist(Now, [.. Nodes.Keys.Select(n => new NodeId(n))]);
        this[id].Start(Now);
        Drain(id);
    }

    public void Crash(uint id) => Nodes[id] = null;

    public void Restart(uint id)
    {
        Nodes[id] = Create(id);
        Start(id);
    }

    /// <summary>Runs until the condition holds; fails with the seed when the virtual deadline passes first.</summary>
    public void RunUntil(Func<bool> condition, Duration limit, string what)
    {
        var deadline = Now + limit;
        while (!condition())
        {
            Assert.True(Now < deadline, $"{what}: not reached within {limit} of virtual time (seed {Seed})");
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

        list.AddRange(node.Outputs);
        node.Outputs.Clear();
        if (node.RingSequenceToPersist is { } sequence)
        {
            _ringSequences[id] = sequence;
            node.RingSequenceToPersist = null;
        }

        foreach (var datagram in node.Datagrams)
        {
            var targets = datagram.IsMulticast ? Nodes.Keys.Where(n => n != id).ToArray() : [datagram.To.Value];
            foreach (var target in targets.Where(t => !Cut.Contains((id, t))))
            {
                _network.Enqueue((new NodeId(id), new NodeId(target), datagram.Bytes), ((Now + s_delay).Microseconds, _order++));
            }
        }

        node.Datagrams.Clear();
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
            if (node is not null && node.NextDeadline < next)
            {
                next = node.NextDeadline;
            }
        }

        Now = Instant.Max(Now, next);
        while (_network.TryPeek(out var datagram, out key) && key.Item1 <= Now.Microseconds)
        {
            _network.Dequeue();
            if (Nodes.GetValueOrDefault(datagram.To.Value) is { } target && Nodes[datagram.From.Value] is not null)
            {
                target.Receive(Now, datagram.From, datagram.Bytes);
                Drain(datagram.To.Value);
            }
        }

        foreach (var id in Nodes.Keys.ToArray())
        {
            if (Nodes[id] is { } node && node.NextDeadline <= Now)
            {
                node.Tick(Now);
                Drain(id);
            }
        }
    }

    private NodeStack Create(uint id)
    {
        var loaded = ConfigLoader.Parse(ConfigFor((int)id), "corosync.conf");
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Errors));
        var log = new List<ServiceLog>();
        var stack = NodeStackFactory.Create(loaded.Config, new NodeId(id), _ringSequences.GetValueOrDefault(id), 0, _prng.Fork(), log, out var error);
        Assert.True(stack is not null, error);
        return stack;
    }
}
