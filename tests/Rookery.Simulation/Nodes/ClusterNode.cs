using System.Buffers.Binary;
using Rookery.Groups;
using Rookery.Simulation.Checking;
using Rookery.Simulation.Harness;
using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;
using TotemDelivered = Rookery.Totem.Delivered;

namespace Rookery.Simulation.Nodes;

/// <summary>
/// One simulated node: the real cores wired as the node shell wires them. Totem's datagrams travel
/// over the link layer (or, without one, straight on link 0); Totem's deliveries are dispatched by
/// their totempg group header: group "a" to the groups core (cpg), group "sync" to the service
/// synchronisation barrier, and the simulation's own group <see cref="WorkloadGroup"/> to the checkers.
/// </summary>
/// <remarks>
/// Service synchronisation is corosync's exec/sync.c reduced to the one service that has sync
/// callbacks here (cpg): after each regular configuration, the groups core multicasts its DOWNLIST and
/// JOINLIST, then the node multicasts a BARRIER for the ring; once barriers of the ring from every
/// member are delivered, the groups core activates. (SERVICE_BUILD is skipped: every node runs the
/// same services.) Each node runs one cpg client (pid 1000 + node id) that joins <see cref="CpgGroup"/>
/// after its first sync.
/// </remarks>
public sealed class ClusterNode : ISimulatedNode
{
    /// <summary>The totempg group of the simulation's workload messages.</summary>
    public static ReadOnlySpan<byte> WorkloadGroup => "w"u8;

    /// <summary>The cpg group every node's client joins.</summary>
    public static readonly CpgGroupName CpgGroup = CpgGroupName.FromString("sim");

    /// <summary>Key of the persisted ring sequence in the node's storage (corosync <c>ringid_&lt;nodeid&gt;</c>).</summary>
    public const string RingIdKey = "ringid";

    private const ulong ClientConnection = 1;

    private readonly NodeEnvironment _environment;
    private readonly TotemSrp _totem;
    private readonly TotemOutput _totemOutput = new();
    private readonly ProcessGroups _groups;
    private readonly List<GroupsOutput> _groupsOutput = [];
    private readonly Queue<byte[]> _serviceBacklog = new();
    private readonly HashSet<NodeId> _barriers = [];
    private readonly ILinkTransport _transport;
    private NodeOutput _output = new();
    private Instant _now;
    private RingId? _syncRing;
    private IReadOnlyList<NodeId> _members = [];
    private bool _clientJoined;
    private bool _started;

    public ClusterNode(NodeEnvironment environment, TotemOptions totemOptions, Func<NodeEnvironment, ILinkTransport>? transport = null)
    {
        _environment = environment;
        Id = environment.Id;
        _now = environment.Now;
        var persisted = environment.Storage.TryGetValue(RingIdKey, out var stored) ? BinaryPrimitives.ReadUInt64LittleEndian(stored) : 0;
        _totem = new TotemSrp(Id, totemOptions, environment.Prng.Fork(), persisted);
        _groups = new ProcessGroups(Id);
        _transport = transport?.Invoke(environment) ?? new DirectTransport(environment);
    }

    public NodeId Id { get; }

    public TotemSrp Totem => _totem;

    public ProcessGroups Groups => _groups;

    public ILinkTransport Transport => _transport;

    /// <summary>Due at boot (the first tick starts Totem, so its first datagrams reach the network), then the cores' earliest timer.</summary>
    public Instant NextDeadline => _started ? Instant.Min(_totem.NextDeadline, _transport.NextDeadline) : _now;

    public LinkId? ActiveLink(NodeId peer) => _transport.ActiveLink(peer);

    public void Tick(Instant now, NodeOutput output)
    {
        Begin(now, output);
        if (!_started)
        {
            _started = true;
            _totem.SetNodelist(now, _environment.Nodes, _totemOutput);
            _totem.Start(now, _totemOutput);
        }

        if (_transport.NextDeadline <= now)
        {
            _transport.Tick(now, this);
        }

        if (_totem.NextDeadline <= now)
        {
            _totem.Tick(now, _totemOutput);
        }

        RouteTotem();
    }

