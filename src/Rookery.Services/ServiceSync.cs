using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Services;

/// <summary>Where a <see cref="ServiceSync"/> round stands (exec/sync.c <c>enum sync_state</c>).</summary>
public enum ServiceSyncState
{
    /// <summary>No round ever started, or the last one completed or was aborted.</summary>
    Idle = 0,

    /// <summary>SERVICE_BUILD sent; waiting for every member's.</summary>
    ServiceListBuild = 1,

    /// <summary>The current service's sync messages and barrier are sent; waiting for every member's barrier.</summary>
    Barrier = 2,
}

/// <summary>What a <see cref="ServiceSync"/> step asks of the service layer, in order.</summary>
public abstract record SyncStep;

/// <summary>Multicast this message in group "sync" (a SERVICE_BUILD or a BARRIER), after what was asked before it.</summary>
public sealed record SyncSend(byte[] Message) : SyncStep;

/// <summary>
/// The service's turn (<c>sync_process</c>): submit its sync messages now. The BARRIER that follows in the same step
/// list ends the service's turn, so the messages and the barrier leave in one totempg packet, as corosync's do.
/// </summary>
public sealed record SyncProcess(int Service) : SyncStep;

/// <summary>Every member's barrier for the service is delivered: the service applies what it learned (<c>sync_activate</c>).</summary>
public sealed record SyncActivate(int Service) : SyncStep;

/// <summary>A newer configuration interrupted the service's turn before its barrier went out (<c>sync_abort</c>).</summary>
public sealed record SyncAbort(int Service) : SyncStep;

/// <summary>The last service activated: the node provides service in this ring (corosync's <c>sync_synchronization_completed</c>).</summary>
public sealed record SyncRoundCompleted(RingId RingId, IReadOnlyList<NodeId> Members) : SyncStep;

/// <summary>A debug line in corosync's wording (subsystem SYNC).</summary>
public sealed record SyncLog(string Text) : SyncStep;

/// <summary>
/// corosync's service synchronisation (exec/sync.c) as a pure state machine, after every regular configuration:
/// every member multicasts SERVICE_BUILD {ring id, the ids of its services that have a sync}; when every member's is
/// delivered, the union of the lists, in ascending id order, is processed one service at a time: the service sends
/// its sync messages (<see cref="SyncProcess"/>) and the node a BARRIER {ring id}; when every member's barrier for
/// the ring is delivered the service activates (<see cref="SyncActivate"/>) and the next one starts. After the last:
/// <see cref="SyncRoundCompleted"/>.
/// </summary>
/// <remarks>
/// <para>As in corosync, a service in the union that this node does not run (another member listed it) still takes
/// its turn: this node sends the barrier alone and activates nothing. corosync 3.1.7 does the same with an id it
/// does not know ("Unknown External Service"), which is how Rookery's own service (<see cref="RookeryService"/>) is
/// announced without corosync logging anything above debug level.</para>
/// <para>Every service's init (<c>sync_init</c>) is the caller's to run when it starts the round (corosync calls
/// them all right after sending SERVICE_BUILD: "call init for locally known services").</para>
/// <para>Total order makes the round identical on every member: no member sends a service's barrier before it has
/// delivered every barrier of the previous service, so every member delivers a service's messages after activating
/// the previous service and before activating this one. Messages carrying another ring id are discarded.</para>
/// </remarks>
public sealed class ServiceSync
{
    /// <summary>The services of a corosync 3.1.7 node that have a sync: cmap, cpg, quorum, votequorum.</summary>
    public static readonly IReadOnlyList<int> CorosyncServices = [ServiceIds.Cmap, ServiceIds.Cpg, ServiceIds.Quorum, ServiceIds.Votequorum];

    /// <summary>
    /// Rookery's own service id in SERVICE_BUILD: a member that lists it understands Rookery's extension messages.
    /// The last slot of corosync's service table (<c>SERVICES_COUNT_MAX</c> = 128), which no corosync service uses:
    /// corosync looks an id up in that table, so an id outside it must never be sent.
    /// </summary>
    public const int RookeryService = 127;

    /// <summary>The services a Rookery node runs a sync for: corosync's four, then Rookery's own.</summary>
    public static readonly IReadOnlyList<int> RookeryServices = [.. CorosyncServices, RookeryService];

