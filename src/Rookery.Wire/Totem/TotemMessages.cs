namespace Rookery.Wire.Totem;

/// <summary>Totem message types (corosync <c>enum message_type</c>). Values are protocol: never renumber.</summary>
public enum TotemMessageType : byte
{
    OrfToken = 0,
    Mcast = 1,
    MergeDetect = 2,
    Join = 3,
    CommitToken = 4,
    TokenHoldCancel = 5,
}

/// <summary>Why <see cref="TotemCodec.TryDecode(ReadOnlySpan{byte}, out TotemMessage)"/> rejected a datagram. Callers count and drop.</summary>
public enum TotemDecodeStatus
{
    Ok,
    TooShort,
    BadMagic,
    UnsupportedVersion,
    UnknownType,
    LengthMismatch,
    TooManyEntries,
}

/// <summary>
/// Values of the <c>encapsulated</c> header byte of an MCAST (corosync <c>MESSAGE_ENCAPSULATED</c> = 1,
/// <c>MESSAGE_NOT_ENCAPSULATED</c> = 2; other messages carry 0).
/// </summary>
public static class TotemEncapsulation
{
    public const byte None = 0;
    public const byte Encapsulated = 1;
    public const byte NotEncapsulated = 2;
}

/// <summary>Bounds of the Totem wire format (corosync <c>exec/totemsrp.c</c>).</summary>
public static class TotemWireLimits
{
    /// <summary>Entries in an ORF token's retransmit list (corosync <c>RETRANSMIT_ENTRIES_MAX</c>).</summary>
    public const int RetransmitEntriesMax = 30;

    /// <summary>Entries in a JOIN's processor or failed list, or a commit token's member list (<c>PROCESSOR_COUNT_MAX</c>).</summary>
    public const int ProcessorsMax = Limits.NodesMax;
}

/// <summary>
/// A Totem v3 message. <see cref="Sender"/> and <see cref="Target"/> are the common header's
/// <c>nodeid</c> and <c>target_nodeid</c> (0 = multicast). The header layout (13 bytes):
/// <code>
/// offset size field
///      0    2 magic          0xC070 (its byte order tells the reader the sender's byte order)
///      2    1 version        3
///      3    1 type           TotemMessageType
///      4    1 encapsulated   MCAST: 1 encapsulated recovery copy, 2 normal; others 0
///      5    4 nodeid         sender (0 in a LEAVE)
///      9    4 target_nodeid  0 = multicast
/// </code>
/// </summary>
public abstract record TotemMessage(NodeId Sender, NodeId Target)
{
    public abstract TotemMessageType Type { get; }
}

/// <summary>One retransmit request carried by the token (corosync <c>struct rtr_item</c>).</summary>
public readonly record struct RetransmitRequest(RingId RingId, uint Seq);

/// <summary>
/// The ordering, reliability and flow-control token (type 0; 57 + 16·n bytes).
/// <code>
/// 13 seq u32 · 17 token_seq u32 · 21 aru u32 · 25 aru_addr u32 · 29 ring_id (rep u32, seq u64)
/// 41 backlog u32 · 45 fcc u32 · 49 retrans_flg i32 · 53 rtr_list_entries i32 · 57 rtr_list[n] {ring_id, seq u32}
/// </code>
/// </summary>
public sealed record OrfToken(
    NodeId Sender,
    NodeId Target,
    uint Seq,
    uint TokenSeq,
    uint Aru,
    NodeId AruAddr,
    RingId RingId,
    uint Backlog,
    uint Fcc,
    int RetransFlag,
    IReadOnlyList<RetransmitRequest> RetransmitList) : TotemMessage(Sender, Target)
{
    public const int FixedSize = 57;
    public const int EntrySize = 16;

    public override TotemMessageType Type => TotemMessageType.OrfToken;
}

/// <summary>
/// A multicast message (type 1; 45-byte header + payload). The payload is a totempg packet, or for an
/// encapsulated recovery copy a complete MCAST of the old ring.
/// <code>
/// 13 system_from u32 · 17 seq u32 · 21 this_seqno i32 · 25 ring_id · 37 node_id u32 (unused) · 41 guarantee i32 · 45 payload
/// </code>
/// </summary>
public sealed record Mcast(
    NodeId Sender,
    NodeId Target,
    byte Encapsulated,
    NodeId SystemFrom,
    uint Seq,
    int ThisSeqno,
    RingId RingId,
    uint NodeIdField,
    int Guarantee,
    ReadOnlyMemory<byte> Payload) : TotemMessage(Sender, Target)
{
    public const int HeaderSize = 45;

    public override TotemMessageType Type => TotemMessageType.Mcast;

    public bool IsEncapsulated => Encapsulated == TotemEncapsulation.Encapsulated;
}

/// <summary>Sent by an idle ring's representative so other partitions notice it (type 2; 29 bytes: 13 system_from, 17 ring_id).</summary>
public sealed record MergeDetect(NodeId Sender, NodeId Target, NodeId SystemFrom, RingId RingId) : TotemMessage(Sender, Target)
{
    public const int Size = 29;

    public override TotemMessageType Type => TotemMessageType.MergeDetect;
}

/// <summary>
/// A membership JOIN (type 3; 33 + 4·(p+f) bytes). A LEAVE is a JOIN whose header nodeid is 0.
/// <code>
/// 13 system_from u32 · 17 proc_list_entries u32 · 21 failed_list_entries u32 · 25 ring_seq u64 · 33 proc_list[p] · failed_list[f]
/// </code>
/// </summary>
public sealed record Join(
    NodeId Sender,
    NodeId Target,
    NodeId SystemFrom,
    IReadOnlyList<NodeId> ProcessorList,
    IReadOnlyList<NodeId> FailedList,
    ulong RingSeq) : TotemMessage(Sender, Target)
{
    public const int FixedSize = 33;

    public override TotemMessageType Type => TotemMessageType.Join;

    /// <summary>A LEAVE (corosync <c>LEAVE_DUMMY_NODEID</c> in the header).</summary>
    public bool IsLeave => Sender.Value == 0;
}

/// <summary>A member's old-ring state carried by the commit token (corosync <c>struct memb_commit_token_memb_entry</c>, 24 bytes).</summary>
public readonly record struct CommitTokenEntry(RingId OldRingId, uint Aru, uint HighDelivered, uint ReceivedFlag);

/// <summary>
/// The commit token that installs a new ring (type 4; 41 + 28·n bytes).
/// <code>
/// 13 token_seq u32 · 17 ring_id (new ring) · 29 retrans_flg u32 · 33 memb_index i32 · 37 addr_entries i32
/// 41 addr[n] u32 · then memb_list[n] {old ring_id (12), aru u32, high_delivered u32, received_flg u32}
/// </code>
/// </summary>
public sealed record CommitToken(
    NodeId Sender,
    NodeId Target,
    uint TokenSeq,
    RingId RingId,
    uint RetransFlag,
    int MemberIndex,
    IReadOnlyList<NodeId> Members,
    IReadOnlyList<CommitTokenEntry> Entries) : TotemMessage(Sender, Target)
{
    public const int FixedSize = 41;
    public const int EntrySize = 28;

    public override TotemMessageType Type => TotemMessageType.CommitToken;
}

/// <summary>Asks the representative to release a held token (type 5; 25 bytes: 13 ring_id).</summary>
public sealed record TokenHoldCancel(NodeId Sender, NodeId Target, RingId RingId) : TotemMessage(Sender, Target)
{
    public const int Size = 25;

    public override TotemMessageType Type => TotemMessageType.TokenHoldCancel;
}
