using System.Globalization;
using Rookery.Wire.Totem;

namespace Rookery.Totem;

/// <summary>Totem membership states (corosync <c>enum memb_state</c>).</summary>
public enum MembershipState
{
    Operational = 1,
    Gather = 2,
    Commit = 3,
    Recovery = 4,
}

/// <summary>
/// The Totem Single Ring Protocol for one node, as a pure deterministic core: token passing,
/// agreed-order delivery, retransmission, flow control, membership (gather, commit, recovery,
/// operational) with extended virtual synchrony, and totempg packing.
/// </summary>
/// <remarks>
/// corosync: <c>exec/totemsrp.c</c> (Amir et al., "The Totem single-ring ordering and membership
/// protocol", 1995) and <c>exec/totempg.c</c>. Time, bytes and randomness come in through the calls;
/// datagrams, events, logs and the ring sequence to persist go out through a caller-owned
/// <see cref="TotemOutput"/>. Single-threaded: the caller serialises all calls.
/// </remarks>
public sealed partial class TotemSrp
{
    /// <summary>
    /// Messages handled from this node's own loopback queue in one call, and timers fired in one <see cref="Tick"/>. A call
    /// loops back a handful: its own multicasts (at most <c>window_size</c> per token visit) and, on a one-node ring, the
    /// token it passes to itself. A hundred thousand means the node feeds
    /// itself without waiting for a timer or the network, a bug: the loopback fails loudly (<see cref="Invariant"/>) rather
    /// than hang the loop thread, and <see cref="Tick"/> leaves the timers still due to the next call.
    /// </summary>
    private const int LoopbackRoundsMax = 100_000;

    private readonly NodeId _self;
    private TotemOptions _options;
    private readonly Prng _prng;
    private readonly Queue<TotemMessage> _loopback = new();
    private readonly List<NodeId> _unreachable = [];
    private readonly SortedDictionary<NodeId, Instant> _unreachableSince = [];
    private Instant _fastNodeLossAt = Instant.Never;
    private List<NodeId> _nodelist = [];
    private TotemOutput _out = new();
    private Instant _now;
    private bool _started;

    // Timers: Instant.Never when not armed.
    private Instant _tokenTimeoutAt = Instant.Never;
    private Instant _tokenWarningAt = Instant.Never;
    private Instant _tokenRetransmitAt = Instant.Never;
    private Instant _holdRetransmitAt = Instant.Never;
    private Instant _joinAt = Instant.Never;
    private Instant _consensusAt = Instant.Never;
    private Instant _mergeDetectAt = Instant.Never;
    private Instant _sendJoinAt = Instant.Never;
    private Instant _lastTokenReceivedAt;

    /// <param name="self">This node's id (nodelist.node.nodeid).</param>
    /// <param name="options">Validated effective options.</param>
    /// <param name="prng">The core's only randomness (the send_join delay).</param>
    /// <param name="persistedRingSequence">The sequence read from <c>ringid_&lt;nodeid&gt;</c> (0 when missing); used +1, as corosync does.</param>
    public TotemSrp(NodeId self, TotemOptions options, Prng prng, ulong persistedRingSequence)
    {
        Invariant.Require(self.IsValid);
        Invariant.Require(options.Validate().Count == 0);
        _self = self;
        _options = options;
        _prng = prng;
        _ringId = new RingId(self, persistedRingSequence + 1);
        _tokenRingIdSeq = _ringId.Sequence;
        _packer = new TotemPgPacker(options.PacketSizeMax);
        _transPacker = new TotemPgPacker(options.PacketSizeMax);
        _waitingTransAck = options.WaitForTransAck;
        State = MembershipState.Operational;
        _regular.Reinit(0);
        _recovery.Reinit(0);
    }

    public NodeId LocalNode => _self;

    public MembershipState State { get; private set; }

    /// <summary>The ring this node is in (in COMMIT/RECOVERY: the ring being installed).</summary>
    public RingId RingId => _ringId;

    /// <summary>Members of the last installed regular configuration, sorted.</summary>
    public IReadOnlyList<NodeId> Members => _memberList;

    public TotemStats Stats { get; } = new();

    /// <summary>Packets waiting for the token (the node's backlog).</summary>
    public int PendingPackets => _packer.PacketsPending + _transPacker.PacketsPending;

