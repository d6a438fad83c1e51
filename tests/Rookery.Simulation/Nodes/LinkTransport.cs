using Rookery.Simulation.Harness;

namespace Rookery.Simulation.Nodes;

/// <summary>
/// How a <see cref="ClusterNode"/> moves Totem's datagrams: over the real link layer, or straight on
/// link 0 (<see cref="DirectTransport"/>, for runs that test Totem alone). A transport calls back into
/// the node for what goes up (Totem datagrams, peer reachability, link switches).
/// </summary>
public interface ILinkTransport
{
    Instant NextDeadline { get; }

    void Tick(Instant now, ClusterNode node);

    /// <summary>A datagram arrived on <paramref name="link"/> (sent by <paramref name="from"/>, as the socket address says).</summary>
    void Receive(Instant now, LinkId link, NodeId from, ReadOnlyMemory<byte> datagram, ClusterNode node);

    /// <summary>Sends a Totem datagram; <paramref name="to"/> = 0 means every other node of the nodelist.</summary>
    void SendTotem(Instant now, NodeId to, byte[] bytes, ClusterNode node);

    /// <summary>The link data to <paramref name="peer"/> goes on now, if any.</summary>
    LinkId? ActiveLink(NodeId peer);
}

/// <summary>Totem's datagrams as UDP payloads on link 0, without a link layer (no failover, no reachability reports).</summary>
public sealed class DirectTransport(NodeEnvironment environment) : ILinkTransport
{
    public Instant NextDeadline => Instant.Never;

    public void Tick(Instant now, ClusterNode node)
    {
    }

    public void Receive(Instant now, LinkId link, NodeId from, ReadOnlyMemory<byte> datagram, ClusterNode node) =>
        node.OnTotemDatagram(from, datagram.Span);

    public void SendTotem(Instant now, NodeId to, byte[] bytes, ClusterNode node)
    {
        if (to.Value != 0)
        {
            node.Send(to, new LinkId(0), bytes);
            return;
        }

        foreach (var peer in environment.Nodes)
        {
            if (peer != environment.Id)
            {
                node.Send(peer, new LinkId(0), bytes);
            }
        }
    }

    public LinkId? ActiveLink(NodeId peer) => new LinkId(0);
}
