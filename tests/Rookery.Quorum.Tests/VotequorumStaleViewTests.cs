using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Quorum.Tests;

/// <summary>
/// Goal: a node never acts on a membership it no longer has. Swarm seed 3589929083077345175 (5 nodes,
/// wait_for_all + last_man_standing + auto_tie_breaker) ended with two quorate partitions: node 4, quorate in ring
/// [2,3,4], lost its ring and sat in GATHER for 6 s; its last_man_standing window ended there and lowered expected
/// votes to the 3 members of the ring that 2 and 3 had already left (they were quorate as [2,3]); it then formed
/// [4,5] and announced, in its sync NODEINFO, the quorate flag of the old ring with expected votes 3; node 5 adopted
/// them, dropped its wait_for_all and was quorate with 2 votes of 3 beside [2,3].
/// Method: one votequorum core driven by hand (configuration changes, NODEINFOs as the other members would send
/// them, sync turns, timer ticks), checking what it announces and how it counts.
/// </summary>
public sealed class VotequorumStaleViewTests
{
    private static readonly Duration Window = Duration.FromMilliseconds(1000);

    private readonly QuorumOutput _output = new();
    private ulong _ringSequence = 4;

    [Fact]
    public void SyncNodeInfoDoesNotCarryTheQuorateFlagOfARingWhoseMembersLeft()
    {
        var core = Quorate(node: 4, members: [2, 3, 4]);

        // Ring [4,5]: 2 and 3 are gone, 5 has not spoken yet. corosync would still announce QUORATE here.
        core.OnConfigurationChanged(Instant.Zero, Regular([4, 5]), _output);
        _output.Clear();
        core.SyncProcess(_output);

        var announced = Announced(4);
        Assert.False(announced.Flags.HasFlag(NodeInfoFlags.Quorate), $"node 4 announced {announced}");
    }

    [Fact]
    public void SyncNodeInfoOfAnUnchangedOrGrowingRingKeepsTheQuorateFlag()
    {
        var core = Quorate(node: 4, members: [2, 3, 4]);

        core.OnConfigurationChanged(Instant.Zero, Regular([2, 3, 4, 5]), _output);
        _output.Clear();
        core.SyncProcess(_output);

        Assert.True(Announced(4).Flags.HasFlag(NodeInfoFlags.Quorate));
    }

    [Fact]
    public void LastManStandingWindowEndingOutsideAnOperationalRingLowersNothingUntilTheNextSettledRing()
    {
        // Quorate in [1..5], then [1,2,3]: the window is armed (members ≥ quorum, nodes left).
        var core = Quorate(node: 1, members: [1, 2, 3, 4, 5], lastManStanding: true);
        Sync(core, [1, 2, 3], Instant.Zero);
        Assert.Equal(5u, core.ExpectedVotes);
        var windowEnd = core.NextDeadline;
        Assert.Equal(Instant.Zero + Window, windowEnd);

        // The window ends while Totem is in GATHER: the members of [1,2,3] are not known any more.
        core.Tick(windowEnd, ringOperational: false, _output);
        Assert.Equal((5u, 3u), (core.ExpectedVotes, core.Status.Quorum));
        Assert.Equal(Instant.Never, core.NextDeadline);

        // The same members form a ring again (nobody left, so corosync's conditions would not arm the window): the
        // window runs again from this ring's sync, and then expected votes follow the members down.
        var settled = windowEnd + Duration.FromMilliseconds(200);
        Sync(core, [1, 2, 3], settled);
        Assert.Equal(settled + Window, core.NextDeadline);
        core.Tick(settled + Window, ringOperational: true, _output);
        Assert.Equal((3u, 2u), (core.ExpectedVotes, core.Status.Quorum));
    }

    [Fact]
    public void TieBreakerDoesNotTakeAHalfSplitWhoseOtherSideIsQuorateUnderItsOwnExpectedVotes()
    {
        // Six nodes, auto_tie_breaker lowest. Node 1 rejoins ring [1..5] inquorate (expected 6); the quorate members
        // announce expected 5 (last_man_standing lowered it there), node 3 still 6 (its window had not ended): node 1
        // takes expected 5, but its quorum follows node 3's 6 up to 4 and never comes down on its own.
        var core = new Votequorum(Configure(node: 1, size: 6, s => s with { AutoTieBreaker = true }));
        core.Start(Instant.Zero, _output);
        Sync(core, [(2, 5, NodeInfoFlags.Quorate), (3, 6, NodeInfoFlags.Quorate), (4, 5, NodeInfoFlags.Quorate), (5, 5, NodeInfoFlags.Quorate), (1, 6, NodeInfoFlags.None)]);
        Assert.Equal((true, 5u, 4u), (core.Quorate, core.ExpectedVotes, core.Status.Quorum));

        // [1,3] | [2,4,5]: 2 votes are half (rounded down) of 5, but [2,4,5] has 3 of 5, a majority for members that
        // count with expected 5. corosync checks the 3 nodes that left against its quorum 4 and lets node 1 take the tie.
        Sync(core, [(1, 5, NodeInfoFlags.None), (3, 6, NodeInfoFlags.None)]);

        Assert.False(core.Quorate, string.Join("\n", _output.Logs.Select(l => l.Text)));
    }

