using System.Buffers.Binary;

namespace Rookery.Wire.Knet;

/// <summary>
/// Writers for knet v1 plaintext packets (layouts in <see cref="KnetFrame"/>). Each returns the
/// number of bytes written; the destination must be large enough (a caller error otherwise).
/// </summary>
public static class KnetCodec
{
    /// <summary>Writes a DATA packet: 14-byte header then <paramref name="payload"/>.</summary>
    public static int WriteData(
        Span<byte> destination,
        ushort node,
        ushort seq,
        bool broadcast,
        byte fragmentCount,
        byte fragmentSeq,
        byte channel,
        ReadOnlySpan<byte> payload)
    {
        Invariant.Require(channel < KnetFrame.ChannelsMax);
        Invariant.Require(fragmentCount >= 1 && fragmentCount < KnetFrame.FragmentsMax);
        Invariant.Require(fragmentCount == 1 ? fragmentSeq == 0 : fragmentSeq >= 1 && fragmentSeq <= fragmentCount);
        var length = KnetFrame.DataHeaderSize + payload.Length;
        Invariant.Require(destination.Length >= length);
        WriteHeader(destination, KnetPacketType.Data, node);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], seq);
        destination[8] = 0;
        destination[9] = 0;
        destination[10] = broadcast ? (byte)1 : (byte)0;
        destination[11] = fragmentCount;
        destination[12] = fragmentSeq;
        destination[13] = channel;
        payload.CopyTo(destination[KnetFrame.DataHeaderSize..]);
        return length;
    }

    /// <summary>Writes a PING or PONG (26 bytes). A pong copies link, timestamp, seq and timed from the ping.</summary>
    public static int WritePing(
        Span<byte> destination,
        KnetPacketType type,
        ushort node,
        byte link,
        KnetTimestamp timestamp,
        ushort seq,
        byte timed)
    {
        Invariant.Require(type is KnetPacketType.Ping or KnetPacketType.Pong);
        Invariant.Require(link < Limits.LinksMax);
        Invariant.Require(destination.Length >= KnetFrame.PingSize);
        WriteHeader(destination, type, node);
        destination[6] = link;
        timestamp.Write(destination[7..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[23..], seq);
        destination[25] = timed;
        return KnetFrame.PingSize;
    }

    /// <summary>
    /// Writes a PMTUD probe of <paramref name="length"/> plaintext bytes (9-byte header, zero padding)
    /// or, with <see cref="KnetPacketType.PmtudReply"/> and length 9, the reply.
    /// </summary>
    public static int WritePmtud(Span<byte> destination, KnetPacketType type, ushort node, byte link, ushort probedSize, int length)
    {
        Invariant.Require(type is KnetPacketType.Pmtud or KnetPacketType.PmtudReply);
        Invariant.Require(link < Limits.LinksMax);
        Invariant.Require(length >= KnetFrame.PmtudHeaderSize && destination.Length >= length);
        WriteHeader(destination, type, node);
        destination[6] = link;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[7..], probedSize);
        destination[KnetFrame.PmtudHeaderSize..length].Clear();
        return length;
    }

    private static void WriteHeader(Span<byte> destination, KnetPacketType type, ushort node)
    {
        destination[0] = KnetFrame.Version;
        destination[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], node);
        destination[4] = 0;
        destination[5] = 0;
    }
}
