using Rookery.Config;

namespace Rookery.Links;

/// <summary>
/// Failure-detection timers of one link. Two modes: Rookery's fast detection (the default) and
/// knet's own timers, chosen as soon as a user sets <c>knet_ping_interval</c> or <c>knet_ping_timeout</c>.
/// See docs/links.md, "Detection policy".
/// </summary>
public sealed record LinkTimingOptions
{
    /// <summary>Ping period of a healthy link.</summary>
    /// <value>45 ms by default (<c>link_ping_interval</c>, 3/10 of the down timeout); <c>knet_ping_interval</c> when set.</value>
    public Duration PingInterval { get; init; } = LinksDefaults.PingInterval;

    /// <summary>Ping period of a standby link (connected, passive mode, not carrying data); its suspect and down deadlines move by the difference.</summary>
    /// <value>150 ms by default (<c>link_standby_ping_interval</c>; unset, the link's <c>link_down_timeout</c>); the ping interval in knet mode.</value>
    public Duration StandbyPingInterval { get; init; } = LinksDefaults.StandbyPingInterval;

    /// <summary>No pong for this long (plus twice the smoothed round trip) declares the link down.</summary>
    /// <value>150 ms by default (<c>link_down_timeout</c>); <c>knet_ping_timeout</c> when set.</value>
    public Duration DownTimeout { get; init; } = LinksDefaults.DownTimeout;

    /// <summary>No pong for this long makes the link suspect: probes every <see cref="ProbeInterval"/> and hedged data.</summary>
    /// <value>60 ms by default (<c>link_suspect_timeout</c>, 2/5 of the down timeout); <see cref="Duration.Infinite"/> (off) in knet mode.</value>
    public Duration SuspectTimeout { get; init; } = LinksDefaults.SuspectTimeout;

    /// <summary>Probe period while suspect.</summary>
    /// <value>10 ms by default (<c>link_probe_interval</c>).</value>
    public Duration ProbeInterval { get; init; } = LinksDefaults.ProbeInterval;

    /// <summary>The link comes up on the (<c>PongCount</c> + 1)-th timely pong, as knet counts.</summary>
    /// <value>2 by default (<c>knet_pong_count</c>).</value>
    public int PongCount { get; init; } = LinksDefaults.PongCount;

    /// <summary>Latency samples of the running mean reported as <c>latency_ave</c>.</summary>
    /// <value>2048 by default (<c>knet_ping_precision</c>).</value>
    public int PingPrecision { get; init; } = LinksDefaults.PingPrecision;

    /// <summary>Whether repeated downs raise the pongs needed to come back up (×2 per recent down, at most ×8).</summary>
    /// <value>On by default (<c>link_flap_damping</c>); off in knet mode.</value>
    public bool FlapDamping { get; init; } = Defaults.LinkFlapDamping;

    /// <summary>While this link is the passive link and suspect, data also goes on the next connected link (the receiver dedups).</summary>
    /// <value>On by default (<c>link_hedging</c>); off in knet mode.</value>
    public bool Hedging { get; init; } = Defaults.LinkHedging;

    /// <summary>True when these are knet's timers (a <c>knet_ping_*</c> key was set).</summary>
    public bool IsKnetMode { get; init; }

    /// <summary>Rookery's fast detection with its defaults.</summary>
    public static LinkTimingOptions Fast { get; } = From(LinkTimingKeys.Fast);

    /// <summary>
    /// knet's timers as corosync computes them: interval = token / (pong_count × 2), timeout = token / pong_count
    /// (exec/totemconfig.c <c>totem_calc_knet_ping_timers</c>, integer milliseconds), unless given.
    /// </summary>
    public static LinkTimingOptions Knet(Duration runtimeToken, Duration? interval = null, Duration? timeout = null, int pongCount = LinksDefaults.PongCount) =>
        From(LinkTimingKeys.Knet(runtimeToken.Milliseconds, interval?.Milliseconds, timeout?.Milliseconds, pongCount, LinksDefaults.PingPrecision));

    /// <summary>Interface-level keys this type reads (the rest belong to others); parsed by <see cref="LinkTimingKeys"/> in Config.</summary>
    public static IReadOnlyList<string> Keys => LinkTimingKeys.Keys;

    /// <summary>
    /// Builds the timers of one <c>interface</c> section from its raw keys with Config's parser
    /// (<see cref="LinkTimingKeys.Parse"/>). Every problem is appended to <paramref name="errors"/> as "key: reason";
    /// the result is only meaningful when none was added.
    /// </summary>
    /// <param name="keys">The section's key/value pairs as written (values in milliseconds, as corosync).</param>
    /// <param name="runtimeToken">corosync's runtime token (token + (nodes − 2) × token_coefficient), for derived knet timers.</param>
    /// <param name="errors">Receives one message per bad key.</param>
    public static LinkTimingOptions FromInterfaceKeys(IReadOnlyDictionary<string, string> keys, Duration runtimeToken, List<string> errors) =>
        From(LinkTimingKeys.Parse(keys, runtimeToken.Milliseconds, errors));

    /// <summary>The links core's form of Config's timers.</summary>
    public static LinkTimingOptions From(LinkTiming timing)
    {
        ArgumentNullException.ThrowIfNull(timing);
        return new LinkTimingOptions
        {
            PingInterval = Duration.FromMilliseconds(timing.PingIntervalMs),
            StandbyPingInterval = Duration.FromMilliseconds(timing.StandbyPingIntervalMs),
            DownTimeout = Duration.FromMilliseconds(timing.DownTimeoutMs),
            SuspectTimeout = timing.SuspectTimeoutMs is { } suspect ? Duration.FromMilliseconds(suspect) : Duration.Infinite,
            ProbeInterval = Duration.FromMilliseconds(timing.ProbeIntervalMs),
            PongCount = timing.PongCount,
            PingPrecision = timing.PingPrecision,
            FlapDamping = timing.FlapDamping,
            Hedging = timing.Hedging,
            IsKnetMode = timing.IsKnetMode,
        };
    }

    /// <summary>Checks the relations between the timers (<see cref="LinkTimingKeys.Check"/>); returns every problem found, with key names.</summary>
    public IReadOnlyList<string> Validate() => LinkTimingKeys.Check(new LinkTiming(
        IsKnetMode,
        PingInterval.Milliseconds,
        StandbyPingInterval.Milliseconds,
        DownTimeout.Milliseconds,
        SuspectTimeout == Duration.Infinite ? null : SuspectTimeout.Milliseconds,
        ProbeInterval.Milliseconds,
        PongCount,
        PingPrecision,
        FlapDamping,
        Hedging));
}
