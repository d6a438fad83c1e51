using Rookery.Config;

namespace Rookery.Totem;

/// <summary>
/// Effective Totem settings handed to <see cref="TotemSrp"/>. Timers are effective values: corosync's
/// formulas (<c>exec/totemconfig.c</c>) are applied in one place, <see cref="TotemTimers"/>, whose result
/// <see cref="From"/> takes (the daemon) and <see cref="Compute"/> asks for (tests, the simulator).
/// </summary>
public sealed record TotemOptions
{
    /// <summary>Token timeout actually used (corosync: <c>runtime.config.totem.token</c>).</summary>
    /// <value>3000 ms (2 nodes) by default (corosync: <c>totem.token</c> + coefficient).</value>
    public Duration Token { get; init; } = TotemDefaults.Token;

    /// <summary>Resend interval of the last token (corosync: <c>totem.token_retransmit</c>).</summary>
    public Duration TokenRetransmit { get; init; } = TotemDefaults.TokenRetransmitFor(TotemDefaults.Token, TotemDefaults.TokenRetransmitsBeforeLoss);

    /// <summary>How long the representative holds an idle token (corosync: <c>totem.hold</c>).</summary>
    public Duration Hold { get; init; } = TotemDefaults.HoldFor(TotemDefaults.TokenRetransmitFor(TotemDefaults.Token, TotemDefaults.TokenRetransmitsBeforeLoss));

    /// <summary>"Token has not been received" warning after this percentage of <see cref="Token"/>; 0 disables (corosync: <c>totem.token_warning</c>).</summary>
    public int TokenWarningPercent { get; init; } = TotemDefaults.TokenWarningPercent;

    /// <summary>JOIN resend interval in GATHER (corosync: <c>totem.join</c>).</summary>
    public Duration Join { get; init; } = TotemDefaults.Join;

    /// <summary>Upper bound of a random delay before each JOIN is sent; zero sends at once (corosync: <c>totem.send_join</c>).</summary>
    public Duration SendJoin { get; init; } = TotemDefaults.SendJoin;

    /// <summary>Time to reach consensus in GATHER (corosync: <c>totem.consensus</c>, 1.2 × token).</summary>
    public Duration Consensus { get; init; } = TotemDefaults.ConsensusFor(TotemDefaults.Token);

    /// <summary>Merge-detect interval of an idle representative (corosync: <c>totem.merge</c>).</summary>
    public Duration Merge { get; init; } = TotemDefaults.Merge;

    /// <summary>Token rotations with an unchanged aru before FAILED TO RECEIVE (corosync: <c>totem.fail_recv_const</c>).</summary>
    public int FailReceiveConst { get; init; } = TotemDefaults.FailReceiveConst;

    /// <summary>Rotations without new messages before the representative holds the token (corosync: <c>totem.seqno_unchanged_const</c>).</summary>
    public int SeqnoUnchangedConst { get; init; } = TotemDefaults.SeqnoUnchangedConst;

    /// <summary>Messages the whole ring may send per rotation (corosync: <c>totem.window_size</c>).</summary>
    public int WindowSize { get; init; } = TotemDefaults.WindowSize;

    /// <summary>Messages one node may send per token visit (corosync: <c>totem.max_messages</c>).</summary>
    public int MaxMessages { get; init; } = TotemDefaults.MaxMessages;

    /// <summary>Token visits a gap must persist before it is requested (corosync: <c>totem.miss_count_const</c>).</summary>
    public int MissCountConst { get; init; } = TotemDefaults.MissCountConst;

    /// <summary>Never hold the token while retransmissions are pending (corosync: <c>totem.cancel_token_hold_on_retransmit</c>).</summary>
    public bool CancelTokenHoldOnRetransmit { get; init; }

    /// <summary>
    /// corosync's <c>waiting_trans_ack</c>: after each new ring, only what is submitted from then on (the
    /// services' sync messages) is sent until the layer above calls <see cref="TotemSrp.TransAck"/> (its
    /// sync completed); what was queued before waits, so every member has activated the new configuration
    /// before it delivers them. False: no wait (a Totem-only user without a sync).
    /// </summary>
    /// <value>true by default (corosync always waits).</value>
    public bool WaitForTransAck { get; init; } = true;

    /// <summary>Largest packet the transport carries (corosync: <c>totem.netmtu</c>; knet: 65536).</summary>
    public int NetMtu { get; init; } = TotemDefaults.NetMtu;

    /// <summary>
    /// Beyond corosync: when the link layer reports a member unreachable on every link, start the
    /// membership change at once instead of waiting for token + consensus timeouts.
    /// </summary>
    /// <value>true by default (Rookery only; false behaves as corosync).</value>
    public bool FastNodeLoss { get; init; } = true;

