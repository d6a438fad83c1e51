using Rookery.Totem;
using Rookery.Wire.Totem;

namespace Rookery.Simulation.Checking;

/// <summary>
/// Cluster-wide checkers for Totem's extended virtual synchrony and for process-group events,
/// independent of the implementation: they look only at what each process submitted and was
/// delivered (<see cref="HistoryRecord"/>), one record at a time, in the order things happened.
/// </summary>
/// <remarks>
/// Properties (<see cref="Property"/>), as Totem (corosync-spec §3.4, §3.7) and CPG (§7.3) promise them:
/// <list type="bullet">
/// <item>Agreed order: for every ring, any two processes deliver the messages of that ring they both
/// deliver in the same relative order (checked incrementally, pairwise, O(processes) per delivery).</item>
/// <item>No loss, no duplicate: a process delivers a message at most once, only messages that were
/// submitted, byte for byte, in each sender's order; before its transitional configuration a process
/// delivers a prefix of the ring's order (Totem stops at the first hole), so nothing is skipped there.</item>
/// <item>Virtual synchrony: two processes that both installed ring A and then both installed ring B
/// delivered the same set of A's messages, saw the same transitional configuration and the same
/// group events in A.</item>
/// <item>Membership agreement: one ring id, one member list; configurations alternate transitional then
/// regular, their left and joined lists follow from the member lists; ring sequences only grow
/// on a node, across restarts too (the ring id is persisted).</item>
/// <item>Group agreement: the agreed group events of a ring (joins and leaves delivered in order) and the
/// snapshots of all groups after each sync are the same sequence on every process of it (a prefix before
/// the transitional configuration, equal for processes that move together). The per-node sync events
/// (node down, node up) are only checked for shape: their lists depend on each node's previous view.</item>
/// <item>Quorum safety: never two quorate partitions. Whenever a live process reports quorum, every other live process
/// whose last report was quorate lists a member in common with it (a stale view of a larger ring always does). The
/// exceptions are votequorum's own: with <c>two_node</c> both halves of a split stay quorate and fencing decides
/// (votequorum(5)), <see cref="TwoNodeCluster"/>; with <c>last_man_standing</c> but not <c>wait_for_all</c> a node
/// whose expected votes were lowered is quorate with a majority of that count wherever it goes ("It is essential to
/// enable WFA when using LMS", votequorum(5)), <see cref="LastManStandingWithoutWaitForAll"/>.</item>
/// </list>
/// </remarks>
public sealed class ClusterChecker
{
    /// <summary>Stop collecting after this many violations; the first one is what matters.</summary>
    public const int ViolationsMax = 50;

    private readonly Dictionary<ProcessId, ProcessState> _processes = [];
    private readonly Dictionary<RingId, RingState> _rings = [];
    private readonly Dictionary<MessageId, Submission> _submitted = [];
    private readonly Dictionary<NodeId, ulong> _highestRingSequence = [];
    private readonly List<Violation> _violations = [];
    private readonly SortedDictionary<ProcessId, QuorumRecorded> _quorate = [];

    public IReadOnlyList<Violation> Violations => _violations;

    public long DeliveryCount { get; private set; }

    public long SubmitCount { get; private set; }

    public long ConfigurationCount { get; private set; }

    public long GroupChangeCount { get; private set; }

    /// <summary>Quorum reports seen, and how many of them found a quorate and an inquorate live process at once.</summary>
    public long QuorumReportCount { get; private set; }

    public long QuorateSplitCount { get; private set; }

    /// <summary>The cluster runs votequorum with <c>two_node</c>: a split leaves both nodes quorate by design.</summary>
    public bool TwoNodeCluster { get; init; }

    /// <summary>
    /// The cluster runs votequorum with <c>last_man_standing</c> and without <c>wait_for_all</c>, which votequorum(5) says
    /// is unsafe: after the window lowered a partition's expected votes, a node of it that is cut off and meets others
    /// counts a majority of the lowered number beside the rest of the partition (the swarm found it at about 1 seed in
    /// 200, e.g. 7000715). Two quorate partitions are not a defect there.
    /// </summary>
    public bool LastManStandingWithoutWaitForAll { get; init; }

    /// <summary>Checks a whole recorded history (a pure function: a fresh checker per call).</summary>
    public static IReadOnlyList<Violation> Check(IEnumerable<HistoryRecord> history)
    {
        var checker = new ClusterChecker();
        foreach (var record in history)
        {
            checker.Observe(record);
        }

        return checker.Violations;
    }

