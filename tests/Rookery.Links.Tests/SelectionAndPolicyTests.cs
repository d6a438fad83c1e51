using Rookery.Links;
using Rookery.Simulation.Network;
using static Rookery.Links.Tests.MeshFixture;

namespace Rookery.Links.Tests;

public sealed class SelectionAndPolicyTests
{
    [Fact]
    public void Passive_ties_go_to_the_lowest_link_id_and_priority_0_counts_as_1()
    {
        const ulong Seed = 201;
        var mesh = Mesh(Seed, links:
        [
            (Link0, new LinkOptions { Priority = 0 }),
            (Link1, new LinkOptions { Priority = 1 }),
            (Link2, new LinkOptions { Priority = 1 }),
        ]);
        WaitAllConnected(mesh, Duration.FromSeconds(2));

        Assert.True(mesh.Node(Node1).ActiveLinks(Node2).SequenceEqual([Link0]), $"seed {Seed}\n{Tail(mesh)}");
        mesh.Apply(Node1, (layer, output) => layer.SetLinkEnabled(mesh.Clock.Now, Node2, Link0, false, output));
        Assert.True(mesh.Node(Node1).ActiveLinks(Node2).SequenceEqual([Link1]), $"seed {Seed}");
    }

    [Theory]
    [InlineData(LinkPolicy.Active)]
    [InlineData(LinkPolicy.RoundRobin)]
    public void Active_and_round_robin_deliver_each_message_exactly_once(LinkPolicy policy)
    {
        const ulong Seed = 211;
        var mesh = Mesh(Seed, options: _ => Secure(policy));
        WaitAllConnected(mesh, Duration.FromSeconds(2));
        Assert.Contains(mesh.Events, e => e.Event.LogLine == "host: host: 2 has 2 active links");

        var payloads = new List<byte[]>();
        for (var message = 0; message < 40; message++)
        {
            var payload = BitConverter.GetBytes(message);
            payloads.Add(payload);
            mesh.Broadcast(Node1, 0, payload);
            mesh.RunFor(Duration.FromMilliseconds(1));
        }

        mesh.RunFor(Duration.FromMilliseconds(10));
        var received = mesh.Events.Where(e => e.Node == Node2 && e.Event is Delivered).Select(e => BitConverter.ToInt32(((Delivered)e.Event).Payload)).ToList();
        Assert.Equal(Enumerable.Range(0, 40), received.Order());
        var link0 = mesh.Node(Node1).GetLinkStatus(Node2, Link0).Stats.TxDataPackets;
        var link1 = mesh.Node(Node1).GetLinkStatus(Node2, Link1).Stats.TxDataPackets;
        if (policy == LinkPolicy.Active)
        {
            Assert.Equal((40, 40), (link0, link1));
            Assert.Equal(40, mesh.Node(Node2).Counters.RxDuplicates);
        }
        else
        {
            Assert.Equal((20, 20), (link0, link1));
        }
    }

    [Fact]
    public void Large_messages_survive_loss_duplication_corruption_and_reordering_intact_and_at_most_once()
    {
        const ulong Seed = 221;
        var faults = PathFaults.Lan with
        {
            Loss = Ratio.Percent(3),
            Duplicate = Ratio.Percent(10),
            Corrupt = Ratio.Percent(3),
            Jitter = Duration.FromMilliseconds(3),
        };
        var mesh = Mesh(Seed, faults: faults, options: _ => Secure(LinkPolicy.Active));
        WaitAllConnected(mesh, Duration.FromSeconds(3));
        var prng = new Prng(Seed);
        var sent = new Dictionary<int, byte[]>();
        for (var message = 0; message < 200; message++)
        {
            var payload = new byte[4 + (int)prng.NextBelow(12_000)];
            prng.Fill(payload);
            BitConverter.TryWriteBytes(payload, message);
            sent[message] = payload;
            mesh.Broadcast(Node1, 0, payload);
            mesh.RunFor(Duration.FromMilliseconds(2));
        }

        mesh.RunFor(Duration.FromMilliseconds(50));
        var received = mesh.Events.Where(e => e.Node == Node2 && e.Event is Delivered).Select(e => ((Delivered)e.Event).Payload).ToList();
        var ids = received.Select(p => BitConverter.ToInt32(p)).ToList();
        Assert.True(ids.Count == ids.Distinct().Count(), $"seed {Seed}: a message was delivered twice");
        Assert.All(received, p => Assert.Equal(sent[BitConverter.ToInt32(p)], p));
        Assert.True(received.Count >= 150, $"seed {Seed}: only {received.Count} of 200 delivered");
        Assert.True(mesh.Node(Node2).Counters.RxCryptErrors > 0, $"seed {Seed}: corruption was never caught");
    }

    [Fact]
    public void The_same_seed_replays_the_same_run_byte_for_byte()
    {
        static string Run(ulong seed)
        {
            var mesh = Mesh(seed, nodes: 3, faults: PathFaults.Lan with { Loss = Ratio.Percent(5), Jitter = Duration.FromMilliseconds(2) });
            mesh.At(Instant.FromMilliseconds(700), () => mesh.Network.CutBoth(Node1, Node3, Link1));
            for (var message = 0; message < 50; message++)
            {
                mesh.At(Instant.FromMilliseconds(300 + message * 20), () => mesh.Broadcast(Node2, 0, new byte[700]));
            }

            mesh.RunUntil(Instant.FromMilliseconds(2000));
            return string.Join('\n', mesh.Events) + $"\n{mesh.Network.Counters.Sent} {mesh.Network.Counters.Lost}";
        }

        var first = Run(301);
        Assert.Equal(first, Run(301));
        Assert.NotEqual(first, Run(302));
    }

    [Fact]
    public void An_event_handler_may_send_in_reply_to_a_delivery()
    {
        const ulong Seed = 241;
        var mesh = Mesh(Seed, options: _ => Secure() with { DeliverToSelf = false });
        WaitAllConnected(mesh, Duration.FromSeconds(2));
        var replies = 0;
        mesh.OnEvent = e =>
        {
            if (e.Event is Delivered { Channel: 1 } request && e.Node == Node2)
            {
                mesh.Send(Node2, request.Sender, 2, request.Payload);
            }

            replies += e.Node == Node1 && e.Event is Delivered { Channel: 2 } ? 1 : 0;
        };

        for (var message = 0; message < 5; message++)
        {
            mesh.Send(Node1, Node2, 1, [(byte)message]);
        }

        mesh.RunFor(Duration.FromMilliseconds(5));
        Assert.True(replies == 5, $"seed {Seed}: {replies} replies");
    }

    [Fact]
    public void Stats_carry_corosyncs_stats_knet_names()
    {
        const ulong Seed = 231;
        var mesh = Mesh(Seed);
        WaitAllConnected(mesh, Duration.FromSeconds(2));
        mesh.Send(Node1, Node2, 0, new byte[10]);
        var keys = mesh.Node(Node1).GetLinkStatus(Node2, Link1).StatsKnetKeys().ToDictionary(p => p.Key, p => p.Value);

        Assert.Equal(1, keys["stats.knet.node2.link1.connected"]);
        Assert.Equal(1, keys["stats.knet.node2.link1.enabled"]);
        Assert.Equal(1, keys["stats.knet.node2.link1.tx_data_packets"]);
        Assert.True(keys["stats.knet.node2.link1.rx_pong_packets"] >= 3);
        Assert.True(keys["stats.knet.node2.link1.latency_samples"] >= 3);
        Assert.Equal(1, keys["stats.knet.node2.link1.up_count"]);
        Assert.Equal(39, keys.Count);
    }
}
