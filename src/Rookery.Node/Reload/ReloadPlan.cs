using Rookery.Config;

namespace Rookery.Node.Reload;

/// <summary>A link to open or close, or a peer link to add or remove, as a reload decided it.</summary>
public sealed record LinkChange(NodeId Node, LinkId Link, string Address);

/// <summary>
/// What a reload would do on this node: the changes to apply, the ones refused (with corosync's messages), the
/// configuration errors (as <c>rookery config check</c> prints them) and the resulting configuration. A plan with
/// any refusal or error applies nothing (atomic).
/// </summary>
public sealed record ReloadPlan(
    CorosyncConfig Current,
    CorosyncConfig? Next,
    IReadOnlyList<string> Applied,
    IReadOnlyList<string> Refused,
    IReadOnlyList<string> Errors)
{
    public bool CanApply => Next is not null && Refused.Count == 0 && Errors.Count == 0;

    /// <summary>(node, link) pairs to add: new links, new nodes' links (the local node's are sockets to open).</summary>
    public IReadOnlyList<LinkChange> LinksAdded { get; init; } = [];

    /// <summary>(node, link) pairs to remove.</summary>
    public IReadOnlyList<LinkChange> LinksRemoved { get; init; } = [];

    /// <summary>Nodes added to the nodelist (the link layer gets a new host).</summary>
    public IReadOnlyList<NodeId> NodesAdded { get; init; } = [];

    /// <summary>Nodes removed from the nodelist.</summary>
    public IReadOnlyList<NodeId> NodesRemoved { get; init; } = [];

    /// <summary>Links whose <c>knet_link_priority</c> changed, with the new value.</summary>
    public IReadOnlyList<(LinkId Link, byte Priority)> PrioritiesChanged { get; init; } = [];

    public bool LoggingChanged { get; init; }

    /// <summary>Totem's new effective options when they differ from the running ones (timers apply from their next arm).</summary>
    public Rookery.Totem.TotemOptions? TotemOptions { get; init; }

    /// <summary>votequorum's new settings when its votes, expected votes, two_node or wait_for_all change.</summary>
    public Rookery.Quorum.QuorumSettings? QuorumSettings { get; init; }

    /// <summary>The knet timers of existing links change (their interface keys or the runtime token they derive from).</summary>
    public bool LinkTimingChanged { get; init; }
}
