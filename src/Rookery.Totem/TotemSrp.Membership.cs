using Rookery.Wire.Totem;

namespace Rookery.Totem;

/// <summary>Why GATHER was entered (corosync <c>enum gather_state_from</c>; 16 is Rookery's).</summary>
public enum GatherReason
{
    ConsensusTimeout = 0,
    TokenLostInOperational = 2,
    ConsensusTimeoutExpired = 3,
    TokenLostInCommit = 4,
    TokenLostInRecovery = 5,
    FailedToReceive = 6,
    ForeignMessageInOperational = 7,
    ForeignMessageInGather = 8,
    MergeDuringOperational = 9,
    MergeDuringGather = 10,
    MergeDuringJoin = 11,
    JoinDuringOperational = 12,
    JoinDuringCommit = 13,
    JoinDuringRecovery = 14,
    InterfaceChange = 15,
    PeerUnreachable = 16,
}

/// <summary>Membership: GATHER, COMMIT, RECOVERY entry and OPERATIONAL installation (corosync <c>memb_state_*</c>).</summary>
public sealed partial class TotemSrp
{
    private RingId _ringId;
    private ulong _tokenRingIdSeq;
    private List<NodeId> _memberList = [];
    private List<NodeId> _newMemberList = [];
    private List<NodeId> _procList = [];
    private List<NodeId> _failedList = [];
    private List<NodeId> _transMemberList = [];
    private List<NodeId> _deliverMemberList = [];
    private readonly List<NodeId> _consensus = [];
    private readonly List<NodeId> _leaveMembers = [];
    private CommitToken? _commitToken;
    private bool _failedToRecv;
    private bool _originatedOrfToken;

    /// <summary>Rings of this node alone formed in a row while it knew other nodes (see <see cref="IsStaleFailure"/>).</summary>
    private int _singletonRings;

    /// <summary>How many such rings in a row make a stale join's failure of this node ignored (Rookery's bound).</summary>
    private const int SingletonRingsBeforeStaleFailureIgnored = 2;

    private RingId _myOldRingId;
    private bool _oldRingStateSaved;
    private uint _oldRingStateAru;
    private uint _oldRingStateHighSeqReceived;

    private void EnterGather(GatherReason reason)
    {
        _orfTokenDiscard = true;
        _originatedOrfToken = false;
        NodeSet.Merge(_procList, [_self]);
        if (_options.FastNodeLoss)
        {
            // The link layer's knowledge is sticky: a member of my ring that it reports unreachable on every
            // link cannot be in the next ring, so it is failed now rather than after a consensus timeout.
            // (Only members: a node never seen yet, e.g. at start-up, is not failed for being unreachable.)
            NodeSet.Merge(_failedList, _memberList.Where(n => n != _self && NodeSet.Contains(_unreachable, n) && NodeSet.Contains(_procList, n)).ToList());
        }

        JoinMessageSend();
        _joinAt = _now + _options.Join;
        _consensusAt = _now + _options.Consensus;
        _tokenRetransmitAt = Instant.Never;
        _holdRetransmitAt = Instant.Never;
        _mergeDetectAt = Instant.Never;
        CancelTokenTimeout();
        _consensus.Clear();
        _consensus.Add(_self);
        Log(LogPriority.Debug, $"entering GATHER state from {(int)reason}({reason}).");
        State = MembershipState.Gather;
        Stats.GatherEntered++;
        if (reason == GatherReason.ConsensusTimeoutExpired)
        {
            Stats.ContinuousGather++;
        }
    }

    private Join BuildJoin() => new(_self, default, _self, [.. _procList], [.. _failedList], _ringId.Sequence);

    /// <summary>
    /// Sends this node's JOIN (corosync <c>memb_join_message_send</c>). With send_join set, corosync sleeps a random
    /// 0..send_join before each send so that many nodes do not answer a join at the same instant; here the send
    /// waits for a timer drawn from the core's <see cref="Prng"/>, and carries the lists as they are when it goes.
    /// </summary>
    private void JoinMessageSend()
    {
        if (_options.SendJoin <= Duration.Zero)
        {
            JoinMessageSendNow();
        }
        else if (_sendJoinAt == Instant.Never)
        {
            _sendJoinAt = _now + new Duration((long)_prng.NextBelow((ulong)_options.SendJoin.Microseconds));
        }
    }

