namespace Rookery.Wire.Knet;

/// <summary>The <c>kh_type</c> byte of a knet v1 packet (libknet <c>onwire.h</c>).</summary>
public enum KnetPacketType : byte
{
    /// <summary>Application data (<c>KNET_HEADER_TYPE_DATA</c>).</summary>
    Data = 0x00,

    /// <summary>Heartbeat request (<c>KNET_HEADER_TYPE_PING</c>).</summary>
    Ping = 0x81,

    /// <summary>Heartbeat answer: the ping with type and node rewritten (<c>KNET_HEADER_TYPE_PONG</c>).</summary>
    Pong = 0x82,

    /// <summary>Path MTU probe, padded to the probed size (<c>KNET_HEADER_TYPE_PMTUD</c>).</summary>
    Pmtud = 0x83,

    /// <summary>Path MTU probe answer: the first 9 bytes of the probe (<c>KNET_HEADER_TYPE_PMTUD_REPLY</c>).</summary>
    PmtudReply = 0x84,
}
