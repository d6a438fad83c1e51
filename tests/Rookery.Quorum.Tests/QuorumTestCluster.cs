using Rookery.Quorum;
using Rookery.Testing;

namespace Rookery.Quorum.Tests;

/// <summary>N votequorum cores driven by the agreed-order harness.</summary>
internal sealed class QuorumTestCluster
{
    private readonly Func<QuorumSettings, QuorumSettings> _tweak;
    private readonly int _size;

    public QuorumTestCluster(int size, ulong seed, Func<QuorumSettings, QuorumSettings>? tweak = null, uint[]? votes = null)
    {
        _size = size;
        Votes = votes ?? Enumerable.Repeat(1u, size).ToArray();
        _tweak = tweak ?? (s => s);
        Cluster = new AgreedOrderCluster(new Prng(seed), node => Nodes[node.Value] = new QuorumNode(Configuration(node)));
    }

    public uint[] Votes { get; }

    public AgreedOrderCluster Cluster { get; }

    public SortedDictionary<uint, QuorumNode> Nodes { get; } = [];

    public static NodeId Id(uint value) => new(value);

    public QuorumSettings Settings(NodeId node) => _tweak(new QuorumSettings
    {
        LocalNode = node,
        Nodelist = Enumerable.Range(1, _size).Select(i => new NodelistVotes(Id((uint)i), Votes[i - 1])).ToArray(),
    });

    public QuorumConfiguration Configuration(NodeId node)
    {
        var configuration = QuorumConfiguration.Resolve(Settings(node), [], out var error);
        Assert.True(configuration is not null, error);
        return configuration;
    }

    public QuorumStatus Status(uint node) => Nodes[node].Core.Status;

    /// <summary>Starts every node, puts the given components together (all in one by default) and lets them settle.</summary>
    public QuorumTestCluster Form(params uint[][] components)
    {
        for (uint i = 1; i <= _size; i++)
        {
            Cluster.Start(Id(i));
        }

        Cluster.RunUntilQuiet();
        if (components.Length == 0)
        {
            Cluster.Heal();
        }
        else
        {
            Split(components);
        }

        Cluster.RunUntilQuiet();
        return this;
    }

    public void Split(params uint[][] components)
    {
        Cluster.Reconfigure(components.Select(c => c.Select(Id)));
        Cluster.RunUntilQuiet();
    }

    public void Command(uint node, Action<Votequorum, List<QuorumOutput>> command)
    {
        Cluster.Command(Id(node), (service, submit) => ((QuorumNode)service).Run(submit, outputs => command(((QuorumNode)service).Core, outputs)));
        Cluster.RunUntilQuiet();
    }

    public bool[] QuorateByNode() => Nodes.Keys.Where(n => Cluster.IsAlive(Id(n))).Select(n => Status(n).Quorate).ToArray();
}
