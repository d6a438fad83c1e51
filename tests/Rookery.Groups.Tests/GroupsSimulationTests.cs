using System.Globalization;
using Rookery.Services;
using Rookery.Simulation.Harness;
using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Groups.Tests;

/// <summary>
/// Goal: cpg's virtual synchrony on the shipped composition. Processes join, leave, send and die on random nodes
/// while the membership changes under them (partitions, merges, crashes, restarts, joins during a sync).
/// Method: seeded runs of 2–5 nodes of <see cref="NodeStack"/> on a <see cref="ComposedCluster"/>; each node's
/// group events are read from its output in order and split by ring. Checks: (1) at every activation of cpg's sync
/// of a ring, every member holds the same process list; (2) nodes that went through the same rings since their last
/// activation emit the same events during a ring's sync; (3) nodes that move together from a ring to the same next
/// ring emitted the same events (deliveries and confchgs, same order) while in it, and a node that crashed in it a
/// prefix of them; (4) after healing, every node knows exactly the processes whose joins completed. Every failure
/// names its seed and the replay variables (ROOKERY_GROUPS_SEED, ROOKERY_GROUPS_SEEDS).
/// </summary>
public sealed class GroupsSimulationTests
{
    private const int Seeds = 40;
    private const int ActionsPerSeed = 60;
    private static readonly string[] GroupNames = ["g0", "g1", "g2"];

    [Fact]
    public void MembershipEventsAreIdenticalOnEveryNode()
    {
        var baseSeed = Environment.GetEnvironmentVariable("ROOKERY_GROUPS_SEED") is { } pinned
            ? ulong.Parse(pinned, CultureInfo.InvariantCulture)
            : 0xC96_0000UL;
        var seeds = Environment.GetEnvironmentVariable("ROOKERY_GROUPS_SEEDS") is { } count
            ? int.Parse(count, CultureInfo.InvariantCulture)
            : Seeds;
        var coverage = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < seeds; i++)
        {
            TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
            new GroupsRun(baseSeed + (ulong)i).Run(coverage);
        }

