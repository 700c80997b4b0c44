using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;

namespace SynthBuild.Augmentation.Tests;

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
    public void Rebuilds_go_through_the_dataset_writer_unchanged_files_keep_their_timestamps_and_damaged_ones_are_repaired()
    {
        var spec = Spec();
        string root = SmallDataset.TempDirWith(spec);
        string augmented = Path.Combine(root, AugmentedDatasetBuilder.DefaultFolder);
        var first = new AugmentedDatasetBuilder(spec, root, augmented).Build();
        var longAgo = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        foreach (string f in Directory.EnumerateFiles(augmented, "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(f, longAgo);
        var before = SmallDataset.Snapshot(augmented);

        // A colour-only change: every variant is regenerated; files whose bytes did not change are not rewritten.
        var recoloured = Spec(pipeline: Pipeline.Replace("\"hue\": 5", "\"hue\": 9"));
        var again = new AugmentedDatasetBuilder(recoloured, root, augmented).Build();
        Assert.Equal(first.Generated, again.Generated);
        var after = SmallDataset.Snapshot(augmented).Where(kv => kv.Key.Contains('/')).ToList(); // sample files
        var rewritten = after.Where(kv => kv.Value.Sha != before[kv.Key].Sha).Select(kv => kv.Key).ToList();
        Assert.Equal(rewritten.Count, again.FilesWritten);
        Assert.Contains(rewritten, path => path.StartsWith("rgb/"));
        Assert.DoesNotContain(rewritten, path => path.StartsWith("segmentation/") || path.StartsWith("depth/"));
        Assert.All(after, kv => Assert.Equal(rewritten.Contains(kv.Key), kv.Value.Written != longAgo));

        // A damaged file is found by the manifest check and only its sample is written again.
        string mask = Path.Combine(augmented, "segmentation/000001.png");
        byte[] bytes = File.ReadAllBytes(mask);
        bytes[^20] ^= 1;
        File.WriteAllBytes(mask, bytes);
        var repaired = new AugmentedDatasetBuilder(recoloured, root, augmented).Build();
        Assert.Equal((1, 1), (repaired.Generated, repaired.FilesWritten));
        Assert.Equal(again.Digest, repaired.Digest);
    }

    /// <summary>A batch's content, copied out (the batch itself is disposed).</summary>
    private sealed record BatchCopy(int Count, float[] Images, ushort[] Masks, ushort[] Depths, IReadOnlyList<SampleTargets> Targets);

    private static List<BatchCopy> Copy(AugmentedLoader loader, int epoch)
    {
        var result = new List<BatchCopy>();
        foreach (Batch b in loader.Epoch(epoch))
            using (b) result.Add(new BatchCopy(b.Count, b.Images.ToArray(), b.Masks.ToArray(), b.Depths.ToArray(), b.Targets));
        return result;
    }

    [Fact]
    public void Loader_batches_are_independent_of_worker_count_and_labels_match_their_masks()
    {
        var spec = Spec(samples: 6);
        string root = SmallDataset.TempDirWith(spec);
        var reader = DatasetReader.Open(root);
        List<BatchCopy> Run(int workers, int prefetch) => Copy(new AugmentedLoader(reader, AugmentationConfig.Bind(spec)!, spec.Seed,
            new LoaderOptions(BatchSize: 4, Workers: workers, Prefetch: prefetch, Mean: LoaderOptions.ImageNetMean, Std: LoaderOptions.ImageNetStd)), 3);
        var one = Run(1, 0);
        var four = Run(4, 3);
        Assert.Equal(2, one.Count);
        Assert.Equal(4, one[0].Count);
        Assert.Equal(2, one[1].Count);
        Assert.Equal(4 * 3 * 128 * 96, one[0].Images.Length);
        Assert.Equal(2 * 128 * 96, one[1].Masks.Length);
        for (int b = 0; b < one.Count; b++)
        {
            Assert.Equal(one[b].Images, four[b].Images);
            Assert.Equal(one[b].Masks, four[b].Masks);
            Assert.Equal(one[b].Depths, four[b].Depths);
            for (int i = 0; i < one[b].Count; i++)
            {
                Assert.Equal(one[b].Targets[i].Boxes, four[b].Targets[i].Boxes);
                // Object k's box is the tight box of id k + 1 in this sample's mask.
                var fromMask = AugmentationFixtures.LabelsFromMask(one[b].Masks.AsSpan(i * 128 * 96, 128 * 96).ToArray(), 128, 96);
                float[] boxes = one[b].Targets[i].Boxes;
                Assert.Equal(fromMask.Count, boxes.Length / 4);
                for (int k = 0; k < boxes.Length / 4; k++)
                    Assert.Equal(fromMask[k + 1].Box.Select(v => (float)v), boxes.AsSpan(4 * k, 4).ToArray());
            }
        }
        // Every sample once per epoch; epochs shuffle differently.
        var order3 = one.SelectMany(b => b.Targets.Select(t => t.SourceIndex)).ToList();
        Assert.Equal(reader.Indices.OrderBy(i => i), order3.OrderBy(i => i));
        var loader = new AugmentedLoader(reader, AugmentationConfig.Bind(spec)!, spec.Seed);
        Assert.NotEqual(loader.Order(3), loader.Order(4));
    }

    [Fact]
    public void Loader_normalizes_per_channel_into_float32_chw()
    {
        // A pipeline that never fires: the batch must be exactly the stored RGB, normalized.
        var spec = Spec(samples: 3, pipeline: "\"augmentation\": { \"pipeline\": [ { \"type\": \"horizontalFlip\", \"p\": 0 } ] }");
        string root = SmallDataset.TempDirWith(spec);
        var reader = DatasetReader.Open(root);
        float[] mean = [0.1f, 0.5f, 0.9f], std = [0.2f, 0.25f, 0.5f];
        var loader = new AugmentedLoader(reader, AugmentationConfig.Bind(spec)!, spec.Seed, new LoaderOptions(BatchSize: 3, Shuffle: false, Mean: mean, Std: std));
        using Batch batch = loader.Epoch(0).Single();
        int plane = 160 * 120;
        for (int i = 0; i < 3; i++)
        {
            byte[] rgb = reader.ReadRgb(batch.Targets[i].SourceIndex);
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < plane; p += 97)
                    Assert.Equal((rgb[3 * p + c] / 255f - mean[c]) / std[c], batch.Images[(i * 3 + c) * plane + p], 1e-4);
            Assert.Equal(reader.ReadSegmentation(batch.Targets[i].SourceIndex), batch.Mask(i).ToArray());
            Assert.Equal(reader.ReadDepth(batch.Targets[i].SourceIndex), batch.Depth(i).ToArray());
        }
        Assert.Throws<ArgumentException>(() => new AugmentedLoader(reader, AugmentationConfig.Bind(spec)!, spec.Seed, new LoaderOptions(Std: [1, 0, 1])));
        Assert.Throws<ArgumentException>(() => new AugmentedLoader(reader, AugmentationConfig.Bind(spec)!, spec.Seed, new LoaderOptions(Mean: [0.5f])));
    }

    [Fact]
    public void Loader_reads_only_the_requested_split()
    {
        var spec = Spec(samples: 12, pipeline: Pipeline.Replace("\"variants\": 2,", "\"variants\": 1,"));
        string root = SmallDataset.TempDirWith(spec);
        var reader = DatasetReader.Open(root);
        foreach (Split split in Enum.GetValues<Split>())
        {
            long[] expected = reader.Indices.Where(i => DatasetSplits.Of(spec.Seed, i, spec.Splits) == split).ToArray();
            var loader = new AugmentedLoader(reader, AugmentationConfig.Bind(spec)!, spec.Seed, new LoaderOptions(BatchSize: 2, Split: split));
            Assert.Equal(expected, loader.Samples);
            var seen = Copy(loader, 1).SelectMany(b => b.Targets.Select(t => t.SourceIndex)).Order().ToArray();
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public void Disposed_batches_give_their_buffers_back_and_memory_stays_within_the_bound()
    {
        var spec = Spec(samples: 12);
        string root = SmallDataset.TempDirWith(spec);
        var reader = DatasetReader.Open(root);
        var loader = new AugmentedLoader(reader, AugmentationConfig.Bind(spec)!, spec.Seed, new LoaderOptions(BatchSize: 1, Workers: 2, Prefetch: 1));
        Batch? last = null;
        int count = 0;
        foreach (Batch b in loader.Epoch(0))
        {
            Thread.Sleep(5); // a slow consumer: the workers run ahead as far as the window lets them
            count++;
            b.Dispose();
            last = b;
        }
        Assert.Equal(12, count);
        // Workers + prefetch + the consumer's batch: never more buffers than that, however many batches.
        Assert.InRange(loader.BatchBuffersAllocated, 1, 2 + 1 + 1);
        Assert.Throws<ObjectDisposedException>(() => last!.Images.Length);
        Assert.Equal((2 + 1 + 1L) * 128 * 96 * 16 + 2 * (7L * 160 * 120 + 14L * 160 * 120), loader.MemoryBound);

        // Breaking out early stops the workers and returns what they prepared.
        foreach (Batch b in loader.Epoch(1)) { b.Dispose(); break; }
        Assert.InRange(loader.BatchBuffersAllocated, 1, 4);
    }

    [Fact]
    public void A_crop_that_does_not_fit_the_dataset_fails_before_writing_and_leaves_the_derived_dataset_intact()
    {
        var spec = Spec(samples: 4);
        string root = SmallDataset.TempDirWith(spec);
        string augmented = Path.Combine(root, AugmentedDatasetBuilder.DefaultFolder);
        Assert.True(new AugmentedDatasetBuilder(spec, root, augmented).Build().Succeeded);
        var before = SmallDataset.Snapshot(augmented);

        // The config was written for larger images than the dataset on disk has (160×120).
        var r = ConfigLoader.Parse("""
            { "image": { "width": 320, "height": 240 }, "augmentation": { "pipeline": [ { "type": "randomCrop", "width": 200, "height": 100 } ] } }
            """, "big.json");
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        AugmentationSpec big = AugmentationConfig.Bind(r.Spec!)!;
        var result = new AugmentedDatasetBuilder(spec, root, augmented, augmentation: big).Build();
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal(SynCodes.CropTooLarge, d.Code);
        Assert.Equal(Path.Combine(root, "dataset.json"), d.File);
        Assert.Contains("randomCrop 200×100 does not fit the 160×120 image", d.Message);
        Assert.Equal(before, SmallDataset.Snapshot(augmented));
        var ex = Assert.Throws<DiagnosticException>(() => new AugmentedLoader(DatasetReader.Open(root), big, spec.Seed));
        Assert.Equal(SynCodes.CropTooLarge, ex.Diagnostic.Code);
    }

    [Fact]
    public void An_unreadable_sample_reaches_the_consumer_as_a_diagnostic_and_stops_the_workers()
    {
        var spec = Spec(samples: 8);
        string root = SmallDataset.TempDirWith(spec);
        var reader = DatasetReader.Open(root);
        long broken = reader.Indices[5];
        File.WriteAllBytes(reader.RgbPath(broken), [1, 2, 3]);
        var loader = new AugmentedLoader(reader, AugmentationConfig.Bind(spec)!, spec.Seed, new LoaderOptions(BatchSize: 2, Workers: 2, Shuffle: false));
        int taken = 0;
        var ex = Assert.Throws<DiagnosticException>(() => { foreach (Batch b in loader.Epoch(0)) using (b) taken++; });
        Assert.Equal(SynCodes.AugmentSampleUnreadable, ex.Diagnostic.Code);
        Assert.Equal(reader.AnnotationPath(broken), ex.Diagnostic.File);
        Assert.Equal(2, taken); // batches 0 and 1 arrive; batch 2 holds the broken sample
    }
}
