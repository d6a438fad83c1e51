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
/// The file is edited in place (comments kept) and config_version raised by one.
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
        var command = new Command("addnode", "Add a node to the cluster configuration, like pvecm addnode.");
        command.Arguments.Add(name);
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
            var linkList = ResolveLinks(context, config, nodeName, given, errors);
            CheckAddresses(config, nodeName, linkList, errors);
            var existing = config.FindNode(nodeName);
            var finalId = requestedId ?? existing?.NodeId ?? SmallestFreeId(config);
            if (existing is not null)
            {
                if (!result.GetValue(force) || existing.NodeId != finalId || existing.QuorumVotes != nodeVotes)
                {
                    errors.Add($"can't add existing node '{nodeName}'");
                }
            }
            else if (config.Nodes.FirstOrDefault(n => n.NodeId == finalId) is { } holder)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"nodeid {finalId} is already used by node '{holder.DisplayName}'"));
            }

            CreateCommand.Fail(errors);
            if (existing is not null)
            {
                context.Error.WriteLine($"rookery: forcing overwrite of configured node '{nodeName}'");
                editing.Editor.RemoveNode(nodeName);
            }

            foreach (var link in given.Where(l => l.Priority is not null))
            {
                context.Error.WriteLine($"rookery: priority of link{link.Link} ignored: link priorities are cluster-wide (set at create or in the interface section)");
            }

            var keys = new List<KeyValue> { new("name", nodeName), new("nodeid", CreateCommand.Text(finalId)), new("quorum_votes", CreateCommand.Text(nodeVotes)) };
            keys.AddRange(linkList.Select(l => new KeyValue(NodeConfig.RingKey(l.Link), l.Address)));
            editing.Editor.AddNode(keys);
            var version = editing.Save();
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"adding node {nodeName} to cluster (nodeid {finalId}, config_version {version})"));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The links of the new node: exactly the cluster's link numbers, or the node's resolved address on a single-link cluster.</summary>
    private static IReadOnlyList<LinkArgument> ResolveLinks(CliContext context, CorosyncConfig config, string nodeName, IReadOnlyList<LinkArgument> given, List<string> errors)
    {
        var clusterLinks = config.ConfiguredLinks.Select(l => l.Value).ToHashSet();
        if (given.Count == 0)
        {
            if (clusterLinks.Count != 1)
            {
                throw new CliException("no links given but multiple links found on other nodes, fallback only supported on single-link clusters");
            }

            var address = context.Resolve(nodeName).FirstOrDefault(a => !IPAddress.IsLoopback(a))
                ?? throw new CliException($"no links and no fallback ip given, cannot join cluster: '{nodeName}' does not resolve; pass --link{clusterLinks.Single()} ADDR");
            return [new LinkArgument(clusterLinks.Single(), address.ToString(), null)];
        }

        for (var link = 0; link < Limits.LinksMax; link++)
        {
            var inCluster = clusterLinks.Contains((byte)link);
            var inGiven = given.Any(g => g.Link == link);
            if (inCluster && !inGiven)
            {
                errors.Add($"corosync: link {link} exists in cluster config but wasn't specified for new node");
            }
            else if (!inCluster && inGiven)
            {
                errors.Add($"corosync: link {link} specified for new node doesn't exist in cluster config");
            }
        }

        return given;
    }

    private static void CheckAddresses(CorosyncConfig config, string nodeName, IReadOnlyList<LinkArgument> links, List<string> errors)
    {
        LinkOptions.CheckOwnAddresses(links, errors);
        foreach (var link in links)
        {
            foreach (var other in config.Nodes.Where(n => n.Name != nodeName))
            {
                foreach (var (otherLink, otherAddress) in other.RingAddresses)
                {
                    if (otherAddress == link.Address)
                    {
                        errors.Add($"corosync: address '{link.Address}' already used on link {NodeConfig.RingKey(otherLink)} by node '{other.DisplayName}'");
                    }
                }
            }

            var family = ConfigValidator.Family(link.Address);
            var peer = config.Nodes.Where(n => n.Name != nodeName).Select(n => n.Address(link.Link)).FirstOrDefault(a => a is not null && ConfigValidator.Family(a) is not null);
            if (family is not null && peer is not null && ConfigValidator.Family(peer) != family)
            {
                errors.Add($"address '{link.Address}' is {Describe(family.Value)} but link {link.Link} uses {Describe(ConfigValidator.Family(peer)!.Value)} (compared with '{peer}')");
            }
        }
    }

    private static string Describe(System.Net.Sockets.AddressFamily family) =>
        family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    private static uint SmallestFreeId(CorosyncConfig config)
    {
        var used = config.Nodes.Select(n => n.NodeId).OfType<uint>().ToHashSet();
        var id = 1u;
        while (used.Contains(id))
        {
            id++;
        }

        return id;
    }
}
