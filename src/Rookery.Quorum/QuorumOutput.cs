using Rookery.Wire.Totem;

namespace Rookery.Quorum;

/// <summary>
/// Caller-owned output of the votequorum core (the <see cref="CoreOutput{TDatagram, TEvent}"/> contract): first persist
/// <see cref="TrackingBarrierToPersist"/> (if set), then submit the <see cref="CoreOutput{TDatagram, TEvent}.Datagrams"/>
/// (votequorum service messages, qb header onwards) to Totem in group "a" in list order, then hand the events (quorum
/// notifications) to the quorum service and applications in list order. Logs are VOTEQ's and QUORUM's, in corosync's wording.
/// </summary>
public sealed class QuorumOutput : CoreOutput<byte[], QuorumEvent>
{
    /// <summary>
    /// The highest expected votes seen rose: the shell writes it to <c>&lt;state_dir&gt;/ev_tracking</c> (raw u32, fdatasync).
    /// The barrier only rises, so of several rises in one output the last is the one to keep.
    /// </summary>
    public uint? TrackingBarrierToPersist { get; set; }

    public override bool IsEmpty => base.IsEmpty && TrackingBarrierToPersist is null;

    public override void Clear()
    {
        base.Clear();
        TrackingBarrierToPersist = null;
    }
}

/// <summary>What the votequorum core tells the quorum service and applications, in the order it decided it.</summary>
public abstract record QuorumEvent;

/// <summary>
/// The quorum report corosync's quorum service receives (<c>quorum_callback</c>): given at the end of
/// every sync, and immediately when quorum changes outside a sync.
/// </summary>
public sealed record QuorumNotification(bool Quorate, RingId RingId, IReadOnlyList<NodeId> Members) : QuorumEvent;

/// <summary>
/// votequorum's turn in a sync (<c>votequorum_exec_send_nodelist_notification</c> in votequorum_sync_process): the
/// node list of the new ring goes to the library's trackers before quorum is decided, so a quorum device can poll
/// with the new ring id while the sync waits for it.
/// </summary>
public sealed record QuorumNodelistNotification(RingId RingId, IReadOnlyList<NodeId> Members) : QuorumEvent;

/// <summary>Result of a local command (corosync's library error codes where they exist).</summary>
public enum QuorumCommandResult
{
    Ok = 0,

    /// <summary>CS_ERR_INVALID_PARAM: "Unable to set expected votes: CS_ERR_INVALID_PARAM".</summary>
    InvalidParam = 1,

    /// <summary>CS_ERR_NAME_NOT_FOUND: no such node.</summary>
    NameNotFound = 2,
}

/// <summary>
/// Result of a quorum device call (<c>votequorum_qdevice_register/unregister/update/poll/master_wins</c>): corosync's
/// answer, or <see cref="Pending"/> for a registration that is answered when its message comes back in agreed order.
/// </summary>
public enum QdeviceResult
{
    Ok = 0,

    /// <summary>The registration went to the cluster; <see cref="Votequorum.TakeQdeviceRegistrationResult"/> gives the answer.</summary>
    Pending,

    /// <summary>CS_ERR_EXIST: another device name is registered.</summary>
    Exist,

    /// <summary>CS_ERR_TRY_AGAIN: a registration is already in progress.</summary>
    TryAgain,

    /// <summary>CS_ERR_NOT_EXIST: no device is registered.</summary>
    NotExist,

    /// <summary>CS_ERR_INVALID_PARAM: not the registered device's name.</summary>
    InvalidParam,

    /// <summary>CS_ERR_MESSAGE_ERROR: a poll for another ring than the last sync's.</summary>
    MessageError,
}

/// <summary>State of a node in votequorum's table (<c>nodestate_t</c>).</summary>
public enum QuorumNodeState
{
    Member = 1,
    Dead = 2,
    Leaving = 3,
}

/// <summary>Flags of <c>votequorum_getinfo</c> (<c>VOTEQUORUM_INFO_*</c>).</summary>
[Flags]
public enum QuorumInfoFlags : uint
{
    None = 0,
    TwoNode = 1,
    Quorate = 2,
    WaitForAll = 4,
    LastManStanding = 8,
    AutoTieBreaker = 16,
    AllowDownscale = 32,
    QdeviceRegistered = 64,
    QdeviceAlive = 128,
    QdeviceCastVote = 256,
    QdeviceMasterWins = 512,
    QdeviceHasExtraInfo = 1024,
}

