using System.Buffers.Binary;
using Rookery.Services;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Node.Tests.Services;

/// <summary>
/// Goal: Rookery's service synchronisation is corosync 3.1.7's, as real corosync nodes put it on the wire.
/// Method: the plaintext captures of a 3-node corosync cluster (Fixtures/corosync-sync) are decoded with Rookery's own
/// codecs; every captured round (SERVICE_BUILD, then cmap, cpg, quorum, votequorum each ending in a barrier) is replayed
/// through one <see cref="ServiceSync"/> per member, which must ask for each packet exactly when and with what its
/// corosync node sent it; Rookery's encoders must produce the captured messages byte for byte (padding, which corosync
/// leaves uninitialised, excepted).
/// </summary>
public sealed class ServiceSyncCaptureTests
{
    private static readonly int CmapSyncId = ServiceIds.Make(ServiceIds.Cmap, 0);
    private static readonly int DownListId = ServiceIds.Make(ServiceIds.Cpg, CpgCodec.DownListFunction);
    private static readonly int JoinListId = ServiceIds.Make(ServiceIds.Cpg, CpgCodec.JoinListFunction);
    private static readonly int NodeInfoId = ServiceIds.Make(ServiceIds.Votequorum, VotequorumCodec.NodeInfoFunction);

    public static TheoryData<string, uint, ulong, int> Rounds() => new()
    {
        { "main", 1, 0x9, 2 },
        { "main", 1, 0xd, 3 },
        { "main", 1, 0x11, 2 },
        { "main", 1, 0x16, 3 },
        { "main", 1, 0x1a, 2 },
        { "main", 1, 0x1f, 3 },
        { "extra", 1, 0x28, 3 },
        { "extra", 1, 0x2c, 2 },
        { "extra", 1, 0x31, 3 },
    };

    [Theory]
    [MemberData(nameof(Rounds))]
    public void Every_captured_round_is_what_one_ServiceSync_per_member_asks_for(string capture, uint representative, ulong sequence, int memberCount)
    {
        var ring = CorosyncCapture.Ring(representative, sequence);
        var mcasts = Capture(capture)[ring];
        var builds = mcasts.TakeWhile(m => m.Messages.Any(IsServiceBuild)).ToList();
        Assert.Equal(memberCount, builds.Count);
        var members = builds.Select(m => m.Sender).OrderBy(n => n.Value).ToArray();

        var engines = members.ToDictionary(m => m, _ => new ServiceSync(ServiceSync.CorosyncServices));
        var pending = members.ToDictionary(m => m, _ => new List<SyncStep>());
        var done = members.ToDictionary(m => m, _ => new List<SyncStep>());
        foreach (var member in members)
        {
            engines[member].Start(ring, members, pending[member]);
        }

        var syncMcasts = 0;
        foreach (var mcast in mcasts.Where(m => m.Messages.Any(message => message.IsSync)))
        {
            syncMcasts++;

            // What the sender's engine has asked to send and not yet sent must be this packet, exactly.
            var asked = pending[mcast.Sender];
            var service = asked.OfType<SyncProcess>().Select(p => (int?)p.Service).SingleOrDefault();
            var sends = asked.OfType<SyncSend>().ToList();
            var sendSummary = string.Join(", ", asked.Where(s => s is SyncSend or SyncProcess));
            Assert.True(sends.Count == 1, $"ring {ring} seq {mcast.Seq} from node {mcast.Sender}: the engine asked for [{sendSummary}]");
            var syncMessages = mcast.Messages.Where(m => m.IsSync).ToList();
            Assert.Single(syncMessages);
            Assert.Same(syncMessages[0], mcast.Messages[^1]);
            AssertSameFields(sends[0].Message, syncMessages[0].Body, SyncPadding(syncMessages[0].Body));
            var serviceMessages = mcast.Messages.Where(m => !m.IsSync).Select(m => m.Id).ToArray();
            Assert.Equal(ExpectedMessages(service, serviceMessages), serviceMessages);
            done[mcast.Sender].AddRange(asked);
            asked.Clear();

            foreach (var member in members)
            {
                var status = engines[member].OnDelivered(mcast.Sender, syncMessages[0].Body, pending[member]);
                Assert.Equal(ServiceDecodeStatus.Ok, status);
                done[member].AddRange(pending[member].Where(s => s is not SyncSend and not SyncProcess));
                pending[member].RemoveAll(s => s is not SyncSend and not SyncProcess);
            }
        }

        Assert.Equal(memberCount * 5, syncMcasts);
        foreach (var member in members)
        {
            Assert.Empty(pending[member]);
            Assert.Equal(
                [ServiceIds.Cmap, ServiceIds.Cpg, ServiceIds.Quorum, ServiceIds.Votequorum],
                done[member].OfType<SyncProcess>().Select(p => p.Service));
            Assert.Equal(
                [ServiceIds.Cmap, ServiceIds.Cpg, ServiceIds.Quorum, ServiceIds.Votequorum],
                done[member].OfType<SyncActivate>().Select(p => p.Service));
            var completed = Assert.Single(done[member].OfType<SyncRoundCompleted>());
            Assert.IsType<SyncRoundCompleted>(done[member][^1]);
            Assert.Equal(ring, completed.RingId);
            Assert.Equal(members, completed.Members);
            Assert.Equal(ServiceSyncState.Idle, engines[member].State);
            Assert.Equal(0, engines[member].MalformedMessages);
            Assert.True(engines[member].EveryMemberRuns(ServiceIds.Votequorum));
            Assert.False(engines[member].EveryMemberRuns(ServiceSync.RookeryService));
        }
    }

