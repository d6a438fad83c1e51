using System.Buffers.Binary;

namespace Rookery.Wire.Services;

/// <summary>Flags a node announces in NODEINFO (exec/votequorum.c <c>NODE_FLAGS_*</c>).</summary>
[Flags]
public enum NodeInfoFlags : uint
{
    None = 0,
    Quorate = 1,
    Leaving = 2,
    WaitForAllStatus = 4,

    /// <summary>The node has never been in a multi-node membership.</summary>
    First = 8,
    QdeviceRegistered = 16,
    QdeviceAlive = 32,
    QdeviceCastVote = 64,
    QdeviceMasterWins = 128,
    QdeviceExtraInfoSet = 256,
}

/// <summary>What a RECONFIGURE message changes (<c>VOTEQUORUM_RECONFIG_PARAM_*</c>).</summary>
public enum ReconfigureParam : byte
{
    ExpectedVotes = 1,
    NodeVotes = 2,
    CancelWaitForAll = 3,
}

/// <summary>A votequorum exec message (service 5), as carried in group "a".</summary>
public abstract record VotequorumMessage;

/// <summary>fn 0: a node's votes, expected votes and flags; node id 0 stands for the quorum device. 32 bytes, packed.</summary>
public sealed record NodeInfoMessage(uint NodeId, uint Votes, uint ExpectedVotes, NodeInfoFlags Flags) : VotequorumMessage;

/// <summary>fn 1: change expected votes (cluster-wide), one node's votes, or cancel wait_for_all. 32 bytes (28 of fields, the struct padded to 8).</summary>
public sealed record ReconfigureMessage(uint NodeId, uint Value, ReconfigureParam Param) : VotequorumMessage;

/// <summary>fn 2: a quorum device registers (operation 1) or unregisters (0). Name in a 255-byte NUL-terminated field; sent padded to 280 bytes (corosync's sizeof).</summary>
public sealed record QdeviceRegisterMessage(uint Operation, string Name) : VotequorumMessage;

/// <summary>fn 3: a quorum device changes its name.</summary>
public sealed record QdeviceReconfigureMessage(string OldName, string NewName) : VotequorumMessage;

/// <summary>fn 4: opaque extra information a quorum device publishes for a node.</summary>
public sealed record QdeviceExtraInfoMessage(uint NodeId, ReadOnlyMemory<byte> Data) : VotequorumMessage;

/// <summary>
/// Codec of votequorum exec messages (corosync-spec §6.3 and exec/votequorum.c structs, little-endian).
/// </summary>
public static class VotequorumCodec
{
    public const int NodeInfoFunction = 0;
    public const int ReconfigureFunction = 1;
    public const int QdeviceRegisterFunction = 2;
    public const int QdeviceReconfigureFunction = 3;
    public const int QdeviceExtraInfoFunction = 4;

    /// <summary><c>VOTEQUORUM_QDEVICE_OPERATION_UNREGISTER</c> / <c>_REGISTER</c> of <see cref="QdeviceRegisterMessage"/>.</summary>
    public const uint QdeviceOperationUnregister = 0;
    public const uint QdeviceOperationRegister = 1;

    public const int NodeInfoSize = 32;
    /// <summary>
    /// RECONFIGURE as corosync 3.1.7 sends it (<c>corosync-quorumtool -e</c>, captured): 28 bytes of fields, padded to
    /// 32 by the struct's 8-byte alignment. The 28-byte form earlier Rookery versions sent is still accepted.
    /// </summary>
    public const int ReconfigureSize = 32;
    private const int ReconfigureFieldsSize = 28;

    /// <summary><c>VOTEQUORUM_QDEVICE_MAX_NAME_LEN</c>.</summary>
    public const int QdeviceNameFieldSize = 255;
    public const int QdeviceRegisterSize = ServiceHeader.Size + 4 + QdeviceNameFieldSize;
    public const int QdeviceReconfigureSize = ServiceHeader.Size + (2 * QdeviceNameFieldSize);
    public const int QdeviceExtraInfoHeaderSize = ServiceHeader.Size + 8;

    /// <summary>Largest extra info corosync accepts (<c>VOTEQUORUM_QDEVICE_MAX_EXTRA_INFO_LEN</c> = 4096).</summary>
    public const int QdeviceExtraInfoMax = 4096;

    /// <summary>A C struct's size with the 8-byte alignment of its qb header: what corosync's sizeof gives.</summary>
    private static int AlignedSize(int fieldsSize) => (fieldsSize + 7) & ~7;

