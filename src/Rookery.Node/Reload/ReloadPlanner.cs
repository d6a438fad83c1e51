using System.Globalization;
using Rookery.Config;

namespace Rookery.Node.Reload;

/// <summary>
/// Compares the running configuration with the file a reload reads, as corosync's reload does
/// (<c>message_handler_req_exec_cfg_reload_config</c>, corosync-spec §2.2–§2.3): links, nodes, priorities and
/// config_version apply live; runtime-immutable keys, a changed address of an existing (node, link), a changed
/// local node id and what this build cannot change live are refused with corosync's words. Pure: the caller reads
/// the file (with the same loader and validation <c>rookery config check</c> uses) and passes the result.
/// </summary>
public static class ReloadPlanner
{
    /// <summary>Keys corosync refuses to change at run time (<c>remove_ro_entries</c>, exec/cfg.c), by section.</summary>
    private static readonly string[] s_immutableTotemKeys =
        ["version", "threads", "ip_version", "ip_dscp", "netmtu", "transport", "cluster_name", "link_mode",
         "secauth", "crypto_cipher", "crypto_hash", "crypto_model", "keyfile", "key"];

    /// <summary>Totem keys corosync applies live but this build's Totem core takes only at start.</summary>
    private static readonly string[] s_restartTotemKeys =
        ["token", "token_coefficient", "token_retransmit", "hold", "consensus", "join", "send_join", "merge", "downcheck",
         "fail_recv_const", "seqno_unchanged_const", "window_size", "max_messages", "miss_count_const",
         "token_retransmits_before_loss_const", "token_warning", "max_network_delay", "heartbeat_failures_allowed",
         "cancel_token_hold_on_retransmit", "knet_pmtud_interval", "knet_mtu", "knet_compression_model",
         "knet_compression_threshold", "knet_compression_level", "block_unlisted_ips"];

    /// <summary>Interface keys that may not change for a link that already exists.</summary>
    private static readonly string[] s_immutableInterfaceKeys = ["mcastport", "knet_transport", "bindnetaddr", "mcastaddr", "broadcast", "ttl"];

    public static ReloadPlan Plan(CorosyncConfig current, LoadResult loaded, NodeId local)
    {
        var errors = loaded.Errors.Select(d => d.ToString()).ToList();
        if (!loaded.Parsed || errors.Count > 0)
        {
            if (!loaded.Parsed)
            {
                errors.Insert(0, $"Unable to reload config file: {loaded.Errors.FirstOrDefault()?.Message ?? "parse error"}");
            }

            return new ReloadPlan(current, null, [], [], errors);
        }

        var next = loaded.Config;
        var applied = new List<string>();
        var refused = new List<string>();
        CompareImmutable(current, next, refused);
        CompareRestartOnly(current, next, refused);
        CompareQuorum(current, next, refused);

        var localBefore = current.FindNode(local);
        var localAfter = next.FindNode(local);
        if (localAfter is null)
        {
            refused.Add($"the local node (nodeid {local}) is not in the new nodelist; the local node id cannot change at run-time");
        }

        var linksAdded = new List<LinkChange>();
        var linksRemoved = new List<LinkChange>();
        var nodesAdded = new List<NodeId>();
        var nodesRemoved = new List<NodeId>();
        CompareNodes(current, next, applied, refused, linksAdded, linksRemoved, nodesAdded, nodesRemoved);

        var priorities = new List<(LinkId, byte)>();
        foreach (var link in next.ConfiguredLinks.Intersect(current.ConfiguredLinks))
        {
            var before = current.Totem.Interface(link);
            var after = next.Totem.Interface(link);
            var priorityBefore = before?.Priority ?? Defaults.KnetLinkPriority;
            var priorityAfter = after?.Priority ?? Defaults.KnetLinkPriority;
            if (priorityBefore != priorityAfter)
            {
                priorities.Add((link, priorityAfter));
                applied.Add($"link {link}: knet_link_priority {priorityBefore} -> {priorityAfter}");
            }

            foreach (var key in s_immutableInterfaceKeys)
            {
                if (before?.Keys[key] != after?.Keys[key])
                {
                    refused.Add($"Modified entry 'totem.interface.{link}.{key}' in corosync.conf cannot be changed at run-time");
                }
            }
        }

        foreach (var link in next.ConfiguredLinks.Except(current.ConfiguredLinks))
        {
            var address = localAfter?.Address(link.Value);
            applied.Add(address is null
                ? $"link {link} added (no ring{link}_addr for the local node: not used here)"
                : $"link {link} added: local addr: {address}, port={PortOf(next, link)}");
        }

        foreach (var link in current.ConfiguredLinks.Except(next.ConfiguredLinks))
        {
            applied.Add($"link {link} removed");
        }

        if (localBefore is not null && localAfter is not null && !next.ConfiguredLinks.Any(l => localAfter.Address(l.Value) is not null))
        {
            refused.Add("the new configuration leaves the local node without any link; a working interface needs to be available at all times");
        }

        var loggingChanged = !current.Logging.Equals(next.Logging);
        if (loggingChanged)
        {
            applied.Add("logging: reconfigured");
        }

        if (current.Totem.ConfigVersion != next.Totem.ConfigVersion)
        {
            applied.Add($"totem.config_version: {current.Totem.ConfigVersion} -> {next.Totem.ConfigVersion}");
        }

        return new ReloadPlan(current, next, applied, refused.Distinct().ToList(), [])
        {
            LinksAdded = linksAdded,
            LinksRemoved = linksRemoved,
            NodesAdded = nodesAdded,
            NodesRemoved = nodesRemoved,
            PrioritiesChanged = priorities,
            LoggingChanged = loggingChanged,
        };
    }

