namespace Rookery.Links;

/// <summary>Hard bounds of the links core (knet's constants where knet has one).</summary>
public static class LinksLimits
{
    /// <summary>Seqs remembered per source for duplicate suppression (<c>KNET_CBUFFER_SIZE</c>).</summary>
    public const int DedupWindowSize = 4096;

    /// <summary>Messages under reassembly per source (<c>KNET_DEFRAG_BUFFERS</c>).</summary>
    public const int ReassemblyBuffersMax = 32;

    /// <summary>A partial message this many seqs behind the newest is abandoned (knet reclaims outside a 33-wide window).</summary>
    public const int ReassemblyWindow = 33;

    /// <summary>Largest application message (<c>KNET_MAX_PACKET_SIZE</c>).</summary>
    public const int MessageSizeMax = 65536;

    /// <summary>Largest probed IP packet (<c>KNET_PMTUD_SIZE_V4</c>).</summary>
    public const int PmtudSizeMax = 65535;

    /// <summary>Smallest IP packet every path carries (knet computes its minimum MTU from 576).</summary>
    public const int PmtudSizeMin = 576;

    /// <summary>Probes in one discovery run before it gives up (knet: "Too many attempts").</summary>
    public const int PmtudProbesMax = 30;

    /// <summary>Link downs remembered for flap damping.</summary>
    public const int FlapHistoryMax = 4;

    /// <summary>Largest flap damping multiplier of the pongs needed to come up.</summary>
    public const int FlapMultiplierMax = 8;

    /// <summary>Every this many data packets a forced (untimed) ping carries our seq to every peer (knet: SEQ_MAX / 8).</summary>
    public const int UntimedPingEvery = 8191;
}
