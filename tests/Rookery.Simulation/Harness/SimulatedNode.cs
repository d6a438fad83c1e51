using Rookery.Simulation.Checking;
using Rookery.Totem;

namespace Rookery.Simulation.Harness;

/// <summary>One datagram a node hands to its link sockets.</summary>
public readonly record struct OutgoingDatagram(NodeId To, LinkId Link, byte[] Bytes);

/// <summary>An application-visible event of a node: from Totem (delivery, configuration) or from the groups layer.</summary>
public abstract record NodeEvent;

/// <summary>A Totem delivery or configuration change, as the application sees it.</summary>
public sealed record TotemOccurred(TotemEvent Event) : NodeEvent;

/// <summary>A group membership event.</summary>
public sealed record GroupOccurred(GroupChange Change) : NodeEvent;

/// <summary>A quorum notification (corosync's quorum service callback): what applications act on.</summary>
public sealed record QuorumOccurred(Quorum.QuorumNotification Notification) : NodeEvent;

/// <summary>
/// What a node produced during one call, in emission order: datagrams for the network, the
/// application-visible events (Totem's and the groups', in the one order they happened), and log
/// lines for the trace. The driver drains it after every call.
/// </summary>
public sealed class NodeOutput
{
    public List<OutgoingDatagram> Datagrams { get; } = [];

    public List<NodeEvent> Events { get; } = [];

    public List<string> Log { get; } = [];

    /// <summary>Whether anyone reads <see cref="Log"/> (a printed trace); a node may skip formatting its lines when not.</summary>
    public bool LogWanted { get; set; } = true;

    public void Add(TotemEvent totemEvent) => Events.Add(new TotemOccurred(totemEvent));

    public void Add(GroupChange change) => Events.Add(new GroupOccurred(change));

    public void Clear()
    {
        Datagrams.Clear();
        Events.Clear();
        Log.Clear();
    }
}

/// <summary>
/// The seam between the simulation driver and one node: the shipped composition (<c>ComposedNode</c>) or a
/// test double, without sockets and clocks. The driver passes virtual time and raw datagrams
/// received on a link, and carries the node's outgoing datagrams as bytes.
/// </summary>
public interface ISimulatedNode
{
    NodeId Id { get; }

    /// <summary>When <see cref="Tick"/> has work next (<see cref="Instant.Never"/> for none).</summary>
    Instant NextDeadline { get; }

    void Tick(Instant now, NodeOutput output);

    /// <summary>A datagram arrived on one of the node's link sockets.</summary>
    void Receive(Instant now, LinkId link, NodeId from, ReadOnlyMemory<byte> datagram, NodeOutput output);

    /// <summary>The application asks for an agreed-order multicast; false when the node refuses it now (flow control).</summary>
    bool TrySubmit(Instant now, ReadOnlyMemory<byte> payload, NodeOutput output);

    /// <summary>The link this node currently sends data to <paramref name="peer"/> on, if it knows one (for the link-cut scenario).</summary>
    LinkId? ActiveLink(NodeId peer);
}

/// <summary>What the driver gives a node when it creates one.</summary>
/// <param name="Id">The node's id.</param>
/// <param name="Incarnation">0 at first boot, +1 per restart.</param>
/// <param name="Nodes">All node ids of the cluster (the nodelist).</param>
/// <param name="LinkCount">Links per node; link 0 has the highest priority.</param>
/// <param name="Prng">The node's own generator, forked from the run seed.</param>
/// <param name="Storage">The node's persistent state: survives restarts (the shell's state directory).</param>
/// <param name="Now">Virtual time of the boot.</param>
public sealed record NodeEnvironment(
    NodeId Id,
    int Incarnation,
    IReadOnlyList<NodeId> Nodes,
    int LinkCount,
    Prng Prng,
    Dictionary<string, byte[]> Storage,
    Instant Now);

/// <summary>Builds the node stack under test (the real cores, or a test double).</summary>
public delegate ISimulatedNode NodeFactory(NodeEnvironment environment);

/// <summary>Convenience for checkers: a node's process id.</summary>
public static class NodeIdentity
{
    public static ProcessId Process(this NodeEnvironment environment) => new(environment.Id, environment.Incarnation);
}
