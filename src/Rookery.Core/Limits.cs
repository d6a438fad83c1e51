namespace Rookery;

/// <summary>Hard bounds shared by every layer. Layer-specific bounds live in that layer's own <c>…Limits</c> class.</summary>
public static class Limits
{
    /// <summary>Links per node (knet: <c>KNET_MAX_LINK</c> = 8; corosync: <c>INTERFACE_MAX</c>).</summary>
    public const int LinksMax = 8;

    /// <summary>Nodes per cluster (corosync: <c>PROCESSOR_COUNT_MAX</c> = 384).</summary>
    public const int NodesMax = 384;

    /// <summary>Largest node id corosync's knet transport accepts (knet host ids are 16-bit; nodeid must be below 65536).</summary>
    public const uint NodeIdMax = 65535;

    /// <summary>Largest UDP payload we ever send or accept.</summary>
    public const int DatagramSizeMax = 65507;
}