    /// <summary>corosync <c>waiting_trans_ack</c>: a new ring's sync has not completed, only submissions since it was installed are sent.</summary>
    public bool WaitingTransAck => _waitingTransAck;

    /// <summary>The earliest instant at which <see cref="Tick"/> has work.</summary>
    public Instant NextDeadline =>
        Instant.Min(
            Instant.Min(Instant.Min(_tokenTimeoutAt, _tokenWarningAt), Instant.Min(_tokenRetransmitAt, _holdRetransmitAt)),
            Instant.Min(Instant.Min(Instant.Min(_joinAt, _consensusAt), Instant.Min(_mergeDetectAt, _fastNodeLossAt)), _sendJoinAt));

    /// <summary>Starts the protocol: the node enters GATHER to find its peers (corosync: all links configured).</summary>
    public void Start(Instant now, TotemOutput output)
    {
        Begin(now, output);
        if (!_started)
        {
            _started = true;
            _lastTokenReceivedAt = now;
            ArmFastNodeLoss();
            Log(LogPriority.Debug, $"Created or loaded sequence id {_ringId} for this ring.");
            EnterGather(GatherReason.InterfaceChange);
        }

        End();
    }

    /// <summary>The configured nodes (corosync nodelist), sorted.</summary>
    public IReadOnlyList<NodeId> Nodelist => _nodelist;

    /// <summary>
    /// Sets the nodelist (at start and after a reload). Datagrams from nodes outside it are dropped once it
    /// is set; a member removed from it is failed at once, as if it had become unreachable.
    /// </summary>
    public void SetNodelist(Instant now, IReadOnlyList<NodeId> nodes, TotemOutput output)
    {
        Begin(now, output);
        _nodelist = NodeSet.Of(nodes);
        if (_started)
        {
            foreach (var member in _memberList.Concat(_newMemberList).Distinct().Order().ToList())
            {
                if (member != _self && !NodeSet.Contains(_nodelist, member))
                {
                    FailUnreachablePeer(member);
                }
            }
        }

        End();
    }

    /// <summary>Handles one datagram from <paramref name="from"/>. Bytes crossed the network: bad ones are counted and dropped.</summary>
    public void Receive(Instant now, NodeId from, ReadOnlySpan<byte> bytes, TotemOutput output) =>
        Receive(now, from, bytes, null, output);

    /// <summary>
    /// As <see cref="Receive(Instant, NodeId, ReadOnlySpan{byte}, TotemOutput)"/> for bytes the caller hands over and never changes
    /// again (the link layer's delivery): an MCAST keeps a slice of them instead of a copy.
    /// </summary>
    public void Receive(Instant now, NodeId from, ReadOnlyMemory<byte> bytes, TotemOutput output) =>
        Receive(now, from, bytes.Span, bytes, output);

    private void Receive(Instant now, NodeId from, ReadOnlySpan<byte> bytes, ReadOnlyMemory<byte>? owned, TotemOutput output)
    {
        Begin(now, output);
        if (!_started || (_nodelist.Count > 0 && !NodeSet.Contains(_nodelist, from)))
        {
            Stats.RxMessagesDropped++;
            End();
            return;
        }

        var status = owned is { } whole ? TotemCodec.TryDecode(whole, out var message) : TotemCodec.TryDecode(bytes, out message);
        if (status != TotemDecodeStatus.Ok || message is null)
        {
            Stats.DecodeErrors++;
            End();
            return;
        }

        Dispatch(message, bytes.Length);
        End();
    }

    /// <summary>Fires every timer that expired at or before <paramref name="now"/>.</summary>
    public void Tick(Instant now, TotemOutput output)
    {
        Begin(now, output);
        for (var round = 0; _started && round < LoopbackRoundsMax; round++)
        {
            if (!FireEarliestTimer(now))
            {
                break;
            }

            DrainLoopback();
        }

        End();
    }

