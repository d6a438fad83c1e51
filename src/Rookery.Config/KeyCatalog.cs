using System.Globalization;

namespace Rookery.Config;

/// <summary>How corosync stores a key's value, and so how its parser checks it.</summary>
public enum ValueKind
{
    /// <summary>Any string, not checked at parse time.</summary>
    Text,

    /// <summary>Decimal 0..255.</summary>
    UInt8,

    /// <summary>Decimal 0..65535.</summary>
    UInt16,

    /// <summary>Decimal 0..4294967295.</summary>
    UInt32,

    /// <summary>Decimal signed 32-bit.</summary>
    Int32,

    /// <summary>Decimal unsigned 64-bit.</summary>
    UInt64,

    /// <summary>DSCP: 0..63 (decimal, hex or octal) or a name such as <c>ef</c>, <c>af41</c>, <c>cs6</c>.</summary>
    Dscp,

    /// <summary>One of <see cref="KeySpec.Choices"/>, checked at parse time.</summary>
    Choice,
}

/// <summary>A corosync.conf key this layer knows: its cmap path (unindexed), type, default and meaning.</summary>
public sealed record KeySpec(
    string Path,
    ValueKind Kind,
    string Default,
    string Description,
    IReadOnlyList<string>? Choices = null,
    string? ChoiceError = null)
{
    /// <summary>The section part of the path (<c>totem.interface</c> for <c>totem.interface.mcastport</c>).</summary>
    public string Section => Path[..Path.LastIndexOf('.')];

    public string Key => Path[(Path.LastIndexOf('.') + 1)..];
}

/// <summary>
/// Every key Rookery reads, with the type corosync's parser enforces (corosync: <c>exec/coroparse.c</c>
/// <c>main_config_parser_cb</c>) and the default from <see cref="Defaults"/>. The parser checks
/// values with it and <c>docs/config.md</c> is generated from it.
/// </summary>
public static class KeyCatalog
{
    private static readonly string[] IpVersions = ["ipv4", "ipv6", "ipv4-6", "ipv6-4"];

    /// <summary>Cipher names Debian's corosync 3.1.7 accepts (libknet 1.25, built with ENABLE_UNENCRYPTED).</summary>
    public static readonly IReadOnlyList<string> CryptoCiphers = ["none", "aes256", "aes192", "aes128"];

    /// <summary>Hash names Debian's corosync 3.1.7 accepts.</summary>
    public static readonly IReadOnlyList<string> CryptoHashes = ["none", "md5", "sha1", "sha256", "sha384", "sha512"];

    /// <summary>Crypto models Debian's corosync 3.1.7 accepts.</summary>
    public static readonly IReadOnlyList<string> CryptoModels = ["nss", "openssl"];

    /// <summary>Compression models: libknet's list plus "none" (the default, which corosync 3.1.7 refuses when written out).</summary>
    public static readonly IReadOnlyList<string> CompressionModels = ["none", "zlib", "lz4", "lz4hc", "lzo2", "lzma", "bzip2", "zstd"];

    private static readonly (string Name, int Value)[] DscpNames =
    [
        ("cs0", 0), ("cs1", 8), ("cs2", 16), ("cs3", 24), ("cs4", 32), ("cs5", 40), ("cs6", 48), ("cs7", 56),
        ("af11", 10), ("af12", 12), ("af13", 14), ("af21", 18), ("af22", 20), ("af23", 22), ("af31", 26), ("af32", 28),
        ("af33", 30), ("af41", 34), ("af42", 36), ("af43", 38), ("ef", 46),
    ];

