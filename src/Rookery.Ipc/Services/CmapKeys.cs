using System.Globalization;
using Rookery.Config;

namespace Rookery.Ipc.Services;

/// <summary>
/// The cmap keys corosync derives from corosync.conf (coroparse.c: which keys are numbers and of which width) and the
/// <c>runtime.*</c> keys its clients read, computed from the running node.
/// </summary>
public static class CmapKeys
{
    private static readonly HashSet<string> s_totemUInt32 =
    [
        "version", "nodeid", "threads", "token", "token_coefficient", "token_retransmit", "token_warning", "hold",
        "token_retransmits_before_loss_const", "join", "send_join", "consensus", "merge", "downcheck", "fail_recv_const",
        "seqno_unchanged_const", "rrp_token_expired_timeout", "rrp_problem_count_timeout", "rrp_problem_count_threshold",
        "rrp_problem_count_mcast_threshold", "rrp_autorecovery_check_timeout", "heartbeat_failures_allowed",
        "max_network_delay", "window_size", "max_messages", "miss_count_const", "knet_pmtud_interval", "knet_mtu",
        "knet_compression_threshold", "netmtu",
    ];

    private static readonly HashSet<string> s_quorumUInt32 =
        ["expected_votes", "votes", "last_man_standing_window", "leaving_timeout", "device.timeout", "device.sync_timeout", "device.votes"];

    private static readonly HashSet<string> s_quorumUInt8 =
        ["two_node", "expected_votes_tracking", "allow_downscale", "wait_for_all", "auto_tie_breaker", "last_man_standing", "device.master_wins"];

    private static readonly HashSet<string> s_interfaceUInt32 = ["knet_ping_interval", "knet_ping_timeout", "knet_ping_precision", "knet_pong_count"];

    private static readonly string[] s_services = ["cmap", "cfg", "cpg", "quorum", "pload", "votequorum", "mon", "wd"];

    /// <summary>Every key of the configuration file, typed as corosync types them.</summary>
    public static IEnumerable<(string Key, CmapValue Value)> FromConfig(CorosyncConfig config)
    {
        foreach (var (key, value) in config.Totem.Keys)
        {
            yield return ($"totem.{key}", key switch
            {
                _ when s_totemUInt32.Contains(key) => Number(value, CmapType.UInt32),
                "knet_compression_level" => Number(value, CmapType.Int32),
                "config_version" => Number(value, CmapType.UInt64),
                _ => CmapValue.String(value),
            });
        }

        foreach (var link in config.Totem.Interfaces)
        {
            foreach (var (key, value) in link.Keys)
            {
                if (key == "linknumber")
                {
                    continue;
                }

                yield return ($"totem.interface.{link.LinkNumber}.{key}", key switch
                {
                    "mcastport" => Number(value, CmapType.UInt16),
                    "ttl" or "knet_link_priority" => Number(value, CmapType.UInt8),
                    _ when s_interfaceUInt32.Contains(key) => Number(value, CmapType.UInt32),
                    _ => CmapValue.String(value),
                });
            }
        }

        for (var i = 0; i < config.Nodes.Count; i++)
        {
            foreach (var (key, value) in config.Nodes[i].Keys)
            {
                yield return ($"nodelist.node.{i}.{key}", key is "nodeid" or "quorum_votes" ? Number(value, CmapType.UInt32) : CmapValue.String(value));
            }
        }

        foreach (var (key, value) in config.Quorum.Keys)
        {
            yield return ($"quorum.{key}", key switch
            {
                _ when s_quorumUInt32.Contains(key) => Number(value, CmapType.UInt32),
                _ when s_quorumUInt8.Contains(key) => Number(value, CmapType.UInt8),
                _ => CmapValue.String(value),
            });
        }

        foreach (var (key, value) in config.Logging.Keys)
        {
            yield return ($"logging.{key}", CmapValue.String(value));
        }

        foreach (var section in config.OtherSections)
        {
            foreach (var (key, value) in section.Keys)
            {
                if (section.Name == "uidgid" && key is "uid" or "gid")
                {
                    if (ResolveId(value, key == "uid" ? "/etc/passwd" : "/etc/group") is { } id)
                    {
                        yield return ($"uidgid.config.{key}.{id}", CmapValue.UInt8(1));
                    }

                    continue;
                }

                yield return ($"{section.Name}.{key}", (section.Name, key) switch
                {
                    ("resources", "watchdog_timeout") => Number(value, CmapType.UInt32),
                    ("resources", _) when key.EndsWith(".poll_period", StringComparison.Ordinal) => Number(value, CmapType.UInt64),
                    _ => CmapValue.String(value),
                });
            }
        }
    }

