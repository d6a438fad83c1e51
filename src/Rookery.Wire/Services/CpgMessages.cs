using System.Buffers.Binary;

namespace Rookery.Wire.Services;

/// <summary>Why a process appears in a confchg list (<c>CPG_REASON_*</c>); member-list entries carry <see cref="Undefined"/>.</summary>
public enum CpgReason : uint
{
    Undefined = 0,
    Join = 1,
    Leave = 2,
    NodeDown = 3,
    NodeUp = 4,
    ProcDown = 5,
}

/// <summary>A cpg exec message (service 2), as carried in group "a".</summary>
public abstract record CpgMessage;

/// <summary>fn 0: a process joins a group. 168 bytes.</summary>
public sealed record CpgProcJoinMessage(CpgGroupName Group, uint Pid, CpgReason Reason) : CpgMessage;

/// <summary>fn 1: a process leaves a group (reason Leave, or ProcDown when its connection died). 168 bytes.</summary>
public sealed record CpgProcLeaveMessage(CpgGroupName Group, uint Pid, CpgReason Reason) : CpgMessage;

/// <summary>One entry of a JOINLIST: a local process of the sender and its group.</summary>
public readonly record struct CpgJoinListEntry(uint Pid, CpgGroupName Group);

/// <summary>fn 2: the sender's local processes, sent during the sync after a membership change. 24 + 144·k bytes.</summary>
public sealed record CpgJoinListMessage(IReadOnlyList<CpgJoinListEntry> Entries) : CpgMessage;

/// <summary>fn 3: an application message for a group. 184 bytes + data. SourceConnection is the sender's local connection handle (opaque to receivers).</summary>
public sealed record CpgMcastMessage(CpgGroupName Group, uint Pid, uint SourceNodeId, ulong SourceConnection, ReadOnlyMemory<byte> Data) : CpgMessage;

/// <summary>fn 4: the pre-2.x down list; receivers ignore it. 1560 bytes.</summary>
public sealed record CpgDownListOldMessage(IReadOnlyList<uint> LeftNodes) : CpgMessage;

/// <summary>fn 5: the sender's old member count and the nodes it saw leave (logged only). 1568 bytes: the u32 node ids are packed (only the array start is 8-aligned).</summary>
public sealed record CpgDownListMessage(uint OldMembers, IReadOnlyList<uint> LeftNodes) : CpgMessage;

/// <summary>
/// fn 6: one fragment of a large application message. 200 bytes + fragment. MessageLength is the length of
/// the whole reassembled message; Type is 1 first, 2 continued, 3 last (<c>LIBCPG_PARTIAL_*</c>).
/// </summary>
public sealed record CpgPartialMcastMessage(
    CpgGroupName Group, uint MessageLength, uint Pid, uint Type, uint SourceNodeId, ulong SourceConnection, ReadOnlyMemory<byte> Fragment) : CpgMessage;

/// <summary>
/// Codec of cpg exec messages (exec/cpg.c structs with every field <c>aligned(8)</c>; ref/wire-vectors.md §7),
/// little-endian.
/// </summary>
public static class CpgCodec
{
    public const int ProcJoinFunction = 0;
    public const int ProcLeaveFunction = 1;
    public const int JoinListFunction = 2;
    public const int McastFunction = 3;
    public const int DownListOldFunction = 4;
    public const int DownListFunction = 5;
    public const int PartialMcastFunction = 6;

    public const int ProcJoinSize = 168;
    public const int JoinListEntrySize = 144;
    public const int McastHeaderSize = 184;
    public const int PartialMcastHeaderSize = 200;
    public const int DownListOldSize = 1560;
    public const int DownListSize = 1568;

    /// <summary>Entries in a down list (<c>PROCESSOR_COUNT_MAX</c>).</summary>
    public const int DownListNodesMax = Limits.NodesMax;

