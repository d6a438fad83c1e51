using System.Net;

namespace Rookery.Ipc.Services;

/// <summary>
/// corosync's cfg service (cfg.c, service 1): local node id, node addresses, knet node status (corosync-cfgtool
/// -s/-n), cluster-wide reload (-R), reopen log files, kill node (-k), shutdown tracking and try_shutdown (-H, asking
/// the trackers). The old ring status answers CS_ERR_NOT_SUPPORTED.
/// </summary>
public sealed class CfgService(ICorosyncNode node) : IIpcService
{
    private const int RequestRingStatusGet = 0;
    private const int RequestRingReenable = 1;
    private const int RequestKillNode = 2;
    private const int RequestTryShutdown = 3;
    private const int RequestReplyToShutdown = 4;
    private const int RequestGetNodeAddresses = 5;
    private const int RequestLocalGet = 6;
    private const int RequestReloadConfig = 7;
    private const int RequestReopenLogFiles = 8;
    private const int RequestNodeStatusGet = 9;
    private const int RequestTrackStart = 10;
    private const int RequestTrackStop = 11;
    private const int ResponseRingStatusGet = 0;
    private const int ResponseRingReenable = 1;
    private const int ResponseTrackStart = 2;
    private const int ResponseTrackStop = 3;
    private const int ResponseKillNode = 8;
    private const int ResponseTryShutdown = 9;
    private const int ResponseGetNodeAddresses = 11;
    private const int ResponseLocalGet = 12;
    private const int ResponseReplyToShutdown = 13;
    private const int ResponseReloadConfig = 14;
    private const int ResponseReopenLogFiles = 15;
    private const int ResponseNodeStatusGet = 16;
    private const int RingStatusGetSize = 10272;

    /// <summary>cs_name_t's value (corosync-cfgtool -k's reason: "Killed by corosync-cfgtool").</summary>
    private const int ReasonLengthMax = 256;
    private const int NodeStatusVersion1 = 1;
    private const int NodeStatusSize = 4200;
    private const int LinksMax = 8;
    private const int LinkStatusSize = 520;
    private const int HostLengthMax = 256;
    private const int AddressLength = 16;
    private const int AfInet = 2;
    private const int AfInet6 = 10;

    /// <summary>knet's on-wire protocol version Rookery speaks (min, max, current), shown by cfgtool -n.</summary>
    private const byte OnwireVersion = 1;

    /// <summary>How long corosync-cfgtool -H waits for the trackers' answers (corosync's DEFAULT_SHUTDOWN_TIMEOUT; key cfg.shutdown_timeout).</summary>
    public static readonly Duration ShutdownTimeout = Duration.FromMilliseconds(5000);

    private const int ResponseTestShutdown = 10;
    private const uint ShutdownFlagRegardless = 1;
    private const uint ShutdownFlagImmediate = 2;

    /// <summary>Connections that called corosync_cfg_trackstart, with their answer to the shutdown asked now (null: none yet).</summary>
    private readonly Dictionary<IpcClient, bool?> _trackers = [];

    /// <summary>The client whose corosync_cfg_try_shutdown waits for the trackers (corosync's shutdown_con).</summary>
    private IpcClient? _shutdownRequester;
    private uint _shutdownFlags;
    private int _shutdownYes;
    private int _shutdownNo;
    private int _shutdownExpected;
    private Instant _shutdownDeadline = Instant.Never;

    public string Name => "cfg";

    public void OnConnect(IpcClient client)
    {
    }

    public void OnDisconnect(IpcClient client)
    {
        if (client == _shutdownRequester)
        {
            _shutdownRequester = null;
            _shutdownDeadline = Instant.Never;
        }

        // A tracker that goes away before answering is no longer waited for (corosync's remove_ci_from_shutdown).
        if (_trackers.Remove(client, out var reply) && reply is null && _shutdownRequester is not null)
        {
            _shutdownExpected--;
            CheckShutdown();
        }
    }

    /// <summary>Once per node loop turn: a shutdown whose trackers did not all answer in time is refused.</summary>
    public void OnLoopTurn()
    {
        if (_shutdownRequester is null || node.Now < _shutdownDeadline)
        {
            return;
        }

        _shutdownNo = _shutdownExpected;
        CheckShutdown();
        TestShutdown(CsError.Timeout);
    }

