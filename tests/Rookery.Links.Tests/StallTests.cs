using Rookery.Links;
using Rookery.Simulation.Network;
using static Rookery.Links.Tests.MeshFixture;

namespace Rookery.Links.Tests;

/// <summary>
/// A node whose loop is not scheduled for a few hundred ms (CPU load, a GC pause) heard nothing only because it
/// did not listen: it must not declare its links down on waking, since a peer it never pinged during the stall
/// could not answer. (Found by the procedure tests: every link of a peer went down at the same instant, and the
/// peers came back 70 ms later, after Totem had already failed them.)
/// </summary>
public sealed class StallTests
{
    [Theory]
    [InlineData(31UL, 250)]
    [InlineData(32UL, 400)]
    [InlineData(33UL, 900)]
    public void A_local_stall_does_not_bring_links_down(ulong seed, int stallMilliseconds)
    {
        var mesh = Mesh(seed, nodes: 3);
        WaitAllConnected(mesh, Duration.FromSeconds(2));
        mesh.RunFor(Duration.FromMilliseconds(500));
        var before = mesh.Events.Count;

        mesh.Stall(Node1, mesh.Clock.Now + Duration.FromMilliseconds(stallMilliseconds));
        mesh.RunFor(Duration.FromMilliseconds(stallMilliseconds + 1000));

        // The peers heard nothing from node 1 for the stall and may declare it down (they cannot tell a stall
        // from a death); node 1 itself sent no ping while stalled and must not blame its peers.
        var downs = mesh.Events.Skip(before).Where(e => e.Node == Node1 && e.Event is LinkDown or PeerUnreachable).ToList();
        Assert.True(downs.Count == 0, $"seed {seed}: a {stallMilliseconds} ms stall of node 1 made it declare its peers' links down:\n{string.Join('\n', downs)}");
        Assert.True(AllConnected(mesh), $"seed {seed}\n{Tail(mesh)}");
    }

    [Theory]
    [InlineData(41UL)]
    [InlineData(42UL)]
    public void A_peer_that_really_stops_answering_after_a_stall_is_still_detected(ulong seed)
    {
        var mesh = Mesh(seed, nodes: 2);
        WaitAllConnected(mesh, Duration.FromSeconds(2));
        mesh.RunFor(Duration.FromMilliseconds(500));

        var wake = mesh.Clock.Now + Duration.FromMilliseconds(400);
        mesh.Stall(Node1, wake);
        mesh.Crash(Node2);
        var detected = mesh.RunUntil(() => !mesh.Node(Node1).IsReachable(Node2), wake + Duration.FromMilliseconds(400));
        Assert.True(detected, $"seed {seed}: node 2 was not found unreachable within 400 ms of the wake-up\n{Tail(mesh)}");
    }
}
