using System.Text;
using System.Text.Json;
using Rookery.Control;

namespace Rookery.Cli.Formatting;

/// <summary>The <c>--json</c> documents: snake_case field names from architecture.md §5, indented, one per command.</summary>
public static class JsonOutput
{
    private static readonly ControlJsonContext s_indented = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    });

    public static string Status(ClusterStatus status) => JsonSerializer.Serialize(status, s_indented.ClusterStatus);

    public static string Links(LinksStatus links) => JsonSerializer.Serialize(links, s_indented.LinksStatus);

    public static string Reload(ReloadReport report) => JsonSerializer.Serialize(report, s_indented.ReloadReport);

    /// <summary><c>rookery nodes --json</c>: <c>{"members":[{nodeid, votes, name, local}]}</c>.</summary>
    public static string Nodes(IReadOnlyList<MemberInfo> members)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("members");
            JsonSerializer.Serialize(writer, members.OrderBy(m => m.Nodeid).ToArray(), s_indented.IReadOnlyListMemberInfo);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
