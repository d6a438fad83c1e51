using Rookery.Links;
using Rookery.Simulation.Network;
using Rookery.Wire.Knet;

namespace Rookery.Links.Tests;

/// <summary>Builders and assertions shared by the simulation scenarios; every failure message carries the seed.</summary>
internal static class MeshFixture
{
    public static readonly NodeId Node1 = new(1);
    public static readonly NodeId Node2 = new(2);
    public static readonly NodeId Node3 = new(3);
    public static readonly LinkId Link0 = new(0);
    public static readonly LinkId Link1 = new(1);
    public static readonly LinkId Link2 = new(2);

    public static byte[] AuthKey { get; } = MakeKey(0x5A);

    public static byte[] MakeKey(byte salt)
    {
        var key = new byte[256];
        for (var index = 0; index < key.Length; index++)
        {
            key[index] = unchecked((byte)(index * 7 + salt));
        }

        return key;
    }

    /// <summary>Two links, link 1 preferred (priority 20 over 15), like the captured cluster.</summary>
    public static (LinkId, LinkOptions)[] TwoLinks(LinkTimingOptions? timing = null) =>
    [
        (Link0, new LinkOptions { Priority = 15, Timing = timing ?? LinkTimingOptions.Fast }),
        (Link1, new LinkOptions { Priority = 20, Timing = timing ?? LinkTimingOptions.Fast }),
    ];

    public static LinkLayerOptions Secure(LinkPolicy policy = LinkPolicy.Passive, byte[]? key = null) => new()
    {
        Policy = policy,
        Crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, key ?? AuthKey),
    };

    public static LinkMesh Mesh(ulong seed, int nodes = 2, (LinkId, LinkOptions)[]? links = null,
        Func<NodeId, LinkLayerOptions>? options = null, PathFaults? faults = null)
    {
        var ids = Enumerable.Range(1, nodes).Select(id => new NodeId((uint)id)).ToArray();
        return new LinkMesh(seed, ids, links ?? TwoLinks(), options ?? (_ => Secure()), faults);
    }

    /// <summary>Runs until every node reaches every other node on all configured links, or fails with the seed.</summary>
    public static void WaitAllConnected(LinkMesh mesh, Duration within)
    {
        var ok = mesh.RunUntil(() => AllConnected(mesh), mesh.Clock.Now + within);
        Assert.True(ok, $"seed {mesh.Seed}: links did not all come up within {within}\n{Tail(mesh)}");
    }

    public static bool AllConnected(LinkMesh mesh)
    {
        foreach (var node in mesh.Nodes)
        {
            if (!mesh.IsRunning(node))
            {
                continue;
            }

            var layer = mesh.Node(node);
            foreach (var peer in layer.Peers)
            {
                if (!mesh.IsRunning(peer))
                {
                    continue;
                }

                foreach (var link in layer.ConfiguredLinks(peer))
                {
                    var status = layer.GetLinkStatus(peer, link);
                    if (status.Enabled && !status.Connected)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    public static string Tail(LinkMesh mesh, int count = 40) =>
        string.Join('\n', mesh.Events.Where(e => e.Event is not Delivered).TakeLast(count));

    public static List<MeshEvent> EventsOf<T>(LinkMesh mesh, NodeId node)
        where T : LinkEvent =>
        mesh.Events.Where(e => e.Node == node && e.Event is T).ToList();

    /// <summary>Broadcasts <paramref name="count"/> one-byte messages from <paramref name="from"/>, 2 ms apart; returns how many <paramref name="to"/> received.</summary>
    public static int BroadcastAndCount(LinkMesh mesh, NodeId from, NodeId to, int count)
    {
        var before = mesh.Events.Count;
        for (var message = 0; message < count; message++)
        {
            mesh.Broadcast(from, 0, [(byte)message]);
            mesh.RunFor(Duration.FromMilliseconds(2));
        }

        return mesh.Events.Skip(before).Count(e => e.Node == to && e.Event is Delivered delivered && delivered.Sender == from);
    }
}
