using Rookery.Testing;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Groups.Tests;

/// <summary>
/// Seeded simulation of process groups under partitions, merges, crashes, restarts, processes that join,
/// leave, send and die, and joins while a sync runs. Checks: at every sync activation of a ring, every
/// member holds the same process list; nodes that move together from one ring to the next emit the same
/// membership and delivery events (a crashed node a prefix of them); after healing, every node knows
/// exactly the processes whose connections are joined. Failures print the seed.
/// </summary>
public sealed class GroupsSimulationTests
{
    private const int Seeds = 80;
    private const int ActionsPerSeed = 60;
    private static readonly string[] GroupNames = ["g0", "g1", "g2"];

    [Fact]
    public void MembershipEventsAreIdenticalOnEveryNode()
    {
        var baseSeed = Environment.GetEnvironmentVariable("ROOKERY_GROUPS_SEED") is { } pinned
            ? ulong.Parse(pinned, System.Globalization.CultureInfo.InvariantCulture)
            : 0xC96_0000UL;
        var seeds = Environment.GetEnvironmentVariable("ROOKERY_GROUPS_SEEDS") is { } count
            ? int.Parse(count, System.Globalization.CultureInfo.InvariantCulture)
            : Seeds;
        var coverage = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < seeds; i++)
        {
            Run(baseSeed + (ulong)i, coverage);
        }

        // The scenarios must reach every kind of membership event, joins and leaves delivered during a sync included.
        if (seeds >= Seeds)
        {
            foreach (var kind in new[] { "Join", "Leave", "ProcDown", "sync:NodeDown", "sync:NodeUp", "sync:Join", "sync:Leave", "sync:ProcDown" })
            {
                Assert.True(coverage.GetValueOrDefault(kind) > 0, $"no '{kind}' event in seeds {baseSeed}..{baseSeed + (ulong)seeds - 1}: {string.Join(", ", coverage)}");
            }
        }
    }

    private static void Run(ulong seed, SortedDictionary<string, int> coverage)
    {
        var prng = new Prng(seed);
        var size = (int)prng.NextInRange(2, 5);
        var context = $"seed {seed} ({size} nodes; replay with ROOKERY_GROUPS_SEED={seed} ROOKERY_GROUPS_SEEDS=1)";
        var instances = new List<GroupsNode>();
        var current = new SortedDictionary<uint, GroupsNode>();
        var joins = new Dictionary<(GroupsNode Node, ulong Connection), (uint Pid, string Group)>();
        var cluster = new AgreedOrderCluster(prng.Fork(), node =>
        {
            var created = new GroupsNode(node);
            instances.Add(created);
            current[node.Value] = created;
            return created;
        });
        var snapshots = new Dictionary<RingId, (NodeId Node, string Processes)>();
        cluster.Activated = (node, ring) =>
        {
            var processes = string.Join(' ', current[node.Value].Core.Processes.Select(p => $"{p.Group}:{p.Member}"));
            if (snapshots.TryGetValue(ring, out var first))
            {
                Assert.True(first.Processes == processes, $"{context}: at activation of ring {ring} node {node} has [{processes}] but node {first.Node} had [{first.Processes}]");
            }
            else
            {
                snapshots[ring] = (node, processes);
            }
        };

        var all = Enumerable.Range(1, size).Select(i => new NodeId((uint)i)).ToArray();
        foreach (var node in all)
        {
            cluster.Start(node);
        }

        cluster.Heal();
        for (var action = 0; action < ActionsPerSeed; action++)
        {
            var alive = cluster.AliveNodes.ToArray();
            var target = alive[prng.NextBelow((ulong)alive.Length)];
            var groupsNode = current[target.Value];
            switch (prng.NextBelow(14))
            {
                case 0 or 1 or 2:
                {
                    var connection = groupsNode.NewConnection();
                    var pid = (uint)prng.NextInRange(1, 4);
                    var group = GroupNames[prng.NextBelow((ulong)GroupNames.Length)];
                    Client(cluster, groupsNode, (core, outputs) =>
                    {
                        if (core.Join(connection, pid, CpgGroupName.FromString(group), outputs) == GroupsResult.Ok)
                        {
                            joins[(groupsNode, connection)] = (pid, group);
                        }
                    });
                    break;
                }

                case 3:
                    ForSomeConnection(prng, groupsNode, joins, connection => Client(cluster, groupsNode, (core, outputs) => core.Leave(connection, outputs)));
                    break;

                case 4 or 5 or 6:
                {
                    var payload = BitConverter.GetBytes(prng.NextUInt64());
                    ForSomeConnection(prng, groupsNode, joins, connection => Client(cluster, groupsNode, (core, outputs) => core.Send(connection, payload, outputs)));
                    break;
                }

                case 7:
                    ForSomeConnection(prng, groupsNode, joins, connection =>
                    {
                        Client(cluster, groupsNode, (core, outputs) => core.Disconnect(connection, outputs));
                        joins.Remove((groupsNode, connection));
                    });
                    break;

                case 8 or 9 or 10 or 11:
                    cluster.RandomMembershipChange(prng, all);
                    break;

                default:
                    cluster.Steps((int)prng.NextInRange(1, 30));
                    break;
            }
        }

        cluster.Heal();
        cluster.RunUntilQuiet();

        CheckFinalState(cluster, current, joins, context);
        CheckEvents(instances, context);
        foreach (var (phase, text) in instances.SelectMany(n => n.Events))
        {
            foreach (var reason in new[] { "Join", "Leave", "NodeDown", "NodeUp", "ProcDown" })
            {
                if (text.StartsWith("confchg", StringComparison.Ordinal)
                    && (text.Contains(":" + reason + " ", StringComparison.Ordinal) || text.Contains(":" + reason + "]", StringComparison.Ordinal)))
                {
                    var key = phase.Sync ? "sync:" + reason : reason;
                    coverage[key] = coverage.GetValueOrDefault(key) + 1;
                }
            }
        }
    }

    private static void Client(AgreedOrderCluster cluster, GroupsNode node, Action<ProcessGroups, List<GroupsOutput>> command) =>
        cluster.Command(node.NodeId, (service, submit) => ((GroupsNode)service).Run(submit, outputs => command(((GroupsNode)service).Core, outputs)));

    private static void ForSomeConnection(Prng prng, GroupsNode node, Dictionary<(GroupsNode Node, ulong Connection), (uint Pid, string Group)> joins, Action<ulong> action)
    {
        var mine = joins.Keys.Where(k => k.Node == node).Select(k => k.Connection).Order().ToArray();
        if (mine.Length > 0)
        {
            action(mine[prng.NextBelow((ulong)mine.Length)]);
        }
    }

    private static void CheckFinalState(
        AgreedOrderCluster cluster,
        SortedDictionary<uint, GroupsNode> current,
        Dictionary<(GroupsNode Node, ulong Connection), (uint Pid, string Group)> joins,
        string context)
    {
        var expected = joins
            .Where(j => cluster.IsAlive(j.Key.Node.NodeId) && current[j.Key.Node.NodeId.Value] == j.Key.Node
                && j.Key.Node.Core.HandleState(j.Key.Connection) == GroupHandleState.JoinCompleted)
            .Select(j => (Group: CpgGroupName.FromString(j.Value.Group), Member: new GroupMember(j.Key.Node.NodeId, j.Value.Pid)))
            .OrderBy(p => p.Group)
            .ThenBy(p => p.Member)
            .Select(p => $"{p.Group}:{p.Member}");
        var expectedText = string.Join(' ', expected);
        foreach (var node in cluster.AliveNodes)
        {
            var core = current[node.Value].Core;
            Assert.False(core.Syncing, $"{context}: node {node} still syncing");
            var actual = string.Join(' ', core.Processes.Select(p => $"{p.Group}:{p.Member}"));
            Assert.True(actual == expectedText, $"{context}: node {node} knows [{actual}], joined connections are [{expectedText}]");
        }
    }

    private static void CheckEvents(List<GroupsNode> instances, string context)
    {
        var streams = new Dictionary<Phase, List<(NodeId Node, List<string> Events)>>();
        foreach (var instance in instances)
        {
            foreach (var byPhase in instance.Events.GroupBy(e => e.Phase))
            {
                var key = byPhase.Key;
                if (!streams.TryGetValue(key, out var list))
                {
                    streams[key] = list = [];
                }

                list.Add((instance.NodeId, byPhase.Select(e => e.Event).ToList()));
            }
        }

        foreach (var (key, list) in streams)
        {
            var longest = list.OrderByDescending(l => l.Events.Count).First();
            foreach (var (node, events) in list)
            {
                for (var i = 0; i < events.Count; i++)
                {
                    if (events[i] != longest.Events[i])
                    {
                        Assert.Fail(
                            $"{context}: in ring {key.Ring} ({(key.Sync ? $"sync after rings {key.Path}" : "operational")}) event {i} differs: " +
                            $"node {node} has '{events[i]}', node {longest.Node} has '{longest.Events[i]}'");
                    }
                }
            }
        }
    }
}

