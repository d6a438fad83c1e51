using Rookery.Groups;
using Rookery.Wire.Services;

namespace Rookery.Ipc.Services;

/// <summary>
/// corosync's cpg service (cpg.c, service 2) over the groups core: join, leave, mcast (fire-and-forget, never
/// answered), membership, local get, iteration, finalize, and the deliver, confchg and totem confchg callbacks in
/// the order the core delivers them. A message Totem's send queue cannot take yet waits here, in order, with
/// libqb's flow control on so the client's next sends get CS_ERR_TRY_AGAIN. Messages over ~1 MiB come as PARTIAL_MCAST
/// fragments (each answered), go out as corosync's PARTIAL_MCAST, and reach libcpg clients as PARTIAL_DELIVER
/// fragments. Zero-copy is not served.
/// </summary>
public sealed class CpgService(ICorosyncNode node) : IIpcService
{
    /// <summary>Messages one connection may have waiting for room in Totem's send queue before it is cut off.</summary>
    public const int PendingMessagesMax = 4096;

    /// <summary>Iterations one connection may hold open.</summary>
    public const int IterationsPerConnectionMax = 64;

    private const int RequestJoin = 0;
    private const int RequestLeave = 1;
    private const int RequestMcast = 2;
    private const int RequestMembership = 3;
    private const int RequestLocalGet = 4;
    private const int RequestIterationInitialize = 5;
    private const int RequestIterationNext = 6;
    private const int RequestIterationFinalize = 7;
    private const int RequestFinalize = 8;
    private const int RequestPartialMcast = 12;
    private const int ResponseJoin = 0;
    private const int ResponseLeave = 1;
    private const int ResponseMembership = 3;
    private const int ResponseConfchg = 4;
    private const int ResponseDeliver = 5;
    private const int ResponseLocalGet = 7;
    private const int ResponseIterationInitialize = 9;
    private const int ResponseIterationNext = 10;
    private const int ResponseIterationFinalize = 11;
    private const int ResponseFinalize = 12;
    private const int ResponseTotemConfchg = 13;
    private const int ResponsePartialDeliver = 17;
    private const int ResponsePartialSend = 18;
    private const int PartialHeaderSize = 56;
    private const int PartialDeliverHeaderSize = 200;
    private const uint PartialFirst = 1;
    private const uint PartialContinued = 2;
    private const uint PartialLast = 3;

    /// <summary>
    /// Deliveries larger than this go to libcpg as PARTIAL_DELIVER fragments, as corosync hands them on: libcpg's
    /// dispatch buffer holds one event of at most 1 MiB (IPC_DISPATCH_SIZE) and reassembles fragments itself.
    /// </summary>
    public const int DeliverFragmentMax = GroupsLimits.MessageSizeMax;
    private const int MembershipSize = 9248;
    private const int MembershipEntriesMax = 384;
    private const int AddressSize = 24;
    private const int IterationNameOnly = 1;
    private const int IterationOneGroup = 2;

    /// <summary>The groups core's connection numbers for IPC clients: apart from the control socket's sessions.</summary>
    private const ulong ConnectionBase = 1UL << 62;

    private readonly Dictionary<ulong, IpcClient> _clients = [];
    private ulong _nextIteration;

    public string Name => "cpg";

    public static ulong ConnectionOf(IpcClient client) => ConnectionBase | client.Id;

    public void OnConnect(IpcClient client)
    {
        client.State = new Connection();
        _clients[ConnectionOf(client)] = client;
    }

    public void OnDisconnect(IpcClient client)
    {
        _clients.Remove(ConnectionOf(client));
        node.CpgDisconnect(ConnectionOf(client));
    }

