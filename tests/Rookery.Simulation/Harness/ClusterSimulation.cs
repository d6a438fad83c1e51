using Rookery.Simulation.Checking;
using Rookery.Simulation.Scenarios;
using Rookery.Totem;

namespace Rookery.Simulation.Harness;

/// <summary>Outcome of one simulated run.</summary>
public sealed record SimulationResult(
    FaultPlan Plan,
    IReadOnlyList<Violation> Violations,
    string TraceHash,
    Instant End,
    long Steps,
    long Submitted,
    long Delivered,
    long Configurations)
{
    public bool Passed => Violations.Count == 0;

    /// <summary>The scenario name the replay tool takes (<c>--scenario</c>).</summary>
    public string Scenario { get; init; } = "swarm";

    /// <summary>A failure message: the seed first, so it can be replayed (<c>rookery-sim --seed N</c>).</summary>
    public string Describe() =>
        $"seed={Plan.Seed}: {(Passed ? "passed" : $"{Violations.Count} violation(s)")} at {End}, {Steps} steps, {Submitted} submitted, {Delivered} deliveries, {Configurations} configuration events; plan: {Plan.Describe()}"
        + (Passed ? "" : $"\n  first: {Violations[0]}\n  replay: dotnet run --project tools/Rookery.Sim -- --seed {Plan.Seed}{(Scenario == "swarm" ? "" : $" --scenario {Scenario}")} --trace");
}

/// <summary>
/// The deterministic cluster simulation: N nodes built by a <see cref="NodeFactory"/>, a simulated
/// network carrying their bytes, virtual time, a fault plan, a workload, and the cluster checkers fed
/// after every step.
/// </summary>
/// <remarks>
/// Phases (TigerBeetle's VOPR): <see cref="RunSafetyPhase"/> applies the plan's faults and workload
/// until <see cref="FaultPlan.SafetyDuration"/>, checking every step; <see cref="Heal"/> removes all
/// faults (cuts, partitions, pauses, crashed nodes restart, clean network); <see cref="RunLivenessPhase"/>
/// then requires one ring of all nodes that delivers a probe from every node within
/// <see cref="FaultPlan.LivenessBound"/>. At one instant the driver applies, in this order: scheduled
/// faults, resumed pauses, arriving datagrams (send order), node ticks (ascending node id), submissions.
/// </remarks>
public sealed class ClusterSimulation : IDisposable
{
    /// <summary>Datagrams a paused node's sockets keep (a full socket buffer drops).</summary>
    public const int PausedInboxMax = 512;

    /// <summary>Ticks of one node at one instant before the driver calls it a busy loop.</summary>
    public const int TicksPerInstantMax = 1000;

    /// <summary>
    /// Steps one run may take (healthy seeds take well under 500 000). More means a message storm
    /// (join/commit loops): reported as a liveness failure instead of burning the test budget.
    /// </summary>
    public const long StepsMax = 3_000_000;

    /// <summary>Probes each node submits once the healed cluster has converged.</summary>
    public const int ProbeCount = 3;

    private readonly NodeFactory _factory;
    private readonly ISimNetwork _network;
    private readonly Prng _workloadPrng;
    private readonly Slot[] _slots;
    private readonly NodeOutput _output = new();
    private readonly HashSet<LinkPath> _cuts = [];
    private readonly HashSet<(NodeId From, NodeId To)> _blocked = [];
    private readonly List<HistoryRecord> _pendingRecords = [];
    private int _scheduleIndex;

    public ClusterSimulation(FaultPlan plan, NodeFactory factory, TextWriter? traceWriter = null, Func<Prng, PathConditions, ISimNetwork>? network = null)
    {
        Plan = plan;
        Checker = new ClusterChecker
        {
            TwoNodeCluster = plan.Quorum.TwoNode,
            LastManStandingWithoutWaitForAll = plan.Quorum.LastManStanding && !(plan.Quorum.WaitForAll ?? plan.Quorum.TwoNode),
        };
        _factory = factory;
        Trace = new Trace(traceWriter);
        _output.LogWanted = Trace.IsPrinting;
        var root = new Prng(plan.Seed ^ 0x5EED_0F_5100_0001UL);
        _workloadPrng = root.Fork();
        var networkPrng = root.Fork();
        _network = network is null ? new SimNetworkAdapter(networkPrng, plan.Conditions) : network(networkPrng, plan.Conditions);
        Trace.Note(Now, plan.Describe());

        // The adversary listens from the first datagram on: the nodes' first sends happen while booting.
        Adversary.RecordUntil = plan.Schedule.OfType<RecordTraffic>().FirstOrDefault()?.Until ?? Instant.Zero;
        _slots = plan.Nodes.Select(id => new Slot(id, root.Fork())).ToArray();
        foreach (var slot in _slots)
        {
            Boot(slot);
        }

        foreach (var slot in _slots)
        {
            slot.NextSubmitAt = Now + NextSubmitGap();
        }

        Flush();
    }