    public void Receive(Instant now, LinkId link, NodeId from, ReadOnlyMemory<byte> datagram, NodeOutput output)
    {
        Begin(now, output);
        if (!_started)
        {
            return;
        }

        _transport.Receive(now, link, from, datagram, this);
        RouteTotem();
    }

    public bool TrySubmit(Instant now, ReadOnlyMemory<byte> payload, NodeOutput output)
    {
        Begin(now, output);
        if (!_started)
        {
            return false;
        }

        if (_totem.WaitingTransAck)
        {
            return false; // As cpg answers CS_ERR_TRY_AGAIN during a sync: only the sync's messages go out now.
        }

        var accepted = _totem.Submit(now, GroupHeader.Wrap(WorkloadGroup, payload.Span), _totemOutput);
        RouteTotem();
        return accepted;
    }

    // ---- called by the transport ----

    /// <summary>The transport delivers a Totem datagram from <paramref name="from"/>.</summary>
    internal void OnTotemDatagram(NodeId from, ReadOnlySpan<byte> bytes)
    {
        _totem.Receive(_now, from, bytes, _totemOutput);
        RouteTotem();
    }

    internal void OnPeerUnreachable(NodeId peer)
    {
        _totem.OnPeerUnreachable(_now, peer, _totemOutput);
        RouteTotem();
    }

    internal void OnPeerReachable(NodeId peer)
    {
        _totem.OnPeerReachable(_now, peer, _totemOutput);
        RouteTotem();
    }

    internal void OnLinkSwitched(NodeId peer)
    {
        _totem.OnLinkSwitched(_now, peer, _totemOutput);
        RouteTotem();
    }

    internal void Send(NodeId to, LinkId link, byte[] bytes) => _output.Datagrams.Add(new OutgoingDatagram(to, link, bytes));

    internal void Log(string line) => _output.Log.Add(line);

    private void Begin(Instant now, NodeOutput output)
    {
        _now = now;
        _output = output;
        TrySubmitServiceBacklog();
    }

    /// <summary>Carries out Totem's outputs until none are left (routing may submit more).</summary>
    private void RouteTotem()
    {
        for (var round = 0; round < 10_000; round++)
        {
            if (_totemOutput.RingSequenceToPersist is { } sequence)
            {
                var bytes = new byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, sequence);
                _environment.Storage[RingIdKey] = bytes;
            }

            if (_totemOutput.Datagrams.Count == 0 && _totemOutput.Events.Count == 0 && _totemOutput.Logs.Count == 0)
            {
                _totemOutput.Clear();
                return;
            }

            var datagrams = _totemOutput.Datagrams.ToArray();
            var events = _totemOutput.Events.ToArray();
            foreach (var entry in _totemOutput.Logs)
            {
                _output.Log.Add(entry.ToString());
            }

            _totemOutput.Clear();
            foreach (var datagram in datagrams)
            {
                _transport.SendTotem(_now, datagram.To, datagram.Bytes, this);
            }

            foreach (var totemEvent in events)
            {
                OnTotemEvent(totemEvent);
            }
        }

