using FsCheck;
using FsCheck.Xunit;
using SynthBuild.Core.Sharding;

namespace SynthBuild.Core.Tests.Sharding;

public class ShardPartitionTests
{
    [Property(MaxTest = 300)]
    public bool Shards_cover_every_index_exactly_once_in_order(PositiveInt count, NonNegativeInt samples)
    {
        int n = Math.Min(count.Get, 500), s = samples.Get % 100_000;
        int next = 0;
        int smallest = int.MaxValue, largest = 0;
        for (int i = 0; i < n; i++)
        {
            var r = ShardPartition.Range(i, n, s);
            if (r.Index != i || r.Count != n || r.Start != next || r.End < r.Start) return false;
            smallest = Math.Min(smallest, r.End - r.Start);
            largest = Math.Max(largest, r.End - r.Start);
            next = r.End;
        }
        return next == s && largest - smallest <= 1; // contiguous, complete, balanced
    }

    [Fact]
    public void Ranges_are_the_documented_floor_formula()
    {
        // docs/sharding.md: shard i of n owns [floor(i*S/n), floor((i+1)*S/n)).
        Assert.Equal((0, 2), Span(0, 3, 7));
        Assert.Equal((2, 4), Span(1, 3, 7));
        Assert.Equal((4, 7), Span(2, 3, 7));
        Assert.Equal((0, 0), Span(0, 4, 2)); // more shards than samples: some are empty
        Assert.Equal((1, 1), Span(2, 4, 2));
    }

    [Fact]
    public void Large_datasets_do_not_overflow()
    {
        var last = ShardPartition.Range(999, 1000, 2_000_000_000);
        Assert.Equal((1_998_000_000, 2_000_000_000), (last.Start, last.End));
    }

    [Theory]
    [InlineData(-1, 3)]
    [InlineData(3, 3)]
    [InlineData(0, 0)]
    public void Indices_outside_the_shard_count_are_rejected(int index, int count) =>
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => ShardPartition.Range(index, count, 10));

    private static (int, int) Span(int i, int n, int s)
    {
        var r = ShardPartition.Range(i, n, s);
        return (r.Start, r.End);
    }
}
