using System.Globalization;
using System.Text;

namespace Rookery.Simulation.Scenarios;

/// <summary>Network conditions applied to every (source, destination, link) path unless a fault overrides them.</summary>
public sealed record PathConditions
{
    public Ratio Loss { get; init; } = Ratio.Zero;

    public Ratio Duplicate { get; init; } = Ratio.Zero;

    public Ratio Corrupt { get; init; } = Ratio.Zero;

    public Duration DelayMin { get; init; } = Duration.FromMilliseconds(0);

    /// <summary>Extra delay, uniform in [0, DelayJitter]; different delays reorder datagrams.</summary>
    public Duration DelayJitter { get; init; } = Duration.Zero;

    /// <summary>A quiet LAN: 100 µs one way, no loss, no reordering.</summary>
    public static PathConditions Clean { get; } = new() { DelayMin = new Duration(100) };

    public override string ToString() =>
        $"loss {Permille(Loss)}‰ dup {Permille(Duplicate)}‰ corrupt {Permille(Corrupt)}‰ delay {DelayMin}+{DelayJitter}";

    private static ulong Permille(Ratio ratio) => ratio.Numerator * 1000 / ratio.Denominator;
}

/// <summary>
/// The votequorum options of a run's <c>quorum</c> section (votequorum(5)); every node of the run has the same.
/// </summary>
public sealed record QuorumChoice
{
    /// <summary>Plain votequorum: one vote per node, quorum = half the votes plus one.</summary>
    public static QuorumChoice Plain { get; } = new();

    public bool TwoNode { get; init; }

    /// <summary>Null: corosync's default (on with two_node, off otherwise).</summary>
    public bool? WaitForAll { get; init; }

    public bool LastManStanding { get; init; }

    public Duration LastManStandingWindow { get; init; } = Duration.FromSeconds(10);

    public bool AutoTieBreaker { get; init; }

    /// <summary><c>lowest</c>, <c>highest</c> or a list of node ids; null with auto_tie_breaker off.</summary>
    public string? AutoTieBreakerNode { get; init; }

    /// <summary>
    /// The swarm's draw: each option on by chance, with corosync's own constraints (two_node only with two nodes;
    /// auto_tie_breaker with last_man_standing in an odd cluster needs wait_for_all, or corosync refuses to start).
    /// </summary>
    public static QuorumChoice Draw(Prng prng, int nodeCount)
    {
        var twoNode = nodeCount == 2 && prng.Chance(new Ratio(1, 2));
        bool? waitForAll = prng.NextBelow(3) switch { 0 => null, 1 => true, _ => false };
        var lastManStanding = prng.Chance(new Ratio(1, 3));
        var window = Duration.FromMilliseconds(prng.NextInRange(1_000, 5_000));
        var autoTieBreaker = prng.Chance(new Ratio(1, 3));
        var tieBreakerNode = prng.NextBelow(3) switch
        {
            0 => "lowest",
            1 => "highest",
            _ => string.Join(' ', Enumerable.Range(1, nodeCount).OrderBy(_ => prng.NextUInt64()).Take((int)prng.NextInRange(1, nodeCount))),
        };
        if (autoTieBreaker && lastManStanding && nodeCount % 2 == 1 && waitForAll != true)
        {
            waitForAll = true;
        }

        return new QuorumChoice
        {
            TwoNode = twoNode,
            WaitForAll = waitForAll,
            LastManStanding = lastManStanding,
            LastManStandingWindow = window,
            AutoTieBreaker = autoTieBreaker,
            AutoTieBreakerNode = autoTieBreaker ? tieBreakerNode : null,
        };
    }

