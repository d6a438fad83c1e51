using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Rookery.Control;

namespace Rookery.Cli.Formatting;

/// <summary>
/// The numbered messages of <c>rookery group send</c> and the JSON lines of <c>rookery group watch</c>
/// (architecture.md §5), so that scripts and people can check order and loss, as corosync's testcpg allows.
/// </summary>
public static class GroupEventFormatter
{
    /// <summary>Smallest payload that can carry a sequence number: the 4-byte marker and a 64-bit number.</summary>
    public const int SequencedSizeMin = 12;

    private static ReadOnlySpan<byte> Marker => "rkq1"u8;

    /// <summary>A payload of <paramref name="size"/> bytes carrying <paramref name="sequence"/> (little-endian after the marker, then filler).</summary>
    public static byte[] SequencedPayload(ulong sequence, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, SequencedSizeMin);
        var payload = new byte[size];
        Marker.CopyTo(payload);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(4), sequence);
        for (var i = SequencedSizeMin; i < size; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        return payload;
    }

    /// <summary>The sender's sequence number, when the payload came from <c>group send</c>.</summary>
    public static ulong? TryReadSequence(ReadOnlySpan<byte> payload) =>
        payload.Length >= SequencedSizeMin && payload[..4].SequenceEqual(Marker)
            ? BinaryPrimitives.ReadUInt64LittleEndian(payload[4..])
            : null;

    /// <summary>One <c>group watch</c> line (no newline).</summary>
    public static string ToJsonLine(GroupEvent groupEvent)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("event", groupEvent.Event);
            writer.WriteString("group", groupEvent.Group);
            if (groupEvent.Event == GroupEvent.Deliver)
            {
                writer.WriteNumber("nodeid", groupEvent.Nodeid ?? 0);
                writer.WriteNumber("pid", groupEvent.Pid ?? 0);
                if (TryReadSequence(groupEvent.Data) is { } sequence)
                {
                    writer.WriteNumber("seq", sequence);
                }
                else
                {
                    writer.WriteNull("seq");
                }

                writer.WriteNumber("size", groupEvent.Size ?? groupEvent.Data?.Length ?? 0);
            }
            else
            {
                WriteMembers(writer, "members", groupEvent.Members, withReason: false);
                WriteMembers(writer, "joined", groupEvent.Joined, withReason: true);
                WriteMembers(writer, "left", groupEvent.Left, withReason: true);
            }

            writer.WriteString("ring_id", groupEvent.RingId);
            writer.WriteNumber("time", groupEvent.Time);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteMembers(Utf8JsonWriter writer, string name, IReadOnlyList<GroupMember>? members, bool withReason)
    {
        writer.WriteStartArray(name);
        foreach (var member in members ?? [])
        {
            writer.WriteStartObject();
            writer.WriteNumber("nodeid", member.Nodeid);
            writer.WriteNumber("pid", member.Pid);
            if (withReason && member.Reason is not null)
            {
                writer.WriteString("reason", member.Reason);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
