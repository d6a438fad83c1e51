using System.CommandLine;
using Rookery.Cli.Formatting;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery status</c> (<c>pvecm status</c>, plus a Links section) and <c>rookery nodes</c> (<c>pvecm nodes</c>).
/// status exits 0 when quorate, 2 when not, 1 on error, as corosync-quorumtool does.
/// </summary>
public static class StatusCommand
{
    /// <summary><c>EXIT_NOT_QUORATE</c> of corosync-quorumtool.</summary>
    public const int NotQuorate = 2;

    public static Command Build(CliContext context) =>
        NodeCommandSupport.Query(context, "status", "Cluster, quorum, membership and link status (pvecm status); exit 0 quorate, 2 not quorate, 1 error.",
            async (client, json, cancel) =>
            {
                var status = await client.GetStatusAsync(cancel).ConfigureAwait(false);
                context.Output.Write(json ? JsonOutput.Status(status) + "\n" : StatusFormatter.FormatStatus(status, DateTimeOffset.Now));
                return status.Quorum.Quorate ? ExitCodes.Ok : NotQuorate;
            });

    public static Command BuildNodes(CliContext context) =>
        NodeCommandSupport.Query(context, "nodes", "Members of the current membership (pvecm nodes).", async (client, json, cancel) =>
        {
            var status = await client.GetStatusAsync(cancel).ConfigureAwait(false);
            context.Output.Write(json ? JsonOutput.Nodes(status.Members) + "\n" : StatusFormatter.FormatNodes(status.Members));
            return ExitCodes.Ok;
        });
}