    public FaultPlan Plan { get; }

    public ClusterChecker Checker { get; }

    public Trace Trace { get; }

    public Instant Now { get; private set; } = Instant.Zero;

    /// <summary>Stop at the first violation (default); a sweep wants the first one, a replay may want all.</summary>
    public bool StopOnViolation { get; set; } = true;

    /// <summary>Whether nodes submit workload messages (the liveness phase turns it off, benchmarks drive their own).</summary>
    public bool WorkloadEnabled { get; set; } = true;

    /// <summary>Called for every application-visible event, for scenario checks and benchmarks.</summary>
    public Action<Instant, ProcessId, TotemEvent>? Observed { get; set; }

    /// <summary>
    /// When set, scheduled fault actions wait until it returns true (a scenario that must not start
    /// its faults before the cluster has formed). The safety phase is lengthened by the wait, so
    /// what follows the faults is observed as long as planned.
    /// </summary>
    public Func<bool>? ScheduleGate { get; set; }

    /// <summary>The attacker of <see cref="RecordTraffic"/> and <see cref="ReplayTraffic"/>.</summary>
    public Network.ReplayAdversary Adversary { get; } = new();

    /// <summary>How late the schedule runs because of <see cref="ScheduleGate"/>.</summary>
    public Duration ScheduleDelay { get; private set; } = Duration.Zero;

    /// <summary>Called just before a fault action is applied (scenarios check their preconditions here).</summary>
    public Action<FaultAction>? Applying { get; set; }

    public IEnumerable<NodeId> Nodes => _slots.Select(s => s.Id);

    public bool IsFailed => Checker.Violations.Count > 0;

    /// <summary>The running node stack of <paramref name="id"/>, or null when crashed.</summary>
    public ISimulatedNode? Node(NodeId id) => SlotOf(id).Node;

    public ProcessId ProcessOf(NodeId id) => new(id, SlotOf(id).Incarnation);

    /// <summary>Live processes (not crashed).</summary>
    public IReadOnlyList<ProcessId> LiveProcesses => _slots.Where(s => s.Node is not null).Select(s => new ProcessId(s.Id, s.Incarnation)).ToArray();

    /// <summary>Runs the whole seed: safety phase, heal, liveness phase.</summary>
    public SimulationResult Run()
    {
        RunSafetyPhase();
        if (!(IsFailed && StopOnViolation))
        {
            Heal();
            RunLivenessPhase();
        }

        return Result();
    }

    public SimulationResult Result() =>
        new(Plan, Checker.Violations, Trace.Hash, Now, Trace.Steps, Checker.SubmitCount, Checker.DeliveryCount, Checker.ConfigurationCount);

    public void RunSafetyPhase()
    {
        Trace.Note(Now, "safety phase");
        var gateDeadline = Instant.Zero + Plan.SafetyDuration + Plan.LivenessBound;
        while (!(IsFailed && StopOnViolation))
        {
            var end = Instant.Zero + Plan.SafetyDuration + ScheduleDelay;
            RunUntil(end);
            if (_scheduleIndex >= Plan.Schedule.Count || Now >= gateDeadline)
            {
                break;
            }

            RunUntil(Instant.Min(Now + Duration.FromMilliseconds(10), gateDeadline));
        }

        if (_scheduleIndex < Plan.Schedule.Count && !IsFailed)
        {
            Checker.Report(Property.Liveness, Now, null, $"the scenario's faults never started: its precondition (the ring of all nodes) did not hold within {Plan.SafetyDuration + Plan.LivenessBound}");
        }
    }

    /// <summary>Removes every fault: cuts, partitions, pauses, network conditions; crashed nodes restart.</summary>
    public void Heal()
    {
        Trace.Note(Now, "heal");
        _scheduleIndex = Plan.Schedule.Count;
        foreach (var path in _cuts.OrderBy(p => (p.From, p.To, p.Link)).ToArray())
        {
            Apply(new SetLinkCut(Now, path.From, path.To, path.Link, Cut: false));
        }

        Apply(new HealPartition(Now));
        _network.SetConditions(PathConditions.Clean);
        foreach (var slot in _slots)
        {
            if (slot.Node is null)
            {
                Apply(new RestartNode(Now, slot.Id));
            }
            else if (slot.PausedUntil > Now)
            {
                slot.PausedUntil = Now;
            }
        }

        Flush();
    }

