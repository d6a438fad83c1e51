using System.Buffers.Binary;
using Rookery.Groups;
using Rookery.Quorum;
using Rookery.Services;
using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Node.Tests.Services;

/// <summary>
/// Goal: a Rookery node can take a corosync node's place in a real corosync round: what its service layer sends, and
/// when, is what corosync node 3 sent, byte for byte where the fields are the same; it completes the round, agrees
/// on quorum, and sends nothing corosync does not understand.
/// Method: ring 1.d of the captures (node 3 joins nodes 1 and 2). The captured messages of corosync nodes 1 and 2 are
/// delivered in their agreed order; wherever the capture has node 3's packet, the Rookery layer of node 3 must have
/// submitted exactly that packet's messages, and its own submissions are delivered in their place. Rookery lists its
/// own service (127) in SERVICE_BUILD, so corosync runs one more turn for it: the barriers nodes 1 and 2 would send
/// for that turn (corosync's dummy sync for an unknown service) are added after the captured round.
/// </summary>
public sealed class MixedRoundTests
{
    private static readonly RingId Ring = CorosyncCapture.Ring(1, 0xd);
    private static readonly NodeId Local = new(3);
    private static readonly string DownList = $"a:0x{ServiceIds.Make(ServiceIds.Cpg, CpgCodec.DownListFunction):x8}";
    private static readonly string JoinList = $"a:0x{ServiceIds.Make(ServiceIds.Cpg, CpgCodec.JoinListFunction):x8}";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_Rookery_node_takes_corosync_node_3s_place_in_a_captured_round(bool localGroupMember)
    {
        var layer = NewLayer();
        var outputs = new List<ServiceOutput>();
        var now = Instant.FromMilliseconds(1000);
        layer.Start(now, outputs);
        Deliver(layer, now, Local, outputs, TakeSubmits(outputs));
        if (localGroupMember)
        {
            Assert.Equal(GroupsResult.Ok, layer.JoinGroup(7, 4242, CpgGroupName.FromString("ref"), outputs));
            Deliver(layer, now, Local, outputs, TakeSubmits(outputs));
        }

        layer.OnTotemEvent(now, new ConfigurationChanged(ConfigurationKind.Transitional, Ring, [Local], [], []), outputs);
        layer.OnTotemEvent(now, new ConfigurationChanged(ConfigurationKind.Regular, Ring, [new NodeId(1), new NodeId(2), Local], [], [new NodeId(1), new NodeId(2)]), outputs);

        var sent = new List<byte[]>();
        foreach (var mcast in CorosyncCapture.Main[Ring].Where(m => m.Messages.Any(x => x.IsSync)))
        {
            if (mcast.Sender != Local)
            {
                Deliver(layer, now, mcast.Sender, outputs, mcast.Messages.Select(m => GroupHeader.Wrap(System.Text.Encoding.ASCII.GetBytes(m.Group), m.Body)).ToList());
                continue;
            }

            // Node 3's packet in the capture: the Rookery layer must have asked for the same messages, barrier last.
            var ours = TakeSubmits(outputs);
            var expected = mcast.Messages.Select(Describe).ToList();
            if (localGroupMember && expected[0] == DownList)
            {
                // Corosync node 3 had no local process, so it sent no JOINLIST; this one has one.
                expected.Insert(1, JoinList);
            }

            Assert.Equal(expected, ours.Select(Describe).ToList());
            AssertSameAsCorosync(mcast.Messages, ours.Where(m => Describe(m) != JoinList).ToList());
            sent.AddRange(ours);
            Deliver(layer, now, Local, outputs, ours);
        }

        // Rookery's own turn: corosync nodes 1 and 2 send a bare barrier for it, and so does this node (no
        // extension message: not every member runs Rookery).
        var last = TakeSubmits(outputs);
        Assert.Equal(["sync:0x00000000"], last.Select(Describe).ToArray());
        sent.AddRange(last);
        Deliver(layer, now, new NodeId(1), outputs, [GroupHeader.Wrap(GroupHeader.Sync, SyncMessages.EncodeBarrier(Ring))]);
        Deliver(layer, now, new NodeId(2), outputs, [GroupHeader.Wrap(GroupHeader.Sync, SyncMessages.EncodeBarrier(Ring))]);
        Assert.DoesNotContain(outputs, o => o is SyncCompleted);
        Deliver(layer, now, Local, outputs, last);

        var completed = Assert.Single(outputs.OfType<SyncCompleted>());
        Assert.Equal(Ring, completed.RingId);
        Assert.False(layer.Syncing);
        Assert.Equal(0, layer.MalformedMessages);
        Assert.Equal(ServiceSync.RookeryServices, layer.Sync.MergedServices);
        Assert.False(layer.EveryMemberRunsRookery);
        var status = layer.Quorum.Status;
        Assert.True(status.Quorate);
        Assert.Equal((3u, 3u, 2u), (status.TotalVotes, status.ExpectedVotes, status.Quorum));
        Assert.Equal([1u, 2u, 3u], status.Members.Select(m => m.Value));

        // Nothing but corosync's own services went out, and no Rookery extension can be sent into this ring.
        Assert.All(sent.Where(m => !IsSync(m)), m => Assert.Contains(ServiceIds.ServiceOf(Id(m)), new[] { ServiceIds.Cmap, ServiceIds.Cpg, ServiceIds.Votequorum }));
        Assert.False(layer.RequestLinkEnable(1, false, outputs));
        layer.SetLinkPriorities(LinkPriorities.From([(0, 20)]), outputs);
        Assert.Empty(TakeSubmits(outputs));
    }