    /// <summary>The <c>quorum { }</c> section.</summary>
    public string ConfigSection()
    {
        var text = new StringBuilder("quorum {\n provider: corosync_votequorum\n");
        if (TwoNode)
        {
            text.Append(" two_node: 1\n");
        }

        if (WaitForAll is { } waitForAll)
        {
            text.Append(CultureInfo.InvariantCulture, $" wait_for_all: {(waitForAll ? 1 : 0)}\n");
        }

        if (LastManStanding)
        {
            text.Append(CultureInfo.InvariantCulture, $" last_man_standing: 1\n last_man_standing_window: {LastManStandingWindow.Milliseconds}\n");
        }

        if (AutoTieBreaker)
        {
            text.Append(CultureInfo.InvariantCulture, $" auto_tie_breaker: 1\n auto_tie_breaker_node: {AutoTieBreakerNode}\n");
        }

        return text.Append("}\n").ToString();
    }

    public override string ToString()
    {
        var options = new List<string>();
        if (TwoNode)
        {
            options.Add("two_node");
        }

        if (WaitForAll is { } waitForAll)
        {
            options.Add($"wait_for_all={(waitForAll ? 1 : 0)}");
        }

        if (LastManStanding)
        {
            options.Add($"last_man_standing({LastManStandingWindow})");
        }

        if (AutoTieBreaker)
        {
            options.Add($"auto_tie_breaker({AutoTieBreakerNode})");
        }

        return options.Count == 0 ? "plain" : string.Join(' ', options);
    }
}

/// <summary>What can go wrong, one flag per kind, so a seed picks a mix (swarm testing).</summary>
[Flags]
public enum FaultKinds
{
    None = 0,
    Loss = 1 << 0,
    Delay = 1 << 1,
    Duplicate = 1 << 2,
    Corrupt = 1 << 3,
    LinkCut = 1 << 4,
    Partition = 1 << 5,
    AsymmetricPartition = 1 << 6,
    Pause = 1 << 7,
    CrashRestart = 1 << 8,
    All = (1 << 9) - 1,
}

/// <summary>One scheduled change to the world. Every fault has a matching repair scheduled after it.</summary>
public abstract record FaultAction(Instant At)
{
    public abstract string Describe();

    public override string ToString() => $"{At} {Describe()}";
}

/// <summary>Cut (or heal) one direction of one link: datagrams from <c>From</c> to <c>To</c> on <c>Link</c> are dropped.</summary>
public sealed record SetLinkCut(Instant At, NodeId From, NodeId To, LinkId Link, bool Cut) : FaultAction(At)
{
    public override string Describe() => $"{(Cut ? "cut" : "heal")} link {Link} {From}->{To}";
}

/// <summary>
/// Splits the nodes into sides; nothing crosses between sides on any link. One-way (asymmetric):
/// only datagrams from <c>Sides[0]</c> to the other sides are dropped; the other sides still reach side 0.
/// </summary>
public sealed record SetPartition(Instant At, IReadOnlyList<IReadOnlyList<NodeId>> Sides, bool OneWay) : FaultAction(At)
{
    public override string Describe() =>
        $"partition {(OneWay ? "one-way " : "")}{string.Join(" | ", Sides.Select(s => string.Join(",", s)))}";
}

/// <summary>Removes every partition.</summary>
public sealed record HealPartition(Instant At) : FaultAction(At)
{
    public override string Describe() => "heal partition";
}

/// <summary>The node stops running (no ticks, datagrams wait in its socket buffer) until <c>Until</c>.</summary>
public sealed record PauseNode(Instant At, NodeId Node, Instant Until) : FaultAction(At)
{
    public override string Describe() => $"pause node {Node} until {Until}";
}

/// <summary>The node's process dies; its state is gone except what the shell persists (the ring id).</summary>
public sealed record CrashNode(Instant At, NodeId Node) : FaultAction(At)
{
    public override string Describe() => $"crash node {Node}";
}

/// <summary>A crashed node starts a new process.</summary>
public sealed record RestartNode(Instant At, NodeId Node) : FaultAction(At)
{
    public override string Describe() => $"restart node {Node}";
}

