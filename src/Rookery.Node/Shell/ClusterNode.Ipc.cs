using Rookery.Config;
using Rookery.Groups;
using Rookery.Ipc;
using Rookery.Node.Logging;
using Rookery.Services;
using Rookery.Quorum;
using Rookery.Wire.Services;

namespace Rookery.Node.Shell;

/// <content>
/// corosync's client API (libqb IPC: cmap, cfg, quorum, votequorum) beside the control socket. The IPC thread hands
/// every request to this loop; the services read the cores only here, through <see cref="CorosyncNodeView"/>.
/// </content>
public sealed partial class ClusterNode
{
    /// <summary>How long <c>corosync-cfgtool -R</c> waits for the cluster-wide reload before it is answered CS_ERR_TRY_AGAIN.</summary>
    private static readonly TimeSpan s_ipcReloadTimeout = TimeSpan.FromSeconds(60);

    private CorosyncServices? _corosync;

    /// <summary>
    /// The loop turn's time while a corosync service runs: every core command of the services uses it, never a fresh
    /// clock reading (a later reading within the turn makes Totem see time go backwards later in the same turn).
    /// </summary>
    private Instant _corosyncNow;

    /// <summary>Whether the corosync IPC sockets are served (false when another daemon holds them in this network namespace).</summary>
    public bool ServesCorosyncIpc => _corosync is not null;

    private void StartCorosyncIpc()
    {
        if (!_options.CorosyncIpc || !OperatingSystem.IsLinux())
        {
            return;
        }

        var services = new CorosyncServices(new CorosyncNodeView(this), action => Enqueue(now =>
        {
            _corosyncNow = now;
            action();
        }), LogIpc, laggardDropped: LaggardMemory.Return);
        try
        {
            services.Start();
            _corosync = services;
            _log.Info(LogSubsystem.Ipc, "corosync IPC (cmap, cfg, quorum, votequorum) served over libqb shared memory");
        }
        catch (IOException exception)
        {
            services.Dispose();
            _log.Warning(LogSubsystem.Ipc, $"{exception.Message}; corosync's client tools will not reach this node");
        }
    }

    private void StopCorosyncIpc()
    {
        if (OperatingSystem.IsLinux())
        {
            _corosync?.Dispose();
        }

        _corosync = null;
    }

    /// <summary>After the loop handled a service output: the corosync services' callbacks.</summary>
    private void NotifyCorosyncIpc(Instant now, ServiceOutput output)
    {
        if (_corosync is null || !OperatingSystem.IsLinux())
        {
            return;
        }

        _corosyncNow = now;
        switch (output)
        {
            case QuorumReported:
                _corosync.OnQuorumChanged();
                break;
            case QuorumNodelistReported nodelist:
                _corosync.OnQuorumNodelist(nodelist.Notification);
                break;
            case SyncCompleted:
                _corosync.OnSyncCompleted();
                break;
            case ReloadRequested:
                _corosync.OnConfigReloaded();
                break;
            case LocalGroupEvent groupEvent:
                _corosync.OnGroupEvent(groupEvent.Event);
                break;
        }
    }

    /// <summary>Once per loop turn, after the outputs are flushed: cpg messages that waited for room in the send queue.</summary>
    private void CorosyncIpcTurn(Instant now)
    {
        if (_corosync is not null && OperatingSystem.IsLinux())
        {
            _corosyncNow = now;
            _corosync.OnLoopTurn();
            Flush(now);
        }
    }

    private void LogIpc(IpcLogLevel level, string text)
    {
        switch (level)
        {
            case IpcLogLevel.Error:
                _log.Error(LogSubsystem.Ipc, text);
                break;
            case IpcLogLevel.Warning:
                _log.Warning(LogSubsystem.Ipc, text);
                break;
            case IpcLogLevel.Notice:
                _log.Notice(LogSubsystem.Ipc, text);
                break;
            default:
                _log.Debug(LogSubsystem.Ipc, text);
                break;
        }
    }

    /// <summary>The node as the corosync services see it; every member runs on the loop thread.</summary>
    private sealed class CorosyncNodeView(ClusterNode node) : ICorosyncNode
    {
        public uint LocalNodeId => node._stack.Local.Value;

        public CorosyncConfig Config => node._config;

        public QuorumStatus Quorum => node._stack.Services.Quorum.Status;

        public (uint Representative, ulong Sequence) RingId =>
            (node._stack.Services.RingId.Representative.Value, node._stack.Services.RingId.Sequence);