    [Fact]
    public void WaitForAllWaitsForTheVotesEveryMemberExpectsNotOnlyItsOwnLoweredCount()
    {
        // Six nodes, wait_for_all. Node 4 is quorate in [2,4,6] with expected votes 3 (last_man_standing lowered them).
        var core = new Votequorum(Configure(node: 4, size: 6, s => s with { WaitForAll = true }));
        core.Start(Instant.Zero, _output);
        Sync(core, [(2, 3, NodeInfoFlags.Quorate), (6, 3, NodeInfoFlags.Quorate), (4, 6, NodeInfoFlags.None)]);
        Assert.Equal((true, 3u), (core.Quorate, core.ExpectedVotes));

        // Cut off alone (while [2,6] stays quorate with 2 of 3), it waits for all again; then 3 and 5 come, inquorate,
        // expecting 5. corosync counts 3 votes of its own 3 expected and is quorate beside [2,6].
        Sync(core, [4], Instant.Zero);
        Assert.False(core.Quorate);
        Sync(core, [(3, 5, NodeInfoFlags.WaitForAllStatus), (4, 3, NodeInfoFlags.WaitForAllStatus), (5, 5, NodeInfoFlags.WaitForAllStatus)]);

        Assert.False(core.Quorate, string.Join("\n", _output.Logs.Select(l => l.Text)));
        Assert.Contains(_output.Logs, l => l.Text == "Waiting for all cluster members. Current votes: 3 expected_votes: 5");
    }

    /// <summary>A core of <paramref name="node"/> (5 nodes, 1 vote each) quorate in a ring of <paramref name="members"/>.</summary>
    private Votequorum Quorate(uint node, uint[] members, bool lastManStanding = false)
    {
        var core = new Votequorum(Configure(node, size: 5, s => s with { LastManStanding = lastManStanding, LastManStandingWindow = Window }));
        core.Start(Instant.Zero, _output);
        Sync(core, members, Instant.Zero);
        Assert.True(core.Quorate);
        _output.Clear();
        return core;
    }

    private static QuorumConfiguration Configure(uint node, int size, Func<QuorumSettings, QuorumSettings> tweak)
    {
        var settings = tweak(new QuorumSettings
        {
            LocalNode = new NodeId(node),
            Nodelist = Enumerable.Range(1, size).Select(i => new NodelistVotes(new NodeId((uint)i), 1)).ToArray(),
        });
        var configuration = QuorumConfiguration.Resolve(settings, [], out var error);
        Assert.True(configuration is not null, error);
        return configuration;
    }

    /// <summary>A regular configuration of <paramref name="members"/> and its sync, every member announcing itself quorate.</summary>
    private void Sync(Votequorum core, uint[] members, Instant now)
    {
        core.OnConfigurationChanged(now, Regular(members), _output);
        core.SyncProcess(_output);
        Deliver(core, members, core.Quorate ? NodeInfoFlags.Quorate : NodeInfoFlags.None);
        core.SyncActivate(now, _output);
    }

    /// <summary>A regular configuration of the announcing members (sorted) and its sync, with each NODEINFO as given, in the order given.</summary>
    private void Sync(Votequorum core, (uint Member, uint ExpectedVotes, NodeInfoFlags Flags)[] announcements)
    {
        core.OnConfigurationChanged(Instant.Zero, Regular([.. announcements.Select(a => a.Member).Order()]), _output);
        core.SyncProcess(_output);
        foreach (var (member, expectedVotes, flags) in announcements)
        {
            Deliver(core, member, expectedVotes, flags);
        }

        core.SyncActivate(Instant.Zero, _output);
    }

    private void Deliver(Votequorum core, uint[] members, NodeInfoFlags flags)
    {
        foreach (var member in members)
        {
            Deliver(core, member, core.ExpectedVotes, flags);
        }
    }

    private void Deliver(Votequorum core, uint member, uint expectedVotes, NodeInfoFlags flags)
    {
        var message = VotequorumCodec.Encode(new NodeInfoMessage(member, 1, expectedVotes, flags));
        Assert.Equal(ServiceDecodeStatus.Ok, core.OnDelivered(Instant.Zero, new Delivered(new NodeId(member), default, message), _output));
    }

    private ConfigurationChanged Regular(uint[] members) =>
        new(ConfigurationKind.Regular, new RingId(new NodeId(members[0]), _ringSequence += 4), members.Select(m => new NodeId(m)).ToArray(), [], []);

    private NodeInfoMessage Announced(uint node)
    {
        var messages = _output.Datagrams
            .Select(bytes => VotequorumCodec.TryDecode(bytes, out var message) == ServiceDecodeStatus.Ok ? message : null)
            .OfType<NodeInfoMessage>()
            .Where(info => info.NodeId == node)
            .ToList();
        return Assert.Single(messages);
    }
}