public sealed class GroupsDeterminismTests
{
    [Fact]
    public void SameSeedGivesByteIdenticalOutputs()
    {
        Assert.Equal(Transcript(7), Transcript(7));
        Assert.NotEqual(Transcript(7), Transcript(8));
    }

    private static string Transcript(ulong seed)
    {
        var prng = new Prng(seed);
        var cluster = new GroupsTestCluster(4, seed);
        for (var i = 0; i < 30; i++)
        {
            var node = (uint)prng.NextInRange(1, 4);
            var connection = cluster.Nodes[node].NewConnection();
            var pid = (uint)prng.NextInRange(1, 9);
            var group = GroupsTestCluster.Group("g" + prng.NextBelow(2));
            cluster.Command(node, (core, o) => core.Join(connection, pid, group, o), settle: false);
            cluster.Command(node, (core, o) => core.Send(connection, BitConverter.GetBytes(prng.NextUInt64()), o), settle: false);
            if (prng.NextBelow(4) == 0)
            {
                var split = (uint)prng.NextInRange(1, 3);
                cluster.Cluster.Reconfigure([Enumerable.Range(1, (int)split).Select(n => new NodeId((uint)n)), Enumerable.Range((int)split + 1, 4 - (int)split).Select(n => new NodeId((uint)n))]);
            }

            cluster.Cluster.Steps((int)prng.NextInRange(1, 20));
        }

        cluster.Cluster.Heal();
        cluster.Cluster.RunUntilQuiet();
        var text = new System.Text.StringBuilder();
        foreach (var (id, node) in cluster.Nodes)
        {
            foreach (var output in node.Outputs)
            {
                text.Append(id).Append(' ').Append(output is GroupsSend send ? Convert.ToHexString(send.Message) : output.ToString()).Append('\n');
            }
        }

        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())));
    }
}
