using System.Threading.Channels;
using Rookery.Config;
using Rookery.Groups;
using Rookery.Control;
using Rookery.Node.Control;
using Rookery.Quorum;
using Rookery.Services;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;
using ControlGroupMember = Rookery.Control.GroupMember;

namespace Rookery.Node.Shell;

/// <content>What applications and the CLI ask of the node: status, links, expected votes, link maintenance, groups.</content>
public sealed partial class ClusterNode
{
    /// <summary>How long a group command waits out a sync or a full send queue (CS_ERR_TRY_AGAIN) before failing.</summary>
    private static readonly TimeSpan s_tryAgainLimit = TimeSpan.FromSeconds(60);

    /// <summary>Longest wait for room in a full send queue before a sender asks again.</summary>
    private static readonly TimeSpan SendSpaceWaitMax = TimeSpan.FromMilliseconds(50);

    private readonly Dictionary<ulong, NodeGroupSession> _sessions = [];
    private readonly Lock _sendSpaceLock = new();
    private TaskCompletionSource? _sendSpace;
    private ulong _nextConnection;

    /// <summary>Who may use the control socket, from the configuration the node started with (uidgid sections).</summary>
    public ControlAccess ControlAccess(List<string> problems) => Control.ControlAccess.From(_config, problems);

    public Task<ClusterStatus> GetStatusAsync(CancellationToken cancellationToken) => InvokeAsync(_ => BuildStatus(), cancellationToken);

    ValueTask<ClusterStatus> INodeControl.GetStatusAsync(CancellationToken cancellationToken) => new(GetStatusAsync(cancellationToken));

    public ValueTask<LinksStatus> GetLinksAsync(CancellationToken cancellationToken) => new(InvokeAsync(_ => BuildLinks(), cancellationToken));

    public async ValueTask SetExpectedVotesAsync(uint votes, CancellationToken cancellationToken)
    {
        var result = await InvokeAsync(now => _stack.SetExpectedVotes(now, votes), cancellationToken).ConfigureAwait(false);
        if (result != QuorumCommandResult.Ok)
        {
            throw new NodeControlException(ControlErrorCodes.Refused,
                $"Unable to set expected votes: CS_ERR_INVALID_PARAM (expected votes must be at least the votes present and keep a quorate cluster quorate)");
        }
    }

