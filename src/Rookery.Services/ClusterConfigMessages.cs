using System.Buffers.Binary;
using System.Text;
using Rookery.Wire.Services;

namespace Rookery.Services;

/// <summary>What a member did with a reload or a cluster-wide config apply.</summary>
public enum MemberOutcome : byte
{
    /// <summary>The new configuration was applied (changes listed).</summary>
    Applied = 0,

    /// <summary>Nothing differs from the running configuration.</summary>
    Unchanged = 1,

    /// <summary>Nothing was changed: a key cannot change at run time, the file is invalid, or the request was refused.</summary>
    Refused = 2,
}

/// <summary>Which cluster-wide request a member report answers.</summary>
public enum MemberRequestKind : byte
{
    /// <summary>cfg RELOAD_CONFIG (<c>rookery reload</c>): each member re-reads its own file.</summary>
    Reload = 0,

    /// <summary>CONFIG_APPLY (<c>rookery config apply</c>): each member writes and applies the sent file.</summary>
    ConfigApply = 1,
}

/// <summary>Why a CONFIG_APPLY was sent.</summary>
public enum ConfigApplyKind : byte
{
    /// <summary>An administrator's edit (<c>config apply</c>, <c>config edit</c>, <c>addnode</c>, <c>delnode</c>).</summary>
    Edit = 0,

    /// <summary>The member with the newest config_version hands its file to members that rejoined with an older one.</summary>
    CatchUp = 1,
}

/// <summary>One member's answer to a cluster-wide request, as MEMBER_REPORT carries it.</summary>
/// <param name="Requester">The node whose request this answers.</param>
/// <param name="RequestId">The requester's id of the request.</param>
/// <param name="Kind">Reload or config apply.</param>
/// <param name="Outcome">Applied, unchanged or refused.</param>
/// <param name="ConfigVersion">The member's config_version after the request.</param>
/// <param name="ConfiguredLinks">Bit L set: the member's file configures link L.</param>
/// <param name="FileDigest">SHA-256 of the member's corosync.conf bytes after the request (all zero when unreadable).</param>
/// <param name="Applied">Changes applied, one line each.</param>
/// <param name="Refused">Changes refused with key and reason.</param>
/// <param name="Errors">Configuration errors (file:line: reason).</param>
public sealed record MemberReport(
    uint Requester,
    ulong RequestId,
    MemberRequestKind Kind,
    MemberOutcome Outcome,
    ulong ConfigVersion,
    byte ConfiguredLinks,
    byte[] FileDigest,
    IReadOnlyList<string> Applied,
    IReadOnlyList<string> Refused,
    IReadOnlyList<string> Errors);

/// <summary>A configuration sent to every member in agreed order (CONFIG_APPLY).</summary>
/// <param name="RequestId">The sender's request id (0 for a catch-up).</param>
/// <param name="ConfigVersion">totem.config_version of <paramref name="Text"/>, as the sender read it.</param>
/// <param name="Kind">An edit or a catch-up.</param>
/// <param name="Text">The whole corosync.conf, UTF-8.</param>
public sealed record ConfigApplyRequest(ulong RequestId, ulong ConfigVersion, ConfigApplyKind Kind, string Text);

/// <summary>
/// Rookery's cfg service extensions for cluster-wide configuration (service 1, functions 258 and 259; like
/// LINK_ENABLE 256 and LINK_PRIORITIES 257 they are Rookery-only and never reach corosync nodes).
/// MEMBER_REPORT (258): qb header, u32 sender nodeid (+4), u32 requester (+4), u64 request id, u64 config_version,
/// u8 kind, u8 outcome, u8 configured-links mask (+5), 32-byte SHA-256, u16 line count (+6), then per line u8
/// category (0 applied, 1 refused, 2 error), u16 byte length, UTF-8 bytes.
/// CONFIG_APPLY (259): qb header, u32 sender nodeid (+4), u64 request id, u64 config_version, u8 kind (+7),
/// u32 text length (+4), the file's UTF-8 bytes.
/// </summary>
public static class ClusterConfigMessages
{
    public const int MemberReportFunction = 258;
    public const int ConfigApplyFunction = 259;

