using Rookery.Simulation.Checking;
using static Rookery.Simulation.Tests.Checking.HistoryBuilder;

namespace Rookery.Simulation.Tests.Checking;

/// <summary>
/// Goal: each checker accepts a correct extended-virtual-synchrony history and catches the one
/// violation planted in an otherwise correct history (a checker that cannot fail proves nothing).
/// Method: histories written by hand with <see cref="HistoryBuilder"/>: three nodes form ring 1.4,
/// node 3 goes away, nodes 1 and 2 move together to ring 1.8.
/// </summary>
public sealed class ClusterCheckerTests
{
    private static readonly uint[] All = [1, 2, 3];
    private static readonly uint[] Pair = [1, 2];
    private static readonly Rookery.Wire.Totem.RingId First = Ring(1, 4);
    private static readonly Rookery.Wire.Totem.RingId Second = Ring(1, 8);

    [Fact]
    public void CorrectHistoryHasNoViolation()
    {
        var history = Formed()
            .Submit(1, 1).Submit(2, 1).Submit(1, 2)
            .DeliverAll(First, All, M(1, 1), M(2, 1), M(1, 2))
            .Submit(3, 1)
            .Deliver(1, M(3, 1), First).Deliver(2, M(3, 1), First)
            .Stop(3);
        MoveOneAndTwoToSecondRing(history);
        history.Submit(2, 2).DeliverAll(Second, Pair, M(2, 2));

        Assert.Empty(ClusterChecker.Check(history.Records));
    }

    [Fact]
    public void SwappedDeliveriesBeforeTheTransitionalBreakAgreedOrder()
    {
        var history = Formed().Submit(1, 1).Submit(2, 1)
            .DeliverAll(First, [1, 3], M(1, 1), M(2, 1))
            .Deliver(2, M(2, 1), First).Deliver(2, M(1, 1), First);

        AssertViolation(history, Property.AgreedOrder);
    }

    [Fact]
    public void SwappedDeliveriesAfterTheTransitionalBreakAgreedOrder()
    {
        // Node 2 delivers both messages only in its transitional configuration (holes may be skipped
        // there), so the prefix rule does not apply: the pairwise order check must catch it.
        var history = Formed().Submit(1, 1).Submit(3, 1)
            .DeliverAll(First, [1, 3], M(1, 1), M(3, 1))
            .Stop(3)
            .Transitional(Second, Pair, [3], 2)
            .Deliver(2, M(3, 1), First).Deliver(2, M(1, 1), First);

        AssertViolation(history, Property.AgreedOrder);
    }

    [Fact]
    public void DeliveringTwiceIsCaught()
    {
        var history = Formed().Submit(1, 1).DeliverAll(First, All, M(1, 1)).Deliver(2, M(1, 1), First);

        AssertViolation(history, Property.NoLossNoDuplicate, "twice");
    }

    [Fact]
    public void InventedMessageIsCaught()
    {
        var history = Formed().Deliver(2, M(1, 7), First);

        AssertViolation(history, Property.NoLossNoDuplicate, "never submitted");
    }

    [Fact]
    public void CorruptedPayloadIsCaught()
    {
        var payload = MessageStamp.Create(M(1, 1), 100);
        payload[77] ^= 0x20;
        var history = Formed().Submit(1, 1).DeliverBytes(2, new NodeId(1), First, payload);

        AssertViolation(history, Property.NoLossNoDuplicate, "byte 77");
    }

    [Fact]
    public void TruncatedPayloadIsCaught()
    {
        var history = Formed().Submit(1, 1).DeliverBytes(2, new NodeId(1), First, MessageStamp.Create(M(1, 1), 100)[..99]);

        AssertViolation(history, Property.NoLossNoDuplicate, "99 bytes");
    }

    [Fact]
    public void HoleInTheRegularConfigurationIsCaught()
    {
        var history = Formed().Submit(1, 1).Submit(1, 2).Submit(1, 3)
            .DeliverAll(First, [1, 2], M(1, 1), M(1, 2), M(1, 3))
            .Deliver(3, M(1, 1), First).Deliver(3, M(1, 3), First);

        AssertViolation(history, Property.NoLossNoDuplicate, "lost");
    }

