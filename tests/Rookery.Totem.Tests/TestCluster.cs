using System.Security.Cryptography;
using System.Text;
using Rookery.Wire.Totem;

namespace Rookery.Totem.Tests;

/// <summary>
/// A small deterministic network of <see cref="TotemSrp"/> cores for tests: virtual time, seeded
/// delay/loss/duplication, partitions, crashes and restarts, per-path drop filters. Every output
/// goes into a SHA-256 trace hash so a seed can be checked for reproducibility.
/// </summary>
internal sealed class TestCluster
{
    private readonly Prng _prng;
    private readonly PriorityQueue<InFlight, (long Time, long Order)> _queue = new();
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly TotemOutput _output = new();
    private long _order;

    public TestCluster(ulong seed, int nodeCount, TotemOptions? options = null)
    {
        Seed = seed;
        _prng = new Prng(seed);
        Options = options ?? TotemOptions.Compute(nodeCount);
        if (Environment.GetEnvironmentVariable("TOTEM_TEST_LOG") is { Length: > 0 } path)
        {
            LogSink = (node, entry) => File.AppendAllText(path + "." + seed, $"{Now} n{node.Id} {entry}\n");
        }
        for (var i = 1; i <= nodeCount; i++)
        {
            Nodes.Add(new TestNode(new NodeId((uint)i), this));
        }
    }

    public ulong Seed { get; }

    /// <summary>A started cluster whose ring of all nodes has formed (fails with the seed otherwise).</summary>
    public static TestCluster Formed(ulong seed, int count, TotemOptions? options = null)
    {
        var cluster = new TestCluster(seed, count, options);
        cluster.StartAll();
        Assert.True(cluster.RunUntil(() => cluster.Converged(Enumerable.Range(1, count).ToArray()), Duration.FromSeconds(60)), $"seed {seed}: ring did not form");
        return cluster;
    }

    public TotemOptions Options { get; }

    public List<TestNode> Nodes { get; } = [];

    public Instant Now { get; private set; } = Instant.FromMilliseconds(1);

    public Ratio Loss { get; set; } = Ratio.Zero;

    public Ratio Duplicate { get; set; } = Ratio.Zero;

    public Duration DelayMin { get; set; } = Duration.FromMilliseconds(1);

    public Duration DelayJitter { get; set; } = Duration.FromMilliseconds(2);

    /// <summary>Extra drop rule (from, to, bytes) → drop; the network calls it for every datagram.</summary>
    public Func<NodeId, NodeId, byte[], bool>? DropFilter { get; set; }

    /// <summary>Called for every log line (node, entry).</summary>
    public Action<TestNode, LogEntry>? LogSink { get; set; }

    public long DatagramsSent { get; private set; }

    public TestNode this[int id] => Nodes[id - 1];

    public string TraceHash()
    {
        return Convert.ToHexString(_hash.GetCurrentHash());
    }

    public void StartAll()
    {
        foreach (var node in Nodes)
        {
            node.Start();
        }
    }

    /// <summary>Partitions the cluster: nodes talk only within their group (groups by node id).</summary>
    public void Partition(params int[][] groups)
    {
        foreach (var node in Nodes)
        {
            node.Group = -1;
        }

        for (var g = 0; g < groups.Length; g++)
        {
            foreach (var id in groups[g])
            {
                this[id].Group = g;
            }
        }
    }

    public void Heal()
    {
        foreach (var node in Nodes)
        {
            node.Group = 0;
        }
    }

    /// <summary>Runs virtual time forward to <paramref name="until"/>.</summary>
    public void RunUntil(Instant until)
    {
        while (true)
        {
            var next = NextEventTime();
            if (next > until)
            {
                break;
            }

            Now = next;
            Step();
        }

        Now = until;
    }

    public void Run(Duration duration) => RunUntil(Now + duration);

    /// <summary>Runs until <paramref name="condition"/> holds or <paramref name="limit"/> passes; returns whether it held.</summary>
    public bool RunUntil(Func<bool> condition, Duration limit)
    {
        var deadline = Now + limit;
        while (!condition())
        {
            var next = NextEventTime();
            if (next > deadline)
            {
                Now = deadline;
                return condition();
            }

            Now = next;
            Step();
        }

        return true;
    }

