using Rookery.Groups;
using Rookery.Quorum;
using Rookery.Totem;
using Rookery.Wire.Services;

namespace Rookery.Services;

/// <summary>
/// Totem and the services above it for one node, wired as the shell wires them but without any I/O: datagrams
/// from the link layer go to <see cref="TotemSrp"/>, its events to the <see cref="ServiceLayer"/>, whose messages
/// go back to Totem for agreed delivery. Submissions Totem cannot take yet wait here in order (never reordered,
/// never dropped); client sends are refused with TryAgain while too many wait. The shell drains
/// <see cref="Datagrams"/> (to the link layer), <see cref="Outputs"/> (logs, group events, quorum, requests)
/// and <see cref="RingSequenceToPersist"/> after every call.
/// </summary>
public sealed class NodeStack
{
    /// <summary>Service messages waiting for Totem's send queue before client sends are pushed back.</summary>
    public const int PendingSubmitsMax = 1024;

    private readonly TotemSrp _totem;
    private readonly ServiceLayer _services;
    private readonly TotemOutput _totemOutput = new();
    private readonly List<ServiceOutput> _serviceOutputs = [];
    private readonly Queue<byte[]> _pendingSubmits = new();
    private Instant _now;

    public NodeStack(NodeId local, TotemSrp totem, ServiceLayer services)
    {
        Local = local;
        _totem = totem;
        _services = services;
    }

    public NodeId Local { get; }

    public TotemSrp Totem => _totem;

    public ServiceLayer Services => _services;

    /// <summary>Totem datagrams to send; node id 0 = every other node.</summary>
    public List<TotemDatagram> Datagrams { get; } = [];

    /// <summary>Everything else for the shell, in order.</summary>
    public List<ServiceOutput> Outputs { get; } = [];

    /// <summary>Set when the ring sequence must be written to <c>ringid_&lt;nodeid&gt;</c> before the datagrams go out.</summary>
    public ulong? RingSequenceToPersist { get; set; }

    public int PendingSubmits => _pendingSubmits.Count;

    public Instant NextDeadline => Instant.Min(_totem.NextDeadline, _services.NextDeadline);

    public void Start(Instant now)
    {
        _now = now;
        _services.Start(now, _serviceOutputs);
        Route();
        _totem.Start(now, _totemOutput);
        Route();
    }

    /// <summary>The nodes of the nodelist (at start and after a reload): Totem drops strangers and fails removed members.</summary>
    public void SetNodelist(Instant now, IReadOnlyList<NodeId> nodes)
    {
        _now = now;
        _totem.SetNodelist(now, nodes, _totemOutput);
        Route();
    }

    public void Receive(Instant now, NodeId from, ReadOnlySpan<byte> bytes)
    {
        _now = now;
        _totem.Receive(now, from, bytes, _totemOutput);
        Route();
    }

    public void Tick(Instant now)
    {
        _now = now;
        _totem.Tick(now, _totemOutput);
        _services.Tick(now, _serviceOutputs);
        Route();
    }

    public void OnPeerUnreachable(Instant now, NodeId peer)
    {
        _now = now;
        _totem.OnPeerUnreachable(now, peer, _totemOutput);
        Route();
    }

    public void OnPeerReachable(Instant now, NodeId peer)
    {
        _now = now;
        _totem.OnPeerReachable(now, peer, _totemOutput);
        Route();
    }

    public void OnLinkSwitched(Instant now, NodeId peer)
    {
        _now = now;
        _totem.OnLinkSwitched(now, peer, _totemOutput);
        Route();
    }

    public GroupsResult JoinGroup(Instant now, ulong connection, uint pid, CpgGroupName group) =>
        Command(now, () => _services.JoinGroup(connection, pid, group, _serviceOutputs));

    public GroupsResult LeaveGroup(Instant now, ulong connection) =>
        Command(now, () => _services.LeaveGroup(connection, _serviceOutputs));

    /// <summary>A client's message; TryAgain while the send queue is full (the client retries).</summary>
    public GroupsResult SendToGroup(Instant now, ulong connection, ReadOnlyMemory<byte> data) =>
        _pendingSubmits.Count >= PendingSubmitsMax
            ? GroupsResult.TryAgain
            : Command(now, () => _services.SendToGroup(connection, data, _serviceOutputs));

    public void Disconnect(Instant now, ulong connection) => Command(now, () =>
    {
        _services.Disconnect(connection, _serviceOutputs);
        return 0;
    });

