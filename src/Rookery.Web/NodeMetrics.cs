using System.Diagnostics.Metrics;
using Rookery.Control;

namespace Rookery.Web;

/// <summary>
/// The node's metrics as <see cref="System.Diagnostics.Metrics"/> instruments of the meter <see cref="MeterName"/>, so
/// that the Prometheus endpoint and <c>dotnet-counters</c> read the same numbers. Every instrument is observable: its
/// value is read from the newest status snapshot when a reader collects (no per-packet work on the node's loop).
/// Names are stable (docs/metrics.md) and already in Prometheus form.
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    /// <summary>The meter's name (<c>dotnet-counters monitor --counters Rookery</c>).</summary>
    public const string MeterName = "Rookery";

    private readonly StatusSnapshot _snapshot;

    public NodeMetrics(StatusSnapshot snapshot)
    {
        _snapshot = snapshot;
        Meter = new Meter(MeterName);
        Meter.CreateObservableGauge("rookery_quorate", () => Flag(Status()?.Quorum.Quorate), description: "1 when this node's partition has quorum.");
        Meter.CreateObservableGauge("rookery_members", () => (long)(Status()?.Members.Count ?? 0), description: "Nodes in the current membership, this one included.");
        Meter.CreateObservableGauge("rookery_total_votes", () => (long)(Status()?.Quorum.TotalVotes ?? 0), description: "Votes of the members present (votequorum).");
        Meter.CreateObservableGauge("rookery_expected_votes", () => (long)(Status()?.Quorum.ExpectedVotes ?? 0), description: "This node's expected votes (votequorum).");
        Meter.CreateObservableGauge("rookery_quorum_votes", () => (long)(Status()?.Quorum.Quorum ?? 0), description: "Votes needed for quorum.");
        Meter.CreateObservableGauge("rookery_config_version", () => (long)(Status()?.Cluster.ConfigVersion ?? 0), description: "totem.config_version of the running configuration.");
        Meter.CreateObservableGauge("rookery_peer_reachable", () => PerPeer(static node => node.Reachable ? 1 : 0), description: "1 when at least one link to the peer is connected.");
        Meter.CreateObservableGauge("rookery_link_enabled", () => PerLink(static link => link.Enabled ? 1 : 0), description: "1 when the link is configured and enabled.");
        Meter.CreateObservableGauge("rookery_link_connected", () => PerLink(static link => link.Connected ? 1 : 0), description: "1 when heartbeats are answered on the link.");
        Meter.CreateObservableGauge("rookery_link_active", () => PerLink(static link => link.Active ? 1 : 0), description: "1 when the link carries this node's data to the peer now.");
        Meter.CreateObservableGauge("rookery_link_priority", () => PerLink(static link => link.Priority), description: "knet_link_priority of the link.");
        Meter.CreateObservableGauge("rookery_link_latency_seconds", () => PerLinkDouble(static link => link.LatencyUs / 1e6), unit: "s", description: "Average ping round trip on the link (0 before the first pong).");
        Meter.CreateObservableCounter("rookery_link_up_transitions_total", () => PerLink(static link => link.UpCount), description: "Times the link came up.");
        Meter.CreateObservableCounter("rookery_link_down_transitions_total", () => PerLink(static link => link.DownCount), description: "Times the link went down.");
        Meter.CreateObservableCounter("rookery_link_tx_packets_total", () => PerLink(static link => (long)link.TxDataPackets), description: "Data packets sent on the link.");
        Meter.CreateObservableCounter("rookery_link_rx_packets_total", () => PerLink(static link => (long)link.RxDataPackets), description: "Data packets received on the link.");
        Meter.CreateObservableCounter("rookery_dropped_packets_total", Dropped, description: "Packets dropped, by reason (counted, never logged one by one).");
        Meter.CreateObservableCounter("rookery_totem_token_rotations_total", () => Counter(static c => c.TokenRotations), description: "Tokens received by this node (Totem ring rotations).");
        Meter.CreateObservableCounter("rookery_totem_messages_sent_total", () => Counter(static c => c.MessagesSent), description: "Totem multicasts sent, retransmissions included.");
        Meter.CreateObservableCounter("rookery_totem_messages_received_total", () => Counter(static c => c.MessagesReceived), description: "Totem multicasts received.");
        Meter.CreateObservableCounter("rookery_totem_retransmits_total", () => Counter(static c => c.Retransmits), description: "Totem multicasts sent again because a member asked for them.");
        Meter.CreateObservableCounter("rookery_totem_messages_delivered_total", () => Counter(static c => c.MessagesDelivered), description: "Messages delivered in agreed order to the services.");
        Meter.CreateObservableCounter("rookery_totem_ring_changes_total", () => Counter(static c => c.RingChanges), description: "New rings this node entered.");
        Meter.CreateObservableCounter("rookery_totem_tokens_lost_total", () => Counter(static c => c.TokensLost), description: "Token timeouts (the ring was lost).");
        Meter.CreateObservableCounter("rookery_cpg_deliveries_total", () => Counter(static c => c.GroupMessagesDelivered), description: "Process-group messages delivered to this node's processes.");
        Meter.CreateObservableGauge("rookery_cpg_groups", () => Counter(static c => c.Groups), description: "Process groups with at least one process in the cluster.");
    }

    /// <summary>The meter holding every instrument.</summary>
    public Meter Meter { get; }

    public void Dispose() => Meter.Dispose();

    private static long Flag(bool? value) => value == true ? 1 : 0;

    /// <summary>One of the engine's counters; no sample before the node answered (a counter must not appear as 0 and then jump).</summary>
    private IEnumerable<Measurement<long>> Counter(Func<EngineCounters, long> value)
    {
        if (Status()?.Counters is { } counters)
        {
            yield return new Measurement<long>(value(counters));
        }
    }

    private ClusterStatus? Status() => _snapshot.Current;

    private IEnumerable<Measurement<long>> PerPeer(Func<NodeLinks, long> value)
    {
        if (Status() is not { } status)
        {
            yield break;
        }

        foreach (var node in status.Links.Nodes)
        {
            if (!node.Local)
            {
                yield return new Measurement<long>(value(node), PeerTag(node));
            }
        }
    }

    private IEnumerable<Measurement<long>> PerLink(Func<LinkInfo, long> value)
    {
        foreach (var (node, link) in Links())
        {
            yield return new Measurement<long>(value(link), PeerTag(node), LinkTag(link));
        }
    }

    private IEnumerable<Measurement<double>> PerLinkDouble(Func<LinkInfo, double> value)
    {
        foreach (var (node, link) in Links())
        {
            yield return new Measurement<double>(value(link), PeerTag(node), LinkTag(link));
        }
    }

    private IEnumerable<(NodeLinks Node, LinkInfo Link)> Links()
    {
        if (Status() is not { } status)
        {
            yield break;
        }

        foreach (var node in status.Links.Nodes)
        {
            if (node.Local)
            {
                continue;
            }

            foreach (var link in node.Links)
            {
                yield return (node, link);
            }
        }
    }

    private IEnumerable<Measurement<long>> Dropped()
    {
        if (Status()?.Links.Dropped is not { } dropped)
        {
            yield break;
        }

        foreach (var (reason, count) in DroppedReasons.Of(dropped))
        {
            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    private static KeyValuePair<string, object?> PeerTag(NodeLinks node) => new("peer", node.Nodeid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static KeyValuePair<string, object?> LinkTag(LinkInfo link) => new("link", link.Link.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>The drop reasons of <see cref="DroppedPackets"/> under their JSON names (the <c>reason</c> label).</summary>
internal static class DroppedReasons
{
    public static IEnumerable<(string Reason, long Count)> Of(DroppedPackets dropped)
    {
        yield return ("rx_crypt_errors", dropped.RxCryptErrors);
        yield return ("rx_malformed", dropped.RxMalformed);
        yield return ("rx_unknown_source", dropped.RxUnknownSource);
        yield return ("rx_unknown_host", dropped.RxUnknownHost);
        yield return ("rx_wrong_link", dropped.RxWrongLink);
        yield return ("rx_not_reachable", dropped.RxNotReachable);
        yield return ("rx_duplicates", dropped.RxDuplicates);
        yield return ("rx_compressed", dropped.RxCompressed);
        yield return ("rx_reassembly_errors", dropped.RxReassemblyErrors);
        yield return ("rx_stale_pongs", dropped.RxStalePongs);
        yield return ("totem_decode_errors", dropped.TotemDecodeErrors);
        yield return ("totem_strangers", dropped.TotemStrangers);
        yield return ("service_decode_errors", dropped.ServiceDecodeErrors);
        yield return ("tx_no_reachable_destination", dropped.TxNoReachableDestination);
    }
}