    public static IReadOnlyList<KeySpec> All { get; } =
    [
        new("totem.version", ValueKind.UInt32, "(required)", "Configuration format version; must be 2."),
        new("totem.cluster_name", ValueKind.Text, "(none)", "Name of the cluster."),
        new("totem.config_version", ValueKind.UInt64, "0", "Raised by one on every tool write; a node with a lower version cannot join."),
        new("totem.transport", ValueKind.Text, Defaults.Transport, "Transport; only knet."),
        new("totem.link_mode", ValueKind.Text, Defaults.LinkMode, "Link policy: passive (highest-priority connected link), active or rr."),
        new("totem.ip_version", ValueKind.Choice, Defaults.IpVersion, "Address family preference when resolving ringX_addr.", IpVersions, "Invalid ip_version type"),
        new("totem.ip_dscp", ValueKind.Dscp, "0", "DSCP of link traffic (number 0..63 or name such as ef)."),
        new("totem.netmtu", ValueKind.UInt32, "0 (= 65536)", "Largest packet handed to the transport."),
        new("totem.knet_mtu", ValueKind.UInt32, Num(Defaults.KnetMtu), "Manual link MTU; 0 means path MTU discovery."),
        new("totem.knet_pmtud_interval", ValueKind.UInt32, Num(Defaults.KnetPmtudIntervalSeconds), "Seconds between path MTU discoveries."),
        new("totem.knet_compression_model", ValueKind.Choice, Defaults.KnetCompressionModel, "Compression of link traffic.", CompressionModels, "Invalid compression model. Should be "),
        new("totem.knet_compression_threshold", ValueKind.UInt32, Num(Defaults.KnetCompressionThreshold), "Smallest packet that is compressed (0 = knet's default)."),
        new("totem.knet_compression_level", ValueKind.Int32, Num(Defaults.KnetCompressionLevel), "Compression level."),
        new("totem.crypto_model", ValueKind.Choice, Defaults.CryptoModel, "Crypto library.", CryptoModels, "Invalid crypto model. Should be "),
        new("totem.crypto_cipher", ValueKind.Choice, "none (aes256 with secauth: on)", "Cipher of link traffic.", CryptoCiphers, "Invalid cipher type. Should be "),
        new("totem.crypto_hash", ValueKind.Choice, "none (sha256 with secauth: on)", "Authentication hash of link traffic.", CryptoHashes, "Invalid hash type. Should be "),
        new("totem.secauth", ValueKind.Text, "(unset)", "on = aes256 + sha256; any other value = none + none; crypto_cipher/crypto_hash override it."),
        new("totem.keyfile", ValueKind.Text, Defaults.KeyFile, "Shared key file (128..4096 bytes; keygen writes 256)."),
        new("totem.token", ValueKind.UInt32, Num(Defaults.TokenMs), "Milliseconds without the token before it is declared lost."),
        new("totem.token_coefficient", ValueKind.UInt32, Num(Defaults.TokenCoefficientMs), "Milliseconds added to token per node beyond two (0 disables)."),
        new("totem.token_warning", ValueKind.UInt32, Num(Defaults.TokenWarningPercent), "Percent of token after which a warning is logged (0 disables; at most 100)."),
        new("totem.token_retransmits_before_loss_const", ValueKind.UInt32, Num(Defaults.TokenRetransmitsBeforeLossConst), "Token retransmits before loss; derives token_retransmit."),
        new("totem.token_retransmit", ValueKind.UInt32, "token / (token_retransmits_before_loss_const + 0.2)", "Token resend interval, ms."),
        new("totem.hold", ValueKind.UInt32, "token_retransmit × 0.8 − 10", "How long the representative holds an idle token, ms."),
        new("totem.join", ValueKind.UInt32, Num(Defaults.JoinMs), "Join resend interval, ms."),
        new("totem.send_join", ValueKind.UInt32, Num(Defaults.SendJoinMs), "Random delay before a join send, up to this many ms."),
        new("totem.consensus", ValueKind.UInt32, "1.2 × token", "Time to reach consensus on a membership, ms (at least join)."),
        new("totem.merge", ValueKind.UInt32, Num(Defaults.MergeMs), "Merge-detect interval, ms."),
        new("totem.downcheck", ValueKind.UInt32, Num(Defaults.DowncheckMs), "Interface recheck, ms (UDP only)."),
        new("totem.fail_recv_const", ValueKind.UInt32, Num(Defaults.FailRecvConst), "Rotations without progress before FAILED TO RECEIVE."),
        new("totem.seqno_unchanged_const", ValueKind.UInt32, Num(Defaults.SeqnoUnchangedConst), "Rotations without multicast before the token is held."),
        new("totem.heartbeat_failures_allowed", ValueKind.UInt32, Num(Defaults.HeartbeatFailuresAllowed), "Heartbeat failures allowed (0 disables)."),
        new("totem.max_network_delay", ValueKind.UInt32, Num(Defaults.MaxNetworkDelayMs), "Network delay assumed by the heartbeat, ms."),
        new("totem.window_size", ValueKind.UInt32, Num(Defaults.WindowSize), "Most multicasts per token rotation."),
        new("totem.max_messages", ValueKind.UInt32, Num(Defaults.MaxMessages), "Most multicasts by one node per token visit."),
        new("totem.miss_count_const", ValueKind.UInt32, Num(Defaults.MissCountConst), "Token visits before a gap is retransmitted."),
        new("totem.block_unlisted_ips", ValueKind.Text, "yes", "Drop traffic from addresses not in the nodelist."),
        new("totem.cancel_token_hold_on_retransmit", ValueKind.Text, "no", "yes: never hold the token while retransmits are pending."),
        new("totem.threads", ValueKind.UInt32, "0", "Ignored (legacy)."),
        new("totem.nodeid", ValueKind.UInt32, "(none)", "Deprecated and ignored; use nodelist.node.nodeid."),
        new("totem.interface.linknumber", ValueKind.UInt8, "0", "Link this interface block configures (0..7)."),
        new("totem.interface.knet_link_priority", ValueKind.UInt8, Num(Defaults.KnetLinkPriority), "Link priority 0..255; passive mode uses the highest; 0 is treated as 1."),
        new("totem.interface.knet_ping_interval", ValueKind.UInt32, "(unset: Rookery's link_* timers)", "Milliseconds between pings. Setting it or knet_ping_timeout switches the link to knet's timers (the unset one derived as corosync does: interval = token / (2 × knet_pong_count)); 0 = unset."),
        new("totem.interface.knet_ping_timeout", ValueKind.UInt32, "(unset: Rookery's link_* timers)", "Milliseconds without a pong before the link is down; switches to knet's timers like knet_ping_interval (derived: token / knet_pong_count); 0 = unset."),
        new("totem.interface.knet_ping_precision", ValueKind.UInt32, Num(Defaults.KnetPingPrecision), "Latency samples kept."),
        new("totem.interface.knet_pong_count", ValueKind.UInt32, Num(Defaults.KnetPongCount), "Pongs before a link is up."),
        new("totem.interface.link_ping_interval", ValueKind.Text, Num(Defaults.LinkPingIntervalMs), "Rookery: milliseconds between pings on a healthy link (1..60000); Rookery's default instead of knet's token-derived 750 ms."),
        new("totem.interface.link_standby_ping_interval", ValueKind.Text, Num(Defaults.LinkStandbyPingIntervalMs), "Rookery: milliseconds between pings on a standby link (passive mode, connected, not carrying data); at least link_ping_interval; unset, the link's link_down_timeout."),
        new("totem.interface.link_down_timeout", ValueKind.Text, Num(Defaults.LinkDownTimeoutMs), "Rookery: milliseconds without a pong before the link is down; at least 2 × link_ping_interval."),
        new("totem.interface.link_suspect_timeout", ValueKind.Text, Num(Defaults.LinkSuspectTimeoutMs), "Rookery: milliseconds without a pong before the link is suspect (probed every link_probe_interval, data hedged); below link_down_timeout."),
        new("totem.interface.link_probe_interval", ValueKind.Text, Num(Defaults.LinkProbeIntervalMs), "Rookery: milliseconds between probes of a suspect link; at most link_ping_interval."),
        new("totem.interface.link_flap_damping", ValueKind.Text, YesNo(Defaults.LinkFlapDamping), "Rookery: yes/no; repeated downs (within 20 s) raise the pongs a link needs to come back up."),
        new("totem.interface.link_hedging", ValueKind.Text, YesNo(Defaults.LinkHedging), "Rookery: yes/no; while the passive link is suspect, data also goes on the next connected link (the receiver drops the copy)."),
        new("totem.interface.knet_transport", ValueKind.Text, Defaults.KnetTransport, "Link transport; only udp."),
        new("totem.interface.mcastport", ValueKind.UInt16, $"{Num(LinkPorts.DefaultBasePort)} + linknumber", "UDP port of the link (bound locally and the peers' destination)."),
        new("totem.interface.ttl", ValueKind.UInt8, Num(Defaults.Ttl), "Multicast TTL (UDP multicast only)."),
        new("nodelist.node.nodeid", ValueKind.UInt32, "(required)", "Node id, 1..65535, unique."),
        new("nodelist.node.name", ValueKind.Text, "(none)", "Node name; required with more than one link."),
        new("nodelist.node.quorum_votes", ValueKind.UInt32, Num(Defaults.QuorumVotes), "Votes of the node."),
        new("nodelist.node.ringX_addr", ValueKind.Text, "(none)", "Address of the node on link X (0..7): IP literal, or a host name resolved by totem.ip_version (see below)."),
        new("quorum.provider", ValueKind.Text, "(none: always quorate)", "corosync_votequorum."),
        new("quorum.expected_votes", ValueKind.UInt32, "sum of quorum_votes", "Expected votes."),
        new("quorum.votes", ValueKind.UInt32, Num(Defaults.QuorumVotes), "Votes of this node without a nodelist."),
        new("quorum.two_node", ValueKind.UInt8, "0", "Two-node cluster: quorate with one vote (implies wait_for_all)."),
        new("quorum.wait_for_all", ValueKind.UInt8, "two_node", "Not quorate until all nodes were seen once."),
        new("quorum.last_man_standing", ValueKind.UInt8, "0", "Recalculate expected votes as nodes leave."),
        new("quorum.last_man_standing_window", ValueKind.UInt32, Num(Defaults.LastManStandingWindowMs), "Milliseconds before last_man_standing recalculates."),
        new("quorum.auto_tie_breaker", ValueKind.UInt8, "0", "An even split keeps quorum on the side with the tie-breaker node."),
        new("quorum.auto_tie_breaker_node", ValueKind.Text, Defaults.AutoTieBreakerNode, "lowest, highest or a list of node ids."),
        new("quorum.allow_downscale", ValueKind.UInt8, "0", "Lower expected votes when nodes leave cleanly."),
        new("quorum.expected_votes_tracking", ValueKind.UInt8, "0", "Remember the highest expected votes."),
        new("quorum.leaving_timeout", ValueKind.UInt32, "(none)", "Milliseconds a leaving node is waited for."),
        new("quorum.device.model", ValueKind.Text, "(none)", "Quorum device model (net)."),
        new("quorum.device.votes", ValueKind.UInt32, "(computed)", "Votes of the quorum device."),
        new("quorum.device.timeout", ValueKind.UInt32, Num(Defaults.DeviceTimeoutMs), "Quorum device timeout, ms."),
        new("quorum.device.sync_timeout", ValueKind.UInt32, Num(Defaults.DeviceSyncTimeoutMs), "Quorum device timeout during sync, ms."),
        new("quorum.device.master_wins", ValueKind.UInt8, "0", "The device decides in a tie."),
        new("logging.to_stderr", ValueKind.Text, "yes", "Log to standard error."),
        new("logging.to_syslog", ValueKind.Text, "yes", "Log to syslog (the journal)."),
        new("logging.to_logfile", ValueKind.Text, "no", "Log to logfile."),
        new("logging.logfile", ValueKind.Text, "(none)", "Log file path (needed with to_logfile)."),
        new("logging.debug", ValueKind.Text, Defaults.LogDebug, "off, on or trace."),
        new("logging.timestamp", ValueKind.Text, Defaults.LogTimestamp, "off, on or hires."),
        new("logging.syslog_facility", ValueKind.Text, Defaults.LogSyslogFacility, "daemon or local0..local7."),
        new("logging.syslog_priority", ValueKind.Text, Defaults.LogSyslogPriority, "Lowest priority sent to syslog."),
        new("logging.logfile_priority", ValueKind.Text, Defaults.LogLogfilePriority, "Lowest priority written to the log file."),
        new("system.state_dir", ValueKind.Text, Defaults.StateDir, "Directory of the ring id files."),
        new("system.qb_ipc_type", ValueKind.Choice, "native", "IPC type.", ["native", "shm", "socket"], "Invalid system.qb_ipc_type"),
        new("system.sched_rr", ValueKind.Choice, "yes", "Real-time scheduling.", ["yes", "no"], "Invalid system.sched_rr value"),
        new("system.move_to_root_cgroup", ValueKind.Choice, "auto", "Move to the root cgroup.", ["yes", "no", "auto"], "Invalid system.move_to_root_cgroup"),
        new("system.allow_knet_handle_fallback", ValueKind.Choice, "no", "Allow knet handle fallback.", ["yes", "no"], "Invalid system.allow_knet_handle_fallback"),
        new("resources.watchdog_timeout", ValueKind.UInt32, "(none)", "Watchdog timeout, seconds."),
    ];

