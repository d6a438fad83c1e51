using System.Buffers;
using System.Buffers.Binary;

namespace Rookery.Totem;

/*
 * totempg: packing and fragmentation of application messages into Totem MCAST payloads
 * (corosync exec/totempg.c `mcast_msg`, `totempg_deliver_fn`).
 *
 * A packet is an 8-byte header {i16 version = 0, i16 type = 0, u8 fragmented, u8 continuation,
 * u16 msg_count}, then msg_count u16 lengths, then the messages back to back, all little-endian.
 * Small messages share a packet. A message that does not fit fills the packet and the packet's
 * `fragmented` byte gets a fragment number (1..255, skipping 0); the sender's next packet carries
 * that number in `continuation` and starts with the rest of the message. The receiver keeps one
 * assembly per sender; a continuation that does not match the sender's last fragment number
 * throws the partial message away.
 */

/// <summary>Packs application messages into totempg packets (sender side).</summary>
public sealed class TotemPgPacker
{
    public const int HeaderSize = 8;

    private readonly int _packetSizeMax;
    private readonly List<ReadOnlyMemory<byte>> _pieces = [];
    private int _dataSize;
    private byte _continuation;
    private byte _lastFragmentNumber;

    /// <param name="packetSizeMax">Largest packet (MCAST payload), corosync's net_mtu − 90.</param>
    public TotemPgPacker(int packetSizeMax)
    {
        Invariant.Require(packetSizeMax is > HeaderSize + 16 and <= ushort.MaxValue);
        _packetSizeMax = packetSizeMax;
    }

    /// <summary>True when a partially filled packet is waiting for <see cref="Flush"/>.</summary>
    public bool HasPartialPacket => _pieces.Count > 0;

    /// <summary>Packets that <paramref name="messageSize"/> bytes may need (corosync <c>byte_count_send_ok</c>).</summary>
    public int PacketsNeeded(int messageSize) => (messageSize / (_packetSizeMax - HeaderSize - 16)) + 2;

    /// <summary>Adds one message; every packet it completes is appended to <paramref name="packets"/>.</summary>
    public void Add(ReadOnlyMemory<byte> message, List<byte[]> packets)
    {
        var remaining = message;
        while (true)
        {
            var space = _packetSizeMax - HeaderSize - (2 * (_pieces.Count + 1)) - _dataSize;
            if (remaining.Length <= space)
            {
                _pieces.Add(remaining);
                _dataSize += remaining.Length;
                return;
            }

            if (space <= 0)
            {
                packets.Add(Build(fragmented: 0));
                continue;
            }

            _pieces.Add(remaining[..space]);
            _dataSize += space;
            remaining = remaining[space..];
            _lastFragmentNumber = _lastFragmentNumber == byte.MaxValue ? (byte)1 : (byte)(_lastFragmentNumber + 1);
            var number = _lastFragmentNumber;
            packets.Add(Build(fragmented: number));
            _continuation = number;
        }
    }

    /// <summary>Closes the partially filled packet, if any.</summary>
    public void Flush(List<byte[]> packets)
    {
        if (_pieces.Count > 0)
        {
            packets.Add(Build(fragmented: 0));
        }
    }

    private byte[] Build(byte fragmented)
    {
        var packet = new byte[HeaderSize + (2 * _pieces.Count) + _dataSize];
        packet[4] = fragmented;
        packet[5] = _continuation;
        BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(6), (ushort)_pieces.Count);
        var offset = HeaderSize;
        foreach (var piece in _pieces)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(offset), (ushort)piece.Length);
            offset += 2;
        }

        foreach (var piece in _pieces)
        {
            piece.Span.CopyTo(packet.AsSpan(offset));
            offset += piece.Length;
        }

        _pieces.Clear();
        _dataSize = 0;
        _continuation = 0;
        return packet;
    }
}

/// <summary>Reassembles application messages from one sender's totempg packets (receiver side).</summary>
public sealed class TotemPgAssembler
{
    private readonly int _messageSizeMax;
    private readonly ArrayBufferWriter<byte> _partial = new();
    private byte _expectedContinuation;
    private bool _throwAway;

    public TotemPgAssembler(int messageSizeMax) => _messageSizeMax = messageSizeMax;

    /// <summary>Packets that were malformed, or continuations that did not match (counted, then dropped).</summary>
    public int Dropped { get; private set; }

    /// <summary>Feeds one packet; complete messages are appended to <paramref name="messages"/>. Never throws on bad input.</summary>
    public void Deliver(ReadOnlySpan<byte> packet, List<byte[]> messages)
    {
        if (packet.Length < TotemPgPacker.HeaderSize)
        {
            Dropped++;
            return;
        }

        var fragmented = packet[4];
        var continuation = packet[5];
        int count = BinaryPrimitives.ReadUInt16LittleEndian(packet[6..]);
        var dataOffset = TotemPgPacker.HeaderSize + (2 * count);
        if (count == 0 || dataOffset > packet.Length)
        {
            Dropped++;
            return;
        }

        var total = 0;
        for (var i = 0; i < count; i++)
        {
            total += BinaryPrimitives.ReadUInt16LittleEndian(packet[(TotemPgPacker.HeaderSize + (2 * i))..]);
        }

        if (dataOffset + total != packet.Length)
        {
            Dropped++;
            return;
        }

        var offset = dataOffset;
        for (var i = 0; i < count; i++)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(packet[(TotemPgPacker.HeaderSize + (2 * i))..]);
            var piece = packet.Slice(offset, length);
            offset += length;
            var isFirst = i == 0;
            var isLast = i == count - 1;
            if (isFirst && continuation != 0)
            {
                if (_throwAway || _partial.WrittenCount == 0 || continuation != _expectedContinuation)
                {
                    // The start of this message was lost (ring change or a hole skipped in recovery).
                    Dropped++;
                    _partial.ResetWrittenCount();
                    _throwAway = true;
                }
                else
                {
                    Append(piece);
                }
            }
            else
            {
                _partial.ResetWrittenCount();
                _throwAway = false;
                Append(piece);
            }

            if (isLast && fragmented != 0)
            {
                _expectedContinuation = fragmented;
                return;
            }

            if (!_throwAway)
            {
                messages.Add(_partial.WrittenSpan.ToArray());
            }

            _partial.ResetWrittenCount();
            _throwAway = false;
        }
    }

    /// <summary>Forgets a partial message (its sender left the configuration).</summary>
    public void Reset()
    {
        _partial.ResetWrittenCount();
        _throwAway = false;
        _expectedContinuation = 0;
    }

    private void Append(ReadOnlySpan<byte> piece)
    {
        if (_partial.WrittenCount + piece.Length > _messageSizeMax)
        {
            Dropped++;
            _partial.ResetWrittenCount();
            _throwAway = true;
            return;
        }

        _partial.Write(piece);
    }
}
