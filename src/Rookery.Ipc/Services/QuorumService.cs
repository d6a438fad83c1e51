namespace Rookery.Ipc.Services;

/// <summary>
/// corosync's quorum service (vsf_quorum.c, service 3): getquorate, gettype, model_gettype, trackstart/stop and the
/// V0/V1 notifications. TRACK_CURRENT's notifications are sent before the trackstart answer, as corosync does.
/// </summary>
public sealed class QuorumService(ICorosyncNode node) : IIpcService
{
    private const int RequestGetQuorate = 0;
    private const int RequestTrackStart = 1;
    private const int RequestTrackStop = 2;
    private const int RequestGetType = 3;
    private const int RequestModelGetType = 4;
    private const int ResponseGetQuorate = 0;
    private const int ResponseTrackStart = 1;
    private const int ResponseTrackStop = 2;
    private const int ResponseNotification = 3;
    private const int ResponseGetType = 4;
    private const int ResponseModelGetType = 5;
    private const int ResponseV1QuorumNotification = 6;
    private const int ResponseV1NodelistNotification = 7;
    private const uint TrackCurrent = 1;
    private const uint TrackChanges = 2;
    private const uint TrackChangesOnly = 4;
    private const uint ModelV0 = 0;
    private const uint ModelV1 = 1;

    private readonly List<IpcClient> _trackers = [];
    private (uint Representative, ulong Sequence) _lastSyncRing;
    private uint[] _oldMembers = [];
    private uint[] _joined = [];
    private uint[] _left = [];

    public string Name => "quorum";

    public void OnConnect(IpcClient client) => client.State = new Connection();

    public void OnDisconnect(IpcClient client) => _trackers.Remove(client);

    public void OnRequest(IpcClient client, byte[] request)
    {
        var state = (Connection)client.State!;
        switch (IpcMessage.RequestId(request))
        {
            case RequestGetQuorate:
                var quorate = IpcMessage.Response(ResponseGetQuorate, 32, CsError.Ok);
                IpcMessage.Put(quorate, 24, node.Quorum.Quorate ? 1 : 0);
                client.Respond(quorate);
                break;
            case RequestTrackStart:
                var flags = IpcMessage.UInt32(request, 16);
                if ((flags & (TrackCurrent | TrackChanges)) != 0)
                {
                    if (state.Model == ModelV1)
                    {
                        client.SendEvent(NodelistNotification(withJoinedAndLeft: false));
                    }

                    client.SendEvent(QuorumNotification(state.Model));
                }

                var error = CsError.Ok;
                if (state.Tracking)
                {
                    error = CsError.Exist;
                }
                else if ((flags & (TrackChanges | TrackChangesOnly)) != 0)
                {
                    state.Tracking = true;
                    _trackers.Add(client);
                }

                client.Respond(IpcMessage.Response(ResponseTrackStart, 24, error));
                break;
            case RequestTrackStop:
                if (state.Tracking)
                {
                    state.Tracking = false;
                    _trackers.Remove(client);
                }

                // corosync answers CS_OK even when nothing was tracked.
                client.Respond(IpcMessage.Response(ResponseTrackStop, 24, CsError.Ok));
                break;
            case RequestGetType:
                var type = IpcMessage.Response(ResponseGetType, 32, CsError.Ok);
                IpcMessage.Put(type, 24, QuorumType);
                client.Respond(type);
                break;
            case RequestModelGetType:
                var model = IpcMessage.UInt32(request, 16);
                var modelError = CsError.Ok;
                if (model is ModelV0 or ModelV1)
                {
                    state.Model = model;
                }
                else
                {
                    modelError = CsError.InvalidParam;
                }

                var modelResponse = IpcMessage.Response(ResponseModelGetType, 32, modelError);
                IpcMessage.Put(modelResponse, 24, QuorumType);
                client.Respond(modelResponse);
                break;
            default:
                client.Respond(IpcMessage.Response(0, 24, CsError.InvalidParam));
                break;
        }
    }

    /// <summary>The quorum state changed (corosync's quorum_api_set_quorum): tell the trackers.</summary>
    public void OnQuorumChanged()
    {
        foreach (var tracker in _trackers)
        {
            tracker.SendEvent(QuorumNotification(((Connection)tracker.State!).Model));
        }
    }

    /// <summary>A sync finished in a new ring (quorum_sync_init + activate): V1 trackers get the node list with joined and left.</summary>
    public void OnSyncCompleted()
    {
        var members = node.Members.ToArray();
        _lastSyncRing = node.RingId;
        _left = [.. _oldMembers.Except(members)];
        _joined = [.. members.Except(_oldMembers)];
        _oldMembers = members;
        foreach (var tracker in _trackers)
        {
            if (((Connection)tracker.State!).Model == ModelV1)
            {
                tracker.SendEvent(NodelistNotification(withJoinedAndLeft: true));
            }
        }
    }

    /// <summary>quorum_type: 1 with a quorum provider (votequorum), 0 without (then always quorate).</summary>
    private int QuorumType => node.Config.Quorum.IsVotequorum ? 1 : 0;

    private byte[] QuorumNotification(uint model)
    {
        var status = node.Quorum;
        var members = status.Members;
        if (model == ModelV1)
        {
            var v1 = IpcMessage.Response(ResponseV1QuorumNotification, 52 + (4 * members.Count), CsError.Ok);
            IpcMessage.Put(v1, 24, status.Quorate ? 1 : 0);
            IpcMessage.Put(v1, 32, status.RingId.Representative.Value);
            IpcMessage.Put(v1, 40, status.RingId.Sequence);
            IpcMessage.Put(v1, 48, members.Count);
            for (var i = 0; i < members.Count; i++)
            {
                IpcMessage.Put(v1, 52 + (4 * i), members[i].Value);
            }

            return v1;
        }

        var v0 = IpcMessage.Response(ResponseNotification, 44 + (4 * members.Count), CsError.Ok);
        IpcMessage.Put(v0, 24, status.Quorate ? 1 : 0);
        IpcMessage.Put(v0, 32, status.RingId.Sequence);
        IpcMessage.Put(v0, 40, members.Count);
        for (var i = 0; i < members.Count; i++)
        {
            IpcMessage.Put(v0, 44 + (4 * i), members[i].Value);
        }

        return v0;
    }

    private byte[] NodelistNotification(bool withJoinedAndLeft)
    {
        var members = node.Members;
        var ring = _lastSyncRing == default ? node.RingId : _lastSyncRing;
        var joined = withJoinedAndLeft ? _joined : [];
        var left = withJoinedAndLeft ? _left : [];
        var message = IpcMessage.Response(ResponseV1NodelistNotification, 60 + (4 * (members.Count + joined.Length + left.Length)), CsError.Ok);
        IpcMessage.Put(message, 24, ring.Representative);
        IpcMessage.Put(message, 32, ring.Sequence);
        IpcMessage.Put(message, 40, members.Count);
        IpcMessage.Put(message, 48, joined.Length);
        IpcMessage.Put(message, 56, left.Length);
        var offset = 60;
        foreach (var id in members.Concat(joined).Concat(left))
        {
            IpcMessage.Put(message, offset, id);
            offset += 4;
        }

        return message;
    }

    private sealed class Connection
    {
        public uint Model { get; set; } = ModelV0;

        public bool Tracking { get; set; }
    }
}
