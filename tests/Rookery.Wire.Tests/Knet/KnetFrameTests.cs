using CsCheck;
using Rookery.Wire.Knet;

namespace Rookery.Wire.Tests.Knet;

/// <summary>Decoding and encoding knet v1 packets, checked against the captured plaintexts.</summary>
public sealed class KnetFrameTests
{
    [Fact]
    public void A_captured_ping_decodes_field_by_field()
    {
        var frame = Decode(KnetVectors.PingPlaintext);

        Assert.Equal(KnetPacketType.Ping, frame.Type);
        Assert.Equal(1, frame.Node);
        Assert.Equal(0, frame.Link);
        Assert.Equal(104, frame.Seq);
        Assert.Equal(1, frame.Timed);
        Assert.Equal(new KnetTimestamp(4056, 299862527), frame.Timestamp);
        Assert.True(frame.IsLinkLevel);
    }

    [Fact]
    public void A_pong_encoded_from_the_captured_ping_equals_the_captured_pong()
    {
        var ping = Decode(KnetVectors.PingPlaintext);
        var pong = new byte[KnetFrame.PingSize];

        KnetCodec.WritePing(pong, KnetPacketType.Pong, node: 2, ping.Link, ping.Timestamp, ping.Seq, ping.Timed);

        Assert.Equal(KnetVectors.PongPlaintext, Convert.ToHexStringLower(pong));
    }

    [Theory]
    [InlineData(KnetVectors.PingRxBPlaintext, KnetVectors.PongTxPlaintext, 3)]
    [InlineData(KnetVectors.PingGoodBPlaintext, KnetVectors.PongRxBPlaintext, 1)]
    public void Pongs_echo_link_timestamp_seq_and_timed_verbatim(string pingHex, string pongHex, ushort responder)
    {
        var ping = Decode(pingHex);
        var pong = new byte[KnetFrame.PingSize];

        KnetCodec.WritePing(pong, KnetPacketType.Pong, responder, ping.Link, ping.Timestamp, ping.Seq, ping.Timed);

        // The captured pong_tx answered a different ping than ping_rx_B, so compare only what an echo fixes.
        var expected = Decode(pongHex);
        Assert.Equal(KnetPacketType.Pong, expected.Type);
        Assert.Equal(responder, expected.Node);
        Assert.Equal(Convert.FromHexString(pongHex)[..6], pong[..6]);
    }

    [Fact]
    public void A_ping_on_link_1_carries_link_byte_1()
    {
        var frame = Decode(KnetVectors.PingLink1Plaintext);

        Assert.Equal(2, frame.Node);
        Assert.Equal(1, frame.Link);
        Assert.Equal(78, frame.Seq);
    }

    [Fact]
    public void Pmtud_probe_and_reply_encode_as_captured()
    {
        var probe = new byte[1423];
        KnetCodec.WritePmtud(probe, KnetPacketType.Pmtud, node: 1, link: 0, probedSize: 1500, length: probe.Length);
        var reply = new byte[KnetFrame.PmtudHeaderSize];
        KnetCodec.WritePmtud(reply, KnetPacketType.PmtudReply, node: 2, link: 0, probedSize: 1500, length: reply.Length);

        Assert.Equal("01830001000000dc05" + new string('0', 1414 * 2), Convert.ToHexStringLower(probe));
        Assert.Equal(KnetVectors.PmtudReplyPlaintext, Convert.ToHexStringLower(reply));
        var decoded = Decode(KnetVectors.PmtudReplyPlaintext);
        Assert.Equal(KnetPacketType.PmtudReply, decoded.Type);
        Assert.Equal(1500, decoded.PmtudSize);
        Assert.Equal(2, decoded.Node);
    }

