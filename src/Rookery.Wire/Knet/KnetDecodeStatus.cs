namespace Rookery.Wire.Knet;

/// <summary>Why a knet plaintext packet was accepted or rejected. Decoders return it; they never throw.</summary>
public enum KnetDecodeStatus
{
    /// <summary>The packet is well formed.</summary>
    Ok,

    /// <summary>Shorter than the smallest packet of its type (knet drops anything under 7 bytes).</summary>
    Truncated,

    /// <summary><c>kh_version</c> is not 1.</summary>
    UnsupportedVersion,

    /// <summary><c>kh_type</c> is none of the five knet v1 types.</summary>
    UnknownType,

    /// <summary>The link byte of a PING/PONG/PMTUD packet is not below <see cref="Limits.LinksMax"/>.</summary>
    InvalidLink,

    /// <summary>Fragment numbering is impossible (knet 1.35 CVE-2026-15813 checks).</summary>
    InvalidFragment,

    /// <summary>The channel is outside 0..<see cref="KnetFrame.ChannelsMax"/>-1.</summary>
    InvalidChannel,
}
