using CsCheck;
using Rookery.Services;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Node.Tests.Services;

/// <summary>
/// Goal: the sync engine behaves as exec/sync.c where the captures cannot show it: mixed service lists (a Rookery
/// member next to corosync members), a round interrupted by a newer ring, stale and foreign messages, bad bytes.
/// Method: engines of several members exchange their messages in one agreed order (a list every engine reads in the
/// same order, as Totem delivers), with the interruptions injected between deliveries.
/// </summary>
public sealed class ServiceSyncTests
{
    private static readonly RingId Ring = new(new NodeId(1), 8);
    private static readonly NodeId[] Three = [new(1), new(2), new(3)];

    [Fact]
    public void A_mixed_ring_runs_every_listed_service_and_only_a_ring_of_Rookery_nodes_runs_every_one_everywhere()
    {
        // Node 3 is Rookery (lists 127), nodes 1 and 2 are corosync: all three take 127's turn, only node 3 processes it.
        var cluster = new SyncCluster(Three, node => node == 3 ? ServiceSync.RookeryServices : ServiceSync.CorosyncServices);
        cluster.Start(Ring);
        cluster.Run();

        foreach (var node in Three)
        {
            var steps = cluster.Steps[node.Value];
            Assert.Equal(6, steps.OfType<SyncSend>().Count());
            Assert.IsType<SyncRoundCompleted>(steps[^1]);
            Assert.Equal(ServiceSync.RookeryServices, cluster.Engines[node.Value].MergedServices);
            Assert.False(cluster.Engines[node.Value].EveryMemberRuns(ServiceSync.RookeryService));
            Assert.True(cluster.Engines[node.Value].EveryMemberRuns(ServiceIds.Cpg));
            var processed = steps.OfType<SyncProcess>().Select(p => p.Service).ToArray();
            Assert.Equal(node.Value == 3 ? ServiceSync.RookeryServices : ServiceSync.CorosyncServices, processed);
        }

        Assert.Contains(cluster.Steps[1].OfType<SyncLog>(), l => l.Text == "Committing synchronization for rookery extensions");
    }

    [Fact]
    public void Every_member_running_Rookery_is_known_once_every_service_build_is_delivered()
    {
        var cluster = new SyncCluster(Three, _ => ServiceSync.RookeryServices);
        cluster.Start(Ring);
        Assert.False(cluster.Engines[1].EveryMemberRuns(ServiceSync.RookeryService));
        cluster.Run();
        Assert.All(Three, n => Assert.True(cluster.Engines[n.Value].EveryMemberRuns(ServiceSync.RookeryService)));
    }

    [Fact]
    public void A_newer_ring_aborts_the_service_whose_turn_it_is_and_the_old_rings_barriers_are_discarded()
    {
        var cluster = new SyncCluster(Three, _ => ServiceSync.CorosyncServices);
        cluster.Start(Ring);

        // Deliver the three SERVICE_BUILDs and the three cmap barriers: cpg's turn starts everywhere.
        cluster.Run(deliveries: 6);
        Assert.All(Three, n => Assert.Equal(ServiceIds.Cpg, cluster.Engines[n.Value].CurrentService));
        var oldMessages = cluster.TakeQueue();

        var newer = new RingId(new NodeId(1), 12);
        cluster.Start(newer);
        foreach (var node in Three)
        {
            Assert.Contains(new SyncAbort(ServiceIds.Cpg), cluster.Steps[node.Value]);
        }

        // The old ring's cpg barriers arrive late: discarded, counted, the new round is unaffected.
        foreach (var (sender, message) in oldMessages)
        {
            foreach (var node in Three)
            {
                Assert.Equal(ServiceDecodeStatus.Ok, cluster.Engines[node.Value].OnDelivered(sender, message, cluster.Steps[node.Value]));
            }
        }

        Assert.All(Three, n => Assert.Equal(3, cluster.Engines[n.Value].StaleMessages));
        Assert.All(Three, n => Assert.Equal(ServiceSyncState.ServiceListBuild, cluster.Engines[n.Value].State));
        cluster.Run();
        Assert.All(Three, n => Assert.Equal(newer, Assert.Single(cluster.Steps[n.Value].OfType<SyncRoundCompleted>()).RingId));
    }

