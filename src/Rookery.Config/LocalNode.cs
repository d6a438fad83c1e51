using System.Net;

namespace Rookery.Config;

/// <summary>How the local node was identified (for messages).</summary>
public enum LocalNodeMatch
{
    None,
    ExplicitName,
    HostName,
    ShortHostName,
    LocalAddress,
}

/// <summary>The node this host is, with how it was found.</summary>
public sealed record LocalNodeResult(NodeConfig? Node, int Index, LocalNodeMatch Match)
{
    public bool Found => Node is not null;

    public static LocalNodeResult NotFound { get; } = new(null, -1, LocalNodeMatch.None);
}

/// <summary>
/// Finds the local node in the nodelist as corosync does (corosync: <c>find_local_node</c>): an
/// explicit name first (<c>--node</c>), then the host name against each node's name (or ring0_addr
/// when it has none), then with domains stripped, then any of the node's ring addresses among
/// this host's addresses. Pure: the caller passes the host name and addresses. Host names in
/// ringX_addr are not resolved here (that is the caller's choice to make).
/// </summary>
public static class LocalNode
{
    public static LocalNodeResult Find(CorosyncConfig config, string? explicitName, string? hostName, IEnumerable<IPAddress> localAddresses)
    {
        var nodes = config.Nodes;
        if (explicitName is not null)
        {
            return Pick(nodes, n => n.Name == explicitName || (n.Name is null && n.Address(0) == explicitName), LocalNodeMatch.ExplicitName);
        }

        if (!string.IsNullOrEmpty(hostName))
        {
            var byName = Pick(nodes, n => NameOf(n) == hostName, LocalNodeMatch.HostName);
            if (byName.Found)
            {
                return byName;
            }

            var host = hostName;
            while (host.Contains('.'))
            {
                host = host[..host.LastIndexOf('.')];
                var stripped = host;
                var match = Pick(nodes, n => NameOf(n) == stripped, LocalNodeMatch.ShortHostName);
                if (match.Found)
                {
                    return match;
                }
            }

            var shortHost = Short(hostName);
            var byShort = Pick(nodes, n => NameOf(n) is { } name && Short(name) == shortHost, LocalNodeMatch.ShortHostName);
            if (byShort.Found)
            {
                return byShort;
            }
        }

        var local = new HashSet<IPAddress>(localAddresses);
        return Pick(
            nodes,
            n => n.RingAddresses.Any(r => IPAddress.TryParse(r.Address, out var address) && local.Contains(address)),
            LocalNodeMatch.LocalAddress);
    }

    private static string? NameOf(NodeConfig node) => node.Name ?? node.Address(0);

    private static string Short(string name) => name.Contains('.') ? name[..name.IndexOf('.')] : name;

    private static LocalNodeResult Pick(IReadOnlyList<NodeConfig> nodes, Func<NodeConfig, bool> predicate, LocalNodeMatch match)
    {
        for (var i = 0; i < nodes.Count; i++)
        {
            if (predicate(nodes[i]))
            {
                return new LocalNodeResult(nodes[i], i, match);
            }
        }

        return LocalNodeResult.NotFound;
    }
}
