using System.Numerics;

namespace Rookery;

/// <summary>A probability as an integer fraction, so no protocol decision depends on floating point.</summary>
public readonly record struct Ratio
{
    public Ratio(ulong numerator, ulong denominator)
    {
        Invariant.Require(denominator > 0);
        Invariant.Require(numerator <= denominator);
        Numerator = numerator;
        Denominator = denominator;
    }

    public ulong Numerator { get; }

    public ulong Denominator { get; }

    public static Ratio Zero => new(0, 1);

    public static Ratio Percent(ulong percent) => new(percent, 100);

    public static Ratio PerMille(ulong perMille) => new(perMille, 1000);
}

/// <summary>
/// The project's only source of randomness: xoshiro256** seeded through SplitMix64.
/// Owning the algorithm means a seed replays the same run on any machine and runtime.
/// Cores receive an instance; they never create one from a clock.
/// </summary>
public sealed class Prng
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public Prng(ulong seed)
    {
        _s0 = SplitMix64(ref seed);
        _s1 = SplitMix64(ref seed);
        _s2 = SplitMix64(ref seed);
        _s3 = SplitMix64(ref seed);
    }

    public ulong NextUInt64()
    {
        unchecked
        {
            var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
            var shifted = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= shifted;
            _s3 = BitOperations.RotateLeft(_s3, 45);
            return result;
        }
    }

    /// <summary>Uniform in [0, bound), by rejection sampling (no modulo bias).</summary>
    public ulong NextBelow(ulong bound)
    {
        Invariant.Require(bound > 0);
        var threshold = unchecked(0UL - bound) % bound;
        while (true)
        {
            var value = NextUInt64();
            if (value >= threshold)
            {
                return value % bound;
            }
        }
    }

    /// <summary>Uniform in [min, max] inclusive.</summary>
    public long NextInRange(long min, long max)
    {
        Invariant.Require(min <= max);
        return min + (long)NextBelow(unchecked((ulong)(max - min) + 1));
    }

    public bool Chance(Ratio ratio) => NextBelow(ratio.Denominator) < ratio.Numerator;

    public void Fill(Span<byte> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = unchecked((byte)NextUInt64());
        }
    }

    /// <summary>A new generator whose stream is independent of this one (for per-node generators in a simulation).</summary>
    public Prng Fork() => new(NextUInt64());

    private static ulong SplitMix64(ref ulong state)
    {
        unchecked
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
