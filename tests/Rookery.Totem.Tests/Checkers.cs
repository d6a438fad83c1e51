using System.Text;
using Rookery.Wire.Totem;

namespace Rookery.Totem.Tests;

/// <summary>Cluster-wide safety checks over what every node delivered. Each failure names the seed.</summary>
internal static class Checkers
{
    public static void CheckAll(TestCluster cluster)
    {
        NoDuplicatesAndSenderOrder(cluster);
        AgreedOrder(cluster);
        MembershipAgreement(cluster);
        VirtualSynchrony(cluster);
        ConfigurationEventShape(cluster);
    }

    /// <summary>No node delivers a message twice; a sender's messages arrive in the order it submitted them.</summary>
    public static void NoDuplicatesAndSenderOrder(TestCluster cluster)
    {
        foreach (var node in cluster.Nodes)
        {
            var seen = new HashSet<string>();
            var lastBySender = new Dictionary<string, int>();
            foreach (var text in node.DeliveredTexts)
            {
                Check(cluster, seen.Add(text), $"node {node.Id} delivered {Short(text)} twice");
                var parts = text.Split(':');
                var counter = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                if (lastBySender.TryGetValue(parts[0], out var last))
                {
                    Check(cluster, counter > last, $"node {node.Id} delivered {Short(text)} after {parts[0]}:{last} (sender FIFO broken)");
                }

                lastBySender[parts[0]] = counter;
            }
        }
    }

    /// <summary>Messages ordered in one ring are delivered in the same relative order everywhere.</summary>
    public static void AgreedOrder(TestCluster cluster)
    {
        var perNode = cluster.Nodes.Select(n => n.Deliveries.Select(d => (d.RingId, Text: Encoding.UTF8.GetString(d.Payload.Span))).ToList()).ToList();
        for (var a = 0; a < perNode.Count; a++)
        {
            for (var b = a + 1; b < perNode.Count; b++)
            {
                var positions = new Dictionary<string, int>();
                for (var i = 0; i < perNode[b].Count; i++)
                {
                    positions[perNode[b][i].Text] = i;
                }

                var lastPosition = -1;
                foreach (var (ring, text) in perNode[a])
                {
                    if (!positions.TryGetValue(text, out var position))
                    {
                        continue;
                    }

                    Check(cluster, perNode[b][position].RingId == ring, $"{Short(text)} ordered in ring {ring} at node {a + 1} but {perNode[b][position].RingId} at node {b + 1}");
                    Check(cluster, position > lastPosition, $"nodes {a + 1} and {b + 1} disagree on the order around {Short(text)}");
                    lastPosition = position;
                }
            }
        }
    }

    /// <summary>Every node that installs a regular configuration of ring R installs it with the same members.</summary>
    public static void MembershipAgreement(TestCluster cluster)
    {
        var members = new Dictionary<RingId, string>();
        foreach (var node in cluster.Nodes)
        {
            foreach (var c in node.Events.Select(e => e.Event).OfType<ConfigurationChanged>().Where(c => c.Kind == ConfigurationKind.Regular))
            {
                var list = string.Join(' ', c.Members);
                Check(cluster, NodeSetContains(c.Members, node.Id), $"node {node.Id} installed ring {c.RingId} without itself");
                if (members.TryGetValue(c.RingId, out var other))
                {
                    Check(cluster, other == list, $"ring {c.RingId}: members [{list}] at node {node.Id} but [{other}] elsewhere");
                }
                else
                {
                    members[c.RingId] = list;
                }
            }
        }
    }

