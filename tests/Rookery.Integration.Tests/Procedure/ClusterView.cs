using System.Text.Json;

namespace Rookery.Integration.Tests.Procedure;

/// <summary>One (node, link) pair as <c>rookery links --json</c> / <c>status --json</c> report it (architecture.md §5).</summary>
public sealed record LinkState(int Link, bool Enabled, bool Connected, bool Active, int Priority, ulong TxDataPackets, ulong RxDataPackets)
{
    public static LinkState Parse(JsonElement link) => new(
        link.GetProperty("link").GetInt32(),
        link.GetProperty("enabled").GetBoolean(),
        link.GetProperty("connected").GetBoolean(),
        link.GetProperty("active").GetBoolean(),
        link.GetProperty("priority").GetInt32(),
        link.GetProperty("tx_data_packets").GetUInt64(),
        link.GetProperty("rx_data_packets").GetUInt64());
}

/// <summary>What one node says in <c>rookery status --json</c>: quorum, membership and its links to every peer.</summary>
public sealed class NodeView(int node, JsonElement status)
{
    public int Node { get; } = node;

    public JsonElement Json { get; } = status;

    public bool Quorate => Json.GetProperty("quorum").GetProperty("quorate").GetBoolean();

    public string RingId => Json.GetProperty("quorum").GetProperty("ring_id").GetString() ?? "";

    public int[] Members => [.. Json.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("nodeid").GetInt32()).Order()];

    /// <summary>The links to <paramref name="peer"/> (links --json has the same <c>nodes</c> array as status's <c>links</c>).</summary>
    public IReadOnlyList<LinkState> LinksTo(int peer) => LinksTo(Json.GetProperty("links"), peer);

    public LinkState? Link(int peer, int link) => LinksTo(peer).FirstOrDefault(l => l.Link == link);

    public int[] ActiveLinks(int peer) => [.. LinksTo(peer).Where(l => l.Active).Select(l => l.Link)];

    public static IReadOnlyList<LinkState> LinksTo(JsonElement links, int peer) =>
        links.GetProperty("nodes").EnumerateArray()
            .Where(n => n.GetProperty("nodeid").GetInt32() == peer)
            .SelectMany(n => n.GetProperty("links").EnumerateArray())
            .Select(LinkState.Parse)
            .ToArray();

    public override string ToString() =>
        $"node {Node}: quorate={Quorate} ring={RingId} members=[{string.Join(' ', Members)}] " +
        string.Join(' ', Json.GetProperty("links").GetProperty("nodes").EnumerateArray()
            .Where(n => !n.GetProperty("local").GetBoolean())
            .Select(n => $"->{n.GetProperty("nodeid").GetInt32()}:" + string.Join(',', n.GetProperty("links").EnumerateArray().Select(LinkState.Parse)
                .Select(l => $"L{l.Link}{(l.Enabled ? "" : "off")}{(l.Connected ? "c" : "-")}{(l.Active ? "A" : "")}/p{l.Priority}/tx{l.TxDataPackets}"))));
}

/// <summary>Every node's view at one moment.</summary>
public sealed class ClusterView(IReadOnlyList<NodeView> nodes)
{
    public IReadOnlyList<NodeView> Nodes { get; } = nodes;

    public NodeView this[int node] => Nodes.Single(n => n.Node == node);

    /// <summary>Every listed node is quorate with exactly <paramref name="members"/> and the same ring id.</summary>
    public bool AllQuorateWith(IReadOnlyCollection<int> nodes, params int[] members) =>
        nodes.All(n => this[n].Quorate && this[n].Members.SequenceEqual(members)) && nodes.Select(n => this[n].RingId).Distinct().Count() == 1;

    /// <summary>Between every pair of <paramref name="nodes"/>, in both directions, data goes over exactly <paramref name="link"/>.</summary>
    public bool ActiveEverywhere(int link, params int[] nodes) =>
        nodes.All(from => nodes.Where(to => to != from).All(to => this[from].ActiveLinks(to).SequenceEqual([link])));

    public override string ToString() => string.Join('\n', Nodes);
}
