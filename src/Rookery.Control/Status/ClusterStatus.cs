namespace Rookery.Control;

/// <summary>
/// What <c>rookery status</c> shows: the cluster, quorum and membership view of the local node, plus the
/// health of every link. Field names in JSON are snake_case and stable (architecture.md §5).
/// </summary>
public sealed record ClusterStatus(ClusterInfo Cluster, QuorumInfo Quorum, IReadOnlyList<MemberInfo> Members, LinksStatus Links)
{
    /// <summary>Totem's and cpg's counters since the node started (JSON <c>counters</c>; the <c>rookery_totem_*</c> and <c>rookery_cpg_*</c> metrics).</summary>
    public EngineCounters? Counters { get; init; }
}

/// <summary>Counters of the node's Totem and process groups since it started (a subset of corosync's <c>stats.srp.*</c> and cpg's).</summary>
/// <param name="TokenRotations">Tokens received (each one a rotation of the ring past this node).</param>
/// <param name="MessagesSent">Totem multicasts sent (new and retransmitted).</param>
/// <param name="MessagesReceived">Totem multicasts received.</param>
/// <param name="Retransmits">Multicasts this node sent again because a member asked for them.</param>
/// <param name="MessagesDelivered">Messages delivered in agreed order to the services.</param>
/// <param name="RingChanges">New rings this node entered (operational state entered).</param>
/// <param name="TokensLost">Token timeouts (the ring was lost and membership began).</param>
/// <param name="GroupMessagesDelivered">Process-group (cpg) messages delivered to this node's processes.</param>
/// <param name="Groups">Process groups with at least one process in the cluster.</param>
public sealed record EngineCounters(
    long TokenRotations,
    long MessagesSent,
    long MessagesReceived,
    long Retransmits,
    long MessagesDelivered,
    long RingChanges,
    long TokensLost,
    long GroupMessagesDelivered,
    int Groups);

/// <summary>pvecm's "Cluster information" block.</summary>
/// <param name="Name">corosync: <c>totem.cluster_name</c>.</param>
/// <param name="ConfigVersion">corosync: <c>totem.config_version</c>.</param>
/// <param name="Transport">corosync: <c>totem.transport</c> (<c>knet</c>).</param>
/// <param name="SecureAuth">corosync: <c>totem.secauth</c> (crypto enabled).</param>
public sealed record ClusterInfo(string Name, ulong ConfigVersion, string Transport, bool SecureAuth);

/// <summary>The quorum and votequorum view (corosync-quorumtool -s).</summary>
/// <param name="Quorate">Whether this node's partition has quorum.</param>
/// <param name="NodeId">The local node id.</param>
/// <param name="RingId">The current ring as <c>rep.seq</c> in hex, as corosync prints it.</param>
/// <param name="ExpectedVotes">This node's expected votes.</param>
/// <param name="HighestExpected">The highest expected votes among the members.</param>
/// <param name="TotalVotes">The votes of the members present.</param>
/// <param name="Quorum">The votes needed for quorum.</param>
/// <param name="Flags">Subset of <c>2Node Quorate WaitForAll LastManStanding AutoTieBreaker AllowDownscale Qdevice</c>, in that order.</param>
/// <param name="Provider">corosync: <c>quorum.provider</c>, or <c>Not configured</c>.</param>
public sealed record QuorumInfo(
    bool Quorate,
    uint NodeId,
    string RingId,
    uint ExpectedVotes,
    uint HighestExpected,
    uint TotalVotes,
    uint Quorum,
    IReadOnlyList<string> Flags,
    string Provider);

/// <summary>One member of the current membership.</summary>
/// <param name="Nodeid">The node id.</param>
/// <param name="Votes">Its votes.</param>
/// <param name="Name">Its nodelist <c>name</c> (or its first address when it has none).</param>
/// <param name="Local">True for this node.</param>
/// <param name="Address">Its address on the lowest configured link (pvecm status prints this).</param>
public sealed record MemberInfo(uint Nodeid, uint Votes, string Name, bool Local, string Address);

/// <summary>What <c>rookery links</c> shows: every configured node and the state of each of its links.</summary>
/// <param name="LocalNodeid">This node's id.</param>
/// <param name="Transport">corosync: <c>totem.transport</c>.</param>
/// <param name="Nodes">Every node of the nodelist, ascending by node id, the local node included.</param>
/// <param name="Dropped">Per-packet problems since the node started, counted instead of logged one by one (JSON <c>dropped</c>).</param>
public sealed record LinksStatus(uint LocalNodeid, string Transport, IReadOnlyList<NodeLinks> Nodes, DroppedPackets? Dropped = null);

