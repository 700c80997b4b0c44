using SynthBuild.Core.Randomness;

namespace SynthBuild.Core.Scene;

/// <summary>
/// Balanced-by-construction category choice (<c>"categoryBalance": "balanced"</c>). Samples are grouped in blocks
/// of C consecutive indices (C = number of categories); each block has its own seeded permutation P of the
/// categories, and object slot k of the sample at position r in its block gets category P[(r + k) mod C]. So for
/// every slot, every full block uses each category exactly once: class counts differ only through how many slots
/// a sample fills, not through the draws. A choice depends on (seed, index, slot) only, so incremental builds and
/// sharding are unaffected.
/// </summary>
public sealed class CategoryBalancer(ulong seed, int categoryCount)
{
    public int CategoryCount { get; } = categoryCount > 0 ? categoryCount : throw new ArgumentOutOfRangeException(nameof(categoryCount));

    /// <summary>Position (0-based) in the config's category list for object slot <paramref name="slot"/> of sample <paramref name="index"/>.</summary>
    public int CategoryFor(long index, int slot)
    {
        int c = CategoryCount;
        if (c == 1) return 0;
        long block = index / c;
        int position = (int)(index % c);
        // Fisher–Yates over a small stack array: no allocation per object.
        Span<int> permutation = c <= 256 ? stackalloc int[c] : new int[c];
        for (int i = 0; i < c; i++) permutation[i] = i;
        var rng = RandomStream.For(seed, block, "category-balance");
        for (int i = c - 1; i > 0; i--)
        {
            int j = rng.NextInt(0, i);
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
        return permutation[(position + slot) % c];
    }
}
