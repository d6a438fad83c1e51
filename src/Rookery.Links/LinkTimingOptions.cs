using System.Globalization;

namespace Rookery.Links;

/// <summary>
/// Failure-detection timers of one link. Two modes: Rookery's fast detection (the default) and
/// knet's own timers, chosen as soon as a user sets <c>knet_ping_interval</c> or <c>knet_ping_timeout</c>.
/// See docs/links.md, "Detection policy".
/// </summary>
public sealed record LinkTimingOptions
{
    /// <summary>Ping period of a healthy link.</summary>
    /// <value>30 ms by default (<c>link_ping_interval</c>); <c>knet_ping_interval</c> when set.</value>
    public Duration PingInterval { get; init; } = LinksDefaults.PingInterval;

    /// <summary>Ping period of a standby link (connected, passive mode, not carrying data); its suspect and down deadlines move by the difference.</summary>
    /// <value>100 ms by default (<c>link_standby_ping_interval</c>); the ping interval in knet mode.</value>
    public Duration StandbyPingInterval { get; init; } = LinksDefaults.StandbyPingInterval;

    /// <summary>No pong for this long (plus twice the smoothed round trip) declares the link down.</summary>
    /// <value>150 ms by default (<c>link_down_timeout</c>); <c>knet_ping_timeout</c> when set.</value>
    public Duration DownTimeout { get; init; } = LinksDefaults.DownTimeout;

    /// <summary>No pong for this long makes the link suspect: probes every <see cref="ProbeInterval"/> and hedged data.</summary>
    /// <value>50 ms by default (<c>link_suspect_timeout</c>); <see cref="Duration.Infinite"/> (off) in knet mode.</value>
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
    public bool FlapDamping { get; init; } = true;

    /// <summary>While this link is the passive link and suspect, data also goes on the next connected link (the receiver dedups).</summary>
    /// <value>On by default (<c>link_hedging</c>); off in knet mode.</value>
    public bool Hedging { get; init; } = true;

    /// <summary>True when these are knet's timers (a <c>knet_ping_*</c> key was set).</summary>
    public bool IsKnetMode { get; init; }

    /// <summary>Rookery's fast detection with its defaults.</summary>
    public static LinkTimingOptions Fast { get; } = new();

    /// <summary>
    /// knet's timers as corosync computes them: interval = token / (pong_count × 2), timeout = token / pong_count
    /// (exec/totemconfig.c <c>totem_calc_knet_ping_timers</c>, integer milliseconds), unless given.
    /// </summary>
    public static LinkTimingOptions Knet(Duration runtimeToken, Duration? interval = null, Duration? timeout = null, int pongCount = LinksDefaults.PongCount) => new()
    {
        PingInterval = interval ?? Duration.FromMilliseconds(runtimeToken.Milliseconds / (pongCount * 2)),
        StandbyPingInterval = interval ?? Duration.FromMilliseconds(runtimeToken.Milliseconds / (pongCount * 2)),
        DownTimeout = timeout ?? Duration.FromMilliseconds(runtimeToken.Milliseconds / pongCount),
        SuspectTimeout = Duration.Infinite,
        ProbeInterval = interval ?? Duration.FromMilliseconds(runtimeToken.Milliseconds / (pongCount * 2)),
        PongCount = pongCount,
        FlapDamping = false,
        Hedging = false,
        IsKnetMode = true,
    };

    /// <summary>Interface-level keys this type reads (the rest belong to others).</summary>
    public static IReadOnlyList<string> Keys { get; } =
    [
        "knet_ping_interval", "knet_ping_timeout", "knet_pong_count", "knet_ping_precision",
        "link_ping_interval", "link_standby_ping_interval", "link_down_timeout", "link_suspect_timeout", "link_probe_interval", "link_flap_damping", "link_hedging",
    ];