    /// <summary>
    /// Without workload, waits for one ring of all nodes; then every node submits <see cref="ProbeCount"/>
    /// probes and the run waits until all are delivered everywhere. Fails with the missing pieces
    /// when <see cref="FaultPlan.LivenessBound"/> runs out.
    /// </summary>
    public void RunLivenessPhase()
    {
        Trace.Note(Now, "liveness phase");
        WorkloadEnabled = false;
        var deadline = Now + Plan.LivenessBound;
        var poll = Duration.FromMilliseconds(50);
        var probesSent = false;
        var probesOwed = _slots.Select(_ => ProbeCount).ToArray();
        IReadOnlyList<string> gaps = ["not polled yet"];
        while (Now < deadline && !(IsFailed && StopOnViolation))
        {
            RunUntil(Instant.Min(Now + poll, deadline));
            gaps = Checker.ConvergenceGaps(LiveProcesses);
            if (gaps.Count > 0)
            {
                continue;
            }

            if (probesSent && probesOwed.All(owed => owed == 0))
            {
                Trace.Note(Now, "converged");
                return;
            }

            // A node refuses while its sync runs (as cpg does): what it refused is submitted at the next poll.
            for (var i = 0; i < _slots.Length; i++)
            {
                while (probesOwed[i] > 0 && SubmitOne(_slots[i], Plan.MessageSizeMin))
                {
                    probesOwed[i]--;
                }
            }

            probesSent = true;
            Flush();
        }

        if (!IsFailed)
        {
            Checker.ReportNotConverged(Now, probesSent ? gaps : ["membership never converged", .. gaps]);
            Flush();
        }
    }

    /// <summary>Advances virtual time to <paramref name="end"/>, step by step (or to the first violation).</summary>
    public void RunUntil(Instant end)
    {
        while (!(IsFailed && StopOnViolation))
        {
            if (Trace.Steps > StepsMax)
            {
                Checker.Report(Property.Liveness, Now, null, $"more than {StepsMax} steps by {Now}: a message storm ({Checker.ConfigurationCount} configuration events so far)");
                Flush();
                StopOnViolation = true; // nothing can continue a run over its step budget
                return;
            }

            var next = NextEventTime();
            if (next > end)
            {
                Now = Instant.Max(Now, end); // never back: an end already passed is a no-op
                return;
            }

            Invariant.Require(next >= Now);
            Now = next;
            RunInstant();
        }
    }

    /// <summary>Applies one fault action now (used by the schedule, by <see cref="Heal"/> and by scenario tests).</summary>
    public void Apply(FaultAction action)
    {
        Applying?.Invoke(action);
        Trace.Note(Now, action.Describe());
        switch (action)
        {
            case SetLinkCut cut:
                var path = new LinkPath(cut.From, cut.To, cut.Link);
                _network.SetCut(path, cut.Cut);
                if (cut.Cut)
                {
                    _cuts.Add(path);
                }
                else
                {
                    _cuts.Remove(path);
                }

                break;
            case SetPartition partition:
                _blocked.Clear();
                for (var i = 0; i < partition.Sides.Count; i++)
                {
                    for (var j = 0; j < partition.Sides.Count; j++)
                    {
                        if (i == j || (partition.OneWay && i != 0))
                        {
                            continue;
                        }

                        foreach (var from in partition.Sides[i])
                        {
                            foreach (var to in partition.Sides[j])
                            {
                                _blocked.Add((from, to));
                            }
                        }
                    }
                }

                break;
            case HealPartition:
                _blocked.Clear();
                break;
            case PauseNode pause:
                var paused = SlotOf(pause.Node);
                paused.PausedUntil = Instant.Max(paused.PausedUntil, pause.Until);
                break;
            case CrashNode crash:
                var crashed = SlotOf(crash.Node);
                if (crashed.Node is not null)
                {
                    crashed.Node = null;
                    crashed.Inbox.Clear();
                    crashed.PausedUntil = Instant.Zero;
                    _pendingRecords.Add(new ProcessStopped(Now, new ProcessId(crashed.Id, crashed.Incarnation)));
                }

                break;
            case RecordTraffic record:
                Adversary.RecordUntil = record.Until;
                break;
            case ReplayTraffic replay:
                foreach (var (replayed, bytes) in Adversary.Slice(replay.Start, replay.End, replay.Copies))
                {
                    _network.Send(Now, replayed, bytes);
                }

                break;
            case RestartNode restart:
                var restarted = SlotOf(restart.Node);
                if (restarted.Node is null)
                {
                    restarted.Incarnation++;
                    restarted.NextSequence = 1;
                    Boot(restarted);
                }

                break;
            default:
                Invariant.Fail($"unknown fault action {action.GetType().Name}");
                break;
        }
    }

