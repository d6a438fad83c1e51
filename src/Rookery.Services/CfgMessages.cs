using System.Buffers.Binary;
using Rookery.Wire.Services;

namespace Rookery.Services;

/// <summary>
/// The cfg service's exec messages (service 1, exec/cfg.c) the node uses: SHUTDOWN (function 2, "Node %u was shut
/// down by sysadmin"), RELOAD_CONFIG (function 3, every node reloads its own file), and Rookery's LINK_ENABLE
/// (function 256, take a link out of service cluster-wide). Layouts: qb header, then u32 nodeid (+4 pad), then
/// for RELOAD_CONFIG a u64 request id and for LINK_ENABLE u8 link (+7) and u8 enabled (+7).
/// </summary>
public static class CfgMessages
{
    public const int ShutdownFunction = 2;
    public const int ReloadConfigFunction = 3;
    public const int LinkEnableFunction = 256;
    public const int LinkPrioritiesFunction = 257;

    public const int ShutdownSize = 24;
    public const int ReloadConfigSize = 32;
    public const int LinkEnableSize = 40;
    public const int LinkPrioritiesSize = 40;

    /// <summary>A decoded cfg message; <paramref name="Priorities"/> only for LINK_PRIORITIES.</summary>
    public readonly record struct CfgMessage(int Function, uint NodeId, ulong RequestId, int Link, bool Enabled, LinkPriorities Priorities = default);

    public static byte[] EncodeShutdown(uint nodeId) => Encode(ShutdownFunction, ShutdownSize, nodeId, _ => { });

    public static byte[] EncodeReloadConfig(uint nodeId, ulong requestId) =>
        Encode(ReloadConfigFunction, ReloadConfigSize, nodeId, body => BinaryPrimitives.WriteUInt64LittleEndian(body, requestId));

    public static byte[] EncodeLinkEnable(uint nodeId, int link, bool enabled) =>
        Encode(LinkEnableFunction, LinkEnableSize, nodeId, body =>
        {
            body[0] = (byte)link;
            body[8] = enabled ? (byte)1 : (byte)0;
        });

    /// <summary>Rookery's LINK_PRIORITIES: the sender's <c>knet_link_priority</c> for each link it has configured.</summary>
    public static byte[] EncodeLinkPriorities(uint nodeId, LinkPriorities priorities) =>
        Encode(LinkPrioritiesFunction, LinkPrioritiesSize, nodeId, priorities.Write);

    /// <summary>Decodes any of the four. Never throws.</summary>
    public static ServiceDecodeStatus TryDecode(ReadOnlySpan<byte> message, out CfgMessage decoded)
    {
        decoded = default;
        var status = ServiceHeader.TryRead(message, out var id, out _);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        if (ServiceIds.ServiceOf(id) != ServiceIds.Cfg)
        {
            return ServiceDecodeStatus.UnknownMessage;
        }

        var function = ServiceIds.FunctionOf(id);
        var expected = function switch
        {
            ShutdownFunction => ShutdownSize,
            ReloadConfigFunction => ReloadConfigSize,
            LinkEnableFunction => LinkEnableSize,
            LinkPrioritiesFunction => LinkPrioritiesSize,
            _ => -1,
        };
        if (expected < 0)
        {
            return ServiceDecodeStatus.UnknownMessage;
        }

        if (message.Length != expected)
        {
            return message.Length < expected ? ServiceDecodeStatus.Truncated : ServiceDecodeStatus.LengthMismatch;
        }

        var nodeId = BinaryPrimitives.ReadUInt32LittleEndian(message[16..]);
        var body = message[24..];
        decoded = function switch
        {
            ReloadConfigFunction => new CfgMessage(function, nodeId, BinaryPrimitives.ReadUInt64LittleEndian(body), 0, false),
            LinkEnableFunction => new CfgMessage(function, nodeId, 0, body[0], body[8] != 0),
            LinkPrioritiesFunction => new CfgMessage(function, nodeId, 0, 0, false, LinkPriorities.Read(body)),
            _ => new CfgMessage(function, nodeId, 0, 0, false),
        };
        if (function == LinkEnableFunction && (decoded.Link >= Limits.LinksMax || body[8] > 1))
        {
            decoded = default;
            return ServiceDecodeStatus.InvalidField;
        }

        return ServiceDecodeStatus.Ok;
    }

    private static byte[] Encode(int function, int size, uint nodeId, Action<Span<byte>> writeBody)
    {
        var message = new byte[size];
        ServiceHeader.Write(message, ServiceIds.Make(ServiceIds.Cfg, function), size);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(16), nodeId);
        writeBody(message.AsSpan(24));
        return message;
    }
}