    /// <summary>Largest corosync.conf a CONFIG_APPLY carries (384 nodes with 8 links each fit with room to spare).</summary>
    public const int ConfigTextSizeMax = 512 * 1024;

    /// <summary>Most lines one member report carries; more are cut and the last line says so.</summary>
    public const int ReportLinesMax = 256;

    /// <summary>Longest report line in bytes; longer lines are cut.</summary>
    public const int ReportLineBytesMax = 1024;

    public const int DigestSize = 32;

    private const int PrefixSize = 24;
    private const int MemberReportFixedSize = PrefixSize + 8 + 8 + 8 + 8 + DigestSize + 8;
    private const int ConfigApplyFixedSize = PrefixSize + 8 + 8 + 8 + 8;

    /// <summary>True for the functions this codec owns (the cfg dispatcher hands them here).</summary>
    public static bool Owns(int function) => function is MemberReportFunction or ConfigApplyFunction;

    public static byte[] EncodeMemberReport(uint sender, MemberReport report)
    {
        Invariant.Require(report.FileDigest.Length == DigestSize, "a member report's digest is SHA-256");
        var lines = new List<(byte Category, byte[] Bytes)>();
        Add(lines, 0, report.Applied);
        Add(lines, 1, report.Refused);
        Add(lines, 2, report.Errors);
        var size = MemberReportFixedSize + lines.Sum(l => 3 + l.Bytes.Length);
        var message = new byte[size];
        WritePrefix(message, MemberReportFunction, size, sender);
        var body = message.AsSpan(PrefixSize);
        BinaryPrimitives.WriteUInt32LittleEndian(body, report.Requester);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], report.RequestId);
        BinaryPrimitives.WriteUInt64LittleEndian(body[16..], report.ConfigVersion);
        body[24] = (byte)report.Kind;
        body[25] = (byte)report.Outcome;
        body[26] = report.ConfiguredLinks;
        report.FileDigest.CopyTo(body[32..]);
        BinaryPrimitives.WriteUInt16LittleEndian(body[(32 + DigestSize)..], (ushort)lines.Count);
        var offset = 40 + DigestSize;
        foreach (var (category, bytes) in lines)
        {
            body[offset] = category;
            BinaryPrimitives.WriteUInt16LittleEndian(body[(offset + 1)..], (ushort)bytes.Length);
            bytes.CopyTo(body[(offset + 3)..]);
            offset += 3 + bytes.Length;
        }

        return message;
    }

    public static byte[] EncodeConfigApply(uint sender, ConfigApplyRequest request)
    {
        var text = Encoding.UTF8.GetBytes(request.Text);
        Invariant.Require(text.Length <= ConfigTextSizeMax, "the caller checks the file size against ConfigTextSizeMax");
        var size = ConfigApplyFixedSize + text.Length;
        var message = new byte[size];
        WritePrefix(message, ConfigApplyFunction, size, sender);
        var body = message.AsSpan(PrefixSize);
        BinaryPrimitives.WriteUInt64LittleEndian(body, request.RequestId);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], request.ConfigVersion);
        body[16] = (byte)request.Kind;
        BinaryPrimitives.WriteUInt32LittleEndian(body[24..], (uint)text.Length);
        text.CopyTo(body[32..]);
        return message;
    }

    /// <summary>Decodes a MEMBER_REPORT. Never throws.</summary>
    public static ServiceDecodeStatus TryDecodeMemberReport(ReadOnlySpan<byte> message, out MemberReport? report)
    {
        report = null;
        var status = ReadPrefix(message, MemberReportFunction, MemberReportFixedSize);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        var body = message[PrefixSize..];
        if (body[24] > (byte)MemberRequestKind.ConfigApply || body[25] > (byte)MemberOutcome.Refused)
        {
            return ServiceDecodeStatus.InvalidField;
        }

        var count = BinaryPrimitives.ReadUInt16LittleEndian(body[(32 + DigestSize)..]);
        if (count > ReportLinesMax + 1)
        {
            return ServiceDecodeStatus.InvalidField;
        }

        var applied = new List<string>();
        var refused = new List<string>();
        var errors = new List<string>();
        var offset = 40 + DigestSize;
        for (var i = 0; i < count; i++)
        {
            if (offset + 3 > body.Length)
            {
                return ServiceDecodeStatus.Truncated;
            }

            var category = body[offset];
            int length = BinaryPrimitives.ReadUInt16LittleEndian(body[(offset + 1)..]);
            if (category > 2 || length > ReportLineBytesMax)
            {
                return ServiceDecodeStatus.InvalidField;
            }

            if (offset + 3 + length > body.Length)
            {
                return ServiceDecodeStatus.Truncated;
            }

            var line = Encoding.UTF8.GetString(body.Slice(offset + 3, length));
            (category == 0 ? applied : category == 1 ? refused : errors).Add(line);
            offset += 3 + length;
        }

        if (offset != body.Length)
        {
            return ServiceDecodeStatus.LengthMismatch;
        }

        report = new MemberReport(
            BinaryPrimitives.ReadUInt32LittleEndian(body),
            BinaryPrimitives.ReadUInt64LittleEndian(body[8..]),
            (MemberRequestKind)body[24],
            (MemberOutcome)body[25],
            BinaryPrimitives.ReadUInt64LittleEndian(body[16..]),
            body[26],
            body.Slice(32, DigestSize).ToArray(),
            applied,
            refused,
            errors);
        return ServiceDecodeStatus.Ok;
    }

    /// <summary>Decodes a CONFIG_APPLY. Never throws; text that is not UTF-8 is refused.</summary>
    public static ServiceDecodeStatus TryDecodeConfigApply(ReadOnlySpan<byte> message, out ConfigApplyRequest? request)
    {
        request = null;
        var status = ReadPrefix(message, ConfigApplyFunction, ConfigApplyFixedSize);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        var body = message[PrefixSize..];
        var length = BinaryPrimitives.ReadUInt32LittleEndian(body[24..]);
        if (body[16] > (byte)ConfigApplyKind.CatchUp || length > ConfigTextSizeMax)
        {
            return ServiceDecodeStatus.InvalidField;
        }

        if (32 + (long)length != body.Length)
        {
            return 32 + (long)length > body.Length ? ServiceDecodeStatus.Truncated : ServiceDecodeStatus.LengthMismatch;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body[32..]);
        }
        catch (DecoderFallbackException)
        {
            return ServiceDecodeStatus.InvalidField;
        }

        request = new ConfigApplyRequest(
            BinaryPrimitives.ReadUInt64LittleEndian(body), BinaryPrimitives.ReadUInt64LittleEndian(body[8..]), (ConfigApplyKind)body[16], text);
        return ServiceDecodeStatus.Ok;
    }

    /// <summary>The sender node id of either message (the prefix is the cfg messages' common one).</summary>
    public static uint SenderOf(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt32LittleEndian(message[16..]);

    private static void Add(List<(byte, byte[])> lines, byte category, IReadOnlyList<string> source)
    {
        foreach (var line in source)
        {
            if (lines.Count == ReportLinesMax)
            {
                lines.Add((2, Encoding.UTF8.GetBytes("(more lines cut: see this node's log)")));
                return;
            }

            lines.Add((category, Cut(line)));
        }
    }

    private static byte[] Cut(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        if (bytes.Length <= ReportLineBytesMax)
        {
            return bytes;
        }

        // Cut on a character boundary: back off over UTF-8 continuation bytes.
        var length = ReportLineBytesMax;
        while (length > 0 && (bytes[length] & 0xC0) == 0x80)
        {
            length--;
        }

        return bytes[..length];
    }

    private static void WritePrefix(Span<byte> message, int function, int size, uint sender)
    {
        ServiceHeader.Write(message, ServiceIds.Make(ServiceIds.Cfg, function), size);
        BinaryPrimitives.WriteUInt32LittleEndian(message[16..], sender);
    }

    private static ServiceDecodeStatus ReadPrefix(ReadOnlySpan<byte> message, int function, int fixedSize)
    {
        var status = ServiceHeader.TryRead(message, out var id, out _);
        if (status != ServiceDecodeStatus.Ok)
        {
            return status;
        }

        if (ServiceIds.ServiceOf(id) != ServiceIds.Cfg || ServiceIds.FunctionOf(id) != function)
        {
            return ServiceDecodeStatus.UnknownMessage;
        }

        return message.Length < fixedSize ? ServiceDecodeStatus.Truncated : ServiceDecodeStatus.Ok;
    }
}