    /// <summary>True when every up node is OPERATIONAL in one ring whose members are exactly the up nodes of <paramref name="ids"/>.</summary>
    public bool Converged(params int[] ids)
    {
        var expected = ids.Select(i => new NodeId((uint)i)).ToList();
        var first = this[ids[0]];
        foreach (var id in ids)
        {
            var node = this[id];
            if (!node.Up || node.Core.State != MembershipState.Operational || node.Core.RingId != first.Core.RingId ||
                !node.Core.Members.SequenceEqual(expected))
            {
                return false;
            }
        }

        return true;
    }

    internal void Process(TestNode node, TotemOutput output)
    {
        if (output.RingSequenceToPersist is { } seq)
        {
            node.PersistedRingSequence = seq;
            HashLine($"{Now} {node.Id} persist {seq}");
        }

        foreach (var datagram in output.Datagrams)
        {
            HashLine($"{Now} {node.Id} send {datagram.To} {Convert.ToHexString(SHA256.HashData(datagram.Bytes))}");
            if (datagram.IsMulticast)
            {
                foreach (var target in Nodes)
                {
                    if (target != node)
                    {
                        Transmit(node, target, datagram.Bytes);
                    }
                }
            }
            else
            {
                Transmit(node, this[(int)datagram.To.Value], datagram.Bytes);
            }
        }

        RingId? regular = null;
        foreach (var e in output.Events)
        {
            LogSink?.Invoke(node, new LogEntry(LogSubsystem.Totem, LogPriority.Debug, "EVENT " + Describe(e)));
            node.Record(Now, e);
            HashLine($"{Now} {node.Id} event {Describe(e)}");
            if (e is ConfigurationChanged { Kind: ConfigurationKind.Regular } change)
            {
                regular = change.RingId;
            }
        }

        foreach (var log in output.Logs)
        {
            node.Logs.Add(log);
            LogSink?.Invoke(node, log);
        }

        output.Clear();
        if (regular is { } ring && node.AckTransitions)
        {
            // No services above Totem here: their sync is complete as soon as the regular configuration is.
            node.Core.TransAck(Now, ring, output);
            Process(node, output);
        }
    }

    internal TotemOutput Output => _output;

    public static string Describe(TotemEvent e) => e switch
    {
        Delivered d => $"deliver {d.Sender} {d.RingId} {Encoding.UTF8.GetString(d.Payload.Span[..Math.Min(32, d.Payload.Length)])} len={d.Payload.Length}",
        ConfigurationChanged c => $"{c.Kind} {c.RingId} members=[{string.Join(' ', c.Members)}] left=[{string.Join(' ', c.Left)}] joined=[{string.Join(' ', c.Joined)}]",
        _ => e.ToString() ?? string.Empty,
    };

    private void HashLine(string line) => _hash.AppendData(Encoding.UTF8.GetBytes(line + "\n"));

    private Instant NextEventTime()
    {
        var next = Instant.Never;
        if (_queue.TryPeek(out _, out var key))
        {
            next = new Instant(key.Time);
        }

        foreach (var node in Nodes)
        {
            if (node.Up)
            {
                next = Instant.Min(next, node.Core.NextDeadline);
            }
        }

        return next;
    }

    /// <summary>Bound on simulation steps per run, so a livelock fails with its seed instead of hanging.</summary>
    public long StepsMax { get; set; } = 2_000_000;

    public long Steps { get; private set; }

    private void Step()
    {
        Steps++;
        if (Steps > StepsMax)
        {
            Assert.Fail($"seed {Seed}: more than {StepsMax} simulation steps (livelock?) at {Now}");
        }

        while (_queue.TryPeek(out var packet, out var key) && key.Time <= Now.Microseconds)
        {
            _queue.Dequeue();
            var target = this[(int)packet.To.Value];
            if (target.Up && target.Incarnation == packet.Incarnation)
            {
                target.Core.Receive(Now, packet.From, packet.Bytes, _output);
                Process(target, _output);
            }
        }

        foreach (var node in Nodes)
        {
            if (node.Up && node.Core.NextDeadline <= Now)
            {
                node.Core.Tick(Now, _output);
                Process(node, _output);
            }
        }
    }

