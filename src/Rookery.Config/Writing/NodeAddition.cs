using System.Globalization;
using System.Net.Sockets;

namespace Rookery.Config;

/// <summary>One link address of a node being added: link number and address (an IP literal or a name).</summary>
public sealed record NodeLink(byte Link, string Address);

/// <summary>
/// pvecm's checks for adding a node to a nodelist (pve-cluster <c>ClusterConfig::addnode</c>), shared by
/// <c>rookery addnode</c> and the join endpoint: the exact link numbers of the cluster, no address already used by
/// another node, an existing name only with force and the same nodeid and votes, a nodeid that is free (the
/// smallest free one by default). Beyond pvecm: one address on two of the node's own links, and an address of
/// another IP family than the link's, are refused too. Messages are pvecm's.
/// </summary>
public static class NodeAddition
{
    /// <summary>pvecm's link-set rule: every link of the cluster given, no other.</summary>
    public static void CheckLinkSet(CorosyncConfig config, IReadOnlyList<NodeLink> links, List<string> errors)
    {
        var clusterLinks = config.ConfiguredLinks.Select(l => l.Value).ToHashSet();
        for (var link = 0; link < Limits.LinksMax; link++)
        {
            var inCluster = clusterLinks.Contains((byte)link);
            var inGiven = links.Any(g => g.Link == link);
            if (inCluster && !inGiven)
            {
                errors.Add($"corosync: link {link} exists in cluster config but wasn't specified for new node");
            }
            else if (!inCluster && inGiven)
            {
                errors.Add($"corosync: link {link} specified for new node doesn't exist in cluster config");
            }
        }
    }

    /// <summary>No address of another node, no address twice on the node's own links, one IP family per link.</summary>
    public static void CheckAddresses(CorosyncConfig config, string nodeName, IReadOnlyList<NodeLink> links, List<string> errors)
    {
        foreach (var link in links)
        {
            if (links.FirstOrDefault(l => l.Link < link.Link && SameAddress(l.Address, link.Address)) is { } twin)
            {
                errors.Add($"address '{link.Address}' given for link {twin.Link} and link {link.Link}: every link needs its own address");
            }

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

    /// <summary>The smallest node id no node of <paramref name="config"/> uses.</summary>
    public static uint SmallestFreeId(CorosyncConfig config)
    {
        var used = config.Nodes.Select(n => n.NodeId).OfType<uint>().ToHashSet();
        var id = 1u;
        while (used.Contains(id))
        {
            id++;
        }

        return id;
    }

    /// <summary>
    /// Every check, then the edit: the node's block added to <paramref name="editor"/> (an existing one replaced when
    /// forced). Returns the node id; errors leave the editor unchanged.
    /// </summary>
    public static uint? Add(ConfigEditor editor, string nodeName, long? nodeId, long votes, IReadOnlyList<NodeLink> links, bool force, List<string> errors, List<string> notes)
    {
        var config = editor.Config;
        CheckLinkSet(config, links, errors);
        CheckAddresses(config, nodeName, links, errors);
        var existing = config.FindNode(nodeName);
        var finalId = nodeId is { } requested ? (uint)requested : existing?.NodeId ?? SmallestFreeId(config);
        if (existing is not null)
        {
            if (!force || existing.NodeId != finalId || existing.QuorumVotes != votes)
            {
                errors.Add($"can't add existing node '{nodeName}'");
            }
        }
        else if (config.Nodes.FirstOrDefault(n => n.NodeId == finalId) is { } holder)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"nodeid {finalId} is already used by node '{holder.DisplayName}'"));
        }

        if (errors.Count > 0)
        {
            return null;
        }

        if (existing is not null)
        {
            notes.Add($"forcing overwrite of configured node '{nodeName}'");
            editor.RemoveNode(nodeName);
        }

        var keys = new List<KeyValue>
        {
            new("name", nodeName),
            new("nodeid", finalId.ToString(CultureInfo.InvariantCulture)),
            new("quorum_votes", votes.ToString(CultureInfo.InvariantCulture)),
        };
        keys.AddRange(links.OrderBy(l => l.Link).Select(l => new KeyValue(NodeConfig.RingKey(l.Link), l.Address)));
        editor.AddNode(keys);
        return finalId;
    }

    private static bool SameAddress(string a, string b) =>
        System.Net.IPAddress.TryParse(a, out var x) && System.Net.IPAddress.TryParse(b, out var y) ? x.Equals(y) : string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string Describe(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
}
