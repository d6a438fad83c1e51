using System.Globalization;

namespace Rookery.Config;

/// <summary>
/// The failure-detection timers of one link, in milliseconds, as its <c>interface</c> section sets them. Two modes:
/// Rookery's fast detection (the default, keys <c>link_*</c>) and knet's own timers, chosen as soon as a
/// <c>knet_ping_interval</c> or <c>knet_ping_timeout</c> is set (docs/links.md, "Detection policy").
/// </summary>
/// <param name="IsKnetMode">knet's timers (a <c>knet_ping_*</c> key is set): no suspect state, no hedging, no flap damping.</param>
/// <param name="PingIntervalMs">Ping period of a healthy link.</param>
/// <param name="StandbyPingIntervalMs">Ping period of a standby link (connected, passive mode, not carrying data).</param>
/// <param name="DownTimeoutMs">No pong for this long declares the link down.</param>
/// <param name="SuspectTimeoutMs">No pong for this long makes the link suspect; null = never (knet mode).</param>
/// <param name="ProbeIntervalMs">Probe period while suspect.</param>
/// <param name="PongCount">The link comes up on the (PongCount + 1)-th timely pong.</param>
/// <param name="PingPrecision">Latency samples of the running mean.</param>
/// <param name="FlapDamping">Repeated downs raise the pongs needed to come back up.</param>
/// <param name="Hedging">While the passive link is suspect, data also goes on the next link.</param>
public sealed record LinkTiming(
    bool IsKnetMode,
    long PingIntervalMs,
    long StandbyPingIntervalMs,
    long DownTimeoutMs,
    long? SuspectTimeoutMs,
    long ProbeIntervalMs,
    int PongCount,
    int PingPrecision,
    bool FlapDamping,
    bool Hedging);

/// <summary>
/// Reads and checks the per-link timer keys, Rookery's (<c>link_*</c>, defaults in <see cref="Defaults"/>) and knet's
/// (<c>knet_ping_*</c>, <c>knet_pong_count</c>, <c>knet_ping_precision</c>). The one parser of these keys:
/// <c>rookery config check</c> (<see cref="ConfigValidator"/>), the daemon's links and its reload all use it.
/// </summary>
public static class LinkTimingKeys
{
    /// <summary>Largest value of a ping or probe interval, ms (a minute).</summary>
    public const long IntervalMaxMs = 60_000;

    /// <summary>Largest value of a timeout, ms (an hour).</summary>
    public const long TimeoutMaxMs = 3_600_000;

    /// <summary>Largest <c>knet_ping_precision</c> (samples).</summary>
    public const long PingPrecisionMax = 1 << 20;

    /// <summary>Interface-level keys this type reads (the rest belong to others).</summary>
    public static IReadOnlyList<string> Keys { get; } =
    [
        "knet_ping_interval", "knet_ping_timeout", "knet_pong_count", "knet_ping_precision",
        "link_ping_interval", "link_standby_ping_interval", "link_down_timeout", "link_suspect_timeout", "link_probe_interval", "link_flap_damping", "link_hedging",
    ];

    /// <summary>Values accepted by the two switches (<c>link_flap_damping</c>, <c>link_hedging</c>).</summary>
    public static IReadOnlyList<string> SwitchValues { get; } = ["yes", "no", "on", "off", "1", "0"];

    /// <summary>Rookery's fast detection with every default.</summary>
    public static LinkTiming Fast { get; } = new(
        IsKnetMode: false,
        Defaults.LinkPingIntervalMs,
        Defaults.LinkStandbyPingIntervalMs,
        Defaults.LinkDownTimeoutMs,
        Defaults.LinkSuspectTimeoutMs,
        Defaults.LinkProbeIntervalMs,
        (int)Defaults.KnetPongCount,
        (int)Defaults.KnetPingPrecision,
        Defaults.LinkFlapDamping,
        Defaults.LinkHedging);

    /// <summary>
    /// knet's timers as corosync computes them: interval = token / (pong_count × 2), timeout = token / pong_count
    /// (exec/totemconfig.c <c>totem_calc_knet_ping_timers</c>, integer milliseconds), unless given.
    /// </summary>
    public static LinkTiming Knet(long runtimeTokenMs, long? intervalMs, long? timeoutMs, int pongCount, int pingPrecision)
    {
        var interval = intervalMs ?? (runtimeTokenMs / (pongCount * 2));
        return new LinkTiming(
            IsKnetMode: true,
            interval,
            interval,
            timeoutMs ?? (runtimeTokenMs / pongCount),
            SuspectTimeoutMs: null,
            interval,
            pongCount,
            pingPrecision,
            FlapDamping: false,
            Hedging: false);
    }