    private void Transmit(TestNode from, TestNode to, byte[] bytes)
    {
        DatagramsSent++;
        if (!from.Up || !to.Up || from.Group != to.Group || _prng.Chance(Loss) || (DropFilter?.Invoke(from.Id, to.Id, bytes) ?? false))
        {
            return;
        }

        var copies = _prng.Chance(Duplicate) ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            var delay = DelayMin + new Duration((long)_prng.NextBelow((ulong)Math.Max(1, DelayJitter.Microseconds)));
            _queue.Enqueue(new InFlight(from.Id, to.Id, to.Incarnation, bytes), ((Now + delay).Microseconds, _order++));
        }
    }

    private readonly record struct InFlight(NodeId From, NodeId To, int Incarnation, byte[] Bytes);
}

/// <summary>One node of a <see cref="TestCluster"/>: a Totem core plus everything it delivered.</summary>
internal sealed class TestNode
{
    private readonly TestCluster _cluster;
    private int _submitted;

    public TestNode(NodeId id, TestCluster cluster)
    {
        Id = id;
        _cluster = cluster;
        Core = NewCore();
    }

    public NodeId Id { get; }

    public TotemSrp Core { get; private set; }

    public bool Up { get; private set; }

    public int Group { get; set; }

    public int Incarnation { get; private set; }

    /// <summary>Acknowledge every regular configuration at once (a node without services to sync); false to hold the ack.</summary>
    public bool AckTransitions { get; set; } = true;

    public ulong PersistedRingSequence { get; set; }

    /// <summary>Every event ever delivered by this node (all incarnations), in order.</summary>
    public List<(Instant Time, int Incarnation, TotemEvent Event)> Events { get; } = [];

    public List<LogEntry> Logs { get; } = [];

    /// <summary>Payloads this node submitted and Totem accepted.</summary>
    public List<string> Accepted { get; } = [];

    public IEnumerable<Delivered> Deliveries => Events.Select(e => e.Event).OfType<Delivered>();

    public IEnumerable<string> DeliveredTexts => Deliveries.Select(d => Encoding.UTF8.GetString(d.Payload.Span));

    public void Start()
    {
        Up = true;
        Core.SetNodelist(_cluster.Now, _cluster.Nodes.Select(n => n.Id).ToList(), _cluster.Output);
        Core.Start(_cluster.Now, _cluster.Output);
        _cluster.Process(this, _cluster.Output);
    }

    public void Crash()
    {
        Up = false;
        Incarnation++;
    }

    public void Restart()
    {
        Core = NewCore();
        Start();
    }

    /// <summary>Submits a uniquely named message ("n{id}:{k}" padded to <paramref name="size"/>); true when accepted.</summary>
    public bool Submit(int size = 0)
    {
        var text = $"n{Id.Value}:{_submitted}:";
        var bytes = new byte[Math.Max(size, Encoding.UTF8.GetByteCount(text))];
        Encoding.UTF8.GetBytes(text).CopyTo(bytes, 0);
        for (var i = text.Length; i < bytes.Length; i++)
        {
            bytes[i] = (byte)('a' + ((i + _submitted) % 26));
        }

        var ok = Core.Submit(_cluster.Now, bytes, _cluster.Output);
        _cluster.Process(this, _cluster.Output);
        if (ok)
        {
            Accepted.Add(Encoding.UTF8.GetString(bytes));
            _submitted++;
        }

        return ok;
    }

    /// <summary>Texts of everything delivered (all incarnations), for fast membership checks.</summary>
    public HashSet<string> DeliveredSet { get; } = [];

    public void Record(Instant time, TotemEvent e)
    {
        Events.Add((time, Incarnation, e));
        if (e is Delivered d)
        {
            DeliveredSet.Add(Encoding.UTF8.GetString(d.Payload.Span));
        }
    }

    private TotemSrp NewCore() => new(Id, _cluster.Options, new Prng(_cluster.Seed ^ Id.Value), PersistedRingSequence);
}