    private static readonly Dictionary<string, KeySpec> ByPath = All.ToDictionary(s => s.Path, StringComparer.Ordinal);

    public static KeySpec? Find(string path) => ByPath.GetValueOrDefault(path);

    /// <summary>
    /// Checks a value the way corosync's parser does, or returns null when it is fine.
    /// <paramref name="displayPath"/> is the cmap key named in the message (indexed for nodes).
    /// </summary>
    public static string? CheckValue(KeySpec spec, string displayPath, string value)
    {
        switch (spec.Kind)
        {
            case ValueKind.UInt8:
                return RangeError(displayPath, value, byte.MinValue, byte.MaxValue);
            case ValueKind.UInt16:
                return RangeError(displayPath, value, ushort.MinValue, ushort.MaxValue);
            case ValueKind.UInt32:
                return RangeError(displayPath, value, uint.MinValue, uint.MaxValue);
            case ValueKind.Int32:
                return RangeError(displayPath, value, int.MinValue, int.MaxValue);
            case ValueKind.UInt64:
                return ValueParsing.TryParseUInt64(value, out _)
                    ? null
                    : $"Value of key \"{displayPath}\" is expected to be unsigned integer, but \"{value}\" was given";
            case ValueKind.Dscp:
                return TryParseDscp(value, out _)
                    ? null
                    : $"Value of key \"{displayPath}\" is expected to be number (0..63) or symbolical dscp value, but \"{value}\" was given";
            case ValueKind.Choice:
                return spec.Choices!.Contains(value) ? null : ChoiceMessage(spec);
            default:
                return null;
        }
    }

