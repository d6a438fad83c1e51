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
 *
 * Deviation from corosync, which packs at submit time into packets that wait for the token: Rookery
 * queues the messages and cuts packets when the token lets them go (the same packets: corosync
 * flushes its partly filled packet when the token arrives). So a message whose first fragments were
 * ordered in one ring and whose rest would be ordered in the next can be sent again whole
 * (<see cref="TotemPgPacker.RestartPartialMessage"/>): every member of a ring starts it with empty
 * assemblies, a joiner has no start to continue, and a message must be delivered by all or none.
 *
 * corosync's receiver keeps a sender's assembly across ring changes (it frees only those of nodes that
 * left) and keeps two sets, one used while waiting for the trans ack and one after; a continuation
 * that does not match the last fragment number throws away everything from that sender up to a packet
 * that ends on a message boundary. A message sent again whole would meet such a stale assembly and be
 * lost at the corosync members only. So after a ring in which this node sent a fragment, each packer
 * begins the new ring with a reset packet (<see cref="TotemPgPacker.RequestReset"/>): the bare header,
 * no message, fragmented = continuation = 0. corosync never sends one (it sends nothing without a
 * message); its receiver, whatever its state, delivers nothing from it and ends with the assembly freed.
 * Rookery's receiver takes it as the same reset.
 */

/// <summary>Queues application messages and cuts them into totempg packets when the token lets them go (sender side).</summary>
public sealed class TotemPgPacker
{
    public const int HeaderSize = 8;

    private readonly int _packetSizeMax;
    private readonly Queue<ReadOnlyMemory<byte>> _messages = new();
    private readonly List<ReadOnlyMemory<byte>> _pieces = [];
    private long _queuedBytes;
    private int _offset;
    private byte _continuation;
    private byte _lastFragmentNumber;
    private bool _resetPending;
    private bool _fragmentSent;

    /// <param name="packetSizeMax">Largest packet (MCAST payload), corosync's net_mtu − 90.</param>
    public TotemPgPacker(int packetSizeMax)
    {
        Invariant.Require(packetSizeMax is > HeaderSize + 16 and <= ushort.MaxValue);
        _packetSizeMax = packetSizeMax;
    }

    /// <summary>True when no message (or part of one) and no reset packet waits to be cut.</summary>
    public bool IsEmpty => _messages.Count == 0 && !_resetPending;

    /// <summary>True when a packet this packer cut since its last reset packet ended in a fragment.</summary>
    public bool FragmentSent => _fragmentSent;

    /// <summary>Packets the waiting messages fill at least (a lower bound that fragment headers exceed by at most one a message).</summary>
    public int PacketsPending
    {
        get
        {
            var reset = _resetPending ? 1 : 0;
            if (_messages.Count == 0)
            {
                return reset;
            }

            var bytes = _queuedBytes + (2L * _messages.Count);
            var perPacket = _packetSizeMax - HeaderSize;
            return (int)Math.Min(int.MaxValue - 1, (bytes + perPacket - 1) / perPacket) + reset;
        }
    }

    /// <summary>Packets that <paramref name="messageSize"/> bytes may need (corosync <c>byte_count_send_ok</c>).</summary>
    public int PacketsNeeded(int messageSize) => (messageSize / (_packetSizeMax - HeaderSize - 16)) + 2;

    /// <summary>Queues one message (the caller keeps the bytes unchanged until they are packed).</summary>
    public void Add(ReadOnlyMemory<byte> message)
    {
        _messages.Enqueue(message);
        _queuedBytes += message.Length;
    }

    /// <summary>
    /// The next packet cut is a reset packet (the bare header: no message, fragmented = continuation = 0), ahead of
    /// any waiting message; see the file's remarks.
    /// </summary>
    public void RequestReset() => _resetPending = true;

    /// <summary>Cuts the next packet from the waiting messages; false when none waits.</summary>
    public bool TryTake(out byte[] packet)
    {
        if (_resetPending)
        {
            _resetPending = false;
            _fragmentSent = false;
            _continuation = 0;
            packet = new byte[HeaderSize];
            return true;
        }

        if (_messages.Count == 0)
        {
            packet = [];
            return false;
        }

        var continuation = _continuation;
        var dataSize = 0;
        byte fragmented = 0;
        while (_messages.Count > 0)
        {
            var remaining = _messages.Peek()[_offset..];
            var space = _packetSizeMax - HeaderSize - (2 * (_pieces.Count + 1)) - dataSize;
            if (remaining.Length <= space)
            {
                _pieces.Add(remaining);
                dataSize += remaining.Length;
                _queuedBytes -= remaining.Length;
                _messages.Dequeue();
                _offset = 0;
                continue;
            }

            if (space > 0)
            {
                _pieces.Add(remaining[..space]);
                dataSize += space;
                _queuedBytes -= space;
                _offset += space;
                _lastFragmentNumber = _lastFragmentNumber == byte.MaxValue ? (byte)1 : (byte)(_lastFragmentNumber + 1);
                fragmented = _lastFragmentNumber;
                _fragmentSent = true;
            }

            break;
        }

        _continuation = fragmented;
        packet = Build(fragmented, continuation, dataSize);
        return true;
    }

    /// <summary>Packs every waiting message into <paramref name="packets"/>.</summary>
    public void TakeAll(List<byte[]> packets)
    {
        while (TryTake(out var packet))
        {
            packets.Add(packet);
        }
    }

    /// <summary>
    /// The ring changed while the first waiting message was partly sent: its fragments so far belong to a
    /// configuration whose assemblies the receivers have dropped, so it is sent again from its start.
    /// Returns true when there was such a message.
    /// </summary>
    public bool RestartPartialMessage()
    {
        if (_offset == 0)
        {
            return false;
        }

        _queuedBytes += _offset;
        _offset = 0;
        _continuation = 0;
        return true;
    }

    private byte[] Build(byte fragmented, byte continuation, int dataSize)
    {
        var packet = new byte[HeaderSize + (2 * _pieces.Count) + dataSize];
        packet[4] = fragmented;
        packet[5] = continuation;
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
        var found = new List<ReadOnlyMemory<byte>>();
        Deliver(packet, null, found);
        foreach (var message in found)
        {
            messages.Add(message.ToArray());
        }
    }

    /// <summary>
    /// Feeds one packet whose bytes never change: a message that is not fragmented comes out as a slice of
    /// <paramref name="packet"/> (no copy); a reassembled one in an array of its own. Never throws on bad input.
    /// </summary>
    public void Deliver(ReadOnlyMemory<byte> packet, List<ReadOnlyMemory<byte>> messages) => Deliver(packet.Span, packet, messages);

    private void Deliver(ReadOnlySpan<byte> packet, ReadOnlyMemory<byte>? owned, List<ReadOnlyMemory<byte>> messages)
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
        if (count == 0 && fragmented == 0 && continuation == 0 && packet.Length == TotemPgPacker.HeaderSize)
        {
            // A reset packet (TotemPgPacker.RequestReset): whatever was assembled from this sender is gone.
            _partial.ResetWrittenCount();
            _throwAway = false;
            return;
        }

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
            var pieceOffset = offset;
            offset += length;
            var isFirst = i == 0;
            var isLast = i == count - 1;
            if (owned is { } whole && !(isFirst && continuation != 0) && !(isLast && fragmented != 0))
            {
                // A whole message in this packet: hand out the slice.
                _partial.ResetWrittenCount();
                _throwAway = false;
                if (length > _messageSizeMax)
                {
                    Dropped++;
                    continue;
                }

                messages.Add(whole.Slice(pieceOffset, length));
                continue;
            }

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
