using Rookery.Simulation.Harness;

namespace Rookery.Simulation.Network;

/// <summary>
/// An attacker on the wire who records datagrams and sends them again later from their original
/// source address to their original destination, unchanged: it needs no key (knet's crypto and
/// HMAC stay valid on a replayed datagram). It records every datagram sent before
/// <see cref="RecordUntil"/> (up to <see cref="RecordedMax"/>), then replays slices of the record.
/// </summary>
public sealed class ReplayAdversary
{
    /// <summary>Datagrams kept: a start-up of seven nodes sends a few thousand.</summary>
    public const int RecordedMax = 50_000;

    private readonly List<(LinkPath Path, byte[] Bytes)> _recorded = [];

    /// <summary>Datagrams sent before this instant are recorded.</summary>
    public Instant RecordUntil { get; set; } = Instant.Zero;

    public int Recorded => _recorded.Count;

    /// <summary>Datagrams replayed so far.</summary>
    public long Replayed { get; private set; }

    public void Observe(Instant now, LinkPath path, byte[] bytes)
    {
        if (now < RecordUntil && _recorded.Count < RecordedMax)
        {
            _recorded.Add((path, bytes.ToArray()));
        }
    }

    /// <summary>The recorded datagrams in [<paramref name="start"/>, <paramref name="end"/>) of the record, in recording order, <paramref name="copies"/> times each.</summary>
    public IEnumerable<(LinkPath Path, byte[] Bytes)> Slice(Ratio start, Ratio end, int copies)
    {
        var from = (int)((ulong)_recorded.Count * start.Numerator / start.Denominator);
        var to = (int)((ulong)_recorded.Count * end.Numerator / end.Denominator);
        for (var i = from; i < to; i++)
        {
            for (var copy = 0; copy < copies; copy++)
            {
                Replayed++;
                yield return _recorded[i];
            }
        }
    }
}
