namespace Rookery.Links;

/// <summary>
/// Counters of one (peer, link), named as corosync exposes them under
/// <c>stats.knet.node&lt;N&gt;.link&lt;L&gt;.&lt;name&gt;</c> (exec/stats.c). Byte counts are on-wire (sealed) sizes.
/// </summary>
public sealed class LinkStats
{
    /// <summary>DATA datagrams sent (<c>tx_data_packets</c>).</summary>
    public long TxDataPackets { get; internal set; }

    /// <summary><c>rx_data_packets</c>.</summary>
    public long RxDataPackets { get; internal set; }

    /// <summary><c>tx_data_bytes</c>.</summary>
    public long TxDataBytes { get; internal set; }

    /// <summary><c>rx_data_bytes</c>.</summary>
    public long RxDataBytes { get; internal set; }

    /// <summary><c>tx_ping_packets</c>.</summary>
    public long TxPingPackets { get; internal set; }

    /// <summary><c>rx_ping_packets</c>.</summary>
    public long RxPingPackets { get; internal set; }

    /// <summary><c>tx_ping_bytes</c>.</summary>
    public long TxPingBytes { get; internal set; }

    /// <summary><c>rx_ping_bytes</c>.</summary>
    public long RxPingBytes { get; internal set; }

    /// <summary><c>tx_pong_packets</c>.</summary>
    public long TxPongPackets { get; internal set; }

    /// <summary><c>rx_pong_packets</c>.</summary>
    public long RxPongPackets { get; internal set; }

    /// <summary><c>tx_pong_bytes</c>.</summary>
    public long TxPongBytes { get; internal set; }

    /// <summary><c>rx_pong_bytes</c>.</summary>
    public long RxPongBytes { get; internal set; }

    /// <summary>PMTUD probes and replies sent (<c>tx_pmtu_packets</c>).</summary>
    public long TxPmtuPackets { get; internal set; }

    /// <summary><c>rx_pmtu_packets</c>.</summary>
    public long RxPmtuPackets { get; internal set; }

    /// <summary><c>tx_pmtu_bytes</c>.</summary>
    public long TxPmtuBytes { get; internal set; }

    /// <summary><c>rx_pmtu_bytes</c>.</summary>
    public long RxPmtuBytes { get; internal set; }

    /// <summary>Send errors the shell reported (<c>tx_total_errors</c>).</summary>
    public long TxTotalErrors { get; internal set; }

    /// <summary>Smallest round trip, µs (<c>latency_min</c>).</summary>
    public long LatencyMin { get; internal set; }

    /// <summary>Largest round trip, µs (<c>latency_max</c>).</summary>
    public long LatencyMax { get; internal set; }

    /// <summary>Running mean round trip over <c>knet_ping_precision</c> samples, µs (<c>latency_ave</c>).</summary>
    public long LatencyAve { get; internal set; }

    /// <summary>Samples in the mean (<c>latency_samples</c>).</summary>
    public long LatencySamples { get; internal set; }

    /// <summary>Times the link went down (<c>down_count</c>).</summary>
    public long DownCount { get; internal set; }

    /// <summary>Times the link came up (<c>up_count</c>).</summary>
    public long UpCount { get; internal set; }

    /// <summary><c>tx_total_packets</c>.</summary>
    public long TxTotalPackets => TxDataPackets + TxPingPackets + TxPongPackets + TxPmtuPackets;

    /// <summary><c>rx_total_packets</c>.</summary>
    public long RxTotalPackets => RxDataPackets + RxPingPackets + RxPongPackets + RxPmtuPackets;

    /// <summary><c>tx_total_bytes</c>.</summary>
    public long TxTotalBytes => TxDataBytes + TxPingBytes + TxPongBytes + TxPmtuBytes;

    /// <summary><c>rx_total_bytes</c>.</summary>
    public long RxTotalBytes => RxDataBytes + RxPingBytes + RxPongBytes + RxPmtuBytes;

    /// <summary>The counters as corosync's cmap key suffixes and values, in exec/stats.c order.</summary>
    public IEnumerable<KeyValuePair<string, long>> Describe()
    {
        yield return new("tx_data_packets", TxDataPackets);
        yield return new("rx_data_packets", RxDataPackets);
        yield return new("tx_data_bytes", TxDataBytes);
        yield return new("rx_data_bytes", RxDataBytes);
        yield return new("tx_ping_packets", TxPingPackets);
        yield return new("rx_ping_packets", RxPingPackets);
        yield return new("tx_ping_bytes", TxPingBytes);
        yield return new("rx_ping_bytes", RxPingBytes);
        yield return new("tx_pong_packets", TxPongPackets);
        yield return new("rx_pong_packets", RxPongPackets);
        yield return new("tx_pong_bytes", TxPongBytes);
        yield return new("rx_pong_bytes", RxPongBytes);
        yield return new("tx_pmtu_packets", TxPmtuPackets);
        yield return new("rx_pmtu_packets", RxPmtuPackets);
        yield return new("tx_pmtu_bytes", TxPmtuBytes);
        yield return new("rx_pmtu_bytes", RxPmtuBytes);
        yield return new("tx_total_packets", TxTotalPackets);
        yield return new("rx_total_packets", RxTotalPackets);
        yield return new("tx_total_bytes", TxTotalBytes);
        yield return new("rx_total_bytes", RxTotalBytes);
        yield return new("tx_total_errors", TxTotalErrors);
        yield return new("rx_total_retries", 0);
        yield return new("tx_pmtu_errors", 0);
        yield return new("tx_pmtu_retries", 0);
        yield return new("tx_ping_errors", 0);
        yield return new("tx_ping_retries", 0);
        yield return new("tx_pong_errors", 0);
        yield return new("tx_pong_retries", 0);
        yield return new("tx_data_errors", 0);
        yield return new("tx_data_retries", 0);
        yield return new("latency_min", LatencyMin);
        yield return new("latency_max", LatencyMax);
        yield return new("latency_ave", LatencyAve);
        yield return new("latency_samples", LatencySamples);
        yield return new("down_count", DownCount);
        yield return new("up_count", UpCount);
    }
}