    public static byte[] Encode(VotequorumMessage message)
    {
        switch (message)
        {
            case NodeInfoMessage nodeInfo:
            {
                var result = Start(NodeInfoFunction, NodeInfoSize);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(16), nodeInfo.NodeId);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(20), nodeInfo.Votes);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(24), nodeInfo.ExpectedVotes);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(28), (uint)nodeInfo.Flags);
                return result;
            }

            case ReconfigureMessage reconfigure:
            {
                var result = Start(ReconfigureFunction, ReconfigureSize);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(16), reconfigure.NodeId);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(20), reconfigure.Value);
                result[24] = (byte)reconfigure.Param;
                return result;
            }

            case QdeviceRegisterMessage register:
            {
                var result = Start(QdeviceRegisterFunction, AlignedSize(QdeviceRegisterSize));
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(16), register.Operation);
                WriteName(result.AsSpan(20, QdeviceNameFieldSize), register.Name);
                return result;
            }

            case QdeviceReconfigureMessage rename:
            {
                var result = Start(QdeviceReconfigureFunction, AlignedSize(QdeviceReconfigureSize));
                WriteName(result.AsSpan(16, QdeviceNameFieldSize), rename.OldName);
                WriteName(result.AsSpan(16 + QdeviceNameFieldSize, QdeviceNameFieldSize), rename.NewName);
                return result;
            }

            case QdeviceExtraInfoMessage extra:
            {
                Invariant.Require(extra.Data.Length <= QdeviceExtraInfoMax);
                var result = Start(QdeviceExtraInfoFunction, QdeviceExtraInfoHeaderSize + extra.Data.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(16), extra.NodeId);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(20), (uint)extra.Data.Length);
                extra.Data.Span.CopyTo(result.AsSpan(QdeviceExtraInfoHeaderSize));
                return result;
            }

            default:
                Invariant.Fail("unknown votequorum message type");
                return [];
        }
    }

    public static ServiceDecodeStatus TryDecode(ReadOnlySpan<byte> message, out VotequorumMessage? decoded)
    {
        decoded = null;
        var status = ServiceHeader.TryReadFunction(message, ServiceIds.Votequorum, out var function);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        switch (function)
        {
            case NodeInfoFunction:
                if (message.Length != NodeInfoSize)
                {
                    return ServiceDecodeStatus.LengthMismatch;
                }

                decoded = new NodeInfoMessage(
                    U32(message, 16), U32(message, 20), U32(message, 24), (NodeInfoFlags)U32(message, 28));
                return ServiceDecodeStatus.Ok;

            case ReconfigureFunction:
                if (message.Length is not (ReconfigureSize or ReconfigureFieldsSize))
                {
                    return ServiceDecodeStatus.LengthMismatch;
                }

                if (message[24] is < (byte)ReconfigureParam.ExpectedVotes or > (byte)ReconfigureParam.CancelWaitForAll)
                {
                    return ServiceDecodeStatus.InvalidField;
                }

                decoded = new ReconfigureMessage(U32(message, 16), U32(message, 20), (ReconfigureParam)message[24]);
                return ServiceDecodeStatus.Ok;

            case QdeviceRegisterFunction:
            {
                if (message.Length != QdeviceRegisterSize && message.Length != AlignedSize(QdeviceRegisterSize))
                {
                    return ServiceDecodeStatus.LengthMismatch;
                }

                if (!TryReadName(message.Slice(20, QdeviceNameFieldSize), out var name))
                {
                    return ServiceDecodeStatus.InvalidField;
                }

                decoded = new QdeviceRegisterMessage(U32(message, 16), name);
                return ServiceDecodeStatus.Ok;
            }

            case QdeviceReconfigureFunction:
            {
                if (message.Length != QdeviceReconfigureSize && message.Length != AlignedSize(QdeviceReconfigureSize))
                {
                    return ServiceDecodeStatus.LengthMismatch;
                }

                if (!TryReadName(message.Slice(16, QdeviceNameFieldSize), out var oldName)
                    || !TryReadName(message.Slice(16 + QdeviceNameFieldSize, QdeviceNameFieldSize), out var newName))
                {
                    return ServiceDecodeStatus.InvalidField;
                }

                decoded = new QdeviceReconfigureMessage(oldName, newName);
                return ServiceDecodeStatus.Ok;
            }

            case QdeviceExtraInfoFunction:
            {
                if (message.Length < QdeviceExtraInfoHeaderSize)
                {
                    return ServiceDecodeStatus.Truncated;
                }

                var size = U32(message, 20);
                if (size > QdeviceExtraInfoMax)
                {
                    return ServiceDecodeStatus.InvalidField;
                }

                if (message.Length - QdeviceExtraInfoHeaderSize != size)
                {
                    return ServiceDecodeStatus.LengthMismatch;
                }

                decoded = new QdeviceExtraInfoMessage(U32(message, 16), message[QdeviceExtraInfoHeaderSize..].ToArray());
                return ServiceDecodeStatus.Ok;
            }

            default:
                return ServiceDecodeStatus.UnknownMessage;
        }
    }

    private static byte[] Start(int function, int size)
    {
        var result = new byte[size];
        ServiceHeader.Write(result, ServiceIds.Make(ServiceIds.Votequorum, function), size);
        return result;
    }

    private static uint U32(ReadOnlySpan<byte> message, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(message[offset..]);

    private static void WriteName(Span<byte> field, string name)
    {
        Invariant.Require(System.Text.Encoding.UTF8.GetByteCount(name) < field.Length);
        System.Text.Encoding.UTF8.GetBytes(name, field);
    }

    private static bool TryReadName(ReadOnlySpan<byte> field, out string name)
    {
        var end = field.IndexOf((byte)0);
        if (end < 0)
        {
            name = string.Empty;
            return false;
        }

        name = System.Text.Encoding.UTF8.GetString(field[..end]);
        return true;
    }
}