    [Theory]
    [InlineData(KnetVectors.DataOrfTokenPlaintext, 1, 104, false, 1, 0, 57)]
    [InlineData(KnetVectors.DataOrfTokenRetransmitPlaintext, 3, 299, false, 1, 0, 73)]
    [InlineData(KnetVectors.DataMcastPlaintext, 1, 254, true, 1, 0, 750)]
    [InlineData(KnetVectors.Fragment1Plaintext, 2, 9, true, 2, 1, 421)]
    [InlineData(KnetVectors.Fragment2Plaintext, 2, 9, true, 2, 2, 194)]
    public void Captured_data_packets_decode_and_re_encode_byte_for_byte(
        string hex, ushort node, ushort seq, bool broadcast, byte fragmentCount, byte fragmentSeq, int payloadLength)
    {
        var packet = Convert.FromHexString(hex);
        var frame = Decode(hex);

        Assert.Equal(KnetPacketType.Data, frame.Type);
        Assert.Equal(node, frame.Node);
        Assert.Equal(seq, frame.Seq);
        Assert.Equal(broadcast, frame.Broadcast);
        Assert.Equal(fragmentCount, frame.FragmentCount);
        Assert.Equal(fragmentSeq, frame.FragmentSeq);
        Assert.Equal(0, frame.Channel);
        Assert.Equal(0, frame.Compress);
        Assert.Equal(payloadLength, frame.PayloadLength);
        var encoded = new byte[packet.Length];
        KnetCodec.WriteData(encoded, node, seq, broadcast, fragmentCount, fragmentSeq, frame.Channel,
            packet.AsSpan(frame.PayloadOffset, frame.PayloadLength));
        Assert.Equal(packet, encoded);
    }

    [Theory]
    [InlineData(KnetVectors.PingPlaintext, 26)]
    [InlineData(KnetVectors.PmtudReplyPlaintext, 9)]
    [InlineData(KnetVectors.DataJoinPlaintext, 14)]
    public void Every_truncation_below_the_type_minimum_is_rejected(string hex, int minimum)
    {
        var packet = Convert.FromHexString(hex);
        for (var length = 0; length < minimum; length++)
        {
            Assert.Equal(KnetDecodeStatus.Truncated, KnetFrame.TryDecode(packet.AsSpan(0, length), out _));
        }

        Assert.Equal(KnetDecodeStatus.Ok, KnetFrame.TryDecode(packet.AsSpan(0, minimum), out _));
    }

    [Theory]
    [InlineData(0, 2, KnetDecodeStatus.UnsupportedVersion)]
    [InlineData(1, 0x85, KnetDecodeStatus.UnknownType)]
    [InlineData(1, 0x01, KnetDecodeStatus.UnknownType)]
    public void Bad_versions_and_types_are_rejected(int offset, int value, KnetDecodeStatus expected)
    {
        var packet = Convert.FromHexString(KnetVectors.PingPlaintext);
        packet[offset] = (byte)value;

        Assert.Equal(expected, KnetFrame.TryDecode(packet, out _));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 0)]
    [InlineData(2, 3)]
    [InlineData(255, 1)]
    public void Impossible_fragment_numbers_are_rejected(byte fragmentCount, byte fragmentSeq)
    {
        var packet = Convert.FromHexString(KnetVectors.DataJoinPlaintext);
        packet[11] = fragmentCount;
        packet[12] = fragmentSeq;

        Assert.Equal(KnetDecodeStatus.InvalidFragment, KnetFrame.TryDecode(packet, out _));
    }

    [Fact]
    public void Out_of_range_links_and_channels_are_rejected()
    {
        var ping = Convert.FromHexString(KnetVectors.PingPlaintext);
        ping[6] = Limits.LinksMax;
        var data = Convert.FromHexString(KnetVectors.DataJoinPlaintext);
        data[13] = KnetFrame.ChannelsMax;

        Assert.Equal(KnetDecodeStatus.InvalidLink, KnetFrame.TryDecode(ping, out _));
        Assert.Equal(KnetDecodeStatus.InvalidChannel, KnetFrame.TryDecode(data, out _));
    }

    [Fact]
    public void Our_timestamps_round_trip_and_foreign_ones_may_be_refused()
    {
        var instant = new Instant(4_056_299_862);
        Assert.True(KnetTimestamp.FromInstant(instant).TryToInstant(out var back));
        Assert.Equal(instant, back);
        Assert.False(new KnetTimestamp(1, 1_000_000_000).TryToInstant(out _));
        Assert.False(new KnetTimestamp(ulong.MaxValue, 0).TryToInstant(out _));
    }

    [Fact]
    public void Random_bytes_never_make_decoding_throw()
    {
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            var status = KnetFrame.TryDecode(bytes, out var frame);
            Assert.True(status != KnetDecodeStatus.Ok || frame.PayloadLength >= 0);
        });
    }

    private static KnetFrame Decode(string hex)
    {
        Assert.Equal(KnetDecodeStatus.Ok, KnetFrame.TryDecode(Convert.FromHexString(hex), out var frame));
        return frame;
    }
}