    /// <summary>The UDP port of a link: <c>mcastport</c> when set, else 5405 + link number.</summary>
    public static int PortOf(CorosyncConfig config, LinkId link) =>
        config.Totem.Interface(link) is { } face && face.Keys.Contains("mcastport") ? face.McastPort : 5405 + link.Value;

    private static void CompareImmutable(CorosyncConfig current, CorosyncConfig next, List<string> refused)
    {
        foreach (var key in s_immutableTotemKeys)
        {
            if (current.Totem.Keys[key] != next.Totem.Keys[key])
            {
                refused.Add($"Modified entry 'totem.{key}' in corosync.conf cannot be changed at run-time");
            }
        }

        if (current.Quorum.Provider != next.Quorum.Provider)
        {
            refused.Add("Modified entry 'quorum.provider' in corosync.conf cannot be changed at run-time");
        }

        if (!current.System.Equals(next.System))
        {
            foreach (var key in current.System.Select(k => k.Key).Union(next.System.Select(k => k.Key)).Order(StringComparer.Ordinal))
            {
                if (current.System[key] != next.System[key])
                {
                    refused.Add($"Modified entry 'system.{key}' in corosync.conf cannot be changed at run-time");
                }
            }
        }
    }

    private static void CompareRestartOnly(CorosyncConfig current, CorosyncConfig next, List<string> refused)
    {
        foreach (var key in s_restartTotemKeys)
        {
            if (current.Totem.Keys[key] != next.Totem.Keys[key])
            {
                refused.Add($"Modified entry 'totem.{key}' cannot be changed at run-time by this version of rookery; restart the nodes to apply it");
            }
        }
    }

    private static void CompareQuorum(CorosyncConfig current, CorosyncConfig next, List<string> refused)
    {
        foreach (var key in current.Quorum.Keys.Select(k => k.Key).Union(next.Quorum.Keys.Select(k => k.Key)).Order(StringComparer.Ordinal))
        {
            if (key != "provider" && current.Quorum.Keys[key] != next.Quorum.Keys[key])
            {
                refused.Add($"Modified entry 'quorum.{key}' cannot be changed at run-time by this version of rookery; use 'rookery expected N' or restart the nodes");
            }
        }
    }

    private static void CompareNodes(
        CorosyncConfig current,
        CorosyncConfig next,
        List<string> applied,
        List<string> refused,
        List<LinkChange> linksAdded,
        List<LinkChange> linksRemoved,
        List<NodeId> nodesAdded,
        List<NodeId> nodesRemoved)
    {
        var ids = current.Nodes.Concat(next.Nodes).Where(n => n.NodeId is not null).Select(n => n.NodeId!.Value).Distinct().Order();
        foreach (var id in ids)
        {
            var node = new NodeId(id);
            var before = current.FindNode(node);
            var after = next.FindNode(node);
            if (before is null && after is not null)
            {
                nodesAdded.Add(node);
                applied.Add($"node {after.DisplayName} (nodeid {id}) added");
                linksAdded.AddRange(after.RingAddresses.Select(r => new LinkChange(node, new LinkId((byte)r.Link), r.Address)));
                continue;
            }

            if (after is null && before is not null)
            {
                nodesRemoved.Add(node);
                applied.Add($"node {before.DisplayName} (nodeid {id}) removed");
                linksRemoved.AddRange(before.RingAddresses.Select(r => new LinkChange(node, new LinkId((byte)r.Link), r.Address)));
                continue;
            }

            if (before is null || after is null)
            {
                continue;
            }

            if (before.QuorumVotes != after.QuorumVotes)
            {
                refused.Add($"Modified entry 'nodelist.node.{id}.quorum_votes' cannot be changed at run-time by this version of rookery");
            }

            foreach (var (link, address) in after.RingAddresses)
            {
                var old = before.Address(link);
                if (old is null)
                {
                    linksAdded.Add(new LinkChange(node, new LinkId((byte)link), address));
                }
                else if (!string.Equals(old, address, StringComparison.Ordinal))
                {
                    refused.Add(string.Create(CultureInfo.InvariantCulture,
                        $"new config has different address for link {link} (addr changed from {old} to {address}). Internal value was NOT changed."));
                    refused.Add("To reconfigure an interface it must be deleted and recreated. A working interface needs to be available to corosync at all times");
                }
            }

            foreach (var (link, address) in before.RingAddresses)
            {
                if (after.Address(link) is null)
                {
                    linksRemoved.Add(new LinkChange(node, new LinkId((byte)link), address));
                }
            }
        }
    }
}