    public static byte[] Encode(CpgMessage message)
    {
        switch (message)
        {
            case CpgProcJoinMessage join:
                return EncodeProc(ProcJoinFunction, join.Group, join.Pid, join.Reason);

            case CpgProcLeaveMessage leave:
                return EncodeProc(ProcLeaveFunction, leave.Group, leave.Pid, leave.Reason);

            case CpgJoinListMessage list:
            {
                var size = ServiceHeader.ResponseSize + (JoinListEntrySize * list.Entries.Count);
                var result = new byte[size];
                ServiceHeader.Write(result, ServiceIds.Make(ServiceIds.Cpg, JoinListFunction), size);
                for (var i = 0; i < list.Entries.Count; i++)
                {
                    var offset = ServiceHeader.ResponseSize + (JoinListEntrySize * i);
                    BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(offset), list.Entries[i].Pid);
                    WriteGroup(result.AsSpan(offset + 8), list.Entries[i].Group);
                }

                return result;
            }

            case CpgMcastMessage mcast:
            {
                var result = Start(McastFunction, McastHeaderSize + mcast.Data.Length);
                WriteGroup(result.AsSpan(16), mcast.Group);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(152), (uint)mcast.Data.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(160), mcast.Pid);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(168), mcast.SourceNodeId);
                BinaryPrimitives.WriteUInt64LittleEndian(result.AsSpan(176), mcast.SourceConnection);
                mcast.Data.Span.CopyTo(result.AsSpan(McastHeaderSize));
                return result;
            }

            case CpgPartialMcastMessage partial:
            {
                var result = Start(PartialMcastFunction, PartialMcastHeaderSize + partial.Fragment.Length);
                WriteGroup(result.AsSpan(16), partial.Group);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(152), partial.MessageLength);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(160), (uint)partial.Fragment.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(168), partial.Pid);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(176), partial.Type);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(184), partial.SourceNodeId);
                BinaryPrimitives.WriteUInt64LittleEndian(result.AsSpan(192), partial.SourceConnection);
                partial.Fragment.Span.CopyTo(result.AsSpan(PartialMcastHeaderSize));
                return result;
            }

            case CpgDownListOldMessage old:
            {
                Invariant.Require(old.LeftNodes.Count <= DownListNodesMax);
                var result = Start(DownListOldFunction, DownListOldSize);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(16), (uint)old.LeftNodes.Count);
                WriteNodeIds(result.AsSpan(24), old.LeftNodes);
                return result;
            }

            case CpgDownListMessage down:
            {
                Invariant.Require(down.LeftNodes.Count <= DownListNodesMax);
                var result = Start(DownListFunction, DownListSize);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(16), down.OldMembers);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(24), (uint)down.LeftNodes.Count);
                WriteNodeIds(result.AsSpan(32), down.LeftNodes);
                return result;
            }

            default:
                Invariant.Fail("unknown cpg message type");
                return [];
        }
    }

    public static ServiceDecodeStatus TryDecode(ReadOnlySpan<byte> message, out CpgMessage? decoded) => TryDecode(message, null, out decoded);

    /// <summary>
    /// Decodes a message whose bytes the caller hands over and never changes again (a Totem delivery): an
    /// application message's data is a slice of <paramref name="message"/>, not a copy.
    /// </summary>
    public static ServiceDecodeStatus TryDecode(ReadOnlyMemory<byte> message, out CpgMessage? decoded) => TryDecode(message.Span, message, out decoded);

    private static ServiceDecodeStatus TryDecode(ReadOnlySpan<byte> message, ReadOnlyMemory<byte>? owned, out CpgMessage? decoded)
    {
        decoded = null;
        var status = ServiceHeader.TryReadFunction(message, ServiceIds.Cpg, out var function);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        return function switch
        {
            ProcJoinFunction or ProcLeaveFunction => DecodeProc(message, function, out decoded),
            JoinListFunction => DecodeJoinList(message, out decoded),
            McastFunction => DecodeMcast(message, owned, out decoded),
            DownListOldFunction => DecodeDownListOld(message, out decoded),
            DownListFunction => DecodeDownList(message, out decoded),
            PartialMcastFunction => DecodePartialMcast(message, out decoded),
            _ => ServiceDecodeStatus.UnknownMessage,
        };
    }

    private static byte[] EncodeProc(int function, CpgGroupName group, uint pid, CpgReason reason)
    {
        var result = Start(function, ProcJoinSize);
        WriteGroup(result.AsSpan(16), group);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(152), pid);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(160), (uint)reason);
        return result;
    }

    private static ServiceDecodeStatus DecodeProc(ReadOnlySpan<byte> message, int function, out CpgMessage? decoded)
    {
        decoded = null;
        if (message.Length != ProcJoinSize)
        {
            return ServiceDecodeStatus.LengthMismatch;
        }

        var reason = U32(message, 160);
        if (!TryReadGroup(message[16..], out var group) || reason > (uint)CpgReason.ProcDown)
        {
            return ServiceDecodeStatus.InvalidField;
        }

        var pid = U32(message, 152);
        decoded = function == ProcJoinFunction
            ? new CpgProcJoinMessage(group, pid, (CpgReason)reason)
            : new CpgProcLeaveMessage(group, pid, (CpgReason)reason);
        return ServiceDecodeStatus.Ok;
    }

    private static ServiceDecodeStatus DecodeJoinList(ReadOnlySpan<byte> message, out CpgMessage? decoded)
    {
        decoded = null;
        if (message.Length < ServiceHeader.ResponseSize)
        {
            return ServiceDecodeStatus.Truncated;
        }

        var body = message.Length - ServiceHeader.ResponseSize;
        if (body % JoinListEntrySize != 0)
        {
            return ServiceDecodeStatus.LengthMismatch;
        }

        var entries = new CpgJoinListEntry[body / JoinListEntrySize];
        for (var i = 0; i < entries.Length; i++)
        {
            var offset = ServiceHeader.ResponseSize + (JoinListEntrySize * i);
            if (!TryReadGroup(message[(offset + 8)..], out var group))
            {
                return ServiceDecodeStatus.InvalidField;
            }

            entries[i] = new CpgJoinListEntry(U32(message, offset), group);
        }

        decoded = new CpgJoinListMessage(entries);
        return ServiceDecodeStatus.Ok;
    }

    private static ServiceDecodeStatus DecodeMcast(ReadOnlySpan<byte> message, ReadOnlyMemory<byte>? owned, out CpgMessage? decoded)
    {
        decoded = null;
        if (message.Length < McastHeaderSize)
        {
            return ServiceDecodeStatus.Truncated;
        }

        if ((ulong)message.Length - McastHeaderSize != U32(message, 152))
        {
            return ServiceDecodeStatus.LengthMismatch;
        }

        if (!TryReadGroup(message[16..], out var group))
        {
            return ServiceDecodeStatus.InvalidField;
        }

        decoded = new CpgMcastMessage(
            group, U32(message, 160), U32(message, 168), BinaryPrimitives.ReadUInt64LittleEndian(message[176..]),
            owned is { } whole ? whole[McastHeaderSize..] : message[McastHeaderSize..].ToArray());
        return ServiceDecodeStatus.Ok;
    }

    private static ServiceDecodeStatus DecodePartialMcast(ReadOnlySpan<byte> message, out CpgMessage? decoded)
    {
        decoded = null;
        if (message.Length < PartialMcastHeaderSize)
        {
            return ServiceDecodeStatus.Truncated;
        }

        var fragmentLength = U32(message, 160);
        if ((ulong)message.Length - PartialMcastHeaderSize != fragmentLength)
        {
            return ServiceDecodeStatus.LengthMismatch;
        }

        if (!TryReadGroup(message[16..], out var group) || fragmentLength > U32(message, 152))
        {
            return ServiceDecodeStatus.InvalidField;
        }

        decoded = new CpgPartialMcastMessage(
            group,
            U32(message, 152),
            U32(message, 168),
            U32(message, 176),
            U32(message, 184),
            BinaryPrimitives.ReadUInt64LittleEndian(message[192..]),
            message[PartialMcastHeaderSize..].ToArray());
        return ServiceDecodeStatus.Ok;
    }

    private static ServiceDecodeStatus DecodeDownListOld(ReadOnlySpan<byte> message, out CpgMessage? decoded)
    {
        decoded = null;
        if (message.Length != DownListOldSize)
        {
            return ServiceDecodeStatus.LengthMismatch;
        }

        if (!TryReadNodeIds(message[24..], U32(message, 16), out var nodes))
        {
            return ServiceDecodeStatus.InvalidField;
        }

        decoded = new CpgDownListOldMessage(nodes);
        return ServiceDecodeStatus.Ok;
    }

    private static ServiceDecodeStatus DecodeDownList(ReadOnlySpan<byte> message, out CpgMessage? decoded)
    {
        decoded = null;
        if (message.Length != DownListSize)
        {
            return ServiceDecodeStatus.LengthMismatch;
        }

        if (!TryReadNodeIds(message[32..], U32(message, 24), out var nodes))
        {
            return ServiceDecodeStatus.InvalidField;
        }

        decoded = new CpgDownListMessage(U32(message, 16), nodes);
        return ServiceDecodeStatus.Ok;
    }

    private static byte[] Start(int function, int size)
    {
        var result = new byte[size];
        ServiceHeader.Write(result, ServiceIds.Make(ServiceIds.Cpg, function), size);
        return result;
    }

    private static uint U32(ReadOnlySpan<byte> message, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(message[offset..]);

    private static void WriteGroup(Span<byte> destination, CpgGroupName group)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)group.Length);
        group.Value.CopyTo(destination[8..]);
    }

    private static bool TryReadGroup(ReadOnlySpan<byte> source, out CpgGroupName group)
    {
        var length = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (length > CpgGroupName.LengthMax)
        {
            group = default;
            return false;
        }

        return CpgGroupName.TryCreate(source.Slice(8, (int)length), out group);
    }

    private static void WriteNodeIds(Span<byte> destination, IReadOnlyList<uint> nodes)
    {
        for (var i = 0; i < nodes.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[(4 * i)..], nodes[i]);
        }
    }

    private static bool TryReadNodeIds(ReadOnlySpan<byte> source, uint count, out uint[] nodes)
    {
        if (count > DownListNodesMax)
        {
            nodes = [];
            return false;
        }

        nodes = new uint[count];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = BinaryPrimitives.ReadUInt32LittleEndian(source[(4 * i)..]);
        }

        return true;
    }
}
