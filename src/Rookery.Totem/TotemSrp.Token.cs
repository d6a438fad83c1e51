using System.Text;
using Rookery.Wire.Totem;

namespace Rookery.Totem;

/// <summary>Ordering: the ORF token, multicast, retransmission, flow control and delivery (corosync <c>message_handler_orf_token</c>).</summary>
public sealed partial class TotemSrp
{
    private readonly SortQueue _regular = new();
    private readonly SortQueue _recovery = new();
    private readonly Queue<PendingMcast> _retransMessageQueue = new();
    private readonly TotemPgPacker _packer;
    private readonly TotemPgPacker _transPacker;
    private bool _waitingTransAck;
    private readonly Dictionary<NodeId, TotemPgAssembler> _assemblers = [];
    private readonly List<ReadOnlyMemory<byte>> _assembled = [];
    private RingId _regularRingId;

    private uint _myAru;
    private uint _myHighSeqReceived;
    private uint _myHighDelivered;
    private uint _lastReleased;
    private uint _myLastAru;
    private uint _myLastSeq;
    private uint _myInstallSeq;
    private uint _myHighRingDelivered;
    private uint _myTokenSeq = uint.MaxValue;
    private int _myAruCount;
    private int _mySeqUnchanged;
    private bool _myTokenHeld;
    private int _myRetransFlgCount;
    private int _myRotationCounter;
    private bool _mySetRetransFlg;
    private bool _myReceivedFlg = true;
    private bool _orfTokenDiscard;
    private int _globalSeqno;
    private uint _myTrc;
    private uint _myPbl;
    private uint _myCbl;

    private NodeId _tokenTarget;
    private NodeId _lastTokenTarget;
    private byte[]? _lastTokenBytes;
    private bool _lastTokenHeld;

    private void OnOrfToken(OrfToken received)
    {
        if (_orfTokenDiscard || received.RingId != _ringId)
        {
            Stats.RxMessagesDropped++;
            return;
        }

        if (received.Seq == _myLastSeq)
        {
            StartMergeDetectTimeout();
            _mySeqUnchanged++;
        }
        else
        {
            _mergeDetectAt = Instant.Never;
            _holdRetransmitAt = Instant.Never;
            _mySeqUnchanged = 0;
        }

        _myLastSeq = received.Seq;
        var isRepresentative = _ringId.Representative == _self;
        _myTokenHeld = isRepresentative
            ? _mySeqUnchanged > _options.SeqnoUnchangedConst
            : _mySeqUnchanged >= _options.SeqnoUnchangedConst;
        var forward = !(isRepresentative && _myTokenHeld);

        if (SequenceNumber.LessOrEqual(received.TokenSeq, _myTokenSeq))
        {
            return; // A retransmitted copy of a token already handled.
        }

        // Deviation from corosync, which frees before the duplicate check: a retransmitted copy repeats
        // the aru this node itself wrote one visit ago, and freeing on it could release a message that a
        // later node in the ring is still missing.
        if (State == MembershipState.Operational)
        {
            MessagesFree(received.Aru);
        }

        _lastTokenReceivedAt = _now;
        var token = TokenState.From(received);
        var lastAru = _myLastAru;
        _myLastAru = token.Aru;
        var allowed = FccCalculate(token);
        var retransmitted = OrfTokenRtr(token, ref allowed);
        if (_options.CancelTokenHoldOnRetransmit && _myTokenHeld && (token.RetransmitList.Count > 0 || retransmitted > 0))
        {
            _myTokenHeld = false;
            forward = true;
        }

        FccRtrLimit(token, ref allowed);
        var sent = OrfTokenMcast(token, allowed);
        FccTokenUpdate(token, (uint)(retransmitted + sent));

        if (SequenceNumber.LessThan(_myAru, token.Aru) || token.AruAddr == _self || token.AruAddr.Value == 0)
        {
            token.Aru = _myAru;
            token.AruAddr = token.Aru == token.Seq ? default : _self;
        }

        _myAruCount = token.Aru == lastAru && token.AruAddr.Value != 0 ? _myAruCount + 1 : 0;
        if (_myAruCount > _options.FailReceiveConst && token.AruAddr == _self)
        {
            Log(LogPriority.Error, "FAILED TO RECEIVE");
            _failedToRecv = true;
            NodeSet.Merge(_failedList, [_self]);
            EnterGather(GatherReason.FailedToReceive);
            return;
        }

        _myTokenSeq = token.TokenSeq;
        token.TokenSeq = unchecked(token.TokenSeq + 1);
        if (State == MembershipState.Recovery)
        {
            RecoveryTokenBookkeeping(token);
        }

        TokenSend(token, forward);
        if (State == MembershipState.Operational)
        {
            DeliverToApplication(skip: false, _myHighSeqReceived);
        }

        ResetTokenTimeout();
        ResetTokenRetransmitTimeout();
        if (isRepresentative && _myTokenHeld)
        {
            _holdRetransmitAt = _now + _options.Hold;
        }
    }