    [Fact]
    public void SenderOrderAcrossRingsIsChecked()
    {
        var history = Formed().Submit(1, 1).Submit(1, 2).DeliverAll(First, Pair, M(1, 2)).Stop(3);
        MoveOneAndTwoToSecondRing(history);
        history.DeliverAll(Second, Pair, M(1, 1));

        AssertViolation(history, Property.NoLossNoDuplicate, "sender order");
    }

    [Fact]
    public void DeliveryInAnotherRingThanTheCurrentOneIsCaught()
    {
        var history = Formed().Submit(1, 1).Deliver(2, M(1, 1), Ring(2, 12));

        AssertViolation(history, Property.VirtualSynchrony, "while in ring");
    }

    [Fact]
    public void ProcessesMovingTogetherWithDifferentSetsBreakVirtualSynchrony()
    {
        // Node 1 delivers node 3's last message in its transitional configuration, node 2 does not,
        // yet both go from ring 1.4 to ring 1.8 together.
        var history = Formed().Submit(3, 1).Deliver(3, M(3, 1), First).Stop(3)
            .Transitional(Second, Pair, [3], 1, 2)
            .Deliver(1, M(3, 1), First)
            .Regular(Second, Pair, [], 1, 2);

        AssertViolation(history, Property.VirtualSynchrony, "did not");
    }

    [Fact]
    public void ProcessesInDifferentNextRingsMayDeliverDifferentSets()
    {
        // Same start as above but node 2 ends up alone in ring 2.8: no promise binds the two.
        var history = Formed().Submit(3, 1).Deliver(3, M(3, 1), First).Stop(3)
            .Transitional(Second, [1], [2, 3], 1)
            .Transitional(Ring(2, 8), [2], [1, 3], 2)
            .Deliver(1, M(3, 1), First)
            .Regular(Second, [1], [], 1)
            .Regular(Ring(2, 8), [2], [], 2);

        Assert.Empty(ClusterChecker.Check(history.Records));
    }

    [Fact]
    public void OneRingIdWithTwoMemberListsIsCaught()
    {
        var history = new HistoryBuilder().Start(All).Regular(First, All, All, 1, 2).Regular(First, [1, 3], [1, 3], 3);

        AssertViolation(history, Property.MembershipAgreement, "members");
    }

    [Fact]
    public void RegularWithoutTransitionalIsCaught()
    {
        var history = Formed().Regular(Second, Pair, [], 1);

        AssertViolation(history, Property.MembershipAgreement, "without a transitional");
    }

    [Fact]
    public void WrongLeftListIsCaught()
    {
        var history = Formed().Transitional(Second, Pair, [], 1);

        AssertViolation(history, Property.MembershipAgreement, "transitional left");
    }

    [Fact]
    public void RingSequenceGoingBackAcrossARestartIsCaught()
    {
        var history = Formed().Stop(3);
        var restarted = new ProcessId(new NodeId(3), 1);
        var records = history.Records.Concat(
        [
            new ProcessStarted(Instant.FromMilliseconds(1000), restarted),
            new ConfigurationRecorded(Instant.FromMilliseconds(1001), restarted, new Rookery.Totem.ConfigurationChanged(
                Rookery.Totem.ConfigurationKind.Regular, Ring(3, 4), [new NodeId(3)], [], [new NodeId(3)])),
        ]);

        var violations = ClusterChecker.Check(records);

        Assert.Contains(violations, v => v.Property == Property.MembershipAgreement && v.Detail.Contains("must grow", StringComparison.Ordinal));
    }

    [Fact]
    public void DifferentGroupEventsInTheSameRingAreCaught()
    {
        var history = Formed()
            .Group(1, Join("g", 1, 100))
            .Group(2, Join("g", 2, 200));

        AssertViolation(history, Property.GroupAgreement, "group event #0");
    }

