using System.CommandLine;
using System.Globalization;
using System.Net;
using Rookery.Config;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery addnode NAME</c>: adds a node to the nodelist with pvecm's checks and messages
/// (pve-cluster: <c>ClusterConfig::addnode</c>): the exact link numbers of the cluster, no
/// address already used by another node, an existing name only with <c>--force</c> and the same
/// nodeid and votes, the smallest free nodeid by default. Beyond pvecm: one address on two of the
/// node's own links, and an address of another IP family than the link's, are refused too.
/// The file is edited in place (comments kept) and config_version raised by one; when a daemon runs the file
/// (or <c>--socket</c> names one), the new file goes to every member at once, as <c>config apply</c> does.
/// </summary>
public static class AddNodeCommand
{
    public static Command Build(CliContext context)
    {
        var name = new Argument<string>("NAME") { Description = "Name of the new node" };
        var nodeId = new Option<long?>("--nodeid") { Description = "Node id (default: the smallest free one)" };
        var votes = new Option<long?>("--votes") { Description = "Votes of the node (default 1)" };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing node of that name (same nodeid and votes)" };
        var links = new LinkOptions(" (priority is ignored: link priorities are set for the cluster)");
        var socket = NodeCommandSupport.SocketOption();
        var json = NodeCommandSupport.JsonOption();
        var command = new Command("addnode", "Add a node to the cluster configuration, like pvecm addnode (on a running cluster: on every member at once).");
        command.Arguments.Add(name);
        command.Options.Add(socket);
        command.Options.Add(json);
        links.AddTo(command);
        command.Options.Add(nodeId);
        command.Options.Add(votes);
        command.Options.Add(force);
        context.SetAction(command, result =>
        {
            var errors = new List<string>();
            var nodeName = result.GetRequiredValue(name);
            CreateCommand.CheckName("node", nodeName, 63, errors);
            var requestedId = result.GetValue(nodeId) is { } id ? CreateCommand.Range("nodeid", id, 1, Limits.NodeIdMax, errors) : (long?)null;
            var nodeVotes = CreateCommand.Range("votes", result.GetValue(votes) ?? 1, 0, uint.MaxValue, errors);
            var given = links.Parse(result, errors);
            CreateCommand.Fail(errors);

            var editing = ConfigEditing.Open(context.ConfigPath(result));
            var config = editing.Original;
            given = LinkOptions.ResolveNames(context, given, config.Totem.IpVersion, errors);
            CreateCommand.Fail(errors);
            var linkList = ResolveLinks(context, config, nodeName, given);
            var notes = new List<string>();
            var finalId = NodeAddition.Add(editing.Editor, nodeName, requestedId, nodeVotes, linkList, result.GetValue(force), errors, notes);
            CreateCommand.Fail(errors);
            foreach (var note in notes)
            {
                context.Error.WriteLine($"rookery: {note}");
            }

            foreach (var link in given.Where(l => l.Priority is not null))
            {
                context.Error.WriteLine($"rookery: priority of link{link.Link} ignored: link priorities are cluster-wide (set at create or in the interface section)");
            }

            var asJson = result.GetValue(json);
            var code = editing.Commit(context, result, socket, asJson, version =>
                context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"adding node {nodeName} to cluster (nodeid {finalId}, config_version {version})")));
            if (asJson && editing.RunningSocket(result, socket) is null)
            {
                CliJson.Write(context, ("node", nodeName), ("nodeid", (long?)finalId), ("config_version", editing.Editor.Config.Totem.ConfigVersion), ("config_file", editing.Path));
            }

            return code;
        });
        return command;
    }

    /// <summary>The links of the new node: as given, or the node's resolved address on a single-link cluster (pvecm's fallback).</summary>
    private static IReadOnlyList<NodeLink> ResolveLinks(CliContext context, CorosyncConfig config, string nodeName, IReadOnlyList<LinkArgument> given)
    {
        var clusterLinks = config.ConfiguredLinks.Select(l => l.Value).ToHashSet();
        if (given.Count > 0)
        {
            return [.. given.Select(g => new NodeLink(g.Link, g.Address))];
        }

        if (clusterLinks.Count != 1)
        {
            throw new CliException("no links given but multiple links found on other nodes, fallback only supported on single-link clusters");
        }

        var address = context.Resolve(nodeName).FirstOrDefault(a => !IPAddress.IsLoopback(a))
            ?? throw new CliException($"no links and no fallback ip given, cannot join cluster: '{nodeName}' does not resolve; pass --link{clusterLinks.Single()} ADDR");
        return [new NodeLink(clusterLinks.Single(), address.ToString())];
    }
}
