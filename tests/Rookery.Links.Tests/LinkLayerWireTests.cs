using Rookery.Links;
using Rookery.Wire.Knet;

namespace Rookery.Links.Tests;

/// <summary>
/// The core against libknet's bytes: captured datagrams from corosync 3.1.7 / libknet 1.25 (wire-vectors.md),
/// and a hand-driven peer that answers exactly as libknet does.
/// </summary>
public sealed class LinkLayerWireTests
{
    private static readonly byte[] s_authKey = Convert.FromHexString(
        "5255fa3836c43ca88f79813e677ba505031c4f150511e3d05d856091ae418de67728cdf1f159c0d320c345007e338f57" +
        "6a3a53d085804df5b938c06cdd69854856a6f5b52c53f7e150991d241f70c5a4dc9a297e8e71260f87e8dbcf5ca10e18" +
        "e201ed3a2828e210fd6f32ba9358c7e6410bfbc2e2b7b287a03aa54953f9fe4fd0ead243507f294c2df91c9e0f184400" +
        "c01b4cde49a75af7df986e0503d2287f799c205b4dc609053cbff0ec722cee9005d6fb0ae882cb4ea9ce7b51f9e0ddc8" +
        "b0cefaceaef3c08685456909906f88e66cddf9176f69a6850a4448435e96efa889fcc21dbe3314799e3e7a90d2ba5a2f" +
        "61b69cd5b80692d0ee0cfd30593e61cd");

    private const string CapturedPing =
        "9bb8c4a820c9f6b1ca1a3b7bca3317b1d08e7959115931707a0da58b274312b49096044258713836c6763e77712b4acb" +
        "d9c02e608ec5e6523d2ab3bf20d1da6b2ad43cddfc1a657a6b4a85b40ede70a1";

    private const string CapturedPongPlaintext = "01820002000000d80f000000000000ff89df1100000000006801";

    private const string CapturedOrfToken =
        "de8e0bd353951661e1149bc8abdb8907cb221ced1bb75687cb85095f9b1fb76bd7872bf032e5d66e6e1c5852240fe264" +
        "0b4ead36a3acee54bed6b09834cdb3a4c62d439cacc2217724e41d618b0936295780c9faf87671b30184e591b0adeb0e" +
        "185dcf5dd3424eb69c409476d368e5e9c02b69b6642aa96adc86732ae308abf7";

    private static readonly NodeId s_node1 = new(1);
    private static readonly NodeId s_node2 = new(2);
    private static readonly LinkId s_link0 = new(0);

    [Fact]
    public void A_captured_libknet_ping_is_answered_with_the_pong_libknet_sent()
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var layer = NewLayer(s_node2, s_node1, crypto);
        var output = new LinkOutput();

        layer.Receive(Instant.Zero, s_link0, Convert.FromHexString(CapturedPing), output);

