using Rookery.Simulation.Network;

namespace Rookery.Links.Tests;

/// <summary>The simulated network and event queue the simulator builds on.</summary>
public sealed class SimNetworkTests
{
    private static readonly NetworkPath s_path = new(new NodeId(1), new NodeId(2), new LinkId(0));

    [Fact]
    public void Items_due_at_the_same_instant_leave_in_scheduling_order()
    {
        var queue = new EventQueue<int>();
        queue.Schedule(Instant.FromMilliseconds(5), 1);
        queue.Schedule(Instant.FromMilliseconds(3), 2);
        queue.Schedule(Instant.FromMilliseconds(5), 3);
        queue.Schedule(Instant.FromMilliseconds(3), 4);

        var order = new List<int>();
        while (queue.TryDequeueDue(Instant.FromMilliseconds(10), out _, out var item))
        {
            order.Add(item);
        }

        Assert.Equal([2, 4, 1, 3], order);
        Assert.Equal(Instant.Never, queue.NextAt);
    }

    [Fact]
    public void Datagrams_arrive_after_the_path_delay_and_not_before()
    {
        var network = new SimNetwork(new Prng(1), PathFaults.Lan with { Delay = Duration.FromMilliseconds(2), Jitter = Duration.Zero });
        network.Send(Instant.Zero, s_path, [1, 2, 3]);

        Assert.False(network.TryDeliver(Instant.FromMilliseconds(1), out _));
        Assert.Equal(Instant.FromMilliseconds(2), network.NextDeliveryAt);
        Assert.True(network.TryDeliver(Instant.FromMilliseconds(2), out var datagram));
        Assert.Equal(s_path, datagram.Path);
        Assert.Equal([1, 2, 3], datagram.Bytes);
    }

    [Fact]
    public void A_one_way_cut_drops_only_its_direction_including_datagrams_in_flight()
    {
        var network = new SimNetwork(new Prng(1));
        network.Send(Instant.Zero, s_path, [1]);
        network.Send(Instant.Zero, s_path.Reverse, [2]);
        network.Cut(s_path);
        network.Send(Instant.Zero, s_path, [3]);

        var delivered = Drain(network, Instant.FromMilliseconds(10));

        Assert.Equal([2], delivered.Select(d => d.Bytes[0]));
        Assert.Equal(2, network.Counters.Cut);
    }

    [Fact]
    public void A_flapping_path_is_cut_exactly_in_its_down_phases()
    {
        var network = new SimNetwork(new Prng(1));
        network.Flap(s_path, Instant.FromMilliseconds(100), Duration.FromMilliseconds(30), Duration.FromMilliseconds(20));

        Assert.False(network.IsCut(s_path, Instant.FromMilliseconds(99)));
        Assert.False(network.IsCut(s_path, Instant.FromMilliseconds(129)));
        Assert.True(network.IsCut(s_path, Instant.FromMilliseconds(130)));
        Assert.True(network.IsCut(s_path, Instant.FromMilliseconds(149)));
        Assert.False(network.IsCut(s_path, Instant.FromMilliseconds(150)));
        Assert.False(network.IsCut(s_path.Reverse, Instant.FromMilliseconds(130)));
        network.Heal(s_path);
        Assert.False(network.IsCut(s_path, Instant.FromMilliseconds(130)));
    }

    [Fact]
    public void Loss_duplication_corruption_and_mtu_follow_the_faults_and_the_seed()
    {
        static (NetworkCounters Counters, List<SimDatagram> Delivered) Run(ulong seed)
        {
            var faults = PathFaults.Lan with
            {
                Loss = Ratio.Percent(10),
                Duplicate = Ratio.Percent(10),
                Corrupt = Ratio.Percent(10),
                PayloadSizeMax = 100,
                Jitter = Duration.FromMilliseconds(1),
            };
            var network = new SimNetwork(new Prng(seed), faults);
            for (var index = 0; index < 10_000; index++)
            {
                network.Send(new Instant(index * 10), s_path, new byte[index % 2 == 0 ? 50 : 150]);
            }

            return (network.Counters, Drain(network, Instant.FromMilliseconds(1000)));
        }

        var (counters, delivered) = Run(9);

        Assert.Equal(5000, counters.TooBig);
        Assert.InRange(counters.Lost, 400, 600);
        Assert.InRange(counters.Duplicated, 380, 520);
        Assert.InRange(counters.Corrupted, 420, 580);
        Assert.Equal(counters.Delivered, delivered.Count);
        Assert.Equal(5000 - counters.Lost + counters.Duplicated, delivered.Count);
        Assert.Equal(counters.Corrupted, delivered.Count(d => d.Bytes.Any(b => b != 0)));
        var again = Run(9).Delivered;
        Assert.Equal(delivered.Select(d => (d.SentAt, Convert.ToHexString(d.Bytes))), again.Select(d => (d.SentAt, Convert.ToHexString(d.Bytes))));
    }

    [Fact]
    public void Unequal_delays_reorder_datagrams()
    {
        var network = new SimNetwork(new Prng(3), PathFaults.Lan with { Jitter = Duration.FromMilliseconds(5) });
        for (byte index = 0; index < 50; index++)
        {
            network.Send(new Instant(index * 100), s_path, [index]);
        }

        var order = Drain(network, Instant.FromMilliseconds(100)).Select(d => d.Bytes[0]).ToList();

        Assert.Equal(50, order.Count);
        Assert.NotEqual(order.Order(), order);
    }

    private static List<SimDatagram> Drain(SimNetwork network, Instant until)
    {
        var delivered = new List<SimDatagram>();
        while (network.TryDeliver(until, out var datagram))
        {
            delivered.Add(datagram);
        }

        return delivered;
    }
}
