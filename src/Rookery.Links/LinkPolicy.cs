namespace Rookery.Links;

/// <summary>How traffic to one peer is spread over its links (corosync <c>totem.link_mode</c>, knet host policy).</summary>
public enum LinkPolicy
{
    /// <summary>
    /// One link: the connected link with the highest priority (priority 0 counts as 1); a tie goes to
    /// the lowest link id (<c>passive</c>, knet <c>KNET_LINK_POLICY_PASSIVE</c>).
    /// </summary>
    Passive,

    /// <summary>Every packet on every connected link; the receiver drops duplicates (<c>active</c>).</summary>
    Active,

    /// <summary>Each packet on the next connected link in turn (<c>rr</c>).</summary>
    RoundRobin,
}
