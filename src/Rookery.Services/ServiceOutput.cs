using Rookery.Groups;
using Rookery.Quorum;
using Rookery.Wire.Totem;

namespace Rookery.Services;

/// <summary>What the service layer asks of the node shell, in emission order.</summary>
public abstract record ServiceOutput;

/// <summary>A totempg message (group header included) to submit to Totem for agreed delivery.</summary>
public sealed record TotemSubmit(byte[] Payload) : ServiceOutput;

/// <summary>A process-group event for local connections (deliveries, confchgs, totem membership).</summary>
public sealed record LocalGroupEvent(GroupsEvent Event, RingId RingId) : ServiceOutput;

/// <summary>A log line in corosync's wording.</summary>
public sealed record ServiceLog(string Subsystem, LogPriority Priority, string Text, LogFields Fields = default) : ServiceOutput;

/// <summary>The quorum report after a sync or a quorum change.</summary>
public sealed record QuorumReported(QuorumNotification Notification) : ServiceOutput;

/// <summary>votequorum's sync turn: the new ring's node list for the votequorum library's trackers (a quorum device polls with it).</summary>
public sealed record QuorumNodelistReported(QuorumNodelistNotification Notification) : ServiceOutput;

/// <summary>The sync after a membership change completed: the node provides service in this ring.</summary>
public sealed record SyncCompleted(RingId RingId, IReadOnlyList<NodeId> Members) : ServiceOutput;

/// <summary>
/// This node's config_version is lower than the cluster's at its first multi-node sync: corosync logs
/// "Received config version (X) is different than my config version (Y)! Exiting" and the node must leave.
/// </summary>
public sealed record ConfigVersionRefused(ulong Received, ulong Own) : ServiceOutput;

/// <summary>A member asked every node to reload its configuration (<c>rookery reload</c>).</summary>
public sealed record ReloadRequested(NodeId From, ulong RequestId) : ServiceOutput;

/// <summary>A member asked every node to take a link out of service or back.</summary>
public sealed record LinkEnableRequested(NodeId From, int Link, bool Enabled) : ServiceOutput;

/// <summary>A node announced its clean shutdown (this node's own announcement included).</summary>
public sealed record NodeShutdownAnnounced(NodeId Node) : ServiceOutput;

/// <summary>A member asked this node to stop (corosync-cfgtool -k, cfg KILLNODE): the shell shuts the node down.</summary>
public sealed record NodeKillRequested(NodeId From, string Reason) : ServiceOutput;

/// <summary>The expected votes tracking barrier rose: persist it in <c>&lt;state_dir&gt;/ev_tracking</c>.</summary>
public sealed record TrackingBarrierChanged(uint Barrier) : ServiceOutput;

/// <summary>
/// A Totem event as the services are about to see it, emitted only when <see cref="NodeStack.ObserveTotemEvents"/>
/// is on (the simulator's checkers watch configuration changes and agreed deliveries through it).
/// </summary>
public sealed record TotemObserved(Totem.TotemEvent Event) : ServiceOutput;

/// <summary>
/// The output of the node composition (<see cref="NodeStack"/>), the <see cref="CoreOutput{TDatagram, TEvent}"/>
/// contract: persist <see cref="RingSequenceToPersist"/> (and <see cref="TrackingBarrierToPersist"/>) first, then send
/// the link datagrams to their (link, destination) sockets, then carry out the events in order; logs in their order.
/// </summary>
public sealed class StackOutput : CoreOutput<Links.LinkDatagram, ServiceOutput>
{
    /// <summary>Store in <c>ringid_&lt;nodeid&gt;</c> before any datagram leaves; a failed write stops the node.</summary>
    public ulong? RingSequenceToPersist { get; set; }

    /// <summary>Store in <c>&lt;state_dir&gt;/ev_tracking</c>; a failed write is logged and the node goes on.</summary>
    public uint? TrackingBarrierToPersist { get; set; }

    public override bool IsEmpty => base.IsEmpty && RingSequenceToPersist is null && TrackingBarrierToPersist is null;

    public override void Clear()
    {
        base.Clear();
        RingSequenceToPersist = null;
        TrackingBarrierToPersist = null;
    }
}

/// <summary>A member's answer to a reload or config apply this node requested.</summary>
public sealed record MemberReportReceived(NodeId From, MemberReport Report) : ServiceOutput;

/// <summary>A member sent a corosync.conf to every node (CONFIG_APPLY): write it and apply it as a reload does.</summary>
public sealed record ConfigApplyRequested(NodeId From, ConfigApplyRequest Request) : ServiceOutput;

/// <summary>This node has the newest config_version of the ring (lowest id among equals) and members are behind: send them the file.</summary>
public sealed record ConfigDonorNeeded(ulong ConfigVersion, IReadOnlyList<NodeId> Behind) : ServiceOutput;

/// <summary>A link came up or went down for a peer, or the peer's active link changed (the node's cluster events).</summary>
public sealed record LinkObserved(Links.LinkEvent Event) : ServiceOutput;
