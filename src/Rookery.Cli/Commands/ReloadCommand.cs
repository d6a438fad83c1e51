using System.CommandLine;
using Rookery.Cli.Formatting;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery reload [--dry-run]</c>: every member re-reads its own corosync.conf (corosync-cfgtool -R); prints, for
/// every node of the nodelist, what it applied, left unchanged or refused (key and reason), or that it is unreachable,
/// and warns when the members' files differ. All of a node's changes apply or none; exit 1 when any member refused. <c>--dry-run</c> only checks
/// this node's file against the running configuration, with the checks of <c>rookery config check</c>.
/// </summary>
public static class ReloadCommand
{
    public static Command Build(CliContext context)
    {
        var socket = NodeCommandSupport.SocketOption();
        var json = NodeCommandSupport.JsonOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what a reload would apply and refuse on this node, change nothing" };
        var command = new Command("reload", "Reload corosync.conf on every member (corosync-cfgtool -R); prints what each member applied or refused.");
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
            return ClusterReportOutput.Print(context, report, result.GetValue(json), isDryRun ? "would apply" : "applied", isDryRun
                ? $"a reload of {report.ConfigFile} would change nothing: fix what is refused first"
                : "Errors in applying config, corosync.conf might not match the running system: nothing was changed where it was refused");
        }));
        return command;
    }
}
