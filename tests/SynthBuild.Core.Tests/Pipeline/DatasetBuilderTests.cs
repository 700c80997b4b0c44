using SynthBuild.TestSupport;
using System.Text.Json;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Tests.Pipeline;

public class DatasetBuilderTests
{
    [Fact]
    public void Label_laws_hold_on_every_sample()
    {
        string dir = SmallDataset.TempDir();
        var spec = SmallDataset.Spec(samples: 16, dropout: 0.05);
        var result = new DatasetBuilder(spec, dir).Build();
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Equal(16, result.Generated);

        long objectPixels = 0, droppedUnderObjects = 0;
        for (int i = 0; i < 16; i++)
        {
            string stem = DatasetLayout.Stem(i, 16);
            var seg = Png.Decode(File.ReadAllBytes(Path.Combine(dir, DatasetLayout.Segmentation(stem))));
            var depth = Png.Decode(File.ReadAllBytes(Path.Combine(dir, DatasetLayout.Depth(stem))));
            var rgb = Png.Decode(File.ReadAllBytes(Path.Combine(dir, DatasetLayout.Rgb(stem))));
            Assert.Equal((160, 120, PngPixelFormat.Gray16), (seg.Width, seg.Height, seg.Format));
            Assert.Equal(PngPixelFormat.Gray16, depth.Format);
            Assert.Equal(PngPixelFormat.Rgb8, rgb.Format);
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, DatasetLayout.Annotation(stem))));
            var objects = doc.RootElement.GetProperty("objects").EnumerateArray().ToList();

            // Ids are dense 1..N and match the annotations one-to-one.
            var ids = seg.Words!.Where(v => v != 0).Distinct().OrderBy(v => v).Select(v => (int)v).ToList();
            Assert.Equal(Enumerable.Range(1, objects.Count), ids);
            Assert.Equal(Enumerable.Range(1, objects.Count), objects.Select(o => o.GetProperty("instanceId").GetInt32()));

            foreach (var o in objects)
            {
                int id = o.GetProperty("instanceId").GetInt32();
                int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1, count = 0;
                for (int p = 0; p < seg.Words.Length; p++)
                {
                    if (seg.Words[p] != id) continue;
                    int x = p % 160, y = p / 160;
                    count++;
                    minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
                    objectPixels++;
                    if (depth.Words![p] == 0) droppedUnderObjects++;
                }
                // Tight box == exact mask extent; area == visible pixel count.
                double[] bbox = o.GetProperty("bbox").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                Assert.Equal(new double[] { minX, minY, maxX - minX + 1, maxY - minY + 1 }, bbox);
                Assert.Equal(count, o.GetProperty("area").GetInt32());
                double visibility = o.GetProperty("visibility").GetDouble();
                Assert.InRange(visibility, 1e-9, 1.0);
                Assert.Equal((double)count / o.GetProperty("unoccludedArea").GetInt32(), visibility, 12);
                // The amodal box contains the tight box.
                double[] amodal = o.GetProperty("amodalBbox").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                Assert.True(amodal[0] <= bbox[0] && amodal[1] <= bbox[1] && amodal[0] + amodal[2] >= bbox[0] + bbox[2] && amodal[1] + amodal[3] >= bbox[1] + bbox[3]);
            }
        }
        // Depth > 0 under object pixels except where dropout removed it (5% here).
        double dropped = (double)droppedUnderObjects / objectPixels;
        Assert.InRange(dropped, 0.035, 0.065);
    }

    [Fact]
    public void Without_dropout_every_object_pixel_has_depth()
    {
        string dir = SmallDataset.TempDir();
        new DatasetBuilder(SmallDataset.Spec(samples: 4, dropout: 0), dir).Build();
        for (int i = 0; i < 4; i++)
        {
            string stem = DatasetLayout.Stem(i, 4);
            var seg = Png.Decode(File.ReadAllBytes(Path.Combine(dir, DatasetLayout.Segmentation(stem)))).Words!;
            var depth = Png.Decode(File.ReadAllBytes(Path.Combine(dir, DatasetLayout.Depth(stem)))).Words!;
            for (int p = 0; p < seg.Length; p++)
                if (seg[p] != 0) Assert.True(depth[p] > 0 && depth[p] < 3000, $"sample {i} pixel {p}: depth {depth[p]}");
        }
    }

    [Fact]
    public void One_thread_and_several_threads_give_identical_bytes()
    {
        string a = SmallDataset.TempDir(), b = SmallDataset.TempDir();
        var spec = SmallDataset.Spec(samples: 10);
        var ra = new DatasetBuilder(spec, a, new BuildOptions(Threads: 1)).Build();
        var rb = new DatasetBuilder(spec, b, new BuildOptions(Threads: 4)).Build();
        Assert.Equal(ra.Digest, rb.Digest);
        var sa = SmallDataset.Snapshot(a).ToDictionary(kv => kv.Key, kv => kv.Value.Sha);
        var sb = SmallDataset.Snapshot(b).ToDictionary(kv => kv.Key, kv => kv.Value.Sha);
        Assert.Equal(sa, sb);
    }

    [Fact]
    public void Second_build_with_nothing_changed_writes_nothing()
    {
        string dir = SmallDataset.TempDir();
        var spec = SmallDataset.Spec(samples: 6);
        new DatasetBuilder(spec, dir).Build();
        var before = SmallDataset.Snapshot(dir);
        Thread.Sleep(20);
        var again = new DatasetBuilder(spec, dir).Build();
        Assert.Equal((0, 6, 0), (again.Generated, again.Reused, again.FilesWritten));
        Assert.Equal(before, SmallDataset.Snapshot(dir));
    }

    [Fact]
    public void More_samples_generate_only_the_new_ones_and_fewer_remove_the_rest()
    {
        string dir = SmallDataset.TempDir();
        var first = new DatasetBuilder(SmallDataset.Spec(samples: 5), dir).Build();
        var before = SmallDataset.Snapshot(dir);
        var more = new DatasetBuilder(SmallDataset.Spec(samples: 8), dir).Build();
        Assert.Equal((3, 5), (more.Generated, more.Reused));
        var after = SmallDataset.Snapshot(dir);
        foreach (var (path, v) in before.Where(kv => kv.Key.StartsWith("rgb/", StringComparison.Ordinal)))
            Assert.Equal(v, after[path]); // existing samples untouched, timestamps included
        Assert.NotEqual(first.Digest, more.Digest);

        // A fresh build of 8 gives the same digest: growing is the same as building at once.
        string fresh = SmallDataset.TempDir();
        Assert.Equal(more.Digest, new DatasetBuilder(SmallDataset.Spec(samples: 8), fresh).Build().Digest);

        var fewer = new DatasetBuilder(SmallDataset.Spec(samples: 5), dir).Build();
        Assert.Equal((0, 5, 3), (fewer.Generated, fewer.Reused, fewer.Removed));
        Assert.Equal(first.Digest, fewer.Digest);
        Assert.False(File.Exists(Path.Combine(dir, "rgb/000007.png")));
    }

    [Fact]
    public void Changing_a_randomization_setting_regenerates_and_keeps_unaffected_files()
    {
        string dir = SmallDataset.TempDir();
        new DatasetBuilder(SmallDataset.Spec(samples: 4, noise: 5), dir).Build();
        var before = SmallDataset.Snapshot(dir);
        Thread.Sleep(20);
        var changed = new DatasetBuilder(SmallDataset.Spec(samples: 4, noise: 9), dir).Build();
        Assert.Equal(4, changed.Generated);
        var after = SmallDataset.Snapshot(dir);
        // RGB changed; masks did not, so they were not rewritten.
        Assert.All(Enumerable.Range(0, 4), i => Assert.NotEqual(before[$"rgb/00000{i}.png"].Sha, after[$"rgb/00000{i}.png"].Sha));
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(before[$"segmentation/00000{i}.png"], after[$"segmentation/00000{i}.png"]));
    }

    [Fact]
    public void Deleted_or_corrupted_files_are_detected_and_only_their_samples_regenerated()
    {
        string dir = SmallDataset.TempDir();
        var spec = SmallDataset.Spec(samples: 6);
        var clean = new DatasetBuilder(spec, dir).Build();
        File.Delete(Path.Combine(dir, "depth/000002.png"));
        string rgb4 = Path.Combine(dir, "rgb/000004.png");
        byte[] bytes = File.ReadAllBytes(rgb4);
        bytes[bytes.Length / 2] ^= 0xFF; // same size, different content
        File.WriteAllBytes(rgb4, bytes);
        var repaired = new DatasetBuilder(spec, dir).Build();
        Assert.Equal((2, 4), (repaired.Generated, repaired.Reused));
        Assert.Equal(clean.Digest, repaired.Digest);
        Assert.Equal(SmallDataset.Snapshot(SmallDataset.TempDirWith(spec)).ToDictionary(k => k.Key, k => k.Value.Sha),
            SmallDataset.Snapshot(dir).ToDictionary(k => k.Key, k => k.Value.Sha));
    }

    [Fact]
    public void A_build_cancelled_midway_leaves_no_partial_file_and_the_next_build_completes()
    {
        string dir = SmallDataset.TempDir();
        var spec = SmallDataset.Spec(samples: 30);
        using var cts = new CancellationTokenSource();
        var monitor = new BuildMonitor();
        var options = new BuildOptions(Threads: 2, Monitor: monitor, OnTick: () => { if (monitor.Done >= 5) cts.Cancel(); });
        var cancelled = new DatasetBuilder(spec, dir, options).Build(cts.Token);
        Assert.False(cancelled.Succeeded);
        Assert.Contains(cancelled.Diagnostics, d => d.Code == SynCodes.GenerationFailed);
        Assert.Empty(Directory.EnumerateFiles(dir, "*" + AtomicFile.TempSuffix, SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(dir, DatasetLayout.DatasetFile)));

        var resumed = new DatasetBuilder(spec, dir).Build();
        Assert.True(resumed.Succeeded);
        Assert.True(resumed.Reused >= 5, $"reused {resumed.Reused}");
        Assert.Equal(30, resumed.Reused + resumed.Generated);
        Assert.Equal(new DatasetBuilder(spec, SmallDataset.TempDir()).Build().Digest, resumed.Digest);
    }

    [Fact]
    public void Clean_removes_generated_files_and_keeps_others()
    {
        string dir = SmallDataset.TempDir();
        new DatasetBuilder(SmallDataset.Spec(samples: 3), dir).Build();
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        int removed = DatasetCleaner.Clean(dir);
        Assert.Equal(3 * 5 + 2, removed); // rgb, depth, segmentation, semantic, annotation; dataset.json, manifest
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Manifest_lists_every_file_with_hash_and_size_and_a_digest_over_them()
    {
        string dir = SmallDataset.TempDir();
        var result = new DatasetBuilder(SmallDataset.Spec(samples: 3), dir).Build();
        var manifest = Manifest.TryRead(Path.Combine(dir, Manifest.FileName), out var problem)!;
        Assert.Null(problem);
        Assert.Equal(result.Digest, manifest.Digest);
        Assert.Equal(3, manifest.Samples.Count);
        foreach (var f in manifest.Samples.SelectMany(s => s.Files))
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(dir, f.Path));
            Assert.Equal(f.Size, bytes.Length);
            Assert.Equal(f.Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        }
        Assert.Equal(manifest.Digest, Manifest.ComputeDigest(manifest.Samples));
        using var ds = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, DatasetLayout.DatasetFile)));
        Assert.Equal(result.Digest, ds.RootElement.GetProperty("digest").GetString());
    }
}
