using Rookery.Config;

namespace Rookery.Links;

/// <summary>
/// The defaults of the links core in its own types. The values live in <see cref="Defaults"/> (one place, with the
/// corosync/knet or Rookery key each stands for, and docs/config.md generated from it); docs/links.md explains the
/// detection policy they implement. Only the wire sizes below have no key.
/// </summary>
public static class LinksDefaults
{
    /// <summary>Heartbeat period of a healthy link (<c>interface.link_ping_interval</c>, Rookery). knet/corosync: token / (pong_count × 2).</summary>
    public static readonly Duration PingInterval = Duration.FromMilliseconds(Defaults.LinkPingIntervalMs);

    /// <summary>
    /// Heartbeat period of a standby link: connected, passive mode, not the one carrying data (<c>interface.link_standby_ping_interval</c>,
    /// Rookery; knet pings every link alike; unset, the link's down timeout). Failover needs fast detection on the active link only; a
    /// standby link is promoted with the deadline it has and probed at once when its last pong is old.
    /// </summary>
    public static readonly Duration StandbyPingInterval = Duration.FromMilliseconds(Defaults.LinkStandbyPingIntervalMs);

    /// <summary>A link is declared down when no pong arrived for this long (<c>interface.link_down_timeout</c>, Rookery).</summary>
    public static readonly Duration DownTimeout = Duration.FromMilliseconds(Defaults.LinkDownTimeoutMs);

    /// <summary>A link without a pong for this long is suspect: it is probed faster and data is hedged (<c>interface.link_suspect_timeout</c>).</summary>
    public static readonly Duration SuspectTimeout = Duration.FromMilliseconds(Defaults.LinkSuspectTimeoutMs);

    /// <summary>Probe period of a suspect link (<c>interface.link_probe_interval</c>).</summary>
    public static readonly Duration ProbeInterval = Duration.FromMilliseconds(Defaults.LinkProbeIntervalMs);

    /// <summary>Pongs beyond which a link comes up; knet needs <c>pong_count + 1</c> (corosync <c>knet_pong_count</c> = 2).</summary>
    public const int PongCount = (int)Defaults.KnetPongCount;

    /// <summary>Latency samples in knet's running mean (corosync <c>knet_ping_precision</c>).</summary>
    public const int PingPrecision = (int)Defaults.KnetPingPrecision;

    /// <summary>Link priority when none is configured (corosync <c>knet_link_priority</c> = 1).</summary>
    public const byte LinkPriority = Defaults.KnetLinkPriority;

    /// <summary>Window over which link downs count toward flap damping (<c>interface.link_flap_damping</c> on).</summary>
    public static readonly Duration FlapWindow = Duration.FromMilliseconds(Defaults.LinkFlapWindowMs);

    /// <summary>Period of path MTU discovery (corosync <c>knet_pmtud_interval</c> = 30 s; knet's own default is 60 s).</summary>
    public static readonly Duration PmtudInterval = Duration.FromSeconds(Defaults.KnetPmtudIntervalSeconds);

    /// <summary>IP header bytes counted in a PMTUD probe size (IPv4 20; the shell sets 40 for IPv6).</summary>
    public const int IpHeaderSize = 20;

    /// <summary>UDP header bytes (<c>KNET_PMTUD_UDP_OVERHEAD</c>).</summary>
    public const int UdpHeaderSize = 8;

    /// <summary>corosync's token timeout, from which knet timers are derived when only one knet key is set (<c>totem.token</c>).</summary>
    public static readonly Duration Token = Duration.FromMilliseconds(Defaults.TokenMs);
}