    public void OnRequest(IpcClient client, byte[] request)
    {
        var state = (Connection)client.State!;
        var connection = ConnectionOf(client);
        switch (IpcMessage.RequestId(request))
        {
            case RequestJoin:
                var joinError = CsError.NameTooLong;
                if (GroupName(request, 16) is { } joinName)
                {
                    joinError = Error(node.CpgJoin(connection, IpcMessage.UInt32(request, 152), joinName));
                    state.Joined |= joinError == CsError.Ok;
                }

                client.Respond(IpcMessage.Response(ResponseJoin, 24, joinError));
                break;
            case RequestLeave:
                var leaveError = Error(node.CpgLeave(connection));
                state.Joined &= leaveError != CsError.Ok;
                client.Respond(IpcMessage.Response(ResponseLeave, 24, leaveError));
                break;
            case RequestMcast:
                // Never answered (libcpg does not wait): a refused message is logged by the caller's core, a full queue waits here.
                var length = IpcMessage.UInt32(request, 32);
                if (request.Length >= 40 && length <= (uint)(request.Length - 40))
                {
                    state.Pending.Enqueue(new Outgoing(request.AsSpan(40, (int)length).ToArray(), 0, 0));
                    state.PendingBytes += length;
                    Drain(client, state);
                }

                break;
            case RequestPartialMcast:
                // Answered (libcpg waits for each fragment's answer before the next): CS_ERR_NOT_EXIST unless joined, as
                // corosync; otherwise when Totem's send queue took the fragment, so a large message cannot outrun it.
                var fragmentLength = IpcMessage.UInt32(request, 40);
                if (fragmentLength > (uint)Math.Max(0, request.Length - PartialHeaderSize) || !state.Joined)
                {
                    client.Respond(IpcMessage.Response(ResponsePartialSend, 24, CsError.NotExist));
                    break;
                }

                state.Pending.Enqueue(new Outgoing(request.AsSpan(PartialHeaderSize, (int)fragmentLength).ToArray(), IpcMessage.UInt32(request, 32), IpcMessage.UInt32(request, 48)));
                state.PendingBytes += fragmentLength;
                Drain(client, state);
                break;
            case RequestMembership:
                client.Respond(Membership(GroupName(request, 16)));
                break;
            case RequestLocalGet:
                var local = IpcMessage.Response(ResponseLocalGet, 32, CsError.Ok);
                IpcMessage.Put(local, 24, node.LocalNodeId);
                client.Respond(local);
                break;
            case RequestIterationInitialize:
                client.Respond(IterationInitialize(state, request));
                break;
            case RequestIterationNext:
                client.Respond(IterationNext(state, IpcMessage.UInt64(request, 16)));
                break;
            case RequestIterationFinalize:
                var removed = state.Iterations.Remove(IpcMessage.UInt64(request, 16));
                client.Respond(IpcMessage.Response(ResponseIterationFinalize, 24, removed ? CsError.Ok : CsError.BadHandle));
                break;
            case RequestFinalize:
                state.Joined = false;
                node.CpgDisconnect(connection);
                client.Respond(IpcMessage.Response(ResponseFinalize, 24, CsError.Ok));
                break;
            default:
                client.Respond(IpcMessage.Response(0, 24, CsError.NotSupported));
                break;
        }
    }

    /// <summary>Every loop turn: messages waiting for room in Totem's send queue go on, in order.</summary>
    public void OnLoopTurn()
    {
        foreach (var client in _clients.Values)
        {
            var state = (Connection)client.State!;
            if (state.Pending.Count > 0)
            {
                Drain(client, state);
            }
        }
    }