    [Fact]
    public void MissingGroupEventForProcessesMovingTogetherIsCaught()
    {
        var history = Formed().Stop(3)
            .Transitional(Second, Pair, [3], 1, 2)
            .Group(1, Join("g", 3, 300))
            .Regular(Second, Pair, [], 1, 2);

        AssertViolation(history, Property.GroupAgreement, "moved together");
    }

    [Fact]
    public void ConvergenceGapsNameTheMissingDelivery()
    {
        var history = Formed().Submit(1, 1).Deliver(1, M(1, 1), First).Deliver(2, M(1, 1), First);
        var checker = new ClusterChecker();
        foreach (var record in history.Records)
        {
            checker.Observe(record);
        }

        var gaps = checker.ConvergenceGaps([P(1), P(2), P(3)]);
        Assert.Contains(gaps, g => g.Contains("1#0:1", StringComparison.Ordinal));

        checker.Observe(new MessageDelivered(Instant.FromMilliseconds(999), P(3), new NodeId(1), First, MessageStamp.Create(M(1, 1), 64)));
        Assert.Empty(checker.ConvergenceGaps([P(1), P(2), P(3)]));
        Assert.NotEmpty(checker.ConvergenceGaps([P(1), P(2)]));
    }

    private static HistoryBuilder Formed() => new HistoryBuilder().Start(All).Regular(First, All, All, All);

    private static void MoveOneAndTwoToSecondRing(HistoryBuilder history) =>
        history.Transitional(Second, Pair, [3], 1, 2).Regular(Second, Pair, [], 1, 2);

    private static GroupChange Join(string group, uint node, uint pid) =>
        new(group, [new GroupMember(new NodeId(node), pid)], [], [(new GroupMember(new NodeId(node), pid), 1)]);

    private static void AssertViolation(HistoryBuilder history, Property property, string? detail = null)
    {
        var violations = ClusterChecker.Check(history.Records);
        Assert.True(
            violations.Any(v => v.Property == property && (detail is null || v.Detail.Contains(detail, StringComparison.Ordinal))),
            $"expected a {property} violation{(detail is null ? "" : $" mentioning '{detail}'")}, got: {string.Join(" | ", violations)}");
    }

    [Fact]
    public void TwoQuoratePartitionsWithNoMemberInCommonBreakQuorumSafety()
    {
        var at = Instant.FromMilliseconds(10);
        HistoryRecord[] history =
        [
            new ProcessStarted(at, P(1)), new ProcessStarted(at, P(2)), new ProcessStarted(at, P(3)), new ProcessStarted(at, P(4)),
            new QuorumRecorded(at, P(1), true, [new NodeId(1), new NodeId(2), new NodeId(3), new NodeId(4)]),
            new QuorumRecorded(at, P(3), true, [new NodeId(3), new NodeId(4)]),
            new QuorumRecorded(at, P(1), true, [new NodeId(1), new NodeId(2)]),
        ];

        // A stale view of the whole ring shares members with every side: only the last report splits the cluster.
        var violation = Assert.Single(ClusterChecker.Check(history));
        Assert.Equal(Property.QuorumSafety, violation.Property);
        Assert.Equal(P(1), violation.Process);

        // With two_node, both halves of a split stay quorate by design (fencing decides); a loss of quorum or a stop clears a view.
        var twoNode = new ClusterChecker { TwoNodeCluster = true };
        foreach (var record in history)
        {
            twoNode.Observe(record);
        }

        Assert.Empty(twoNode.Violations);
        Assert.Empty(ClusterChecker.Check([.. history[..^1], new ProcessStopped(at, P(3)), new ProcessStopped(at, P(4)), history[^1]]));
        Assert.Empty(ClusterChecker.Check([.. history[..^1], new QuorumRecorded(at, P(3), false, [new NodeId(3), new NodeId(4)]), history[^1]]));
    }

    private static ProcessId P(uint node) => new(new NodeId(node), 0);
}
