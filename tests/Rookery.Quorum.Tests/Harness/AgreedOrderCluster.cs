using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Testing;

/// <summary>A service core under test, as the harness drives it: the sync layer and Totem are the harness's job.</summary>
internal interface IServiceNode
{
    void Start(Instant now, List<byte[]> submit);

    void OnConfigurationChanged(Instant now, ConfigurationChanged change, List<byte[]> submit);

    void OnDelivered(Instant now, Delivered delivered, List<byte[]> submit);

    void SyncActivate(Instant now, List<byte[]> submit);

    Instant NextDeadline { get; }

    void Tick(Instant now, List<byte[]> submit);
}

/// <summary>
/// A small stand-in for Totem plus the service sync layer (exec/sync.c), for testing service cores:
/// every ring has one agreed log that all its members deliver in the same order; after a membership
/// change each member delivers the rest of its old ring's log, then a transitional and a regular
/// configuration; then the harness multicasts a sync BARRIER for the new ring after the service's sync
/// messages and calls <see cref="IServiceNode.SyncActivate"/> once barriers of all members of that ring were
/// delivered (stale barriers are discarded, as corosync's "barrier for old ring - discarding").
/// Messages travel as bytes with the totempg group header ("a" or "sync"), so the codecs are on the path.
/// Nodes deliver at their own pace, chosen by the seeded <see cref="Prng"/>.
/// </summary>
internal sealed class AgreedOrderCluster
{
    private readonly Func<NodeId, IServiceNode> _factory;
    private readonly SortedDictionary<uint, Slot> _slots = [];
    private readonly Prng _prng;
    private ulong _ringSequence;

    public AgreedOrderCluster(Prng prng, Func<NodeId, IServiceNode> factory)
    {
        _prng = prng;
        _factory = factory;
    }

    /// <summary>Called after a node's SyncActivate for a ring.</summary>
    public Action<NodeId, RingId>? Activated { get; set; }

    /// <summary>Called after every delivery step.</summary>
    public Action? AfterStep { get; set; }

    public Instant Now { get; private set; } = Instant.FromMilliseconds(1);

    public IEnumerable<NodeId> AliveNodes => _slots.Values.Where(s => s.Alive).Select(s => s.NodeId);

    public IEnumerable<NodeId> AllNodes => _slots.Values.Select(s => s.NodeId);

    public IServiceNode Service(NodeId node) => _slots[node.Value].Service;

    public bool IsAlive(NodeId node) => _slots.TryGetValue(node.Value, out var slot) && slot.Alive;

    /// <summary>The members of the ring a node currently belongs to (its newest ring).</summary>
    public IReadOnlyList<NodeId> CurrentMembers(NodeId node) => _slots[node.Value].CurrentRing.Members;

    /// <summary>The ring whose log the node is processing now.</summary>
    public RingId ProcessingRing(NodeId node) => _slots[node.Value].Processing?.Id ?? default;

    /// <summary>Starts a node (fresh core) in a singleton ring.</summary>
    public void Start(NodeId node)
    {
        var service = _factory(node);
        var ring = NewRing([node]);
        var slot = new Slot(node, service, ring);
        _slots[node.Value] = slot;
        var submit = new List<byte[]>();
        service.Start(Now, submit);
        Submit(slot, submit);
        slot.Pending.Enqueue(ring);
    }

    /// <summary>Regroups alive nodes: every listed component becomes one new ring (partitions, merges, joins).</summary>
    public void Reconfigure(IEnumerable<IEnumerable<NodeId>> components)
    {
        foreach (var component in components)
        {
            var members = component.Where(IsAlive).Distinct().OrderBy(n => n.Value).ToArray();
            if (members.Length == 0)
            {
                continue;
            }

            var ring = NewRing(members);
            foreach (var member in members)
            {
                var slot = _slots[member.Value];
                slot.CurrentRing.Closed = true;
                slot.CurrentRing = ring;
                slot.Pending.Enqueue(ring);
            }
        }

        foreach (var slot in _slots.Values.Where(s => s.Alive && s.CurrentRing.Closed))
        {
            var ring = NewRing([slot.NodeId]);
            slot.CurrentRing = ring;
            slot.Pending.Enqueue(ring);
        }
    }

    /// <summary>All alive nodes in one ring.</summary>
    public void Heal() => Reconfigure([AliveNodes.ToArray()]);

    /// <summary>The node stops; the rest of its ring forms a new ring without it.</summary>
    public void Crash(NodeId node)
    {
        var slot = _slots[node.Value];
        if (!slot.Alive)
        {
            return;
        }

        slot.Alive = false;
        var others = slot.CurrentRing.Members.Where(n => n != node && IsAlive(n)).ToArray();
        slot.CurrentRing.Closed = true;
        Reconfigure([others]);
    }

    /// <summary>A local command on a node: its outputs are multicast in the node's current ring.</summary>
    public void Command(NodeId node, Action<IServiceNode, List<byte[]>> command)
    {
        var slot = _slots[node.Value];
        var submit = new List<byte[]>();
        command(slot.Service, submit);
        Submit(slot, submit);
    }

