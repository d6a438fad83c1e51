using Rookery.Quorum;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Ipc.Services;

/// <summary>
/// corosync's votequorum service (votequorum.c, service 5): getinfo, setexpected, setvotes, trackstart/stop, the
/// quorum, node-list and expected-votes callbacks, and the quorum device calls corosync-qdevice makes (register,
/// unregister, update, poll, master_wins). A registration is answered when its message comes back in agreed order.
/// </summary>
public sealed class VotequorumService(ICorosyncNode node) : IIpcService
{
    private const int RequestGetInfo = 0;
    private const int RequestSetExpected = 1;
    private const int RequestSetVotes = 2;
    private const int RequestTrackStart = 3;
    private const int RequestTrackStop = 4;
    private const int RequestQdeviceRegister = 5;
    private const int RequestQdeviceUnregister = 6;
    private const int RequestQdeviceUpdate = 7;
    private const int RequestQdevicePoll = 8;
    private const int RequestQdeviceMasterWins = 9;
    private const int QdeviceNameSize = 255;
    private const int QdeviceNameOffset = 16;
    private const int ResponseStatus = 0;
    private const int ResponseGetInfo = 1;
    private const int ResponseQuorumNotification = 3;
    private const int ResponseExpectedVotesNotification = 4;
    private const int ResponseNodelistNotification = 5;
    private const int GetInfoSize = 320;
    private const uint QdeviceNodeId = 0;
    private const uint TrackCurrent = 1;
    private const uint TrackChanges = 2;
    private const uint TrackChangesOnly = 4;

    /// <summary>VOTEQUORUM_INFO_* bits that describe the cluster (the qdevice bits are per node).</summary>
    private const QuorumInfoFlags ClusterFlags = QuorumInfoFlags.TwoNode | QuorumInfoFlags.Quorate | QuorumInfoFlags.WaitForAll
        | QuorumInfoFlags.LastManStanding | QuorumInfoFlags.AutoTieBreaker | QuorumInfoFlags.AllowDownscale;

    private readonly List<IpcClient> _trackers = [];
    private uint? _lastExpectedVotes;

    /// <summary>The client whose quorum device registration waits for its message to come back.</summary>
    private IpcClient? _registering;

    public string Name => "votequorum";

    public void OnConnect(IpcClient client) => client.State = new Connection();

    public void OnDisconnect(IpcClient client) => _trackers.Remove(client);