    /// <summary>
    /// Beyond corosync: how long a member must stay unreachable on every link before <see cref="FastNodeLoss"/>
    /// fails it. A peer whose process was not scheduled for a few hundred ms (CPU load, a GC pause) answers no
    /// ping for that long and its links go down, then up again as soon as it runs: that must not cost a
    /// membership change.
    /// </summary>
    public Duration FastNodeLossDelay { get; init; } = TotemDefaults.FastNodeLossDelay;

    /// <summary>
    /// Beyond corosync: after the link layer switched a peer to another link, re-send the last token and
    /// the messages not yet acknowledged by the token's aru to that peer at once.
    /// </summary>
    /// <value>true by default (Rookery only).</value>
    public bool ResendOnLinkSwitch { get; init; } = true;

    /// <summary>Largest totempg packet (MCAST payload): <see cref="NetMtu"/> − 2 × 45 (room for encapsulation).</summary>
    public int PacketSizeMax => Math.Min(NetMtu - (2 * Rookery.Wire.Totem.Mcast.HeaderSize), ushort.MaxValue);

    /// <summary>Pending-packet queue size (corosync <c>MESSAGE_QUEUE_MAX</c> = 4 × 1 MiB / net_mtu).</summary>
    public int MessageQueueMax => Math.Max(16, 4 * TotemLimits.MessageSizeMax / NetMtu);

    /// <summary>The options for derived timers (<see cref="TotemTimers.Derive"/> of a corosync.conf, or <see cref="TotemTimers.Compute"/>).</summary>
    public static TotemOptions From(TotemTimers timers, bool cancelTokenHoldOnRetransmit = Defaults.CancelTokenHoldOnRetransmit) => new()
    {
        Token = timers.Token,
        TokenRetransmit = timers.TokenRetransmit,
        Hold = timers.Hold,
        TokenWarningPercent = (int)timers.TokenWarningPercent,
        Join = timers.Join,
        SendJoin = Duration.FromMilliseconds(timers.SendJoinMs),
        Consensus = timers.Consensus,
        Merge = timers.Merge,
        FailReceiveConst = (int)timers.FailRecvConst,
        SeqnoUnchangedConst = (int)timers.SeqnoUnchangedConst,
        WindowSize = (int)timers.WindowSize,
        MaxMessages = (int)timers.MaxMessages,
        MissCountConst = (int)timers.MissCountConst,
        CancelTokenHoldOnRetransmit = cancelTokenHoldOnRetransmit,
    };

    /// <summary>
    /// The options of a corosync.conf that sets only these token keys (null = unset), for a nodelist of
    /// <paramref name="nodeCount"/> nodes: <see cref="TotemTimers.Compute"/> applies corosync's formulas.
    /// </summary>
    /// <param name="nodeCount">Nodes in the nodelist with a <c>ring0_addr</c>.</param>
    /// <param name="token">totem.token (3000 ms when null).</param>
    /// <param name="tokenCoefficient">totem.token_coefficient (650 ms when null).</param>
    /// <param name="retransmitsBeforeLoss">totem.token_retransmits_before_loss_const.</param>
    /// <param name="tokenRetransmit">totem.token_retransmit, when set explicitly.</param>
    /// <param name="hold">totem.hold, when set explicitly.</param>
    /// <param name="consensus">totem.consensus, when set explicitly.</param>
    public static TotemOptions Compute(
        int nodeCount,
        Duration? token = null,
        Duration? tokenCoefficient = null,
        int retransmitsBeforeLoss = TotemDefaults.TokenRetransmitsBeforeLoss,
        Duration? tokenRetransmit = null,
        Duration? hold = null,
        Duration? consensus = null) =>
        From(TotemTimers.Compute(
            nodeCount,
            Milliseconds(token ?? TotemDefaults.Token),
            Milliseconds(tokenCoefficient ?? TotemDefaults.TokenCoefficient),
            (uint)retransmitsBeforeLoss,
            tokenRetransmit is { } r ? Milliseconds(r) : null,
            hold is { } h ? Milliseconds(h) : null,
            consensus is { } c ? Milliseconds(c) : null));

    private static uint Milliseconds(Duration value) => (uint)Math.Clamp(value.Milliseconds, 0, uint.MaxValue);

    /// <summary>Every problem at once, worded as corosync words them.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Floor(string name, Duration value, Duration min)
        {
            if (value < min)
            {
                errors.Add($"The {name} parameter ({value.Milliseconds} ms) may not be less than ({min.Milliseconds} ms).");
            }
        }

        Floor("token timeout", Token, TotemLimits.TimeoutMin);
        Floor("token retransmit timeout", TokenRetransmit, TotemLimits.TimeoutMin);
        Floor("join timeout", Join, TotemLimits.TimeoutMin);
        Floor("consensus timeout", Consensus, TotemLimits.TimeoutMin);
        Floor("merge timeout", Merge, TotemLimits.TimeoutMin);
        if (SendJoin < Duration.Zero)
        {
            errors.Add($"The send_join parameter ({SendJoin.Milliseconds} ms) may not be negative.");
        }
        Floor("hold timeout", Hold, TotemLimits.HoldMin);
        if (Consensus < Join)
        {
            errors.Add($"The consensus timeout parameter ({Consensus.Milliseconds} ms) may not be less than join timeout ({Join.Milliseconds} ms).");
        }

