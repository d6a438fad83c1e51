using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Rookery.Config;
using Rookery.Groups;
using Rookery.Links;
using Rookery.Services;
using Rookery.Simulation.Checking;
using Rookery.Simulation.Harness;
using Rookery.Simulation.Scenarios;
using Rookery.Totem;
using Rookery.Wire.Knet;
using Rookery.Wire.Services;
using TotemDelivered = Rookery.Totem.Delivered;

namespace Rookery.Simulation.Nodes;

/// <summary>
/// One simulated node: the daemon's own composition (<see cref="NodeStack"/>: link layer, Totem, votequorum, process
/// groups, cfg, cmap), built by <see cref="NodeStackFactory"/> from a corosync.conf for the run, exactly as the daemon
/// builds it. This type routes nothing: it plays the daemon shell's part (sockets = the simulated network, state
/// directory = the node's storage, one cpg client) and turns the stack's output into what the checkers observe.
/// </summary>
/// <remarks>
/// The workload is a cpg client (pid 1000 + node id) that joins <see cref="CpgGroup"/> after the node's first sync and
/// multicasts the workload's stamped messages with <c>cpg_mcast_joined</c>. The checkers see Totem's configuration
/// changes and agreed deliveries through <see cref="NodeStack.ObserveTotemEvents"/> (a workload message is the data of
/// a cpg MCAST), cpg's confchgs from the groups core, and every quorum notification.
/// </remarks>
public sealed class ComposedNode : ISimulatedNode
{
    /// <summary>The cpg group every node's client joins.</summary>
    public static readonly CpgGroupName CpgGroup = CpgGroupName.FromString("sim");

    /// <summary>Key of the persisted ring sequence in the node's storage (corosync <c>ringid_&lt;nodeid&gt;</c>).</summary>
    public const string RingIdKey = "ringid";

    /// <summary>Key of the persisted expected-votes tracking barrier (corosync <c>ev_tracking</c>).</summary>
    public const string TrackingBarrierKey = "ev_tracking";

    /// <summary>Key of the persisted knet sequence lease (the daemon's <c>knet_txseq_&lt;nodeid&gt;</c>, see <see cref="TxSequenceLease"/>).</summary>
    public const string TxSequenceKey = "knet_txseq";

    /// <summary>
    /// Drains of the stack's output in one call, as the daemon's <c>ClusterNode.FlushRoundsMax</c>: an event handler calls
    /// the stack at most once (the client's join after the first sync), so two drains settle; thousands mean the handler
    /// and the stack feed each other for ever, a bug stopped loudly with the seed rather than a run that never ends.
    /// </summary>
    public const int DrainRoundsMax = 10_000;

    private const ulong ClientConnection = 1;

    private static readonly byte[] ClusterKey = Enumerable.Range(0, 128).Select(i => (byte)(i * 37 + 11)).ToArray();

    private readonly NodeEnvironment _environment;
    private readonly NodeStack _stack;
    private readonly List<ServiceOutput> _events = [];
    private readonly SortedDictionary<string, Rookery.Groups.GroupMember[]> _groupMembers = new(StringComparer.Ordinal);
    private NodeOutput _output = new();
    private GroupChangeCause _cause = GroupChangeCause.Sync;
    private bool _started;
    private bool _clientJoined;
    private readonly TxSequenceLease _txSequenceLease;

    public ComposedNode(NodeEnvironment environment, CorosyncConfig config)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(config);
        _environment = environment;
        Id = environment.Id;
        var ringSequence = environment.Storage.TryGetValue(RingIdKey, out var ring) ? BinaryPrimitives.ReadUInt64LittleEndian(ring) : 0;
        var barrier = environment.Storage.TryGetValue(TrackingBarrierKey, out var tracking) ? BinaryPrimitives.ReadUInt32LittleEndian(tracking) : 0;
        var log = new List<LogEntry>();