    private void RecoveryTokenBookkeeping(TokenState token)
    {
        if (_retransMessageQueue.Count > 0)
        {
            if (token.RetransFlag == 0)
            {
                token.RetransFlag = 1;
                _mySetRetransFlg = true;
            }
        }
        else if (token.RetransFlag == 1 && _mySetRetransFlg)
        {
            token.RetransFlag = 0;
            _mySetRetransFlg = false;
        }

        _myRetransFlgCount = token.RetransFlag == 0 ? _myRetransFlgCount + 1 : 0;
        if (_myRetransFlgCount == 2)
        {
            _myInstallSeq = token.Seq;
        }

        if (_myRetransFlgCount >= 2 && !_myReceivedFlg && SequenceNumber.LessOrEqual(_myInstallSeq, _myAru))
        {
            _myReceivedFlg = true;
            _deliverMemberList = [.. _transMemberList];
        }

        _myRotationCounter = _myRetransFlgCount >= 3 && SequenceNumber.LessOrEqual(_myInstallSeq, token.Aru) ? _myRotationCounter + 1 : 0;
        if (_myRotationCounter == 2)
        {
            EnterOperational();
            _myRotationCounter = 0;
            _myRetransFlgCount = 0;
        }
    }

    private void TokenSend(TokenState token, bool forward)
    {
        var message = token.ToMessage(_self, _tokenTarget, _ringId);
        _lastTokenBytes = TotemCodec.Encode(message);
        _lastTokenTarget = _tokenTarget;
        _lastTokenHeld = !forward;
        if (forward)
        {
            Stats.OrfTokenTx++;
            Emit(message, loopback: false);
        }
    }

    private int FccCalculate(TokenState token)
    {
        var allowed = Math.Min(_options.MaxMessages, Math.Max(0L, _options.WindowSize - (long)token.Fcc));
        _myCbl = (uint)(State == MembershipState.Recovery ? _retransMessageQueue.Count : SendingPacker.PacketsPending);
        var denominator = unchecked(token.Backlog + _myCbl - _myPbl);
        if (denominator != 0)
        {
            var backlogCalc = (long)_options.WindowSize * _myPbl / denominator;
            if (backlogCalc > 0 && allowed > backlogCalc)
            {
                allowed = backlogCalc;
            }
        }

        return (int)allowed;
    }

    private void FccRtrLimit(TokenState token, ref int allowed)
    {
        var limit = unchecked(_lastReleased + (uint)TotemLimits.SortQueueSize - (uint)allowed - (uint)_options.WindowSize);
        if (SequenceNumber.LessThan(limit, token.Seq))
        {
            allowed = 0;
        }
    }

    private void FccTokenUpdate(TokenState token, uint transmitted)
    {
        token.Fcc = unchecked(token.Fcc + transmitted - _myTrc);
        token.Backlog = unchecked(token.Backlog + _myCbl - _myPbl);
        _myTrc = transmitted;
        _myPbl = _myCbl;
    }

    private SortQueue CurrentQueue => State == MembershipState.Recovery ? _recovery : _regular;

