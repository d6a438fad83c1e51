using System.CommandLine;
using System.Globalization;
using Rookery.Config;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery delnode NAME</c>: removes a node (matched by name, ring0_addr or ring1_addr, as
/// pvecm does) from the nodelist, in place, and raises config_version by one. A node cannot
/// delete itself.
/// </summary>
public static class DelNodeCommand
{
    public static Command Build(CliContext context)
    {
        var name = new Argument<string>("NAME") { Description = "Name (or ring0/ring1 address) of the node to remove" };
        var socket = NodeCommandSupport.SocketOption();
        var json = NodeCommandSupport.JsonOption();
        var command = new Command("delnode", "Remove a node from the cluster configuration, like pvecm delnode (on a running cluster: on every member at once).");
        command.Arguments.Add(name);
        command.Options.Add(socket);
        command.Options.Add(json);
        context.SetAction(command, result =>
        {
            var target = result.GetRequiredValue(name);
            var editing = ConfigEditing.Open(context.ConfigPath(result));
            var config = editing.Original;
            var node = config.FindNode(target)
                ?? config.Nodes.FirstOrDefault(n => n.Address(0) == target || n.Address(1) == target)
                ?? throw new CliException($"Node/IP: {target} is not a known host of the cluster.");
            var local = LocalNode.Find(config, null, context.HostName(), context.LocalAddresses());
            if (local.Node is not null && ReferenceEquals(local.Node, node))
            {
                throw new CliException("Cannot delete myself from cluster!");
            }

            editing.Editor.RemoveNode(node.Name ?? node.Address(0)!);
            var asJson = result.GetValue(json);
            var code = editing.Commit(context, result, socket, asJson, version =>
                context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"deleting node {node.DisplayName} from cluster (config_version {version})")));
            if (asJson && editing.RunningSocket(result, socket) is null)
            {
                CliJson.Write(context, ("node", node.DisplayName), ("nodeid", (long?)node.NodeId), ("config_version", editing.Editor.Config.Totem.ConfigVersion), ("config_file", editing.Path));
            }

            return code;
        });
        return command;
    }
}