    /// <summary>Feeds one record; any property it breaks is appended to <see cref="Violations"/>.</summary>
    public void Observe(HistoryRecord record)
    {
        switch (record)
        {
            case ProcessStarted started:
                OnStarted(started);
                break;
            case ProcessStopped stopped:
                Process(stopped.Process).IsAlive = false;
                _quorate.Remove(stopped.Process);
                break;
            case QuorumRecorded quorum:
                OnQuorum(quorum);
                break;
            case MessageSubmitted submitted:
                OnSubmitted(submitted);
                break;
            case MessageDelivered delivered:
                OnDelivered(delivered);
                break;
            case ConfigurationRecorded configuration:
                OnConfiguration(configuration);
                break;
            case GroupChangeRecorded group:
                OnGroupChange(group);
                break;
            default:
                Invariant.Fail($"unknown history record {record.GetType().Name}");
                break;
        }
    }

    /// <summary>
    /// What still keeps the cluster from having converged: every live process operational in one
    /// regular ring whose members are exactly the live nodes, all of them having delivered the same
    /// set in it, including every message a live process submitted while in that ring, and the same
    /// group events. Empty when converged. Not a violation by itself: the liveness phase polls this
    /// until it is empty or its time bound runs out.
    /// </summary>
    public IReadOnlyList<string> ConvergenceGaps(IReadOnlyCollection<ProcessId> live)
    {
        var gaps = new List<string>();
        if (live.Count == 0)
        {
            return gaps;
        }

        var liveNodes = live.Select(p => p.Node).Order().ToArray();
        RingId? ring = null;
        foreach (var process in live.Order())
        {
            var state = _processes.GetValueOrDefault(process);
            if (state?.Log is not { } log)
            {
                gaps.Add($"{process} has no configuration yet");
                continue;
            }

            if (state.PendingTransitional is not null)
            {
                gaps.Add($"{process} is between its transitional and regular configuration");
            }

            ring ??= log.Ring;
            if (log.Ring != ring)
            {
                gaps.Add($"{process} is in ring {log.Ring}, {live.Order().First()} in ring {ring}");
            }
            else if (!_rings[log.Ring].Members.SequenceEqual(liveNodes))
            {
                gaps.Add($"ring {log.Ring} has members [{string.Join(",", _rings[log.Ring].Members)}], live nodes are [{string.Join(",", liveNodes)}]");
            }
        }

        if (gaps.Count > 0 || ring is not { } commonRing)
        {
            return gaps;
        }

        var logs = live.Order().Select(p => (Process: p, Log: _processes[p].Log!)).ToArray();
        var reference = logs[0];
        foreach (var (process, log) in logs.Skip(1))
        {
            if (DescribeSetDifference(reference.Process, reference.Log, process, log) is { } difference)
            {
                gaps.Add(difference);
            }

            if (!reference.Log.GroupEvents.SequenceEqual(log.GroupEvents))
            {
                gaps.Add($"{reference.Process} and {process} saw different group events in ring {commonRing}");
            }
        }

        if (_rings[commonRing].SubmittedIn is { } submittedInRing)
        {
            foreach (var message in submittedInRing)
            {
                if (!live.Contains(message.Sender))
                {
                    continue;
                }

                foreach (var (process, log) in logs)
                {
                    if (!log.Index.ContainsKey(message))
                    {
                        gaps.Add($"{process} has not delivered {message}, submitted in ring {commonRing}");
                        break;
                    }
                }

                if (gaps.Count > 10)
                {
                    break;
                }
            }
        }

        return gaps;
    }

    /// <summary>Records a liveness failure (the bound ran out) with what was still missing.</summary>
    public void ReportNotConverged(Instant now, IReadOnlyList<string> gaps) =>
        Report(Property.Liveness, now, null, $"no convergence: {string.Join("; ", gaps.Take(5))}");

    /// <summary>Records a violation found outside the checkers (a scenario's own promise).</summary>
    public void Report(Property property, Instant at, ProcessId? process, string detail)
    {
        if (_violations.Count < ViolationsMax)
        {
            _violations.Add(new Violation(property, at, process, detail));
        }
    }