    public async ValueTask SetLinkEnabledAsync(int link, bool enabled, bool clusterWide, CancellationToken cancellationToken)
    {
        await InvokeAsync(now =>
        {
            var configured = _config.ConfiguredLinks;
            if (!configured.Contains(new LinkId((byte)link)))
            {
                throw new NodeControlException(ControlErrorCodes.InvalidArgument,
                    $"link {link} is not configured (configured links: {string.Join(", ", configured)})");
            }

            if (clusterWide && !_stack.RequestLinkEnable(now, link, enabled))
            {
                throw new NodeControlException(ControlErrorCodes.Refused,
                    $"link {link} cannot be {(enabled ? "enabled" : "disabled")} cluster-wide: a member of the ring runs corosync, which does not "
                    + "know the request (or the ring is still synchronising); change it on each node instead");
            }
            else if (!clusterWide)
            {
                _links.SetLinkEnabled(now, new LinkId((byte)link), enabled);
            }

            Flush(now);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reopens the log file on the loop thread, the one that writes most lines, and logs corosync's line into the
    /// new file. A path that cannot be opened is refused and the old file kept.
    /// </summary>
    public async ValueTask ReopenLogAsync(CancellationToken cancellationToken)
    {
        var problems = await InvokeAsync(_ =>
        {
            var found = _log.ReopenFiles();
            foreach (var problem in found)
            {
                _log.Error(LogSubsystem.Main, problem);
            }

            if (found.Count == 0)
            {
                _log.Info(LogSubsystem.Main, "Reopening logging files");
            }

            return found;
        }, cancellationToken).ConfigureAwait(false);
        if (problems.Count > 0)
        {
            throw new NodeControlException(ControlErrorCodes.Refused, string.Join("; ", problems));
        }
    }

    public async ValueTask<IGroupSession> JoinGroupAsync(string group, uint pid, CancellationToken cancellationToken)
    {
        var name = CpgGroupName.FromString(group);
        var session = await InvokeAsync(_ => new NodeGroupSession(this, ++_nextConnection, group, pid), cancellationToken).ConfigureAwait(false);
        await RetryAsync(now =>
        {
            var result = _stack.JoinGroup(now, session.Connection, pid, name);
            if (result == GroupsResult.Ok)
            {
                _sessions[session.Connection] = session;
                Flush(now);
            }

            return result;
        }, "join", cancellationToken).ConfigureAwait(false);
        return session;
    }

    private async Task RetryAsync(Func<Instant, GroupsResult> command, string what, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + s_tryAgainLimit;
        var delay = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            var (result, queueFull) = await InvokeAsync(
                now =>
                {
                    var result = command(now);
                    return (result, result == GroupsResult.TryAgain && _stack.PendingSubmits >= NodeStack.PendingSubmitsMax);
                },
                cancellationToken).ConfigureAwait(false);
            switch (result)
            {
                case GroupsResult.Ok:
                    return;
                case GroupsResult.TryAgain or GroupsResult.Busy when DateTime.UtcNow < until:
                    if (queueFull)
                    {
                        // Flow control: retry as soon as Totem took half of the waiting messages (or after the delay).
                        await Task.WhenAny(SendSpaceAsync(), Task.Delay(SendSpaceWaitMax, cancellationToken)).ConfigureAwait(false);
                        cancellationToken.ThrowIfCancellationRequested();
                        continue;
                    }

                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 50));
                    continue;
                case GroupsResult.Exist:
                    throw new NodeControlException(ControlErrorCodes.GroupState, $"group {what}: this process already joined the group (CS_ERR_EXIST)");
                case GroupsResult.NotExist:
                    throw new NodeControlException(ControlErrorCodes.GroupState, $"group {what}: not joined (CS_ERR_NOT_EXIST)");
                case GroupsResult.TooBig:
                    throw new NodeControlException(ControlErrorCodes.InvalidArgument, $"group {what}: message larger than {GroupsLimits.MessageSizeMax} bytes (CS_ERR_TOO_BIG)");
                default:
                    throw new NodeControlException(ControlErrorCodes.Refused, $"group {what}: {result} for {s_tryAgainLimit.TotalSeconds} s (CS_ERR_TRY_AGAIN): is the node in a ring?");
            }
        }
    }

    /// <summary>Completes when the loop sees the send queue at or below half full (<see cref="SignalSendSpace"/>).</summary>
    private Task SendSpaceAsync()
    {
        lock (_sendSpaceLock)
        {
            _sendSpace ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _sendSpace.Task;
        }
    }

    /// <summary>On the loop, after each turn: wakes the senders that wait for room in the send queue.</summary>
    private void SignalSendSpace()
    {
        if (Volatile.Read(ref _sendSpace) is null || _stack.PendingSubmits > NodeStack.PendingSubmitsMax / 2)
        {
            return;
        }

        TaskCompletionSource? waiting;
        lock (_sendSpaceLock)
        {
            waiting = _sendSpace;
            _sendSpace = null;
        }

        waiting?.TrySetResult();
    }