        // The runs must reach every kind of membership event, the ones a sync delivers included. (A join or leave is
        // never delivered during a sync here: cpg answers try again then, and what was sent before the ring changed
        // waits for the sync's end in Totem, as corosync's waiting_trans_ack makes it.)
        if (seeds >= Seeds)
        {
            foreach (var kind in new[] { "Join", "Leave", "ProcDown", "sync:NodeDown", "sync:NodeUp" })
            {
                Assert.True(coverage.GetValueOrDefault(kind) > 0, $"no '{kind}' event in seeds {baseSeed}..{baseSeed + (ulong)seeds - 1}: {string.Join(", ", coverage)}");
            }
        }
    }

    /// <summary>One seed: the cluster, the clients' joins, and every node incarnation's event history.</summary>
    private sealed class GroupsRun
    {
        private readonly ulong _seed;
        private readonly Prng _prng;
        private readonly ComposedCluster _cluster;
        private readonly string _context;
        private readonly Dictionary<uint, Incarnation> _current = [];
        private readonly List<Incarnation> _incarnations = [];
        private readonly Dictionary<(Incarnation Node, ulong Connection), (uint Pid, string Group)> _joins = [];
        private readonly Dictionary<RingId, (Incarnation Node, string Processes)> _activations = [];

        public GroupsRun(ulong seed)
        {
            _seed = seed;
            _prng = new Prng(seed);
            var size = (int)_prng.NextInRange(2, 5);
            _context = $"seed {seed} ({size} nodes; replay with ROOKERY_GROUPS_SEED={seed} ROOKERY_GROUPS_SEEDS=1)";
            _cluster = new ComposedCluster(seed, size) { ObserveTotemEvents = true };
            _cluster.Drained = OnDrained;
        }

        public void Run(SortedDictionary<string, int> coverage)
        {
            _cluster.StartAll();
            _cluster.RunUntilSettled();
            for (var action = 0; action < ActionsPerSeed; action++)
            {
                var alive = _cluster.AliveNodes.Select(n => n.Value).ToArray();
                var target = alive[_prng.NextBelow((ulong)alive.Length)];
                switch (_prng.NextBelow(14))
                {
                    case 0 or 1 or 2:
                        Join(target);
                        break;
                    case 3:
                        ForSomeConnection(target, connection => Command(target, (core, output) => core.Leave(connection, output)));
                        break;
                    case 4 or 5 or 6:
                        var payload = BitConverter.GetBytes(_prng.NextUInt64());
                        ForSomeConnection(target, connection => Command(target, (core, output) => core.Send(connection, payload, output)));
                        break;
                    case 7:
                        ForSomeConnection(target, connection =>
                        {
                            Command(target, (core, output) =>
                            {
                                core.Disconnect(connection, output);
                                return GroupsResult.Ok;
                            });
                            _joins.Remove((_current[target], connection));
                        });
                        break;
                    case 8 or 9 or 10:
                        _cluster.RandomMembershipChange(_prng);
                        break;
                    default:
                        _cluster.Run(Duration.FromMilliseconds((long)_prng.NextInRange(1, 1500)));
                        break;
                }
            }

            _cluster.Heal();
            _cluster.RunUntilSettled();
            CheckFinalState();
            CheckRings();
            Count(coverage);
        }

        private void Join(uint node)
        {
            var incarnation = _current[node];
            var connection = incarnation.NextConnection++;
            var pid = (uint)_prng.NextInRange(1, 4);
            var group = GroupNames[_prng.NextBelow((ulong)GroupNames.Length)];
            if (Command(node, (core, output) => core.Join(connection, pid, CpgGroupName.FromString(group), output)) == GroupsResult.Ok)
            {
                _joins[(incarnation, connection)] = (pid, group);
            }
        }

        private GroupsResult Command(uint node, Func<ProcessGroups, GroupsOutput, GroupsResult> command)
        {
            var result = _cluster[node].GroupsCommand(_cluster.Now, command);
            _cluster.Drain(node);
            return result;
        }

        private void ForSomeConnection(uint node, Action<ulong> action)
        {
            var mine = _joins.Keys.Where(k => k.Node == _current[node]).Select(k => k.Connection).Order().ToArray();
            if (mine.Length > 0)
            {
                action(mine[_prng.NextBelow((ulong)mine.Length)]);
            }
        }

        /// <summary>Reads what a node emitted since the last drain, in order, into its incarnation's history.</summary>
        private void OnDrained(uint node)
        {
            var stack = _cluster.Nodes[node];
            if (!_current.TryGetValue(node, out var incarnation) || incarnation.Stack != stack)
            {
                // The cluster keeps one output list per node id; a restarted node's starts where its last life's ended.
                incarnation = new Incarnation(node, _incarnations.Count, stack!) { Read = incarnation?.Read ?? 0 };
                _current[node] = incarnation;
                _incarnations.Add(incarnation);
            }

            var outputs = _cluster.Outputs[node];
            for (; incarnation.Read < outputs.Count; incarnation.Read++)
            {
                switch (outputs[incarnation.Read])
                {
                    case TotemObserved { Event: ConfigurationChanged { Kind: ConfigurationKind.Regular } change }:
                        incarnation.EnterRing(change.RingId);
                        break;
                    case LocalGroupEvent { Event: GroupTotemMembership membership }:
                        // The last thing cpg's activation emits: the sync of this ring is over for cpg.
                        Activated(incarnation, membership.RingId);
                        break;
                    case LocalGroupEvent { Event: GroupConfigurationChanged change }:
                        incarnation.Record(change.ToString());
                        incarnation.Groups[change.Group.ToString()] = [.. change.Members];
                        break;
                    case LocalGroupEvent { Event: GroupMessageDelivered delivered }:
                        incarnation.Record(delivered.ToString());
                        break;
                }
            }
        }

        private void Activated(Incarnation node, RingId ring)
        {
            var processes = string.Join(' ', node.Groups.Where(g => g.Value.Length > 0).OrderBy(g => g.Key, StringComparer.Ordinal)
                .SelectMany(g => g.Value.Order().Select(m => $"{g.Key}:{m}")));
            if (_activations.TryGetValue(ring, out var first))
            {
                Assert.True(first.Processes == processes,
                    $"{_context}: at cpg's activation of ring {ring} {node} holds [{processes}] but {first.Node} held [{first.Processes}]");
            }
            else
            {
                _activations[ring] = (node, processes);
            }

            node.Activate(ring);
        }

        private void CheckFinalState()
        {
            var alive = _cluster.AliveNodes.Select(n => n.Value).ToHashSet();
            var expected = string.Join(' ', _joins
                .Where(j => alive.Contains(j.Key.Node.Id) && _current[j.Key.Node.Id] == j.Key.Node
                    && j.Key.Node.Stack.Services.Groups.HandleState(j.Key.Connection) == GroupHandleState.JoinCompleted)
                .Select(j => (Group: CpgGroupName.FromString(j.Value.Group), Member: new GroupMember(new NodeId(j.Key.Node.Id), j.Value.Pid)))
                .OrderBy(p => p.Group)
                .ThenBy(p => p.Member)
                .Select(p => $"{p.Group}:{p.Member}"));
            foreach (var id in alive)
            {
                var core = _cluster[id].Services.Groups;
                Assert.False(core.Syncing, $"{_context}: node {id} still syncing");
                var actual = string.Join(' ', core.Processes.Select(p => $"{p.Group}:{p.Member}"));
                Assert.True(actual == expected, $"{_context}: node {id} knows [{actual}], the completed joins are [{expected}]");
            }
        }

        /// <summary>Compares the histories of every ring between the incarnations that must agree on it.</summary>
        private void CheckRings()
        {
            var streams = new Dictionary<string, List<(Incarnation Node, Phase Phase)>>(StringComparer.Ordinal);
            foreach (var incarnation in _incarnations)
            {
                var crashed = !_cluster.AliveNodes.Any(n => n.Value == incarnation.Id) || _current[incarnation.Id] != incarnation;
                for (var i = 0; i < incarnation.Phases.Count; i++)
                {
                    var phase = incarnation.Phases[i];

                    // A ring's operational history is compared between the nodes that left it for the same next ring
                    // (or are all still in it); what a sync emits, between the nodes that came the same way.
                    var next = i + 1 < incarnation.Phases.Count ? incarnation.Phases.Skip(i + 1).FirstOrDefault(p => p.Sync)?.Ring.ToString() : null;
                    var key = phase.Sync ? $"sync {phase.Ring} after {phase.Path}" : $"ring {phase.Ring} then {next ?? (crashed ? "crash" : "end")}";
                    if (!streams.TryGetValue(key, out var list))
                    {
                        streams[key] = list = [];
                    }

                    list.Add((incarnation, phase));
                }
            }

            foreach (var (key, list) in streams)
            {
                var longest = list.OrderByDescending(l => l.Phase.Events.Count).First();
                foreach (var (node, phase) in list)
                {
                    // Only a crash (or a sync the next ring aborted) may cut a history short.
                    var mayBeShort = key.EndsWith("crash", StringComparison.Ordinal) || phase.Sync;
                    Assert.True(mayBeShort || phase.Events.Count == longest.Phase.Events.Count,
                        $"{_context}: {key}: {node} emitted {phase.Events.Count} events, {longest.Node} {longest.Phase.Events.Count}");
                    for (var i = 0; i < phase.Events.Count; i++)
                    {
                        Assert.True(phase.Events[i] == longest.Phase.Events[i],
                            $"{_context}: {key}: event {i} differs: {node} has '{phase.Events[i]}', {longest.Node} has '{longest.Phase.Events[i]}'");
                    }
                }
            }
        }

        private void Count(SortedDictionary<string, int> coverage)
        {
            foreach (var phase in _incarnations.SelectMany(n => n.Phases))
            {
                foreach (var text in phase.Events.Where(e => e.StartsWith("confchg", StringComparison.Ordinal)))
                {
                    foreach (var reason in new[] { "Join", "Leave", "NodeDown", "NodeUp", "ProcDown" })
                    {
                        if (text.Contains(":" + reason + " ", StringComparison.Ordinal) || text.Contains(":" + reason + "]", StringComparison.Ordinal))
                        {
                            var kind = phase.Sync ? "sync:" + reason : reason;
                            coverage[kind] = coverage.GetValueOrDefault(kind) + 1;
                        }
                    }
                }
            }
        }

        public override string ToString() => $"seed {_seed}";
    }

    /// <summary>
    /// Part of a ring in one node's history: the sync after its regular configuration (with the rings the node went
    /// through since its last activation, which fix what its sync emits), or the operational time after.
    /// </summary>
    private sealed record Phase(RingId Ring, bool Sync, string Path)
    {
        public List<string> Events { get; } = [];
    }

    /// <summary>One life of a node (a restart is a new one): its stack, its clients' connections, its history.</summary>
    private sealed class Incarnation(uint id, int number, NodeStack stack)
    {
        private readonly List<RingId> _path = [];

        public uint Id { get; } = id;

        public NodeStack Stack { get; } = stack;

        public ulong NextConnection { get; set; } = 1;

        public int Read { get; set; }

        /// <summary>Every group's members as the last confchg said (cpg emits confchgs for every group, joined or not).</summary>
        public Dictionary<string, GroupMember[]> Groups { get; } = new(StringComparer.Ordinal);

        public List<Phase> Phases { get; } = [];

        public void EnterRing(RingId ring)
        {
            _path.Add(ring);
            Phases.Add(new Phase(ring, Sync: true, string.Join('>', _path)));
        }

        public void Activate(RingId ring)
        {
            Phases.Add(new Phase(ring, Sync: false, string.Empty));
            _path.Clear();
            _path.Add(ring);
        }

        public void Record(string text)
        {
            if (Phases.Count == 0)
            {
                EnterRing(default);
            }

            Phases[^1].Events.Add(text);
        }

        public override string ToString() => $"node {Id} (life {number})";
    }
}
