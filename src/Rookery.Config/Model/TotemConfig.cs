namespace Rookery.Config;

/// <summary>
/// The <c>totem { }</c> section: its keys as written, and typed views with corosync's defaults
/// applied (<see cref="Defaults"/>). Values a timer derives from others (effective token,
/// consensus, retransmit, hold, knet ping timers) are computed by <see cref="TotemTimers"/>.
/// </summary>
public sealed class TotemConfig : IEquatable<TotemConfig>
{
    public TotemConfig(bool present, KeyValues keys, IReadOnlyList<InterfaceConfig> interfaces, int line = 0)
    {
        Present = present;
        Keys = keys;
        Interfaces = [.. interfaces.OrderBy(i => i.LinkNumber)];
        Line = line;
    }

    public static TotemConfig Absent { get; } = new(false, KeyValues.Empty, []);

    /// <summary>Whether the file has a totem section at all.</summary>
    public bool Present { get; }

    /// <summary>Keys of the section (without the interface blocks), subsection keys dotted.</summary>
    public KeyValues Keys { get; }

    /// <summary>Interface blocks, one per link number (repeated blocks merged), by link number.</summary>
    public IReadOnlyList<InterfaceConfig> Interfaces { get; }

    public int Line { get; }

    /// <value>Required; must be 2 (corosync: <c>totem.version</c>).</value>
    public uint? Version => Keys.GetUInt32("version");

    /// <value>None by default (corosync: <c>totem.cluster_name</c>).</value>
    public string? ClusterName => Keys["cluster_name"];

    /// <value>0 by default (corosync: <c>totem.config_version</c>).</value>
    public ulong ConfigVersion => Keys.GetUInt64("config_version") ?? 0;

    /// <value>knet by default (corosync: <c>totem.transport</c>).</value>
    public string Transport => Keys["transport"] ?? Defaults.Transport;

    /// <value>passive by default (corosync: <c>totem.link_mode</c>).</value>
    public string LinkMode => Keys["link_mode"] ?? Defaults.LinkMode;

    /// <value>ipv6-4 by default (corosync: <c>totem.ip_version</c>).</value>
    public string IpVersion => Keys["ip_version"] ?? Defaults.IpVersion;

    /// <value>Unset by default (corosync: <c>totem.secauth</c>).</value>
    public string? Secauth => Keys["secauth"];

    /// <value>nss by default (corosync: <c>totem.crypto_model</c>).</value>
    public string CryptoModel => Keys["crypto_model"] ?? Defaults.CryptoModel;

    /// <summary>The cipher in effect: the build default, reset by secauth (on ⇒ aes256, else none), overridden by crypto_cipher (corosync: <c>totem_get_crypto</c>).</summary>
    public string CryptoCipher => Keys["crypto_cipher"] ?? (Secauth is null ? Defaults.CryptoCipher : Secauth == "on" ? "aes256" : "none");

    /// <summary>The hash in effect, resolved like <see cref="CryptoCipher"/> (on ⇒ sha256).</summary>
    public string CryptoHash => Keys["crypto_hash"] ?? (Secauth is null ? Defaults.CryptoHash : Secauth == "on" ? "sha256" : "none");

    /// <summary>Whether traffic is encrypted and authenticated.</summary>
    public bool IsSecure => CryptoCipher != "none" && CryptoHash != "none";

    /// <value>Unset: the authkey next to the configuration file (corosync: <c>totem.keyfile</c>).</value>
    public string? KeyFile => Keys["keyfile"];

    /// <value>3000 ms by default; 0 means the default (corosync: <c>totem.token</c>).</value>
    public uint Token => NonZero("token") ?? Defaults.TokenMs;

    /// <value>650 ms by default; 0 disables scaling (corosync: <c>totem.token_coefficient</c>).</value>
    public uint TokenCoefficient => Keys.GetUInt32("token_coefficient") ?? Defaults.TokenCoefficientMs;

    /// <value>75 % by default; 0 disables the warning (corosync: <c>totem.token_warning</c>).</value>
    public uint TokenWarning => Keys.GetUInt32("token_warning") ?? Defaults.TokenWarningPercent;

    /// <value>4 by default (corosync: <c>totem.token_retransmits_before_loss_const</c>).</value>
    public uint TokenRetransmitsBeforeLossConst => NonZero("token_retransmits_before_loss_const") ?? Defaults.TokenRetransmitsBeforeLossConst;

