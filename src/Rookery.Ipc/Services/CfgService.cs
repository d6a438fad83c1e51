using System.Net;

namespace Rookery.Ipc.Services;

/// <summary>
/// corosync's cfg service (cfg.c, service 1): local node id, node addresses, knet node status (corosync-cfgtool
/// -s/-n), cluster-wide reload (-R), reopen log files. Shutdown tracking, kill node and the old ring status answer
/// CS_ERR_NOT_SUPPORTED.
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

    /// <summary>Connections that called corosync_cfg_trackstart (shutdown tracking).</summary>
    private readonly HashSet<IpcClient> _trackers = [];

    public string Name => "cfg";

    public void OnConnect(IpcClient client)
    {
    }

    public void OnDisconnect(IpcClient client) => _trackers.Remove(client);

    public void OnRequest(IpcClient client, byte[] request)
    {
        switch (IpcMessage.RequestId(request))
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
                client.Respond(IpcMessage.Response(ResponseRingStatusGet, 10272, CsError.NotSupported));
                break;
            case RequestKillNode:
                client.Respond(IpcMessage.Response(ResponseKillNode, 24, CsError.NotSupported));
                break;
            case RequestTryShutdown:
                client.Respond(IpcMessage.Response(ResponseTryShutdown, 24, CsError.NotSupported));
                break;
            case RequestReplyToShutdown:
                client.Respond(IpcMessage.Response(ResponseReplyToShutdown, 24, CsError.NotSupported));
                break;
            case RequestTrackStart:
                // corosync_cfg_trackstart: the client will be asked before a shutdown (Pacemaker's pacemakerd needs it).
                _trackers.Add(client);
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
