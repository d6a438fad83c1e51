using System.Buffers.Binary;

namespace Rookery.Simulation.Checking;

/// <summary>
/// The bytes of a workload message: a header naming the message, then filler derived from the
/// header, so a checker can tell any delivered payload apart, and see corruption or truncation.
/// <code>
/// offset size field
///      0    4 magic        0x524B534D ("RKSM")
///      4    4 sender node
///      8    4 incarnation
///     12    8 sequence     per sending process, from 1
///     20    4 total length including this header
///     24    … filler       byte i = f(sender, incarnation, sequence, i)
/// </code>
/// </summary>
public static class MessageStamp
{
    public const int HeaderSize = 24;
    public const uint Magic = 0x524B534D;

    public static byte[] Create(MessageId id, int sizeBytes)
    {
        Invariant.Require(sizeBytes >= HeaderSize);
        var bytes = new byte[sizeBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(0, 4), Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4, 4), id.Sender.Node.Value);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8, 4), id.Sender.Incarnation);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12, 8), id.Sequence);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(20, 4), sizeBytes);
        var seed = Filler(id);
        for (var i = HeaderSize; i < sizeBytes; i++)
        {
            bytes[i] = (byte)(seed + (uint)i * 0x9Du);
        }

        return bytes;
    }

    /// <summary>True when <paramref name="payload"/> looks like a workload message at all (the magic matches).</summary>
    public static bool IsStamped(ReadOnlySpan<byte> payload) =>
        payload.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(payload) == Magic;

    /// <summary>Reads and verifies a delivered payload; false (and a reason) when it is not exactly what was sent.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out MessageId id, out string? problem)
    {
        id = default;
        if (payload.Length < HeaderSize || !IsStamped(payload))
        {
            problem = $"payload of {payload.Length} bytes is not a workload message";
            return false;
        }

        var node = new NodeId(BinaryPrimitives.ReadUInt32LittleEndian(payload[4..8]));
        var incarnation = BinaryPrimitives.ReadInt32LittleEndian(payload[8..12]);
        id = new MessageId(new ProcessId(node, incarnation), BinaryPrimitives.ReadUInt64LittleEndian(payload[12..20]));
        var length = BinaryPrimitives.ReadInt32LittleEndian(payload[20..24]);
        if (length != payload.Length)
        {
            problem = $"message {id} is {payload.Length} bytes, was sent with {length}";
            return false;
        }

        var seed = Filler(id);
        for (var i = HeaderSize; i < payload.Length; i++)
        {
            if (payload[i] != (byte)(seed + (uint)i * 0x9Du))
            {
                problem = $"message {id} differs from what was sent at byte {i}";
                return false;
            }
        }

        problem = null;
        return true;
    }

    private static uint Filler(MessageId id) =>
        unchecked((uint)(id.Sender.Node.Value * 2654435761u) ^ (uint)id.Sender.Incarnation * 40503u ^ (uint)id.Sequence * 2246822519u);
}
