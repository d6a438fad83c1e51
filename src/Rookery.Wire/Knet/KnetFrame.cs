using System.Buffers.Binary;

namespace Rookery.Wire.Knet;

/// <summary>
/// A decoded knet on-wire version 1 packet (the plaintext, after the crypto envelope is removed).
/// Fields that do not belong to <see cref="Type"/> are zero. The payload of a DATA packet stays in
/// the caller's buffer: <see cref="PayloadOffset"/> and <see cref="PayloadLength"/> locate it.
/// </summary>
/// <remarks>
/// Layout (libknet <c>onwire.h</c>, knet-spec §1.2–§1.5, all structures packed):
/// <code>
/// off size field              encoding
///   0   1  kh_version         1
///   1   1  kh_type            KnetPacketType
///   2   2  kh_node            u16 big-endian: the sender of this datagram
///   4   2  pad                0 on send, ignored on receive
/// DATA (header 14 bytes):
///   6   2  seq_num            u16 big-endian, never 0
///   8   1  compress           0 = none
///   9   1  pad
///  10   1  bcast              1 broadcast, 0 unicast (informational)
///  11   1  frag_num           1 = not fragmented
///  12   1  frag_seq           0 when not fragmented, else 1..frag_num
///  13   1  channel            0..31
///  14   n  user data
/// PING / PONG (26 bytes):
///   6   1  link               the pinger's link id
///   7  16  time               opaque to everyone but the pinger, echoed verbatim
///  23   2  seq_num            u16 big-endian: the pinger's last data seq
///  25   1  timed              1 periodic, 0 forced burst
/// PMTUD (padded to the probed size) / PMTUD_REPLY (9 bytes):
///   6   1  link
///   7   2  size               u16 little-endian (libknet host order): probed IP packet size
/// </code>
/// </remarks>
public readonly record struct KnetFrame
{
    /// <summary>Common header size (<c>KNET_HEADER_SIZE</c>).</summary>
    public const int HeaderSize = 6;

    /// <summary>DATA header size (common header + data header).</summary>
    public const int DataHeaderSize = 14;

    /// <summary>PING/PONG packet size (<c>KNET_HEADER_PING_SIZE</c>).</summary>
    public const int PingSize = 26;

    /// <summary>PMTUD header size, also the whole PMTUD_REPLY (<c>KNET_HEADER_PMTUD_SIZE</c>).</summary>
    public const int PmtudHeaderSize = 9;

    /// <summary>Header + largest union member (<c>KNET_HEADER_ALL_SIZE</c>); knet's MTU arithmetic subtracts this.</summary>
    public const int HeaderAllSize = 26;

    /// <summary>The only on-wire version knet 1.x and 2.x speak.</summary>
    public const byte Version = 1;

    /// <summary>Application channels (<c>KNET_DATAFD_MAX</c>).</summary>
    public const int ChannelsMax = 32;

    /// <summary>Fragment numbers at or above this are rejected (knet 1.35).</summary>
    public const int FragmentsMax = 255;

    /// <summary>Largest application message (<c>KNET_MAX_PACKET_SIZE</c>).</summary>
    public const int MessageSizeMax = 65536;

    /// <summary>Packet type.</summary>
    public KnetPacketType Type { get; init; }

    /// <summary>Sender of this datagram (<c>kh_node</c>); for a PONG or PMTUD_REPLY the responder.</summary>
    public ushort Node { get; init; }

    /// <summary>PING/PONG/PMTUD/PMTUD_REPLY: the link id of the node that started the exchange.</summary>
    public byte Link { get; init; }

    /// <summary>PING/PONG: the 16 echoed timestamp bytes.</summary>
    public KnetTimestamp Timestamp { get; init; }

    /// <summary>DATA: the packet seq; PING/PONG: the pinger's last data seq.</summary>
    public ushort Seq { get; init; }

    /// <summary>PING/PONG: the raw <c>timed</c> byte (1 periodic, 0 forced), kept raw so a pong echoes it.</summary>
    public byte Timed { get; init; }

    /// <summary>PMTUD/PMTUD_REPLY: the probed on-wire size including IP and UDP headers.</summary>
    public ushort PmtudSize { get; init; }

    /// <summary>DATA: compression model id (0 = none).</summary>
    public byte Compress { get; init; }

    /// <summary>DATA: the broadcast flag.</summary>
    public bool Broadcast { get; init; }

    /// <summary>DATA: number of fragments (1 = whole message).</summary>
    public byte FragmentCount { get; init; }

    /// <summary>DATA: 0 for a whole message, else 1..<see cref="FragmentCount"/>.</summary>
    public byte FragmentSeq { get; init; }

    /// <summary>DATA: application channel.</summary>
    public byte Channel { get; init; }

    /// <summary>DATA: where the user data starts in the decoded packet.</summary>
    public int PayloadOffset { get; init; }

    /// <summary>DATA: user data length.</summary>
    public int PayloadLength { get; init; }

    /// <summary>Whether this is a link-level packet (type bit 0x80: PING, PONG, PMTUD, PMTUD_REPLY).</summary>
    public bool IsLinkLevel => ((byte)Type & 0x80) != 0;

    /// <summary>
    /// Decodes one plaintext knet packet. Never throws: every malformed input gets a status.
    /// </summary>
    /// <param name="packet">Untrusted bytes: they crossed the network.</param>
    /// <param name="frame">The decoded packet when the status is <see cref="KnetDecodeStatus.Ok"/>.</param>
    public static KnetDecodeStatus TryDecode(ReadOnlySpan<byte> packet, out KnetFrame frame)
    {
        frame = default;
        if (packet.Length < HeaderSize + 1)
        {
            return KnetDecodeStatus.Truncated;
        }

        if (packet[0] != Version)
        {
            return KnetDecodeStatus.UnsupportedVersion;
        }

        var type = (KnetPacketType)packet[1];
        var node = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        switch (type)
        {
            case KnetPacketType.Data:
                return DecodeData(packet, node, out frame);
            case KnetPacketType.Ping:
            case KnetPacketType.Pong:
            {
                var status = CheckLinkLevel(packet, PingSize);
                frame = status == KnetDecodeStatus.Ok ? ReadPing(packet, type, node) : default;
                return status;
            }

            case KnetPacketType.Pmtud:
            case KnetPacketType.PmtudReply:
            {
                var status = CheckLinkLevel(packet, PmtudHeaderSize);
                frame = status == KnetDecodeStatus.Ok ? ReadPmtud(packet, type, node) : default;
                return status;
            }

            default:
                return KnetDecodeStatus.UnknownType;
        }
    }

    private static KnetDecodeStatus DecodeData(ReadOnlySpan<byte> packet, ushort node, out KnetFrame frame)
    {
        frame = default;
        if (packet.Length < DataHeaderSize)
        {
            return KnetDecodeStatus.Truncated;
        }

        var fragmentCount = packet[11];
        var fragmentSeq = packet[12];
        var isWhole = fragmentCount == 1 && fragmentSeq == 0;
        var isFragment = fragmentCount is > 1 and < FragmentsMax && fragmentSeq >= 1 && fragmentSeq <= fragmentCount;
        if (!isWhole && !isFragment)
        {
            return KnetDecodeStatus.InvalidFragment;
        }

        var channel = packet[13];
        if (channel >= ChannelsMax)
        {
            return KnetDecodeStatus.InvalidChannel;
        }

        frame = new KnetFrame
        {
            Type = KnetPacketType.Data,
            Node = node,
            Seq = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]),
            Compress = packet[8],
            Broadcast = packet[10] != 0,
            FragmentCount = fragmentCount,
            FragmentSeq = fragmentSeq,
            Channel = channel,
            PayloadOffset = DataHeaderSize,
            PayloadLength = packet.Length - DataHeaderSize,
        };
        return KnetDecodeStatus.Ok;
    }

    /// <summary>PING/PONG/PMTUD/PMTUD_REPLY need a minimum size and a link byte below <see cref="Limits.LinksMax"/>.</summary>
    private static KnetDecodeStatus CheckLinkLevel(ReadOnlySpan<byte> packet, int sizeMin) =>
        packet.Length < sizeMin ? KnetDecodeStatus.Truncated
        : packet[6] >= Limits.LinksMax ? KnetDecodeStatus.InvalidLink
        : KnetDecodeStatus.Ok;

    private static KnetFrame ReadPing(ReadOnlySpan<byte> packet, KnetPacketType type, ushort node) => new()
    {
        Type = type,
        Node = node,
        Link = packet[6],
        Timestamp = KnetTimestamp.Read(packet[7..]),
        Seq = BinaryPrimitives.ReadUInt16BigEndian(packet[23..]),
        Timed = packet[25],
    };

    private static KnetFrame ReadPmtud(ReadOnlySpan<byte> packet, KnetPacketType type, ushort node) => new()
    {
        Type = type,
        Node = node,
        Link = packet[6],
        PmtudSize = BinaryPrimitives.ReadUInt16LittleEndian(packet[7..]),
        PayloadLength = packet.Length - PmtudHeaderSize,
    };
}
