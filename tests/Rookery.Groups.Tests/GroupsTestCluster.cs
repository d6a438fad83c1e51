using Rookery.Testing;
using Rookery.Wire.Services;

namespace Rookery.Groups.Tests;

/// <summary>N groups cores driven by the agreed-order harness.</summary>
internal sealed class GroupsTestCluster
{
    public GroupsTestCluster(int size, ulong seed)
    {
        Cluster = new AgreedOrderCluster(new Prng(seed), node => Nodes[node.Value] = new GroupsNode(node));
        for (uint i = 1; i <= size; i++)
        {
            Cluster.Start(new NodeId(i));
        }

        Cluster.Heal();
        Cluster.RunUntilQuiet();
    }

    public AgreedOrderCluster Cluster { get; }

    public SortedDictionary<uint, GroupsNode> Nodes { get; } = [];

    public static CpgGroupName Group(string name) => CpgGroupName.FromString(name);

    public GroupsResult Command(uint node, Func<ProcessGroups, List<GroupsOutput>, GroupsResult> command, bool settle = true)
    {
        var result = GroupsResult.Ok;
        Cluster.Command(new NodeId(node), (service, submit) => ((GroupsNode)service).Run(submit, outputs => result = command(((GroupsNode)service).Core, outputs)));
        if (settle)
        {
            Cluster.RunUntilQuiet();
        }

        return result;
    }

    /// <summary>Joins a new connection of <paramref name="node"/> with <paramref name="pid"/> to <paramref name="group"/>; returns the connection.</summary>
    public ulong Join(uint node, uint pid, string group, bool settle = true)
    {
        var connection = Nodes[node].NewConnection();
        Assert.Equal(GroupsResult.Ok, Command(node, (core, outputs) => core.Join(connection, pid, Group(group), outputs), settle));
        return connection;
    }

    public IEnumerable<T> OutputsOf<T>(uint node) => Nodes[node].Outputs.OfType<T>();

    public GroupConfigurationChanged LastChange(uint node) => OutputsOf<GroupConfigurationChanged>(node).Last();

    public string Members(uint node, string group) => string.Join(' ', Nodes[node].Core.Membership(Group(group)));
}