    public void OnRequest(IpcClient client, byte[] request)
    {
        var state = (Connection)client.State!;
        var id = IpcMessage.RequestId(request);
        switch (id)
        {
            case RequestGetInfo:
                client.Respond(GetInfo(IpcMessage.UInt32(request, 16)));
                break;
            case RequestSetExpected:
                client.Respond(IpcMessage.Response(ResponseStatus, 24, node.SetExpectedVotes(IpcMessage.UInt32(request, 16))));
                break;
            case RequestSetVotes:
                var target = IpcMessage.UInt32(request, 20);
                client.Respond(IpcMessage.Response(ResponseStatus, 24, node.SetVotes(target == 0 ? node.LocalNodeId : target, IpcMessage.UInt32(request, 16))));
                break;
            case RequestTrackStart:
                var context = IpcMessage.UInt64(request, 16);
                var flags = IpcMessage.UInt32(request, 24);
                if ((flags & (TrackCurrent | TrackChanges)) != 0)
                {
                    client.SendEvent(NodelistNotification(context, node.Quorum.RingId, node.Quorum.Members));
                    client.SendEvent(QuorumNotification(context));
                }

                var error = CsError.Ok;
                if (state.Tracking)
                {
                    error = CsError.Exist;
                }
                else if ((flags & (TrackChanges | TrackChangesOnly)) != 0)
                {
                    state.Tracking = true;
                    state.Context = context;
                    _trackers.Add(client);
                }

                client.Respond(IpcMessage.Response(ResponseStatus, 24, error));
                break;
            case RequestTrackStop:
                var stopError = CsError.NotExist;
                if (state.Tracking)
                {
                    state.Tracking = false;
                    _trackers.Remove(client);
                    stopError = CsError.Ok;
                }

                client.Respond(IpcMessage.Response(ResponseStatus, 24, stopError));
                break;
            case RequestQdeviceRegister:
                var name = IpcMessage.CString(request, QdeviceNameOffset, QdeviceNameSize);
                var registered = node.QuorumCommand((quorum, _, output) => quorum.QdeviceRegister(name, output));
                if (registered == QdeviceResult.Pending)
                {
                    _registering = client;
                }
                else
                {
                    client.Respond(IpcMessage.Response(ResponseStatus, 24, Error(registered)));
                }

                break;
            case RequestQdeviceUnregister:
                var unregisterName = IpcMessage.CString(request, QdeviceNameOffset, QdeviceNameSize);
                Status(client, node.QuorumCommand((quorum, _, output) => quorum.QdeviceUnregister(unregisterName, output)));
                break;
            case RequestQdeviceUpdate:
                var oldName = IpcMessage.CString(request, QdeviceNameOffset, QdeviceNameSize);
                var newName = IpcMessage.CString(request, QdeviceNameOffset + QdeviceNameSize, QdeviceNameSize);
                Status(client, node.QuorumCommand((quorum, _, output) => quorum.QdeviceUpdate(oldName, newName, output)));
                break;
            case RequestQdevicePoll:
                var pollName = IpcMessage.CString(request, QdeviceNameOffset, QdeviceNameSize);
                var castVote = IpcMessage.Int32(request, 272) != 0;
                var ring = new RingId(new NodeId(IpcMessage.UInt32(request, 280)), IpcMessage.UInt64(request, 288));
                Status(client, node.QuorumCommand((quorum, now, output) => quorum.QdevicePoll(now, pollName, castVote, ring, output)));
                break;
            case RequestQdeviceMasterWins:
                var masterName = IpcMessage.CString(request, QdeviceNameOffset, QdeviceNameSize);
                var allow = IpcMessage.UInt32(request, 272) != 0;
                Status(client, node.QuorumCommand((quorum, _, output) => quorum.QdeviceMasterWins(masterName, allow, output)));
                break;
            default:
                client.Respond(IpcMessage.Response(0, 24, CsError.InvalidParam));
                break;
        }
    }

    /// <summary>votequorum's sync turn in a new ring: the node-list callback (corosync sends it there, before quorum is decided).</summary>
    public void OnNodelist(QuorumNodelistNotification nodelist)
    {
        foreach (var tracker in _trackers)
        {
            tracker.SendEvent(NodelistNotification(((Connection)tracker.State!).Context, nodelist.RingId, nodelist.Members));
        }
    }

    /// <summary>Once per node loop turn: the answer to a quorum device registration whose message came back.</summary>
    public void OnLoopTurn()
    {
        if (_registering is null)
        {
            return;
        }

        var result = node.QuorumCommand((quorum, _, _) => quorum.TakeQdeviceRegistrationResult());
        if (result is { } answer)
        {
            _registering.Respond(IpcMessage.Response(ResponseStatus, 24, Error(answer)));
            _registering = null;
        }
    }

    /// <summary>Quorum or expected votes changed: quorum and (when it changed) expected-votes callbacks to the trackers.</summary>
    public void OnQuorumChanged()
    {
        var expected = node.Quorum.ExpectedVotes;
        var expectedChanged = _lastExpectedVotes is { } last && last != expected;
        _lastExpectedVotes = expected;
        foreach (var tracker in _trackers)
        {
            var context = ((Connection)tracker.State!).Context;
            tracker.SendEvent(QuorumNotification(context));
            if (expectedChanged)
            {
                var notification = IpcMessage.Response(ResponseExpectedVotesNotification, 40, CsError.Ok);
                IpcMessage.Put(notification, 24, context);
                IpcMessage.Put(notification, 32, expected);
                tracker.SendEvent(notification);
            }
        }
    }