    /// <summary>
    /// Queues an application message for agreed-order multicast (packed and fragmented by totempg).
    /// Returns false when the send queue cannot take it: the caller pushes back on its client.
    /// </summary>
    public bool Submit(Instant now, ReadOnlySpan<byte> payload, TotemOutput output)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, TotemLimits.MessageSizeMax);
        Begin(now, output);
        var packer = _waitingTransAck ? _transPacker : _packer;
        var accepted = packer.PacketsPending + packer.PacketsNeeded(payload.Length) <= _options.MessageQueueMax;
        if (accepted)
        {
            packer.Add(payload.ToArray());
            TokenHoldCancelSend();
        }

        End();
        return accepted;
    }

    /// <summary>
    /// The layer above completed the sync of <paramref name="ring"/> (corosync <c>totemsrp_trans_ack</c>): what was
    /// queued before the ring was installed may go now, after what the sync submitted. The ack of a ring that is no
    /// longer this node's (its last barrier was delivered while recovery installed the next ring) is ignored: the
    /// next ring's sync has yet to run.
    /// </summary>
    public void TransAck(Instant now, RingId ring, TotemOutput output)
    {
        Begin(now, output);
        if (_waitingTransAck && ring == _ringId)
        {
            _waitingTransAck = false;
            Log(LogPriority.Debug, "waiting_trans_ack changed to 0");
            if (!SendingPacker.IsEmpty)
            {
                TokenHoldCancelSend();
            }
        }

        End();
    }

    /// <summary>Announces a clean shutdown (corosync <c>memb_leave_message_send</c>): a JOIN with header nodeid 0.</summary>
    public void Leave(Instant now, TotemOutput output)
    {
        Begin(now, output);
        var active = NodeSet.Subtract(NodeSet.Subtract(_procList, _failedList), [_self]);
        var failed = new List<NodeId>(_failedList.Where(n => n != _self)) { _self };
        Emit(new Join(new NodeId(0), default, _self, active, failed, _ringId.Sequence), loopback: false);
        Log(LogPriority.Debug, "sending join/leave message");
        End();
    }

    /// <summary>
    /// The link layer reports <paramref name="peer"/> unreachable on every link (knet: "host: host: N has no active links").
    /// Beyond corosync: with <see cref="TotemOptions.FastNodeLoss"/> a member still unreachable
    /// <see cref="TotemOptions.FastNodeLossDelay"/> later is failed then, without waiting for the token timeout.
    /// </summary>
    public void OnPeerUnreachable(Instant now, NodeId peer, TotemOutput output)
    {
        Begin(now, output);
        if (peer != _self && !NodeSet.Contains(_unreachable, peer) && !_unreachableSince.ContainsKey(peer))
        {
            _unreachableSince[peer] = now;
            ArmFastNodeLoss();
        }

        End();
    }

    /// <summary>
    /// The link layer reports <paramref name="peer"/> reachable again on at least one link. Beyond corosync: when it is
    /// not a member of this ring, the representative sends its merge detect at once instead of at the next merge
    /// timeout, so nodes that start together (each first in a ring of its own) or a node coming back merge in a
    /// round trip. The message and what a receiver does with it are corosync's; only the moment is earlier.
    /// </summary>
    public void OnPeerReachable(Instant now, NodeId peer, TotemOutput output)
    {
        Begin(now, output);
        _unreachable.Remove(peer);
        _unreachableSince.Remove(peer);
        ArmFastNodeLoss();
        if (_started && !NodeSet.Contains(_memberList, peer))
        {
            MergeDetectSend();
        }

        End();
    }

    /// <summary>
    /// The link layer switched <paramref name="peer"/> to another link. Beyond corosync: re-send at once the
    /// token (when it went to that peer) and the messages this node originated that the token has not yet
    /// seen acknowledged, instead of waiting for token_retransmit.
    /// </summary>
    public void OnLinkSwitched(Instant now, NodeId peer, TotemOutput output)
    {
        Begin(now, output);
        if (_started && _options.ResendOnLinkSwitch && peer != _self)
        {
            ResendAfterLinkSwitch(peer);
        }

        End();
    }

    private void Begin(Instant now, TotemOutput output)
    {
        Invariant.Require(now >= _now);
        _now = now;
        _out = output;
    }

    private void End() => DrainLoopback();

    private void DrainLoopback()
    {
        for (var round = 0; _loopback.Count > 0; round++)
        {
            Invariant.Require(round < LoopbackRoundsMax);
            Dispatch(_loopback.Dequeue(), 0);
        }
    }

    private void Dispatch(TotemMessage message, int size)
    {
        switch (message)
        {
            case OrfToken token:
                Stats.OrfTokenRx++;
                OnOrfToken(token);
                break;
            case Mcast mcast:
                Stats.McastRx++;
                OnMcast(mcast);
                break;
            case MergeDetect detect:
                OnMergeDetect(detect);
                break;
            case Join join:
                Stats.JoinRx++;
                OnJoin(join);
                break;
            case CommitToken commit:
                OnCommitToken(commit);
                break;
            case TokenHoldCancel cancel:
                OnTokenHoldCancel(cancel);
                break;
        }

        _ = size;
    }

    /// <summary>Sends <paramref name="message"/>; a multicast is also processed locally when <paramref name="loopback"/>.</summary>
    private void Emit(TotemMessage message, bool loopback)
    {
        if (message.Target == _self)
        {
            _loopback.Enqueue(message);
            return;
        }

        _out.Datagrams.Add(new TotemDatagram(message.Target, TotemCodec.Encode(message)));
        if (loopback && message.Target.Value == 0)
        {
            _loopback.Enqueue(message);
        }
    }

    private void EmitBytes(NodeId to, byte[] bytes)
    {
        if (to == _self)
        {
            if (TotemCodec.TryDecode(bytes, out var message) == TotemDecodeStatus.Ok && message is not null)
            {
                _loopback.Enqueue(message);
            }

            return;
        }

        _out.Datagrams.Add(new TotemDatagram(to, bytes));
    }

    private void Log(LogPriority level, string message) => _out.Logs.Add(new LogEntry(LogSubsystem.Totem, level, message));

    private static string Hex(uint value) => value.ToString("x", CultureInfo.InvariantCulture);

    private bool FireEarliestTimer(Instant now)
    {
        // Fixed order breaks ties, so a run is reproducible.
        var earliest = NextDeadline;
        if (earliest > now)
        {
            return false;
        }

        if (_tokenTimeoutAt == earliest)
        {
            _tokenTimeoutAt = Instant.Never;
            _tokenWarningAt = Instant.Never;
            OnTokenTimeout();
        }
        else if (_consensusAt == earliest)
        {
            _consensusAt = Instant.Never;
            OnConsensusTimeout();
        }
        else if (_joinAt == earliest)
        {
            _joinAt = Instant.Never;
            OnJoinTimeout();
        }
        else if (_tokenRetransmitAt == earliest)
        {
            _tokenRetransmitAt = Instant.Never;
            OnTokenRetransmitTimeout();
        }
        else if (_holdRetransmitAt == earliest)
        {
            _holdRetransmitAt = Instant.Never;
            OnHoldRetransmitTimeout();
        }
        else if (_fastNodeLossAt == earliest)
        {
            OnFastNodeLossTimeout();
        }
        else if (_sendJoinAt == earliest)
        {
            _sendJoinAt = Instant.Never;
            OnSendJoinTimeout();
        }
        else if (_mergeDetectAt == earliest)
        {
            _mergeDetectAt = Instant.Never;
            OnMergeDetectTimeout();
        }
        else
        {
            _tokenWarningAt = Instant.Never;
            OnTokenWarningTimeout();
        }

        return true;
    }

    private void ResetTokenTimeout()
    {
        _tokenTimeoutAt = _now + _options.Token;
        _tokenWarningAt = _options.TokenWarningPercent > 0 ? _now + (_options.Token * _options.TokenWarningPercent / 100) : Instant.Never;
    }

    private void CancelTokenTimeout()
    {
        _tokenTimeoutAt = Instant.Never;
        _tokenWarningAt = Instant.Never;
    }

    private void ResetTokenRetransmitTimeout() => _tokenRetransmitAt = _now + _options.TokenRetransmit;

    private void StartMergeDetectTimeout()
    {
        if (_mergeDetectAt == Instant.Never)
        {
            _mergeDetectAt = _now + _options.Merge;
        }
    }

    private void OnTokenWarningTimeout()
    {
        Log(LogPriority.Notice, $"Token has not been received in {(_now - _lastTokenReceivedAt).Milliseconds} ms");
        if (_options.TokenWarningPercent > 0 && _tokenTimeoutAt != Instant.Never)
        {
            _tokenWarningAt = _now + (_options.Token * _options.TokenWarningPercent / 100);
        }
    }

    private void OnTokenTimeout()
    {
        switch (State)
        {
            case MembershipState.Operational:
                Log(LogPriority.Debug, "The token was lost in the OPERATIONAL state.");
                Log(LogPriority.Notice, $"A processor failed, forming new configuration: token timed out ({_options.Token.Milliseconds}ms), waiting {_options.Consensus.Milliseconds}ms for consensus.");
                Stats.TokenLost++;
                EnterGather(GatherReason.TokenLostInOperational);
                break;
            case MembershipState.Gather:
                Log(LogPriority.Debug, $"The consensus timeout expired ({_options.Consensus.Milliseconds}ms).");
                ConsensusTimeoutExpired();
                EnterGather(GatherReason.ConsensusTimeoutExpired);
                break;
            case MembershipState.Commit:
                Log(LogPriority.Debug, "The token was lost in the COMMIT state.");
                EnterGather(GatherReason.TokenLostInCommit);
                break;
            case MembershipState.Recovery:
                Log(LogPriority.Debug, "The token was lost in the RECOVERY state.");
                OldRingStateRestore();
                EnterGather(GatherReason.TokenLostInRecovery);
                break;
        }
    }

    private void OnConsensusTimeout()
    {
        if (State == MembershipState.Gather)
        {
            ConsensusTimeoutExpired();
        }
    }

    private void OnJoinTimeout()
    {
        if (State is MembershipState.Gather or MembershipState.Commit)
        {
            JoinMessageSend();
            _joinAt = _now + _options.Join;
        }
    }

    private void OnTokenRetransmitTimeout()
    {
        if (State != MembershipState.Gather)
        {
            TokenRetransmit();
            ResetTokenRetransmitTimeout();
        }
    }

    private void OnHoldRetransmitTimeout()
    {
        if (State is MembershipState.Operational or MembershipState.Recovery)
        {
            TokenRetransmit();
        }
    }

    private void OnMergeDetectTimeout() => MergeDetectSend();

    private void MergeDetectSend()
    {
        if (State == MembershipState.Operational && _ringId.Representative == _self)
        {
            Stats.MergeDetectTx++;
            Emit(new MergeDetect(_self, default, _self, _ringId), loopback: false);
        }
    }

    private void TokenRetransmit()
    {
        if (_lastTokenBytes is not null)
        {
            Stats.OrfTokenTx++;
            EmitBytes(_lastTokenTarget, _lastTokenBytes);
        }
    }

    private void TokenHoldCancelSend()
    {
        if (!_myTokenHeld || State != MembershipState.Operational)
        {
            return;
        }

        _myTokenHeld = false;
        Stats.TokenHoldCancelTx++;
        Emit(new TokenHoldCancel(_self, default, _ringId), loopback: true);
    }

    private void OnTokenHoldCancel(TokenHoldCancel cancel)
    {
        if (cancel.RingId != _ringId)
        {
            return;
        }

        _mySeqUnchanged = 0;
        if (_ringId.Representative == _self)
        {
            OnTokenRetransmitTimeout();
        }
    }

    private void OnMergeDetect(MergeDetect detect)
    {
        // corosync: in OPERATIONAL a merge detect from a member of my ring is ignored (it is late, or
        // replayed: a recorded one would otherwise re-form the ring at will, key or no key).
        if (detect.RingId == _ringId || (State == MembershipState.Operational && NodeSet.Contains(_memberList, detect.SystemFrom)) || IsStaleForeign(detect.SystemFrom, detect.RingId))
        {
            Stats.RxStaleForeign++;
            return;
        }

        MergeForeignSender(detect.SystemFrom, GatherReason.MergeDuringOperational, GatherReason.MergeDuringGather);
    }

    /// <summary>
    /// Whether a message of another ring is stale: its sender is a member of my ring and its ring is older
    /// than mine (ring sequences only grow, and are persisted across restarts), so the sender has left that
    /// ring for mine. Such a message is late or replayed; it must not start a membership change.
    /// A node of a partition that really needs merging either has a newer ring (and gathers on my
    /// messages) or is not in my ring.
    /// </summary>
    private bool IsStaleForeign(NodeId sender, RingId ring) =>
        NodeSet.Contains(_memberList, sender) && ring.Sequence < _ringId.Sequence;

    /// <summary>A node of another ring showed up: OPERATIONAL gathers with it; GATHER adds it once (COMMIT/RECOVERY ignore it).</summary>
    private void MergeForeignSender(NodeId sender, GatherReason inOperational, GatherReason inGather)
    {
        switch (State)
        {
            case MembershipState.Operational:
                NodeSet.Merge(_procList, [sender]);
                EnterGather(inOperational);
                break;
            case MembershipState.Gather when NodeSet.Merge(_procList, [sender]):
                EnterGather(inGather);
                break;
        }
    }

    private void ArmFastNodeLoss() =>
        _fastNodeLossAt = !_started || _unreachableSince.Count == 0 ? Instant.Never : _unreachableSince.Values.Min() + _options.FastNodeLossDelay;

    /// <summary>Peers unreachable for the whole delay become known unreachable (sticky until reachable again).</summary>
    private void OnFastNodeLossTimeout()
    {
        var due = _unreachableSince.Where(entry => entry.Value + _options.FastNodeLossDelay <= _now).Select(entry => entry.Key).ToList();
        foreach (var peer in due)
        {
            _unreachableSince.Remove(peer);
            NodeSet.Merge(_unreachable, [peer]);
        }

        ArmFastNodeLoss();
        foreach (var peer in due)
        {
            if (_started && _options.FastNodeLoss)
            {
                FailUnreachablePeer(peer);
            }
        }
    }

    private void FailUnreachablePeer(NodeId peer)
    {
        switch (State)
        {
            case MembershipState.Operational when NodeSet.Contains(_memberList, peer):
                Log(LogPriority.Notice, $"A processor failed, forming new configuration: node {peer} is unreachable on every link.");
                break;
            case MembershipState.Gather when NodeSet.Contains(_procList, peer) && !NodeSet.Contains(_failedList, peer):
                break;
            case MembershipState.Commit or MembershipState.Recovery when NodeSet.Contains(_newMemberList, peer):
                if (State == MembershipState.Recovery)
                {
                    OldRingStateRestore();
                }

                break;
            default:
                return;
        }

        Stats.FastNodeLossGathers++;
        NodeSet.Merge(_failedList, [peer]);
        EnterGather(GatherReason.PeerUnreachable);
    }

    private void ResendAfterLinkSwitch(NodeId peer)
    {
        var tokenResent = false;
        var messages = 0;
        if (State != MembershipState.Gather && _lastTokenBytes is not null && _lastTokenTarget == peer && !_lastTokenHeld)
        {
            Stats.OrfTokenTx++;
            EmitBytes(peer, _lastTokenBytes);
            tokenResent = true;
        }

        if (State == MembershipState.Operational && _lastTokenHeld && _lastTokenBytes is not null && _lastTokenTarget != _self)
        {
            // I am the representative holding an idle token: whatever the peer sent me on the dead link
            // (a TOKEN_HOLD_CANCEL, a retransmit request) is lost, so let the token go round now.
            Stats.OrfTokenTx++;
            EmitBytes(_lastTokenTarget, _lastTokenBytes);
            tokenResent = true;
        }
        else if (State == MembershipState.Operational && peer == _ringId.Representative && !SendingPacker.IsEmpty)
        {
            // My TOKEN_HOLD_CANCEL to the representative may have been lost on the dead link.
            Stats.TokenHoldCancelTx++;
            Emit(new TokenHoldCancel(_self, peer, _ringId), loopback: false);
        }

        if (State is MembershipState.Operational or MembershipState.Recovery)
        {
            var queue = State == MembershipState.Recovery ? _recovery : _regular;
            var from = _myLastAru == uint.MaxValue || SequenceNumber.LessThan(_myHighSeqReceived, _myLastAru) ? 0u : _myLastAru;
            for (var seq = unchecked(from + 1); SequenceNumber.LessOrEqual(seq, _myHighSeqReceived) && messages < TotemLimits.SortQueueSize; seq = unchecked(seq + 1))
            {
                if (queue.Get(seq) is { } item && item.Message.SystemFrom == _self)
                {
                    EmitBytes(peer, item.Bytes);
                    messages++;
                }
            }
        }
        else if (State == MembershipState.Gather)
        {
            Emit(BuildJoin() with { Target = peer }, loopback: false);
        }

        Stats.LinkSwitchResends++;
        Log(LogPriority.Notice, $"Link switch to node {peer}: re-sent {(tokenResent ? "the token and " : string.Empty)}{messages} messages at once.");
    }
}