    /// <summary>The ring a process is currently in (its last regular configuration), if any.</summary>
    public RingId? CurrentRing(ProcessId process) => _processes.GetValueOrDefault(process)?.Log?.Ring;

    /// <summary>Members of a ring as its first installer reported them.</summary>
    public IReadOnlyList<NodeId>? RingMembers(RingId ring) => _rings.GetValueOrDefault(ring)?.Members;

    private void OnStarted(ProcessStarted started)
    {
        if (_processes.ContainsKey(started.Process))
        {
            Report(Property.MembershipAgreement, started.At, started.Process, "process started twice");
            return;
        }

        _processes[started.Process] = new ProcessState(started.Process);
    }

    private void OnQuorum(QuorumRecorded report)
    {
        QuorumReportCount++;
        Process(report.Process).LastQuorum = report;
        if (!report.Quorate)
        {
            _quorate.Remove(report.Process);
            if (_quorate.Count > 0)
            {
                QuorateSplitCount++;
            }

            return;
        }

        _quorate[report.Process] = report;
        if (TwoNodeCluster || LastManStandingWithoutWaitForAll)
        {
            return;
        }

        foreach (var (other, otherReport) in _quorate)
        {
            if (other != report.Process && !report.Members.Intersect(otherReport.Members).Any())
            {
                Report(Property.QuorumSafety, report.At, report.Process,
                    $"quorate with members [{string.Join(",", report.Members)}] while {other} is quorate with [{string.Join(",", otherReport.Members)}] since {otherReport.At}: two quorate partitions");
            }
        }
    }

    private void OnSubmitted(MessageSubmitted submitted)
    {
        SubmitCount++;
        var state = Process(submitted.Process);
        if (submitted.Message.Sender != submitted.Process || !_submitted.TryAdd(submitted.Message, new Submission(state.Log?.Ring)))
        {
            Report(Property.NoLossNoDuplicate, submitted.At, submitted.Process, $"workload bug: message {submitted.Message} submitted twice or by another process");
            return;
        }

        if (state.Log is { } log && state.PendingTransitional is null)
        {
            (_rings[log.Ring].SubmittedIn ??= []).Add(submitted.Message);
        }
    }

    private void OnDelivered(MessageDelivered delivered)
    {
        DeliveryCount++;
        var at = delivered.At;
        var process = delivered.Process;
        var state = Process(process);
        if (!MessageStamp.TryRead(delivered.Payload.Span, out var id, out var problem))
        {
            Report(Property.NoLossNoDuplicate, at, process, $"altered delivery from node {delivered.Sender}: {problem}");
            return;
        }

        if (id.Sender.Node != delivered.Sender)
        {
            Report(Property.NoLossNoDuplicate, at, process, $"message {id} delivered as sent by node {delivered.Sender}");
        }

        if (!_submitted.ContainsKey(id))
        {
            Report(Property.NoLossNoDuplicate, at, process, $"message {id} delivered but never submitted");
            return;
        }

        if (!state.Delivered.Add(id))
        {
            Report(Property.NoLossNoDuplicate, at, process, $"message {id} delivered twice");
            return;
        }

        if (state.LastSequenceFrom.TryGetValue(id.Sender, out var lastFromSender) && id.Sequence <= lastFromSender)
        {
            Report(Property.NoLossNoDuplicate, at, process, $"message {id} delivered after {id.Sender}:{lastFromSender} (sender order broken)");
        }

        state.LastSequenceFrom[id.Sender] = Math.Max(lastFromSender, id.Sequence);
        if (state.Log is not { } log)
        {
            Report(Property.VirtualSynchrony, at, process, $"message {id} delivered before any configuration");
            return;
        }

        if (delivered.RingId != log.Ring)
        {
            Report(Property.VirtualSynchrony, at, process, $"message {id} of ring {delivered.RingId} delivered while in ring {log.Ring}");
            return;
        }

        var ring = _rings[log.Ring];
        if (!ring.Members.Contains(delivered.Sender))
        {
            Report(Property.VirtualSynchrony, at, process, $"message {id} of ring {log.Ring} sent by node {delivered.Sender}, not a member");
        }

        if (!log.IsClosed)
        {
            CheckRegularPhaseDelivery(at, process, state, log, ring, id);
        }

        CheckAgreedOrder(at, process, log, ring, id);
        log.Index[id] = log.Order.Count;
        log.Order.Add(id);
    }