    private ClusterStatus BuildStatus()
    {
        var quorum = _stack.Services.Quorum.Status;
        var members = quorum.Members.Select(id =>
        {
            var node = _config.FindNode(id);
            var votes = quorum.Nodes.FirstOrDefault(n => n.NodeId == id)?.Votes ?? node?.QuorumVotes ?? 0;
            var address = node?.RingAddresses.FirstOrDefault().Address ?? string.Empty;
            return new MemberInfo(id.Value, votes, node?.DisplayName ?? id.ToString(), id == _stack.Local, address);
        }).ToArray();
        return new ClusterStatus(
            new ClusterInfo(_config.Totem.ClusterName ?? "UNKOWN?", _config.Totem.ConfigVersion, _config.Totem.Transport, _config.Totem.IsSecure),
            new QuorumInfo(
                quorum.Quorate, _stack.Local.Value, _stack.Services.RingId.ToString(), quorum.ExpectedVotes, quorum.HighestExpected,
                quorum.TotalVotes, quorum.Quorum, quorum.FlagNames, _config.Quorum.Provider ?? "Not configured"),
            members,
            BuildLinks())
        {
            Counters = new EngineCounters(
                _stack.Totem.Stats.OrfTokenRx, _stack.Totem.Stats.McastTx, _stack.Totem.Stats.McastRx, _stack.Totem.Stats.McastRetransmitted,
                _stack.Totem.Stats.MessagesDelivered, _stack.Totem.Stats.OperationalEntered, _stack.Totem.Stats.TokenLost,
                _stack.Services.Groups.DeliveredMessages, _stack.Services.Groups.GroupCount),
        };
    }

    private LinksStatus BuildLinks()
    {
        var knet = _links.Core.Counters;
        var totem = _stack.Totem.Stats;
        var dropped = new DroppedPackets(
            knet.RxCryptErrors, knet.RxMalformed, _links.DatagramsFromUnknownSources, knet.RxUnknownHost, knet.RxWrongLink,
            knet.RxNotReachable, knet.RxDuplicates, knet.RxCompressed, knet.RxReassemblyErrors, knet.RxStalePongs,
            totem.DecodeErrors, totem.RxMessagesDropped, _stack.Services.MalformedMessages, knet.TxNoReachableDestination);
        return new(_stack.Local.Value, _config.Totem.Transport, _links.Status(_config, _stack.PeerLinkPriority), dropped);
    }

    /// <summary>Group names printed for deliveries kept at most (a cache; cleared when full).</summary>
    private const int EventGroupNamesMax = 1024;

    private readonly Dictionary<CpgGroupName, string> _eventGroupNames = [];
    private (RingId Id, string Text) _eventRing = (default, string.Empty);

    /// <summary>Hands group events to the local connections they are for.</summary>
    private void DispatchGroupEvent(Instant now, LocalGroupEvent groupEvent)
    {
        var time = GroupEvent.UnixTime(DateTimeOffset.UtcNow);
        if (_eventRing.Id != groupEvent.RingId || _eventRing.Text.Length == 0)
        {
            // Deliveries of one ring share the string (one per ring instead of one per message).
            _eventRing = (groupEvent.RingId, groupEvent.RingId.ToString());
        }

        var ring = _eventRing.Text;
        switch (groupEvent.Event)
        {
            case GroupMessageDelivered delivered:
                var data = delivered.Data.ToArray();
                if (!_eventGroupNames.TryGetValue(delivered.Group, out var group))
                {
                    if (_eventGroupNames.Count >= EventGroupNamesMax)
                    {
                        _eventGroupNames.Clear();
                    }

                    group = delivered.Group.ToString();
                    _eventGroupNames[delivered.Group] = group;
                }

                var message = new GroupEvent(GroupEvent.Deliver, group, delivered.NodeId.Value, delivered.Pid, data.Length, data, null, null, null, ring, time);
                Post(now, delivered.Recipients, message);
                break;
            case GroupConfigurationChanged changed:
                var membership = new GroupEvent(
                    GroupEvent.Membership, changed.Group.ToString(), null, null, null, null,
                    changed.Members.Select(m => new ControlGroupMember(m.NodeId.Value, m.Pid)).ToArray(),
                    changed.Joined.Select(m => new ControlGroupMember(m.NodeId.Value, m.Pid, Reason(m.Reason))).ToArray(),
                    changed.Left.Select(m => new ControlGroupMember(m.NodeId.Value, m.Pid, Reason(m.Reason))).ToArray(),
                    ring, time);
                Post(now, changed.Recipients, membership);
                foreach (var connection in changed.Recipients)
                {
                    if (_sessions.TryGetValue(connection, out var session)
                        && changed.Left.Any(l => l.NodeId == _stack.Local && l.Pid == session.Pid)
                        && _stack.Services.Groups.HandleState(connection) == GroupHandleState.Unjoined)
                    {
                        // Its own leave was delivered: the stream ends here.
                        _sessions.Remove(connection);
                        session.Complete(null);
                    }
                }

                break;
        }
    }