    /// <summary>
    /// The timers of one <c>interface</c> section from its keys. Every problem is appended to <paramref name="errors"/>
    /// as "key: reason"; the result is only meaningful when none was added.
    /// </summary>
    /// <param name="keys">The section's keys as written (values in milliseconds, as corosync).</param>
    /// <param name="runtimeTokenMs">corosync's runtime token (token + (nodes − 2) × token_coefficient), for derived knet timers.</param>
    /// <param name="errors">Receives one message per bad key or bad relation between keys.</param>
    public static LinkTiming Parse(IReadOnlyDictionary<string, string> keys, long runtimeTokenMs, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(errors);
        // corosync reads 0 in knet's interval, timeout and pong count as "not set" (computed or default).
        var pongCount = (int?)ReadInteger(keys, "knet_pong_count", 1, byte.MaxValue, errors, zeroIsUnset: true) ?? (int)Defaults.KnetPongCount;
        var precision = (int?)ReadInteger(keys, "knet_ping_precision", 1, PingPrecisionMax, errors) ?? (int)Defaults.KnetPingPrecision;
        var knetInterval = ReadInteger(keys, "knet_ping_interval", 1, TimeoutMaxMs, errors, zeroIsUnset: true);
        var knetTimeout = ReadInteger(keys, "knet_ping_timeout", 1, TimeoutMaxMs, errors, zeroIsUnset: true);
        if (knetInterval is not null || knetTimeout is not null)
        {
            return Knet(runtimeTokenMs, knetInterval, knetTimeout, pongCount, precision);
        }

        var pingInterval = ReadInteger(keys, "link_ping_interval", 1, IntervalMaxMs, errors) ?? Defaults.LinkPingIntervalMs;
        var downTimeout = ReadInteger(keys, "link_down_timeout", 2, TimeoutMaxMs, errors) ?? Defaults.LinkDownTimeoutMs;
        var timing = new LinkTiming(
            IsKnetMode: false,
            pingInterval,
            ReadInteger(keys, "link_standby_ping_interval", 1, IntervalMaxMs, errors) ?? StandbyPingIntervalFor(pingInterval, downTimeout),
            downTimeout,
            ReadInteger(keys, "link_suspect_timeout", 1, TimeoutMaxMs, errors) ?? Defaults.LinkSuspectTimeoutMs,
            ReadInteger(keys, "link_probe_interval", 1, IntervalMaxMs, errors) ?? Defaults.LinkProbeIntervalMs,
            pongCount,
            precision,
            ReadSwitch(keys, "link_flap_damping", errors) ?? Defaults.LinkFlapDamping,
            ReadSwitch(keys, "link_hedging", errors) ?? Defaults.LinkHedging);
        errors.AddRange(Check(timing));
        return timing;
    }

    /// <summary>
    /// <c>link_standby_ping_interval</c> when unset: one ping per <c>link_down_timeout</c> (<see cref="Defaults.LinkStandbyPingIntervalMs"/>),
    /// never below <c>link_ping_interval</c> and never above the interval key's own bound.
    /// </summary>
    public static long StandbyPingIntervalFor(long pingIntervalMs, long downTimeoutMs) =>
        Math.Min(IntervalMaxMs, Math.Max(pingIntervalMs, downTimeoutMs * Defaults.LinkStandbyPingIntervalMs / Defaults.LinkDownTimeoutMs));

    /// <summary>Checks the relations between the timers; returns every problem found, each starting with its key.</summary>
    public static IReadOnlyList<string> Check(LinkTiming timing)
    {
        ArgumentNullException.ThrowIfNull(timing);
        var errors = new List<string>();
        if (timing.PingIntervalMs <= 0 || timing.DownTimeoutMs <= 0 || timing.ProbeIntervalMs <= 0)
        {
            errors.Add("link timers must be positive");
        }

        if (timing.PongCount < 1)
        {
            errors.Add("knet_pong_count: must be at least 1");
        }

        if (!timing.IsKnetMode)
        {
            if (timing.DownTimeoutMs < timing.PingIntervalMs * 2)
            {
                errors.Add($"link_down_timeout: {timing.DownTimeoutMs} ms must be at least twice link_ping_interval ({timing.PingIntervalMs} ms)");
            }

            if (timing.StandbyPingIntervalMs < timing.PingIntervalMs)
            {
                errors.Add($"link_standby_ping_interval: {timing.StandbyPingIntervalMs} ms must not be below link_ping_interval ({timing.PingIntervalMs} ms)");
            }

            if (timing.SuspectTimeoutMs >= timing.DownTimeoutMs)
            {
                errors.Add($"link_suspect_timeout: {timing.SuspectTimeoutMs} ms must be below link_down_timeout ({timing.DownTimeoutMs} ms)");
            }

            if (timing.ProbeIntervalMs > timing.PingIntervalMs)
            {
                errors.Add($"link_probe_interval: {timing.ProbeIntervalMs} ms must not exceed link_ping_interval ({timing.PingIntervalMs} ms)");
            }
        }

        return errors;
    }

    private static long? ReadInteger(IReadOnlyDictionary<string, string> keys, string key, long min, long max, List<string> errors, bool zeroIsUnset = false)
    {
        if (!keys.TryGetValue(key, out var text) || (zeroIsUnset && text.Trim() == "0"))
        {
            return null;
        }

        if (!long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add($"{key}: '{text}' is not a whole number in {min}..{max}");
            return null;
        }

        return value;
    }

    private static bool? ReadSwitch(IReadOnlyDictionary<string, string> keys, string key, List<string> errors)
    {
        if (!keys.TryGetValue(key, out var text))
        {
            return null;
        }

        switch (text.Trim())
        {
            case "yes" or "on" or "1":
                return true;
            case "no" or "off" or "0":
                return false;
            default:
                errors.Add($"{key}: '{text}' must be yes or no");
                return null;
        }
    }
}