/// <summary>
/// Everything a seed decides about one run: cluster size, links, network conditions, the fault
/// schedule of the safety phase, the workload and the phase lengths. <see cref="FromSeed"/> is a
/// pure function of the seed, so printing the seed is enough to reproduce the run.
/// </summary>
public sealed record FaultPlan
{
    public const int NodeCountMin = 2;
    public const int NodeCountMax = 7;
    public const int LinkCountMax = 3;

    public required ulong Seed { get; init; }

    public required int NodeCount { get; init; }

    public required int LinkCount { get; init; }

    /// <summary>The <c>knet_link_priority</c> of each link (same on every node); ties are allowed.</summary>
    public required IReadOnlyList<byte> LinkPriorities { get; init; }

    /// <summary>The votequorum options of every node.</summary>
    public required QuorumChoice Quorum { get; init; }

    public required FaultKinds Kinds { get; init; }

    public required PathConditions Conditions { get; init; }

    public required IReadOnlyList<FaultAction> Schedule { get; init; }

    /// <summary>Mean time between two submissions of one node.</summary>
    public required Duration SubmitInterval { get; init; }

    public required int MessageSizeMin { get; init; }

    public required int MessageSizeMax { get; init; }

    /// <summary>Faults and workload run for this long (from the start), checkers after every step.</summary>
    public required Duration SafetyDuration { get; init; }

    /// <summary>After healing, the cluster must converge within this virtual time.</summary>
    public required Duration LivenessBound { get; init; }

    public IEnumerable<NodeId> Nodes => Enumerable.Range(1, NodeCount).Select(n => new NodeId((uint)n));

    /// <summary>The swarm mix for one seed: a random subset of fault kinds, each with random strength.</summary>
    public static FaultPlan FromSeed(ulong seed, FaultKinds allowed = FaultKinds.All)
    {
        var prng = new Prng(seed);
        var nodeCount = (int)prng.NextInRange(NodeCountMin, NodeCountMax);
        var linkCount = (int)prng.NextInRange(1, LinkCountMax);
        var kinds = FaultKinds.None;
        for (var bit = 0; bit < 9; bit++)
        {
            if (prng.Chance(new Ratio(1, 2)))
            {
                kinds |= (FaultKinds)(1 << bit);
            }
        }

        kinds &= allowed;
        var conditions = new PathConditions
        {
            Loss = kinds.HasFlag(FaultKinds.Loss) ? Ratio.PerMille(prng.NextBelow(101)) : Ratio.Zero,
            Duplicate = kinds.HasFlag(FaultKinds.Duplicate) ? Ratio.PerMille(prng.NextBelow(51)) : Ratio.Zero,
            Corrupt = kinds.HasFlag(FaultKinds.Corrupt) ? Ratio.PerMille(prng.NextBelow(21)) : Ratio.Zero,
            DelayMin = new Duration(kinds.HasFlag(FaultKinds.Delay) ? prng.NextInRange(50, 5_000) : 100),
            DelayJitter = new Duration(kinds.HasFlag(FaultKinds.Delay) ? prng.NextInRange(0, 20_000) : 100),
        };
        var safety = Duration.FromSeconds(prng.NextInRange(8, 20));
        var schedule = DrawSchedule(prng, kinds, nodeCount, linkCount, safety);

        // A stream of its own, so adding these draws left the faults of every earlier seed as they were.
        var options = new Prng(seed ^ OptionsStream);
        return new FaultPlan
        {
            Seed = seed,
            NodeCount = nodeCount,
            LinkCount = linkCount,
            LinkPriorities = Enumerable.Range(0, linkCount).Select(_ => (byte)options.NextInRange(1, 3)).ToArray(),
            Quorum = QuorumChoice.Draw(options, nodeCount),
            Kinds = kinds,
            Conditions = conditions,
            Schedule = schedule,
            SubmitInterval = Duration.FromMilliseconds(prng.NextInRange(5, 200)),
            MessageSizeMin = MessageSizeMinDefault,
            MessageSizeMax = prng.Chance(new Ratio(1, 8)) ? 16 * 1024 : 1200,
            SafetyDuration = safety,
            LivenessBound = Duration.FromSeconds(60),
        };
    }