    /// <value>Derived when unset or 0 (corosync: <c>totem.token_retransmit</c>).</value>
    public uint? TokenRetransmit => NonZero("token_retransmit");

    /// <value>Derived when unset or 0 (corosync: <c>totem.hold</c>).</value>
    public uint? Hold => NonZero("hold");

    /// <value>Derived (1.2 × effective token) when unset or 0 (corosync: <c>totem.consensus</c>).</value>
    public uint? Consensus => NonZero("consensus");

    /// <value>50 ms by default (corosync: <c>totem.join</c>).</value>
    public uint Join => NonZero("join") ?? Defaults.JoinMs;

    /// <value>0 by default (corosync: <c>totem.send_join</c>).</value>
    public uint SendJoin => Keys.GetUInt32("send_join") ?? Defaults.SendJoinMs;

    /// <value>200 ms by default (corosync: <c>totem.merge</c>).</value>
    public uint Merge => NonZero("merge") ?? Defaults.MergeMs;

    /// <value>1000 ms by default (corosync: <c>totem.downcheck</c>).</value>
    public uint Downcheck => NonZero("downcheck") ?? Defaults.DowncheckMs;

    /// <value>2500 by default (corosync: <c>totem.fail_recv_const</c>).</value>
    public uint FailRecvConst => NonZero("fail_recv_const") ?? Defaults.FailRecvConst;

    /// <value>30 by default (corosync: <c>totem.seqno_unchanged_const</c>).</value>
    public uint SeqnoUnchangedConst => NonZero("seqno_unchanged_const") ?? Defaults.SeqnoUnchangedConst;

    /// <value>0 by default (corosync: <c>totem.heartbeat_failures_allowed</c>).</value>
    public uint HeartbeatFailuresAllowed => Keys.GetUInt32("heartbeat_failures_allowed") ?? Defaults.HeartbeatFailuresAllowed;

    /// <value>50 ms by default (corosync: <c>totem.max_network_delay</c>).</value>
    public uint MaxNetworkDelay => NonZero("max_network_delay") ?? Defaults.MaxNetworkDelayMs;

    /// <value>50 by default (corosync: <c>totem.window_size</c>).</value>
    public uint WindowSize => NonZero("window_size") ?? Defaults.WindowSize;

    /// <value>17 by default (corosync: <c>totem.max_messages</c>).</value>
    public uint MaxMessages => NonZero("max_messages") ?? Defaults.MaxMessages;

    /// <value>5 by default (corosync: <c>totem.miss_count_const</c>).</value>
    public uint MissCountConst => NonZero("miss_count_const") ?? Defaults.MissCountConst;

    /// <value>30 s by default (corosync: <c>totem.knet_pmtud_interval</c>).</value>
    public uint KnetPmtudInterval => NonZero("knet_pmtud_interval") ?? Defaults.KnetPmtudIntervalSeconds;

    /// <value>0 (automatic) by default (corosync: <c>totem.knet_mtu</c>).</value>
    public uint KnetMtu => Keys.GetUInt32("knet_mtu") ?? Defaults.KnetMtu;

    /// <value>0 by default, meaning 65536 for knet (corosync: <c>totem.netmtu</c>).</value>
    public uint NetMtu => NonZero("netmtu") ?? Defaults.NetMtuKnet;

    /// <value>none by default (corosync: <c>totem.knet_compression_model</c>).</value>
    public string KnetCompressionModel => Keys["knet_compression_model"] ?? Defaults.KnetCompressionModel;

    /// <value>0 by default (corosync: <c>totem.knet_compression_threshold</c>).</value>
    public uint KnetCompressionThreshold => Keys.GetUInt32("knet_compression_threshold") ?? Defaults.KnetCompressionThreshold;

    /// <value>0 by default (corosync: <c>totem.knet_compression_level</c>).</value>
    public int KnetCompressionLevel => Keys.GetInt32("knet_compression_level") ?? Defaults.KnetCompressionLevel;

    /// <value>yes by default; any value but yes/no keeps the default (corosync: <c>totem.block_unlisted_ips</c>).</value>
    public bool BlockUnlistedIps => YesNo("block_unlisted_ips") ?? Defaults.BlockUnlistedIps;

    /// <value>no by default (corosync: <c>totem.cancel_token_hold_on_retransmit</c>).</value>
    public bool CancelTokenHoldOnRetransmit => YesNo("cancel_token_hold_on_retransmit") ?? Defaults.CancelTokenHoldOnRetransmit;

