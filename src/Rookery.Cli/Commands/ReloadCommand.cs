using System.CommandLine;
using Rookery.Cli.Formatting;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery reload [--dry-run]</c>: every member re-reads its own corosync.conf (corosync-cfgtool -R); prints what
/// was applied and what was refused on this node. All of a node's changes apply or none. <c>--dry-run</c> only checks
/// this node's file against the running configuration, with the checks of <c>rookery config check</c>.
/// </summary>
public static class ReloadCommand
{
    public static Command Build(CliContext context)
    {
        var socket = NodeCommandSupport.SocketOption();
        var json = NodeCommandSupport.JsonOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what a reload would apply and refuse on this node, change nothing" };
        var command = new Command("reload", "Reload corosync.conf on every member (corosync-cfgtool -R); prints applied and refused changes.");
        command.Options.Add(dryRun);
        command.Options.Add(socket);
        command.Options.Add(json);
        context.SetAction(command, result => NodeCommandSupport.WithClient(context, result, socket, async (client, cancel) =>
        {
            var isDryRun = result.GetValue(dryRun);
            if (!isDryRun && !result.GetValue(json))
            {
                context.Output.WriteLine("Reloading corosync.conf...");
            }

            var report = await client.ReloadAsync(isDryRun, cancel).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                context.Output.WriteLine(JsonOutput.Reload(report));
                return report.Ok ? ExitCodes.Ok : ExitCodes.Error;
            }

            foreach (var line in report.Errors)
            {
                context.Error.WriteLine(line);
            }

            var verb = isDryRun ? "would apply" : "applied";
            foreach (var line in report.Applied)
            {
                context.Output.WriteLine($"{verb}: {line}");
            }

            foreach (var line in report.Refused)
            {
                context.Output.WriteLine($"refused: {line}");
            }

            if (!report.Ok)
            {
                context.Fail(isDryRun
                    ? $"a reload of {report.ConfigFile} would change nothing: fix what is refused first"
                    : $"Errors in applying config, corosync.conf might not match the running system: nothing was changed ({report.ConfigFile})");
                return ExitCodes.Error;
            }

            context.Output.WriteLine(report.Applied.Count == 0 ? "Done (no changes)" : "Done");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