    private byte[] GetInfo(uint nodeId)
    {
        var status = node.Quorum;
        if (nodeId == QdeviceNodeId)
        {
            nodeId = node.LocalNodeId;
        }

        var row = status.Nodes.FirstOrDefault(n => n.NodeId.Value == nodeId);
        if (row is null)
        {
            return IpcMessage.Response(ResponseGetInfo, GetInfoSize, CsError.NotExist);
        }

        var response = IpcMessage.Response(ResponseGetInfo, GetInfoSize, CsError.Ok);
        var flags = (uint)(status.Flags & ClusterFlags);
        if (row.Flags.HasFlag(NodeInfoFlags.QdeviceRegistered))
        {
            flags |= (uint)QuorumInfoFlags.QdeviceRegistered;
        }

        if (row.Flags.HasFlag(NodeInfoFlags.QdeviceAlive))
        {
            flags |= (uint)QuorumInfoFlags.QdeviceAlive;
        }

        if (row.Flags.HasFlag(NodeInfoFlags.QdeviceCastVote))
        {
            flags |= (uint)QuorumInfoFlags.QdeviceCastVote;
        }

        if (row.Flags.HasFlag(NodeInfoFlags.QdeviceMasterWins))
        {
            flags |= (uint)QuorumInfoFlags.QdeviceMasterWins;
        }

        IpcMessage.Put(response, 24, nodeId);
        IpcMessage.Put(response, 28, (uint)row.State);
        IpcMessage.Put(response, 32, row.Votes);
        IpcMessage.Put(response, 36, row.ExpectedVotes);
        IpcMessage.Put(response, 40, status.HighestExpected);
        IpcMessage.Put(response, 44, status.TotalVotes);
        IpcMessage.Put(response, 48, status.Quorum);
        IpcMessage.Put(response, 52, flags);
        IpcMessage.Put(response, 56, status.QuorumDeviceVotes);
        IpcMessage.PutCString(response, 60, QdeviceNameSize, status.QuorumDeviceName);
        return response;
    }

    /// <summary>Every node votequorum knows, and the quorum device (node 0, a member) while the local one is registered.</summary>
    private byte[] QuorumNotification(ulong context)
    {
        var status = node.Quorum;
        var nodes = status.Nodes;
        var device = status.Flags.HasFlag(QuorumInfoFlags.QdeviceRegistered) ? 1 : 0;
        var message = IpcMessage.Response(ResponseQuorumNotification, 48 + (8 * (nodes.Count + device)), CsError.Ok);
        IpcMessage.Put(message, 24, status.Quorate ? 1 : 0);
        IpcMessage.Put(message, 32, context);
        IpcMessage.Put(message, 40, nodes.Count + device);
        for (var i = 0; i < nodes.Count; i++)
        {
            IpcMessage.Put(message, 48 + (8 * i), nodes[i].NodeId.Value);
            IpcMessage.Put(message, 52 + (8 * i), (uint)nodes[i].State);
        }

        if (device == 1)
        {
            IpcMessage.Put(message, 48 + (8 * nodes.Count), QdeviceNodeId);
            IpcMessage.Put(message, 52 + (8 * nodes.Count), (uint)QuorumNodeState.Member);
        }

        return message;
    }

    private static byte[] NodelistNotification(ulong context, RingId ring, IReadOnlyList<NodeId> members)
    {
        var message = IpcMessage.Response(ResponseNodelistNotification, 56 + (4 * members.Count), CsError.Ok);
        IpcMessage.Put(message, 24, context);
        IpcMessage.Put(message, 32, ring.Representative.Value);
        IpcMessage.Put(message, 40, ring.Sequence);
        IpcMessage.Put(message, 48, members.Count);
        for (var i = 0; i < members.Count; i++)
        {
            IpcMessage.Put(message, 56 + (4 * i), members[i].Value);
        }

        return message;
    }

    private static void Status(IpcClient client, QdeviceResult result) => client.Respond(IpcMessage.Response(ResponseStatus, 24, Error(result)));

    private static CsError Error(QdeviceResult result) => result switch
    {
        QdeviceResult.Ok => CsError.Ok,
        QdeviceResult.Exist => CsError.Exist,
        QdeviceResult.TryAgain or QdeviceResult.Pending => CsError.TryAgain,
        QdeviceResult.NotExist => CsError.NotExist,
        QdeviceResult.InvalidParam => CsError.InvalidParam,
        _ => CsError.MessageError,
    };

    private sealed class Connection
    {
        public bool Tracking { get; set; }

        public ulong Context { get; set; }
    }
}