        var pong = Assert.Single(output.Datagrams);
        Assert.Equal(s_link0, pong.Link);
        Assert.Equal(s_node1, pong.Destination);
        Assert.Equal(80, pong.Bytes.Length);
        Assert.Equal(CapturedPongPlaintext, Open(crypto, pong.Bytes));
        Assert.Equal(1, layer.GetLinkStatus(s_node1, s_link0).Stats.RxPingPackets);
    }

    [Fact]
    public void The_link_comes_up_on_the_third_pong_as_knet_counts_with_pong_count_2()
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var layer = NewLayer(s_node2, s_node1, crypto);
        var output = new LinkOutput();
        var now = Instant.FromMilliseconds(1000);

        for (var pong = 1; pong <= 3; pong++)
        {
            Assert.False(layer.GetLinkStatus(s_node1, s_link0).Connected, $"up after {pong - 1} pongs");
            AnswerPings(layer, crypto, ref now, output, rounds: 1);
        }

        Assert.True(layer.GetLinkStatus(s_node1, s_link0).Connected);
        Assert.Equal(["rx: host: 1 link: 0 is up", "host: host: 1 (passive) best link: 0 (pri: 1)", "host: host: 1 is reachable"],
            output.Logs.Select(l => l.Text).ToArray());
    }

    [Fact]
    public void Captured_data_is_delivered_once_and_a_replay_is_dropped_as_a_duplicate()
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var layer = NewLayer(s_node2, s_node1, crypto);
        var output = new LinkOutput();
        var now = Instant.FromMilliseconds(1000);
        AnswerPings(layer, crypto, ref now, output, rounds: 3);
        output.Clear();
        var datagram = Convert.FromHexString(CapturedOrfToken);
        layer.Receive(now, s_link0, datagram, output);
        layer.Receive(now, s_link0, datagram, output);

        var delivered = Assert.Single(output.Events.OfType<Delivered>());
        Assert.Equal(s_node1, delivered.Sender);
        Assert.Equal(0, delivered.Channel);
        Assert.Equal(57, delivered.Payload.Length);
        Assert.Equal([0x70, 0xc0, 0x03, 0x00], delivered.Payload[..4]);
        Assert.Equal(1, layer.Counters.RxDuplicates);
    }

    [Fact]
    public void Data_during_valid_ping_activity_brings_the_link_up_early()
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var layer = NewLayer(s_node2, s_node1, crypto);
        var output = new LinkOutput();
        var now = Instant.FromMilliseconds(1000);
        AnswerPings(layer, crypto, ref now, output, rounds: 1);
        Assert.False(layer.GetLinkStatus(s_node1, s_link0).Connected);

        layer.Receive(now, s_link0, Convert.FromHexString(CapturedOrfToken), output);

        Assert.True(layer.GetLinkStatus(s_node1, s_link0).Connected);
        Assert.Single(output.Events.OfType<Delivered>());
    }

    [Fact]
    public void Data_from_a_peer_with_no_ping_activity_is_dropped_as_not_reachable()
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var layer = NewLayer(s_node2, s_node1, crypto);
        var output = new LinkOutput();

        layer.Receive(Instant.Zero, s_link0, Convert.FromHexString(CapturedOrfToken), output);

        Assert.Empty(output.Events);
        Assert.Equal(1, layer.Counters.RxNotReachable);
    }

    [Fact]
    public void Unknown_hosts_wrong_links_bad_keys_and_garbage_are_counted_not_thrown()
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var layer = NewLayer(new NodeId(3), new NodeId(4), crypto);
        var output = new LinkOutput();

        layer.Receive(Instant.Zero, s_link0, Convert.FromHexString(CapturedPing), output);
        layer.Receive(Instant.Zero, s_link0, Convert.FromHexString("018100030000005756000200000000a0a1a2a3a4a5a6a7010201"), output);
        layer.Receive(Instant.Zero, s_link0, [], output);
        layer.Receive(Instant.Zero, new LinkId(9), [1, 2, 3], output);

        Assert.Empty(output.Datagrams);
        Assert.Equal(1, layer.Counters.RxUnknownHost);
        Assert.Equal(2, layer.Counters.RxCryptErrors);
        Assert.Equal(1, layer.Counters.RxWrongLink);
    }

    [Fact]
    public void Pings_go_out_on_every_enabled_link_and_carry_our_seq()
    {
        var layer = new LinkLayer(s_node1, new LinkLayerOptions(), new Prng(1));
        layer.AddPeer(s_node2);
        layer.AddLink(Instant.Zero, s_node2, s_link0, new LinkOptions());
        layer.AddLink(Instant.Zero, s_node2, new LinkId(3), new LinkOptions { Enabled = false });
        var output = new LinkOutput();

        layer.Tick(Instant.Zero, output);

        var ping = Assert.Single(output.Datagrams);
        Assert.Equal(KnetDecodeStatus.Ok, KnetFrame.TryDecode(ping.Bytes, out var frame));
        Assert.Equal(KnetPacketType.Ping, frame.Type);
        Assert.Equal(1, frame.Node);
        Assert.Equal(0, frame.Link);
        Assert.Equal(0, frame.Seq);
        Assert.Equal(1, frame.Timed);
        Assert.Equal(Instant.Zero + LinksDefaults.PingInterval, layer.NextDeadline);
    }

    /// <summary>
    /// Goal: the core logs its own state events (the output contract: drivers never format an event), with knet's
    /// subsystem, priority and the journal fields the daemon had. Method: bring the link up against a libknet-like peer,
    /// then let it time out, and compare every event but deliveries with the log record beside it.
    /// </summary>
    [Fact]
    public void Every_state_event_comes_with_its_knet_log_record_and_deliveries_with_none()
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var layer = NewLayer(s_node2, s_node1, crypto);
        var output = new LinkOutput();
        var now = Instant.FromMilliseconds(1000);
        AnswerPings(layer, crypto, ref now, output, rounds: 3);
        layer.Receive(now, s_link0, Convert.FromHexString(CapturedOrfToken), output);

        // The peer falls silent: the pings go unanswered until the link is declared down (a few timer rounds).
        for (var round = 0; round < 100 && !output.Events.Any(e => e is LinkDown); round++)
        {
            layer.Tick(layer.NextDeadline, output);
        }

        Assert.Contains(output.Events, e => e is Delivered);
        Assert.Contains(output.Events, e => e is LinkDown);
        var stateEvents = output.Events.Where(e => e is not Delivered).ToArray();
        Assert.Equal(stateEvents.Length, output.Logs.Count);
        for (var index = 0; index < stateEvents.Length; index++)
        {
            Assert.Equal(new LogEntry(LogSubsystem.Knet, stateEvents[index].Level, stateEvents[index].LogLine, stateEvents[index].Fields), output.Logs[index]);
        }

        Assert.Contains(new LogEntry(LogSubsystem.Knet, LogPriority.Info, "link: host: 1 link: 0 is down", new LogFields(1, 0)), output.Logs);
        Assert.Contains(new LogEntry(LogSubsystem.Knet, LogPriority.Warning, "host: host: 1 has no active links", new LogFields(1)), output.Logs);
        Assert.Contains(new LogEntry(LogSubsystem.Knet, LogPriority.Debug, "host: host: 1 is unreachable", new LogFields(1)), output.Logs);
    }

    [Fact]
    public void Pmtud_probes_65535_then_the_kernels_mtu_and_finds_libknets_1397()
    {
        using var crypto = KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, s_authKey);
        var layer = NewLayer(s_node2, s_node1, crypto);
        var output = new LinkOutput();
        var now = Instant.FromMilliseconds(1000);
        AnswerPings(layer, crypto, ref now, output, rounds: 3);
        now += Duration.FromMilliseconds(1);
        Assert.Equal(421, layer.DataMtu);

        var first = NextProbe(layer, crypto, now);
        Assert.Equal(65532, first.PmtudSize);
        layer.ReportMessageTooBig(now, s_node1, s_link0, pathMtu: 1500);
        var second = NextProbe(layer, crypto, now);
        Assert.Equal(1500, second.PmtudSize);

        // Answer as libknet does: the first 9 bytes, type PMTUD_REPLY, the responder's node id.
        var reply = new byte[KnetFrame.PmtudHeaderSize];
        KnetCodec.WritePmtud(reply, KnetPacketType.PmtudReply, 1, 0, second.PmtudSize, reply.Length);
        var sealedReply = new byte[crypto.SealedLength(reply.Length)];
        crypto.Seal(reply, new byte[16], sealedReply);
        output.Clear();
        layer.Receive(now, s_link0, sealedReply, output);

        Assert.Equal(1397, layer.GetLinkStatus(s_node1, s_link0).Mtu);
        Assert.Equal(1397, layer.DataMtu);
        Assert.Equal(["pmtud: PMTUD link change for host: 1 link: 0 from 421 to 1397", "pmtud: Global data MTU changed to: 1397"],
            output.Logs.Select(l => l.Text).ToArray());
    }

    private static KnetFrame NextProbe(LinkLayer layer, KnetCrypto crypto, Instant now)
    {
        var output = new LinkOutput();
        layer.Tick(now, output);
        foreach (var datagram in output.Datagrams)
        {
            var plain = new byte[datagram.Bytes.Length];
            Assert.Equal(KnetCryptoStatus.Ok, crypto.TryOpen(datagram.Bytes, plain, out var length));
            Assert.Equal(KnetDecodeStatus.Ok, KnetFrame.TryDecode(plain.AsSpan(0, length), out var frame));
            if (frame.Type == KnetPacketType.Pmtud)
            {
                Assert.Equal(frame.PmtudSize - 28, datagram.Bytes.Length);
                return frame;
            }
        }

        Assert.Fail("no PMTUD probe was sent");
        return default;
    }

    private static LinkLayer NewLayer(NodeId local, NodeId peer, KnetCrypto crypto)
    {
        var layer = new LinkLayer(local, new LinkLayerOptions { Crypto = crypto }, new Prng(3));
        layer.AddPeer(peer);
        layer.AddLink(Instant.Zero, peer, s_link0, new LinkOptions());
        return layer;
    }

    /// <summary>Ticks the layer and answers each of its pings the way libknet does (type and node rewritten, fresh IV).</summary>
    private static void AnswerPings(LinkLayer layer, KnetCrypto crypto, ref Instant now, LinkOutput output, int rounds)
    {
        for (var round = 0; round < rounds; round++)
        {
            now = layer.NextDeadline;
            AnswerPingsOnce(layer, crypto, now, output);
        }
    }

    private static void AnswerPingsOnce(LinkLayer layer, KnetCrypto crypto, Instant now, LinkOutput output)
    {
        var tick = new LinkOutput();
        layer.Tick(now, tick);
        output.Events.AddRange(tick.Events);
        output.Logs.AddRange(tick.Logs);
        foreach (var datagram in tick.Datagrams)
        {
            var plain = new byte[datagram.Bytes.Length];
            Assert.Equal(KnetCryptoStatus.Ok, crypto.TryOpen(datagram.Bytes, plain, out var length));
            Assert.Equal(KnetDecodeStatus.Ok, KnetFrame.TryDecode(plain.AsSpan(0, length), out var ping));
            if (ping.Type != KnetPacketType.Ping)
            {
                continue;
            }

            var pong = new byte[KnetFrame.PingSize];
            KnetCodec.WritePing(pong, KnetPacketType.Pong, (ushort)datagram.Destination.Value, ping.Link, ping.Timestamp, ping.Seq, ping.Timed);
            var sealedPong = new byte[crypto.SealedLength(pong.Length)];
            crypto.Seal(pong, new byte[16], sealedPong);
            layer.Receive(now + Duration.FromMilliseconds(1), datagram.Link, sealedPong, output);
        }
    }

    private static string Open(KnetCrypto crypto, byte[] datagram)
    {
        var plain = new byte[datagram.Length];
        Assert.Equal(KnetCryptoStatus.Ok, crypto.TryOpen(datagram, plain, out var length));
        return Convert.ToHexStringLower(plain.AsSpan(0, length));
    }
}