    [Fact]
    public void A_member_that_left_before_its_barrier_stalls_the_round_until_the_next_ring()
    {
        // exec/sync.c: a round completes only with every member's barrier; a lost member means a new ring, never a shortcut.
        var cluster = new SyncCluster(Three, _ => ServiceSync.CorosyncServices);
        cluster.Start(Ring);
        cluster.Run(exceptFrom: 3);
        Assert.All(Three.Take(2), n => Assert.Empty(cluster.Steps[n.Value].OfType<SyncRoundCompleted>()));
        Assert.All(Three.Take(2), n => Assert.Equal(ServiceSyncState.ServiceListBuild, cluster.Engines[n.Value].State));
    }

    [Fact]
    public void Messages_from_outside_the_ring_and_duplicate_service_builds_change_nothing()
    {
        var engine = new ServiceSync(ServiceSync.CorosyncServices);
        var steps = new List<SyncStep>();
        engine.Start(Ring, [new NodeId(1), new NodeId(2)], steps);
        var build = SyncMessages.EncodeServiceBuild(Ring, ServiceSync.RookeryServices);
        engine.OnDelivered(new NodeId(9), build, steps);
        engine.OnDelivered(new NodeId(1), SyncMessages.EncodeServiceBuild(Ring, ServiceSync.CorosyncServices), steps);
        engine.OnDelivered(new NodeId(1), build, steps);
        Assert.Equal(ServiceSyncState.ServiceListBuild, engine.State);
        engine.OnDelivered(new NodeId(2), SyncMessages.EncodeServiceBuild(Ring, ServiceSync.CorosyncServices), steps);
        Assert.Equal(ServiceSync.CorosyncServices, engine.MergedServices);
        Assert.Equal(ServiceIds.Cmap, engine.CurrentService);
    }

    [Fact]
    public void A_single_node_ring_syncs_through_its_own_messages()
    {
        var cluster = new SyncCluster([new NodeId(4)], _ => ServiceSync.RookeryServices);
        cluster.Start(new RingId(new NodeId(4), 4));
        cluster.Run();
        Assert.IsType<SyncRoundCompleted>(cluster.Steps[4][^1]);
    }

    [Fact]
    public void Random_bytes_in_group_sync_never_throw_and_are_counted() =>
        Gen.Byte.Array[0, 600].Sample(bytes =>
        {
            var engine = new ServiceSync(ServiceSync.CorosyncServices);
            var steps = new List<SyncStep>();
            engine.Start(Ring, Three, steps);
            var status = engine.OnDelivered(new NodeId(2), bytes, steps);
            return status == ServiceDecodeStatus.Ok || engine.MalformedMessages == 1;
        });

    /// <summary>Engines of several members and one agreed-order queue of their sync messages.</summary>
    private sealed class SyncCluster
    {
        private readonly NodeId[] _members;
        private readonly Queue<(NodeId Sender, byte[] Message)> _queue = new();

        public SyncCluster(NodeId[] members, Func<uint, IReadOnlyList<int>> services)
        {
            _members = members;
            foreach (var member in members)
            {
                Engines[member.Value] = new ServiceSync(services(member.Value));
                Steps[member.Value] = [];
            }
        }

        public Dictionary<uint, ServiceSync> Engines { get; } = [];

        public Dictionary<uint, List<SyncStep>> Steps { get; } = [];

        public void Start(RingId ring)
        {
            foreach (var member in _members)
            {
                var before = Steps[member.Value].Count;
                Engines[member.Value].Start(ring, _members, Steps[member.Value]);
                Enqueue(member, before);
            }
        }

        public List<(NodeId Sender, byte[] Message)> TakeQueue()
        {
            var taken = _queue.ToList();
            _queue.Clear();
            return taken;
        }

        /// <summary>Delivers queued messages to every member in queue order (what each sends in reaction is queued behind).</summary>
        public void Run(int deliveries = int.MaxValue, uint exceptFrom = 0)
        {
            for (var i = 0; i < deliveries && _queue.TryDequeue(out var next); i++)
            {
                if (next.Sender.Value == exceptFrom)
                {
                    continue;
                }

                foreach (var member in _members.Where(m => m.Value != exceptFrom))
                {
                    var before = Steps[member.Value].Count;
                    Assert.Equal(ServiceDecodeStatus.Ok, Engines[member.Value].OnDelivered(next.Sender, next.Message, Steps[member.Value]));
                    Enqueue(member, before);
                }
            }
        }

        private void Enqueue(NodeId member, int from)
        {
            foreach (var send in Steps[member.Value].Skip(from).OfType<SyncSend>())
            {
                _queue.Enqueue((member, send.Message));
            }
        }
    }
}
