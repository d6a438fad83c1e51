using CsCheck;
using Rookery.Wire.Totem;

namespace Rookery.Wire.Tests.Totem;

/// <summary>Golden vectors: Totem messages captured from Debian's corosync 3.1.7 (ref/wire-vectors.md §5).</summary>
public sealed class TotemCodecTests
{
    public const string OrfTokenHex = "70c003000001000000020000000f000000cc0000000f0000000000000001000000090000000000000000000000000000000000000000000000";
    public const string OrfTokenRtrHex = "70c00300000300000001000000160000006203000015000000030000000100000009000000000000000000000000000000000000000100000001000000090000000000000016000000";
    public const string JoinHex = "70c003030001000000000000000100000003000000000000000500000000000000010000000300000002000000";
    public const string LeaveHex = "70c003030000000000000000000300000002000000010000000900000000000000010000000200000003000000";
    public const string CommitTokenHex = "70c0030400030000000100000003000000010000000900000000000000000000000300000003000000010000000200000003000000010000000500000000000000060000000600000001000000020000000500000000000000060000000600000001000000030000000500000000000000060000000600000001000000";
    public const string MergeDetectHex = "70c0030200010000000000000001000000010000000900000000000000";
    public const string TokenHoldCancelHex = "70c00305000100000000000000010000000d00000000000000";

    /// <summary>The first 80 bytes of the captured MCAST (header + start of the totempg packet), wire-vectors §5/§6.</summary>
    public const string McastPrefixHex = "70c0030102010000000000000001000000100000000b0000000100000009000000000000000000000000000000000000000000";

    private static readonly RingId Ring19 = new(new NodeId(1), 9);

    public static TheoryData<string> AllVectors => [OrfTokenHex, OrfTokenRtrHex, JoinHex, LeaveHex, CommitTokenHex, MergeDetectHex, TokenHoldCancelHex, McastPrefixHex];

    private static T Decode<T>(string hex)
        where T : TotemMessage
    {
        Assert.Equal(TotemDecodeStatus.Ok, TotemCodec.TryDecode(Convert.FromHexString(hex), out var message));
        return Assert.IsType<T>(message);
    }

    [Fact]
    public void OrfTokenDecodes()
    {
        var token = Decode<OrfToken>(OrfTokenHex);
        Assert.Equal((new NodeId(1), new NodeId(2)), (token.Sender, token.Target));
        Assert.Equal((15u, 204u, 15u, new NodeId(0)), (token.Seq, token.TokenSeq, token.Aru, token.AruAddr));
        Assert.Equal(Ring19, token.RingId);
        Assert.Equal((0u, 0u, 0), (token.Backlog, token.Fcc, token.RetransFlag));
        Assert.Empty(token.RetransmitList);
        Assert.Equal("1.9", token.RingId.ToString());
    }

    [Fact]
    public void OrfTokenWithRetransmitEntryDecodes()
    {
        var token = Decode<OrfToken>(OrfTokenRtrHex);
        Assert.Equal((new NodeId(3), new NodeId(1)), (token.Sender, token.Target));
        Assert.Equal((22u, 866u, 21u, new NodeId(3)), (token.Seq, token.TokenSeq, token.Aru, token.AruAddr));
        Assert.Equal([new RetransmitRequest(Ring19, 22)], token.RetransmitList);
        Assert.Equal(73, TotemCodec.SizeOf(token));
    }

    [Fact]
    public void JoinDecodes()
    {
        var join = Decode<Join>(JoinHex);
        Assert.False(join.IsLeave);
        Assert.Equal(new NodeId(1), join.SystemFrom);
        Assert.Equal([new NodeId(1), new NodeId(3), new NodeId(2)], join.ProcessorList);
        Assert.Empty(join.FailedList);
        Assert.Equal(5UL, join.RingSeq);
    }

    [Fact]
    public void LeaveDecodes()
    {
        var leave = Decode<Join>(LeaveHex);
        Assert.True(leave.IsLeave);
        Assert.Equal(new NodeId(3), leave.SystemFrom);
        Assert.Equal([new NodeId(1), new NodeId(2)], leave.ProcessorList);
        Assert.Equal([new NodeId(3)], leave.FailedList);
        Assert.Equal(9UL, leave.RingSeq);
    }