/// <summary>
/// Packets the node dropped, by reason, since it started (knet's and totemsrp's counters; neither logs them one by one).
/// </summary>
/// <param name="RxCryptErrors">Authentication or decryption failed (wrong key, clear text, corruption).</param>
/// <param name="RxMalformed">Not a valid knet packet once decrypted.</param>
/// <param name="RxUnknownSource">From an address that is no configured peer's address on that link.</param>
/// <param name="RxUnknownHost">A knet host id that is not a configured peer ("Unable to find source host").</param>
/// <param name="RxWrongLink">For a link that is not configured, disabled, or not the one the packet names.</param>
/// <param name="RxNotReachable">Data from a peer not reachable yet ("Source host not reachable yet").</param>
/// <param name="RxDuplicates">Data already delivered (copies sent on several links).</param>
/// <param name="RxCompressed">Compressed data (Rookery does not decompress).</param>
/// <param name="RxReassemblyErrors">Fragments that cannot form a message.</param>
/// <param name="RxStalePongs">Pongs we did not ask for or that came back too late.</param>
/// <param name="TotemDecodeErrors">Totem messages that failed to decode.</param>
/// <param name="TotemStrangers">Totem messages from a node outside the nodelist, or before Totem started.</param>
/// <param name="ServiceDecodeErrors">Service messages (cpg, votequorum, cmap, cfg, sync) that failed to decode.</param>
/// <param name="TxNoReachableDestination">Messages not sent because no destination was reachable.</param>
public sealed record DroppedPackets(
    long RxCryptErrors,
    long RxMalformed,
    long RxUnknownSource,
    long RxUnknownHost,
    long RxWrongLink,
    long RxNotReachable,
    long RxDuplicates,
    long RxCompressed,
    long RxReassemblyErrors,
    long RxStalePongs,
    long TotemDecodeErrors,
    long TotemStrangers,
    long ServiceDecodeErrors,
    long TxNoReachableDestination)
{
    /// <summary>
    /// Packets rejected as bad or from strangers: a wrong key, corruption, an unknown sender, compressed data,
    /// broken fragments, undecodable Totem or service messages. The other counters also move in a healthy cluster
    /// (copies on several links, late pongs, sends while alone or while a link changes) and are not counted here.
    /// </summary>
    public long Rejected =>
        RxCryptErrors + RxMalformed + RxUnknownSource + RxUnknownHost + RxCompressed + RxReassemblyErrors +
        TotemDecodeErrors + TotemStrangers + ServiceDecodeErrors;
}

/// <summary>One node's links as seen from the local node.</summary>
/// <param name="Nodeid">The node id.</param>
/// <param name="Name">Its nodelist name.</param>
/// <param name="Reachable">At least one link to it is connected (knet: host reachable); always true for the local node.</param>
/// <param name="Local">True for this node (its links are shown as <c>localhost</c>).</param>
/// <param name="Links">Its configured links, ascending by link number.</param>
public sealed record NodeLinks(uint Nodeid, string Name, bool Reachable, bool Local, IReadOnlyList<LinkInfo> Links);

/// <summary>The state of one (node, link) pair, the knet host/link status and statistics.</summary>
/// <param name="Link">The link number (0..7).</param>
/// <param name="Enabled">The link is configured and enabled (not taken out by <c>rookery link disable</c>).</param>
/// <param name="Connected">Heartbeats are answered on it.</param>
/// <param name="Active">It carries this node's data traffic to that peer now (passive mode: the best link).</param>
/// <param name="Priority">corosync: <c>totem.interface.knet_link_priority</c>.</param>
/// <param name="LocalAddr">Our source address on this link.</param>
/// <param name="RemoteAddr">The peer's address on this link.</param>
/// <param name="LatencyUs">Average round-trip latency of pings in microseconds (0 before the first pong).</param>
/// <param name="TxDataPackets">Data packets sent on it.</param>
/// <param name="RxDataPackets">Data packets received on it.</param>
/// <param name="DownCount">Times it went down.</param>
/// <param name="UpCount">Times it came up.</param>
/// <param name="PeerPriority">The priority the peer announced for this link (null for the local node or before its announcement); when it differs from <paramref name="Priority"/> the two directions may use different links.</param>
public sealed record LinkInfo(
    int Link,
    bool Enabled,
    bool Connected,
    bool Active,
    int Priority,
    string LocalAddr,
    string RemoteAddr,
    long LatencyUs,
    ulong TxDataPackets,
    ulong RxDataPackets,
    uint DownCount,
    uint UpCount,
    int? PeerPriority = null);
