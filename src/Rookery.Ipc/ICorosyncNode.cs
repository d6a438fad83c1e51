using Rookery.Config;
using Rookery.Quorum;

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

    /// <summary>Totem's current members, sorted.</summary>
    IReadOnlyList<uint> Members { get; }

    /// <summary>votequorum_setexpected: Ok, or InvalidParam as corosync refuses.</summary>
    CsError SetExpectedVotes(uint votes);

    /// <summary>votequorum_setvotes.</summary>
    CsError SetVotes(uint nodeId, uint votes);

    /// <summary>A node's knet state for cfg NODESTATUSGET; null for an unknown node.</summary>
    IpcNodeStatus? NodeStatus(uint nodeId);

    /// <summary>corosync-cfgtool -R: reload the configuration on every member; <paramref name="completed"/> runs on the loop with the result.</summary>
    void Reload(Action<CsError> completed);
}

/// <summary>One node as <c>corosync-cfgtool -s/-n</c> shows it (corosync_cfg_node_status_v1).</summary>
public sealed record IpcNodeStatus(bool Reachable, bool Remote, bool External, IReadOnlyList<IpcLinkStatus?> Links);

/// <summary>One knet link of a node (corosync_knet_link_status_v1); null entries are links not configured.</summary>
public sealed record IpcLinkStatus(bool Enabled, bool Connected, uint Mtu, string SourceAddress, string DestinationAddress);
