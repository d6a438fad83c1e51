using System.Text;
using System.Text.Json;

namespace Rookery.Cli.Commands;

/// <summary>
/// The small <c>--json</c> documents of the commands that change files (<c>create</c>, <c>addnode</c>,
/// <c>delnode</c>, <c>join</c>, …): one indented object with snake_case fields, strings, numbers, booleans and
/// string lists, as <c>JsonOutput</c> writes the daemon's documents.
/// </summary>
public static class CliJson
{
    public static void Write(CliContext context, params (string Name, object? Value)[] fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in fields)
            {
                switch (value)
                {
                    case null:
                        break;
                    case string text:
                        writer.WriteString(name, text);
                        break;
                    case bool flag:
                        writer.WriteBoolean(name, flag);
                        break;
                    case long or int or uint or ulong:
                        writer.WriteNumber(name, Convert.ToDecimal(value, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                    case IEnumerable<string> list:
                        writer.WriteStartArray(name);
                        foreach (var item in list)
                        {
                            writer.WriteStringValue(item);
                        }

                        writer.WriteEndArray();
                        break;
                    default:
                        writer.WriteString(name, value.ToString());
                        break;
                }
            }

            writer.WriteEndObject();
        }

        context.Output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