    /// <summary>Submits one workload message of <paramref name="sizeBytes"/> from <paramref name="node"/> now; its id, or null when refused or not running.</summary>
    public MessageId? Submit(NodeId node, int sizeBytes)
    {
        var slot = SlotOf(node);
        var id = new MessageId(new ProcessId(slot.Id, slot.Incarnation), slot.NextSequence);
        var accepted = SubmitOne(slot, sizeBytes);
        Flush();
        return accepted ? id : null;
    }

    public void Dispose() => Trace.Dispose();

    private Instant NextEventTime()
    {
        var next = _network.NextArrival;
        if (_scheduleIndex < Plan.Schedule.Count && (ScheduleGate?.Invoke() ?? true))
        {
            next = Instant.Min(next, Plan.Schedule[_scheduleIndex].At);
        }

        foreach (var slot in _slots)
        {
            if (slot.Node is not { } node)
            {
                continue;
            }

            if (slot.PausedUntil > Now)
            {
                next = Instant.Min(next, slot.PausedUntil);
                continue;
            }

            next = Instant.Min(next, slot.Inbox.Count > 0 ? Now : node.NextDeadline);
            if (WorkloadEnabled)
            {
                next = Instant.Min(next, slot.NextSubmitAt);
            }
        }

        return Instant.Max(next, Now);
    }

    private void RunInstant()
    {
        while (_scheduleIndex < Plan.Schedule.Count && Plan.Schedule[_scheduleIndex].At <= Now && (ScheduleGate?.Invoke() ?? true))
        {
            ScheduleDelay = Duration.Max(ScheduleDelay, Now - Plan.Schedule[_scheduleIndex].At);
            Apply(Plan.Schedule[_scheduleIndex++]);
            Flush();
        }

        foreach (var slot in _slots)
        {
            if (slot.Node is not null && slot.PausedUntil <= Now && slot.Inbox.Count > 0)
            {
                Trace.Note(Now, $"node {slot.Id} resumes with {slot.Inbox.Count} queued datagrams");
                var inbox = slot.Inbox.ToArray();
                slot.Inbox.Clear();
                foreach (var datagram in inbox)
                {
                    Deliver(slot, datagram);
                }
            }
        }

        while (_network.TryReceive(Now, out var arriving))
        {
            var slot = SlotOf(arriving.Path.To);
            if (slot.Node is null)
            {
                continue;
            }

            if (slot.PausedUntil > Now)
            {
                if (slot.Inbox.Count < PausedInboxMax)
                {
                    slot.Inbox.Add(arriving);
                }

                continue;
            }

            Deliver(slot, arriving);
        }

        foreach (var slot in _slots)
        {
            var ticks = 0;
            while (slot.Node is { } node && slot.PausedUntil <= Now && node.NextDeadline <= Now)
            {
                if (++ticks > TicksPerInstantMax)
                {
                    Checker.Report(Property.Liveness, Now, new ProcessId(slot.Id, slot.Incarnation), $"node keeps its deadline at {node.NextDeadline} after {TicksPerInstantMax} ticks (busy loop)");
                    break;
                }

                Trace.Step(Now, TraceKind.Tick, slot.Id, 0, 0, default, Trace.IsPrinting ? () => $"n{slot.Id} tick" : null);
                node.Tick(Now, _output);
                Drain(slot);
            }
        }

        if (WorkloadEnabled)
        {
            foreach (var slot in _slots)
            {
                if (slot.NextSubmitAt <= Now)
                {
                    slot.NextSubmitAt = Now + NextSubmitGap();
                    if (slot.Node is not null && slot.PausedUntil <= Now)
                    {
                        SubmitOne(slot, NextMessageSize());
                    }
                }
            }
        }

        Flush();
    }

