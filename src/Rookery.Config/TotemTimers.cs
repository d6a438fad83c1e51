namespace Rookery.Config;

/// <summary>
/// The timers Totem runs with: the one place corosync's derived timers are computed (the daemon through
/// <see cref="Derive"/>, tests and the simulator through <see cref="Compute"/>), in corosync's order and
/// with its arithmetic (corosync: <c>exec/totemconfig.c</c> <c>totem_volatile_config_read</c>, C doubles
/// truncated to int):
/// <list type="number">
/// <item>effective token = token + (N − 2) × token_coefficient when N &gt; 2, N = nodes with a ring0_addr;</item>
/// <item>token_retransmit = (int)(token / (token_retransmits_before_loss_const + 0.2));</item>
/// <item>hold = (int)(token_retransmit × 0.8 − 1000/HZ), HZ = 100;</item>
/// <item>consensus = (int)(float)(1.2 × token);</item>
/// </list>
/// each unless set explicitly (a 0 counts as unset, as in corosync); every other timer is its key's value or
/// its default in <see cref="Defaults"/>. With defaults: 3000, 714, 561, 3600 ms for two nodes; 3650, 869, 685,
/// 4380 ms for three (what <c>corosync-cmapctl runtime.config.totem</c> shows).
/// </summary>
public readonly record struct TotemTimers
{
    /// <summary>Floor of every timeout (corosync: <c>MINIMUM_TIMEOUT</c> = 3 × 1000/HZ).</summary>
    public const uint TimeoutMinMs = 30;

    /// <summary>Floor of the hold timeout (corosync: <c>MINIMUM_TIMEOUT_HOLD</c> = 30 × 0.8 − 10).</summary>
    public const uint HoldMinMs = 14;

    /// <summary>Nodes with a ring0 address, used for the token scaling.</summary>
    public int NodeCount { get; init; }

    /// <summary>The configured base token (before scaling), ms.</summary>
    public uint BaseTokenMs { get; init; }

    public uint TokenMs { get; init; }

    public uint TokenRetransmitMs { get; init; }

    public uint HoldMs { get; init; }

    public uint ConsensusMs { get; init; }

    public uint JoinMs { get; init; }

    public uint SendJoinMs { get; init; }

    public uint MergeMs { get; init; }

    public uint DowncheckMs { get; init; }

    public uint MaxNetworkDelayMs { get; init; }

    public uint TokenWarningPercent { get; init; }

    public uint TokenRetransmitsBeforeLossConst { get; init; }

    public uint FailRecvConst { get; init; }

    public uint SeqnoUnchangedConst { get; init; }

    public uint HeartbeatFailuresAllowed { get; init; }

    public uint WindowSize { get; init; }

    public uint MaxMessages { get; init; }

    public uint MissCountConst { get; init; }

    public Duration Token => Duration.FromMilliseconds(TokenMs);

    public Duration TokenRetransmit => Duration.FromMilliseconds(TokenRetransmitMs);

    public Duration Hold => Duration.FromMilliseconds(HoldMs);

    public Duration Consensus => Duration.FromMilliseconds(ConsensusMs);

    public Duration Join => Duration.FromMilliseconds(JoinMs);

    public Duration Merge => Duration.FromMilliseconds(MergeMs);

    /// <summary>Effective token for a ring of <paramref name="nodeCount"/> nodes: token + (N − 2) × coefficient when N &gt; 2.</summary>
    public static uint EffectiveToken(uint tokenMs, uint coefficientMs, int nodeCount) =>
        nodeCount > 2 ? (uint)Math.Min(uint.MaxValue, tokenMs + ((ulong)(nodeCount - 2) * coefficientMs)) : tokenMs;

    /// <summary>The timers of <paramref name="totem"/> for a nodelist of <paramref name="nodeCount"/> nodes with a ring0_addr.</summary>
    public static TotemTimers Derive(TotemConfig totem, int nodeCount) =>
        Compute(nodeCount, totem.Token, totem.TokenCoefficient, totem.TokenRetransmitsBeforeLossConst, totem.TokenRetransmit, totem.Hold, totem.Consensus) with
        {
            JoinMs = totem.Join,
            SendJoinMs = totem.SendJoin,
            MergeMs = totem.Merge,
            DowncheckMs = totem.Downcheck,
            MaxNetworkDelayMs = totem.MaxNetworkDelay,
            TokenWarningPercent = totem.TokenWarning,
            FailRecvConst = totem.FailRecvConst,
            SeqnoUnchangedConst = totem.SeqnoUnchangedConst,
            HeartbeatFailuresAllowed = totem.HeartbeatFailuresAllowed,
            WindowSize = totem.WindowSize,
            MaxMessages = totem.MaxMessages,
            MissCountConst = totem.MissCountConst,
        };

    /// <summary>
    /// The derived timers from the token keys (null = unset) and every other timer at its default: what a
    /// corosync.conf with only these keys gives.
    /// </summary>
    public static TotemTimers Compute(
        int nodeCount,
        uint tokenMs = Defaults.TokenMs,
        uint tokenCoefficientMs = Defaults.TokenCoefficientMs,
        uint retransmitsBeforeLoss = Defaults.TokenRetransmitsBeforeLossConst,
        uint? tokenRetransmitMs = null,
        uint? holdMs = null,
        uint? consensusMs = null)
    {
        var token = EffectiveToken(tokenMs, tokenCoefficientMs, nodeCount);
        var retransmit = tokenRetransmitMs ?? TokenRetransmitFor(token, retransmitsBeforeLoss);
        return new TotemTimers
        {
            NodeCount = nodeCount,
            BaseTokenMs = tokenMs,
            TokenMs = token,
            TokenRetransmitMs = retransmit,
            HoldMs = holdMs ?? HoldFor(retransmit),
            ConsensusMs = consensusMs ?? ConsensusFor(token),
            JoinMs = Defaults.JoinMs,
            SendJoinMs = Defaults.SendJoinMs,
            MergeMs = Defaults.MergeMs,
            DowncheckMs = Defaults.DowncheckMs,
            MaxNetworkDelayMs = Defaults.MaxNetworkDelayMs,
            TokenWarningPercent = Defaults.TokenWarningPercent,
            TokenRetransmitsBeforeLossConst = retransmitsBeforeLoss,
            FailRecvConst = Defaults.FailRecvConst,
            SeqnoUnchangedConst = Defaults.SeqnoUnchangedConst,
            HeartbeatFailuresAllowed = Defaults.HeartbeatFailuresAllowed,
            WindowSize = Defaults.WindowSize,
            MaxMessages = Defaults.MaxMessages,
            MissCountConst = Defaults.MissCountConst,
        };
    }

    /// <summary>corosync: <c>(int)(token / (token_retransmits_before_loss_const + 0.2))</c>.</summary>
    public static uint TokenRetransmitFor(uint tokenMs, uint retransmitsBeforeLoss) => (uint)(tokenMs / (retransmitsBeforeLoss + 0.2));

    /// <summary>corosync: <c>(int)(token_retransmit × 0.8 − 1000/HZ)</c> (0 where that is negative; the floor check refuses it).</summary>
    public static uint HoldFor(uint tokenRetransmitMs) => (uint)Math.Max(0, (int)((tokenRetransmitMs * 0.8) - 10));

    /// <summary>corosync: <c>(int)(float)(1.2 × token)</c>.</summary>
    public static uint ConsensusFor(uint tokenMs) => (uint)(float)(1.2 * tokenMs);
}

