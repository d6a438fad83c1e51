using Rookery.Services;
using Rookery.Simulation.Harness;
using Rookery.Wire.Services;

namespace Rookery.Groups.Tests;

/// <summary>
/// N nodes of the shipped composition (<see cref="NodeStack"/>) on a <see cref="ComposedCluster"/>, formed into one
/// ring; commands go to a node's groups core through the stack, and every event the core emitted is kept per node.
/// </summary>
internal sealed class GroupsTestCluster
{
    private readonly Dictionary<uint, ulong> _nextConnection = [];

    public GroupsTestCluster(int size, ulong seed)
    {
        Cluster = new ComposedCluster(seed, size);
        Cluster.StartAll();
        Cluster.RunUntilSettled();
    }

    public ComposedCluster Cluster { get; }

    public static CpgGroupName Group(string name) => CpgGroupName.FromString(name);

    /// <summary>The groups core of a running node.</summary>
    public ProcessGroups Core(uint node) => Cluster[node].Services.Groups;

    /// <summary>A connection id not used yet on <paramref name="node"/>.</summary>
    public ulong NewConnection(uint node)
    {
        var next = _nextConnection.GetValueOrDefault(node, 1u);
        _nextConnection[node] = next + 1;
        return next;
    }

    public GroupsResult Command(uint node, Func<ProcessGroups, GroupsOutput, GroupsResult> command, bool settle = true)
    {
        var result = Cluster[node].GroupsCommand(Cluster.Now, command);
        Cluster.Drain(node);
        if (settle)
        {
            Cluster.RunUntilSettled();
        }

        return result;
    }

    /// <summary>Joins a new connection of <paramref name="node"/> with <paramref name="pid"/> to <paramref name="group"/>; returns the connection.</summary>
    public ulong Join(uint node, uint pid, string group, bool settle = true)
    {
        var connection = NewConnection(node);
        Assert.Equal(GroupsResult.Ok, Command(node, (core, output) => core.Join(connection, pid, Group(group), output), settle));
        return connection;
    }

    public IEnumerable<T> OutputsOf<T>(uint node) =>
        Cluster.Outputs.GetValueOrDefault(node)?.OfType<LocalGroupEvent>().Select(e => e.Event).OfType<T>() ?? [];

    public GroupConfigurationChanged LastChange(uint node) => OutputsOf<GroupConfigurationChanged>(node).Last();

    public string Members(uint node, string group) => string.Join(' ', Core(node).Membership(Group(group)));
}
