using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rookery.Control;

/// <summary>
/// The control-socket protocol: JSON lines over a Unix stream socket (mode 0600). Each request is one line
/// <c>{"v":1,"id":N,"cmd":"status",…arguments}</c>; each reply is one line with the same <c>id</c> and either
/// <c>"ok":true</c> and a result field or <c>"ok":false</c> and <c>error{code,message}</c>. Group events are pushed
/// as <c>{"v":1,"group_event":{…}}</c> lines between replies. A frame longer than <see cref="FrameSizeMax"/>,
/// invalid JSON, or an unknown command gets an error reply; the connection and the daemon go on.
/// </summary>
public static class ControlProtocol
{
    /// <summary>The protocol version this build speaks (field <c>v</c>).</summary>
    public const int Version = 1;

    /// <summary>Largest frame (one line, newline excluded) either side accepts: a group message of 1 MiB in base64 plus the envelope.</summary>
    public const int FrameSizeMax = 1_500_000;

    /// <summary>Largest group message payload (corosync: <c>cpg_max_atomic_msgsize</c> is about 1 MiB).</summary>
    public const int GroupMessageSizeMax = 1 << 20;

    /// <summary>Longest group name (corosync: <c>CPG_MAX_NAME_LENGTH</c>).</summary>
    public const int GroupNameLengthMax = 128;

    /// <summary>Concurrent client connections a daemon serves.</summary>
    public const int ClientsMax = 64;

    /// <summary>Group events buffered per connection before the slowest reader loses its subscription.</summary>
    public const int EventBacklogMax = 65536;

    /// <summary>Most messages one <c>group_send</c> request may carry in <c>messages</c> (a batch).</summary>
    public const int GroupSendBatchMax = 4096;

    /// <summary>Commands (field <c>cmd</c>).</summary>
    public static class Commands
    {
        public const string Hello = "hello";
        public const string Status = "status";
        public const string Links = "links";
        public const string Expected = "expected";
        public const string LinkEnable = "link_enable";
        public const string Reload = "reload";
        public const string ConfigApply = "config_apply";
        public const string Events = "events";
        public const string LogReopen = "log_reopen";
        public const string GroupJoin = "group_join";
        public const string GroupLeave = "group_leave";
        public const string GroupSend = "group_send";
    }

    /// <summary>Writes one frame (no newline) as UTF-8 JSON.</summary>
    public static byte[] Serialize(ServerFrame frame) => JsonSerializer.SerializeToUtf8Bytes(frame, ControlJsonContext.Default.ServerFrame);

    /// <summary>Writes one request frame (no newline) as UTF-8 JSON.</summary>
    public static byte[] Serialize(ControlRequest request) => JsonSerializer.SerializeToUtf8Bytes(request, ControlJsonContext.Default.ControlRequest);

    /// <summary>Parses a request line. Never throws on bad bytes: returns null and the reason instead.</summary>
    public static ControlRequest? TryParseRequest(ReadOnlySpan<byte> line, out string? error)
    {
        try
        {
            var request = JsonSerializer.Deserialize(line, ControlJsonContext.Default.ControlRequest);
            if (request is null)
            {
                error = "the frame is JSON null; send an object such as {\"v\":1,\"id\":1,\"cmd\":\"status\"}";
                return null;
            }

            error = null;
            return request;
        }
        catch (JsonException exception)
        {
            error = $"the frame is not a valid request object: {exception.Message}";
            return null;
        }
    }

    /// <summary>Parses a reply or event line from the daemon. Never throws on bad bytes.</summary>
    public static ServerFrame? TryParseServerFrame(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, ControlJsonContext.Default.ServerFrame);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A request line. Arguments of all commands share the envelope; each command reads its own.</summary>
public sealed record ControlRequest
{
    public int V { get; init; } = ControlProtocol.Version;

    public long? Id { get; init; }

    public string? Cmd { get; init; }

    /// <summary><c>expected</c>: the new expected votes.</summary>
    public long? Votes { get; init; }

    /// <summary><c>link_enable</c>: the link number.</summary>
    public int? Link { get; init; }

    /// <summary><c>link_enable</c>: true to enable, false to disable.</summary>
    public bool? Enabled { get; init; }

    /// <summary><c>link_enable</c>: apply on this node only.</summary>
    public bool? Local { get; init; }

    /// <summary><c>reload</c>: check only.</summary>
    public bool? DryRun { get; init; }

    /// <summary><c>config_apply</c>: the whole new corosync.conf.</summary>
    public string? Text { get; init; }

    /// <summary><c>group_*</c>: the group name.</summary>
    public string? Group { get; init; }

    /// <summary><c>group_join</c>: the client's process id.</summary>
    public long? Pid { get; init; }

    /// <summary><c>group_join</c>: deliveries of this group as binary frames (<see cref="GroupFrames"/>) instead of JSON lines.</summary>
    public bool? Binary { get; init; }

    /// <summary><c>group_send</c>: the payload (base64 in JSON).</summary>
    public byte[]? Data { get; init; }

    /// <summary>
    /// <c>group_send</c>: a batch of payloads (each base64), sent in this order as separate messages; instead of
    /// <see cref="Data"/>. The reply comes once the node accepted every one of them (<see cref="ServerFrame.Accepted"/>).
    /// </summary>
    public IReadOnlyList<byte[]>? Messages { get; init; }
}

/// <summary>A line from the daemon: a reply (with <see cref="Id"/>) or a pushed group event.</summary>
public sealed record ServerFrame
{
    public int V { get; init; } = ControlProtocol.Version;

    public long? Id { get; init; }

    public bool? Ok { get; init; }

    public ControlError? Error { get; init; }

    public HelloResult? Hello { get; init; }

    public ClusterStatus? Status { get; init; }

    public LinksStatus? Links { get; init; }

    public ReloadReport? Reload { get; init; }

    /// <summary><c>group_send</c>: how many messages of the request the node accepted, in order (all of them when ok).</summary>
    public int? Accepted { get; init; }

    public GroupEvent? GroupEvent { get; init; }

    /// <summary><c>group_join</c>: the daemon sends this group's deliveries as binary frames and takes binary sends (<see cref="GroupFrames"/>).</summary>
    public bool? Binary { get; init; }

    /// <summary>A pushed cluster event of an <c>events</c> subscription.</summary>
    public ClusterEvent? ClusterEvent { get; init; }
}

/// <summary>An error reply's body.</summary>
public sealed record ControlError(string Code, string Message);

/// <summary>The reply to <c>hello</c>: who answers.</summary>
public sealed record HelloResult(int ProtocolVersion, string Version);

/// <summary>Source-generated JSON for the control protocol and the <c>--json</c> outputs (snake_case names).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = 32)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ServerFrame))]
[JsonSerializable(typeof(ClusterStatus))]
[JsonSerializable(typeof(LinksStatus))]
[JsonSerializable(typeof(ReloadReport))]
[JsonSerializable(typeof(GroupEvent))]
[JsonSerializable(typeof(ClusterEvent))]
[JsonSerializable(typeof(IReadOnlyList<MemberInfo>))]
public sealed partial class ControlJsonContext : JsonSerializerContext;