    /// <summary>
    /// Builds the timers of one <c>interface</c> section from its raw keys. Every problem is appended to
    /// <paramref name="errors"/> as "key: reason"; the result is only meaningful when none was added.
    /// </summary>
    /// <param name="keys">The section's key/value pairs as written (values in milliseconds, as corosync).</param>
    /// <param name="runtimeToken">corosync's runtime token (token + (nodes − 2) × token_coefficient), for derived knet timers.</param>
    /// <param name="errors">Receives one message per bad key.</param>
    public static LinkTimingOptions FromInterfaceKeys(IReadOnlyDictionary<string, string> keys, Duration runtimeToken, List<string> errors)
    {
        var pongCount = ReadInteger(keys, "knet_pong_count", 1, 255, errors) ?? LinksDefaults.PongCount;
        var precision = ReadInteger(keys, "knet_ping_precision", 1, 1 << 20, errors) ?? LinksDefaults.PingPrecision;
        var knetInterval = ReadMilliseconds(keys, "knet_ping_interval", 1, 3_600_000, errors);
        var knetTimeout = ReadMilliseconds(keys, "knet_ping_timeout", 1, 3_600_000, errors);
        if (knetInterval is not null || knetTimeout is not null)
        {
            return Knet(runtimeToken, knetInterval, knetTimeout, pongCount) with { PingPrecision = precision };
        }

        var pingInterval = ReadMilliseconds(keys, "link_ping_interval", 1, 60_000, errors) ?? LinksDefaults.PingInterval;
        var options = new LinkTimingOptions
        {
            PingInterval = pingInterval,
            StandbyPingInterval = ReadMilliseconds(keys, "link_standby_ping_interval", 1, 60_000, errors) ?? Duration.Max(LinksDefaults.StandbyPingInterval, pingInterval),
            DownTimeout = ReadMilliseconds(keys, "link_down_timeout", 2, 3_600_000, errors) ?? LinksDefaults.DownTimeout,
            SuspectTimeout = ReadMilliseconds(keys, "link_suspect_timeout", 1, 3_600_000, errors) ?? LinksDefaults.SuspectTimeout,
            ProbeInterval = ReadMilliseconds(keys, "link_probe_interval", 1, 60_000, errors) ?? LinksDefaults.ProbeInterval,
            FlapDamping = ReadBoolean(keys, "link_flap_damping", errors) ?? true,
            Hedging = ReadBoolean(keys, "link_hedging", errors) ?? true,
            PongCount = pongCount,
            PingPrecision = precision,
        };
        errors.AddRange(options.Validate());
        return options;
    }

    /// <summary>Checks the relations between the timers; returns every problem found, with key names.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PingInterval <= Duration.Zero || DownTimeout <= Duration.Zero || ProbeInterval <= Duration.Zero)
        {
            errors.Add("link timers must be positive");
        }

        if (PongCount < 1)
        {
            errors.Add("knet_pong_count: must be at least 1");
        }

        if (!IsKnetMode)
        {
            if (DownTimeout < PingInterval * 2)
            {
                errors.Add($"link_down_timeout: {DownTimeout.Milliseconds} ms must be at least twice link_ping_interval ({PingInterval.Milliseconds} ms)");
            }

            if (StandbyPingInterval < PingInterval)
            {
                errors.Add($"link_standby_ping_interval: {StandbyPingInterval.Milliseconds} ms must not be below link_ping_interval ({PingInterval.Milliseconds} ms)");
            }

            if (SuspectTimeout >= DownTimeout)
            {
                errors.Add($"link_suspect_timeout: {SuspectTimeout.Milliseconds} ms must be below link_down_timeout ({DownTimeout.Milliseconds} ms)");
            }

            if (ProbeInterval > PingInterval)
            {
                errors.Add($"link_probe_interval: {ProbeInterval.Milliseconds} ms must not exceed link_ping_interval ({PingInterval.Milliseconds} ms)");
            }
        }

        return errors;
    }

    private static Duration? ReadMilliseconds(IReadOnlyDictionary<string, string> keys, string key, long min, long max, List<string> errors)
    {
        var value = ReadInteger(keys, key, min, max, errors);
        return value is null ? null : Duration.FromMilliseconds(value.Value);
    }

    private static int? ReadInteger(IReadOnlyDictionary<string, string> keys, string key, long min, long max, List<string> errors)
    {
        if (!keys.TryGetValue(key, out var text))
        {
            return null;
        }

        if (!long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add($"{key}: '{text}' is not a whole number in {min}..{max}");
            return null;
        }

        return (int)value;
    }

    private static bool? ReadBoolean(IReadOnlyDictionary<string, string> keys, string key, List<string> errors)
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
