namespace Rookery.Links;

/// <summary>
/// What a link shell (the sockets) hands to the pure side: datagrams that passed knet's access list, and the errors
/// the kernel reported for sends. The node composition implements it (its router takes it from there), and so does a
/// bare <see cref="LinkLayer"/> driver such as the knet peer tool.
/// </summary>
public interface ILinkInput
{
    /// <summary>A UDP payload arrived on <paramref name="link"/> from a configured address of that link.</summary>
    void Receive(Instant now, LinkId link, ReadOnlySpan<byte> datagram);

    /// <summary>A send on (peer, link) failed hard (ICMP port or network unreachable).</summary>
    void ReportTransportError(Instant now, NodeId peer, LinkId link);

    /// <summary>A send on (peer, link) failed with EMSGSIZE; <paramref name="pathMtu"/> is the kernel's path MTU when known, else 0.</summary>
    void ReportMessageTooBig(Instant now, NodeId peer, LinkId link, int pathMtu);
}