    private void CheckRegularPhaseDelivery(Instant at, ProcessId process, ProcessState state, RingLog log, RingState ring, MessageId id)
    {
        if (state.RegularPhaseLastFrom.TryGetValue(id.Sender, out var previous) && id.Sequence != previous + 1)
        {
            Report(Property.NoLossNoDuplicate, at, process, $"message {id} delivered in ring {log.Ring} right after {id.Sender}:{previous}: the messages between were lost");
        }

        state.RegularPhaseLastFrom[id.Sender] = id.Sequence;
        var position = log.RegularCount++;
        if (position < ring.RegularPrefix.Count)
        {
            if (ring.RegularPrefix[position] != id)
            {
                Report(Property.AgreedOrder, at, process, $"delivery #{position} of ring {log.Ring} is {id}, another process delivered {ring.RegularPrefix[position]} there");
            }
        }
        else
        {
            ring.RegularPrefix.Add(id);
        }
    }

    /// <summary>
    /// Pairwise agreed order. <c>Floor[(a, b)]</c> is the highest position in b's order of any message
    /// a has delivered that b has delivered too; a message a delivers next must sit above it in b's
    /// order. Whichever of the four deliveries of a reordered pair happens last finds the floor broken.
    /// </summary>
    private void CheckAgreedOrder(Instant at, ProcessId process, RingLog log, RingState ring, MessageId id)
    {
        var position = log.Order.Count;
        foreach (var (other, otherLog) in ring.Logs)
        {
            if (other == process || !otherLog.Index.TryGetValue(id, out var otherPosition))
            {
                continue;
            }

            var floor = ring.Floor.GetValueOrDefault((process, other), -1);
            if (otherPosition <= floor)
            {
                Report(Property.AgreedOrder, at, process, $"ring {log.Ring}: {process} delivers {id} after {otherLog.Order[floor]}, {other} delivered them the other way round");
            }

            ring.Floor[(process, other)] = Math.Max(floor, otherPosition);
            ring.Floor[(other, process)] = Math.Max(ring.Floor.GetValueOrDefault((other, process), -1), position);
        }
    }

    private void OnConfiguration(ConfigurationRecorded recorded)
    {
        ConfigurationCount++;
        var (at, process, change) = (recorded.At, recorded.Process, recorded.Change);
        var state = Process(process);
        CheckListShape(at, process, change);

        // The very first transitional configuration of a process has no old ring behind it; corosync
        // delivers it empty. Every other configuration lists the node itself.
        var firstTransitional = change.Kind == ConfigurationKind.Transitional && state.Log is null;
        if (!change.Members.Contains(process.Node) && !(firstTransitional && change.Members.Count == 0))
        {
            Report(Property.MembershipAgreement, at, process, $"{change.Kind} configuration {change.RingId} does not list the node itself");
        }

        if (change.Kind == ConfigurationKind.Transitional)
        {
            OnTransitional(at, process, state, change);
        }
        else
        {
            OnRegular(at, process, state, change);
        }
    }

    private void OnTransitional(Instant at, ProcessId process, ProcessState state, ConfigurationChanged change)
    {
        if (state.PendingTransitional is not null)
        {
            Report(Property.MembershipAgreement, at, process, "two transitional configurations without a regular one between");
        }

        state.PendingTransitional = change;
        if (state.Log is not { } log)
        {
            return;
        }

        var previous = _rings[log.Ring].Members;
        if (change.Members.Except(previous).Any())
        {
            Report(Property.MembershipAgreement, at, process, $"transitional members [{string.Join(",", change.Members)}] are not all in ring {log.Ring} [{string.Join(",", previous)}]");
        }

        ExpectList(at, process, "transitional left", change.Left, previous.Except(change.Members));
        ExpectList(at, process, "transitional joined", change.Joined, []);
        log.IsClosed = true;
        log.Transitional = change;
    }