    /// <summary>A callback of the groups core for local connections: deliver, confchg or totem confchg.</summary>
    public void OnGroupEvent(GroupsEvent groupEvent)
    {
        switch (groupEvent)
        {
            case GroupMessageDelivered { Data.Length: > DeliverFragmentMax } large:
                for (var start = 0; start < large.Data.Length; start += DeliverFragmentMax)
                {
                    var fragment = large.Data.Slice(start, Math.Min(DeliverFragmentMax, large.Data.Length - start));
                    var type = start == 0 ? PartialFirst : start + fragment.Length == large.Data.Length ? PartialLast : PartialContinued;
                    var partial = IpcMessage.Response(ResponsePartialDeliver, PartialDeliverHeaderSize + fragment.Length, CsError.Ok);
                    PutGroupName(partial, 24, large.Group);
                    IpcMessage.Put(partial, 160, large.Data.Length);
                    IpcMessage.Put(partial, 168, fragment.Length);
                    IpcMessage.Put(partial, 176, large.NodeId.Value);
                    IpcMessage.Put(partial, 184, large.Pid);
                    IpcMessage.Put(partial, 192, type);
                    fragment.Span.CopyTo(partial.AsSpan(PartialDeliverHeaderSize));
                    Send(large.Recipients, partial);
                }

                break;
            case GroupMessageDelivered delivered:
                var deliver = IpcMessage.Response(ResponseDeliver, 184 + delivered.Data.Length, CsError.Ok);
                PutGroupName(deliver, 24, delivered.Group);
                IpcMessage.Put(deliver, 160, delivered.Data.Length);
                IpcMessage.Put(deliver, 168, delivered.NodeId.Value);
                IpcMessage.Put(deliver, 176, delivered.Pid);
                delivered.Data.Span.CopyTo(deliver.AsSpan(184));
                Send(delivered.Recipients, deliver);
                break;
            case GroupConfigurationChanged changed:
                var entries = changed.Members.Count + changed.Joined.Count + changed.Left.Count;
                var confchg = IpcMessage.Response(ResponseConfchg, 184 + (AddressSize * entries), CsError.Ok);
                PutGroupName(confchg, 24, changed.Group);
                IpcMessage.Put(confchg, 160, changed.Members.Count);
                IpcMessage.Put(confchg, 168, changed.Joined.Count);
                IpcMessage.Put(confchg, 176, changed.Left.Count);
                var offset = 184;
                foreach (var member in changed.Members)
                {
                    PutAddress(confchg, offset, member.NodeId.Value, member.Pid, 0);
                    offset += AddressSize;
                }

                foreach (var change in changed.Joined.Concat(changed.Left))
                {
                    PutAddress(confchg, offset, change.NodeId.Value, change.Pid, (uint)change.Reason);
                    offset += AddressSize;
                }

                Send(changed.Recipients, confchg);
                break;
            case GroupTotemMembership totem:
                var message = IpcMessage.Response(ResponseTotemConfchg, 44 + (4 * totem.Members.Count), CsError.Ok);
                IpcMessage.Put(message, 24, totem.RingId.Representative.Value);
                IpcMessage.Put(message, 32, totem.RingId.Sequence);
                IpcMessage.Put(message, 40, totem.Members.Count);
                for (var i = 0; i < totem.Members.Count; i++)
                {
                    IpcMessage.Put(message, 44 + (4 * i), totem.Members[i].Value);
                }

                Send(totem.Recipients, message);
                break;
        }
    }

    private static CsError Error(GroupsResult result) => result switch
    {
        GroupsResult.Ok => CsError.Ok,
        GroupsResult.Exist => CsError.Exist,
        GroupsResult.Busy => CsError.Busy,
        GroupsResult.NotExist => CsError.NotExist,
        GroupsResult.TooBig => CsError.TooBig,
        _ => CsError.TryAgain,
    };

    /// <summary>A mar_cpg_name_t (uint32 length, value at +8, 128 bytes) read at <paramref name="offset"/>; null when too long.</summary>
    private static CpgGroupName? GroupName(byte[] request, int offset)
    {
        var length = IpcMessage.UInt32(request, offset);
        if (length > CpgGroupName.LengthMax || offset + 8 + length > request.Length)
        {
            return null;
        }

        return CpgGroupName.TryCreate(request.AsSpan(offset + 8, (int)length), out var name) ? name : null;
    }

    private static void PutGroupName(byte[] message, int offset, CpgGroupName name)
    {
        IpcMessage.Put(message, offset, name.Length);
        name.Value.CopyTo(message.AsSpan(offset + 8));
    }

    private static void PutAddress(byte[] message, int offset, uint nodeId, uint pid, uint reason)
    {
        IpcMessage.Put(message, offset, nodeId);
        IpcMessage.Put(message, offset + 8, pid);
        IpcMessage.Put(message, offset + 16, reason);
    }

    private void Send(IReadOnlyList<ulong> recipients, byte[] message)
    {
        foreach (var recipient in recipients)
        {
            if (_clients.TryGetValue(recipient, out var client))
            {
                client.SendEvent(message);
            }
        }
    }

