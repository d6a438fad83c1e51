using Rookery.Config;
using Rookery.Groups;
using Rookery.Quorum;
using Rookery.Wire.Services;

namespace Rookery.Ipc;

/// <summary>
/// What the corosync services need of the running node, read and called on the node loop thread only. The node
/// shell implements it over its cores; nothing here changes when the cores move between assemblies.
/// </summary>
public interface ICorosyncNode
{
    uint LocalNodeId { get; }

    /// <summary>The running configuration (the cmap keys of corosync.conf, the nodelist, totem.transport).</summary>
    CorosyncConfig Config { get; }

    /// <summary>votequorum's state (getinfo, notifications, runtime.votequorum.*).</summary>
    QuorumStatus Quorum { get; }

    /// <summary>The current Totem ring: representative node id and sequence.</summary>
    (uint Representative, ulong Sequence) RingId { get; }

    /// <summary>A service sync runs (between a membership change and "Completed service synchronization").</summary>
    bool Syncing { get; }

    /// <summary>Totem's current members, sorted.</summary>
    IReadOnlyList<uint> Members { get; }

    /// <summary>votequorum_setexpected: Ok, or InvalidParam as corosync refuses.</summary>
    CsError SetExpectedVotes(uint votes);

    /// <summary>
    /// A votequorum library call (the quorum device's) at the loop turn's time; what it announces goes to the members
    /// in agreed order, its outputs are flushed before it returns.
    /// </summary>
    T QuorumCommand<T>(Func<Votequorum, Instant, QuorumOutput, T> command);

    /// <summary>The loop turn's time (the services' timers: cfg's shutdown timeout).</summary>
    Instant Now { get; }

    /// <summary>This node leaves the cluster cleanly and the daemon exits (corosync-cfgtool -H, once the trackers agreed).</summary>
    void Shutdown();

    /// <summary>cfg killnode (corosync-cfgtool -k): NotExist unless the node is a current member; otherwise it is asked to stop.</summary>
    CsError KillNode(uint nodeId, string reason);

    /// <summary>votequorum_setvotes.</summary>
    CsError SetVotes(uint nodeId, uint votes);

    /// <summary>A node's knet state for cfg NODESTATUSGET; null for an unknown node.</summary>
    IpcNodeStatus? NodeStatus(uint nodeId);

    /// <summary>cpg join of one client connection (a cpg handle) as process <paramref name="pid"/>.</summary>
    GroupsResult CpgJoin(ulong connection, uint pid, CpgGroupName group);

    GroupsResult CpgLeave(ulong connection);

    /// <summary>One message to the connection's group, in agreed order; TryAgain while Totem's send queue is full or a sync runs.</summary>
    GroupsResult CpgSend(ulong connection, byte[] message);

    /// <summary>One fragment of a message over ~1 MiB (libcpg's PARTIAL_MCAST); TryAgain as <see cref="CpgSend"/>.</summary>
    GroupsResult CpgSendPartial(ulong connection, uint messageLength, uint type, byte[] fragment);

    /// <summary>The connection is gone: its process leaves its group (corosync's PROCDOWN).</summary>
    void CpgDisconnect(ulong connection);

    /// <summary>Every process of every group, as the groups core knows them.</summary>
    IReadOnlyList<(CpgGroupName Group, GroupMember Member)> CpgProcesses { get; }

    /// <summary>corosync-cfgtool -R: reload the configuration on every member; <paramref name="completed"/> runs on the loop with the result.</summary>
    void Reload(Action<CsError> completed);
}

/// <summary>One node as <c>corosync-cfgtool -s/-n</c> shows it (corosync_cfg_node_status_v1).</summary>
public sealed record IpcNodeStatus(bool Reachable, bool Remote, bool External, IReadOnlyList<IpcLinkStatus?> Links);

/// <summary>One knet link of a node (corosync_knet_link_status_v1); null entries are links not configured.</summary>
public sealed record IpcLinkStatus(bool Enabled, bool Connected, uint Mtu, string SourceAddress, string DestinationAddress);