    public void OnRequest(IpcClient client, byte[] request)
    {
        var id = IpcMessage.RequestId(request);
        if (node.Syncing && FlowControlled(id) is { } busy)
        {
            // corosync_sending_allowed: calls with CS_LIB_FLOW_CONTROL_REQUIRED get their response with CS_ERR_TRY_AGAIN during a sync.
            client.Respond(IpcMessage.Response(busy.Id, busy.Size, CsError.TryAgain));
            return;
        }

        switch (id)
        {
            case RequestLocalGet:
                var local = IpcMessage.Response(ResponseLocalGet, 32, CsError.Ok);
                IpcMessage.Put(local, 24, node.LocalNodeId);
                client.Respond(local);
                break;
            case RequestGetNodeAddresses:
                client.Respond(NodeAddresses(IpcMessage.UInt32(request, 16)));
                break;
            case RequestNodeStatusGet:
                client.Respond(NodeStatus(IpcMessage.UInt32(request, 16), IpcMessage.Int32(request, 24)));
                break;
            case RequestReloadConfig:
                node.Reload(result => client.Respond(IpcMessage.Response(ResponseReloadConfig, 24, result)));
                break;
            case RequestReopenLogFiles:
                client.Respond(IpcMessage.Response(ResponseReopenLogFiles, 24, CsError.Ok));
                break;
            case RequestRingReenable:
                client.Respond(IpcMessage.Response(ResponseRingReenable, 24, CsError.Ok));
                break;
            case RequestRingStatusGet:
                client.Respond(IpcMessage.Response(ResponseRingStatusGet, RingStatusGetSize, CsError.NotSupported));
                break;
            case RequestKillNode:
                var reason = IpcMessage.CString(request, 26, Math.Min((int)IpcMessage.UInt32(request, 24) & 0xffff, ReasonLengthMax));
                client.Respond(IpcMessage.Response(ResponseKillNode, 24, node.KillNode(IpcMessage.UInt32(request, 16), reason)));
                break;
            case RequestTryShutdown:
                TryShutdown(client, IpcMessage.UInt32(request, 16));
                break;
            case RequestReplyToShutdown:
                var replyError = CsError.Access;
                if (_shutdownRequester is not null)
                {
                    var yes = IpcMessage.UInt32(request, 16) != 0;
                    _shutdownYes += yes ? 1 : 0;
                    _shutdownNo += yes ? 0 : 1;
                    if (_trackers.ContainsKey(client))
                    {
                        _trackers[client] = yes;
                    }

                    CheckShutdown();
                    replyError = CsError.Ok;
                }

                client.Respond(IpcMessage.Response(ResponseReplyToShutdown, 24, replyError));
                break;
            case RequestTrackStart:
                // corosync_cfg_trackstart: the client will be asked before a shutdown (Pacemaker's pacemakerd needs it).
                _trackers.TryAdd(client, true);
                client.Respond(IpcMessage.Response(ResponseTrackStart, 24, CsError.Ok));
                break;
            case RequestTrackStop:
                _trackers.Remove(client);
                client.Respond(IpcMessage.Response(ResponseTrackStop, 24, CsError.Ok));
                break;
            default:
                client.Respond(IpcMessage.Response(0, 24, CsError.InvalidParam));
                break;
        }
    }

    /// <summary>
    /// corosync_cfg_try_shutdown (corosync-cfgtool -H): IMMEDIATE goes at once; otherwise every tracker (pacemakerd)
    /// is asked by a TESTSHUTDOWN callback and the answer waits for theirs: all yes (or REGARDLESS) shuts down,
    /// any no or no answer within <see cref="ShutdownTimeout"/> gives CS_ERR_BUSY.
    /// </summary>
    private void TryShutdown(IpcClient client, uint flags)
    {
        if (flags == ShutdownFlagImmediate)
        {
            client.Respond(IpcMessage.Response(ResponseTryShutdown, 24, CsError.Ok));
            node.Shutdown();
            return;
        }

        if (_shutdownRequester is not null)
        {
            client.Respond(IpcMessage.Response(ResponseTryShutdown, 24, CsError.Exist));
            return;
        }

        _shutdownRequester = client;
        _shutdownFlags = flags;
        _shutdownYes = 0;
        _shutdownNo = 0;
        _shutdownExpected = 0;
        foreach (var tracker in _trackers.Keys.Where(t => t != client).ToArray())
        {
            _trackers[tracker] = null;
            _shutdownExpected++;
        }

        if (_shutdownExpected == 0)
        {
            _shutdownRequester = null;
            client.Respond(IpcMessage.Response(ResponseTryShutdown, 24, CsError.Ok));
            node.Shutdown();
            return;
        }

        _shutdownDeadline = node.Now + ShutdownTimeout;
        TestShutdown(CsError.Ok);
    }