    private void OnSendJoinTimeout()
    {
        if (State is MembershipState.Gather or MembershipState.Commit)
        {
            JoinMessageSendNow();
        }
    }

    private void JoinMessageSendNow()
    {
        Stats.JoinTx++;
        Emit(BuildJoin(), loopback: true);
    }

    private bool ConsensusAgreed()
    {
        var members = NodeSet.Subtract(_procList, _failedList);
        foreach (var node in members)
        {
            if (!NodeSet.Contains(_consensus, node))
            {
                return false;
            }
        }

        return members.Count > 0 || _failedToRecv;
    }

    private void ConsensusTimeoutExpired()
    {
        Stats.ConsensusTimeouts++;
        if (ConsensusAgreed())
        {
            _consensus.Clear();
            _consensus.Add(_self);
            ResetTokenTimeout();
        }
        else
        {
            var missing = NodeSet.Subtract(_procList, _consensus);
            NodeSet.Merge(_failedList, missing);
            EnterGather(GatherReason.ConsensusTimeout);
        }
    }

    private void OnJoin(Join join)
    {
        if (_tokenRingIdSeq < join.RingSeq)
        {
            _tokenRingIdSeq = join.RingSeq;
        }

        switch (State)
        {
            case MembershipState.Operational:
                if (!IgnoreJoinUnderOperational(join))
                {
                    JoinProcess(join);
                }

                break;
            case MembershipState.Gather:
                JoinProcess(join);
                break;
            case MembershipState.Commit:
            case MembershipState.Recovery:
                if (NodeSet.Contains(_newMemberList, join.SystemFrom) && (join.RingSeq >= _ringId.Sequence || IsNewerThanCommit(join)))
                {
                    var wasRecovery = State == MembershipState.Recovery;
                    if (wasRecovery)
                    {
                        ForgetAgreedGather();
                    }

                    JoinProcess(join);
                    if (wasRecovery)
                    {
                        OldRingStateRestore();
                    }

                    if (State != MembershipState.Gather)
                    {
                        EnterGather(wasRecovery ? GatherReason.JoinDuringRecovery : GatherReason.JoinDuringCommit);
                    }
                }

                break;
        }
    }

    /// <summary>
    /// Deviation from corosync (which keeps them until OPERATIONAL): in RECOVERY every member of the new ring
    /// has taken the commit token, so the proc and failed lists that built it are spent; a member that already
    /// reached OPERATIONAL has reset its own, and its join that pulls this node back to GATHER does not carry
    /// them. Keeping them here makes the node gather with a stale failed list that its ring-mates then adopt
    /// (it is one of their members) and that the failed nodes answer by failing them back: two halves of a
    /// healed partition re-form apart every few milliseconds, for ever, whenever a slow member is caught in
    /// RECOVERY by the first member's merge. Start from the new ring, as OPERATIONAL would have.
    /// </summary>
    private void ForgetAgreedGather()
    {
        _procList = [.. _newMemberList];
        _failedList = [];
    }

    /// <summary>
    /// Deviation from corosync (which waits for the token timeout): in COMMIT, a join from a member of the
    /// new ring whose lists are not within the lists the commit was built from was sent after the consensus,
    /// so that member saw more and will refuse the commit token; gather again now. A stale join (lists
    /// within mine) is still ignored.
    /// </summary>
    private bool IsNewerThanCommit(Join join) =>
        State == MembershipState.Commit &&
        !(NodeSet.IsSubset(join.ProcessorList, _procList) && NodeSet.IsSubset(join.FailedList, _failedList));

    private bool IgnoreJoinUnderOperational(Join join) =>
        NodeSet.Contains(join.FailedList, _self) ||
        (NodeSet.Contains(_memberList, join.SystemFrom) && join.RingSeq < _ringId.Sequence);

