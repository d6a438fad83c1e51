using System.Collections.Immutable;
using System.Globalization;

namespace Rookery.Links;

/// <summary>
/// Something the links core reports to the layer above, appended to the events of a <see cref="LinkOutput"/> in the order it
/// happened. <see cref="LogLine"/> keeps knet's wording and subsystem (corosync prints it after <c>[KNET  ] </c>); the core
/// logs it itself (<see cref="LinkOutput"/>), so drivers only act on the event.
/// </summary>
public abstract record LinkEvent
{
    /// <summary>knet's subsystem name: <c>link</c>, <c>rx</c>, <c>host</c> or <c>pmtud</c>.</summary>
    public abstract string Subsystem { get; }

    /// <summary>The priority of the event's log record (the one vocabulary every core uses).</summary>
    public virtual LogPriority Level => LogPriority.Info;

    /// <summary>The journal fields of the event's log record (peer and link where the line names them).</summary>
    public virtual LogFields Fields => default;

    /// <summary>The message in knet's words, without subsystem.</summary>
    public abstract string Message { get; }

    /// <summary>The line corosync would log after <c>[KNET  ] </c>, e.g. <c>link: host: 2 link: 1 is down</c>.</summary>
    public string LogLine => $"{Subsystem}: {Message}";

    /// <summary>Formats an integer for log text.</summary>
    protected static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Why a link went down.</summary>
public enum LinkDownReason
{
    /// <summary>No pong within the down timeout.</summary>
    PongTimeout,

    /// <summary>The shell reported a hard send error (ICMP port or network unreachable).</summary>
    TransportError,

    /// <summary>Administratively disabled.</summary>
    Disabled,

    /// <summary>The link or its peer was removed from the configuration.</summary>
    Removed,
}

/// <summary>A link became connected: <c>rx: host: 2 link: 1 is up</c>.</summary>
public sealed record LinkUp(NodeId Peer, LinkId Link) : LinkEvent
{
    /// <inheritdoc />
    public override string Subsystem => "rx";

    /// <inheritdoc />
    public override string Message => $"host: {Peer} link: {Link} is up";

    /// <inheritdoc />
    public override LogFields Fields => new(Peer.Value, Link.Value);
}

/// <summary>A link stopped being connected: <c>link: host: 2 link: 1 is down</c>.</summary>
public sealed record LinkDown(NodeId Peer, LinkId Link, LinkDownReason Reason) : LinkEvent
{
    /// <inheritdoc />
    public override string Subsystem => "link";

    /// <inheritdoc />
    public override string Message => $"host: {Peer} link: {Link} is down";

    /// <inheritdoc />
    public override LogFields Fields => new(Peer.Value, Link.Value);
}

/// <summary>
/// The links carrying traffic to a peer changed. Passive: <c>host: host: 2 (passive) best link: 0 (pri: 15)</c>;
/// active and round robin: <c>host: host: 2 has 2 active links</c>; none: <c>host: host: 2 has no active links</c>.
/// </summary>
/// <param name="Peer">The peer.</param>
/// <param name="Policy">The policy in force.</param>
/// <param name="Links">The links now carrying traffic, ascending (one in passive mode); empty when none.</param>
/// <param name="Priority">Passive: the configured priority of the best link.</param>
public sealed record ActiveLinksChanged(NodeId Peer, LinkPolicy Policy, ImmutableArray<LinkId> Links, byte Priority) : LinkEvent
{
    /// <inheritdoc />
    public override string Subsystem => "host";

    /// <inheritdoc />
    public override LogPriority Level => Links.IsEmpty ? LogPriority.Warning : LogPriority.Info;

    /// <inheritdoc />
    public override LogFields Fields => new(Peer.Value, Links.IsEmpty ? null : Links[0].Value);

    /// <inheritdoc />
    public override string Message => Links.IsEmpty
        ? $"host: {Peer} has no active links"
        : Policy == LinkPolicy.Passive
            ? $"host: {Peer} (passive) best link: {Links[0]} (pri: {Text(Priority)})"
            : $"host: {Peer} has {Text(Links.Length)} active links";
}

/// <summary>A peer became reachable (its first link connected). The line is Rookery's own, so it stays at debug.</summary>
public sealed record PeerReachable(NodeId Peer) : LinkEvent
{
    /// <inheritdoc />
    public override string Subsystem => "host";

    /// <inheritdoc />
    public override LogPriority Level => LogPriority.Debug;

    /// <inheritdoc />
    public override LogFields Fields => new(Peer.Value);

    /// <inheritdoc />
    public override string Message => $"host: {Peer} is reachable";
}

/// <summary>
/// A peer lost its last connected link; its dedup and reassembly state is cleared. The line is Rookery's own and stays
/// at debug: knet says it with <see cref="ActiveLinksChanged"/> ("has no active links", a warning).
/// </summary>
public sealed record PeerUnreachable(NodeId Peer) : LinkEvent
{
    /// <inheritdoc />
    public override string Subsystem => "host";

    /// <inheritdoc />
    public override LogPriority Level => LogPriority.Debug;

    /// <inheritdoc />
    public override LogFields Fields => new(Peer.Value);

    /// <inheritdoc />
    public override string Message => $"host: {Peer} is unreachable";
}

/// <summary>A whole application message arrived (reassembled, deduplicated).</summary>
/// <param name="Sender">The node that sent it (this node for local delivery).</param>
/// <param name="Channel">knet channel (Totem uses 0).</param>
/// <param name="Payload">The message; owned by the receiver of the event.</param>
public sealed record Delivered(NodeId Sender, byte Channel, byte[] Payload) : LinkEvent
{
    /// <inheritdoc />
    public override string Subsystem => "rx";

    /// <inheritdoc />
    public override LogPriority Level => LogPriority.Debug;

    /// <inheritdoc />
    public override string Message => $"host: {Sender} delivered {Text(Payload.Length)} bytes on channel {Text(Channel)}";
}

/// <summary>Path MTU discovery changed a link's data MTU: <c>pmtud: PMTUD link change for host: 2 link: 0 from 421 to 1397</c>.</summary>
public sealed record LinkMtuChanged(NodeId Peer, LinkId Link, int OldMtu, int NewMtu) : LinkEvent
{
    /// <inheritdoc />
    public override string Subsystem => "pmtud";

    /// <inheritdoc />
    public override string Message => $"PMTUD link change for host: {Peer} link: {Link} from {Text(OldMtu)} to {Text(NewMtu)}";
}

/// <summary>The node-wide fragment size changed: <c>pmtud: Global data MTU changed to: 1397</c>.</summary>
public sealed record DataMtuChanged(int Mtu) : LinkEvent
{
    /// <inheritdoc />
    public override string Subsystem => "pmtud";

    /// <inheritdoc />
    public override string Message => $"Global data MTU changed to: {Text(Mtu)}";
}