    private int OrfTokenRtr(TokenState token, ref int allowed)
    {
        var queue = CurrentQueue;
        var list = token.RetransmitList;
        if (list.Count > 0)
        {
            var text = new StringBuilder("Retransmit List: ");
            foreach (var entry in list)
            {
                text.Append(Hex(entry.Seq)).Append(' ');
            }

            Log(LogPriority.Notice, text.ToString());
        }

        var remulticast = 0;
        for (var i = 0; remulticast < allowed && i < list.Count;)
        {
            if (list[i].RingId == _ringId && queue.Get(list[i].Seq) is { } item)
            {
                _out.Datagrams.Add(new TotemDatagram(default, item.Bytes));
                Stats.McastRetransmitted++;
                list.RemoveAt(i);
                remulticast++;
            }
            else
            {
                i++;
            }
        }

        allowed -= remulticast;

        // Request what I am missing, once a gap persisted for miss_count_const visits.
        var range = SequenceNumber.LessThan(_myAru, token.Seq) ? Math.Min(unchecked(token.Seq - _myAru), (uint)TotemLimits.SortQueueSize) : 0;
        for (uint i = 1; list.Count < TotemWireLimits.RetransmitEntriesMax && i <= range; i++)
        {
            var seq = unchecked(_myAru + i);
            if (!queue.InRange(seq))
            {
                break;
            }

            if (queue.InUse(seq) || queue.MissCount(seq) < _options.MissCountConst)
            {
                continue;
            }

            if (!list.Exists(e => e.Seq == seq))
            {
                list.Add(new RetransmitRequest(_ringId, seq));
            }
        }

        return remulticast;
    }

    private int OrfTokenMcast(TokenState token, int allowed)
    {
        var recovery = State == MembershipState.Recovery;
        if (recovery)
        {
            ResetTokenRetransmitTimeout();
        }

        var queue = CurrentQueue;
        var sent = 0;
        for (; sent < allowed && NextPendingMcast(recovery) is { } item; sent++)
        {
            token.Seq = unchecked(token.Seq + 1);
            var message = new Mcast(_self, default, item.Encapsulation, _self, token.Seq, _globalSeqno++, _ringId, 0, 0, item.Payload);
            var bytes = TotemCodec.Encode(message);
            queue.Add(token.Seq, new SortQueueItem(message, bytes));
            Stats.McastTx++;
            _out.Datagrams.Add(new TotemDatagram(default, bytes));
            _myHighSeqReceived = token.Seq;
        }

        UpdateAru();
        return sent;
    }

    /// <summary>In RECOVERY an old-ring message to encapsulate; in OPERATIONAL the next totempg packet (cut now, as the token lets it go).</summary>
    private PendingMcast? NextPendingMcast(bool recovery)
    {
        if (recovery)
        {
            return _retransMessageQueue.TryDequeue(out var old) ? old : null;
        }

        return SendingPacker.TryTake(out var packet) ? new PendingMcast(TotemEncapsulation.NotEncapsulated, packet) : null;
    }

    /// <summary>
    /// Where the next new packet comes from (corosync: <c>new_message_queue_trans</c> while waiting for the trans
    /// ack, else <c>new_message_queue</c>); after the ack the sync's leftovers go first, so no message is cut.
    /// </summary>
    private TotemPgPacker SendingPacker => _waitingTransAck || !_transPacker.IsEmpty ? _transPacker : _packer;

    private void UpdateAru()
    {
        var queue = CurrentQueue;
        var range = SequenceNumber.LessThan(_myAru, _myHighSeqReceived) ? unchecked(_myHighSeqReceived - _myAru) : 0;
        uint i = 1;
        for (; i <= range && i <= TotemLimits.SortQueueSize; i++)
        {
            if (!queue.InUse(unchecked(_myAru + i)))
            {
                break;
            }
        }

        _myAru = unchecked(_myAru + i - 1);
    }

    private void MessagesFree(uint tokenAru)
    {
        var releaseTo = tokenAru;
        if (SequenceNumber.LessThan(_myLastAru, releaseTo))
        {
            releaseTo = _myLastAru;
        }

        if (SequenceNumber.LessThan(_myHighDelivered, releaseTo))
        {
            releaseTo = _myHighDelivered;
        }

        if (SequenceNumber.LessThan(releaseTo, _lastReleased))
        {
            return;
        }

        _regular.ReleaseThrough(releaseTo);
        _lastReleased = releaseTo;
    }

