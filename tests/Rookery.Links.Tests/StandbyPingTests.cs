using Rookery.Links;
using static Rookery.Links.Tests.MeshFixture;

namespace Rookery.Links.Tests;

/// <summary>
/// Goal: a standby link (passive mode, connected, not carrying data) is pinged at the slower standby rate and stays
/// connected; when the active link dies it carries the data at once and is not declared down for its sparser pings.
/// </summary>
public sealed class StandbyPingTests
{
    [Theory]
    [InlineData(LinkPolicy.Passive)]
    [InlineData(LinkPolicy.Active)]
    public void OnlyAPassiveStandbyLinkIsPingedAtTheStandbyRate(LinkPolicy policy)
    {
        const ulong Seed = 301;
        var mesh = Mesh(Seed, options: _ => Secure(policy));
        WaitAllConnected(mesh, Duration.FromSeconds(2));
        mesh.RunFor(Duration.FromSeconds(1));
        var before = (Pings(mesh, Link0), Pings(mesh, Link1));
        var downs = mesh.Events.Count(e => e.Event is LinkDown);

        mesh.RunFor(Duration.FromSeconds(10));

        var standby = Pings(mesh, Link0) - before.Item1;
        var active = Pings(mesh, Link1) - before.Item2;
        var timing = LinkTimingOptions.Fast;
        var everyInterval = 10_000 / timing.PingInterval.Milliseconds;
        Assert.True(mesh.Events.Count(e => e.Event is LinkDown) == downs, $"seed {Seed}: a healthy link went down\n{Tail(mesh)}");
        Assert.True(active >= everyInterval && active <= everyInterval * 3 / 2, $"seed {Seed}: {active} pings in 10 s on link 1 (every {timing.PingInterval.Milliseconds} ms at most: {everyInterval} or more)");
        if (policy == LinkPolicy.Passive)
        {
            // Every standby interval at most (it is never late), at most one ping interval early (it rides on a burst of
            // the active link's pings); the interval is link_down_timeout unless set.
            Assert.Equal(timing.DownTimeout, timing.StandbyPingInterval);
            var fewest = 10_000 / timing.StandbyPingInterval.Milliseconds;
            var most = 10_000 / (timing.StandbyPingInterval - timing.PingInterval).Milliseconds + 1;
            Assert.True(standby >= fewest && standby <= most, $"seed {Seed}: {standby} pings in 10 s on standby link 0 (every {timing.StandbyPingInterval.Milliseconds} ms at most, one ping interval early at most: {fewest} to {most})");
        }
        else
        {
            Assert.True(standby >= everyInterval, $"seed {Seed}: {standby} pings in 10 s on link 0, which carries data in active mode");
        }
    }

    [Theory]
    [InlineData(302UL)]
    [InlineData(303UL)]
    [InlineData(304UL)]
    public void WhenTheActiveLinkDiesTheStandbyLinkTakesOverAndStaysUp(ulong seed)
    {
        var mesh = Mesh(seed);
        WaitAllConnected(mesh, Duration.FromSeconds(2));

        // Cut at a random phase of the standby link's ping cycle.
        mesh.RunFor(Duration.FromMilliseconds(1000 + (int)(seed * 37 % (ulong)LinkTimingOptions.Fast.StandbyPingInterval.Milliseconds)));
        var cutAt = mesh.Clock.Now;
        var events = mesh.Events.Count;
        mesh.Network.CutBoth(Node1, Node2, Link1);
        var switched = mesh.RunUntil(() => mesh.Node(Node1).ActiveLinks(Node2).SequenceEqual([Link0]), cutAt + Duration.FromMilliseconds(300));
        Assert.True(switched, $"seed {seed}: link 0 did not take over within 300 ms\n{Tail(mesh)}");
        Assert.True(mesh.Clock.Now - cutAt <= Duration.FromMilliseconds(155), $"seed {seed}: took {(mesh.Clock.Now - cutAt).Milliseconds} ms");

        mesh.RunFor(Duration.FromSeconds(2));
        var link0Downs = mesh.Events.Skip(events).Count(e => e.Event is LinkDown down && down.Link == Link0);
        Assert.True(link0Downs == 0, $"seed {seed}: the promoted standby link went down\n{Tail(mesh)}");
        Assert.True(mesh.Node(Node1).IsReachable(Node2) && mesh.Node(Node2).IsReachable(Node1), $"seed {seed}: a peer became unreachable");
    }

    private static long Pings(Rookery.Simulation.Network.LinkMesh mesh, LinkId link) =>
        mesh.Node(Node1).GetLinkStatus(Node2, link).Stats.TxPingPackets;
}