    /// <summary>
    /// The promise of the seed document: only link cuts (of the active link of one node, one way or
    /// both ways), at least two links, no other fault. Membership and ring id must never change.
    /// </summary>
    public static FaultPlan LinkCut(ulong seed)
    {
        var prng = new Prng(seed);
        var nodeCount = (int)prng.NextInRange(NodeCountMin, NodeCountMax);
        var linkCount = (int)prng.NextInRange(2, LinkCountMax);
        var victim = new NodeId((uint)prng.NextInRange(1, nodeCount));
        var cutAt = Instant.FromMilliseconds(prng.NextInRange(LinkCutFormationTime.Milliseconds, LinkCutFormationTime.Milliseconds + 500));
        var mode = prng.NextBelow(3); // 0 both ways, 1 outbound only, 2 inbound only
        var schedule = new List<FaultAction>();
        var active = new LinkId(0); // Link 0 gets the highest priority in the link-cut scenario.
        foreach (var peer in Enumerable.Range(1, nodeCount).Select(n => new NodeId((uint)n)).Where(n => n != victim))
        {
            if (mode != 2)
            {
                schedule.Add(new SetLinkCut(cutAt, victim, peer, active, Cut: true));
            }

            if (mode != 1)
            {
                schedule.Add(new SetLinkCut(cutAt, peer, victim, active, Cut: true));
            }
        }

        return new FaultPlan
        {
            Seed = seed,
            NodeCount = nodeCount,
            LinkCount = linkCount,
            LinkPriorities = Enumerable.Range(0, linkCount).Select(link => (byte)(LinkCutTopPriority - link)).ToArray(),
            Quorum = QuorumChoice.Plain,
            Kinds = FaultKinds.LinkCut,
            Conditions = LinkCutConditions,
            Schedule = schedule,
            SubmitInterval = Duration.FromMilliseconds(prng.NextInRange(5, 50)),
            MessageSizeMin = MessageSizeMinDefault,
            MessageSizeMax = 1200,
            SafetyDuration = cutAt - Instant.Zero + LinkCutObservation,
            LivenessBound = Duration.FromSeconds(10),
        };
    }

    /// <summary>
    /// The network of the link-cut scenario: a LAN with some jitter (so datagrams also reorder), and
    /// a latency that keeps the token's rotation rate, and so the simulation's cost, moderate.
    /// </summary>
    public static PathConditions LinkCutConditions { get; } = new() { DelayMin = new Duration(400), DelayJitter = new Duration(200) };

    /// <summary>Virtual time the link-cut scenario gives the cluster to form before the first cut (it forms in well under 100 ms).</summary>
    public static Duration LinkCutFormationTime => Duration.FromMilliseconds(500);

    /// <summary>
    /// How long the link-cut scenario watches after the cut. A failover that works at the link level
    /// but leaves Totem stalled shows as a delivery gap (<see cref="LinkCutScenario.DeliveryGapMax"/>)
    /// long before Totem's token timeout would change the membership.
    /// </summary>
    public static Duration LinkCutObservation => Duration.FromMilliseconds(1500);

    /// <summary>Priority of link 0 in the link-cut scenario; link n gets this minus n, so link 0 carries the data while it lives.</summary>
    public const byte LinkCutTopPriority = 20;

    private const int MessageSizeMinDefault = 24;

    /// <summary>Mixed into the seed for the draws added after the first sweeps (link priorities, quorum options).</summary>
    private const ulong OptionsStream = 0x9E37_79B9_7F4A_7C15UL;

