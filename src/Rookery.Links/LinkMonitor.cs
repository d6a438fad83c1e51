namespace Rookery.Links;

/// <summary>
/// Liveness, latency and path-MTU state of one link to one peer. Pure bookkeeping: the
/// <see cref="LinkLayer"/> decides when to call it and turns its answers into datagrams and events.
/// </summary>
/// <remarks>
/// Detection (docs/links.md): a healthy link is pinged every <see cref="LinkTimingOptions.PingInterval"/>;
/// when no pong came for <see cref="LinkTimingOptions.SuspectTimeout"/> it is suspect and probed every
/// <see cref="LinkTimingOptions.ProbeInterval"/>; when no pong came for the down timeout plus twice the
/// smoothed round trip it is down. It comes up on the (pong count × flap multiplier + 1)-th timely pong.
/// A <see cref="Standby"/> link (connected, not carrying data in passive mode) is pinged every
/// <see cref="LinkTimingOptions.StandbyPingInterval"/> instead, and its suspect and down deadlines move by the difference.
/// </remarks>
internal sealed class LinkMonitor
{
    private readonly Instant[] _recentDowns = new Instant[LinksLimits.FlapHistoryMax];
    private int _recentDownCount;
    private Instant _pingDueAt;
    private Instant _lastPingAt;
    private bool _hasPinged;
    private long _smoothedRoundTrip = -1;
    private Instant _lastTickAt = Instant.Never;
    private Instant _listeningSince;

    public LinkMonitor(NodeId peer, LinkId link, LinkOptions options, Instant now, int initialMtu)
    {
        Peer = peer;
        Link = link;
        Options = options;
        Enabled = options.Enabled;
        _pingDueAt = now;
        Mtu = initialMtu;
    }

    public NodeId Peer { get; }

    public LinkId Link { get; }

    public LinkOptions Options { get; set; }

    public LinkTimingOptions Timing => Options.Timing;

    public bool Enabled { get; private set; }

    public bool Connected { get; private set; }

    /// <summary>Connected but not selected for data (passive mode): pinged at the slower standby rate.</summary>
    public bool Standby { get; private set; }

    /// <summary>Timely pongs counted toward coming up (knet <c>received_pong</c>).</summary>
    public int ReceivedPongs { get; private set; }

    public Instant LastPongAt { get; private set; }

    public LinkStats Stats { get; } = new();

    /// <summary>Data bytes per fragment this link carries (knet <c>status.mtu</c>).</summary>
    public int Mtu { get; set; }

    /// <summary>Outstanding PMTUD probe size (IP packet bytes), 0 when none.</summary>
    public int PmtudProbeSize { get; set; }

    public Instant PmtudProbeDeadline { get; set; } = Instant.Never;

    public Instant PmtudNextRunAt { get; set; } = Instant.Never;

    public int PmtudGood { get; set; }

    public int PmtudBad { get; set; }

    public int PmtudProbes { get; set; }

    public bool PmtudResent { get; set; }

    /// <summary>The kernel's path MTU from an EMSGSIZE report, probed next; 0 when none.</summary>
    public int PmtudHint { get; set; }

    /// <summary>No pong for this long (plus twice the smoothed round trip, capped) means down.</summary>
    public Duration EffectiveDownTimeout
    {
        get
        {
            var roundTrip = _smoothedRoundTrip < 0 ? Duration.Zero : new Duration(_smoothedRoundTrip);
            return Timing.DownTimeout + Duration.Min(roundTrip * 2, Timing.DownTimeout);
        }
    }

    /// <summary>Period of regular pings: the standby interval while standby, the ping interval otherwise.</summary>
    public Duration PingPeriod => Standby ? Duration.Max(Timing.StandbyPingInterval, Timing.PingInterval) : Timing.PingInterval;

    /// <summary>How much later than an active link's a standby link's suspect and down deadlines fall (its pings are sparser).</summary>
    private Duration StandbySlack => PingPeriod - Timing.PingInterval;

    /// <summary>Pings due within this window are sent with the one that is due, so one wake-up serves them all.</summary>
    public Duration PingCoalescing => Timing.ProbeInterval / 4;

    /// <summary>
    /// How early this link's regular ping goes along with another regular ping of the node (<c>LinkLayer.SendPingsAlong</c>):
    /// half a period on a link that carries data, so the node's links fall into one phase without pinging more often in
    /// the end; one ping interval on a standby link, so it rides on the bursts of the links that carry data.
    /// </summary>
    public Duration RideAlongWindow => Standby ? Timing.PingInterval : PingPeriod / 2;

    /// <summary>
    /// Down when no pong came for the down timeout while this node was listening: silence is counted from the
    /// last pong, or from the end of the last stall of our own loop if later (see <see cref="OnTick"/>).
    /// </summary>
    public Instant DownAt => Connected ? Instant.Max(LastPongAt, _listeningSince) + EffectiveDownTimeout + StandbySlack : Instant.Never;

    /// <summary>
    /// Called on every tick of the layer. A connected link is ticked at least every ping interval; a gap of
    /// more than twice that means our own loop was not scheduled (CPU load, a GC pause): we sent no ping in
    /// that time, so the peer's silence proves nothing, and silence is counted again from now.
    /// </summary>
    public void OnTick(Instant now)
    {
        if (_lastTickAt != Instant.Never && now - _lastTickAt > Timing.PingInterval * 2)
        {
            _listeningSince = now;
        }

        _lastTickAt = now;
    }

