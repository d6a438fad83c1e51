namespace Rookery.Config;

/// <summary>
/// Every default of the configuration layer, in one place. Each value is the one corosync 3.1
/// uses (corosync: <c>exec/totemconfig.c</c> <c>#define</c>s, <c>man/corosync.conf.5</c>,
/// <c>man/votequorum.5</c>) unless its doc says otherwise. <c>docs/config.md</c> is generated
/// from <see cref="KeyCatalog"/>, which takes its defaults from here.
/// </summary>
public static class Defaults
{
    /// <summary>Milliseconds without the token before it is declared lost (corosync: <c>totem.token</c>).</summary>
    public const uint TokenMs = 3000;

    /// <summary>Milliseconds added to the token timeout for every node beyond the second (corosync: <c>totem.token_coefficient</c>).</summary>
    public const uint TokenCoefficientMs = 650;

    /// <summary>Percent of the token timeout after which "Token has not been received" is logged (corosync: <c>totem.token_warning</c>).</summary>
    public const uint TokenWarningPercent = 75;

    /// <summary>Token retransmits before the token is lost; only used to derive token_retransmit (corosync: <c>totem.token_retransmits_before_loss_const</c>).</summary>
    public const uint TokenRetransmitsBeforeLossConst = 4;

    /// <summary>Join message resend interval in GATHER, milliseconds (corosync: <c>totem.join</c>).</summary>
    public const uint JoinMs = 50;

    /// <summary>Upper bound of the random sleep before each join send, milliseconds; 0 = none (corosync: <c>totem.send_join</c>).</summary>
    public const uint SendJoinMs = 0;

    /// <summary>Merge-detect interval while idle, milliseconds (corosync: <c>totem.merge</c>).</summary>
    public const uint MergeMs = 200;

    /// <summary>Interface recheck interval, milliseconds; UDP transports only (corosync: <c>totem.downcheck</c>).</summary>
    public const uint DowncheckMs = 1000;

    /// <summary>Token rotations with an unchanged aru before "FAILED TO RECEIVE" (corosync: <c>totem.fail_recv_const</c>).</summary>
    public const uint FailRecvConst = 2500;

    /// <summary>Token rotations without new multicast before the token is held (corosync: <c>totem.seqno_unchanged_const</c>).</summary>
    public const uint SeqnoUnchangedConst = 30;

    /// <summary>Heartbeat failures allowed; 0 disables the heartbeat (corosync: <c>totem.heartbeat_failures_allowed</c>).</summary>
    public const uint HeartbeatFailuresAllowed = 0;

    /// <summary>Expected network delay for the heartbeat, milliseconds (corosync: <c>totem.max_network_delay</c>).</summary>
    public const uint MaxNetworkDelayMs = 50;

    /// <summary>Most multicasts per token rotation, ring-wide (corosync: <c>totem.window_size</c>).</summary>
    public const uint WindowSize = 50;

    /// <summary>Most multicasts by one node per token visit (corosync: <c>totem.max_messages</c>).</summary>
    public const uint MaxMessages = 17;

    /// <summary>Token visits a gap must persist before it is put in the retransmit list (corosync: <c>totem.miss_count_const</c>).</summary>
    public const uint MissCountConst = 5;

    /// <summary>
    /// Rookery only (no corosync key; corosync waits token + consensus): milliseconds a member must stay
    /// unreachable on every link before Totem fails it without waiting for the token timeout.
    /// </summary>
    public const uint FastNodeLossDelayMs = 400;

    /// <summary>Path MTU discovery interval, seconds (corosync: <c>totem.knet_pmtud_interval</c>).</summary>
    public const uint KnetPmtudIntervalSeconds = 30;

    /// <summary>Manual knet MTU; 0 = automatic PMTUD (corosync: <c>totem.knet_mtu</c>).</summary>
    public const uint KnetMtu = 0;

    /// <summary>Largest packet handed to the knet transport when netmtu is 0 (corosync: <c>KNET_MAX_PACKET_SIZE</c>).</summary>
    public const uint NetMtuKnet = 65536;

    /// <summary>Compression below this size is skipped; 0 = knet's own default (corosync: <c>totem.knet_compression_threshold</c>).</summary>
    public const uint KnetCompressionThreshold = 0;

    /// <summary>Compression level passed to the compressor (corosync: <c>totem.knet_compression_level</c>).</summary>
    public const int KnetCompressionLevel = 0;

    /// <summary>Compression model (corosync: <c>totem.knet_compression_model</c>).</summary>
    public const string KnetCompressionModel = "none";

