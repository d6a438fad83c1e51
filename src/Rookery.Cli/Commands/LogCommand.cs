using System.CommandLine;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery log reopen</c>: the running node closes its log file and opens the configured path again
/// (<c>corosync-cfgtool -L</c>), so logrotate can move the file away without SIGHUP or copytruncate. Silent on
/// success, as corosync-cfgtool is, because logrotate mails whatever a postrotate script prints.
/// </summary>
public static class LogCommand
{
    public static Command Build(CliContext context)
    {
        var command = new Command("log", "The running node's log file.");
        command.Subcommands.Add(BuildReopen(context));
        return command;
    }

    private static Command BuildReopen(CliContext context)
    {
        var socket = NodeCommandSupport.SocketOption();
        var command = new Command("reopen", "Reopen the log file after it was rotated (corosync-cfgtool -L); prints nothing on success.");
        command.Options.Add(socket);
        context.SetAction(command, result => NodeCommandSupport.WithClient(context, result, socket, async (client, cancel) =>
        {
            await client.ReopenLogAsync(cancel).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