    /// <summary>
    /// Extended virtual synchrony: nodes that go together from regular configuration R to the next
    /// configuration delivered the same messages in R (before the transitional configuration) and the
    /// same messages in the transitional configuration.
    /// </summary>
    public static void VirtualSynchrony(TestCluster cluster)
    {
        var segments = new Dictionary<(RingId From, RingId To), (string Regular, string Transitional, NodeId Node)>();
        foreach (var node in cluster.Nodes)
        {
            foreach (var incarnation in node.Events.Select(e => e.Incarnation).Distinct())
            {
                RingId? current = null;
                var inRegular = new List<string>();
                var inTransitional = new List<string>();
                RingId? transitionalTo = null;
                foreach (var (_, _, e) in node.Events.Where(e => e.Incarnation == incarnation))
                {
                    switch (e)
                    {
                        case Delivered d when transitionalTo is null:
                            inRegular.Add(Encoding.UTF8.GetString(d.Payload.Span));
                            break;
                        case Delivered d:
                            inTransitional.Add(Encoding.UTF8.GetString(d.Payload.Span));
                            break;
                        case ConfigurationChanged { Kind: ConfigurationKind.Transitional } t:
                            transitionalTo = t.RingId;
                            break;
                        case ConfigurationChanged { Kind: ConfigurationKind.Regular } r:
                            if (current is { } from && transitionalTo is { } to)
                            {
                                var value = (string.Join(',', inRegular.Order(StringComparer.Ordinal)), string.Join(',', inTransitional.Order(StringComparer.Ordinal)), node.Id);
                                if (segments.TryGetValue((from, to), out var other))
                                {
                                    Check(cluster, other.Regular == value.Item1, $"nodes {other.Node} and {node.Id} moved together from {from} to {to} but delivered different sets in {from}");
                                    Check(cluster, other.Transitional == value.Item2, $"nodes {other.Node} and {node.Id} delivered different sets in the transitional configuration {from} -> {to}");
                                }
                                else
                                {
                                    segments[(from, to)] = value;
                                }
                            }

                            current = r.RingId;
                            transitionalTo = null;
                            inRegular.Clear();
                            inTransitional.Clear();
                            break;
                    }
                }
            }
        }
    }

    /// <summary>Configuration events come in pairs: transitional then regular of the same ring; transitional ⊆ regular.</summary>
    public static void ConfigurationEventShape(TestCluster cluster)
    {
        foreach (var node in cluster.Nodes)
        {
            ConfigurationChanged? pending = null;
            foreach (var c in node.Events.Select(e => e.Event).OfType<ConfigurationChanged>())
            {
                if (c.Kind == ConfigurationKind.Transitional)
                {
                    Check(cluster, pending is null, $"node {node.Id}: two transitional configurations in a row");
                    pending = c;
                }
                else
                {
                    Check(cluster, pending is not null && pending.RingId == c.RingId, $"node {node.Id}: regular configuration {c.RingId} without its transitional one");
                    Check(cluster, pending!.Members.All(m => NodeSetContains(c.Members, m)), $"node {node.Id}: transitional members not in regular configuration {c.RingId}");
                    Check(cluster, c.Joined.All(j => !NodeSetContains(pending.Members, j)), $"node {node.Id}: joined list overlaps transitional members in {c.RingId}");
                    pending = null;
                }
            }
        }
    }

    /// <summary>Every message a never-crashed node had accepted was delivered back to it.</summary>
    public static void SelfDelivery(TestCluster cluster, IEnumerable<TestNode> nodes)
    {
        foreach (var node in nodes)
        {
            var delivered = node.DeliveredTexts.ToHashSet();
            var missing = node.Accepted.Where(a => !delivered.Contains(a)).ToList();
            Check(cluster, missing.Count == 0, $"node {node.Id} never delivered {missing.Count} of its own messages, first {(missing.Count > 0 ? Short(missing[0]) : string.Empty)}");
        }
    }

    public static void Check(TestCluster cluster, bool condition, string what)
    {
        if (!condition)
        {
            Assert.Fail($"seed {cluster.Seed}: {what}");
        }
    }

    private static bool NodeSetContains(IReadOnlyList<NodeId> set, NodeId node) => set.Contains(node);

    private static string Short(string text) => text.Length <= 24 ? text : text[..24] + "…";
}