    private void JoinProcess(Join join)
    {
        var from = join.SystemFrom;
        if (join.IsLeave)
        {
            if (join.FailedList.Count > 0)
            {
                var leaver = join.FailedList[^1];
                Log(LogPriority.Debug, $"Received LEAVE message from {leaver}");
                NodeSet.Merge(_leaveMembers, [leaver]);
            }
        }

        var gatherEntered = false;
        if (NodeSet.SetEquals(join.ProcessorList, _procList) && NodeSet.SetEquals(join.FailedList, _failedList))
        {
            if (!join.IsLeave)
            {
                NodeSet.Merge(_consensus, [from]);
            }

            if (ConsensusAgreed() && _failedToRecv)
            {
                _failedToRecv = false;
                _procList = [_self];
                _failedList = [];
                CommitTokenCreate();
                EnterCommit();
                return;
            }

            if (ConsensusAgreed() && IsLowestInConfiguration())
            {
                CommitTokenCreate();
                EnterCommit();
            }
        }
        else if (NodeSet.IsSubset(join.ProcessorList, _procList) && NodeSet.IsSubset(join.FailedList, _failedList))
        {
            // Nothing new in this join.
        }
        else if (NodeSet.Contains(_failedList, from))
        {
            // A join from a node we consider failed does not change our view.
        }
        else
        {
            var changed = NodeSet.Merge(_procList, join.ProcessorList);
            if (NodeSet.Contains(join.FailedList, _self))
            {
                if (!IsStaleFailure(join))
                {
                    changed |= NodeSet.Merge(_failedList, [from]);
                }
            }
            else if (NodeSet.Contains(_memberList, from))
            {
                changed |= NodeSet.Contains(_failedList, from)
                    ? NodeSet.Merge(_failedList, NodeSet.Subtract(join.FailedList, _memberList))
                    : NodeSet.Merge(_failedList, join.FailedList);
            }

            // Deviation from corosync, which re-enters GATHER here even when nothing changed: two nodes
            // with incomparable failed lists that are not in each other's last ring then answer every
            // join with a join (a storm that keeps restarting the consensus timer). Without a change the
            // consensus timeout settles it.
            if (changed)
            {
                EnterGather(GatherReason.MergeDuringJoin);
                gatherEntered = true;
            }
        }

        if (!gatherEntered && State == MembershipState.Operational)
        {
            EnterGather(GatherReason.JoinDuringOperational);
        }
    }

    /// <summary>
    /// Deviation from corosync (which fails the sender of any join that names this node failed), only once this
    /// node has formed <see cref="SingletonRingsBeforeStaleFailureIgnored"/> rings of its own in a row while it
    /// knew other nodes: then a join sent from a ring older than this node's was built before this node's last
    /// ring, so its verdict on this node is stale. Failing its sender for it makes the sender, once it reads
    /// this node's join, fail this node back, and both form a ring of their own again at once: after a heal,
    /// every node does it, for ever (swarm seeds 21228, 22035, 30353). The join's processor list still counts;
    /// a sender that still does not hear this node is failed by the consensus timeout, as before.
    /// </summary>
    private bool IsStaleFailure(Join join) =>
        _singletonRings >= SingletonRingsBeforeStaleFailureIgnored && join.RingSeq < _ringId.Sequence;

    private bool IsLowestInConfiguration()
    {
        var members = NodeSet.Subtract(_procList, _failedList);
        return members.Count > 0 && members[0] == _self;
    }

    private void CommitTokenCreate()
    {
        Log(LogPriority.Debug, "Creating commit token because I am the rep.");
        var members = NodeSet.Subtract(_procList, _failedList);
        _commitToken = new CommitToken(
            _self,
            default,
            TokenSeq: 0,
            new RingId(_self, _tokenRingIdSeq + 4),
            RetransFlag: 0,
            MemberIndex: 0,
            members,
            new CommitTokenEntry[members.Count]);
    }

    private void OnCommitToken(CommitToken token)
    {
        var count = token.Members.Count;
        if (count == 0 || token.Entries.Count != count)
        {
            Stats.RxMessagesDropped++;
            return;
        }

        switch (State)
        {
            case MembershipState.Gather:
                if (NodeSet.SetEquals(token.Members, NodeSet.Subtract(_procList, _failedList)) &&
                    token.RingId.Sequence > _ringId.Sequence &&
                    token.MemberIndex >= 0 && token.MemberIndex < count && token.Members[token.MemberIndex] == _self)
                {
                    _commitToken = token;
                    EnterCommit();
                }

                break;
            case MembershipState.Commit:
                if (token.RingId == _ringId && token.MemberIndex == count)
                {
                    EnterRecovery(token);
                }

                break;
            case MembershipState.Recovery:
                if (_ringId.Representative == _self && token.RingId == _ringId && !_originatedOrfToken)
                {
                    _originatedOrfToken = true;
                    Log(LogPriority.Debug, "Sending initial ORF token");
                    OrfTokenSendInitial();
                    ResetTokenTimeout();
                    ResetTokenRetransmitTimeout();
                }

                break;
        }
    }