    /// <summary>The interface block of a link, or null when the link has none.</summary>
    public InterfaceConfig? Interface(LinkId link) => Interfaces.FirstOrDefault(i => i.LinkNumber == link.Value);

    public bool Equals(TotemConfig? other) =>
        other is not null && Present == other.Present && Keys.Equals(other.Keys) && Interfaces.SequenceEqual(other.Interfaces);

    public override bool Equals(object? obj) => Equals(obj as TotemConfig);

    public override int GetHashCode() => HashCode.Combine(Present, Keys, Interfaces.Count);

    private uint? NonZero(string key) => Keys.GetUInt32(key) is { } value and not 0 ? value : null;

    private bool? YesNo(string key) => Keys[key] switch
    {
        "yes" => true,
        "no" => false,
        _ => null,
    };
}

/// <summary>An <c>interface { }</c> block of totem: the settings of one link.</summary>
public sealed class InterfaceConfig : IEquatable<InterfaceConfig>
{
    public InterfaceConfig(byte linkNumber, KeyValues keys, int line = 0)
    {
        LinkNumber = linkNumber;
        Keys = keys;
        Line = line;
    }

    /// <value>0 when the block has no linknumber (corosync: <c>totem.interface.linknumber</c>).</value>
    public byte LinkNumber { get; }

    /// <summary>Keys of the block other than linknumber, including unknown ones (extension keys).</summary>
    public KeyValues Keys { get; }

    public int Line { get; }

    /// <value>1 by default (corosync: <c>totem.interface.knet_link_priority</c>).</value>
    public byte Priority => (byte)(Keys.GetUInt32("knet_link_priority") is { } value and <= byte.MaxValue ? value : Defaults.KnetLinkPriority);

    /// <summary>The priority knet uses: 0 is treated as 1 (man corosync.conf).</summary>
    public byte EffectivePriority => Priority == 0 ? (byte)1 : Priority;

    /// <value>Derived from the token when unset or 0 (corosync: <c>totem.interface.knet_ping_interval</c>).</value>
    public uint? PingInterval => Keys.GetUInt32("knet_ping_interval") is { } value and not 0 ? value : null;

    /// <value>Derived from the token when unset or 0 (corosync: <c>totem.interface.knet_ping_timeout</c>).</value>
    public uint? PingTimeout => Keys.GetUInt32("knet_ping_timeout") is { } value and not 0 ? value : null;

    /// <value>2048 by default (corosync: <c>totem.interface.knet_ping_precision</c>).</value>
    public uint PingPrecision => Keys.GetUInt32("knet_ping_precision") ?? Defaults.KnetPingPrecision;

    /// <value>2 by default; 0 means the default (corosync: <c>totem.interface.knet_pong_count</c>).</value>
    public uint PongCount => Keys.GetUInt32("knet_pong_count") is { } value and not 0 ? value : Defaults.KnetPongCount;

    /// <value>udp by default (corosync: <c>totem.interface.knet_transport</c>).</value>
    public string Transport => Keys["knet_transport"] ?? Defaults.KnetTransport;

    /// <value>5405 + link number by default (corosync: <c>totem.interface.mcastport</c>).</value>
    public ushort McastPort => (ushort)LinkPorts.For(new LinkId(LinkNumber), Keys.GetUInt32("mcastport") is { } value and >= 1 and <= ushort.MaxValue ? (int)value : null);

    /// <summary>The section's keys as a dictionary (the form <see cref="LinkTimingKeys.Parse"/> reads).</summary>
    public IReadOnlyDictionary<string, string> KeyDictionary => Keys.ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal);

    /// <summary>
    /// The link's failure-detection timers (Rookery's <c>link_*</c> keys, or knet's when a <c>knet_ping_*</c> key is set),
    /// knet's derived from <paramref name="runtimeTokenMs"/>; problems go to <paramref name="errors"/> as "key: reason".
    /// </summary>
    public LinkTiming Timing(long runtimeTokenMs, List<string> errors) => LinkTimingKeys.Parse(KeyDictionary, runtimeTokenMs, errors);

    public bool Equals(InterfaceConfig? other) => other is not null && LinkNumber == other.LinkNumber && Keys.Equals(other.Keys);

    public override bool Equals(object? obj) => Equals(obj as InterfaceConfig);

    public override int GetHashCode() => HashCode.Combine(LinkNumber, Keys);
}
