using System.Globalization;

namespace Rookery.Config;

/// <summary>A <c>node { }</c> block of the nodelist.</summary>
public sealed class NodeConfig : IEquatable<NodeConfig>
{
    public NodeConfig(KeyValues keys, int line = 0)
    {
        Keys = keys;
        Line = line;
        var links = new List<(int Link, string Address)>();
        foreach (var item in keys)
        {
            if (TryParseRingKey(item.Key, out var link))
            {
                links.Add((link, item.Value));
            }
        }

        RingAddresses = [.. links.OrderBy(l => l.Link)];
    }

    /// <summary>Every key of the block, including unknown ones.</summary>
    public KeyValues Keys { get; }

    public int Line { get; }

    /// <value>Required with knet (corosync: <c>nodelist.node.nodeid</c>).</value>
    public uint? NodeId => Keys.GetUInt32("nodeid");

    /// <value>None by default; required with more than one link (corosync: <c>nodelist.node.name</c>).</value>
    public string? Name => Keys["name"];

    /// <value>1 by default (corosync: <c>nodelist.node.quorum_votes</c>).</value>
    public uint QuorumVotes => Keys.GetUInt32("quorum_votes") ?? Defaults.QuorumVotes;

    /// <summary>Every <c>ringX_addr</c> by link number (X may be 8 or more here; validation rejects it).</summary>
    public IReadOnlyList<(int Link, string Address)> RingAddresses { get; }

    /// <summary>How the node is named in messages: its name, else its ring0 address (like pvecm).</summary>
    public string DisplayName => Name ?? Address(0) ?? $"#{Line}";

    public static string RingKey(int link) => string.Create(CultureInfo.InvariantCulture, $"ring{link}_addr");

    /// <summary>Matches <c>ring&lt;digits&gt;_addr</c>, as corosync's <c>sscanf("ring%u%s")</c> with "_addr" does.</summary>
    public static bool TryParseRingKey(string key, out int link)
    {
        link = -1;
        if (!key.StartsWith("ring", StringComparison.Ordinal) || !key.EndsWith("_addr", StringComparison.Ordinal))
        {
            return false;
        }

        var digits = key.AsSpan(4, key.Length - 4 - 5);
        if (digits.Length is 0 or > 9)
        {
            return false;
        }

        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        link = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return true;
    }

    public string? Address(int link) => Keys[RingKey(link)];

    public bool Equals(NodeConfig? other) => other is not null && Keys.Equals(other.Keys);

    public override bool Equals(object? obj) => Equals(obj as NodeConfig);

    public override int GetHashCode() => Keys.GetHashCode();

    public override string ToString() => $"node {DisplayName}";
}