    private void Drain(IpcClient client, Connection state)
    {
        var connection = ConnectionOf(client);
        while (state.Pending.TryPeek(out var message))
        {
            var result = message.Type == 0
                ? node.CpgSend(connection, message.Data)
                : node.CpgSendPartial(connection, message.MessageLength, message.Type, message.Data);
            if (result == GroupsResult.TryAgain)
            {
                break;
            }

            // Sent, or refused for good (not joined, too big): corosync logs and drops those too.
            state.PendingBytes -= state.Pending.Dequeue().Data.Length;
            if (message.Type != 0)
            {
                client.Respond(IpcMessage.Response(ResponsePartialSend, 24, Error(result)));
            }
        }

        if (state.Pending.Count > PendingMessagesMax || state.PendingBytes > IpcLimits.CpgPendingBytesMax)
        {
            // Only a client that ignores flow control (libqb's sends return CS_ERR_TRY_AGAIN while it is on) gets here.
            client.Disconnect($"sent {state.Pending.Count} messages ({state.PendingBytes} bytes) past flow control " +
                $"(bounds {PendingMessagesMax} messages, {IpcLimits.CpgPendingBytesMax} bytes); disconnecting it");
            return;
        }

        if (state.FlowControl != state.Pending.Count > 0)
        {
            state.FlowControl = state.Pending.Count > 0;
            client.SetFlowControl(state.FlowControl);
        }
    }

    private byte[] Membership(CpgGroupName? group)
    {
        var response = IpcMessage.Response(ResponseMembership, MembershipSize, CsError.Ok);
        var members = group is { } name
            ? node.CpgProcesses.Where(p => p.Group.Equals(name)).Select(p => p.Member).Take(MembershipEntriesMax).ToArray()
            : [];
        IpcMessage.Put(response, 24, members.Length);
        for (var i = 0; i < members.Length; i++)
        {
            PutAddress(response, 32 + (AddressSize * i), members[i].NodeId.Value, members[i].Pid, 0);
        }

        return response;
    }

    private byte[] IterationInitialize(Connection state, byte[] request)
    {
        var response = IpcMessage.Response(ResponseIterationInitialize, 32, CsError.Ok);
        if (state.Iterations.Count >= IterationsPerConnectionMax)
        {
            IpcMessage.Put(response, 16, (int)CsError.NoResources);
            return response;
        }

        var type = IpcMessage.Int32(request, 152);
        var processes = node.CpgProcesses.AsEnumerable();
        if (type == IterationOneGroup)
        {
            var group = GroupName(request, 16);
            processes = processes.Where(p => group is { } name && p.Group.Equals(name));
        }
        else if (type == IterationNameOnly)
        {
            processes = processes.DistinctBy(p => p.Group).Select(p => (p.Group, new GroupMember(default, 0)));
        }

        var handle = ++_nextIteration;
        state.Iterations[handle] = new Queue<(CpgGroupName, GroupMember)>(processes);
        IpcMessage.Put(response, 24, handle);
        return response;
    }

    private static byte[] IterationNext(Connection state, ulong handle)
    {
        var response = IpcMessage.Response(ResponseIterationNext, 168, CsError.Ok);
        if (!state.Iterations.TryGetValue(handle, out var items))
        {
            IpcMessage.Put(response, 16, (int)CsError.Library);
            return response;
        }

        if (!items.TryDequeue(out var item))
        {
            IpcMessage.Put(response, 16, (int)CsError.NoSections);
            return response;
        }

        PutGroupName(response, 24, item.Group);
        IpcMessage.Put(response, 160, item.Member.NodeId.Value);
        IpcMessage.Put(response, 164, item.Member.Pid);
        return response;
    }

    private sealed class Connection
    {
        public Queue<Outgoing> Pending { get; } = new();

        /// <summary>The connection joined a group and has not left it (PARTIAL_MCAST's answer depends on it).</summary>
        public bool Joined { get; set; }

        /// <summary>Bytes of the messages in <see cref="Pending"/>.</summary>
        public long PendingBytes { get; set; }

        public bool FlowControl { get; set; }

        public Dictionary<ulong, Queue<(CpgGroupName Group, GroupMember Member)>> Iterations { get; } = [];
    }
}

/// <summary>A message waiting for Totem's send queue: whole (<see cref="Type"/> 0) or one PARTIAL_MCAST fragment.</summary>
internal readonly record struct Outgoing(byte[] Data, uint MessageLength, uint Type);
