using System.Globalization;
using System.Threading.Channels;
using Rookery.Links;
using Rookery.Control;
using Rookery.Services;

namespace Rookery.Node.Shell;

/// <content>
/// Cluster events (<c>rookery events</c>): membership changes with the reason a node left, quorum changes, link
/// up/down and the active link per peer, configuration changes. Built on the loop thread from the stack's and the
/// link layer's outputs, pushed to every subscriber (each starts with the current state) and to the hook runner.
/// </content>
public sealed partial class ClusterNode
{
    private readonly List<Channel<ClusterEvent>> _eventSubscribers = [];
    private readonly HashSet<uint> _announcedShutdowns = [];
    private IReadOnlyList<NodeId> _eventMembers = [];
    private bool? _eventQuorate;
    private EventHooks? _hooks;

    public async ValueTask<ChannelReader<ClusterEvent>> WatchEventsAsync(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<ClusterEvent>(new BoundedChannelOptions(ControlProtocol.EventBacklogMax) { SingleReader = true });
        await InvokeAsync(_ =>
        {
            foreach (var initial in CurrentState())
            {
                channel.Writer.TryWrite(initial with { Initial = true });
            }

            _eventSubscribers.Add(channel);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        cancellationToken.Register(() => Enqueue(_ =>
        {
            _eventSubscribers.Remove(channel);
            channel.Writer.TryComplete();
        }));
        return channel.Reader;
    }

    /// <summary>Starts the hook runner when the hooks directory exists (see <see cref="EventHooks"/>).</summary>
    private void StartHooks()
    {
        var directory = _options.EventHooksDirectory ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_options.ConfigPath)) ?? ".", EventHooks.DirectoryName);
        if (Directory.Exists(directory))
        {
            _hooks = new EventHooks(directory, _log);
        }
    }

    private IEnumerable<ClusterEvent> CurrentState()
    {
        var members = _stack.Services.Members.Select(m => m.Value).ToList();
        yield return Event(ClusterEventTypes.Membership) with { RingId = _stack.Services.RingId.ToString(), Members = members };
        yield return Event(ClusterEventTypes.Quorum) with { Quorate = _stack.Services.Quorum.Status.Quorate, Members = members };
        yield return Event(ClusterEventTypes.Config) with { ConfigVersion = _config.Totem.ConfigVersion, Source = "running" };
        foreach (var node in BuildLinks().Nodes.Where(n => !n.Local))
        {
            foreach (var link in node.Links)
            {
                yield return Event(ClusterEventTypes.Link) with { Nodeid = node.Nodeid, Name = node.Name, Link = link.Link, State = link.Connected ? "up" : "down" };
            }

            var active = node.Links.FirstOrDefault(l => l.Active);
            yield return Event(ClusterEventTypes.LinkActive) with
            {
                Nodeid = node.Nodeid, Name = node.Name, Link = active?.Link, State = active is null ? "none" : "active",
            };
        }
    }

    private ClusterEvent Event(string type) =>
        new(type, DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));

    private string NameOf(uint node) => _config.FindNode(new NodeId(node))?.DisplayName ?? node.ToString(CultureInfo.InvariantCulture);

    private void Publish(ClusterEvent clusterEvent)
    {
        for (var i = _eventSubscribers.Count - 1; i >= 0; i--)
        {
            var channel = _eventSubscribers[i];
            if (!channel.Writer.TryWrite(clusterEvent))
            {
                _eventSubscribers.RemoveAt(i);
                channel.Writer.TryComplete(new NodeControlException(ControlErrorCodes.Refused,
                    $"the events reader fell {ControlProtocol.EventBacklogMax} events behind; subscribe again"));
            }
        }

        _hooks?.Post(clusterEvent);
    }

    /// <summary>Link layer events of the loop turn: up/down per peer link and the link carrying traffic to a peer.</summary>
    private void OnLinkEvent(LinkEvent linkEvent)
    {
        switch (linkEvent)
        {
            case LinkUp up:
                Publish(Event(ClusterEventTypes.Link) with { Nodeid = up.Peer.Value, Name = NameOf(up.Peer.Value), Link = up.Link.Value, State = "up" });
                break;
            case LinkDown down:
                Publish(Event(ClusterEventTypes.Link) with
                {
                    Nodeid = down.Peer.Value, Name = NameOf(down.Peer.Value), Link = down.Link.Value, State = "down", Reason = down.Reason.ToString().ToLowerInvariant(),
                });
                break;
            case ActiveLinksChanged changed:
                Publish(Event(ClusterEventTypes.LinkActive) with
                {
                    Nodeid = changed.Peer.Value, Name = NameOf(changed.Peer.Value),
                    Link = changed.Links.IsEmpty ? null : changed.Links[0].Value, State = changed.Links.IsEmpty ? "none" : "active",
                });
                break;
        }
    }

    /// <summary>A sync completed: members that joined and left since the last one (a clean shutdown was announced; anything else was lost).</summary>
    private void PublishMembership(SyncCompleted completed)
    {
        var ring = completed.RingId.ToString();
        foreach (var joined in completed.Members.Except(_eventMembers))
        {
            if (joined != _stack.Local || _eventMembers.Count > 0)
            {
                Publish(Event(ClusterEventTypes.NodeJoined) with { Nodeid = joined.Value, Name = NameOf(joined.Value), RingId = ring });
            }

            _announcedShutdowns.Remove(joined.Value);
        }

        foreach (var left in _eventMembers.Except(completed.Members))
        {
            Publish(Event(ClusterEventTypes.NodeLeft) with
            {
                Nodeid = left.Value, Name = NameOf(left.Value), RingId = ring, Reason = _announcedShutdowns.Remove(left.Value) ? "shutdown" : "lost",
            });
        }

        _eventMembers = completed.Members;
        PublishQuorum();
    }

    private void PublishQuorum()
    {
        var status = _stack.Services.Quorum.Status;
        if (_eventQuorate != status.Quorate)
        {
            _eventQuorate = status.Quorate;
            Publish(Event(ClusterEventTypes.Quorum) with { Quorate = status.Quorate, Members = [.. status.Members.Select(m => m.Value)] });
        }
    }

    private void PublishConfig(string source, IReadOnlyList<string> changes) =>
        Publish(Event(ClusterEventTypes.Config) with { ConfigVersion = _config.Totem.ConfigVersion, Source = source, Changes = changes });
}
