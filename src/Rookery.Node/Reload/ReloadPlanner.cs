using System.Globalization;
using Rookery.Config;
using Rookery.Links;
using Rookery.Quorum;
using Rookery.Services;
using Rookery.Totem;

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

    /// <summary>Totem keys corosync applies live that Rookery's Totem or link layer uses (through the effective options).</summary>
    private static readonly string[] s_liveTotemKeys =
        ["token", "token_coefficient", "token_retransmit", "hold", "consensus", "join", "merge", "fail_recv_const",
         "seqno_unchanged_const", "window_size", "max_messages", "miss_count_const", "token_retransmits_before_loss_const",
         "token_warning", "cancel_token_hold_on_retransmit", "send_join"];

    /// <summary>Totem keys corosync applies live that Rookery applies only at start (its link layer's options are fixed).</summary>
    private static readonly string[] s_startupTotemKeys = ["knet_mtu", "knet_pmtud_interval"];

    /// <summary>Totem keys corosync applies live that Rookery accepts but has no use for (knet tuning it does differently).</summary>
    private static readonly string[] s_unusedTotemKeys =
        ["downcheck", "max_network_delay", "heartbeat_failures_allowed",
         "knet_compression_model", "knet_compression_threshold", "knet_compression_level", "block_unlisted_ips"];

    /// <summary>Quorum keys votequorum reads only at startup (<c>votequorum_set_icmap_ro_keys</c>).</summary>
    private static readonly string[] s_startupQuorumKeys =
        ["wait_for_all", "last_man_standing", "last_man_standing_window", "auto_tie_breaker", "auto_tie_breaker_node",
         "allow_downscale", "expected_votes_tracking"];

    /// <summary>Quorum keys votequorum re-reads at a reload (<c>votequorum_readconfig(RUNTIME)</c>).</summary>
    private static readonly string[] s_liveQuorumKeys = ["expected_votes", "votes", "two_node"];

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
        var totemOptions = CompareTotem(current, next, applied, refused);
        var quorumSettings = CompareQuorum(current, next, local, applied, refused);

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

            foreach (var key in LinkTimingOptions.Keys)
            {
                if (before?.Keys[key] != after?.Keys[key])
                {
                    applied.Add($"link {link}: {key} {before?.Keys[key] ?? "(default)"} -> {after?.Keys[key] ?? "(default)"}");
                }
            }
        }

        var linkTimingChanged = CheckLinkTiming(current, next, refused);

        foreach (var link in next.ConfiguredLinks.Except(current.ConfiguredLinks))
        {
            var address = localAfter?.Address(link.Value);
            applied.Add(address is null
                ? $"link {link} added (no ring{link}_addr for the local node: not used here)"
                : $"link {link} added: local addr: {address}, port={LinkPorts.For(next, link)}");
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
            TotemOptions = totemOptions,
            QuorumSettings = quorumSettings,
            LinkTimingChanged = linkTimingChanged,
        };
    }

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

    /// <summary>
    /// The Totem keys: live ones are applied through the effective options (the new timers are listed with corosync's
    /// <c>runtime.config.totem.*</c> names, which also catches a token changed by <c>token_coefficient</c> and a new node
    /// count); unused ones are accepted and said so. Returns the new options when they differ from the running ones.
    /// </summary>
    private static TotemOptions? CompareTotem(CorosyncConfig current, CorosyncConfig next, List<string> applied, List<string> refused)
    {
        foreach (var key in s_liveTotemKeys)
        {
            if (current.Totem.Keys[key] != next.Totem.Keys[key])
            {
                applied.Add($"totem.{key}: {current.Totem.Keys[key] ?? "(default)"} -> {next.Totem.Keys[key] ?? "(default)"}");
            }
        }

        foreach (var key in s_startupTotemKeys)
        {
            if (current.Totem.Keys[key] != next.Totem.Keys[key])
            {
                refused.Add($"Modified entry 'totem.{key}' cannot be changed at run-time by rookery; restart the nodes to apply it");
            }
        }

        foreach (var key in s_unusedTotemKeys)
        {
            if (current.Totem.Keys[key] != next.Totem.Keys[key])
            {
                applied.Add($"totem.{key}: {current.Totem.Keys[key] ?? "(default)"} -> {next.Totem.Keys[key] ?? "(default)"} (accepted; rookery does not use it)");
            }
        }

        var before = NodeStackFactory.TotemOptionsFor(current);
        var after = NodeStackFactory.TotemOptionsFor(next);
        var problems = after.Validate();
        if (problems.Count > 0)
        {
            refused.AddRange(problems.Select(p => $"Configuration is not valid: {p}"));
            return null;
        }

        if (before == after)
        {
            return null;
        }

        var changes = TotemChanges(before, after);
        applied.AddRange(changes.Select(c => $"runtime.config.totem.{c.Key}: {c.Before} -> {c.After}"));
        if (changes.Count == 0)
        {
            applied.Add("runtime.config.totem: Totem options changed");
        }

        return after;
    }

    /// <summary>The effective Totem values that differ, named as corosync's <c>runtime.config.totem.*</c> keys (ms for timers).</summary>
    public static IReadOnlyList<(string Key, string Before, string After)> TotemChanges(TotemOptions before, TotemOptions after)
    {
        var changes = new List<(string, string, string)>();
        void Compare<T>(string key, T old, T now)
            where T : IEquatable<T>
        {
            if (!old.Equals(now))
            {
                changes.Add((key, Convert.ToString(old, CultureInfo.InvariantCulture)!, Convert.ToString(now, CultureInfo.InvariantCulture)!));
            }
        }

        Compare("token", before.Token.Milliseconds, after.Token.Milliseconds);
        Compare("token_retransmit", before.TokenRetransmit.Milliseconds, after.TokenRetransmit.Milliseconds);
        Compare("hold", before.Hold.Milliseconds, after.Hold.Milliseconds);
        Compare("token_warning", before.TokenWarningPercent, after.TokenWarningPercent);
        Compare("join", before.Join.Milliseconds, after.Join.Milliseconds);
        Compare("consensus", before.Consensus.Milliseconds, after.Consensus.Milliseconds);
        Compare("merge", before.Merge.Milliseconds, after.Merge.Milliseconds);
        Compare("fail_recv_const", before.FailReceiveConst, after.FailReceiveConst);
        Compare("seqno_unchanged_const", before.SeqnoUnchangedConst, after.SeqnoUnchangedConst);
        Compare("window_size", before.WindowSize, after.WindowSize);
        Compare("max_messages", before.MaxMessages, after.MaxMessages);
        Compare("miss_count_const", before.MissCountConst, after.MissCountConst);
        Compare("cancel_token_hold_on_retransmit", before.CancelTokenHoldOnRetransmit ? 1 : 0, after.CancelTokenHoldOnRetransmit ? 1 : 0);
        return changes;
    }

    /// <summary>
    /// The quorum keys as votequorum takes them at a reload: expected_votes, votes, two_node and the nodelist's
    /// quorum_votes are re-read (the new values go to the members); the startup-only keys are refused with corosync's
    /// message; a combination votequorum would refuse is refused with its message. Returns the settings to apply when
    /// votequorum's view changes.
    /// </summary>
    private static QuorumSettings? CompareQuorum(CorosyncConfig current, CorosyncConfig next, NodeId local, List<string> applied, List<string> refused)
    {
        var keys = current.Quorum.Keys.Select(k => k.Key).Union(next.Quorum.Keys.Select(k => k.Key)).Order(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (key == "provider" || current.Quorum.Keys[key] == next.Quorum.Keys[key])
            {
                continue;
            }

            if (s_startupQuorumKeys.Contains(key))
            {
                refused.Add($"Modified entry 'quorum.{key}' in corosync.conf cannot be changed at run-time");
            }
            else if (s_liveQuorumKeys.Contains(key))
            {
                applied.Add($"quorum.{key}: {current.Quorum.Keys[key] ?? "(default)"} -> {next.Quorum.Keys[key] ?? "(default)"}");
            }
            else
            {
                refused.Add($"Modified entry 'quorum.{key}' cannot be changed at run-time by this version of rookery (no quorum device support); restart the nodes to apply it");
            }
        }

        if (!next.Quorum.IsVotequorum || next.FindNode(local) is null)
        {
            return null;
        }

        var log = new List<LogEntry>();
        var before = QuorumConfiguration.Resolve(NodeStackFactory.QuorumSettingsFor(current, local, 0), log, out _);
        var settings = NodeStackFactory.QuorumSettingsFor(next, local, 0);
        var after = QuorumConfiguration.Resolve(settings, log, out var error);
        if (after is null)
        {
            refused.Add(error!);
            return null;
        }

        if (before is not null && before.Votes == after.Votes && before.ExpectedVotes == after.ExpectedVotes &&
            before.TwoNode == after.TwoNode && before.WaitForAll == after.WaitForAll)
        {
            return null;
        }

        if (before is not null)
        {
            applied.Add(string.Create(CultureInfo.InvariantCulture,
                $"votequorum: votes {before.Votes} -> {after.Votes}, expected votes {before.ExpectedVotes} -> {after.ExpectedVotes}, two_node {(before.TwoNode ? 1 : 0)} -> {(after.TwoNode ? 1 : 0)}, wait_for_all {(before.WaitForAll ? 1 : 0)} -> {(after.WaitForAll ? 1 : 0)}"));
        }

        return settings;
    }

    /// <summary>
    /// Checks the knet timers of every link against the new runtime token (refusing what the link layer would refuse)
    /// and says whether any (peer, link) timer changes: interface timing keys or the runtime token they derive from.
    /// </summary>
    private static bool CheckLinkTiming(CorosyncConfig current, CorosyncConfig next, List<string> refused)
    {
        var changed = false;
        foreach (var link in next.ConfiguredLinks)
        {
            var errors = new List<string>();
            var after = LinkTimingOptions.FromInterfaceKeys(TimingKeys(next, link), next.Timers.Token, errors);
            refused.AddRange(errors.Select(e => $"totem.interface.{link}: {e}"));
            if (errors.Count == 0 && current.ConfiguredLinks.Contains(link))
            {
                var before = LinkTimingOptions.FromInterfaceKeys(TimingKeys(current, link), current.Timers.Token, []);
                changed |= before != after;
            }
        }

        return changed;
    }

    private static Dictionary<string, string> TimingKeys(CorosyncConfig config, LinkId link) =>
        (config.Totem.Interface(link)?.Keys ?? KeyValues.Empty).ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal);

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
                applied.Add($"nodelist.node.{id}.quorum_votes: {before.QuorumVotes} -> {after.QuorumVotes}");
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