    private void OldRingStateSave()
    {
        if (!_oldRingStateSaved)
        {
            _oldRingStateSaved = true;
            _myOldRingId = _ringId;
            _oldRingStateAru = _myAru;
            _oldRingStateHighSeqReceived = _myHighSeqReceived;
            Log(LogPriority.Debug, $"Saving state aru {Hex(_myAru)} high seq received {Hex(_myHighSeqReceived)}");
        }
    }

    private void OldRingStateRestore()
    {
        _myAru = _oldRingStateAru;
        _myHighSeqReceived = _oldRingStateHighSeqReceived;
        Log(LogPriority.Debug, $"Restoring instance->my_aru {Hex(_myAru)} my high seq received {Hex(_myHighSeqReceived)}");
    }

    private void EnterCommit()
    {
        var token = _commitToken!;
        OldRingStateSave();

        // Fill in my entry (corosync memb_state_commit_token_update).
        var index = token.MemberIndex;
        var entries = token.Entries.ToArray();
        _myReceivedFlg = _myAru == _myHighSeqReceived;
        entries[index] = new CommitTokenEntry(_myOldRingId, _oldRingStateAru, _myHighDelivered, _myReceivedFlg ? 1u : 0u);
        var highAru = entries[index].Aru;
        for (var i = 0; i <= index; i++)
        {
            if (entries[i].OldRingId == _myOldRingId && SequenceNumber.LessThan(highAru, entries[i].Aru))
            {
                highAru = entries[i].Aru;
            }
        }

        for (var i = 0; i <= index; i++)
        {
            if (entries[i].OldRingId == _myOldRingId && SequenceNumber.LessThan(entries[i].Aru, highAru))
            {
                entries[i] = entries[i] with { ReceivedFlag = 0 };
                if (i == index)
                {
                    _myReceivedFlg = false;
                }
            }
        }

        _newMemberList = [.. token.Members];
        _commitToken = token with { Sender = _self, MemberIndex = index + 1, Entries = entries };
        _tokenTarget = token.Members[(index + 1) % token.Members.Count];
        _joinAt = Instant.Never;
        _consensusAt = Instant.Never;
        _ringId = token.RingId;
        _out.RingSequenceToPersist = _ringId.Sequence;
        Log(LogPriority.Debug, $"Storing new sequence id for ring {_ringId.Sequence:x}");
        _tokenRingIdSeq = _ringId.Sequence;
        Log(LogPriority.Debug, "entering COMMIT state.");
        State = MembershipState.Commit;
        ResetTokenRetransmitTimeout();
        ResetTokenTimeout();
        Stats.CommitEntered++;
        Stats.ContinuousGather = 0;
        _myTrc = 0;
        _myPbl = 0;
        _myCbl = 0;
        CommitTokenSend(_commitToken);
    }

    private void CommitTokenSend(CommitToken token)
    {
        var sent = token with { TokenSeq = unchecked(token.TokenSeq + 1), Sender = _self, Target = _tokenTarget };
        _commitToken = sent;
        _lastTokenBytes = TotemCodec.Encode(sent);
        _lastTokenTarget = _tokenTarget;
        _lastTokenHeld = false;
        Stats.CommitTokenTx++;
        Emit(sent, loopback: false);
        ResetTokenRetransmitTimeout();
    }