    [Fact]
    public void A_join_list_of_an_aborted_round_delivered_in_the_next_round_is_dropped()
    {
        var layer = NewLayer();
        var outputs = new List<ServiceOutput>();
        var now = Instant.FromMilliseconds(1000);
        layer.Start(now, outputs);
        layer.OnTotemEvent(now, new ConfigurationChanged(ConfigurationKind.Regular, Ring, [new NodeId(2), Local], [], [new NodeId(2)]), outputs);
        var stale = GroupHeader.Wrap(GroupHeader.Executive, CpgCodec.Encode(new CpgJoinListMessage([new(200, CpgGroupName.FromString("ghost"))])));
        layer.OnTotemEvent(now, new Delivered(new NodeId(2), Ring, stale), outputs);
        Assert.Equal(1, layer.StaleSyncMessages);
        Assert.Equal(0, layer.MalformedMessages);
    }

    private static ServiceLayer NewLayer()
    {
        var log = new List<LogEntry>();
        var settings = new QuorumSettings { LocalNode = Local, ExpectedVotes = 3 };
        var quorum = QuorumConfiguration.Resolve(settings, log, out var error) ?? throw new InvalidOperationException(error);
        return new ServiceLayer(Local, 1, new Votequorum(quorum), new ProcessGroups(Local), LinkPriorities.From([(0, 15), (1, 20)]));
    }

    private static List<byte[]> TakeSubmits(List<ServiceOutput> outputs)
    {
        var submits = outputs.OfType<TotemSubmit>().Select(s => s.Payload).ToList();
        outputs.RemoveAll(o => o is TotemSubmit);
        return submits;
    }

    private static void Deliver(ServiceLayer layer, Instant now, NodeId sender, List<ServiceOutput> outputs, List<byte[]> payloads)
    {
        foreach (var payload in payloads)
        {
            layer.OnTotemEvent(now, new Delivered(sender, Ring, payload), outputs);
        }
    }

    private static bool IsSync(byte[] payload) =>
        GroupHeader.TryUnwrap(payload, GroupHeader.Sync, out var sync, out _) == ServiceDecodeStatus.Ok && sync;

    private static ReadOnlySpan<byte> Body(byte[] payload)
    {
        Assert.Equal(ServiceDecodeStatus.Ok, GroupHeader.TryUnwrap(payload, "a"u8, out _, out var body));
        return body;
    }

    private static int Id(byte[] payload) => BinaryPrimitives.ReadInt32LittleEndian(Body(payload));

    private static string Describe(CapturedMessage message) => $"{message.Group}:0x{message.Id:x8}";

    private static string Describe(byte[] payload) => $"{(IsSync(payload) ? "sync" : "a")}:0x{Id(payload):x8}";

    /// <summary>The service messages are corosync node 3's, byte for byte but padding; SERVICE_BUILD adds Rookery's service.</summary>
    private static void AssertSameAsCorosync(IReadOnlyList<CapturedMessage> corosyncs, List<byte[]> ours)
    {
        for (var i = 0; i < ours.Count; i++)
        {
            var body = Body(ours[i]).ToArray();
            var theirs = corosyncs[i].Body;
            if (corosyncs[i].IsSync && corosyncs[i].Id == SyncMessages.ServiceBuildId)
            {
                Assert.Equal(ServiceDecodeStatus.Ok, SyncMessages.TryDecodeServiceBuild(body, out var ring, out var services));
                Assert.Equal(Ring, ring);
                Assert.Equal(ServiceSync.RookeryServices, services);
                continue;
            }

            Assert.Equal(theirs.Length, body.Length);
            for (var b = 0; b < body.Length; b++)
            {
                if (b is (>= 4 and < 8) or (>= 12 and < 16))
                {
                    continue;
                }

                // DOWNLIST pads and the unused node ids; cmap's and sync's pads: zero in the capture, zero in ours.
                Assert.True(body[b] == theirs[b], $"message 0x{corosyncs[i].Id:x8} byte {b}: ours 0x{body[b]:x2}, corosync's 0x{theirs[b]:x2}");
            }
        }
    }
}
