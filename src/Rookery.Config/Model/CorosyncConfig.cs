namespace Rookery.Config;

/// <summary>
/// A whole corosync.conf as a typed model. Sections keep every key they were given (unknown keys
/// included); typed properties apply corosync's defaults; <see cref="Timers"/> and
/// <see cref="Links"/> are the derived values the other layers run with.
/// </summary>
public sealed class CorosyncConfig : IEquatable<CorosyncConfig>
{
    public CorosyncConfig(
        TotemConfig totem,
        IReadOnlyList<NodeConfig> nodes,
        QuorumConfig quorum,
        LoggingConfig logging,
        IReadOnlyList<SectionConfig>? otherSections = null,
        bool hasNodelist = true)
    {
        Totem = totem;
        Nodes = [.. nodes];
        Quorum = quorum;
        Logging = logging;
        OtherSections = [.. (otherSections ?? []).OrderBy(s => s.Name, StringComparer.Ordinal)];
        HasNodelist = hasNodelist || Nodes.Count > 0;
    }

    public TotemConfig Totem { get; }

    /// <summary>Nodes in file order.</summary>
    public IReadOnlyList<NodeConfig> Nodes { get; }

    /// <summary>Whether the file has a <c>nodelist { }</c> section (even an empty one).</summary>
    public bool HasNodelist { get; }

    public QuorumConfig Quorum { get; }

    public LoggingConfig Logging { get; }

    /// <summary>Sections this layer does not model (system, resources, …) by name; top-level keys under name "".</summary>
    public IReadOnlyList<SectionConfig> OtherSections { get; }

    /// <summary>The <c>system { }</c> keys (empty when absent).</summary>
    public KeyValues System => Section("system")?.Keys ?? KeyValues.Empty;

    /// <value>/var/lib/rookery by default (corosync: <c>system.state_dir</c>).</value>
    public string StateDir => System["state_dir"] ?? Defaults.StateDir;

    public SectionConfig? Section(string name) => OtherSections.FirstOrDefault(s => s.Name == name);

    /// <summary>Nodes that have a ring0 address: corosync scales the token by this count (<c>interfaces[0].member_count</c>).</summary>
    public int Ring0NodeCount => Nodes.Count(n => n.Address(0) is not null);

    /// <summary>The links in use: those with an interface block or a ringX_addr on some node, valid numbers only, ascending.</summary>
    public IReadOnlyList<LinkId> ConfiguredLinks
    {
        get
        {
            var links = new SortedSet<int>();
            foreach (var face in Totem.Interfaces)
            {
                links.Add(face.LinkNumber);
            }

            foreach (var node in Nodes)
            {
                foreach (var (link, _) in node.RingAddresses)
                {
                    links.Add(link);
                }
            }

            return [.. links.Where(l => l < Limits.LinksMax).Select(l => new LinkId((byte)l))];
        }
    }

    /// <summary>Totem timers with every derivation applied (effective token, consensus, retransmit, hold …).</summary>
    public TotemTimers Timers => TotemTimers.Derive(Totem, Ring0NodeCount);

    /// <summary>The settings of every configured link, ascending by link number.</summary>
    public IReadOnlyList<LinkSettings> Links
    {
        get
        {
            var timers = Timers;
            return [.. ConfiguredLinks.Select(link => LinkSettings.Derive(link, Totem.Interface(link), timers))];
        }
    }

    /// <summary>Sum of the nodes' votes (votequorum's expected votes when quorum.expected_votes is unset).</summary>
    public ulong TotalVotes => (ulong)Nodes.Sum(n => (long)n.QuorumVotes);

    public NodeConfig? FindNode(string name) => Nodes.FirstOrDefault(n => n.Name == name);

    public NodeConfig? FindNode(NodeId id) => Nodes.FirstOrDefault(n => n.NodeId == id.Value);

    public bool Equals(CorosyncConfig? other) =>
        other is not null
        && Totem.Equals(other.Totem)
        && Nodes.SequenceEqual(other.Nodes)
        && HasNodelist == other.HasNodelist
        && Quorum.Equals(other.Quorum)
        && Logging.Equals(other.Logging)
        && OtherSections.SequenceEqual(other.OtherSections);

    public override bool Equals(object? obj) => Equals(obj as CorosyncConfig);

    public override int GetHashCode() => HashCode.Combine(Totem, Nodes.Count, Quorum, Logging);
}
