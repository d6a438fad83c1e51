using System.Buffers;
using System.Net;

namespace Rookery.Node.Transport;

/// <summary>One datagram as a receiver thread copied it off a link socket.</summary>
/// <param name="Link">The link of the socket it arrived on.</param>
/// <param name="Source">The sender's address and port (one instance per source, reused).</param>
/// <param name="Payload">A private copy of the bytes (the receiver's buffer is reused), in an array of <see cref="ArrayPool{T}.Shared"/>.</param>
/// <param name="ReceivedAt">Monotonic time when the receiver got it, before it waited in the queue.</param>
public sealed record ReceivedDatagram(LinkId Link, IPEndPoint Source, ReadOnlyMemory<byte> Payload, Instant ReceivedAt)
{
    /// <summary>The pooled array behind <see cref="Payload"/>; null once released.</summary>
    internal byte[]? Pooled { get; set; }

    /// <summary>Gives the payload's array back to the pool: the payload must not be read after this. A datagram never released is simply collected.</summary>
    public void Release()
    {
        if (Pooled is { } pooled)
        {
            Pooled = null;
            ArrayPool<byte>.Shared.Return(pooled);
        }
    }
}

/// <summary>Why the transport says a destination on a link cannot be reached.</summary>
public enum LinkFaultKind
{
    /// <summary>ICMP port unreachable (nobody listens): <c>ECONNREFUSED</c>.</summary>
    PortUnreachable,

    /// <summary>ICMP host unreachable or <c>EHOSTUNREACH</c>/<c>EHOSTDOWN</c> from send.</summary>
    HostUnreachable,

    /// <summary>ICMP network unreachable, or <c>ENETUNREACH</c>/<c>ENETDOWN</c> from send (no route: the interface went down).</summary>
    NetworkUnreachable,
}

/// <summary>
/// A hard transport error for one destination on one link. libknet's UDP transport treats these
/// as "link down at once" (<c>transport_connected = 0</c>, knet-spec §3.4); the node loop reports
/// them to the Links core for the peer whose address on <see cref="Link"/> is <see cref="Destination"/>.
/// </summary>
/// <param name="Link">The link whose socket saw the error.</param>
/// <param name="Destination">The destination the failed datagram was sent to.</param>
/// <param name="Kind">What kind of unreachability.</param>
/// <param name="Errno">The Linux errno as reported (ICMP errors: from the socket error queue).</param>
/// <param name="FromIcmp">True when an ICMP message reported it; false when <c>sendto</c> failed locally.</param>
/// <param name="At">Monotonic time when the shell learned of it.</param>
public sealed record LinkFault(LinkId Link, IPEndPoint Destination, LinkFaultKind Kind, int Errno, bool FromIcmp, Instant At);