        public bool Syncing => node._stack.Services.Syncing;

        public Instant Now => node._corosyncNow;

        public void Shutdown() => node.BeginShutdown(node._corosyncNow, null);

        public CsError KillNode(uint nodeId, string reason)
        {
            if (!node._stack.Services.Members.Contains(new NodeId(nodeId)))
            {
                return CsError.NotExist;
            }

            var now = node._corosyncNow;
            node._stack.RequestKillNode(now, new NodeId(nodeId), reason);
            node.Flush(now);
            return CsError.Ok;
        }

        public IReadOnlyList<uint> Members => [.. node._stack.Services.Members.Select(m => m.Value).Order()];

        public CsError SetExpectedVotes(uint votes)
        {
            var now = node._corosyncNow;
            var result = node._stack.SetExpectedVotes(now, votes);
            node.Flush(now);
            return result == QuorumCommandResult.Ok ? CsError.Ok : CsError.InvalidParam;
        }

        public CsError SetVotes(uint nodeId, uint votes) =>
            QuorumCommand((quorum, _, outputs) => quorum.SetVotes(new NodeId(nodeId), votes, outputs)) switch
            {
                QuorumCommandResult.Ok => CsError.Ok,
                QuorumCommandResult.NameNotFound => CsError.NameNotFound,
                _ => CsError.InvalidParam,
            };

        public T QuorumCommand<T>(Func<Votequorum, Instant, QuorumOutput, T> command)
        {
            var now = node._corosyncNow;
            var result = node._stack.QuorumCommand(now, (quorum, outputs) => command(quorum, now, outputs));
            node.Flush(now);
            return result;
        }

        public IReadOnlyList<(CpgGroupName Group, GroupMember Member)> CpgProcesses => node._stack.Services.Groups.Processes;

        public GroupsResult CpgJoin(ulong connection, uint pid, CpgGroupName group) => Command(now => node._stack.JoinGroup(now, connection, pid, group));

        public GroupsResult CpgLeave(ulong connection) => Command(now => node._stack.LeaveGroup(now, connection));

        public GroupsResult CpgSend(ulong connection, byte[] message) => Command(now => node._stack.SendToGroup(now, connection, message));

        public GroupsResult CpgSendPartial(ulong connection, uint messageLength, uint type, byte[] fragment) =>
            Command(now => node._stack.SendPartialToGroup(now, connection, messageLength, type, fragment));

        public void CpgDisconnect(ulong connection) => Command(now =>
        {
            node._stack.Disconnect(now, connection);
            return GroupsResult.Ok;
        });

        /// <summary>A core command at the loop's time, its outputs flushed (datagrams out, callbacks to the clients).</summary>
        private GroupsResult Command(Func<Instant, GroupsResult> command)
        {
            var now = node._corosyncNow;
            var result = command(now);
            node.Flush(now);
            return result;
        }

        public IpcNodeStatus? NodeStatus(uint nodeId)
        {
            var row = node.BuildLinks().Nodes.FirstOrDefault(n => n.Nodeid == nodeId);
            if (row is null)
            {
                return null;
            }

            var links = new IpcLinkStatus?[8];
            foreach (var link in row.Links)
            {
                if (link.Link is < 0 or >= 8)
                {
                    continue;
                }

                var mtu = row.Local ? 0 : node._links.Core.GetLinkStatus(new NodeId(nodeId), new LinkId((byte)link.Link)).Mtu;
                links[link.Link] = new IpcLinkStatus(link.Enabled, row.Local || link.Connected, (uint)Math.Max(0, mtu),
                    link.LocalAddr, row.Local ? link.LocalAddr : link.RemoteAddr);
            }

            return new IpcNodeStatus(row.Reachable, Remote: false, External: false, links);
        }

        public void Reload(Action<CsError> completed)
        {
            // The same cluster-wide request as 'rookery reload' (every member re-reads its file and reports); the answer
            // goes back to the client on the loop thread, as every IPC answer does.
            _ = node.ReloadAsync(dryRun: false, CancellationToken.None).AsTask().WaitAsync(s_ipcReloadTimeout).ContinueWith(
                task => node.Enqueue(_ => completed(task.IsCompletedSuccessfully && task.Result.Ok ? CsError.Ok : task.IsCompletedSuccessfully ? CsError.FailedOperation : CsError.TryAgain)),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }
}
