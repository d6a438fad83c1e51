namespace Rookery.Config;

/// <summary>What the daemon does with a key of <see cref="KeyCatalog"/> (docs/config.md, column "daemon").</summary>
public enum KeyEffect
{
    /// <summary>Applied when the daemon starts; a reload that changes it is refused with corosync's message.</summary>
    Start,

    /// <summary>Applied when the daemon starts and again, live, by <c>rookery reload</c>.</summary>
    Reload,

    /// <summary>Only the value(s) Rookery supports are accepted; any other is an error of <c>config check</c> and of the daemon's start.</summary>
    Checked,

    /// <summary>Rookery does not implement it: a value other than the default is an error, whose message says so.</summary>
    Refused,

    /// <summary>No effect here, as in corosync with knet or because what it tunes is absent: setting it gives a warning that says so.</summary>
    NoEffect,
}

/// <summary>One key's audit entry: its effect and, for the reader, why.</summary>
public sealed record KeyAuditEntry(KeyEffect Effect, string Note);

/// <summary>
/// The audit of every key Rookery reads (issue 9 point 8): whether the daemon applies it at start, also at reload,
/// only checks it, refuses it, or has no use for it. <see cref="ConfigValidator"/> turns <see cref="KeyEffect.Refused"/>
/// and <see cref="KeyEffect.NoEffect"/> into errors and warnings, so no key is silently ignored; docs/config.md shows
/// the table; a test keeps it in step with <see cref="KeyCatalog.All"/> and with the reload planner.
/// </summary>
public static class KeyAudit
{
    private static readonly Dictionary<string, KeyAuditEntry> s_entries = new(StringComparer.Ordinal)
    {
        ["totem.version"] = new(KeyEffect.Checked, "must be 2"),
        ["totem.cluster_name"] = new(KeyEffect.Start, "status, cmap"),
        ["totem.config_version"] = new(KeyEffect.Reload, "a joining node with a lower one is refused"),
        ["totem.transport"] = new(KeyEffect.Checked, "knet only"),
        ["totem.link_mode"] = new(KeyEffect.Start, "link policy of the link layer"),
        ["totem.ip_version"] = new(KeyEffect.Checked, "an address literal of an excluded family is an error; the daemon resolves no names"),
        ["totem.ip_dscp"] = new(KeyEffect.Refused, "DSCP marking is not implemented"),
        ["totem.netmtu"] = new(KeyEffect.Start, "largest Totem packet"),
        ["totem.knet_mtu"] = new(KeyEffect.Start, "fixed link MTU instead of discovery; refused at reload"),
        ["totem.knet_pmtud_interval"] = new(KeyEffect.Start, "path MTU discovery period; refused at reload"),
        ["totem.knet_compression_model"] = new(KeyEffect.Refused, "Rookery does not compress (only none)"),
        ["totem.knet_compression_threshold"] = new(KeyEffect.NoEffect, "only used with compression"),
        ["totem.knet_compression_level"] = new(KeyEffect.NoEffect, "only used with compression"),
        ["totem.crypto_model"] = new(KeyEffect.Checked, "nss or openssl; both give the same wire format, Rookery uses .NET's AES and HMAC"),
        ["totem.crypto_cipher"] = new(KeyEffect.Start, "link encryption"),
        ["totem.crypto_hash"] = new(KeyEffect.Start, "link authentication"),
        ["totem.secauth"] = new(KeyEffect.Start, "crypto shorthand"),
        ["totem.keyfile"] = new(KeyEffect.Start, "link key"),
        ["totem.token"] = new(KeyEffect.Reload, "Totem timers"),
        ["totem.token_coefficient"] = new(KeyEffect.Reload, "Totem timers"),
        ["totem.token_warning"] = new(KeyEffect.Reload, "Totem timers"),
        ["totem.token_retransmits_before_loss_const"] = new(KeyEffect.Reload, "Totem timers"),
        ["totem.token_retransmit"] = new(KeyEffect.Reload, "Totem timers"),
        ["totem.hold"] = new(KeyEffect.Reload, "Totem timers"),
        ["totem.join"] = new(KeyEffect.Reload, "Totem timers"),
        ["totem.send_join"] = new(KeyEffect.Reload, "Totem timers"),
        ["totem.consensus"] = new(KeyEffect.Reload, "Totem timers"),
        ["totem.merge"] = new(KeyEffect.Reload, "Totem timers"),
        ["totem.downcheck"] = new(KeyEffect.NoEffect, "UDP transports only; corosync ignores it with knet too"),
        ["totem.fail_recv_const"] = new(KeyEffect.Reload, "Totem"),
        ["totem.seqno_unchanged_const"] = new(KeyEffect.Reload, "Totem"),
        ["totem.heartbeat_failures_allowed"] = new(KeyEffect.Refused, "Totem's heartbeat is not implemented (only 0)"),
        ["totem.max_network_delay"] = new(KeyEffect.NoEffect, "only used by the heartbeat, which is off"),
        ["totem.window_size"] = new(KeyEffect.Reload, "Totem flow control"),
        ["totem.max_messages"] = new(KeyEffect.Reload, "Totem flow control"),
        ["totem.miss_count_const"] = new(KeyEffect.Reload, "Totem retransmission"),
        ["totem.block_unlisted_ips"] = new(KeyEffect.Refused, "Rookery always drops traffic from addresses outside the nodelist (only yes)"),
        ["totem.cancel_token_hold_on_retransmit"] = new(KeyEffect.Reload, "Totem"),
        ["totem.threads"] = new(KeyEffect.NoEffect, "legacy; corosync ignores it too"),
        ["totem.nodeid"] = new(KeyEffect.NoEffect, "deprecated; nodelist.node.nodeid is used, as in corosync"),
        ["totem.interface.linknumber"] = new(KeyEffect.Reload, "links are added and removed live"),
        ["totem.interface.knet_link_priority"] = new(KeyEffect.Reload, "passive link choice"),
        ["totem.interface.knet_ping_interval"] = new(KeyEffect.Reload, "link timers"),
        ["totem.interface.knet_ping_timeout"] = new(KeyEffect.Reload, "link timers"),
        ["totem.interface.knet_ping_precision"] = new(KeyEffect.Reload, "latency average"),
        ["totem.interface.knet_pong_count"] = new(KeyEffect.Reload, "link timers"),
        ["totem.interface.link_ping_interval"] = new(KeyEffect.Reload, "link timers"),
        ["totem.interface.link_standby_ping_interval"] = new(KeyEffect.Reload, "link timers"),
        ["totem.interface.link_down_timeout"] = new(KeyEffect.Reload, "link timers"),
        ["totem.interface.link_suspect_timeout"] = new(KeyEffect.Reload, "link timers"),
        ["totem.interface.link_probe_interval"] = new(KeyEffect.Reload, "link timers"),
        ["totem.interface.link_flap_damping"] = new(KeyEffect.Reload, "link timers"),
        ["totem.interface.link_hedging"] = new(KeyEffect.Reload, "passive link sending"),
        ["totem.interface.knet_transport"] = new(KeyEffect.Checked, "udp only"),
        ["totem.interface.mcastport"] = new(KeyEffect.Start, "UDP port; refused at reload for an existing link"),
        ["totem.interface.ttl"] = new(KeyEffect.Checked, "multicast only: 1"),
        ["nodelist.node.nodeid"] = new(KeyEffect.Reload, "nodes are added and removed live"),
        ["nodelist.node.name"] = new(KeyEffect.Reload, "local node lookup, status"),
        ["nodelist.node.quorum_votes"] = new(KeyEffect.Reload, "votequorum"),
        ["nodelist.node.ringX_addr"] = new(KeyEffect.Reload, "links of a node; a changed address of an existing link is refused"),
        ["quorum.provider"] = new(KeyEffect.Start, "votequorum on or off"),
        ["quorum.expected_votes"] = new(KeyEffect.Reload, "votequorum"),
        ["quorum.votes"] = new(KeyEffect.Reload, "votequorum without a nodelist"),
        ["quorum.two_node"] = new(KeyEffect.Reload, "votequorum"),
        ["quorum.wait_for_all"] = new(KeyEffect.Start, "votequorum"),
        ["quorum.last_man_standing"] = new(KeyEffect.Start, "votequorum"),
        ["quorum.last_man_standing_window"] = new(KeyEffect.Start, "votequorum"),
        ["quorum.auto_tie_breaker"] = new(KeyEffect.Start, "votequorum"),
        ["quorum.auto_tie_breaker_node"] = new(KeyEffect.Start, "votequorum"),
        ["quorum.allow_downscale"] = new(KeyEffect.Start, "votequorum"),
        ["quorum.expected_votes_tracking"] = new(KeyEffect.Start, "votequorum"),
        ["quorum.leaving_timeout"] = new(KeyEffect.NoEffect, "not implemented; a leaving node is not waited for"),
        ["quorum.device.model"] = new(KeyEffect.Start, "device votes count in expected votes; corosync-qdevice registers through votequorum's library calls"),
        ["quorum.device.votes"] = new(KeyEffect.Start, "counted in expected votes"),
        ["quorum.device.timeout"] = new(KeyEffect.Start, "a registered device that does not poll within it loses its vote"),
        ["quorum.device.sync_timeout"] = new(KeyEffect.Start, "how long a membership change waits for the device's poll"),
        ["quorum.device.master_wins"] = new(KeyEffect.NoEffect, "votequorum does not read it (the device asks for master wins through votequorum_qdevice_master_wins)"),
        ["logging.to_stderr"] = new(KeyEffect.Reload, "log destinations"),
        ["logging.to_syslog"] = new(KeyEffect.Reload, "log destinations"),
        ["logging.to_logfile"] = new(KeyEffect.Reload, "log destinations"),
        ["logging.logfile"] = new(KeyEffect.Reload, "log destinations"),
        ["logging.debug"] = new(KeyEffect.Reload, "log levels"),
        ["logging.timestamp"] = new(KeyEffect.Reload, "log format"),
        ["logging.syslog_facility"] = new(KeyEffect.Reload, "syslog"),
        ["logging.syslog_priority"] = new(KeyEffect.Reload, "syslog"),
        ["logging.logfile_priority"] = new(KeyEffect.Reload, "log file"),
        ["system.state_dir"] = new(KeyEffect.Start, "ring id files"),
        ["system.qb_ipc_type"] = new(KeyEffect.NoEffect, "Rookery's clients use its control socket"),
        ["system.sched_rr"] = new(KeyEffect.NoEffect, "the daemon keeps its scheduling policy (set it in the systemd unit)"),
        ["system.move_to_root_cgroup"] = new(KeyEffect.NoEffect, "the daemon stays in its cgroup"),
        ["system.allow_knet_handle_fallback"] = new(KeyEffect.NoEffect, "there is no knet handle"),
        ["resources.watchdog_timeout"] = new(KeyEffect.Refused, "the watchdog service is not implemented"),
    };

    /// <summary>The audited keys, by catalog path.</summary>
    public static IReadOnlyDictionary<string, KeyAuditEntry> Entries => s_entries;

    /// <summary>The entry of a catalog key; every key of <see cref="KeyCatalog.All"/> has one.</summary>
    public static KeyAuditEntry Of(KeySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return s_entries[spec.Path];
    }

    /// <summary>The words of docs/config.md's "daemon" column.</summary>
    public static string Describe(KeyEffect effect) => effect switch
    {
        KeyEffect.Start => "start",
        KeyEffect.Reload => "start, reload",
        KeyEffect.Checked => "checked",
        KeyEffect.Refused => "refused",
        _ => "no effect (warned)",
    };
}
