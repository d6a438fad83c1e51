using System.CommandLine;
using System.Globalization;
using Rookery.Cli.Formatting;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery links</c> (corosync-cfgtool -s and -n, plus active link, priority, latency, counters) and
/// <c>rookery link enable|disable N [--local]</c> (take a link out of service for maintenance, cluster-wide by default).
/// </summary>
public static class LinksCommand
{
    public static Command Build(CliContext context) =>
        NodeCommandSupport.Query(context, "links", "Every node's links: connected, active, priority, addresses, latency, counters (corosync-cfgtool -s).",
            async (client, json, cancel) =>
            {
                var links = await client.GetLinksAsync(cancel).ConfigureAwait(false);
                context.Output.Write(json ? JsonOutput.Links(links) + "\n" : LinksFormatter.Format(links));
                return ExitCodes.Ok;
            });

    public static Command BuildLink(CliContext context)
    {
        var command = new Command("link", "Link maintenance.");
        command.Subcommands.Add(BuildSwitch(context, enable: true));
        command.Subcommands.Add(BuildSwitch(context, enable: false));
        return command;
    }

    private static Command BuildSwitch(CliContext context, bool enable)
    {
        var socket = NodeCommandSupport.SocketOption();
        var link = new Argument<long>("N")
        {
            Description = $"Link number (0..{Limits.LinksMax - 1})",
            CustomParser = NodeCommandSupport.WholeNumber(token => $"link number '{token}' is not a number; link numbers are 0..{Limits.LinksMax - 1}"),
        };
        link.Validators.Add(r => NodeCommandSupport.Range(r, 0, Limits.LinksMax - 1, token => $"link number {token} is out of range; link numbers are 0..{Limits.LinksMax - 1}"));
        var local = new Option<bool>("--local") { Description = "Only on this node (default: on every member)" };
        var command = new Command(enable ? "enable" : "disable", enable ? "Put link N back in service." : "Take link N out of service (its traffic fails over to the next link).");
        command.Arguments.Add(link);
        command.Options.Add(local);
        command.Options.Add(socket);
        context.SetAction(command, result => NodeCommandSupport.WithClient(context, result, socket, async (client, cancel) =>
        {
            var number = (int)result.GetValue(link);
            var clusterWide = !result.GetValue(local);
            await client.SetLinkEnabledAsync(number, enable, clusterWide, cancel).ConfigureAwait(false);
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"link {number} {(enable ? "enabled" : "disabled")} {(clusterWide ? "on every member" : "on this node")}"));
            return ExitCodes.Ok;
        }));
        return command;
    }
}
