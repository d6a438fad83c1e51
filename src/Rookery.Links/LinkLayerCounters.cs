namespace Rookery.Links;

/// <summary>
/// Node-wide counters: crypto work (knet's <c>stats.knet.handle.*</c> names where knet has one) and every
/// reason an incoming datagram was dropped (Rookery's own, since knet only logs them).
/// </summary>
public sealed class LinkLayerCounters
{
    /// <summary>Datagrams sealed (<c>tx_crypt_packets</c>).</summary>
    public long TxCryptPackets { get; internal set; }

    /// <summary>Datagrams opened successfully (<c>rx_crypt_packets</c>).</summary>
    public long RxCryptPackets { get; internal set; }

    /// <summary>Dropped: authentication or decryption failed (wrong key, clear text, corruption).</summary>
    public long RxCryptErrors { get; internal set; }

    /// <summary>Dropped: the plaintext is not a valid knet v1 packet.</summary>
    public long RxMalformed { get; internal set; }

    /// <summary>Dropped: the sender is not a configured peer ("Unable to find source host").</summary>
    public long RxUnknownHost { get; internal set; }

    /// <summary>Dropped: the link is not configured for that peer, disabled, or differs from the packet's link byte.</summary>
    public long RxWrongLink { get; internal set; }

    /// <summary>Dropped: data from a peer that is not reachable yet ("Source host not reachable yet").</summary>
    public long RxNotReachable { get; internal set; }

    /// <summary>Dropped: data already delivered ("Packet has already been delivered"), e.g. active-mode or hedged copies.</summary>
    public long RxDuplicates { get; internal set; }

    /// <summary>Dropped: compressed data (Rookery does not decompress).</summary>
    public long RxCompressed { get; internal set; }

    /// <summary>Dropped: fragments that cannot form a message (too large, abandoned, evicted).</summary>
    public long RxReassemblyErrors { get; internal set; }

    /// <summary>Dropped: pongs with a timestamp we did not write or that came back too late.</summary>
    public long RxStalePongs { get; internal set; }

    /// <summary>Messages not sent because no destination was reachable (knet: EHOSTDOWN).</summary>
    public long TxNoReachableDestination { get; internal set; }

    /// <summary>Data copies sent on a second link because the passive link was suspect.</summary>
    public long TxHedged { get; internal set; }
}