    /// <summary>corosync's list wording: <c>Should be a, b or c</c>; fixed messages are returned as they are.</summary>
    public static string ChoiceMessage(KeySpec spec)
    {
        var prefix = spec.ChoiceError ?? $"Invalid {spec.Path}";
        if (!prefix.EndsWith("Should be ", StringComparison.Ordinal))
        {
            return prefix;
        }

        var choices = spec.Choices!;
        var list = choices.Count == 1 ? choices[0] : $"{string.Join(", ", choices.Take(choices.Count - 1))} or {choices[^1]}";
        return prefix + list;
    }

    public static bool TryParseDscp(string value, out int dscp)
    {
        foreach (var (name, number) in DscpNames)
        {
            if (value == name)
            {
                dscp = number;
                return true;
            }
        }

        dscp = 0;
        var text = value.Trim();
        int radix = 10;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            radix = 16;
            text = text[2..];
        }
        else if (text.Length > 1 && text[0] == '0')
        {
            radix = 8;
            text = text[1..];
        }

        if (text.Length is 0 or > 4)
        {
            return false;
        }

        try
        {
            dscp = Convert.ToInt32(text, radix);
        }
        catch (FormatException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }

        return dscp is >= 0 and <= 63 && text.All(char.IsAsciiHexDigit);
    }

    private static string? RangeError(string displayPath, string value, long min, long max) =>
        ValueParsing.TryParseInteger(value, min, max, out _)
            ? null
            : string.Create(
                CultureInfo.InvariantCulture,
                $"Value of key \"{displayPath}\" is expected to be integer in range ({min}..{max}), but \"{value}\" was given");

    private static string Num(uint value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string YesNo(bool value) => value ? "yes" : "no";
}