/// <summary>One row of the membership table that <c>rookery status</c>/<c>nodes</c> print.</summary>
public sealed record QuorumNodeStatus(NodeId NodeId, QuorumNodeState State, uint Votes, uint ExpectedVotes, Wire.Services.NodeInfoFlags Flags);

/// <summary>
/// Everything <c>corosync-quorumtool -s</c> / <c>pvecm status</c> print about quorum, read from the core
/// (ref/pvecm.md §3.1): node id, ring id, quorate, expected votes, highest expected, total votes, quorum,
/// flags, and the members with their votes.
/// </summary>
public sealed record QuorumStatus
{
    public required NodeId NodeId { get; init; }

    public required RingId RingId { get; init; }

    public required bool Quorate { get; init; }

    /// <summary>This node's expected votes ("Expected votes:").</summary>
    public required uint ExpectedVotes { get; init; }

    /// <summary>Highest expected votes among members ("Highest expected:").</summary>
    public required uint HighestExpected { get; init; }

    /// <summary>Votes of the members present, plus the quorum device's when it casts a vote ("Total votes:").</summary>
    public required uint TotalVotes { get; init; }

    /// <summary>"Quorum:".</summary>
    public required uint Quorum { get; init; }

    /// <summary>"Flags:" (Quorate, 2Node, WaitForAll, LastManStanding, AutoTieBreaker, AllowDownscale, Qdevice).</summary>
    public required QuorumInfoFlags Flags { get; init; }

    /// <summary>Members of the current quorum view, sorted by node id ("Nodes:" is their count).</summary>
    public required IReadOnlyList<NodeId> Members { get; init; }

    /// <summary>Every node votequorum knows (members and dead), sorted by node id.</summary>
    public required IReadOnlyList<QuorumNodeStatus> Nodes { get; init; }

    /// <summary>Votes of the quorum device (0 when none).</summary>
    public required uint QuorumDeviceVotes { get; init; }

    /// <summary><c>runtime.votequorum.wait_for_all_status</c>.</summary>
    public required bool WaitForAllStatus { get; init; }

    /// <summary><c>runtime.votequorum.lowest_node_id</c> / <c>highest_node_id</c> (from the last quorate state).</summary>
    public required NodeId LowestNodeId { get; init; }

    public required NodeId HighestNodeId { get; init; }

    /// <summary><c>runtime.votequorum.ev_barrier</c>.</summary>
    public required uint ExpectedVotesBarrier { get; init; }

    /// <summary>True between a membership change and the end of its sync.</summary>
    public required bool Syncing { get; init; }

    /// <summary>The registered quorum device's name (<c>votequorum_getinfo</c>'s qdevice_name; empty when none).</summary>
    public string QuorumDeviceName { get; init; } = string.Empty;

    /// <summary><c>runtime.votequorum.qdevice_master_wins</c>: the local device asked for master wins.</summary>
    public bool QuorumDeviceMasterWins { get; init; }

    /// <summary>The flag words in pvecm's order: "2Node Quorate WaitForAll LastManStanding AutoTieBreaker AllowDownscale Qdevice".</summary>
    public IReadOnlyList<string> FlagNames
    {
        get
        {
            var names = new List<string>();
            if (Flags.HasFlag(QuorumInfoFlags.TwoNode))
            {
                names.Add("2Node");
            }

            if (Flags.HasFlag(QuorumInfoFlags.Quorate))
            {
                names.Add("Quorate");
            }

            if (Flags.HasFlag(QuorumInfoFlags.WaitForAll))
            {
                names.Add("WaitForAll");
            }

            if (Flags.HasFlag(QuorumInfoFlags.LastManStanding))
            {
                names.Add("LastManStanding");
            }

            if (Flags.HasFlag(QuorumInfoFlags.AutoTieBreaker))
            {
                names.Add("AutoTieBreaker");
            }

            if (Flags.HasFlag(QuorumInfoFlags.AllowDownscale))
            {
                names.Add("AllowDownscale");
            }

            if (Flags.HasFlag(QuorumInfoFlags.QdeviceRegistered))
            {
                names.Add("Qdevice");
            }

            return names;
        }
    }
}