    private void OnRegular(Instant at, ProcessId process, ProcessState state, ConfigurationChanged change)
    {
        var node = process.Node;
        if (_highestRingSequence.TryGetValue(node, out var highest) && change.RingId.Sequence <= highest)
        {
            Report(Property.MembershipAgreement, at, process, $"ring {change.RingId} installed after sequence {highest:x} on node {node}: ring sequences must grow");
        }

        _highestRingSequence[node] = Math.Max(highest, change.RingId.Sequence);
        if (state.PendingTransitional is { } transitional)
        {
            if (transitional.Members.Except(change.Members).Any())
            {
                Report(Property.MembershipAgreement, at, process, $"transitional members [{string.Join(",", transitional.Members)}] are not all in the regular configuration {change.RingId}");
            }

            ExpectList(at, process, "regular joined", change.Joined, change.Members.Except(transitional.Members));
            ExpectList(at, process, "regular left", change.Left, []);
        }
        else if (state.Log is not null)
        {
            Report(Property.MembershipAgreement, at, process, $"regular configuration {change.RingId} without a transitional one before it");
        }

        if (_rings.TryGetValue(change.RingId, out var ring))
        {
            if (!ring.Members.SequenceEqual(change.Members))
            {
                Report(Property.MembershipAgreement, at, process, $"ring {change.RingId} has members [{string.Join(",", change.Members)}] here, [{string.Join(",", ring.Members)}] on {ring.FirstInstaller}");
            }
        }
        else
        {
            ring = new RingState(change.Members.ToArray(), process);
            _rings[change.RingId] = ring;
        }

        if (state.Log is { } previousLog)
        {
            previousLog.Next = change.RingId;
            CheckMovedTogether(at, process, previousLog);
        }

        var log = new RingLog(change.RingId);
        if (!ring.Logs.TryAdd(process, log))
        {
            Report(Property.MembershipAgreement, at, process, $"ring {change.RingId} installed twice");
        }

        state.Log = log;
        state.PendingTransitional = null;
        state.RegularPhaseLastFrom.Clear();
    }

    /// <summary>Virtual synchrony: compare this finished ring log with every other process that went from the same ring to the same next ring.</summary>
    private void CheckMovedTogether(Instant at, ProcessId process, RingLog log)
    {
        var ring = _rings[log.Ring];
        foreach (var (other, otherLog) in ring.Finished)
        {
            if (otherLog.Next != log.Next)
            {
                continue;
            }

            var members = log.Transitional?.Members ?? [];
            var otherMembers = otherLog.Transitional?.Members ?? [];
            if (!members.SequenceEqual(otherMembers))
            {
                Report(Property.MembershipAgreement, at, process, $"{process} and {other} went from ring {log.Ring} to {log.Next} with transitional members [{string.Join(",", members)}] and [{string.Join(",", otherMembers)}]");
            }

            if (DescribeSetDifference(other, otherLog, process, log) is { } difference)
            {
                Report(Property.VirtualSynchrony, at, process, $"moved together from ring {log.Ring} to {log.Next}, but {difference}");
            }

            if (!log.GroupEvents.SequenceEqual(otherLog.GroupEvents))
            {
                var index = FirstDifference(log.GroupEvents, otherLog.GroupEvents);
                Report(Property.GroupAgreement, at, process, $"moved together from ring {log.Ring} to {log.Next}, but group event #{index} differs: {process}: {log.GroupEvents.ElementAtOrDefault(index) ?? "none"}; {other}: {otherLog.GroupEvents.ElementAtOrDefault(index) ?? "none"}");
            }
        }

        ring.Finished.Add((process, log));
    }

    private void OnGroupChange(GroupChangeRecorded recorded)
    {
        GroupChangeCount++;
        var (at, process, change) = (recorded.At, recorded.Process, recorded.Change);
        var state = Process(process);
        if (state.Log is not { } log)
        {
            Report(Property.GroupAgreement, at, process, $"group event before any configuration: {change}");
            return;
        }

        var members = change.Members.ToHashSet();
        if (change.Left.Any(l => members.Contains(l.Member)) || change.Joined.Any(j => !members.Contains(j.Member)))
        {
            Report(Property.GroupAgreement, at, process, $"group event lists a leaver as member or a joiner as non-member: {change}");
        }

        if (change.Cause == GroupChangeCause.Sync)
        {
            return; // Per-node by nature; the snapshot after the sync is what must agree.
        }

        var canonical = change.Canonical;
        if (!log.IsClosed)
        {
            var ring = _rings[log.Ring];
            var position = log.GroupRegularCount++;
            if (position < ring.GroupPrefix.Count)
            {
                if (ring.GroupPrefix[position] != canonical)
                {
                    Report(Property.GroupAgreement, at, process, $"group event #{position} of ring {log.Ring} is {canonical}, another process saw {ring.GroupPrefix[position]}");
                }
            }
            else
            {
                ring.GroupPrefix.Add(canonical);
            }
        }

        log.GroupEvents.Add(canonical);
    }

