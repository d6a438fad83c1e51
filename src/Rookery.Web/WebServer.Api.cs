using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Rookery.Config;
using Rookery.Control;

namespace Rookery.Web;

/// <content>
/// <c>/api/…</c>: JSON for the pages. Reads: <c>state</c>, <c>status</c>, <c>events</c> (server-sent events),
/// <c>config</c>, <c>join-info</c>. Changes (POST, with <see cref="RequestHeader"/>): <c>config/check</c>,
/// <c>config/apply</c> (the edit-once path: the file goes to every member in one agreed step), <c>create</c> and
/// <c>join</c> (only while this machine is in no cluster).
/// </content>
public sealed partial class WebServer
{
    /// <summary>The name an edited file's messages carry.</summary>
    private const string EditedFileName = "corosync.conf";

    private async Task ServeApiAsync(HttpContext context, string path)
    {
        var node = _options.Node;
        var get = HttpMethods.IsGet(context.Request.Method);
        var post = HttpMethods.IsPost(context.Request.Method);
        var cancel = context.RequestAborted;
        try
        {
            switch (path)
            {
                case "/api/state" when get:
                    await WriteAsync(context, new WebState(node is not null, _options.ConfigPath, node is null && _options.Setup is not null), WebJsonContext.Default.WebState).ConfigureAwait(false);
                    break;
                case "/api/status" when get && node is not null:
                    await WriteAsync(context, await node.GetStatusAsync(cancel).ConfigureAwait(false), ControlJsonContext.Default.ClusterStatus).ConfigureAwait(false);
                    break;
                case "/api/events" when get && node is not null:
                    await WebEventStream.ServeAsync(context, node).ConfigureAwait(false);
                    break;
                case "/api/config" when get && _options.ConfigPath is { } configPath:
                    if (!ConfigFile.TryReadText(configPath, out var text, out var readError))
                    {
                        await FailAsync(context, StatusCodes.Status404NotFound, readError).ConfigureAwait(false);
                        break;
                    }

                    await WriteAsync(context, new ConfigText(configPath, text), WebJsonContext.Default.ConfigText).ConfigureAwait(false);
                    break;
                case "/api/config/check" when post && node is not null:
                    await WriteAsync(context, await EditAsync(node, await ReadBodyAsync(context).ConfigureAwait(false), dryRun: true, cancel).ConfigureAwait(false), WebJsonContext.Default.ConfigOutcome).ConfigureAwait(false);
                    break;
                case "/api/config/apply" when post && node is not null:
                    await WriteAsync(context, await EditAsync(node, await ReadBodyAsync(context).ConfigureAwait(false), dryRun: false, cancel).ConfigureAwait(false), WebJsonContext.Default.ConfigOutcome).ConfigureAwait(false);
                    break;
                case "/api/join-info" when get && _options.Setup is { } setup:
                    await WriteAsync(context, setup.JoinInformation(), WebJsonContext.Default.SetupResult).ConfigureAwait(false);
                    break;
                case "/api/create" when post && node is null && _options.Setup is { } setup:
                    var create = await ReadJsonAsync(context, WebJsonContext.Default.CreateForm).ConfigureAwait(false);
                    await WriteAsync(context, create is null ? Malformed : await setup.CreateAsync(create, cancel).ConfigureAwait(false), WebJsonContext.Default.SetupResult).ConfigureAwait(false);
                    break;
                case "/api/join" when post && node is null && _options.Setup is { } setup:
                    var join = await ReadJsonAsync(context, WebJsonContext.Default.JoinForm).ConfigureAwait(false);
                    await WriteAsync(context, join is null ? Malformed : await setup.JoinAsync(join, cancel).ConfigureAwait(false), WebJsonContext.Default.SetupResult).ConfigureAwait(false);
                    break;
                default:
                    await FailAsync(context, StatusCodes.Status404NotFound, $"{context.Request.Method} {path} is not served here").ConfigureAwait(false);
                    break;
            }
        }
        catch (NodeControlException exception)
        {
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, $"the node refused: {exception.Message}").ConfigureAwait(false);
        }
    }

    private static readonly SetupResult Malformed = new(false, "the request is not a JSON form of this page");

    /// <summary>
    /// The edit-once path of <c>rookery config edit</c>: check the edited text, raise config_version when the edit did
    /// not, then let the node check it against its running configuration (dry run) or send it to every member.
    /// </summary>
    private async Task<ConfigOutcome> EditAsync(INodeControl node, string text, bool dryRun, CancellationToken cancellationToken)
    {
        var loaded = ConfigLoader.Load(text, EditedFileName);
        var messages = loaded.Diagnostics.Select(d => new ConfigMessage(d.Line, d.IsError ? "error" : "warning", d.Message)).ToList();
        if (loaded.HasErrors)
        {
            return new ConfigOutcome(false, messages, null, null, null);
        }

        ulong? raised = null;
        var running = _options.ConfigPath is { } path && ConfigFile.TryReadText(path, out var runningText, out _)
            ? ConfigLoader.Parse(runningText, path) : null;
        var runningVersion = running is { Parsed: true } ? running.Config.Totem.ConfigVersion : 0;
        if (loaded.Config.Totem.ConfigVersion <= runningVersion && ConfigEditor.TryOpen(text, EditedFileName, out _) is { } editor)
        {
            var version = editor.BumpConfigVersion();
            while (version <= runningVersion)
            {
                version = editor.BumpConfigVersion();
            }

            text = editor.Text;
            raised = version;
        }

        try
        {
            var report = await node.ApplyConfigAsync(text, dryRun, cancellationToken).ConfigureAwait(false);
            messages.AddRange(report.Errors.Select(NodeMessage));
            return new ConfigOutcome(report.Ok, messages, raised, report, null);
        }
        catch (NodeControlException exception)
        {
            return new ConfigOutcome(false, messages, raised, null, exception.Message);
        }
    }

    /// <summary>The node's <c>FILE:LINE: reason</c> as a message on its line.</summary>
    private static ConfigMessage NodeMessage(string error)
    {
        var parts = error.Split(':', 3);
        return parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var line)
            ? new ConfigMessage(line, "error", parts[2].Trim())
            : new ConfigMessage(0, "error", error);
    }

    private static async Task<string> ReadBodyAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<T?> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> type)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static Task WriteAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(value, type), context.RequestAborted);
    }

    private static Task FailAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }
}