        if (TokenWarningPercent is < 0 or > 100)
        {
            errors.Add($"The token warning parameter ({TokenWarningPercent}%) must be between 0 (disabled) and 100.");
        }

        if (WindowSize < 1 || MaxMessages < 1 || MaxMessages > WindowSize || WindowSize > TotemLimits.WindowSizeMax)
        {
            errors.Add($"window_size ({WindowSize}) and max_messages ({MaxMessages}) must satisfy 1 <= max_messages <= window_size <= {TotemLimits.WindowSizeMax}.");
        }

        if (NetMtu < TotemLimits.NetMtuMin || NetMtu > TotemLimits.NetMtuMax)
        {
            errors.Add($"netmtu ({NetMtu}) must be in {TotemLimits.NetMtuMin}..{TotemLimits.NetMtuMax}.");
        }

        if (FailReceiveConst < 1 || SeqnoUnchangedConst < 1 || MissCountConst < 1)
        {
            errors.Add("fail_recv_const, seqno_unchanged_const and miss_count_const must be at least 1.");
        }

        return errors;
    }
}

/// <summary>
/// Totem's defaults, as the core's types: every value is <see cref="Defaults"/>' (Rookery.Config, the one place
/// of every default with its corosync key) and every formula <see cref="TotemTimers"/>'.
/// </summary>
public static class TotemDefaults
{
    public const int TokenRetransmitsBeforeLoss = (int)Defaults.TokenRetransmitsBeforeLossConst;
    public const int TokenWarningPercent = (int)Defaults.TokenWarningPercent;
    public const int FailReceiveConst = (int)Defaults.FailRecvConst;
    public const int SeqnoUnchangedConst = (int)Defaults.SeqnoUnchangedConst;
    public const int WindowSize = (int)Defaults.WindowSize;
    public const int MaxMessages = (int)Defaults.MaxMessages;
    public const int MissCountConst = (int)Defaults.MissCountConst;
    public const int NetMtu = (int)Defaults.NetMtuKnet;

    public static Duration Token => Duration.FromMilliseconds(Defaults.TokenMs);

    public static Duration TokenCoefficient => Duration.FromMilliseconds(Defaults.TokenCoefficientMs);

    public static Duration Join => Duration.FromMilliseconds(Defaults.JoinMs);

    public static Duration Merge => Duration.FromMilliseconds(Defaults.MergeMs);

    public static Duration SendJoin => Duration.FromMilliseconds(Defaults.SendJoinMs);

    /// <summary>Unreachable time before a fast node loss (Rookery only; corosync waits token + consensus).</summary>
    public static Duration FastNodeLossDelay => Duration.FromMilliseconds(Defaults.FastNodeLossDelayMs);

    /// <summary><see cref="TotemTimers.TokenRetransmitFor"/> in the core's types.</summary>
    public static Duration TokenRetransmitFor(Duration token, int retransmitsBeforeLoss) =>
        Duration.FromMilliseconds(TotemTimers.TokenRetransmitFor((uint)token.Milliseconds, (uint)retransmitsBeforeLoss));

    /// <summary><see cref="TotemTimers.HoldFor"/> in the core's types.</summary>
    public static Duration HoldFor(Duration tokenRetransmit) => Duration.FromMilliseconds(TotemTimers.HoldFor((uint)tokenRetransmit.Milliseconds));

    /// <summary><see cref="TotemTimers.ConsensusFor"/> in the core's types.</summary>
    public static Duration ConsensusFor(Duration token) => Duration.FromMilliseconds(TotemTimers.ConsensusFor((uint)token.Milliseconds));
}

/// <summary>Hard bounds of the Totem core.</summary>
public static class TotemLimits
{
    /// <summary>Largest application message (corosync <c>MESSAGE_SIZE_MAX</c> = 1 MiB).</summary>
    public const int MessageSizeMax = 1024 * 1024;

    /// <summary>Slots of a sort queue (corosync <c>QUEUE_RTR_ITEMS_SIZE_MAX</c>).</summary>
    public const int SortQueueSize = 16384;

    public const int WindowSizeMax = 1000;
    public const int NetMtuMin = 576;
    public const int NetMtuMax = 65536;

    /// <summary>corosync MINIMUM_TIMEOUT = 3 × (1000/HZ) (<see cref="TotemTimers.TimeoutMinMs"/>).</summary>
    public static Duration TimeoutMin => Duration.FromMilliseconds(TotemTimers.TimeoutMinMs);

    /// <summary>corosync MINIMUM_TIMEOUT_HOLD = (int)(30 × 0.8 − 10) (<see cref="TotemTimers.HoldMinMs"/>).</summary>
    public static Duration HoldMin => Duration.FromMilliseconds(TotemTimers.HoldMinMs);
}
