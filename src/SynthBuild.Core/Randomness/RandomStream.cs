using System.Numerics;

namespace SynthBuild.Core.Randomness;

/// <summary>
/// A deterministic random stream derived from (dataset seed, sample index, component name). Streams for
/// different components or samples are independent of each other and of the order they are created in, so a
/// sample's content never depends on thread scheduling or on which other samples are generated.
/// SplitMix64 for mixing and for the sequence (small state, passes BigCrush as a 64-bit generator).
/// </summary>
public struct RandomStream
{
    private ulong _state;

    private RandomStream(ulong state) => _state = state;

    public static RandomStream For(ulong seed, long sampleIndex, string component)
    {
        ulong h = Mix(seed ^ 0x5EED_5EED_5EED_5EEDUL);
        h = Mix(h ^ (ulong)sampleIndex);
        h = Mix(h ^ HashName(component));
        return new RandomStream(h);
    }

    /// <summary>
    /// A plain SplitMix64 sequence from a raw 64-bit state, for deterministic data that is not a sample's (test and
    /// benchmark fixtures): the next value is <see cref="Mix"/>(state += golden ratio).
    /// </summary>
    public static RandomStream FromState(ulong state) => new(state);

    /// <summary>A child stream for a sub-component (e.g. one object inside a sample).</summary>
    public readonly RandomStream Derive(string component, long index = 0) =>
        new(Mix(Mix(_state ^ HashName(component)) ^ (ulong)index));

    public ulong NextUInt64()
    {
        _state += Golden;
        return Mix(_state);
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with the next values of the stream: the same numbers, in the same
    /// order, as that many <see cref="NextUInt64"/> calls, computed several at a time where the CPU has vectors.
    /// </summary>
    public void Fill(Span<ulong> destination)
    {
        int i = 0, lanes = Vector<ulong>.Count;
        if (Vector.IsHardwareAccelerated && destination.Length >= lanes)
        {
            Span<ulong> first = stackalloc ulong[lanes];
            for (int k = 0; k < lanes; k++) first[k] = _state + (ulong)(k + 1) * Golden;
            var state = new Vector<ulong>(first);
            var step = new Vector<ulong>((ulong)lanes * Golden);
            for (; i + lanes <= destination.Length; i += lanes, state += step)
                Mix(state).CopyTo(destination[i..]);
            _state += (ulong)i * Golden;
        }
        for (; i < destination.Length; i++) destination[i] = NextUInt64();
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>Uniform integer in [min, max] inclusive (Lemire-free modulo is fine: bias &lt; 2^-40 for our ranges).</summary>
    public int NextInt(int minInclusive, int maxInclusive)
    {
        ulong span = (ulong)((long)maxInclusive - minInclusive + 1);
        return (int)(minInclusive + (long)(NextUInt64() % span));
    }

    public bool Chance(double probability) => NextDouble() < probability;

    /// <summary>Standard normal via Box–Muller (one value per call; deterministic, no cached spare).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>2^64 / φ, SplitMix64's increment.</summary>
    public const ulong Golden = 0x9E3779B97F4A7C15UL;

    private static Vector<ulong> Mix(Vector<ulong> z)
    {
        z = (z ^ (z >> 30)) * new Vector<ulong>(0xBF58476D1CE4E5B9UL);
        z = (z ^ (z >> 27)) * new Vector<ulong>(0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>SplitMix64's finaliser: a bijective 64-bit mix; also a stable hash of an integer key.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>FNV-1a over UTF-16 code units: stable across runs and machines (unlike string.GetHashCode).</summary>
    private static ulong HashName(string name)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char c in name)
        {
            h ^= c;
            h *= 0x100000001B3UL;
        }
        return h;
    }
}