    /// <summary>Transport (corosync: <c>totem.transport</c>).</summary>
    public const string Transport = "knet";

    /// <summary>Link policy: passive uses the highest-priority connected link (corosync: <c>totem.link_mode</c>).</summary>
    public const string LinkMode = "passive";

    /// <summary>Address family preference when resolving ringX_addr (corosync: <c>totem.ip_version</c>).</summary>
    public const string IpVersion = "ipv6-4";

    /// <summary>Crypto library model (corosync: <c>totem.crypto_model</c>).</summary>
    public const string CryptoModel = "nss";

    /// <summary>Cipher when neither secauth nor crypto_cipher is set (Debian's corosync 3.1.7 is built with ENABLE_UNENCRYPTED: <c>none</c>) (corosync: <c>totem.crypto_cipher</c>).</summary>
    public const string CryptoCipher = "none";

    /// <summary>Hash when neither secauth nor crypto_hash is set (ENABLE_UNENCRYPTED build: <c>none</c>) (corosync: <c>totem.crypto_hash</c>).</summary>
    public const string CryptoHash = "none";

    /// <summary>Shared key file (architecture.md §4; corosync's is /etc/corosync/authkey) (corosync: <c>totem.keyfile</c>).</summary>
    public const string KeyFile = "/etc/rookery/authkey";

    /// <summary>Drop traffic from addresses not in the nodelist (corosync: <c>totem.block_unlisted_ips</c>).</summary>
    public const bool BlockUnlistedIps = true;

    /// <summary>Never hold the token while retransmits are pending (corosync: <c>totem.cancel_token_hold_on_retransmit</c>).</summary>
    public const bool CancelTokenHoldOnRetransmit = false;

    /// <summary>First UDP port; link N uses this + N (corosync: <c>DEFAULT_PORT</c>, <c>totem.interface.mcastport</c>).</summary>
    public const ushort McastPortBase = 5405;

    /// <summary>Link priority (corosync: <c>totem.interface.knet_link_priority</c>); 0 is treated as 1.</summary>
    public const byte KnetLinkPriority = 1;

    /// <summary>Latency samples kept per link (corosync: <c>totem.interface.knet_ping_precision</c>).</summary>
    public const uint KnetPingPrecision = 2048;

    /// <summary>Pongs needed before a link is declared up (corosync: <c>totem.interface.knet_pong_count</c>).</summary>
    public const uint KnetPongCount = 2;

    /// <summary>
    /// Rookery only: no pong for this long declares the link down, milliseconds (<c>totem.interface.link_down_timeout</c>):
    /// the detection target, from which the other link timers' defaults follow.
    /// </summary>
    public const uint LinkDownTimeoutMs = 150;

    /// <summary>
    /// Rookery only: heartbeat period of a healthy link, milliseconds (<c>totem.interface.link_ping_interval</c>). corosync
    /// derives knet's from the token (token / (2 × knet_pong_count), 750 ms at the default token); Rookery pings faster
    /// so that a dead link is noticed within <see cref="LinkDownTimeoutMs"/>: 3/10 of it, the most that still lets a ping
    /// sent just before a 50 ms delay burst (100 ms round trip) bring its pong back before the deadline (45 + 100 &lt; 150;
    /// docs/links.md). Setting a <c>knet_ping_*</c> key switches the link to corosync's timers.
    /// </summary>
    public const uint LinkPingIntervalMs = LinkDownTimeoutMs * 3 / 10;

    /// <summary>
    /// Rookery only: heartbeat period of a standby link (connected, passive mode, not carrying data), milliseconds
    /// (<c>totem.interface.link_standby_ping_interval</c>); never below the ping interval. Unset, it is the link's
    /// <c>link_down_timeout</c> (this default when that is unset too): one ping per detection period is what a link that
    /// carries nothing needs, since failover promotes it with the deadline it has and probes it at once (docs/links.md).
    /// </summary>
    public const uint LinkStandbyPingIntervalMs = LinkDownTimeoutMs;

    /// <summary>
    /// Rookery only: no pong for this long makes the link suspect (probed faster, data hedged), milliseconds
    /// (<c>totem.interface.link_suspect_timeout</c>): 2/5 of <see cref="LinkDownTimeoutMs"/>, one ping interval plus 15 ms
    /// of lateness, so that one lost ping or pong, not a late loop, makes a link suspect.
    /// </summary>
    public const uint LinkSuspectTimeoutMs = LinkDownTimeoutMs * 2 / 5;

    /// <summary>Rookery only: probe period of a suspect link, milliseconds (<c>totem.interface.link_probe_interval</c>).</summary>
    public const uint LinkProbeIntervalMs = 10;

