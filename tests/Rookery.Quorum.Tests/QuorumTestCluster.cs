using Rookery.Groups;
using Rookery.Links;
using Rookery.Services;
using Rookery.Simulation.Harness;
using Rookery.Totem;

namespace Rookery.Quorum.Tests;

/// <summary>
/// N nodes of the shipped composition (links, Totem, votequorum, groups: <see cref="NodeStack"/>) on a
/// <see cref="ComposedCluster"/>, each with votequorum settings a test can tweak beyond what a file says. Partitions
/// are cuts of the network; a split settles when Totem has formed every side's ring and the sync has completed.
/// </summary>
internal sealed class QuorumTestCluster
{
    private readonly Func<QuorumSettings, QuorumSettings> _tweak;
    private readonly int _size;

    public QuorumTestCluster(int size, ulong seed, Func<QuorumSettings, QuorumSettings>? tweak = null, uint[]? votes = null)
    {
        _size = size;
        Votes = votes ?? Enumerable.Repeat(1u, size).ToArray();
        _tweak = tweak ?? (s => s);
        Cluster = new ComposedCluster(seed, size, create: Create);
    }

    public uint[] Votes { get; }

    public ComposedCluster Cluster { get; }

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

    /// <summary>The votequorum core of a running node.</summary>
    public Votequorum Core(uint node) => Cluster[node].Services.Quorum;

    public QuorumStatus Status(uint node) => Core(node).Status;

    public IEnumerable<string> LogLines(uint node) => Cluster.LogLines(node);

    /// <summary>Starts every node with the given components cut apart (all in one by default) and lets every side settle.</summary>
    public QuorumTestCluster Form(params uint[][] components)
    {
        Cluster.Partition(components.Length == 0 ? [Enumerable.Range(1, _size).Select(i => (uint)i)] : components);
        Cluster.StartAll();
        Cluster.RunUntilSettled();
        return this;
    }

    public void Split(params uint[][] components)
    {
        Cluster.Partition(components);
        Cluster.RunUntilSettled();
    }

    /// <summary>A votequorum library call on <paramref name="node"/>; what it announces is delivered to its side before this returns.</summary>
    public void Command(uint node, Action<Votequorum, QuorumOutput> command)
    {
        Cluster[node].QuorumCommand(Cluster.Now, (core, output) =>
        {
            command(core, output);
            return 0;
        });
        Cluster.Drain(node);
        Cluster.RunUntilSettled();
    }

    private NodeStack Create(NodeBirth birth)
    {
        var local = Id(birth.Id);
        var configuration = QuorumConfiguration.Resolve(Settings(local) with { ExpectedVotesTrackingBarrier = birth.TrackingBarrier }, [], out var error);
        Assert.True(configuration is not null, error);
        var links = new LinkLayer(local, new LinkLayerOptions { DeliverToSelf = false }, birth.Prng.Fork());
        for (var peer = 1u; peer <= _size; peer++)
        {
            if (peer != birth.Id)
            {
                links.AddPeer(Id(peer));
                links.AddLink(birth.Now, Id(peer), new LinkId(0), new LinkOptions());
            }
        }

        var totem = new TotemSrp(local, TotemOptions.Compute(_size), birth.Prng.Fork(), birth.RingSequence);
        var services = new ServiceLayer(local, 0, new Votequorum(configuration), new ProcessGroups(local));
        return new NodeStack(local, links, totem, services) { ObserveTotemEvents = true };
    }
}