    private void EnterRecovery(CommitToken token)
    {
        Log(LogPriority.Debug, "entering RECOVERY state.");
        _orfTokenDiscard = false;
        _myHighRingDelivered = 0;
        _recovery.Reinit(0);
        _retransMessageQueue.Clear();
        var lowRingAru = _oldRingStateHighSeqReceived;
        CommitTokenSend(token);
        _myTokenSeq = uint.MaxValue;

        // Transitional configuration: new members that were in my old ring with the same old ring id.
        var trans = new List<NodeId>();
        for (var i = 0; i < token.Members.Count; i++)
        {
            if (NodeSet.Contains(_memberList, token.Members[i]) && token.Entries[i].OldRingId == _myOldRingId)
            {
                trans.Add(token.Members[i]);
            }
        }

        _transMemberList = NodeSet.Of(trans);
        _deliverMemberList = [.. _transMemberList];
        var localReceived = true;
        for (var i = 0; i < token.Members.Count; i++)
        {
            if (NodeSet.Contains(_transMemberList, token.Members[i]) && token.Entries[i].ReceivedFlag == 0)
            {
                localReceived = false;
                break;
            }
        }

        var originated = 0;
        if (!localReceived)
        {
            for (var i = 0; i < token.Members.Count; i++)
            {
                if (NodeSet.Contains(_deliverMemberList, token.Members[i]) && token.Entries[i].OldRingId == _myOldRingId)
                {
                    if (SequenceNumber.LessThan(token.Entries[i].Aru, lowRingAru))
                    {
                        lowRingAru = token.Entries[i].Aru;
                    }

                    if (SequenceNumber.LessThan(_myHighRingDelivered, token.Entries[i].HighDelivered))
                    {
                        _myHighRingDelivered = token.Entries[i].HighDelivered;
                    }
                }
            }

            var range = unchecked(_oldRingStateHighSeqReceived - lowRingAru);
            if (range > 0 && range < TotemLimits.SortQueueSize)
            {
                Log(LogPriority.Debug, $"copying all old ring messages from {Hex(unchecked(lowRingAru + 1))}-{Hex(_oldRingStateHighSeqReceived)}.");
                for (uint i = 1; i <= range; i++)
                {
                    if (_regular.Get(unchecked(lowRingAru + i)) is { } item)
                    {
                        _retransMessageQueue.Enqueue(new PendingMcast(TotemEncapsulation.Encapsulated, item.Bytes));
                        originated++;
                    }
                }

                Log(LogPriority.Debug, $"Originated {originated} messages in RECOVERY.");
            }
        }

        if (originated == 0)
        {
            Log(LogPriority.Debug, "Did not need to originate any messages in recovery.");
        }

        _myAru = 0;
        _myAruCount = 0;
        _mySeqUnchanged = 0;
        _myHighSeqReceived = 0;
        _myInstallSeq = 0;
        _lastReleased = 0;
        _myLastAru = 0;
        _myRetransFlgCount = 0;
        _myRotationCounter = 0;
        ResetTokenTimeout();
        ResetTokenRetransmitTimeout();
        State = MembershipState.Recovery;
        Stats.RecoveryEntered++;
        Stats.ContinuousGather = 0;
    }

    private void OrfTokenSendInitial()
    {
        var retrans = _retransMessageQueue.Count > 0;
        _mySetRetransFlg = retrans;
        var token = new TokenState
        {
            Seq = 0,
            TokenSeq = 0,
            Aru = uint.MaxValue,
            AruAddr = _self,
            RetransFlag = retrans ? 1 : 0,
        };
        TokenSend(token, forward: true);
    }

    /// <summary>Moves recovered old-ring messages (encapsulated copies) back into the old ring's queue (corosync <c>deliver_messages_from_recovery_to_regular</c>).</summary>
    private void DeliverMessagesFromRecoveryToRegular()
    {
        for (uint seq = 1; SequenceNumber.LessOrEqual(seq, _myAru) && seq < TotemLimits.SortQueueSize; seq++)
        {
            if (_recovery.Get(seq) is not { } item || !item.Message.IsEncapsulated)
            {
                continue;
            }

            var payload = item.Message.Payload;
            if (TotemCodec.TryDecode(payload.Span, out var decoded) != TotemDecodeStatus.Ok || decoded is not Mcast inner)
            {
                continue;
            }

            if (inner.RingId == _myOldRingId && _regular.InRange(inner.Seq) && !_regular.InUse(inner.Seq))
            {
                _regular.Add(inner.Seq, new SortQueueItem(inner, payload.ToArray()));
                if (SequenceNumber.LessThan(_oldRingStateHighSeqReceived, inner.Seq))
                {
                    _oldRingStateHighSeqReceived = inner.Seq;
                }
            }
        }
    }