    public void AdvanceTime(Duration duration)
    {
        Now += duration;
        foreach (var slot in _slots.Values.Where(s => s.Alive))
        {
            if (slot.Service.NextDeadline <= Now)
            {
                var submit = new List<byte[]>();
                slot.Service.Tick(Now, submit);
                Submit(slot, submit);
            }
        }
    }

    public bool HasWork => _slots.Values.Any(s => s.Alive && s.HasWork);

    /// <summary>One delivery at one randomly chosen node that has something to deliver.</summary>
    public bool Step()
    {
        var ready = _slots.Values.Where(s => s.Alive && s.HasWork).ToArray();
        if (ready.Length == 0)
        {
            return false;
        }

        var slot = ready[(int)_prng.NextBelow((ulong)ready.Length)];
        StepNode(slot);
        AfterStep?.Invoke();
        return true;
    }

    public void RunUntilQuiet(int stepsMax = 1_000_000)
    {
        var steps = 0;
        while (Step())
        {
            Invariant.Require(++steps < stepsMax);
        }
    }

    public void Steps(int count)
    {
        for (var i = 0; i < count && Step(); i++)
        {
        }
    }

    private void StepNode(Slot slot)
    {
        var submit = new List<byte[]>();
        if (slot.Processing is { } ring && slot.Cursor < ring.Log.Count)
        {
            var (sender, message) = ring.Log[slot.Cursor++];
            Deliver(slot, ring, sender, message, submit);
        }
        else
        {
            var next = slot.Pending.Dequeue();
            var old = slot.Processing;
            var oldMembers = old?.Members ?? [];
            var transitional = oldMembers.Where(n => next.Members.Contains(n)).ToArray();
            var left = oldMembers.Where(n => !next.Members.Contains(n)).ToArray();
            var joined = next.Members.Where(n => !oldMembers.Contains(n)).ToArray();
            slot.Processing = next;
            slot.Cursor = 0;
            slot.Barriers.Clear();
            slot.SyncActivated = false;
            if (old is not null)
            {
                slot.Service.OnConfigurationChanged(Now, new ConfigurationChanged(ConfigurationKind.Transitional, next.Id, transitional, left, []), submit);
            }

            slot.Service.OnConfigurationChanged(Now, new ConfigurationChanged(ConfigurationKind.Regular, next.Id, next.Members, left, joined), submit);
            submit.Add(SyncMessages.EncodeBarrier(next.Id));
        }

        Submit(slot, submit);
    }

    private void Deliver(Slot slot, Ring ring, NodeId sender, byte[] message, List<byte[]> submit)
    {
        var status = GroupHeader.TryUnwrap(message, GroupHeader.Sync, out var isSync, out var body);
        Invariant.Require(status == ServiceDecodeStatus.Ok);
        if (!isSync)
        {
            slot.Service.OnDelivered(Now, new Delivered(sender, ring.Id, body.ToArray()), submit);
            return;
        }

        var barrierStatus = SyncMessages.TryDecodeBarrier(body, out var barrierRing);
        Invariant.Require(barrierStatus == ServiceDecodeStatus.Ok);
        if (barrierRing != ring.Id || slot.SyncActivated)
        {
            return;
        }

        slot.Barriers.Add(sender.Value);
        if (ring.Members.All(m => slot.Barriers.Contains(m.Value)))
        {
            slot.SyncActivated = true;
            slot.Service.SyncActivate(Now, submit);
            Activated?.Invoke(slot.NodeId, ring.Id);
        }
    }

    private static void Submit(Slot slot, List<byte[]> messages)
    {
        foreach (var message in messages)
        {
            var isBarrier = SyncMessages.TryDecodeBarrier(message, out _) == ServiceDecodeStatus.Ok;
            var wrapped = GroupHeader.Wrap(isBarrier ? GroupHeader.Sync : GroupHeader.Executive, message);
            Invariant.Require(!slot.CurrentRing.Closed);
            slot.CurrentRing.Log.Add((slot.NodeId, wrapped));
        }
    }

    private Ring NewRing(NodeId[] members)
    {
        _ringSequence += 4;
        return new Ring(new RingId(members[0], _ringSequence), members);
    }

    private sealed class Ring(RingId id, NodeId[] members)
    {
        public RingId Id { get; } = id;

        public NodeId[] Members { get; } = members;

        public List<(NodeId Sender, byte[] Message)> Log { get; } = [];

        public bool Closed { get; set; }
    }

    private sealed class Slot(NodeId nodeId, IServiceNode service, Ring ring)
    {
        public NodeId NodeId { get; } = nodeId;

        public IServiceNode Service { get; } = service;

        public bool Alive { get; set; } = true;

        public Ring CurrentRing { get; set; } = ring;

        public Ring? Processing { get; set; }

        public int Cursor { get; set; }

        public Queue<Ring> Pending { get; } = new();

        public HashSet<uint> Barriers { get; } = [];

        public bool SyncActivated { get; set; }

        public bool HasWork => (Processing is { } ring && Cursor < ring.Log.Count) || (Pending.Count > 0 && (Processing is null || Processing.Closed));
    }
}
