using Rookery.Wire.Totem;

namespace Rookery.Totem;

/// <summary>
/// What Totem hands to the layers above it (Groups, Quorum, the node's service layer), in
/// delivery order. This is a contract between the Totem core and its consumers: extend it, do
/// not rename or reorder.
/// </summary>
/// <remarks>
/// Ordering rule (extended virtual synchrony): after a membership change the consumer sees the
/// remaining deliveries of the old ring, then a <see cref="ConfigurationChanged"/> with
/// <see cref="ConfigurationKind.Transitional"/>, then the deliveries that recovery could complete
/// for the transitional members, then a <see cref="ConfigurationChanged"/> with
/// <see cref="ConfigurationKind.Regular"/>, then deliveries of the new ring.
/// </remarks>
public abstract record TotemEvent;

/// <summary>An application message delivered in agreed order.</summary>
/// <param name="Sender">The node that submitted the message.</param>
/// <param name="RingId">The ring in which the message was ordered.</param>
/// <param name="Payload">The message as submitted (after totempg reassembly).</param>
public sealed record Delivered(NodeId Sender, RingId RingId, ReadOnlyMemory<byte> Payload) : TotemEvent;

/// <summary>Kind of configuration in a <see cref="ConfigurationChanged"/> event (corosync: <c>TOTEM_CONFIGURATION_TRANSITIONAL</c> / <c>REGULAR</c>).</summary>
public enum ConfigurationKind
{
    Transitional = 0,
    Regular = 1,
}

/// <summary>A configuration change: the member list, who left and who joined (all sorted by node id).</summary>
public sealed record ConfigurationChanged(
    ConfigurationKind Kind,
    RingId RingId,
    IReadOnlyList<NodeId> Members,
    IReadOnlyList<NodeId> Left,
    IReadOnlyList<NodeId> Joined) : TotemEvent;