    public QuorumCommandResult SetExpectedVotes(Instant now, uint votes) =>
        Command(now, () => _services.SetExpectedVotes(votes, _serviceOutputs));

    public void RequestReload(Instant now, ulong requestId) => Command(now, () =>
    {
        _services.RequestReload(requestId, _serviceOutputs);
        return 0;
    });

    public void RequestLinkEnable(Instant now, int link, bool enabled) => Command(now, () =>
    {
        _services.RequestLinkEnable(link, enabled, _serviceOutputs);
        return 0;
    });

    public void SetConfigVersion(Instant now, ulong configVersion) => Command(now, () =>
    {
        _services.SetConfigVersion(configVersion, _serviceOutputs);
        return 0;
    });

    /// <summary>A reload's quorum settings (see <see cref="ServiceLayer.ReloadQuorum"/>).</summary>
    public bool ReloadQuorum(Instant now, QuorumSettings settings) =>
        Command(now, () => _services.ReloadQuorum(settings, _serviceOutputs));

    /// <summary>A reload changed this node's link priorities: announce them to the members.</summary>
    public void SetLinkPriorities(Instant now, LinkPriorities priorities) => Command(now, () =>
    {
        _services.SetLinkPriorities(priorities, _serviceOutputs);
        return 0;
    });

    /// <summary>Peer's announced priority for a link, or null.</summary>
    public int? PeerLinkPriority(uint node, int link) => _services.PeerLinkPriority(node, link);

    /// <summary>Clean shutdown, step 1: announce it to the services of every member (delivered in order).</summary>
    public void AnnounceShutdown(Instant now) => Command(now, () =>
    {
        _services.Shutdown(_serviceOutputs);
        return 0;
    });

    /// <summary>Clean shutdown, step 2: Totem's leave message, so the others re-form at once.</summary>
    public void Leave(Instant now)
    {
        _now = now;
        _totem.Leave(now, _totemOutput);
        Route();
    }

    private T Command<T>(Instant now, Func<T> command)
    {
        _now = now;
        var result = command();
        Route();
        return result;
    }

    /// <summary>
    /// Moves outputs along until nothing moves: Totem's events go to the services, whose submissions go to Totem,
    /// which may produce events again (its own messages are delivered to itself synchronously in a one-node ring).
    /// </summary>
    private void Route()
    {
        for (var round = 0; round < 10_000; round++)
        {
            var moved = DrainTotem();
            moved |= DrainServices();
            moved |= SubmitPending();
            if (!moved)
            {
                return;
            }
        }

        Invariant.Fail("the node stack kept routing for 10000 rounds");
    }

    private bool DrainTotem()
    {
        if (_totemOutput.RingSequenceToPersist is { } sequence)
        {
            RingSequenceToPersist = sequence;
        }

        Datagrams.AddRange(_totemOutput.Datagrams);
        foreach (var entry in _totemOutput.Logs)
        {
            Outputs.Add(new ServiceLog(LogSubsystem.Totem, Priority(entry.Level), entry.Message, new LogFields(Ring: _totem.RingId.ToString())));
        }

        var events = _totemOutput.Events.ToArray();
        var moved = _totemOutput.Datagrams.Count > 0 || events.Length > 0 || _totemOutput.Logs.Count > 0;
        _totemOutput.Clear();
        foreach (var totemEvent in events)
        {
            _services.OnTotemEvent(_now, totemEvent, _serviceOutputs);
        }

        return moved;
    }

    private bool DrainServices()
    {
        if (_serviceOutputs.Count == 0)
        {
            return false;
        }

        foreach (var output in _serviceOutputs)
        {
            if (output is TotemSubmit submit)
            {
                _pendingSubmits.Enqueue(submit.Payload);
                continue;
            }

            Outputs.Add(output);
            if (output is SyncCompleted completed)
            {
                // corosync's totempg_trans_ack: the sync's messages are out, what waited may go now.
                _totem.TransAck(_now, completed.RingId, _totemOutput);
            }
        }

        _serviceOutputs.Clear();
        return true;
    }

    private bool SubmitPending()
    {
        var moved = false;
        while (_pendingSubmits.TryPeek(out var payload) && _totem.Submit(_now, payload, _totemOutput))
        {
            _pendingSubmits.Dequeue();
            moved = true;
        }

        return moved;
    }

    private static LogPriority Priority(TotemLogLevel level) => level switch
    {
        TotemLogLevel.Error => LogPriority.Error,
        TotemLogLevel.Warning => LogPriority.Warning,
        TotemLogLevel.Notice => LogPriority.Notice,
        _ => LogPriority.Debug,
    };
}