/// <summary>
/// The effective settings of one link (corosync: <c>get_interface_params</c>,
/// <c>totem_calc_knet_ping_timers</c>): priority with 0 treated as 1, ping timeout =
/// effective token / pong_count and ping interval = effective token / (2 × pong_count) unless set.
/// </summary>
public sealed record LinkSettings(
    LinkId Link,
    byte Priority,
    uint PingIntervalMs,
    uint PingTimeoutMs,
    uint PingPrecision,
    uint PongCount,
    string Transport,
    ushort McastPort,
    KeyValues Keys)
{
    public Duration PingInterval => Duration.FromMilliseconds(PingIntervalMs);

    public Duration PingTimeout => Duration.FromMilliseconds(PingTimeoutMs);

    public static LinkSettings Derive(LinkId link, InterfaceConfig? face, TotemTimers timers)
    {
        var pongCount = face?.PongCount ?? Defaults.KnetPongCount;
        return new LinkSettings(
            link,
            face?.EffectivePriority ?? Defaults.KnetLinkPriority,
            face?.PingInterval ?? (uint)(timers.TokenMs / (2UL * pongCount)),
            face?.PingTimeout ?? (timers.TokenMs / pongCount),
            face?.PingPrecision ?? Defaults.KnetPingPrecision,
            pongCount,
            face?.Transport ?? Defaults.KnetTransport,
            face?.McastPort ?? (ushort)LinkPorts.For(link),
            face?.Keys ?? KeyValues.Empty);
    }

    public bool Equals(LinkSettings? other) =>
        other is not null && Link == other.Link && Priority == other.Priority && PingIntervalMs == other.PingIntervalMs
        && PingTimeoutMs == other.PingTimeoutMs && PingPrecision == other.PingPrecision && PongCount == other.PongCount
        && Transport == other.Transport && McastPort == other.McastPort && Keys.Equals(other.Keys);

    public override int GetHashCode() => HashCode.Combine(Link, Priority, PingIntervalMs, PingTimeoutMs, McastPort);
}
