using System.Text.Json;
using System.Text.Json.Serialization;
using Rookery.Control;

namespace Rookery.Node.Join;

/// <summary>
/// The join endpoint's protocol (pvecm add / <c>POST /cluster/config/join</c>, Rookery's way): TLS on TCP port
/// <see cref="Port"/> of a member's link addresses, the member's per-node certificate checked by its SHA-256
/// fingerprint; the joining node sends one <see cref="JoinRequest"/> line, the member answers one
/// <see cref="JoinResponse"/> line and closes. Lines are UTF-8 JSON, at most <see cref="FrameSizeMax"/> bytes.
/// </summary>
public static class JoinProtocol
{
    /// <summary>The join endpoint's TCP port (knet uses UDP 5405..5412 for links 0..7; Rookery's join is TCP 5420).</summary>
    public const int Port = 5420;

    public const int Version = 1;

    /// <summary>Largest request or response line (a corosync.conf and an authkey fit many times over).</summary>
    public const int FrameSizeMax = 2 * 1024 * 1024;

    /// <summary>Longest a join may take from connect to answer (a cluster-wide config apply included).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static byte[] Serialize<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        [.. JsonSerializer.SerializeToUtf8Bytes(value, type), (byte)'\n'];

    /// <summary>Reads one line (without the newline); null at end of stream or when longer than <see cref="FrameSizeMax"/>.</summary>
    public static async Task<byte[]?> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new MemoryStream();
        var next = new byte[1];
        while (line.Length <= FrameSizeMax)
        {
            if (await stream.ReadAsync(next, cancellationToken).ConfigureAwait(false) == 0)
            {
                return null;
            }

            if (next[0] == (byte)'\n')
            {
                return line.ToArray();
            }

            line.WriteByte(next[0]);
        }

        return null;
    }

    /// <summary>Parses a line; null when it is not the expected JSON (never throws).</summary>
    public static T? TryParse<T>(byte[]? line, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        if (line is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(line, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What <c>rookery join-info</c> prints, Base64(JSON) like the GUI's "Join Information".</summary>
/// <param name="ClusterName">totem.cluster_name.</param>
/// <param name="Node">The member's name.</param>
/// <param name="PeerLinks">The member's address per link number (the joining node needs the same link numbers).</param>
/// <param name="Fingerprint">SHA-256 of the member's certificate, <c>AA:BB:…</c>.</param>
/// <param name="Port">The join endpoint's TCP port.</param>
/// <param name="Secret">The cluster's join secret.</param>
/// <param name="ConfigVersion">totem.config_version when the information was printed.</param>
public sealed record JoinInfo(string ClusterName, string Node, IReadOnlyDictionary<string, string> PeerLinks, string Fingerprint, int Port, string Secret, ulong ConfigVersion)
{
    public string Encode() => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(this, JoinJsonContext.Default.JoinInfo));

    /// <summary>Decodes a pasted string; null when it is not join information (never throws).</summary>
    public static JoinInfo? TryDecode(string text)
    {
        try
        {
            var info = JsonSerializer.Deserialize(Convert.FromBase64String(text.Trim()), JoinJsonContext.Default.JoinInfo);
            return info is { ClusterName.Length: > 0, PeerLinks.Count: > 0, Fingerprint.Length: > 0 } ? info : null;
        }
        catch (Exception exception) when (exception is FormatException or JsonException)
        {
            return null;
        }
    }
}

/// <summary>One link of the joining node.</summary>
public sealed record JoinLink(int Link, string Address);

/// <summary>The joining node's request.</summary>
public sealed record JoinRequest(int V, string Secret, string Node, IReadOnlyList<JoinLink> Links, long? Nodeid = null, long? Votes = null, bool Force = false);

/// <summary>The member's answer: the files to write, or why not (pvecm: <c>An error occurred on the cluster node: …</c>).</summary>
public sealed record JoinResponse(bool Ok)
{
    public string? Error { get; init; }

    /// <summary>One line per problem (pvecm's <c>* …</c> list).</summary>
    public IReadOnlyList<string>? Details { get; init; }

    public string? CorosyncConf { get; init; }

    /// <summary>The authkey, base64.</summary>
    public string? Authkey { get; init; }

    /// <summary>The cluster's join secret (the new node serves joins too).</summary>
    public string? Secret { get; init; }

    public uint? Nodeid { get; init; }

    public ulong? ConfigVersion { get; init; }

    /// <summary>What every member did with the new nodelist.</summary>
    public IReadOnlyList<MemberResult>? Members { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JoinInfo))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(JoinResponse))]
public sealed partial class JoinJsonContext : JsonSerializerContext;