    /// <summary>Rookery only: repeated downs raise the pongs a link needs to come back (<c>totem.interface.link_flap_damping</c>).</summary>
    public const bool LinkFlapDamping = true;

    /// <summary>Rookery only: window over which link downs count toward flap damping, milliseconds (no key).</summary>
    public const uint LinkFlapWindowMs = 20_000;

    /// <summary>Rookery only: while the passive link is suspect, data also goes on the next link (<c>totem.interface.link_hedging</c>).</summary>
    public const bool LinkHedging = true;

    /// <summary>knet link transport (corosync: <c>totem.interface.knet_transport</c>).</summary>
    public const string KnetTransport = "udp";

    /// <summary>Multicast TTL; UDP multicast only (corosync: <c>totem.interface.ttl</c>).</summary>
    public const byte Ttl = 1;

    /// <summary>Votes of a node (corosync: <c>nodelist.node.quorum_votes</c>, <c>quorum.votes</c>).</summary>
    public const uint QuorumVotes = 1;

    /// <summary>The one quorum provider there is (corosync: <c>quorum.provider</c>); without it the cluster is always quorate.</summary>
    public const string QuorumProvider = "corosync_votequorum";

    /// <summary>Last-man-standing window, milliseconds (corosync: <c>quorum.last_man_standing_window</c>).</summary>
    public const uint LastManStandingWindowMs = 10000;

    /// <summary>Which partition wins a tie with auto_tie_breaker (corosync: <c>quorum.auto_tie_breaker_node</c>).</summary>
    public const string AutoTieBreakerNode = "lowest";

    /// <summary>Quorum device timeout, milliseconds (corosync: <c>quorum.device.timeout</c>).</summary>
    public const uint DeviceTimeoutMs = 10000;

    /// <summary>Quorum device timeout during sync, milliseconds (corosync: <c>quorum.device.sync_timeout</c>).</summary>
    public const uint DeviceSyncTimeoutMs = 30000;

    /// <summary>Log to stderr (corosync: <c>logging.to_stderr</c>).</summary>
    public const bool LogToStderr = true;

    /// <summary>Log to syslog/journal (corosync: <c>logging.to_syslog</c>).</summary>
    public const bool LogToSyslog = true;

    /// <summary>Log to a file (corosync: <c>logging.to_logfile</c>).</summary>
    public const bool LogToLogfile = false;

    /// <summary>Debug logging: off, on or trace (corosync: <c>logging.debug</c>).</summary>
    public const string LogDebug = "off";

    /// <summary>Timestamps on log lines: off, on or hires (corosync: <c>logging.timestamp</c>).</summary>
    public const string LogTimestamp = "hires";

    /// <summary>Syslog facility (corosync: <c>logging.syslog_facility</c>).</summary>
    public const string LogSyslogFacility = "daemon";

    /// <summary>Lowest priority sent to syslog (corosync: <c>logging.syslog_priority</c>).</summary>
    public const string LogSyslogPriority = "info";

    /// <summary>Lowest priority written to the log file (corosync: <c>logging.logfile_priority</c>).</summary>
    public const string LogLogfilePriority = "info";

    /// <summary>Directory of the ring id files (architecture.md §4; corosync uses /var/lib/corosync) (corosync: <c>system.state_dir</c>).</summary>
    public const string StateDir = "/var/lib/rookery";

    /// <summary>Configuration directory (architecture.md §4); <c>--config-dir</c> or ROOKERY_CONFIG_DIR override it.</summary>
    public const string ConfigDir = "/etc/rookery";

    /// <summary>Configuration file name inside <see cref="ConfigDir"/>.</summary>
    public const string ConfigFileName = "corosync.conf";

    /// <summary>Key file name inside <see cref="ConfigDir"/>.</summary>
    public const string KeyFileName = "authkey";

    /// <summary>Rookery's own settings (web interface, metrics) beside corosync.conf; none of it is corosync's (no corosync key).</summary>
    public const string SettingsFileName = "rookery.conf";

    /// <summary>TCP port of the web interface when <c>--web</c> or <c>web.listen</c> of rookery.conf names none (no corosync key; Proxmox's GUI uses 8006).</summary>
    public const int WebPort = 8405;

    /// <summary>Bytes of a key written by <c>rookery keygen</c> / <c>rookery create</c> (corosync-keygen writes 256).</summary>
    public const int AuthKeyBytes = 256;

    /// <summary>token_coefficient written by <c>rookery create</c> (pvecm's default; not corosync's).</summary>
    public const uint CreateTokenCoefficientMs = 125;
}
