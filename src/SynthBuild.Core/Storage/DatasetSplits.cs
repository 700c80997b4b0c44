using SynthBuild.Core.Config;
using SynthBuild.Core.Randomness;

namespace SynthBuild.Core.Storage;

public enum Split { Train, Val, Test }

/// <summary>
/// Assigns samples to train/val/test. A sample's split depends only on (seed, index) and the fractions, so adding
/// samples never moves existing ones between splits. Not part of a sample's input key: changing the fractions
/// re-splits without re-rendering.
/// </summary>
public static class DatasetSplits
{
    public static Split Of(ulong seed, long index, SplitSpec fractions)
    {
        double u = RandomStream.For(seed, index, "split").NextDouble();
        if (u < fractions.Train) return Split.Train;
        if (u < fractions.Train + fractions.Val) return Split.Val;
        return Split.Test;
    }

    public static string Name(Split split) => split switch { Split.Train => "train", Split.Val => "val", _ => "test" };
}
