using System.Buffers.Binary;
using Rookery.Wire.Services;

namespace Rookery.Services;

/// <summary>
/// The cfg service's exec messages (service 1, exec/cfg.c) the node uses: SHUTDOWN (function 2, "Node %u was shut
/// down by sysadmin"), RELOAD_CONFIG (function 3, every node reloads its own file), and Rookery's LINK_ENABLE
/// (function 256, take a link out of service cluster-wide) and LINK_PRIORITIES (257). Layouts: SHUTDOWN is the qb
/// header alone (16 bytes, as corosync 3.1.7 sends it; the 24-byte form of earlier Rookery versions is accepted); the
/// others carry u32 nodeid (+4 pad), then for RELOAD_CONFIG a u64 request id (corosync: the requesting connection)
/// and for LINK_ENABLE u8 link (+7) and u8 enabled (+7). Functions 256 and up are Rookery's: corosync discards them
/// with "discarded unknown message", so they go only to rings whose every member runs Rookery.
/// </summary>
public static class CfgMessages
{
    public const int KillNodeFunction = 1;
    public const int ShutdownFunction = 2;
    public const int ReloadConfigFunction = 3;

    /// <summary>corosync's CRYPTO_RECONFIG (u32 phase, +4 pad): accepted and ignored (corosync acts only on its own).</summary>
    public const int CryptoReconfigFunction = 4;
    public const int LinkEnableFunction = 256;
    public const int LinkPrioritiesFunction = 257;

    public const int ShutdownSize = ServiceHeader.Size;

    /// <summary>req_exec_cfg_killnode: header, nodeid (aligned 8), mar_name_t reason (length at 24, value[256] at 32).</summary>
    public const int KillNodeSize = 288;
    private const int ReasonLengthMax = 256;
    private const int ShutdownWithNodeIdSize = 24;
    public const int ReloadConfigSize = 32;
    public const int LinkEnableSize = 40;
    public const int LinkPrioritiesSize = 40;
    public const int CryptoReconfigSize = 24;

    /// <summary>A decoded cfg message; <paramref name="Priorities"/> only for LINK_PRIORITIES.</summary>
    public readonly record struct CfgMessage(int Function, uint NodeId, ulong RequestId, int Link, bool Enabled, LinkPriorities Priorities = default, string? Reason = null);

    /// <summary>corosync-cfgtool -k: the node with <paramref name="nodeId"/> is asked to stop; <paramref name="reason"/> is logged there.</summary>
    public static byte[] EncodeKillNode(uint nodeId, string reason) =>
        Encode(KillNodeFunction, KillNodeSize, nodeId, body =>
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(reason);
            var length = Math.Min(bytes.Length, ReasonLengthMax - 1);
            BinaryPrimitives.WriteUInt16LittleEndian(body, (ushort)length);
            bytes.AsSpan(0, length).CopyTo(body[8..]);
        });

    public static byte[] EncodeShutdown()
    {
        var message = new byte[ShutdownSize];
        ServiceHeader.Write(message, ServiceIds.Make(ServiceIds.Cfg, ShutdownFunction), ShutdownSize);
        return message;
    }

    /// <summary>True for the functions only Rookery understands (corosync's cfg ends at 4, CRYPTO_RECONFIG).</summary>
    public static bool IsRookeryExtension(int function) => function >= LinkEnableFunction;

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
            KillNodeFunction => KillNodeSize,
            ShutdownFunction => ShutdownSize,
            CryptoReconfigFunction => CryptoReconfigSize,
            ReloadConfigFunction => ReloadConfigSize,
            LinkEnableFunction => LinkEnableSize,
            LinkPrioritiesFunction => LinkPrioritiesSize,
            _ => -1,
        };
        if (expected < 0)
        {
            return ServiceDecodeStatus.UnknownMessage;
        }

        if (function == ShutdownFunction && message.Length == ShutdownWithNodeIdSize)
        {
            expected = ShutdownWithNodeIdSize;
        }

        if (message.Length != expected)
        {
            return message.Length < expected ? ServiceDecodeStatus.Truncated : ServiceDecodeStatus.LengthMismatch;
        }

        if (function == ShutdownFunction)
        {
            // The sender is Totem's: corosync's SHUTDOWN names nobody.
            decoded = new CfgMessage(function, 0, 0, 0, false);
            return ServiceDecodeStatus.Ok;
        }

        var nodeId = BinaryPrimitives.ReadUInt32LittleEndian(message[16..]);
        var body = message[24..];
        decoded = function switch
        {
            ReloadConfigFunction => new CfgMessage(function, nodeId, BinaryPrimitives.ReadUInt64LittleEndian(body), 0, false),
            KillNodeFunction => new CfgMessage(function, nodeId, 0, 0, false, Reason: ReadReason(body)),
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

    /// <summary>A mar_name_t from the network: the length is clamped, bytes after a NUL dropped, invalid UTF-8 replaced.</summary>
    private static string ReadReason(ReadOnlySpan<byte> body)
    {
        var value = body.Slice(8, ReasonLengthMax);
        value = value[..Math.Min((int)BinaryPrimitives.ReadUInt16LittleEndian(body), ReasonLengthMax)];
        var nul = value.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(nul >= 0 ? value[..nul] : value);
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