    /// <summary>The keys corosync keeps up to date while running that clients read (quorumtool, cfgtool, Pacemaker).</summary>
    public static IEnumerable<(string Key, CmapValue Value)> Runtime(ICorosyncNode node)
    {
        var config = node.Config;
        var status = node.Quorum;
        for (var i = 0; i < s_services.Length; i++)
        {
            yield return ($"internal_configuration.service.{i}.name", CmapValue.String($"corosync_{s_services[i]}"));
            yield return ($"internal_configuration.service.{i}.ver", CmapValue.UInt32(0));
        }

        for (var i = 0; i < config.Nodes.Count; i++)
        {
            if (config.Nodes[i].NodeId == node.LocalNodeId)
            {
                yield return ("nodelist.local_node_pos", CmapValue.UInt32((uint)i));
            }
        }

        foreach (var member in node.Members)
        {
            var addresses = config.Nodes.FirstOrDefault(n => n.NodeId == member)?.RingAddresses ?? [];
            var ip = string.Concat(addresses.Select(a => $"r({a.Link}) ip({a.Address}) "));
            yield return ($"runtime.members.{member}.config_version", CmapValue.UInt64(config.Totem.ConfigVersion));
            yield return ($"runtime.members.{member}.ip", CmapValue.String(ip));
            yield return ($"runtime.members.{member}.join_count", CmapValue.UInt32(1));
            yield return ($"runtime.members.{member}.status", CmapValue.String("joined"));
        }

        var timers = config.Timers;
        yield return ("runtime.config.totem.consensus", CmapValue.UInt32(timers.ConsensusMs));
        yield return ("runtime.config.totem.downcheck", CmapValue.UInt32(timers.DowncheckMs));
        yield return ("runtime.config.totem.fail_recv_const", CmapValue.UInt32(timers.FailRecvConst));
        yield return ("runtime.config.totem.heartbeat_failures_allowed", CmapValue.UInt32(timers.HeartbeatFailuresAllowed));
        yield return ("runtime.config.totem.hold", CmapValue.UInt32(timers.HoldMs));
        yield return ("runtime.config.totem.join", CmapValue.UInt32(timers.JoinMs));
        yield return ("runtime.config.totem.max_network_delay", CmapValue.UInt32(timers.MaxNetworkDelayMs));
        yield return ("runtime.config.totem.merge", CmapValue.UInt32(timers.MergeMs));
        yield return ("runtime.config.totem.send_join", CmapValue.UInt32(timers.SendJoinMs));
        yield return ("runtime.config.totem.seqno_unchanged_const", CmapValue.UInt32(timers.SeqnoUnchangedConst));
        yield return ("runtime.config.totem.token", CmapValue.UInt32(timers.TokenMs));
        yield return ("runtime.config.totem.token_retransmit", CmapValue.UInt32(timers.TokenRetransmitMs));
        yield return ("runtime.config.totem.token_retransmits_before_loss_const", CmapValue.UInt32(timers.TokenRetransmitsBeforeLossConst));
        yield return ("runtime.config.totem.token_warning", CmapValue.UInt32(timers.TokenWarningPercent));
        yield return ("runtime.config.totem.window_size", CmapValue.UInt32(timers.WindowSize));
        if (config.Quorum.IsVotequorum)
        {
            yield return ("runtime.votequorum.ev_barrier", CmapValue.UInt32(status.ExpectedVotesBarrier));
            yield return ("runtime.votequorum.highest_node_id", CmapValue.UInt32(status.HighestNodeId.Value));
            yield return ("runtime.votequorum.lowest_node_id", CmapValue.UInt32(status.LowestNodeId.Value));
            yield return ("runtime.votequorum.this_node_id", CmapValue.UInt32(node.LocalNodeId));
            yield return ("runtime.votequorum.two_node", CmapValue.UInt8(status.Flags.HasFlag(Quorum.QuorumInfoFlags.TwoNode) ? (byte)1 : (byte)0));
            if (status.Flags.HasFlag(Quorum.QuorumInfoFlags.WaitForAll))
            {
                yield return ("runtime.votequorum.wait_for_all_status", CmapValue.UInt8(status.WaitForAllStatus ? (byte)1 : (byte)0));
            }
        }
    }

    /// <summary>A number of the given type from the file's text; text that is no number stays a string (corosync refuses the file; ours was validated).</summary>
    private static CmapValue Number(string text, CmapType type)
    {
        var ok = long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value);
        if (!ok && type == CmapType.UInt64 && ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var big))
        {
            return CmapValue.UInt64(big);
        }

        return !ok ? CmapValue.String(text) : type switch
        {
            CmapType.UInt8 => CmapValue.UInt8((byte)value),
            CmapType.UInt16 => CmapValue.UInt16((ushort)value),
            CmapType.Int32 => CmapValue.Int32((int)value),
            CmapType.UInt64 => CmapValue.UInt64((ulong)value),
            _ => CmapValue.UInt32((uint)value),
        };
    }

    /// <summary>A uid/gid by number or by name from /etc/passwd or /etc/group (corosync uses getpwnam/getgrnam).</summary>
    private static uint? ResolveId(string value, string database)
    {
        if (uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        try
        {
            foreach (var line in File.ReadLines(database))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[0] == value && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    return id;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return null;
    }
}