    private void EnterOperational()
    {
        _originatedOrfToken = false;
        _consensus.Clear();
        _oldRingStateSaved = false;
        DeliverMessagesFromRecoveryToRegular();

        // Old ring, agreed order up to the first gap (still in the old regular configuration).
        Log(LogPriority.Debug, $"Delivering to app {Hex(unchecked(_myHighDelivered + 1))} to {Hex(_oldRingStateHighSeqReceived)}");
        DeliverToApplication(skip: false, _oldRingStateHighSeqReceived);
        Log(LogPriority.Debug, $"Delivered up to {Hex(_myHighDelivered)} before the transitional configuration");

        var left = NodeSet.Subtract(_memberList, _transMemberList);
        var joined = NodeSet.Subtract(_newMemberList, _transMemberList);
        _memberList = [.. _newMemberList];
        _singletonRings = _newMemberList.Count == 1 && _procList.Count > 1 ? _singletonRings + 1 : 0;
        _out.Events.Add(new ConfigurationChanged(ConfigurationKind.Transitional, _ringId, [.. _transMemberList], [.. left], []));
        if (_options.WaitForTransAck && !_waitingTransAck)
        {
            // From here until the sync of the new ring completes, only the sync's own messages are sent.
            _waitingTransAck = true;
            Log(LogPriority.Debug, "waiting_trans_ack changed to 1");
        }

        // The rest of the old ring, skipping holes and senders outside the transitional configuration.
        DeliverToApplication(skip: true, _oldRingStateHighSeqReceived);
        _out.Events.Add(new ConfigurationChanged(ConfigurationKind.Regular, _ringId, [.. _newMemberList], [], [.. joined]));

        // A message is delivered in the ring that orders its last fragment, by every member or by none. A
        // joiner has no start for a message begun in an old ring, so every member of the new ring starts
        // with empty assemblies (a continuation at a sender's first packet is thrown away everywhere),
        // and this node sends its own partly sent message again from the start.
        _assemblers.Clear();
        if (_packer.RestartPartialMessage() | _transPacker.RestartPartialMessage())
        {
            Log(LogPriority.Debug, "A message partly sent in the old ring is sent again whole in the new ring.");
        }

        // corosync's receivers keep this node's assemblies across the ring change, in one set for what they deliver
        // while waiting for the trans ack and one for after: after a fragment, both packers begin the new ring with a
        // reset packet, so that neither set still waits for the continuation of a message sent again whole (TotemPg).
        if (_packer.FragmentSent || _transPacker.FragmentSent)
        {
            _transPacker.RequestReset();
            _packer.RequestReset();
        }

        // The recovery queue (numbered in the new ring) becomes the regular queue.
        _regular.CopyFrom(_recovery);
        _regularRingId = _ringId;
        _myLastAru = 0;
        _myHighDelivered = 0;
        _lastReleased = 0;
        _mySetRetransFlg = false;
        _procList = [.. _newMemberList];
        _failedList = [];

        var message = "A new membership (" + _ringId + ") was formed. Members";
        if (joined.Count > 0)
        {
            message += " joined: " + NodeSet.Format(joined);
        }

        if (left.Count > 0)
        {
            message += " left: " + NodeSet.Format(left);
        }

        Log(LogPriority.Debug, "entering OPERATIONAL state.");
        Log(LogPriority.Notice, message);
        var failed = left.Where(n => !NodeSet.Contains(_leaveMembers, n)).ToList();
        if (failed.Count > 0)
        {
            Log(LogPriority.Notice, "Failed to receive the leave message. failed: " + NodeSet.Format(failed));
        }

        _leaveMembers.Clear();
        State = MembershipState.Operational;
        Stats.OperationalEntered++;
        Stats.ContinuousGather = 0;
        _myReceivedFlg = true;
        _myOldRingId = _ringId;

        // New-ring messages that arrived while recovery finished are delivered in the new configuration.
        DeliverToApplication(skip: false, _myHighSeqReceived);
    }
}