    private readonly SortedSet<int> _localServices;
    private readonly SortedDictionary<uint, int[]> _serviceLists = [];
    private readonly SortedSet<uint> _pending = [];
    private readonly List<int> _merged = [];
    private NodeId[] _members = [];
    private NodeId[] _transitional = [];
    private RingId _ringId;
    private int _current;

    /// <param name="localServices">The ids of this node's services that have a sync (each 0..127).</param>
    public ServiceSync(IReadOnlyList<int> localServices)
    {
        ArgumentNullException.ThrowIfNull(localServices);
        Invariant.Require(localServices.Count is > 0 and <= SyncMessages.ServicesMax);
        _localServices = [.. localServices];
        Invariant.Require(_localServices.Count == localServices.Count && _localServices.Min >= 0 && _localServices.Max < SyncMessages.ServicesMax);
    }

    public ServiceSyncState State { get; private set; }

    /// <summary>The ring of the last round started.</summary>
    public RingId RingId => _ringId;

    /// <summary>Members of the last round started, ascending.</summary>
    public IReadOnlyList<NodeId> Members => _members;

    /// <summary>Members of the last transitional configuration that are members of the round's ring, ascending (<c>sync_init</c>'s trans list).</summary>
    public IReadOnlyList<NodeId> TransitionalMembers => _transitional;

    /// <summary>The union of the members' service lists, ascending; empty until every SERVICE_BUILD is delivered.</summary>
    public IReadOnlyList<int> MergedServices => State == ServiceSyncState.ServiceListBuild ? [] : _merged;

    /// <summary>The service whose turn it is, or null outside a turn.</summary>
    public int? CurrentService => State == ServiceSyncState.Barrier ? _merged[_current] : null;

    /// <summary>Sync messages dropped because they did not decode (counted, then dropped).</summary>
    public long MalformedMessages { get; private set; }

    /// <summary>Sync messages of another ring discarded (corosync: "barrier for old ring - discarding").</summary>
    public long StaleMessages { get; private set; }