    private static string? DescribeSetDifference(ProcessId a, RingLog aLog, ProcessId b, RingLog bLog)
    {
        if (aLog.Order.FirstOrDefault(m => !bLog.Index.ContainsKey(m)) is { Sender.Node.Value: > 0 } onlyA)
        {
            return $"{a} delivered {onlyA} in ring {aLog.Ring}, {b} did not ({aLog.Order.Count} vs {bLog.Order.Count} messages)";
        }

        if (bLog.Order.FirstOrDefault(m => !aLog.Index.ContainsKey(m)) is { Sender.Node.Value: > 0 } onlyB)
        {
            return $"{b} delivered {onlyB} in ring {bLog.Ring}, {a} did not ({bLog.Order.Count} vs {aLog.Order.Count} messages)";
        }

        return null;
    }

    private static int FirstDifference(List<string> a, List<string> b)
    {
        var index = 0;
        while (index < a.Count && index < b.Count && a[index] == b[index])
        {
            index++;
        }

        return index;
    }

    private void CheckListShape(Instant at, ProcessId process, ConfigurationChanged change)
    {
        foreach (var (name, list) in new[] { ("members", change.Members), ("left", change.Left), ("joined", change.Joined) })
        {
            for (var i = 1; i < list.Count; i++)
            {
                if (list[i - 1].CompareTo(list[i]) >= 0)
                {
                    Report(Property.MembershipAgreement, at, process, $"{change.Kind} {name} list [{string.Join(",", list)}] is not sorted without repeats");
                    break;
                }
            }
        }
    }

    private void ExpectList(Instant at, ProcessId process, string what, IReadOnlyList<NodeId> actual, IEnumerable<NodeId> expected)
    {
        var expectedSorted = expected.Order().ToArray();
        if (!actual.SequenceEqual(expectedSorted))
        {
            Report(Property.MembershipAgreement, at, process, $"{what} list is [{string.Join(",", actual)}], expected [{string.Join(",", expectedSorted)}]");
        }
    }

    private ProcessState Process(ProcessId process)
    {
        if (!_processes.TryGetValue(process, out var state))
        {
            state = new ProcessState(process);
            _processes[process] = state;
        }

        return state;
    }

    private sealed record Submission(RingId? Ring);

    private sealed class ProcessState(ProcessId id)
    {
        public ProcessId Id { get; } = id;

        public bool IsAlive { get; set; } = true;

        /// <summary>The log of the current ring (the last regular configuration).</summary>
        public RingLog? Log { get; set; }

        public ConfigurationChanged? PendingTransitional { get; set; }

        public HashSet<MessageId> Delivered { get; } = [];

        public Dictionary<ProcessId, ulong> LastSequenceFrom { get; } = [];

        public Dictionary<ProcessId, ulong> RegularPhaseLastFrom { get; } = [];

        public QuorumRecorded? LastQuorum { get; set; }
    }

    /// <summary>What one process delivered and saw in one ring.</summary>
    private sealed class RingLog(RingId ring)
    {
        public RingId Ring { get; } = ring;

        public List<MessageId> Order { get; } = [];

        public Dictionary<MessageId, int> Index { get; } = [];

        /// <summary>Deliveries before the transitional configuration.</summary>
        public int RegularCount { get; set; }

        public List<string> GroupEvents { get; } = [];

        public int GroupRegularCount { get; set; }

        /// <summary>True once the transitional configuration that ends this ring was delivered.</summary>
        public bool IsClosed { get; set; }

        public ConfigurationChanged? Transitional { get; set; }

        public RingId? Next { get; set; }
    }

    /// <summary>What all processes of one ring share.</summary>
    private sealed class RingState(NodeId[] members, ProcessId firstInstaller)
    {
        public NodeId[] Members { get; } = members;

        public ProcessId FirstInstaller { get; } = firstInstaller;

        public List<MessageId> RegularPrefix { get; } = [];

        public List<string> GroupPrefix { get; } = [];

        public Dictionary<ProcessId, RingLog> Logs { get; } = [];

        public Dictionary<(ProcessId From, ProcessId To), int> Floor { get; } = [];

        public List<(ProcessId Process, RingLog Log)> Finished { get; } = [];

        public List<MessageId>? SubmittedIn { get; set; }
    }
}
