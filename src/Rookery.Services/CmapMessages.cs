using System.Buffers.Binary;
using System.Text;
using Rookery.Wire.Services;

namespace Rookery.Services;

/// <summary>
/// cmap's exec message CMAP_MCAST (service 0, function 0) carrying <c>totem.config_version</c>, the only key
/// corosync ever sends in it (corosync-spec §2.6, §9; layout from wire-vectors §7): qb header, u8 reason (+7),
/// u8 item count (+7), 2 reserved bytes (+7 each), then items {u16 name length (+6), name[256], u8 value type
/// (+7), u64 value length, value}. 336 bytes with one u64 item.
/// </summary>
public static class CmapMessages
{
    /// <summary>Why the version is sent: during a sync, or because a reload changed it.</summary>
    public enum Reason : byte
    {
        Sync = 0,
        NewConfigVersion = 1,
    }

    public const int McastId = 0;
    public const int ConfigVersionMessageSize = 336;
    private const int ItemsOffset = 48;
    private const int NameSizeMax = 256;
    private const byte ValueTypeUInt64 = 8;
    private const string ConfigVersionKey = "totem.config_version";

    public static byte[] EncodeConfigVersion(Reason reason, ulong configVersion)
    {
        var message = new byte[ConfigVersionMessageSize];
        ServiceHeader.Write(message, ServiceIds.Make(ServiceIds.Cmap, McastId), ConfigVersionMessageSize);
        message[16] = (byte)reason;
        message[24] = 1;
        var item = message.AsSpan(ItemsOffset);
        var name = Encoding.ASCII.GetBytes(ConfigVersionKey);
        BinaryPrimitives.WriteUInt16LittleEndian(item, (ushort)name.Length);
        name.CopyTo(item[8..]);
        item[264] = ValueTypeUInt64;
        BinaryPrimitives.WriteUInt64LittleEndian(item[272..], 8);
        BinaryPrimitives.WriteUInt64LittleEndian(item[280..], configVersion);
        return message;
    }

    /// <summary>Reads the config_version item of a CMAP_MCAST. Never throws; any other content is <see cref="ServiceDecodeStatus.InvalidField"/>.</summary>
    public static ServiceDecodeStatus TryDecodeConfigVersion(ReadOnlySpan<byte> message, out Reason reason, out ulong configVersion)
    {
        reason = Reason.Sync;
        configVersion = 0;
        var status = ServiceHeader.TryRead(message, out var id, out _);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        if (id != ServiceIds.Make(ServiceIds.Cmap, McastId))
        {
            return ServiceDecodeStatus.UnknownMessage;
        }

        if (message.Length < ItemsOffset + 288)
        {
            return ServiceDecodeStatus.Truncated;
        }

        var item = message[ItemsOffset..];
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(item);
        if (message[24] == 0 || message[16] > 1 || nameLength > NameSizeMax || item[264] != ValueTypeUInt64
            || BinaryPrimitives.ReadUInt64LittleEndian(item[272..]) != 8
            || !item.Slice(8, nameLength).SequenceEqual(Encoding.ASCII.GetBytes(ConfigVersionKey)))
        {
            return ServiceDecodeStatus.InvalidField;
        }

        reason = (Reason)message[16];
        configVersion = BinaryPrimitives.ReadUInt64LittleEndian(item[280..]);
        return ServiceDecodeStatus.Ok;
    }
}
