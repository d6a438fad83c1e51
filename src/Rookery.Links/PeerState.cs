namespace Rookery.Links;

/// <summary>Everything the links core knows about one peer: its links, selection, dedup and reassembly.</summary>
internal sealed class PeerState(NodeId id)
{
    public NodeId Id { get; } = id;

    public LinkMonitor?[] Links { get; } = new LinkMonitor?[Limits.LinksMax];

    public DedupWindow Dedup { get; } = new();

    public Reassembler Reassembly { get; } = new();

    /// <summary>Links carrying traffic under the policy, ascending; one in passive mode.</summary>
    public List<LinkId> Selected { get; } = [];

    /// <summary>Every enabled and connected link, ascending.</summary>
    public List<LinkId> Candidates { get; } = [];

    public byte SelectedPriority { get; set; }

    public bool Reachable => Candidates.Count > 0;

    public ulong RoundRobinCounter { get; set; }

    public bool HasTimedPingSeq { get; set; }

    public ushort TimedPingSeq { get; set; }

    public bool HasUntimedPingSeq { get; set; }

    public ushort UntimedPingSeq { get; set; }

    public bool GotDataSinceUntimedPing { get; set; }
}
