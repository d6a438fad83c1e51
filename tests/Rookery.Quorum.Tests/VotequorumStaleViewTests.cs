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

    private readonly List<QuorumOutput> _outputs = [];
    private ulong _ringSequence = 4;

    [Fact]
    public void SyncNodeInfoDoesNotCarryTheQuorateFlagOfARingWhoseMembersLeft()
    {
        var core = Quorate(node: 4, members: [2, 3, 4]);

        // Ring [4,5]: 2 and 3 are gone, 5 has not spoken yet. corosync would still announce QUORATE here.
        core.OnConfigurationChanged(Instant.Zero, Regular([4, 5]), _outputs);
        _outputs.Clear();
        core.SyncProcess(_outputs);

        var announced = Announced(4);
        Assert.False(announced.Flags.HasFlag(NodeInfoFlags.Quorate), $"node 4 announced {announced}");
    }

    [Fact]
    public void SyncNodeInfoOfAnUnchangedOrGrowingRingKeepsTheQuorateFlag()
    {
        var core = Quorate(node: 4, members: [2, 3, 4]);

        core.OnConfigurationChanged(Instant.Zero, Regular([2, 3, 4, 5]), _outputs);
        _outputs.Clear();
        core.SyncProcess(_outputs);

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
        core.Tick(windowEnd, ringOperational: false, _outputs);
        Assert.Equal((5u, 3u), (core.ExpectedVotes, core.Status.Quorum));
        Assert.Equal(Instant.Never, core.NextDeadline);

        // The same members form a ring again (nobody left, so corosync's conditions would not arm the window): the
        // window runs again from this ring's sync, and then expected votes follow the members down.
        var settled = windowEnd + Duration.FromMilliseconds(200);
        Sync(core, [1, 2, 3], settled);
        Assert.Equal(settled + Window, core.NextDeadline);
        core.Tick(settled + Window, ringOperational: true, _outputs);
        Assert.Equal((3u, 2u), (core.ExpectedVotes, core.Status.Quorum));
    }

    [Fact]
    public void LastManStandingWindowEndingDuringASyncWaitsForItsActivation()
    {
        var core = Quorate(node: 1, members: [1, 2, 3, 4, 5], lastManStanding: true);
        Sync(core, [1, 2, 3], Instant.Zero);
        var windowEnd = core.NextDeadline;

        core.OnConfigurationChanged(windowEnd, Regular([1, 2, 3]), _outputs);
        core.Tick(windowEnd, ringOperational: true, _outputs);
        Assert.Equal(5u, core.ExpectedVotes);

        Deliver(core, [1, 2, 3], NodeInfoFlags.Quorate);
        core.SyncActivate(windowEnd, _outputs);
        Assert.Equal(windowEnd + Window, core.NextDeadline);
    }

    /// <summary>A core of <paramref name="node"/> (5 nodes, 1 vote each) quorate in a ring of <paramref name="members"/>.</summary>
    private Votequorum Quorate(uint node, uint[] members, bool lastManStanding = false)
    {
        var settings = new QuorumSettings
        {
            LocalNode = new NodeId(node),
            Nodelist = Enumerable.Range(1, 5).Select(i => new NodelistVotes(new NodeId((uint)i), 1)).ToArray(),
            LastManStanding = lastManStanding,
            LastManStandingWindow = Window,
        };
        var configuration = QuorumConfiguration.Resolve(settings, [], out var error);
        Assert.True(configuration is not null, error);
        var core = new Votequorum(configuration);
        core.Start(Instant.Zero, _outputs);
        Sync(core, members, Instant.Zero);
        Assert.True(core.Quorate);
        _outputs.Clear();
        return core;
    }

    /// <summary>A regular configuration of <paramref name="members"/> and its sync, every member announcing itself quorate.</summary>
    private void Sync(Votequorum core, uint[] members, Instant now)
    {
        core.OnConfigurationChanged(now, Regular(members), _outputs);
        core.SyncProcess(_outputs);
        Deliver(core, members, core.Quorate ? NodeInfoFlags.Quorate : NodeInfoFlags.None);
        core.SyncActivate(now, _outputs);
    }

    private void Deliver(Votequorum core, uint[] members, NodeInfoFlags flags)
    {
        foreach (var member in members)
        {
            var message = VotequorumCodec.Encode(new NodeInfoMessage(member, 1, core.ExpectedVotes, flags));
            Assert.Equal(ServiceDecodeStatus.Ok, core.OnDelivered(Instant.Zero, new Delivered(new NodeId(member), default, message), _outputs));
        }
    }

    private ConfigurationChanged Regular(uint[] members) =>
        new(ConfigurationKind.Regular, new RingId(new NodeId(members[0]), _ringSequence += 4), members.Select(m => new NodeId(m)).ToArray(), [], []);

    private NodeInfoMessage Announced(uint node)
    {
        var messages = _outputs.OfType<QuorumSend>()
            .Select(send => VotequorumCodec.TryDecode(send.Message, out var message) == ServiceDecodeStatus.Ok ? message : null)
            .OfType<NodeInfoMessage>()
            .Where(info => info.NodeId == node)
            .ToList();
        return Assert.Single(messages);
    }
}