    private static List<FaultAction> DrawSchedule(Prng prng, FaultKinds kinds, int nodeCount, int linkCount, Duration safety)
    {
        var schedule = new List<FaultAction>();
        var disruptive = new[] { FaultKinds.LinkCut, FaultKinds.Partition, FaultKinds.AsymmetricPartition, FaultKinds.Pause, FaultKinds.CrashRestart }
            .Where(k => kinds.HasFlag(k)).ToArray();
        if (disruptive.Length == 0)
        {
            return schedule;
        }

        var end = Instant.Zero + safety;
        var at = Instant.FromMilliseconds(prng.NextInRange(500, 3_000));
        var crashed = new HashSet<NodeId>();
        var partitionUntil = Instant.Zero;
        while (at < end)
        {
            var kind = disruptive[prng.NextBelow((ulong)disruptive.Length)];
            var length = Duration.FromMilliseconds(prng.NextInRange(200, 6_000));
            var repairAt = Instant.Min(at + length, end);
            var node = new NodeId((uint)prng.NextInRange(1, nodeCount));
            switch (kind)
            {
                case FaultKinds.LinkCut:
                    var link = new LinkId((byte)prng.NextBelow((ulong)linkCount));
                    var peer = new NodeId((uint)prng.NextInRange(1, nodeCount));
                    if (peer != node)
                    {
                        var bothWays = prng.Chance(new Ratio(1, 2));
                        schedule.Add(new SetLinkCut(at, node, peer, link, true));
                        schedule.Add(new SetLinkCut(repairAt, node, peer, link, false));
                        if (bothWays)
                        {
                            schedule.Add(new SetLinkCut(at, peer, node, link, true));
                            schedule.Add(new SetLinkCut(repairAt, peer, node, link, false));
                        }
                    }

                    break;
                case FaultKinds.Partition or FaultKinds.AsymmetricPartition when at >= partitionUntil:
                    var sides = SplitNodes(prng, nodeCount);
                    schedule.Add(new SetPartition(at, sides, OneWay: kind == FaultKinds.AsymmetricPartition));
                    schedule.Add(new HealPartition(repairAt));
                    partitionUntil = repairAt;
                    break;
                case FaultKinds.Pause:
                    var pause = Duration.FromMilliseconds(prng.NextInRange(100, 5_000));
                    schedule.Add(new PauseNode(at, node, Instant.Min(at + pause, end)));
                    break;
                case FaultKinds.CrashRestart when !crashed.Contains(node):
                    schedule.Add(new CrashNode(at, node));
                    schedule.Add(new RestartNode(repairAt, node));
                    crashed.Add(node);
                    break;
                default:
                    break;
            }

            crashed.RemoveWhere(n => schedule.OfType<RestartNode>().Any(r => r.Node == n && r.At <= at));
            at += Duration.FromMilliseconds(prng.NextInRange(300, 4_000));
        }

        // Stable order: by time, then by the order of creation (a repair never precedes its fault).
        return schedule.Select((action, index) => (action, index)).OrderBy(p => p.action.At).ThenBy(p => p.index).Select(p => p.action).ToList();
    }

    private static List<IReadOnlyList<NodeId>> SplitNodes(Prng prng, int nodeCount)
    {
        var sideCount = (int)prng.NextInRange(2, Math.Min(3, nodeCount));
        var sides = Enumerable.Range(0, sideCount).Select(_ => new List<NodeId>()).ToList();
        for (var n = 1; n <= nodeCount; n++)
        {
            // The first nodes fill each side once, so no side is empty.
            var side = n <= sideCount ? n - 1 : (int)prng.NextBelow((ulong)sideCount);
            sides[side].Add(new NodeId((uint)n));
        }

        return sides.Select(s => (IReadOnlyList<NodeId>)s).ToList();
    }

    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"seed={Seed} nodes={NodeCount} links={LinkCount} priorities=[{string.Join(",", LinkPriorities)}] quorum=[{Quorum}] faults=[{Kinds}] network=[{Conditions}] ");
        text.Append(CultureInfo.InvariantCulture, $"submit every ~{SubmitInterval} of {MessageSizeMin}..{MessageSizeMax} B, safety {SafetyDuration}, liveness bound {LivenessBound}");
        return text.ToString();
    }
}
