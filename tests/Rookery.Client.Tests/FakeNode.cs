using System.Threading.Channels;
using Rookery.Cli.Tests;
using Rookery.Control;

namespace Rookery.Client.Tests;

/// <summary>
/// A stand-in node for protocol tests: fixed status, records the requests it got, and a one-node group bus that
/// delivers every message to every session of its group in send order.
/// </summary>
internal sealed class FakeNode : INodeControl
{
    private readonly Lock _lock = new();
    private readonly List<FakeSession> _sessions = [];
    private int _messagesSent;

    public ClusterStatus Status { get; set; } = Samples.ThreeNodeStatus();

    public List<string> Calls { get; } = [];

    /// <summary>While set and not complete, every group send waits for it (a node whose send queue is full).</summary>
    public Task? SendGate { get; set; }

    /// <summary>Group messages this predicate matches are refused (a node that cannot send).</summary>
    public Func<ReadOnlyMemory<byte>, bool>? RefuseSend { get; set; }

    /// <summary>Group messages the node took.</summary>
    public int MessagesSent
    {
        get
        {
            lock (_lock)
            {
                return _messagesSent;
            }
        }
    }

    public int ActiveSessions
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Count;
            }
        }
    }

    public ValueTask<ClusterStatus> GetStatusAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Status);

    public ValueTask<LinksStatus> GetLinksAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Status.Links);

    public ValueTask SetExpectedVotesAsync(uint votes, CancellationToken cancellationToken)
    {
        Record($"expected {votes}");
        if (votes < Status.Quorum.TotalVotes)
        {
            throw new NodeControlException(ControlErrorCodes.Refused, "Unable to set expected votes: CS_ERR_INVALID_PARAM");
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask SetLinkEnabledAsync(int link, bool enabled, bool clusterWide, CancellationToken cancellationToken)
    {
        Record($"link {link} {(enabled ? "enable" : "disable")} {(clusterWide ? "cluster" : "local")}");
        return ValueTask.CompletedTask;
    }

    public ValueTask<ReloadReport> ReloadAsync(bool dryRun, CancellationToken cancellationToken)
    {
        Record($"reload dry_run={dryRun}");
        return ValueTask.FromResult(new ReloadReport(dryRun, true, "/etc/rookery/corosync.conf", 5, ["link 1 added"], [], []));
    }

    public ValueTask<IGroupSession> JoinGroupAsync(string group, uint pid, CancellationToken cancellationToken)
    {
        var session = new FakeSession(this, group, pid);
        lock (_lock)
        {
            _sessions.Add(session);
            Broadcast(group, Membership(group, joined: [new GroupMember(1, pid, GroupMember.ReasonJoin)], left: []));
        }

        return ValueTask.FromResult<IGroupSession>(session);
    }

    private void Record(string call)
    {
        lock (_lock)
        {
            Calls.Add(call);
        }
    }

    private GroupEvent Membership(string group, IReadOnlyList<GroupMember> joined, IReadOnlyList<GroupMember> left) =>
        new(GroupEvent.Membership, group, null, null, null, null,
            _sessions.Where(s => s.Group == group).Select(s => new GroupMember(1, s.Pid)).ToArray(), joined, left, "1.4", 1764129000.5m);

    private void Broadcast(string group, GroupEvent groupEvent)
    {
        foreach (var session in _sessions.Where(s => s.Group == group))
        {
            session.Channel.Writer.TryWrite(groupEvent);
        }
    }

    private void Send(FakeSession sender, ReadOnlyMemory<byte> payload)
    {
        lock (_lock)
        {
            _messagesSent++;
            var data = payload.ToArray();
            Broadcast(sender.Group, new GroupEvent(GroupEvent.Deliver, sender.Group, 1, sender.Pid, data.Length, data, null, null, null, "1.4", 1764129000.25m));
        }
    }

    private void Leave(FakeSession session)
    {
        lock (_lock)
        {
            if (!_sessions.Remove(session))
            {
                return;
            }

            var left = Membership(session.Group, joined: [], left: [new GroupMember(1, session.Pid, GroupMember.ReasonLeave)]);
            session.Channel.Writer.TryWrite(left);
            session.Channel.Writer.TryComplete();
            Broadcast(session.Group, left);
        }
    }

    private sealed class FakeSession(FakeNode node, string group, uint pid) : IGroupSession
    {
        public Channel<GroupEvent> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<GroupEvent>();

        public uint Pid => pid;

        public string Group => group;

        public ChannelReader<GroupEvent> Events => Channel.Reader;

        public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            if (node.SendGate is { } gate)
            {
                await gate.WaitAsync(cancellationToken);
            }

            if (node.RefuseSend?.Invoke(payload) == true)
            {
                throw new NodeControlException(ControlErrorCodes.Refused, "group send: refused by the test (CS_ERR_TRY_AGAIN)");
            }

            node.Send(this, payload);
        }

        public ValueTask LeaveAsync(CancellationToken cancellationToken)
        {
            node.Leave(this);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            node.Leave(this);
            return ValueTask.CompletedTask;
        }
    }
}