    private void OnMcast(Mcast mcast)
    {
        if (mcast.RingId != _ringId)
        {
            OnForeignMcast(mcast);
            return;
        }

        var queue = State == MembershipState.Recovery ? _recovery
            : _regularRingId == _ringId ? _regular
            : null;
        if (queue is null)
        {
            Stats.RxMessagesDropped++;
            return;
        }

        if (queue.InRange(mcast.Seq) && !queue.InUse(mcast.Seq))
        {
            queue.Add(mcast.Seq, new SortQueueItem(mcast, TotemCodec.Encode(mcast with { Target = default })));
            if (SequenceNumber.LessThan(_myHighSeqReceived, mcast.Seq))
            {
                _myHighSeqReceived = mcast.Seq;
            }
        }

        UpdateAru();
        if (State == MembershipState.Operational)
        {
            DeliverToApplication(skip: false, _myHighSeqReceived);
        }
    }

    private void OnForeignMcast(Mcast mcast)
    {
        if (State is MembershipState.Commit or MembershipState.Recovery)
        {
            Stats.RxMessagesDropped++;
            return;
        }

        if (IsStaleForeign(mcast.SystemFrom, mcast.RingId))
        {
            Stats.RxStaleForeign++;
            return;
        }

        MergeForeignSender(mcast.SystemFrom, GatherReason.ForeignMessageInOperational, GatherReason.ForeignMessageInGather);
    }

    /// <summary>
    /// Delivers regular-queue messages from my_high_delivered + 1 up to <paramref name="endPoint"/>
    /// (corosync <c>messages_deliver_to_app</c>): stops at the first gap, or with <paramref name="skip"/>
    /// passes over gaps and over senders outside the deliver list. Encapsulated recovery copies are
    /// never delivered as messages of the ring they travelled in.
    /// </summary>
    private void DeliverToApplication(bool skip, uint endPoint)
    {
        if (!SequenceNumber.LessThan(_myHighDelivered, endPoint))
        {
            return;
        }

        var stored = _myHighDelivered;
        var range = Math.Min(unchecked(endPoint - stored), (uint)TotemLimits.SortQueueSize);
        for (uint i = 1; i <= range; i++)
        {
            var seq = unchecked(stored + i);
            if (!_regular.InRange(seq))
            {
                break;
            }

            var item = _regular.Get(seq);
            if (item is null && !skip)
            {
                break;
            }

            _myHighDelivered = seq;
            if (item is null || item.Message.IsEncapsulated)
            {
                continue;
            }

            if (skip && !NodeSet.Contains(_deliverMemberList, item.Message.SystemFrom))
            {
                continue;
            }

            DeliverPacket(item.Message);
        }
    }

    private void DeliverPacket(Mcast message)
    {
        if (!_assemblers.TryGetValue(message.SystemFrom, out var assembler))
        {
            assembler = new TotemPgAssembler(TotemLimits.MessageSizeMax);
            _assemblers[message.SystemFrom] = assembler;
        }

        // MCAST payloads never change once received or queued: unfragmented messages come out as slices of them.
        _assembled.Clear();
        assembler.Deliver(message.Payload, _assembled);
        foreach (var payload in _assembled)
        {
            _out.Events.Add(new Delivered(message.SystemFrom, message.RingId, payload));
            Stats.MessagesDelivered++;
        }

        _assembled.Clear();
    }

    /// <summary>A packet waiting for the token: a totempg packet, or in recovery an old-ring MCAST to encapsulate.</summary>
    private readonly record struct PendingMcast(byte Encapsulation, byte[] Payload);

    /// <summary>The token while this node holds it (mutable copy of <see cref="OrfToken"/>).</summary>
    private sealed class TokenState
    {
        public uint Seq { get; set; }

        public uint TokenSeq { get; set; }

        public uint Aru { get; set; }

        public NodeId AruAddr { get; set; }

        public uint Backlog { get; set; }

        public uint Fcc { get; set; }

        public int RetransFlag { get; set; }

        public List<RetransmitRequest> RetransmitList { get; private init; } = [];

        public static TokenState From(OrfToken token) => new()
        {
            Seq = token.Seq,
            TokenSeq = token.TokenSeq,
            Aru = token.Aru,
            AruAddr = token.AruAddr,
            Backlog = token.Backlog,
            Fcc = token.Fcc,
            RetransFlag = token.RetransFlag,
            RetransmitList = [.. token.RetransmitList],
        };

        public OrfToken ToMessage(NodeId sender, NodeId target, RingId ring) =>
            new(sender, target, Seq, TokenSeq, Aru, AruAddr, ring, Backlog, Fcc, RetransFlag, [.. RetransmitList]);
    }
}
