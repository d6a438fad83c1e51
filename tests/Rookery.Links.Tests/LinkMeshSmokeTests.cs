using Rookery.Links;
using Rookery.Simulation.Network;
using static Rookery.Links.Tests.MeshFixture;

namespace Rookery.Links.Tests;

public sealed class LinkMeshSmokeTests
{
    [Fact]
    public void Two_nodes_bring_up_both_links_and_choose_the_higher_priority()
    {
        var mesh = Mesh(seed: 1);
        WaitAllConnected(mesh, Duration.FromSeconds(2));
        mesh.RunFor(Duration.FromSeconds(5));

        Assert.True(mesh.Node(Node1).ActiveLinks(Node2).SequenceEqual([Link1]), $"seed {mesh.Seed}\n{Tail(mesh)}");
        var payload = new byte[3000];
        Assert.Equal(SendStatus.Sent, mesh.Broadcast(Node1, 0, payload));
        mesh.RunFor(Duration.FromMilliseconds(10));
        Assert.Contains(mesh.Events, e => e.Node == Node2 && e.Event is Delivered d && d.Payload.Length == 3000);
        File.WriteAllText("/tmp/links-mesh.txt", string.Join("\n", mesh.Events.Take(60)));
        File.AppendAllText("/tmp/links-mesh.txt", $"\nmtu {mesh.Node(Node1).DataMtu} sent {mesh.Network.Counters.Sent} {mesh.Node(Node1).GetLinkStatus(Node2, Link1).Mtu}");
    }
}