        // As the daemon does before its first packet: a restart never reuses the sequence numbers of a recent incarnation.
        _txSequenceLease = TxSequenceLease.Begin(environment.Storage.TryGetValue(TxSequenceKey, out var txSequence) ? BinaryPrimitives.ReadUInt16LittleEndian(txSequence) : null);
        PersistTxSequence(_txSequenceLease.Persisted);
        var linkOptions = new LinkLayerOptions
        {
            // Keyed as a production cluster is: corrupted datagrams fail the HMAC and are dropped and counted.
            Crypto = KnetCrypto.Create(KnetCipher.None, KnetHash.Sha256, ClusterKey),
            DeliverToSelf = false,
            InitialTxSequence = _txSequenceLease.Start,
        };
        var stack = NodeStackFactory.Create(config, Id, ringSequence, barrier, environment.Prng.Fork(), log, out var error, linkOptions, saltSource: null, observeTotemEvents: true);
        Invariant.Require(stack is not null, $"node {Id}: the run's configuration does not start: {error}");
        _stack = stack!;
        var errors = new List<string>();
        NodeStackFactory.AddPeers(_stack, config, environment.Now, errors);
        Invariant.Require(errors.Count == 0, $"node {Id}: {string.Join("; ", errors)}");
    }

    public NodeId Id { get; }

    /// <summary>The composition under test (the checkers read the link layer's selection and votequorum's state).</summary>
    public NodeStack Stack => _stack;

    /// <summary>Due at boot (the first tick starts the stack, as the daemon's loop does), then the stack's earliest timer.</summary>
    public Instant NextDeadline => _started ? _stack.NextDeadline : _environment.Now;

    public LinkId? ActiveLink(NodeId peer)
    {
        var active = _stack.Links.ActiveLinks(peer);
        return active.IsEmpty ? null : active[0];
    }

    /// <summary>The corosync.conf of a run: its nodelist with one address per link, the links' priorities, the quorum options.</summary>
    public static string ConfigText(FaultPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var text = new StringBuilder("totem {\n version: 2\n cluster_name: sim\n crypto_hash: sha256\n");
        for (var link = 0; link < plan.LinkCount; link++)
        {
            text.Append(CultureInfo.InvariantCulture, $" interface {{\n  linknumber: {link}\n  knet_link_priority: {plan.LinkPriorities[link]}\n }}\n");
        }

        text.Append("}\n").Append(plan.Quorum.ConfigSection()).Append("nodelist {\n");
        foreach (var node in plan.Nodes)
        {
            text.Append(CultureInfo.InvariantCulture, $" node {{\n  nodeid: {node}\n  name: n{node}\n");
            for (var link = 0; link < plan.LinkCount; link++)
            {
                text.Append(CultureInfo.InvariantCulture, $"  ring{link}_addr: 10.{link}.0.{node}\n");
            }

            text.Append(" }\n");
        }

        return text.Append("}\n").ToString();
    }

    /// <summary>The parsed configuration of a run (shared by its nodes: the model is read-only).</summary>
    public static CorosyncConfig Config(FaultPlan plan)
    {
        var loaded = ConfigLoader.Parse(ConfigText(plan), "corosync.conf");
        Invariant.Require(!loaded.HasErrors, $"seed {plan.Seed}: the run's corosync.conf does not parse: {string.Join("; ", loaded.Errors)}");
        return loaded.Config;
    }

    public void Tick(Instant now, NodeOutput output)
    {
        _output = output;
        if (!_started)
        {
            _started = true;
            _stack.SetNodelist(now, _environment.Nodes);
            _stack.Start(now);
        }
        else if (_stack.NextDeadline <= now)
        {
            _stack.Tick(now);
        }

        Drain(now);
    }

    public void Receive(Instant now, LinkId link, NodeId from, ReadOnlyMemory<byte> datagram, NodeOutput output)
    {
        _output = output;
        if (!_started)
        {
            return;
        }

        // No addresses in the simulation: the link layer knows the sender from the knet header, as after the access list.
        _stack.Receive(now, link, datagram.Span);
        Drain(now);
    }

    public bool TrySubmit(Instant now, ReadOnlyMemory<byte> payload, NodeOutput output)
    {
        _output = output;
        if (!_started || !_clientJoined)
        {
            return false;
        }

        // TryAgain while a sync runs or the send queue is full, as cpg answers CS_ERR_TRY_AGAIN.
        var accepted = _stack.SendToGroup(now, ClientConnection, payload) == GroupsResult.Ok;
        Drain(now);
        return accepted;
    }

    private void PersistTxSequence(ushort value)
    {
        var bytes = new byte[sizeof(ushort)];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        _environment.Storage[TxSequenceKey] = bytes;
    }

    /// <summary>Carries out the stack's output in <see cref="StackOutput"/>'s order: persist, send, logs, events.</summary>
    private void Drain(Instant now)
    {
        if (_txSequenceLease.Renew(_stack.Links.TxSequence) is { } renewed)
        {
            PersistTxSequence(renewed);
        }

        var output = _stack.Output;
        for (var round = 0; !output.IsEmpty; round++)
        {
            if (round >= DrainRoundsMax)
            {
                Invariant.Fail($"node {Id}: the stack kept producing output for {DrainRoundsMax} drains");
            }

            if (output.RingSequenceToPersist is { } sequence)
            {
                var bytes = new byte[sizeof(ulong)];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, sequence);
                _environment.Storage[RingIdKey] = bytes;
            }

            if (output.TrackingBarrierToPersist is { } barrier)
            {
                var bytes = new byte[sizeof(uint)];
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, barrier);
                _environment.Storage[TrackingBarrierKey] = bytes;
            }

            foreach (var datagram in output.Datagrams)
            {
                _output.Datagrams.Add(new OutgoingDatagram(datagram.Destination, datagram.Link, datagram.Bytes));
            }

            if (_output.LogWanted)
            {
                foreach (var entry in output.Logs)
                {
                    _output.Log.Add(entry.ToString());
                }
            }

            _events.AddRange(output.Events);
            output.Clear();
            foreach (var outputEvent in _events)
            {
                Handle(now, outputEvent);
            }

            _events.Clear();
        }
    }

    private void Handle(Instant now, ServiceOutput outputEvent)
    {
        switch (outputEvent)
        {
            case TotemObserved { Event: ConfigurationChanged change }:
                _cause = GroupChangeCause.Sync;
                _output.Add(change);
                break;
            case TotemObserved { Event: TotemDelivered delivered }:
                OnDelivered(delivered);
                break;
            case LocalGroupEvent { Event: GroupConfigurationChanged change }:
                var group = Encoding.UTF8.GetString(change.Group.Value);
                _groupMembers[group] = [.. change.Members];
                _output.Add(new GroupChange(
                    group,
                    change.Members.Select(m => new Checking.GroupMember(m.NodeId, m.Pid)).ToArray(),
                    change.Left.Select(l => (new Checking.GroupMember(l.NodeId, l.Pid), (int)l.Reason)).ToArray(),
                    change.Joined.Select(j => (new Checking.GroupMember(j.NodeId, j.Pid), (int)j.Reason)).ToArray(),
                    _cause));
                break;
            case QuorumReported reported:
                _output.Events.Add(new QuorumOccurred(reported.Notification));
                break;
            case SyncCompleted:
                // The view at this point of the output (the stack may have moved on within the same call): every
                // group's members as its last confchg said.
                var processes = _groupMembers.SelectMany(g => g.Value.Order().Select(m => $"{g.Key}:{m}"));
                _output.Add(new GroupChange($"*[{string.Join(",", processes)}]", [], [], [], GroupChangeCause.Snapshot));
                if (!_clientJoined)
                {
                    // Adds output to the stack; the drain loop carries it out next.
                    _clientJoined = _stack.JoinGroup(now, ClientConnection, 1000 + Id.Value, CpgGroup) == GroupsResult.Ok;
                }

                break;
        }
    }

    /// <summary>A Totem delivery: the sync group's messages drive the sync (its group events are per node); a workload message goes to the checkers.</summary>
    private void OnDelivered(TotemDelivered delivered)
    {
        var payload = delivered.Payload.Span;
        if (GroupHeader.TryUnwrap(payload, GroupHeader.Sync, out var isSync, out _) == ServiceDecodeStatus.Ok && isSync)
        {
            _cause = GroupChangeCause.Sync;
            return;
        }

        _cause = GroupChangeCause.Agreed;
        if (GroupHeader.TryUnwrap(payload, GroupHeader.Executive, out var isExecutive, out var body) == ServiceDecodeStatus.Ok && isExecutive
            && CpgCodec.TryDecode(body, out var message) == ServiceDecodeStatus.Ok
            && message is CpgMcastMessage mcast && mcast.Group == CpgGroup)
        {
            _output.Add(new TotemDelivered(delivered.Sender, delivered.RingId, mcast.Data));
        }
    }
}
