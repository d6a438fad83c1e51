using System.Buffers.Binary;

namespace Rookery.Wire.Knet;

/// <summary>
/// The 16 opaque bytes a pinger puts in <c>khp_ping_time</c> and every peer echoes verbatim.
/// Held as two little-endian 64-bit words, so reading then writing reproduces the bytes exactly.
/// </summary>
/// <remarks>
/// libknet writes its <c>struct timespec</c> (tv_sec, tv_nsec) here; Rookery writes the same shape
/// (seconds, nanoseconds of its monotonic <see cref="Instant"/>) so that traces look alike, but only
/// the pinger ever interprets the value (knet-spec §1.4).
/// </remarks>
public readonly record struct KnetTimestamp(ulong Low, ulong High)
{
    /// <summary>Encoded size in bytes.</summary>
    public const int Size = 16;

    /// <summary>Our own encoding of an instant: seconds and nanoseconds, like a timespec.</summary>
    public static KnetTimestamp FromInstant(Instant instant)
    {
        var microseconds = instant.Microseconds;
        return new KnetTimestamp(
            unchecked((ulong)(microseconds / 1_000_000)),
            unchecked((ulong)(microseconds % 1_000_000 * 1000)));
    }

    /// <summary>Reads back an instant written by <see cref="FromInstant"/>; false when the bytes cannot be one.</summary>
    public bool TryToInstant(out Instant instant)
    {
        const ulong SecondsMax = long.MaxValue / 1_000_000 - 1;
        if (Low > SecondsMax || High >= 1_000_000_000)
        {
            instant = Instant.Zero;
            return false;
        }

        instant = new Instant((long)Low * 1_000_000 + (long)(High / 1000));
        return true;
    }

    /// <summary>Reads 16 bytes.</summary>
    public static KnetTimestamp Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(source), BinaryPrimitives.ReadUInt64LittleEndian(source[8..]));

    /// <summary>Writes 16 bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Low);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], High);
    }
}
