namespace Rookery.Control;

/// <summary>
/// A process-group event as an application sees it: a message delivered in agreed order, or a change of the
/// group's membership (corosync CPG's deliver and confchg callbacks).
/// </summary>
/// <param name="Event"><see cref="GroupEvent.Deliver"/> or <see cref="GroupEvent.Membership"/>.</param>
/// <param name="Group">The group name.</param>
/// <param name="Nodeid">Deliveries: the sender's node id.</param>
/// <param name="Pid">Deliveries: the sender's process id.</param>
/// <param name="Size">Deliveries: payload size in bytes.</param>
/// <param name="Data">Deliveries: the payload (base64 in JSON).</param>
/// <param name="Members">Membership: all processes in the group after the change.</param>
/// <param name="Joined">Membership: processes that joined.</param>
/// <param name="Left">Membership: processes that left (with the reason).</param>
/// <param name="RingId">The ring the event belongs to, <c>rep.seq</c> in hex.</param>
/// <param name="Time">Unix time in seconds with microseconds, stamped by the delivering node.</param>
public sealed record GroupEvent(
    string Event,
    string Group,
    uint? Nodeid,
    uint? Pid,
    int? Size,
    byte[]? Data,
    IReadOnlyList<GroupMember>? Members,
    IReadOnlyList<GroupMember>? Joined,
    IReadOnlyList<GroupMember>? Left,
    string RingId,
    decimal Time)
{
    public const string Deliver = "deliver";
    public const string Membership = "membership";

    /// <summary>Unix time in seconds with microsecond precision.</summary>
    public static decimal UnixTime(DateTimeOffset time) =>
        decimal.Round((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (decimal)TimeSpan.TicksPerSecond, 6);
}

/// <summary>A process in a group: (node id, process id), with the reason when it joined or left (CPG reasons).</summary>
public sealed record GroupMember(uint Nodeid, uint Pid, string? Reason = null)
{
    public const string ReasonJoin = "join";
    public const string ReasonLeave = "leave";
    public const string ReasonNodeDown = "nodedown";
    public const string ReasonNodeUp = "nodeup";
    public const string ReasonProcDown = "procdown";
}