    /// <summary>
    /// True when every member of the round's ring listed <paramref name="service"/> in its SERVICE_BUILD (known once
    /// every SERVICE_BUILD is delivered; false before).
    /// </summary>
    public bool EveryMemberRuns(int service)
    {
        if (State == ServiceSyncState.ServiceListBuild || _members.Length == 0)
        {
            return false;
        }

        foreach (var member in _members)
        {
            if (!_serviceLists.TryGetValue(member.Value, out var list) || Array.IndexOf(list, service) < 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The service list <paramref name="member"/> sent in this round's SERVICE_BUILD, or null.</summary>
    public IReadOnlyList<int>? ServicesOf(NodeId member) => _serviceLists.TryGetValue(member.Value, out var list) ? list : null;

    /// <summary>A transitional configuration: remember who came along from the old ring (<c>sync_save_transitional</c>).</summary>
    public void SaveTransitional(IReadOnlyList<NodeId> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        _transitional = [.. members.OrderBy(n => n.Value)];
    }

    /// <summary>
    /// A regular configuration (<c>sync_start</c>): a running round is aborted (its service's turn, if one was under
    /// way, gets a <see cref="SyncAbort"/>), then this node's SERVICE_BUILD goes out.
    /// </summary>
    public void Start(RingId ringId, IReadOnlyList<NodeId> members, List<SyncStep> steps)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(steps);
        Invariant.Require(members.Count > 0);
        Abort(steps);
        _ringId = ringId;
        _members = [.. members.OrderBy(n => n.Value)];
        _transitional = [.. _transitional.Where(n => Array.IndexOf(_members, n) >= 0)];
        _serviceLists.Clear();
        _merged.Clear();
        _merged.AddRange(_localServices);
        _current = 0;
        ResetPending();
        State = ServiceSyncState.ServiceListBuild;
        steps.Add(new SyncSend(SyncMessages.EncodeServiceBuild(ringId, [.. _localServices])));
        steps.Add(new SyncLog("call init for locally known services"));
    }

    /// <summary>
    /// Ends a running round without completing it (a newer configuration is coming, or the node leaves). Barriers of
    /// the round's ring delivered later are discarded.
    /// </summary>
    public void Abort(List<SyncStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (State == ServiceSyncState.Barrier && _localServices.Contains(_merged[_current]))
        {
            steps.Add(new SyncAbort(_merged[_current]));
        }

        if (State != ServiceSyncState.Idle)
        {
            State = ServiceSyncState.Idle;
            _ringId = default;
        }
    }

    /// <summary>A message of group "sync" delivered in agreed order (the group header removed). Never throws on bad bytes.</summary>
    public ServiceDecodeStatus OnDelivered(NodeId sender, ReadOnlySpan<byte> message, List<SyncStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (!ServiceHeader.TryPeekId(message, out var id))
        {
            MalformedMessages++;
            return ServiceDecodeStatus.Truncated;
        }

        switch (id)
        {
            case SyncMessages.ServiceBuildId:
            {
                var status = SyncMessages.TryDecodeServiceBuild(message, out var ring, out var services);
                if (status != ServiceDecodeStatus.Ok)
                {
                    MalformedMessages++;
                    return status;
                }

                OnServiceBuild(sender, ring, services, steps);
                return ServiceDecodeStatus.Ok;
            }

            case SyncMessages.BarrierId:
            {
                var status = SyncMessages.TryDecodeBarrier(message, out var ring);
                if (status != ServiceDecodeStatus.Ok)
                {
                    MalformedMessages++;
                    return status;
                }

                OnBarrier(sender, ring, steps);
                return ServiceDecodeStatus.Ok;
            }

            default:
                // corosync ignores other ids in group "sync" (its 2.x MEMB_DETERMINE among them).
                MalformedMessages++;
                return ServiceDecodeStatus.UnknownMessage;
        }
    }

    private void OnServiceBuild(NodeId sender, RingId ring, int[] services, List<SyncStep> steps)
    {
        if (State == ServiceSyncState.Idle || ring != _ringId)
        {
            StaleMessages++;
            steps.Add(new SyncLog("service build for old ring - discarding"));
            return;
        }

        if (State != ServiceSyncState.ServiceListBuild || Array.IndexOf(_members, sender) < 0 || _serviceLists.ContainsKey(sender.Value))
        {
            // One from outside the ring, or a member's second: only each member's first list counts (corosync merges
            // any, but no corosync node sends two; either way every member decides alike, by agreed order).
            return;
        }

        _serviceLists[sender.Value] = services;
        foreach (var service in services)
        {
            if (!_merged.Contains(service))
            {
                _merged.Add(service);
            }
        }

        _merged.Sort();
        _pending.Remove(sender.Value);
        if (_pending.Count == 0)
        {
            steps.Add(new SyncLog("enter sync process"));
            EnterService(steps);
        }
    }

    private void OnBarrier(NodeId sender, RingId ring, List<SyncStep> steps)
    {
        if (State == ServiceSyncState.Idle || ring != _ringId)
        {
            StaleMessages++;
            steps.Add(new SyncLog("barrier for old ring - discarding"));
            return;
        }

        if (State != ServiceSyncState.Barrier || !_pending.Remove(sender.Value) || _pending.Count > 0)
        {
            return;
        }

        var service = _merged[_current];
        steps.Add(new SyncLog($"Committing synchronization for {ServiceName(service)}"));
        if (_localServices.Contains(service))
        {
            steps.Add(new SyncActivate(service));
        }

        _current++;
        if (_current == _merged.Count)
        {
            State = ServiceSyncState.Idle;
            steps.Add(new SyncRoundCompleted(_ringId, _members));
            return;
        }

        EnterService(steps);
    }

    private void EnterService(List<SyncStep> steps)
    {
        ResetPending();
        State = ServiceSyncState.Barrier;
        var service = _merged[_current];
        if (_localServices.Contains(service))
        {
            steps.Add(new SyncProcess(service));
        }

        steps.Add(new SyncSend(SyncMessages.EncodeBarrier(_ringId)));
    }

    private void ResetPending()
    {
        _pending.Clear();
        foreach (var member in _members)
        {
            _pending.Add(member.Value);
        }
    }

    /// <summary>The name corosync logs for a service's turn.</summary>
    public static string ServiceName(int service) => service switch
    {
        ServiceIds.Cmap => "corosync configuration map access",
        ServiceIds.Cfg => "corosync configuration service",
        ServiceIds.Cpg => "corosync cluster closed process group service v1.01",
        ServiceIds.Quorum => "corosync cluster quorum service v0.1",
        ServiceIds.Votequorum => "corosync vote quorum service v1.0",
        RookeryService => "rookery extensions",
        _ => $"Unknown External Service (id = {service})",
    };
}