        Invariant.Fail("routing Totem's outputs does not settle");
    }

    private void OnTotemEvent(TotemEvent totemEvent)
    {
        switch (totemEvent)
        {
            case ConfigurationChanged change:
                _output.Add(change);
                _groups.OnConfigurationChanged(change, _groupsOutput);
                RouteGroups(GroupChangeCause.Sync);
                if (change.Kind == ConfigurationKind.Regular)
                {
                    _syncRing = change.RingId;
                    _members = change.Members;
                    _barriers.Clear();
                    SubmitService(GroupHeader.Wrap(GroupHeader.Sync, SyncMessages.EncodeBarrier(change.RingId)));
                }

                break;
            case TotemDelivered delivered:
                OnDelivered(delivered);
                break;
            default:
                break;
        }
    }

    private void OnDelivered(TotemDelivered delivered)
    {
        var message = delivered.Payload.Span;
        if (GroupHeader.TryUnwrap(message, WorkloadGroup, out var isWorkload, out var body) != ServiceDecodeStatus.Ok)
        {
            Log($"dropped a delivery from {delivered.Sender} without a valid group header");
            return;
        }

        if (isWorkload)
        {
            _output.Add(new TotemDelivered(delivered.Sender, delivered.RingId, body.ToArray()));
            return;
        }

        if (GroupHeader.TryUnwrap(message, GroupHeader.Executive, out var isExecutive, out body) == ServiceDecodeStatus.Ok && isExecutive)
        {
            _groups.OnDelivered(new TotemDelivered(delivered.Sender, delivered.RingId, body.ToArray()), _groupsOutput);
            RouteGroups(GroupChangeCause.Agreed);
            return;
        }

        if (GroupHeader.TryUnwrap(message, GroupHeader.Sync, out var isSync, out body) == ServiceDecodeStatus.Ok && isSync
            && SyncMessages.TryDecodeBarrier(body, out var barrierRing) == ServiceDecodeStatus.Ok)
        {
            OnBarrier(delivered.Sender, barrierRing);
        }
    }

    private void OnBarrier(NodeId sender, RingId ring)
    {
        if (ring != _syncRing)
        {
            return; // corosync: "barrier for old ring - discarding"
        }

        _barriers.Add(sender);
        if (!_members.All(_barriers.Contains))
        {
            return;
        }

        _syncRing = null;
        _groups.SyncActivate(_groupsOutput);
        RouteGroups(GroupChangeCause.Sync);
        _totem.TransAck(_now, ring, _totemOutput);
        var processes = _groups.Processes.Select(p => $"{System.Text.Encoding.UTF8.GetString(p.Group.Value)}:{p.Member}");
        _output.Add(new GroupChange($"*[{string.Join(",", processes)}]", [], [], [], GroupChangeCause.Snapshot));
        if (!_clientJoined)
        {
            var result = _groups.Join(ClientConnection, 1000 + Id.Value, CpgGroup, _groupsOutput);
            _clientJoined = result == GroupsResult.Ok;
            RouteGroups(GroupChangeCause.Agreed);
        }
    }

    private void RouteGroups(GroupChangeCause cause)
    {
        foreach (var output in _groupsOutput.ToArray())
        {
            switch (output)
            {
                case GroupsSend send:
                    SubmitService(GroupHeader.Wrap(GroupHeader.Executive, send.Message));
                    break;
                case GroupConfigurationChanged change:
                    _output.Add(new GroupChange(
                        System.Text.Encoding.UTF8.GetString(change.Group.Value),
                        change.Members.Select(m => new Checking.GroupMember(m.NodeId, m.Pid)).ToArray(),
                        change.Left.Select(l => (new Checking.GroupMember(l.NodeId, l.Pid), (int)l.Reason)).ToArray(),
                        change.Joined.Select(j => (new Checking.GroupMember(j.NodeId, j.Pid), (int)j.Reason)).ToArray(),
                        cause));
                    break;
                case GroupsLog log:
                    _output.Log.Add($"[CPG   ] {log.Text}");
                    break;
                default:
                    break;
            }
        }

        _groupsOutput.Clear();
    }

    /// <summary>Service messages must not be lost to flow control: what Totem refuses waits in order for the next call.</summary>
    private void SubmitService(byte[] message)
    {
        _serviceBacklog.Enqueue(message);
        TrySubmitServiceBacklog();
    }

    private void TrySubmitServiceBacklog()
    {
        while (_serviceBacklog.TryPeek(out var next) && _totem.Submit(_now, next, _totemOutput))
        {
            _serviceBacklog.Dequeue();
        }
    }
}
