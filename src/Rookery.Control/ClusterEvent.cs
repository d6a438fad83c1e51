namespace Rookery.Control;

/// <summary>
/// One cluster event as <c>rookery events</c> streams it (JSON: one object per line, snake_case). A subscription
/// starts with the current state (<see cref="Initial"/> true: one <c>membership</c>, one <c>quorum</c>, one
/// <c>config</c> and one <c>link</c> event per peer link), then every change as it happens.
/// </summary>
/// <param name="Type">
/// <c>membership</c> (the members, initial only), <c>node_joined</c>, <c>node_left</c> (with <see cref="Reason"/>),
/// <c>quorum</c>, <c>link</c> (<see cref="State"/> <c>up</c>/<c>down</c> per peer link), <c>link_active</c> (the
/// link now carrying traffic to a peer, <c>none</c> when no link is up), <c>config</c> (a new configuration applied).
/// </param>
/// <param name="Time">UTC, ISO 8601 with milliseconds.</param>
public sealed record ClusterEvent(string Type, string Time)
{
    /// <summary>Part of the current state a subscription starts with.</summary>
    public bool? Initial { get; init; }

    /// <summary>The node the event is about (joined, left, the peer of a link).</summary>
    public uint? Nodeid { get; init; }

    /// <summary>Its nodelist name.</summary>
    public string? Name { get; init; }

    /// <summary><c>node_left</c>: <c>shutdown</c> (announced a clean shutdown) or <c>lost</c> (failed or unreachable); <c>link</c> down: why.</summary>
    public string? Reason { get; init; }

    /// <summary><c>quorum</c>: this node's partition is quorate.</summary>
    public bool? Quorate { get; init; }

    /// <summary><c>link</c>, <c>link_active</c>: the link number.</summary>
    public int? Link { get; init; }

    /// <summary><c>link</c>: <c>up</c> or <c>down</c>; <c>link_active</c>: <c>active</c> or <c>none</c>.</summary>
    public string? State { get; init; }

    /// <summary><c>config</c>: the config_version now running.</summary>
    public ulong? ConfigVersion { get; init; }

    /// <summary><c>config</c>: what applied it (<c>reload</c>, <c>config apply from node N</c>, <c>catch-up from node N</c>).</summary>
    public string? Source { get; init; }

    /// <summary><c>membership</c>, <c>quorum</c>, joined/left: the ring, as <c>rookery status</c> prints it.</summary>
    public string? RingId { get; init; }

    /// <summary><c>membership</c>, <c>quorum</c>: the members' node ids, ascending.</summary>
    public IReadOnlyList<uint>? Members { get; init; }

    /// <summary><c>config</c>: the applied changes, one line each.</summary>
    public IReadOnlyList<string>? Changes { get; init; }
}

/// <summary>The values of <see cref="ClusterEvent.Type"/>.</summary>
public static class ClusterEventTypes
{
    public const string Membership = "membership";
    public const string NodeJoined = "node_joined";
    public const string NodeLeft = "node_left";
    public const string Quorum = "quorum";
    public const string Link = "link";
    public const string LinkActive = "link_active";
    public const string Config = "config";
}
