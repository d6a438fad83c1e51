namespace Rookery.Totem;

/// <summary>
/// One Totem message to send. <see cref="To"/> = node id 0 means "every other node of the nodelist"
/// (multicast); otherwise unicast to that node (tokens and commit tokens go to the next node of the
/// ring). The core never addresses itself: it processes its own multicasts internally.
/// </summary>
public readonly record struct TotemDatagram(NodeId To, byte[] Bytes)
{
    public bool IsMulticast => To.Value == 0;
}

/// <summary>
/// Caller-owned outputs of one call into <see cref="TotemSrp"/> (the <see cref="CoreOutput{TDatagram, TEvent}"/>
/// contract): first persist <see cref="RingSequenceToPersist"/> (if set), then send the datagrams, then hand the events
/// (deliveries and configuration changes in extended-virtual-synchrony order) to the layers above. Logs are TOTEM's.
/// </summary>
public sealed class TotemOutput : CoreOutput<TotemDatagram, TotemEvent>
{
    /// <summary>
    /// When set, the shell must store this ring sequence in <c>ringid_&lt;nodeid&gt;</c> (8 bytes,
    /// host order, mode 0600) before sending the datagrams of this call; a failed write is fatal, as
    /// in corosync (exit 21).
    /// </summary>
    public ulong? RingSequenceToPersist { get; set; }

    public override bool IsEmpty => base.IsEmpty && RingSequenceToPersist is null;

    public override void Clear()
    {
        base.Clear();
        RingSequenceToPersist = null;
    }
}

/// <summary>Counters of one Totem instance (a subset of corosync's <c>stats.srp.*</c>).</summary>
public sealed class TotemStats
{
    public long OrfTokenRx { get; internal set; }

    public long OrfTokenTx { get; internal set; }

    public long McastRx { get; internal set; }

    public long McastTx { get; internal set; }

    public long McastRetransmitted { get; internal set; }

    /// <summary>Messages handed up in agreed order (after reassembly: one per totempg message, not per packet).</summary>
    public long MessagesDelivered { get; internal set; }

    public long JoinTx { get; internal set; }

    public long JoinRx { get; internal set; }

    public long CommitTokenTx { get; internal set; }

    public long MergeDetectTx { get; internal set; }

    public long TokenHoldCancelTx { get; internal set; }

    public long DecodeErrors { get; internal set; }

    public long RxMessagesDropped { get; internal set; }

    /// <summary>Merge detects and multicasts of an older ring from a member of mine (late or replayed), ignored.</summary>
    public long RxStaleForeign { get; internal set; }

    public long GatherEntered { get; internal set; }

    public long CommitEntered { get; internal set; }

    public long RecoveryEntered { get; internal set; }

    public long OperationalEntered { get; internal set; }

    public long TokenLost { get; internal set; }

    public long ConsensusTimeouts { get; internal set; }

    public long ContinuousGather { get; internal set; }

    public long LinkSwitchResends { get; internal set; }

    public long FastNodeLossGathers { get; internal set; }
}
