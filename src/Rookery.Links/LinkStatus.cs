namespace Rookery.Links;

/// <summary>A snapshot of one (peer, link), for <c>rookery links</c> and cmap-style statistics.</summary>
/// <param name="Peer">The peer.</param>
/// <param name="Link">The link.</param>
/// <param name="Enabled">Administrative state (<c>enabled</c>).</param>
/// <param name="Connected">Ping/pong alive (<c>connected</c>).</param>
/// <param name="Active">Currently carrying traffic under the policy.</param>
/// <param name="Priority">Configured priority.</param>
/// <param name="Mtu">Data bytes per fragment found by PMTUD (<c>mtu</c>).</param>
/// <param name="LatencyMicroseconds">Running mean round trip (<c>latency_ave</c>).</param>
/// <param name="Stats">Live counters (the core keeps updating them).</param>
public sealed record LinkStatus(
    NodeId Peer,
    LinkId Link,
    bool Enabled,
    bool Connected,
    bool Active,
    byte Priority,
    int Mtu,
    long LatencyMicroseconds,
    LinkStats Stats)
{
    /// <summary>
    /// The link's corosync cmap keys and values: <c>stats.knet.node&lt;N&gt;.link&lt;L&gt;.&lt;name&gt;</c>
    /// with <c>enabled</c>, <c>connected</c>, <c>mtu</c> first, then the counters.
    /// </summary>
    public IEnumerable<KeyValuePair<string, long>> StatsKnetKeys()
    {
        var prefix = $"stats.knet.node{Peer}.link{Link}.";
        yield return new(prefix + "enabled", Enabled ? 1 : 0);
        yield return new(prefix + "connected", Connected ? 1 : 0);
        yield return new(prefix + "mtu", Mtu);
        foreach (var pair in Stats.Describe())
        {
            yield return new(prefix + pair.Key, pair.Value);
        }
    }
}