    [Fact]
    public void Corosync_logs_one_completed_synchronization_per_round_in_service_order()
    {
        // The logs of the capture: each round commits cmap, cpg, quorum, votequorum, then completes.
        var log = File.ReadAllLines(CorosyncCapture.FixturePath("corosync.node1.sync.log"));
        var commits = log.Where(l => l.Contains("Committing synchronization for ", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("Committing synchronization for ", StringComparison.Ordinal) + 31)..])
            .ToList();
        var completed = log.Count(l => l.Contains("Completed service synchronization, ready to provide service.", StringComparison.Ordinal));
        Assert.True(completed >= 6);
        Assert.Equal(completed * 4, commits.Count);
        var expected = ServiceSync.CorosyncServices.Select(ServiceSync.ServiceName).ToArray();
        for (var i = 0; i < commits.Count; i++)
        {
            Assert.Equal(expected[i % 4], commits[i]);
        }
    }

    [Fact]
    public void Sync_messages_encode_byte_for_byte_as_corosync_sends_them()
    {
        foreach (var (ring, mcasts) in CorosyncCapture.Main.Concat(CorosyncCapture.CpgJoined))
        {
            foreach (var message in mcasts.SelectMany(m => m.Messages).Where(m => m.IsSync))
            {
                var encoded = message.Id == SyncMessages.ServiceBuildId
                    ? SyncMessages.EncodeServiceBuild(ring, ServiceSync.CorosyncServices)
                    : SyncMessages.EncodeBarrier(ring);
                AssertSameFields(encoded, message.Body, SyncPadding(message.Body));
            }
        }
    }

    [Fact]
    public void Service_sync_messages_decode_and_encode_byte_for_byte_as_corosync_sends_them()
    {
        var counts = new Dictionary<int, int>();
        foreach (var message in CorosyncCapture.Main.Values.Concat(CorosyncCapture.CpgJoined.Values).SelectMany(m => m).SelectMany(m => m.Messages).Where(m => !m.IsSync))
        {
            counts[message.Id] = counts.GetValueOrDefault(message.Id) + 1;
            var body = message.Body;
            if (message.Id == CmapSyncId)
            {
                Assert.Equal(ServiceDecodeStatus.Ok, CmapMessages.TryDecodeConfigVersion(body, out var reason, out var version));
                Assert.Equal(CmapMessages.Reason.Sync, reason);
                Assert.Equal(1ul, version);
                AssertSameFields(CmapMessages.EncodeConfigVersion(reason, version), body, [.. HeaderPadding, (17, 24), (25, 48), (50, 56), (265, 272)]);
            }
            else if (ServiceIds.ServiceOf(message.Id) is ServiceIds.Cpg or ServiceIds.Votequorum)
            {
                var decoded = ServiceIds.ServiceOf(message.Id) == ServiceIds.Cpg
                    ? (object)DecodeCpg(body)
                    : DecodeVotequorum(body);
                var encoded = decoded switch
                {
                    CpgMessage cpg => CpgCodec.Encode(cpg),
                    VotequorumMessage votequorum => VotequorumCodec.Encode(votequorum),
                    _ => throw new InvalidOperationException(),
                };
                AssertSameFields(encoded, body, ServicePadding(decoded, body));
            }
            else if (ServiceIds.ServiceOf(message.Id) == ServiceIds.Cfg)
            {
                Assert.Equal(ServiceDecodeStatus.Ok, CfgMessages.TryDecode(body, out var cfg));
                Assert.Equal(CfgMessages.ReloadConfigFunction, cfg.Function);
                Assert.Equal(1u, cfg.NodeId);
            }
            else
            {
                Assert.Fail($"unexpected message id 0x{message.Id:x8} in the capture");
            }
        }

        // Everything corosync sent in the captures was met: the sync messages, cpg traffic, a RECONFIGURE, a reload.
        Assert.True(counts[CmapSyncId] >= 20);
        Assert.True(counts[DownListId] >= 20);
        Assert.True(counts[JoinListId] >= 4);
        Assert.True(counts[NodeInfoId] >= 40);
        Assert.Equal(1, counts[ServiceIds.Make(ServiceIds.Votequorum, VotequorumCodec.ReconfigureFunction)]);
        Assert.Equal(1, counts[ServiceIds.Make(ServiceIds.Cfg, CfgMessages.ReloadConfigFunction)]);
    }

    private static IReadOnlyDictionary<RingId, IReadOnlyList<CapturedMcast>> Capture(string name) =>
        name == "main" ? CorosyncCapture.Main : CorosyncCapture.CpgJoined;

    private static bool IsServiceBuild(CapturedMessage message) => message.IsSync && message.Id == SyncMessages.ServiceBuildId;

    /// <summary>The service messages corosync sends in a service's turn (cpg's JOINLIST only from a node with local members).</summary>
    private static int[] ExpectedMessages(int? service, int[] captured) => service switch
    {
        null => [],
        ServiceIds.Cmap => [CmapSyncId],
        ServiceIds.Cpg => captured.Length == 2 ? [DownListId, JoinListId] : [DownListId],
        ServiceIds.Quorum => [],
        ServiceIds.Votequorum => [NodeInfoId, NodeInfoId],
        _ => throw new InvalidOperationException($"service {service}"),
    };

    private static CpgMessage DecodeCpg(byte[] body)
    {
        Assert.Equal(ServiceDecodeStatus.Ok, CpgCodec.TryDecode(body, out var decoded));
        return decoded!;
    }

    private static VotequorumMessage DecodeVotequorum(byte[] body)
    {
        Assert.Equal(ServiceDecodeStatus.Ok, VotequorumCodec.TryDecode(body, out var decoded));
        return decoded!;
    }

    /// <summary>The pad bytes of libqb's request header: corosync does not initialise them.</summary>
    private static readonly (int From, int To)[] HeaderPadding = [(4, 8), (12, 16)];

    private static (int From, int To)[] SyncPadding(byte[] body)
    {
        if (BinaryPrimitives.ReadInt32LittleEndian(body) == SyncMessages.BarrierId)
        {
            return [.. HeaderPadding, (28, 32)];
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(32));
        return [.. HeaderPadding, (28, 32), (36, 40), (40 + (4 * count), SyncMessages.ServiceBuildSize)];
    }

    private static (int From, int To)[] ServicePadding(object decoded, byte[] body) => decoded switch
    {
        CpgDownListMessage down => [.. HeaderPadding, (20, 24), (28, 32), (32 + (4 * down.LeftNodes.Count), body.Length)],
        CpgJoinListMessage list => [(4, 8), (12, 16), (20, 24), .. list.Entries.SelectMany((e, i) => JoinListEntryPadding(i, e))],
        CpgProcJoinMessage join => [.. HeaderPadding, .. NamePadding(16, join.Group), (148, 152), (156, 160), (164, 168)],
        CpgProcLeaveMessage leave => [.. HeaderPadding, .. NamePadding(16, leave.Group), (148, 152), (156, 160), (164, 168)],
        CpgMcastMessage mcast => [.. HeaderPadding, .. NamePadding(16, mcast.Group), (148, 152), (156, 160), (164, 168), (172, 176)],
        ReconfigureMessage => [.. HeaderPadding, (25, 32)],
        _ => HeaderPadding,
    };

    private static (int From, int To)[] JoinListEntryPadding(int index, CpgJoinListEntry entry)
    {
        var offset = ServiceHeader.ResponseSize + (CpgCodec.JoinListEntrySize * index);
        return [(offset + 4, offset + 8), .. NamePadding(offset + 8, entry.Group), (offset + 140, offset + CpgCodec.JoinListEntrySize)];
    }

    /// <summary>The bytes of a cpg group name field (u32 length, 128 bytes) after the name itself.</summary>
    private static (int From, int To)[] NamePadding(int offset, CpgGroupName group) => [(offset + 4 + group.Length, offset + 4 + CpgGroupName.LengthMax)];

    private static void AssertSameFields(byte[] ours, byte[] corosyncs, (int From, int To)[] ignored)
    {
        Assert.Equal(corosyncs.Length, ours.Length);
        for (var i = 0; i < ours.Length; i++)
        {
            if (ignored.Any(r => i >= r.From && i < r.To))
            {
                continue;
            }

            Assert.True(ours[i] == corosyncs[i], $"byte {i} of a message with id 0x{BinaryPrimitives.ReadInt32LittleEndian(corosyncs):x8}: ours 0x{ours[i]:x2}, corosync's 0x{corosyncs[i]:x2}");
        }
    }
}