    /// <summary>corosync's check_shutdown_status: once every tracker answered, shut down or refuse.</summary>
    private void CheckShutdown()
    {
        if (_shutdownRequester is not { } requester || _shutdownYes + _shutdownNo < _shutdownExpected)
        {
            return;
        }

        _shutdownRequester = null;
        _shutdownDeadline = Instant.Never;
        if (_shutdownYes >= _shutdownExpected || _shutdownFlags == ShutdownFlagRegardless)
        {
            requester.Respond(IpcMessage.Response(ResponseTryShutdown, 24, CsError.Ok));
            node.Shutdown();
        }
        else
        {
            requester.Respond(IpcMessage.Response(ResponseTryShutdown, 24, CsError.Busy));
        }
    }

    /// <summary>The TESTSHUTDOWN callback to every tracker but the requester (corosync's send_test_shutdown).</summary>
    private void TestShutdown(CsError status)
    {
        foreach (var tracker in _trackers.Keys.Where(t => t != _shutdownRequester))
        {
            var test = IpcMessage.Response(ResponseTestShutdown, 32, status);
            IpcMessage.Put(test, 24, _shutdownFlags);
            tracker.SendEvent(test);
        }
    }

    /// <summary>The response (id, size) of a call cfg.c marks CS_LIB_FLOW_CONTROL_REQUIRED; null for the others.</summary>
    private static (int Id, int Size)? FlowControlled(int request) => request switch
    {
        RequestRingStatusGet => (ResponseRingStatusGet, RingStatusGetSize),
        RequestRingReenable => (ResponseRingReenable, 24),
        RequestKillNode => (ResponseKillNode, 24),
        RequestTryShutdown => (ResponseTryShutdown, 24),
        RequestReplyToShutdown => (ResponseReplyToShutdown, 24),
        RequestReloadConfig => (ResponseReloadConfig, 24),
        RequestTrackStart => (ResponseTrackStart, 24),
        RequestTrackStop => (ResponseTrackStop, 24),
        _ => null,
    };

    private byte[] NodeAddresses(uint nodeId)
    {
        var configured = node.Config.Nodes.FirstOrDefault(n => n.NodeId == nodeId);
        if (configured is null)
        {
            return IpcMessage.Response(ResponseGetNodeAddresses, 32, CsError.NotExist);
        }

        var addresses = configured.RingAddresses
            .OrderBy(a => a.Link)
            .Select(a => IPAddress.TryParse(a.Address, out var ip) ? ip : Dns.GetHostAddresses(a.Address).FirstOrDefault())
            .Where(a => a is not null)
            .Select(a => a!)
            .ToArray();
        var response = IpcMessage.Response(ResponseGetNodeAddresses, 32 + (AddressLength * addresses.Length), CsError.Ok);
        IpcMessage.Put(response, 24, addresses.Length > 0 && addresses[0].AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? AfInet6 : AfInet);
        IpcMessage.Put(response, 28, addresses.Length);
        for (var i = 0; i < addresses.Length; i++)
        {
            addresses[i].GetAddressBytes().CopyTo(response, 32 + (AddressLength * i));
        }

        return response;
    }

    private byte[] NodeStatus(uint nodeId, int version)
    {
        var status = node.NodeStatus(nodeId);
        if (status is null)
        {
            return IpcMessage.Response(ResponseNodeStatusGet, 32, CsError.FailedOperation);
        }

        if (version != NodeStatusVersion1)
        {
            return IpcMessage.Response(ResponseNodeStatusGet, 32, CsError.NotSupported);
        }

        var response = IpcMessage.Response(ResponseNodeStatusGet, NodeStatusSize, CsError.Ok);
        IpcMessage.Put(response, 24, NodeStatusVersion1);
        IpcMessage.Put(response, 28, nodeId);
        response[32] = status.Reachable ? (byte)1 : (byte)0;
        response[33] = status.Remote ? (byte)1 : (byte)0;
        response[34] = status.External ? (byte)1 : (byte)0;
        response[35] = OnwireVersion;
        response[36] = OnwireVersion;
        response[37] = OnwireVersion;
        for (var i = 0; i < Math.Min(LinksMax, status.Links.Count); i++)
        {
            if (status.Links[i] is not { } link)
            {
                continue;
            }

            var offset = 40 + (LinkStatusSize * i);
            response[offset] = link.Enabled ? (byte)1 : (byte)0;
            response[offset + 1] = link.Connected ? (byte)1 : (byte)0;
            IpcMessage.Put(response, offset + 4, link.Mtu);
            IpcMessage.PutCString(response, offset + 8, HostLengthMax, link.SourceAddress);
            IpcMessage.PutCString(response, offset + 8 + HostLengthMax, HostLengthMax, link.DestinationAddress);
        }

        return response;
    }
}
