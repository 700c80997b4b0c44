using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Sharding;

/// <summary>
/// The one partition of a dataset's sample indices into shards: shard i of n owns the contiguous range
/// [floor(i·S/n), floor((i+1)·S/n)). Whoever computes it (a shard build, the merge, a scheduler) gets the same
/// ranges; they cover [0, S) exactly once and differ in size by at most one sample.
/// </summary>
public static class ShardPartition
{
    public static ShardRange Range(int index, int count, int samples)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(samples);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if ((uint)index >= (uint)count) throw new ArgumentOutOfRangeException(nameof(index), index, $"shard index must lie in [0, {count})");
        // long: i·S overflows int for large datasets split many ways.
        return new ShardRange(index, count, (int)((long)index * samples / count), (int)((long)(index + 1) * samples / count));
    }
}