    private static string Reason(CpgReason reason) => reason switch
    {
        CpgReason.Join => ControlGroupMember.ReasonJoin,
        CpgReason.Leave => ControlGroupMember.ReasonLeave,
        CpgReason.NodeDown => ControlGroupMember.ReasonNodeDown,
        CpgReason.NodeUp => ControlGroupMember.ReasonNodeUp,
        _ => ControlGroupMember.ReasonProcDown,
    };

    private void Post(Instant now, IReadOnlyList<ulong> recipients, GroupEvent groupEvent)
    {
        foreach (var connection in recipients)
        {
            if (_sessions.TryGetValue(connection, out var session) && !session.TryPost(groupEvent))
            {
                // The reader fell too far behind: end its subscription rather than buffer without bound.
                _sessions.Remove(connection);
                _stack.Disconnect(now, connection);
                session.Complete(new NodeControlException(ControlErrorCodes.Refused,
                    $"group '{session.Group}': more than {ControlProtocol.EventBacklogMax} events not read; the subscription was ended (CS_ERR_TRY_AGAIN)"));
            }
        }
    }

    private void CloseSessions()
    {
        foreach (var session in _sessions.Values)
        {
            session.Complete(new NodeControlException(ControlErrorCodes.NotRunning, "the node stopped"));
        }

        _sessions.Clear();
    }

    /// <summary>One local process's membership in one group: a CPG handle.</summary>
    private sealed class NodeGroupSession(ClusterNode node, ulong connection, string group, uint pid) : IGroupSession
    {
        private readonly Channel<GroupEvent> _events = Channel.CreateBounded<GroupEvent>(
            new BoundedChannelOptions(ControlProtocol.EventBacklogMax) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

        private int _closed;

        public ulong Connection => connection;

        public uint Pid => pid;

        public string Group => group;

        public ChannelReader<GroupEvent> Events => _events.Reader;

        public bool TryPost(GroupEvent groupEvent) => _events.Writer.TryWrite(groupEvent);

        public void Complete(Exception? failure) => _events.Writer.TryComplete(failure);

        public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            var data = payload.ToArray();
            await node.RetryAsync(now =>
            {
                var result = node._stack.SendToGroup(now, connection, data);
                node.Flush(now);
                return result;
            }, "send", cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask SendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> payloads, CancellationToken cancellationToken)
        {
            // One loop turn takes as many as the send queue accepts; the rest waits for room, in order.
            var next = 0;
            try
            {
                await node.RetryAsync(now =>
                {
                    var result = GroupsResult.Ok;
                    while (next < payloads.Count && (result = node._stack.SendToGroup(now, connection, payloads[next])) == GroupsResult.Ok)
                    {
                        next++;
                    }

                    node.Flush(now);
                    return result;
                }, "send", cancellationToken).ConfigureAwait(false);
            }
            catch (NodeControlException exception)
            {
                throw new NodeControlException(exception.Code, $"{exception.Message}; {next} of the batch's {payloads.Count} messages were sent") { Accepted = next };
            }
        }

        public async ValueTask LeaveAsync(CancellationToken cancellationToken)
        {
            await node.RetryAsync(now =>
            {
                var result = node._stack.LeaveGroup(now, connection);
                node.Flush(now);
                return result;
            }, "leave", cancellationToken).ConfigureAwait(false);

            // Events completes when the leave is delivered (DispatchGroupEvent).
            Interlocked.Exchange(ref _closed, 1);
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0 && !node._loopExited)
            {
                try
                {
                    await node.InvokeAsync(now =>
                    {
                        node._sessions.Remove(connection);
                        node._stack.Disconnect(now, connection);
                        node.Flush(now);
                        return true;
                    }, CancellationToken.None).ConfigureAwait(false);
                }
                catch (NodeControlException)
                {
                    // The node stopped meanwhile.
                }
            }

            Complete(null);
        }
    }
}
