using System.Buffers.Binary;

namespace Rookery.Wire.Services;

/// <summary>
/// The totempg group header in front of every application message (corosync-spec §4.2): u16 group
/// count G, G × u16 name lengths, then the names back to back; the service message follows. The
/// executive sends every service message in group "a" and the synchronisation barriers in group "sync".
/// </summary>
public static class GroupHeader
{
    /// <summary>Groups named in one header; corosync uses one.</summary>
    public const int GroupsMax = 32;

    /// <summary>The executive's group: every service message (cpg, votequorum, ...) travels in it.</summary>
    public static ReadOnlySpan<byte> Executive => "a"u8;

    /// <summary>The group of the service synchronisation barriers (exec/sync.c).</summary>
    public static ReadOnlySpan<byte> Sync => "sync"u8;

    public static int SizeFor(ReadOnlySpan<byte> group) => 4 + group.Length;

    /// <summary>A message for one group: header then body.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> group, ReadOnlySpan<byte> body)
    {
        Invariant.Require(group.Length is > 0 and <= ushort.MaxValue);
        var result = new byte[SizeFor(group) + body.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(result, 1);
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(2), (ushort)group.Length);
        group.CopyTo(result.AsSpan(4));
        body.CopyTo(result.AsSpan(4 + group.Length));
        return result;
    }

    /// <summary>
    /// Parses the header. <paramref name="matchesGroup"/> says whether any name equals
    /// <paramref name="group"/>; <paramref name="body"/> is what follows the header.
    /// </summary>
    public static ServiceDecodeStatus TryUnwrap(
        ReadOnlySpan<byte> message, ReadOnlySpan<byte> group, out bool matchesGroup, out ReadOnlySpan<byte> body)
    {
        matchesGroup = false;
        body = default;
        if (message.Length < 2)
        {
            return ServiceDecodeStatus.Truncated;
        }

        int count = BinaryPrimitives.ReadUInt16LittleEndian(message);
        if (count is 0 or > GroupsMax)
        {
            return ServiceDecodeStatus.InvalidField;
        }

        var namesStart = 2 + (2 * count);
        if (message.Length < namesStart)
        {
            return ServiceDecodeStatus.Truncated;
        }

        var offset = namesStart;
        for (var i = 0; i < count; i++)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(message[(2 + (2 * i))..]);
            if (message.Length - offset < length)
            {
                return ServiceDecodeStatus.Truncated;
            }

            if (message.Slice(offset, length).SequenceEqual(group))
            {
                matchesGroup = true;
            }

            offset += length;
        }

        body = message[offset..];
        return ServiceDecodeStatus.Ok;
    }
}
