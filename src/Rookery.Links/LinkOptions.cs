namespace Rookery.Links;

/// <summary>Configuration of one link to one peer.</summary>
public sealed record LinkOptions
{
    /// <summary>Passive-mode preference; higher wins, 0 counts as 1.</summary>
    /// <value>1 by default (corosync <c>knet_link_priority</c>).</value>
    public byte Priority { get; init; } = LinksDefaults.LinkPriority;

    /// <summary>Failure-detection timers.</summary>
    /// <value><see cref="LinkTimingOptions.Fast"/> by default.</value>
    public LinkTimingOptions Timing { get; init; } = LinkTimingOptions.Fast;

    /// <summary>Administrative state when the link is added.</summary>
    /// <value>Enabled by default (corosync enables every configured link).</value>
    public bool Enabled { get; init; } = true;

    /// <summary>IP header bytes of this link's address family, counted in PMTUD sizes: 20 (IPv4) or 40 (IPv6).</summary>
    /// <value>20 by default.</value>
    public int IpHeaderSize { get; init; } = LinksDefaults.IpHeaderSize;
}