    [Fact]
    public void CommitTokenDecodes()
    {
        var commit = Decode<CommitToken>(CommitTokenHex);
        Assert.Equal((new NodeId(3), new NodeId(1), 3u), (commit.Sender, commit.Target, commit.TokenSeq));
        Assert.Equal(Ring19, commit.RingId);
        Assert.Equal((0u, 3), (commit.RetransFlag, commit.MemberIndex));
        Assert.Equal([new NodeId(1), new NodeId(2), new NodeId(3)], commit.Members);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(new CommitTokenEntry(new RingId(new NodeId((uint)i + 1), 5), 6, 6, 1), commit.Entries[i]);
        }

        Assert.Equal(125, TotemCodec.SizeOf(commit));
    }

    [Fact]
    public void MergeDetectAndTokenHoldCancelDecode()
    {
        var detect = Decode<MergeDetect>(MergeDetectHex);
        Assert.Equal((new NodeId(1), new NodeId(1), Ring19), (detect.Sender, detect.SystemFrom, detect.RingId));
        var cancel = Decode<TokenHoldCancel>(TokenHoldCancelHex);
        Assert.Equal((new NodeId(1), new RingId(new NodeId(1), 0xd)), (cancel.Sender, cancel.RingId));
    }

    [Fact]
    public void McastHeaderDecodes()
    {
        var mcast = Decode<Mcast>(McastPrefixHex);
        Assert.Equal((TotemEncapsulation.NotEncapsulated, new NodeId(1), new NodeId(0)), (mcast.Encapsulated, mcast.Sender, mcast.Target));
        Assert.Equal((new NodeId(1), 16u, 11, Ring19), (mcast.SystemFrom, mcast.Seq, mcast.ThisSeqno, mcast.RingId));
        Assert.Equal((0u, 0), (mcast.NodeIdField, mcast.Guarantee));
        Assert.False(mcast.IsEncapsulated);
        Assert.Equal(Convert.FromHexString(McastPrefixHex)[45..], mcast.Payload.ToArray());
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void EncodingReproducesTheCapturedBytes(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Equal(TotemDecodeStatus.Ok, TotemCodec.TryDecode(bytes, out var message));
        Assert.Equal(bytes, TotemCodec.Encode(message!));
        Assert.True(TotemCodec.TryPeekType(bytes, out var type));
        Assert.Equal(message!.Type, type);
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void BigEndianSenderDecodesToTheSameMessage(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Equal(TotemDecodeStatus.Ok, TotemCodec.TryDecode(bytes, out var little));
        var big = ToBigEndian(bytes, little!);
        Assert.Equal(0xC0, big[0]);
        Assert.Equal(TotemDecodeStatus.Ok, TotemCodec.TryDecode(big, out var decoded));
        Assert.Equal(TotemCodec.Encode(little!), TotemCodec.Encode(decoded!));
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void EveryTruncationIsRejected(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        var minimum = bytes[3] == (byte)TotemMessageType.Mcast ? Mcast.HeaderSize : bytes.Length;
        for (var length = 0; length < minimum; length++)
        {
            Assert.NotEqual(TotemDecodeStatus.Ok, TotemCodec.TryDecode(bytes.AsSpan(0, length), out var message));
            Assert.Null(message);
        }

        if (bytes[3] != (byte)TotemMessageType.Mcast)
        {
            Assert.Equal(TotemDecodeStatus.LengthMismatch, TotemCodec.TryDecode([.. bytes, 0], out _));
        }
    }

    [Fact]
    public void BadHeadersAreRejectedWithTheirReason()
    {
        var bytes = Convert.FromHexString(JoinHex);
        Assert.Equal(TotemDecodeStatus.BadMagic, TotemCodec.TryDecode([0xfe, 0xfe, .. bytes[2..]], out _));
        Assert.Equal(TotemDecodeStatus.UnsupportedVersion, TotemCodec.TryDecode([.. bytes[..2], 2, .. bytes[3..]], out _));
        Assert.Equal(TotemDecodeStatus.UnknownType, TotemCodec.TryDecode([.. bytes[..3], 9, .. bytes[4..]], out _));
        var token = Convert.FromHexString(OrfTokenHex);
        token[53] = 31;
        Assert.Equal(TotemDecodeStatus.TooManyEntries, TotemCodec.TryDecode(token, out _));
        token[53] = 0xff;
        token[56] = 0xff;
        Assert.Equal(TotemDecodeStatus.TooManyEntries, TotemCodec.TryDecode(token, out _));
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            _ = TotemCodec.TryDecode(bytes, out _);
        });
        Gen.Int[0, 5].Select(Gen.Byte.Array[0, 160]).Sample((type, body) =>
        {
            byte[] bytes = [0x70, 0xc0, 3, (byte)type, .. body];
            if (TotemCodec.TryDecode(bytes, out var message) == TotemDecodeStatus.Ok)
            {
                Assert.Equal(bytes.Length, TotemCodec.SizeOf(message!));
            }
        });
    }

    [Fact]
    public void GeneratedMessagesRoundTrip()
    {
        var ring = Gen.Select(Gen.UInt[0, 65535], Gen.ULong, (rep, seq) => new RingId(new NodeId(rep), seq));
        var nodes = Gen.UInt[1, 65535].Select(v => new NodeId(v)).Array[0, 20];
        var joins = Gen.Select(Gen.UInt[0, 65535], nodes, nodes, Gen.ULong, (from, p, f, seq) => (TotemMessage)new Join(new NodeId(from), default, new NodeId(from), p, f, seq));
        var tokens = Gen.Select(Gen.UInt, Gen.UInt, ring, Gen.Select(ring, Gen.UInt, (r, s) => new RetransmitRequest(r, s)).Array[0, 30], (seq, aru, r, list) =>
            (TotemMessage)new OrfToken(new NodeId(1), new NodeId(2), seq, seq ^ aru, aru, new NodeId(3), r, 7, 9, -1, list));
        var mcasts = Gen.Select(ring, Gen.Byte.Array[0, 300], Gen.UInt, (r, payload, seq) =>
            (TotemMessage)new Mcast(new NodeId(4), default, TotemEncapsulation.Encapsulated, new NodeId(4), seq, -5, r, 0, 1, payload));
        Gen.OneOf(joins, tokens, mcasts).Sample(message =>
        {
            var bytes = TotemCodec.Encode(message);
            Assert.Equal(TotemDecodeStatus.Ok, TotemCodec.TryDecode(bytes, out var decoded));
            Assert.Equal(bytes, TotemCodec.Encode(decoded!));
            Assert.Equal(TotemDecodeStatus.Ok, TotemCodec.TryDecode(ToBigEndian(bytes, message), out var swapped));
            Assert.Equal(bytes, TotemCodec.Encode(swapped!));
        });
    }

    /// <summary>Re-writes a little-endian message as a big-endian host would send it (every field swapped in place).</summary>
    private static byte[] ToBigEndian(byte[] little, TotemMessage message)
    {
        var big = (byte[])little.Clone();
        var offset = 0;
        void Swap(params int[] widths)
        {
            foreach (var width in widths)
            {
                Array.Reverse(big, offset, width);
                offset += width;
            }
        }

        Swap(2, 1, 1, 1, 4, 4);
        switch (message)
        {
            case OrfToken t:
                Swap(4, 4, 4, 4, 4, 8, 4, 4, 4, 4);
                for (var i = 0; i < t.RetransmitList.Count; i++)
                {
                    Swap(4, 8, 4);
                }

                break;
            case Mcast:
                Swap(4, 4, 4, 4, 8, 4, 4);
                break;
            case MergeDetect:
                Swap(4, 4, 8);
                break;
            case Join j:
                Swap(4, 4, 4, 8);
                for (var i = 0; i < j.ProcessorList.Count + j.FailedList.Count; i++)
                {
                    Swap(4);
                }

                break;
            case CommitToken c:
                Swap(4, 4, 8, 4, 4, 4);
                for (var i = 0; i < c.Members.Count; i++)
                {
                    Swap(4);
                }

                for (var i = 0; i < c.Members.Count; i++)
                {
                    Swap(4, 8, 4, 4, 4);
                }

                break;
            case TokenHoldCancel:
                Swap(4, 8);
                break;
        }

        return big;
    }
}
