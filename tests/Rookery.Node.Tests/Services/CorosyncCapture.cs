using System.Buffers.Binary;
using Rookery.Totem;
using Rookery.Wire.Knet;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Node.Tests.Services;

/// <summary>One application message inside a captured MCAST: its totempg group and the service message after the group header.</summary>
public sealed record CapturedMessage(string Group, byte[] Body)
{
    public bool IsSync => Group == "sync";

    public int Id => BinaryPrimitives.ReadInt32LittleEndian(Body);
}

/// <summary>A distinct Totem MCAST of a ring (the first copy captured), with the messages of its totempg packet in order.</summary>
public sealed record CapturedMcast(RingId RingId, uint Seq, NodeId Sender, IReadOnlyList<CapturedMessage> Messages);

/// <summary>
/// Reads the plaintext captures of real corosync 3.1.7 nodes (Fixtures/corosync-sync, trimmed from
/// shared/ref/corosync-sync by its trim.py) with Rookery's own decoders only: classic pcap → IPv4/UDP → knet
/// (<see cref="KnetFrame"/>, fragments joined) → Totem (<see cref="TotemCodec"/>) → totempg
/// (<see cref="TotemPgAssembler"/>) → group header (<see cref="GroupHeader"/>). The result is every ring's agreed
/// order: its distinct MCASTs by sequence number.
/// </summary>
public static class CorosyncCapture
{
    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "corosync-sync", name);

    /// <summary>The main capture (steps a–f) and the one where cpg clients stay joined across a membership change.</summary>
    public static IReadOnlyDictionary<RingId, IReadOnlyList<CapturedMcast>> Main { get; } =
        Read(FixturePath("main-link0-cbbrA.pcap"), FixturePath("main-link1-cbbrB.pcap"));

    public static IReadOnlyDictionary<RingId, IReadOnlyList<CapturedMcast>> CpgJoined { get; } = Read(FixturePath("extra-link1-cbbrB.pcap"));

    public static RingId Ring(uint representative, ulong sequence) => new(new NodeId(representative), sequence);

    public static IReadOnlyDictionary<RingId, IReadOnlyList<CapturedMcast>> Read(params string[] pcaps)
    {
        var datagrams = pcaps.SelectMany(ReadUdp).OrderBy(d => d.Time).ToList();
        var fragments = new Dictionary<(ushort Node, uint Destination, ushort Seq), byte[]?[]>();
        var mcasts = new SortedDictionary<(RingId Ring, uint Seq), Mcast>();
        foreach (var (_, destination, payload) in datagrams)
        {
            if (KnetFrame.TryDecode(payload, out var frame) != KnetDecodeStatus.Ok || frame.Type != KnetPacketType.Data)
            {
                continue;
            }

            var data = payload.AsSpan(frame.PayloadOffset, frame.PayloadLength).ToArray();
            if (frame.FragmentCount > 1)
            {
                var key = (frame.Node, destination, frame.Seq);
                if (!fragments.TryGetValue(key, out var parts))
                {
                    parts = new byte[]?[frame.FragmentCount];
                    fragments[key] = parts;
                }

                parts[frame.FragmentSeq - 1] = data;
                if (parts.Any(p => p is null))
                {
                    continue;
                }

                fragments.Remove(key);
                data = parts.SelectMany(p => p!).ToArray();
            }

            if (TotemCodec.TryDecode(data, out var message) == TotemDecodeStatus.Ok && message is Mcast mcast && !mcast.IsEncapsulated)
            {
                mcasts.TryAdd((mcast.RingId, mcast.Seq), mcast);
            }
        }

        var result = new Dictionary<RingId, IReadOnlyList<CapturedMcast>>();
        foreach (var ring in mcasts.Keys.Select(k => k.Ring).Distinct())
        {
            var assemblers = new Dictionary<NodeId, TotemPgAssembler>();
            var list = new List<CapturedMcast>();
            foreach (var mcast in mcasts.Where(m => m.Key.Ring == ring).Select(m => m.Value).OrderBy(m => m.Seq))
            {
                if (!assemblers.TryGetValue(mcast.SystemFrom, out var assembler))
                {
                    assembler = new TotemPgAssembler(TotemLimits.MessageSizeMax);
                    assemblers[mcast.SystemFrom] = assembler;
                }

                var messages = new List<byte[]>();
                assembler.Deliver(mcast.Payload.Span, messages);
                list.Add(new CapturedMcast(ring, mcast.Seq, mcast.SystemFrom, messages.Select(Unwrap).ToArray()));
            }

            result[ring] = list;
        }

        return result;
    }

    private static CapturedMessage Unwrap(byte[] message)
    {
        foreach (var group in new[] { "sync", "a" })
        {
            if (GroupHeader.TryUnwrap(message, System.Text.Encoding.ASCII.GetBytes(group), out var matches, out var body) == ServiceDecodeStatus.Ok && matches)
            {
                return new CapturedMessage(group, body.ToArray());
            }
        }

        throw new InvalidDataException("a captured message names neither group \"sync\" nor \"a\"");
    }

    /// <summary>UDP payloads of a classic little-endian pcap of Ethernet frames, with capture time and IPv4 destination.</summary>
    private static IEnumerable<(double Time, uint Destination, byte[] Payload)> ReadUdp(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 24 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != 0xA1B2C3D4 || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)) != 1)
        {
            throw new InvalidDataException($"{path}: not a classic little-endian pcap of Ethernet frames");
        }

        var offset = 24;
        while (offset + 16 <= bytes.Length)
        {
            var seconds = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
            var micros = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4));
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8));
            var frame = bytes.AsSpan(offset + 16, length);
            offset += 16 + length;
            if (frame.Length < 42 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800 || frame[23] != 17)
            {
                continue;
            }

            var ipHeader = (frame[14] & 0x0F) * 4;
            var destination = BinaryPrimitives.ReadUInt32BigEndian(frame[30..]);
            var udpLength = BinaryPrimitives.ReadUInt16BigEndian(frame[(14 + ipHeader + 4)..]);
            yield return (seconds + (micros / 1e6), destination, frame.Slice(14 + ipHeader + 8, udpLength - 8).ToArray());
        }
    }
}
