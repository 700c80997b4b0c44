using SynthBuild.Core.Augmentation;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;
using SynthBuild.Core.Tests.Pipeline;

namespace SynthBuild.Core.Tests.Augmentation;

public class OfflineAndLoaderTests
{
    private const string Pipeline = """
        "augmentation": { "variants": 2, "minVisibility": 0.2, "pipeline": [
          { "type": "horizontalFlip", "p": 0.5 }, { "type": "rotate", "p": 0.7, "degrees": { "min": -20, "max": 20 } },
          { "type": "randomCrop", "width": 128, "height": 96 }, { "type": "colorJitter", "hue": 5 },
          { "type": "depthNoise", "p": 0.5, "stdMm": { "min": 1, "max": 3 } } ] }
        """;

    private static DatasetSpec Spec(int samples = 8, string pipeline = Pipeline)
    {
        string json = SmallDataset.Json(samples).TrimEnd().TrimEnd('}') + ", " + pipeline + "}";
        var r = ConfigLoader.Parse(json, "small.json");
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return r.Spec!;
    }

    [Fact]
    public void Offline_stage_writes_a_readable_derived_dataset_and_a_no_op_rebuild_rewrites_nothing()
    {
        var spec = Spec();
        string root = SmallDataset.TempDirWith(spec);
        string augmented = Path.Combine(root, AugmentedDatasetBuilder.DefaultFolder);
        var first = new AugmentedDatasetBuilder(spec, root, augmented, new BuildOptions(Threads: 1)).Build();
        Assert.True(first.Succeeded, string.Join("\n", first.Diagnostics));

        var baseReader = DatasetReader.Open(root);
        int train = baseReader.Indices.Count(i => DatasetSplits.Of(spec.Seed, i, spec.Splits) == Split.Train);
        var reader = DatasetReader.Open(augmented);
        Assert.Equal(2 * train, reader.Indices.Count);
        Assert.Equal((128, 96), (reader.Info.Width, reader.Info.Height));
        Assert.Equal(new SplitSpec(1, 0, 0), reader.Info.Splits);
        foreach (long i in reader.Indices)
        {
            var a = reader.ReadAnnotation(i);
            var fromMask = AugmentationFixtures.LabelsFromMask(reader.ReadSegmentation(i), a.Width, a.Height);
            Assert.Equal(a.Objects.Count, fromMask.Count);
            foreach (var o in a.Objects) Assert.Equal(fromMask[o.InstanceId].Box, o.Bbox);
        }

        var before = SmallDataset.Snapshot(augmented);
        var again = new AugmentedDatasetBuilder(spec, root, augmented).Build();
        Assert.Equal(0, again.Generated);
        Assert.Equal(0, again.FilesWritten);
        Assert.Equal(before, SmallDataset.Snapshot(augmented));

        // Thread count does not change a byte; another pipeline regenerates.
        string other = SmallDataset.TempDir();
        new AugmentedDatasetBuilder(spec, root, other, new BuildOptions(Threads: 4)).Build();
        Assert.Equal(before.ToDictionary(kv => kv.Key, kv => kv.Value.Sha), SmallDataset.Snapshot(other).ToDictionary(kv => kv.Key, kv => kv.Value.Sha));
        var changed = Spec(pipeline: Pipeline.Replace("\"max\": 20", "\"max\": 25"));
        Assert.Equal(2 * train, new AugmentedDatasetBuilder(changed, root, augmented).Build().Generated);
    }

    [Fact]
    public void Loader_batches_are_independent_of_worker_count_and_normalized()
    {
        var spec = Spec(samples: 6);
        string root = SmallDataset.TempDirWith(spec);
        var reader = DatasetReader.Open(root);
        var mean = LoaderOptions.ImageNetMean;
        var std = LoaderOptions.ImageNetStd;
        List<Batch> Run(int workers) => new AugmentedLoader(reader, spec.Augmentation!, spec.Seed,
            new LoaderOptions(BatchSize: 4, Workers: workers, Capacity: 2, Mean: mean, Std: std)).Epoch(3).ToList();
        var one = Run(1);
        var four = Run(4);
        Assert.Equal(2, one.Count);
        Assert.Equal(4, one[0].Count);
        Assert.Equal(2, one[1].Count);
        Assert.Equal(4 * 3 * 128 * 96, one[0].Images.Length);
        for (int b = 0; b < one.Count; b++)
        {
            Assert.Equal(one[b].Images, four[b].Images);
            for (int i = 0; i < one[b].Count; i++)
            {
                Assert.Equal(one[b].Targets[i].Boxes, four[b].Targets[i].Boxes);
                Assert.Equal(one[b].Targets[i].Mask, four[b].Targets[i].Mask);
            }
        }
        // Every sample once per epoch; epochs shuffle differently.
        var order3 = one.SelectMany(b => b.Targets.Select(t => t.SourceIndex)).ToList();
        Assert.Equal(reader.Indices.OrderBy(i => i), order3.OrderBy(i => i));
        var loader = new AugmentedLoader(reader, spec.Augmentation!, spec.Seed);
        Assert.NotEqual(loader.Order(3), loader.Order(4));
        // Normalization: value = (v/255 - mean)/std, so the extremes are bounded accordingly.
        float lo = (0 - mean[0]) / std[0] - 1e-4f, hi = (1 - mean[0]) / std[0] + 1e-4f;
        Assert.All(one[0].Images.AsSpan(0, 128 * 96).ToArray(), v => Assert.InRange(v, lo, hi));
    }
}