    private void Deliver(Slot slot, ArrivingDatagram arriving)
    {
        var path = arriving.Path;
        Trace.Step(Now, TraceKind.Receive, slot.Id, path.From.Value, path.Link.Value, arriving.Bytes, Trace.IsPrinting ? () => $"n{slot.Id} recv {path} {arriving.Bytes.Length}B" : null);
        slot.Node!.Receive(Now, path.Link, path.From, arriving.Bytes, _output);
        Drain(slot);
    }

    private bool SubmitOne(Slot slot, int sizeBytes)
    {
        if (slot.Node is not { } node || slot.PausedUntil > Now)
        {
            return false;
        }

        var process = new ProcessId(slot.Id, slot.Incarnation);
        var id = new MessageId(process, slot.NextSequence);
        var payload = MessageStamp.Create(id, sizeBytes);
        var accepted = node.TrySubmit(Now, payload, _output);
        Trace.Step(Now, TraceKind.Submit, slot.Id, (long)id.Sequence, accepted ? 1 : 0, default, Trace.IsPrinting ? () => $"n{slot.Id} submit {id} {sizeBytes}B{(accepted ? "" : " refused")}" : null);
        if (accepted)
        {
            slot.NextSequence++;
            _pendingRecords.Add(new MessageSubmitted(Now, process, id));
        }

        Drain(slot);
        return accepted;
    }

    private void Boot(Slot slot)
    {
        var environment = new NodeEnvironment(slot.Id, slot.Incarnation, Plan.Nodes.ToArray(), Plan.LinkCount, slot.Prng.Fork(), slot.Storage, Now);
        slot.Node = _factory(environment);
        slot.PausedUntil = Instant.Zero;
        _pendingRecords.Add(new ProcessStarted(Now, new ProcessId(slot.Id, slot.Incarnation)));
        Trace.Note(Now, $"node {slot.Id} starts (incarnation {slot.Incarnation})");
    }

    /// <summary>Carries out one node call's output: datagrams to the network, events to the checkers.</summary>
    private void Drain(Slot slot)
    {
        var process = new ProcessId(slot.Id, slot.Incarnation);
        if (Trace.IsPrinting)
        {
            foreach (var line in _output.Log)
            {
                Trace.Print(Now, $"n{slot.Id} {line}");
            }
        }

        foreach (var datagram in _output.Datagrams)
        {
            var path = new LinkPath(slot.Id, datagram.To, datagram.Link);
            if (_blocked.Contains((slot.Id, datagram.To)))
            {
                Trace.Step(Now, TraceKind.Drop, slot.Id, datagram.To.Value, datagram.Link.Value, datagram.Bytes, Trace.IsPrinting ? () => $"n{slot.Id} send {path} {datagram.Bytes.Length}B dropped by partition" : null);
                continue;
            }

            Trace.Step(Now, TraceKind.Send, slot.Id, datagram.To.Value, datagram.Link.Value, datagram.Bytes, Trace.IsPrinting ? () => $"n{slot.Id} send {path} {datagram.Bytes.Length}B" : null);
            Adversary.Observe(Now, path, datagram.Bytes);
            _network.Send(Now, path, datagram.Bytes);
        }

        foreach (var nodeEvent in _output.Events)
        {
            switch (nodeEvent)
            {
                case TotemOccurred { Event: Delivered delivered } occurred:
                    Trace.Step(Now, TraceKind.Deliver, slot.Id, delivered.Sender.Value, (long)delivered.RingId.Sequence, delivered.Payload.Span, Trace.IsPrinting ? () => $"n{slot.Id} deliver {Describe(delivered)}" : null);
                    if (MessageStamp.IsStamped(delivered.Payload.Span))
                    {
                        _pendingRecords.Add(new MessageDelivered(Now, process, delivered.Sender, delivered.RingId, delivered.Payload));
                    }

                    Observed?.Invoke(Now, process, occurred.Event);
                    break;
                case TotemOccurred { Event: ConfigurationChanged change } occurred:
                    Trace.Step(Now, TraceKind.Configuration, slot.Id, (long)change.Kind, (long)change.RingId.Sequence, default, () => $"n{slot.Id} {change.Kind} configuration {change.RingId} members [{string.Join(",", change.Members)}] left [{string.Join(",", change.Left)}] joined [{string.Join(",", change.Joined)}]");
                    _pendingRecords.Add(new ConfigurationRecorded(Now, process, change));
                    Observed?.Invoke(Now, process, occurred.Event);
                    break;
                case GroupOccurred { Change: var group }:
                    Trace.Step(Now, TraceKind.Group, slot.Id, 0, 0, System.Text.Encoding.UTF8.GetBytes(group.Canonical), Trace.IsPrinting ? () => $"n{slot.Id} group {group}" : null);
                    _pendingRecords.Add(new GroupChangeRecorded(Now, process, group));
                    break;
                case QuorumOccurred { Notification: var quorum }:
                    Trace.Step(Now, TraceKind.Group, slot.Id, quorum.Quorate ? 1 : 0, (long)quorum.RingId.Sequence, default, Trace.IsPrinting ? () => $"n{slot.Id} quorum {(quorum.Quorate ? "quorate" : "not quorate")} ring {quorum.RingId} members [{string.Join(",", quorum.Members)}]" : null);
                    _pendingRecords.Add(new QuorumRecorded(Now, process, quorum.Quorate, quorum.Members));
                    break;
                default:
                    break;
            }
        }

        _output.Clear();
        if (slot.Node is Nodes.ComposedNode composed)
        {
            CheckPassiveLinkSelection(process, composed);
        }

        Flush();
    }

