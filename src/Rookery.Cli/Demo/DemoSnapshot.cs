using System.Globalization;
using System.Text;
using Rookery.Client;
using Rookery.Control;

namespace Rookery.Cli.Demo;

/// <summary>What every node of the demo says about itself at one moment (<c>rookery status --json</c> of each).</summary>
public sealed class DemoSnapshot
{
    private readonly IReadOnlyList<DemoCluster.NodeView> _views;

    private DemoSnapshot(TimeSpan at, IReadOnlyList<DemoCluster.NodeView> views)
    {
        At = at;
        _views = views;
    }

    /// <summary>Time since the demo started.</summary>
    public TimeSpan At { get; }

    public IReadOnlyList<DemoCluster.NodeView> Views => _views;

    /// <summary>Asks every node for its status; a node that does not answer is shown with the reason.</summary>
    public static async Task<DemoSnapshot> TakeAsync(DemoCluster cluster, TimeSpan at, CancellationToken cancellationToken)
    {
        var views = await Task.WhenAll(cluster.Nodes.Select(node => QueryAsync(node, cancellationToken))).ConfigureAwait(false);
        return new DemoSnapshot(at, views);
    }

    /// <summary>Every node answers, is quorate, and sees all three members in the same ring.</summary>
    public bool AllJoined =>
        _views.All(v => v.Status is { Quorum.Quorate: true } s && s.Members.Count == _views.Count)
        && _views.Select(v => v.Status!.Quorum.RingId).Distinct().Count() == 1;

    /// <summary>Exactly the nodes <paramref name="ids"/> answer, are quorate and see themselves, and only themselves, in one ring.</summary>
    public bool JoinedAs(params int[] ids)
    {
        var views = _views.Where(v => ids.Contains(v.Node.Id)).ToList();
        return views.All(v => v.Status is { Quorum.Quorate: true } s && s.Members.Select(m => (int)m.Nodeid).Order().SequenceEqual(ids.Order()))
            && views.Select(v => v.Status!.Quorum.RingId).Distinct().Count() == 1;
    }

    /// <summary>The ring id node <paramref name="id"/> reports, or null when it does not answer.</summary>
    public string? RingOf(int id) => _views[id - 1].Status?.Quorum.RingId;

    /// <summary>The ring id all nodes agree on, or null.</summary>
    public string? RingId => AllJoined ? _views[0].Status!.Quorum.RingId : null;

    /// <summary>The links that carry data from node <paramref name="from"/> to node <paramref name="to"/>.</summary>
    public IReadOnlyList<int> ActiveLinks(int from, int to) =>
        _views[from - 1].Status?.Links.Nodes.FirstOrDefault(n => n.Nodeid == (uint)to)?.Links.Where(l => l.Active).Select(l => l.Link).ToArray() ?? [];

    /// <summary>On every node, data to every peer goes over <paramref name="link"/> and only it.</summary>
    public bool AllActiveOn(int link) =>
        _views.All(from => from.Status is not null)
        && _views.All(from => _views.Where(to => to.Node.Id != from.Node.Id).All(to => ActiveLinks(from.Node.Id, to.Node.Id).SequenceEqual([link])));

    /// <summary>A text that changes whenever something a person would notice changes (used for plain frames).</summary>
    public string Signature()
    {
        var text = new StringBuilder();
        foreach (var view in _views)
        {
            text.Append(view.Node.Id).Append(view.Error is null ? "" : "!");
            if (view.Status is { } status)
            {
                text.Append(status.Quorum.Quorate).Append(status.Quorum.RingId).Append(string.Join(',', status.Members.Select(m => m.Nodeid)));
                foreach (var peer in status.Links.Nodes.Where(n => !n.Local))
                {
                    foreach (var link in peer.Links)
                    {
                        text.Append(link.Enabled ? 'e' : '-').Append(link.Connected ? 'c' : '-').Append(link.Active ? 'a' : '-');
                    }
                }
            }

            text.Append(';');
        }

        return text.ToString();
    }

    /// <summary>The frame: nodes × links (connected, active, latency), then membership and quorum per node.</summary>
    public string Render(DemoCluster cluster, string phase)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(invariant, $"[{At.TotalSeconds,6:0.0} s] {phase}\n");
        var header = new StringBuilder("               ");
        for (var link = 0; link < DemoCluster.LinkCount; link++)
        {
            header.Append(invariant, $"{$"link {link}: 127.{cluster.Subnet}.{link + 1}.N pri {DemoCluster.Priorities[link]}",-32}");
        }

        text.Append(header.ToString().TrimEnd()).Append('\n');
        foreach (var from in _views)
        {
            foreach (var to in _views.Where(v => v.Node.Id != from.Node.Id))
            {
                text.Append(invariant, $"  {from.Node.Name} -> {to.Node.Name}   ");
                var peer = from.Status?.Links.Nodes.FirstOrDefault(n => n.Nodeid == (uint)to.Node.Id);
                for (var link = 0; link < DemoCluster.LinkCount; link++)
                {
                    text.Append(invariant, $"{Cell(peer?.Links.FirstOrDefault(l => l.Link == link)),-32}");
                }

                text.Append('\n');
            }
        }

        text.Append("  node  members    ring        quorum\n");
        foreach (var view in _views)
        {
            if (view.Status is { } status)
            {
                var quorum = status.Quorum;
                var members = string.Join(' ', status.Members.Select(m => m.Nodeid).Order());
                var state = quorum.Quorate ? "quorate" : "NOT quorate";
                text.Append(invariant, $"  {view.Node.Name,-5} {members,-10} {quorum.RingId,-11} {state} ({quorum.TotalVotes}/{quorum.ExpectedVotes} votes, need {quorum.Quorum})\n");
            }
            else
            {
                text.Append(invariant, $"  {view.Node.Name,-5} (no answer: {view.Error})\n");
            }
        }

        return text.ToString();
    }

    private static string Cell(LinkInfo? link)
    {
        if (link is null)
        {
            return "-";
        }

        if (!link.Enabled)
        {
            return "disabled";
        }

        var state = link.Connected ? "connected" : "DOWN";
        var active = link.Active ? " ACTIVE" : "";
        var latency = link.Connected && link.LatencyUs > 0 ? string.Create(CultureInfo.InvariantCulture, $" {link.LatencyUs / 1000.0:0.00} ms") : "";
        return state + active + latency;
    }

    private static async Task<DemoCluster.NodeView> QueryAsync(DemoNode node, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await using var client = await RookeryClient.ConnectAsync(node.Socket, timeout.Token).ConfigureAwait(false);
            return new DemoCluster.NodeView(node, await client.GetStatusAsync(timeout.Token).ConfigureAwait(false), null);
        }
        catch (NodeControlException exception)
        {
            return new DemoCluster.NodeView(node, null, exception.Code);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DemoCluster.NodeView(node, null, "no reply within 2 s");
        }
        catch (IOException exception)
        {
            return new DemoCluster.NodeView(node, null, exception.Message);
        }
    }
}