    /// <summary>When a partial count of pongs toward "up" is forgotten.</summary>
    public Instant PongCountExpiresAt => !Connected && ReceivedPongs > 0 ? LastPongAt + Timing.DownTimeout : Instant.Never;

    public Instant NextPingAt
    {
        get
        {
            if (!Enabled)
            {
                return Instant.Never;
            }

            if (!_hasPinged)
            {
                return _pingDueAt;
            }

            var regular = _lastPingAt + PingPeriod;
            if (!Connected)
            {
                return regular;
            }

            var suspectFrom = LastPongAt + Timing.SuspectTimeout + StandbySlack;
            var probe = Instant.Max(suspectFrom, _lastPingAt + Timing.ProbeInterval);
            return Instant.Min(regular, probe);
        }
    }

    /// <summary>Connected but silent for the suspect timeout.</summary>
    public bool IsSuspect(Instant now) => Connected && now - LastPongAt >= Timing.SuspectTimeout + StandbySlack;

    /// <summary>
    /// Whether the next regular ping would be early by at most <paramref name="window"/> if sent now (then it is sent now).
    /// Only regular pings are brought forward: a probe time counts from the last pong, which is stale until the pong of
    /// the ping just sent arrives, so bringing probes forward would send a second ping right after the first.
    /// </summary>
    public bool PingDueWithin(Instant now, Duration window) => Enabled && _hasPinged && now + window >= _lastPingAt + PingPeriod;

    /// <summary>
    /// Moves the link between standby and carrying data. A standby link promoted to carry data keeps the down deadline
    /// it had (its last pong may be a standby period old); it is probed at once if its last pong is older than the
    /// suspect timeout, so a dead one is found within the down timeout and a live one answers in a round trip.
    /// </summary>
    public void SetStandby(bool standby)
    {
        if (Standby && !standby)
        {
            _listeningSince = Instant.Max(_listeningSince, LastPongAt + StandbySlack);
        }

        Standby = standby;
    }

    /// <summary>Pongs needed to come up now: knet's pong_count + 1, multiplied while the link flaps.</summary>
    public int PongsToComeUp(Instant now)
    {
        var multiplier = 1;
        if (Timing.FlapDamping)
        {
            var recent = 0;
            for (var index = 0; index < _recentDownCount; index++)
            {
                if (now - _recentDowns[index] < LinksDefaults.FlapWindow)
                {
                    recent++;
                }
            }

            multiplier = recent <= 1 ? 1 : Math.Min(1 << (recent - 1), LinksLimits.FlapMultiplierMax);
        }

        return Timing.PongCount * multiplier + 1;
    }

    public void OnPingSent(Instant now)
    {
        _lastPingAt = now;
        _hasPinged = true;
    }

    /// <summary>Accounts a pong whose echoed timestamp says our ping left at <paramref name="sentAt"/>; false when it is stale.</summary>
    public bool OnPong(Instant now, Instant sentAt)
    {
        var roundTrip = now - sentAt;
        if (roundTrip < Duration.Zero || roundTrip > EffectiveDownTimeout)
        {
            return false;
        }

        LastPongAt = now;
        var sample = roundTrip.Microseconds;
        _smoothedRoundTrip = _smoothedRoundTrip < 0 ? sample : (_smoothedRoundTrip * 7 + sample) / 8;
        var samples = Math.Min(Stats.LatencySamples + 1, Timing.PingPrecision);
        Stats.LatencyAve = (Stats.LatencyAve * (samples - 1) + sample) / samples;
        Stats.LatencySamples = samples;
        Stats.LatencyMin = Stats.LatencyMin == 0 ? sample : Math.Min(Stats.LatencyMin, sample);
        Stats.LatencyMax = Math.Max(Stats.LatencyMax, sample);
        if (!Connected && Enabled)
        {
            ReceivedPongs++;
        }

        return true;
    }

    public void ForgetPongCount() => ReceivedPongs = 0;

    public void MarkUp(Instant now)
    {
        Connected = true;
        ReceivedPongs = 0;
        LastPongAt = Instant.Max(LastPongAt, now);
        Stats.UpCount++;
    }

    public void MarkDown(Instant now)
    {
        Connected = false;
        Standby = false;
        ReceivedPongs = 0;
        Stats.DownCount++;
        _recentDowns[_recentDownCount < _recentDowns.Length ? _recentDownCount++ : OldestDown()] = now;
        PmtudProbeSize = 0;
        PmtudProbeDeadline = Instant.Never;
        PmtudNextRunAt = Instant.Never;
    }

    public void SetEnabled(bool enabled, Instant now)
    {
        Enabled = enabled;
        ReceivedPongs = 0;
        _hasPinged = false;
        _pingDueAt = now;
    }

    private int OldestDown()
    {
        var oldest = 0;
        for (var index = 1; index < _recentDowns.Length; index++)
        {
            if (_recentDowns[index] < _recentDowns[oldest])
            {
                oldest = index;
            }
        }

        return oldest;
    }
}
