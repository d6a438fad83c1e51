using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Rookery.Control;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery events [--json]</c>: the cluster's events as they happen, starting with the current state: membership
/// changes (joined, left with the reason), quorum changes, link up/down and the active link per peer, configuration
/// changes. One line per event; with <c>--json</c> one JSON object per line. Runs until interrupted.
/// </summary>
public static class EventsCommand
{
    public static Command Build(CliContext context)
    {
        var socket = NodeCommandSupport.SocketOption();
        var json = new Option<bool>("--json") { Description = "One JSON object per line (fields: type, time, nodeid, name, link, state, reason, quorate, config_version, …)" };
        var command = new Command("events", "Stream membership, quorum, link and configuration events as they happen (current state first).");
        command.Options.Add(socket);
        command.Options.Add(json);
        context.SetAction(command, result => NodeCommandSupport.WithClient(context, result, socket, async (client, cancel) =>
        {
            var asJson = result.GetValue(json);
            await foreach (var clusterEvent in client.EventsAsync(cancel).ConfigureAwait(false))
            {
                context.Output.WriteLine(asJson ? JsonSerializer.Serialize(clusterEvent, ControlJsonContext.Default.ClusterEvent) : Text(clusterEvent));
                context.Output.Flush();
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>One line for people: time, what, about whom.</summary>
    public static string Text(ClusterEvent e)
    {
        var who = e.Nodeid is { } id ? string.Create(CultureInfo.InvariantCulture, $"node {id} ({e.Name})") : "";
        var initial = e.Initial == true ? " (current)" : "";
        var what = e.Type switch
        {
            ClusterEventTypes.Membership => $"members: {string.Join(' ', e.Members ?? [])} (ring {e.RingId})",
            ClusterEventTypes.NodeJoined => $"{who} joined (ring {e.RingId})",
            ClusterEventTypes.NodeLeft => $"{who} left: {e.Reason} (ring {e.RingId})",
            ClusterEventTypes.Quorum => e.Quorate == true ? $"quorate, members: {string.Join(' ', e.Members ?? [])}" : "not quorate (activity blocked)",
            ClusterEventTypes.Link => $"{who} link {e.Link} {e.State}{(e.Reason is { } reason ? $" ({reason})" : "")}",
            ClusterEventTypes.LinkActive => e.State == "none" ? $"{who} has no active links" : $"{who} active link {e.Link}",
            ClusterEventTypes.Config => $"config_version {e.ConfigVersion} ({e.Source}){(e.Changes is { Count: > 0 } changes ? ": " + string.Join("; ", changes) : "")}",
            _ => e.Type,
        };
        return $"{e.Time} {what}{initial}";
    }
}
