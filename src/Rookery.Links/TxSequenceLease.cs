namespace Rookery.Links;

/// <summary>
/// Keeps a restarted node's knet sequence numbers away from the ones its earlier incarnations used, so
/// that datagrams recorded from an earlier incarnation and replayed cannot occupy, in the receivers'
/// duplicate windows, the sequence numbers of the new one. knet starts every incarnation at 0, so a
/// replay of an earlier start-up marks the new incarnation's next sequence numbers as "already
/// delivered" and the receivers drop the real packets (the token first): that is how a replay without
/// the key broke the ring (issue 15, docs/hostile-input.md). The wire does not change: knet carries no
/// epoch, and receivers (corosync's too) treat a jump of more than 4,096 as a new window.
/// </summary>
/// <remarks>
/// The shell persists the lease (the node's state directory, next to the ring id) and renews it every
/// <see cref="RenewEvery"/> sequence numbers; a start begins <see cref="Skip"/> after the persisted
/// value, so up to <see cref="Skip"/> − <see cref="RenewEvery"/> numbers used after the last renewal
/// (a crash) are still skipped. Pure: the caller reads and writes the storage.
/// </remarks>
public sealed class TxSequenceLease
{
    /// <summary>How far past the persisted value a new incarnation starts: well over knet's 4,096-deep window.</summary>
    public const ushort Skip = 16384;

    /// <summary>Sequence numbers used between two renewals of the lease.</summary>
    public const ushort RenewEvery = 4096;

    private TxSequenceLease(ushort start, ushort persisted)
    {
        Start = start;
        Persisted = persisted;
    }

    /// <summary>The sequence number the link layer starts after (<see cref="LinkLayerOptions.InitialTxSequence"/>).</summary>
    public ushort Start { get; }

    /// <summary>The value to persist now, and whenever <see cref="Renew"/> returns one.</summary>
    public ushort Persisted { get; private set; }

    /// <summary>
    /// The lease of a new incarnation: the first one ever (nothing persisted) starts at 0 as knet does
    /// (a corosync receiver re-bases on the seq-0 ping); a later one <see cref="Skip"/> past what was persisted.
    /// </summary>
    public static TxSequenceLease Begin(ushort? persisted)
    {
        var start = persisted is { } value ? unchecked((ushort)(value + Skip)) : (ushort)0;
        return new TxSequenceLease(start, start);
    }

    /// <summary>The value to persist when <paramref name="current"/> moved <see cref="RenewEvery"/> past the last one; otherwise null.</summary>
    public ushort? Renew(ushort current)
    {
        if (unchecked((ushort)(current - Persisted)) < RenewEvery)
        {
            return null;
        }

        Persisted = current;
        return current;
    }
}