    /// <summary>
    /// Passive link mode (knet): to every peer, data goes on the highest-priority link that is enabled and connected,
    /// the lowest link number among equals, and on none when no link is. Checked after every step of a node, from the
    /// link layer's raw per-link state, so a selection not brought up to date at once is caught where it happens.
    /// </summary>
    private void CheckPassiveLinkSelection(ProcessId process, Nodes.ComposedNode node)
    {
        var links = node.Stack.Links;
        foreach (var peer in Plan.Nodes)
        {
            if (peer == node.Id)
            {
                continue;
            }

            LinkId? best = null;
            var bestPriority = -1;
            for (var link = 0; link < Plan.LinkCount; link++)
            {
                var id = new LinkId((byte)link);
                if (links.TryGetSelectionInput(peer, id, out var enabled, out var connected, out var priority) && enabled && connected
                    && Math.Max(priority, (byte)1) > bestPriority)
                {
                    (best, bestPriority) = (id, Math.Max(priority, (byte)1));
                }
            }

            var (count, first) = links.ActiveLinkSummary(peer);
            if (best is { } expected ? count != 1 || first != expected : count != 0)
            {
                Checker.Report(Property.LinkSelection, Now, process,
                    $"to node {peer}: {(count == 0 ? "no link" : $"{count} link(s), first {first}")} selected, expected {(best is { } link ? $"link {link} (priority {bestPriority})" : "none")}; priorities [{string.Join(",", Plan.LinkPriorities)}]");
            }
        }
    }

    /// <summary>Feeds the records of the last step to the checkers, and prints any new violation.</summary>
    private void Flush()
    {
        var before = Checker.Violations.Count;
        foreach (var record in _pendingRecords)
        {
            Checker.Observe(record);
        }

        _pendingRecords.Clear();
        for (var i = before; i < Checker.Violations.Count; i++)
        {
            Trace.Note(Now, $"VIOLATION {Checker.Violations[i]}");
        }
    }

    private static string Describe(Delivered delivered) =>
        MessageStamp.TryRead(delivered.Payload.Span, out var id, out _)
            ? $"{id} from {delivered.Sender} ring {delivered.RingId} {delivered.Payload.Length}B"
            : $"{delivered.Payload.Length}B from {delivered.Sender} ring {delivered.RingId}";

    private Duration NextSubmitGap() =>
        new(Math.Max(1, (long)_workloadPrng.NextBelow((ulong)Plan.SubmitInterval.Microseconds * 2 + 1)));

    private int NextMessageSize() => (int)_workloadPrng.NextInRange(Plan.MessageSizeMin, Plan.MessageSizeMax);

    private Slot SlotOf(NodeId id)
    {
        Invariant.Require(id.Value >= 1 && id.Value <= _slots.Length);
        return _slots[id.Value - 1];
    }

    /// <summary>One node position in the cluster, across its incarnations.</summary>
    private sealed class Slot(NodeId id, Prng prng)
    {
        public NodeId Id { get; } = id;

        public Prng Prng { get; } = prng;

        public ISimulatedNode? Node { get; set; }

        public int Incarnation { get; set; }

        public ulong NextSequence { get; set; } = 1;

        public Instant PausedUntil { get; set; } = Instant.Zero;

        public Instant NextSubmitAt { get; set; }

        public List<ArrivingDatagram> Inbox { get; } = [];

        public Dictionary<string, byte[]> Storage { get; } = [];
    }
}
