using System.Globalization;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;
using SynthBuild.Evaluation.Slices;
using SynthBuild.TestSupport;

namespace SynthBuild.Export.Tests;

/// <summary>
/// A small project (config on disk, dataset in bin/dataset) with colour temperature, distractors, a curriculum and
/// crowded scenes (so some scenes were redrawn), its val ground truth from the COCO export, and detections made from
/// that ground truth: boxes shifted a little, every object of the darkest light bin missed, a few false positives.
/// </summary>
public sealed class SliceFixture : IDisposable
{
    public const string Config = """
        {
          "name": "slices", "samples": 60, "seed": 11,
          "image": { "width": 160, "height": 120 },
          "camera": { "intrinsics": { "fx": 125, "fy": 125, "cx": 80, "cy": 60 } },
          "objectsPerScene": { "min": 5, "max": 8 },
          "splits": { "train": 0.2, "val": 0.6, "test": 0.2 },
          "lighting": { "intensity": { "min": 200, "max": 1000 }, "ambient": { "min": 0.1, "max": 0.5 }, "colorVariation": 0.1,
                        "colorTemperature": { "min": 3000, "max": 6500 } },
          "background": { "mode": "procedural", "tablePatterns": ["wood", "noise", "none"] },
          "distractors": { "count": { "min": 0, "max": 2 } },
          "curriculum": { "schedule": "linear", "length": 60, "objectsMax": { "start": 5, "end": 8 } },
          "sensor": { "gaussianNoiseStd": 0, "depthDropout": 0, "depthEdgeThreshold": 0 }
        }
        """;

    public string Project { get; } = SmallDataset.TempDir();
    public string Dataset => Path.Combine(Project, "bin", "dataset");
    public string ConfigFile => Path.Combine(Project, "synth.json");
    public string DetectionsFile => Path.Combine(Project, "val.detections.json");
    public DatasetSpec Spec { get; }
    public CocoGroundTruth Gt { get; }
    public DatasetReader Reader { get; }

    public SliceFixture()
    {
        File.WriteAllText(ConfigFile, Config);
        var loaded = ConfigLoader.Load(ConfigFile);
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Diagnostics));
        Spec = loaded.Spec!;
        var built = new DatasetBuilder(Spec, Dataset).Build();
        Assert.True(built.Diagnostics.All(d => !d.IsError), string.Join("\n", built.Diagnostics));
        Reader = DatasetReader.Open(Dataset);
        string scratch = Path.Combine(Project, "export");
        var r = DatasetExporter.Run(Dataset, scratch, [new ExportRequest(ExportFormat.Coco, new Dictionary<string, string> { ["Segmentation"] = "rle", ["Keypoints"] = "false" })]);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        Gt = CocoGroundTruth.Load(Path.Combine(scratch, ExportOptions.NameOf(ExportFormat.Coco), "instances_val.json"));
        File.WriteAllText(DetectionsFile, Detections(Gt, Reader));
    }

    /// <summary>Detections from the ground truth: deterministic scores, objects in images lit below 360 lx missed.</summary>
    public static string Detections(CocoGroundTruth gt, DatasetReader reader)
    {
        var sb = new StringBuilder("[");
        var inv = CultureInfo.InvariantCulture;
        int n = 0;
        foreach (var a in gt.Annotations)
        {
            double intensity = reader.ReadAnnotation(a.ImageId - 1).Light.Intensity;
            if (intensity < 360) continue;
            var b = a.Bbox!;
            double score = 0.3 + 0.7 * ((a.Id * 7919) % 101) / 100.0;
            if (n++ > 0) sb.Append(',');
            sb.Append(inv, $"{{\"image_id\":{a.ImageId},\"category_id\":{a.CategoryId},\"bbox\":[{b[0] + 1},{b[1]},{b[2]},{b[3]}],\"score\":{score}}}");
            if (a.Id % 5 == 0) // a false positive now and then
                sb.Append(inv, $",{{\"image_id\":{a.ImageId},\"category_id\":{a.CategoryId},\"bbox\":[0,0,10,10],\"score\":{score * 0.9}}}");
        }
        return sb.Append(']').ToString();
    }

    public void Dispose()
    {
        try { Directory.Delete(Project, recursive: true); } catch (IOException) { }
    }
}

public sealed class SliceTests(SliceFixture f) : IClassFixture<SliceFixture>
{
    private SliceReport Run(SliceOptions? o = null) => SliceRun.Run(f.Dataset, f.ConfigFile, f.DetectionsFile, "val", o ?? new SliceOptions { MinObjects = 10, Resamples = 40 });

    [Fact]
    public void Features_are_the_resampled_scenes_draws_and_find_redrawn_scenes()
    {
        var (images, objects) = SliceFeatures.Extract(f.Reader, f.Spec, AssetLibrary.LoadOrThrow(f.Spec), f.Gt);
        Assert.Equal(f.Gt.Images.Count, images.Count);
        Assert.Equal(f.Gt.Annotations.Count, objects.Count);
        var sampler = SmallDataset.Sampler(f.Spec);
        foreach (var im in images)
        {
            var a = f.Reader.ReadAnnotation(im.Index);
            var scene = sampler.Sample(im.Index, im.Attempt);
            // The attempt found is the rendered one: every labelled object sits where the scene put one.
            Assert.All(a.Objects, o => Assert.Contains(scene.Objects, so => so.Pose.Translation == o.PoseWorld.Position));
            Assert.InRange(im.ColorTemperature!.Value, 3000, 6500);
            Assert.Equal(scene.DistractorsOrEmpty.Count, im.Distractors);
            Assert.InRange(im.Distractors, 0, 2);
            Assert.Equal(f.Spec.CurriculumOrDefault.Difficulty(im.Index), im.Difficulty);
            Assert.Equal(a.Light.Intensity, im.Intensity);
            Assert.Contains(im.TablePattern, new[] { TexturePattern.Wood, TexturePattern.Noise, TexturePattern.None });
        }
        // Crowded scenes: some were redrawn, and their first draw is not what was rendered.
        var retried = images.Where(i => i.Attempt > 0).ToList();
        Assert.NotEmpty(retried);
        foreach (var im in retried)
        {
            var a = f.Reader.ReadAnnotation(im.Index);
            var first = sampler.Sample(im.Index, 0);
            Assert.False(a.Objects.All(o => first.Objects.Any(so => so.Pose.Translation == o.PoseWorld.Position)));
        }
        Assert.All(objects, o => Assert.InRange(o.Visibility, 0, 1));
        Assert.All(objects, o => Assert.True(o.Distance > 0.3 && o.Distance < 3, $"distance {o.Distance}"));
    }

    [Fact]
    public void Slice_metrics_equal_evaluating_the_subset_directly()
    {
        var report = Run();
        var dt = CocoDetections.Load(f.DetectionsFile, f.Gt);
        // Overall = the whole split.
        var all = new CocoEvaluator(f.Gt, dt, IouType.Bbox).Run();
        Assert.Equal(all[1], report.Overall.Ap50);
        Assert.Equal(all[0], report.Overall.Ap);

        // Image level: the darkest light bin evaluated as its own ground truth file.
        var light = report.Dimensions.Single(d => d.Name == "lighting.intensity");
        Assert.Equal("lighting.intensity", light.ConfigPath);
        Assert.Equal(5, light.Slices.Count);
        foreach (var s in light.Slices)
        {
            var ids = f.Gt.Images.Where(im => InBin(f.Reader.ReadAnnotation(im.Id - 1).Light.Intensity, s, last: s == light.Slices[^1])).Select(im => im.Id).ToHashSet();
            Assert.Equal(ids.Count, s.Metrics.Images);
            if (ids.Count == 0) continue;
            var (gt, d) = Subset(ids);
            var stats = new CocoEvaluator(gt, d, IouType.Bbox).Run();
            Assert.Equal(stats[1], s.Metrics.Ap50);
            Assert.Equal(stats[0], s.Metrics.Ap);
        }
        Assert.Equal(0, light.Slices[0].Metrics.Ap50); // every object there was missed

        // Object level: the other objects ignored.
        var cat = report.Dimensions.Single(d => d.Name == "object.category");
        foreach (var s in cat.Slices)
        {
            long catId = f.Reader.Info.Categories.Single(c => c.Name == s.Value).Id;
            var ev = new CocoEvaluator(f.Gt, dt, IouType.Bbox) { IgnoreGroundTruth = g => g.CategoryId != catId };
            var stats = ev.Run();
            Assert.Equal(stats[1], s.Metrics.Ap50);
            Assert.Equal(f.Gt.Annotations.Count(a => a.CategoryId == catId), s.Metrics.Objects);
        }
        var total = report.Dimensions.Single(d => d.Name == "object.visibility").Slices.Sum(s => s.Metrics.Objects);
        Assert.Equal(f.Gt.Annotations.Count, total);
    }

    private static bool InBin(double v, Slice s, bool last) => v >= s.Min!.Value && (last ? v <= s.Max!.Value : v < s.Max!.Value);

    private (CocoGroundTruth, CocoDetections) Subset(HashSet<long> ids)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(f.Gt.File));
        var root = doc.RootElement;
        string Filter(string section, string key) => "[" + string.Join(",", root.GetProperty(section).EnumerateArray()
            .Where(e => ids.Contains(e.GetProperty(key).GetInt64())).Select(e => e.GetRawText())) + "]";
        string gtJson = $"{{\"images\":{Filter("images", "id")},\"annotations\":{Filter("annotations", "image_id")},\"categories\":{root.GetProperty("categories").GetRawText()}}}";
        var gt = CocoGroundTruth.Parse(gtJson, "subset.json");
        using var dd = JsonDocument.Parse(File.ReadAllBytes(f.DetectionsFile));
        string dtJson = "[" + string.Join(",", dd.RootElement.EnumerateArray().Where(e => ids.Contains(e.GetProperty("image_id").GetInt64())).Select(e => e.GetRawText())) + "]";
        return (gt, CocoDetections.Parse(dtJson, "subset-dt.json", gt));
    }

    [Fact]
    public void Intervals_are_deterministic_contain_the_estimate_and_name_the_dark_failure_mode()
    {
        var a = Run();
        var b = Run();
        var ca = a.Dimensions.SelectMany(d => d.Slices).Select(s => (s.Metrics.CiLow, s.Metrics.CiHigh)).ToList();
        var cb = b.Dimensions.SelectMany(d => d.Slices).Select(s => (s.Metrics.CiLow, s.Metrics.CiHigh)).ToList();
        Assert.Equal(ca, cb);
        foreach (var s in a.Dimensions.SelectMany(d => d.Slices).Where(s => s.Metrics.Ap50 >= 0))
        {
            Assert.InRange(s.Metrics.Ap50, s.Metrics.CiLow, s.Metrics.CiHigh);
            Assert.InRange(s.Metrics.Recall, s.Metrics.RecallCiLow, s.Metrics.RecallCiHigh);
        }
        // Another seed gives other intervals (the seed is used).
        var c = Run(new SliceOptions { MinObjects = 10, Resamples = 40, Seed = 99 });
        Assert.NotEqual(ca, c.Dimensions.SelectMany(d => d.Slices).Select(s => (s.Metrics.CiLow, s.Metrics.CiHigh)).ToList());

        var dark = a.FailureModes.First(m => m.Dimension == "lighting.intensity");
        Assert.Equal(200, dark.Min);
        Assert.Equal(360, dark.Max);
        Assert.Contains("light intensity 200–360 lx (darkest bin)", dark.Text);
        Assert.True(a.FailureModes.SequenceEqual(a.FailureModes.OrderByDescending(m => m.Gap)));
        // Image slices are judged by AP50, object slices by recall (unmatched detections cannot be attributed to them).
        Assert.All(a.FailureModes, m =>
        {
            bool objectLevel = a.Dimensions.Single(d => d.Name == m.Dimension).Level == "object";
            Assert.Equal(objectLevel ? "recall" : "AP50", m.Metric);
            Assert.True(m.CiHigh < (objectLevel ? a.Overall.Recall : a.Overall.Ap50));
            Assert.StartsWith(m.Metric + " ", m.Text);
        });
    }

    [Fact]
    public void Slices_with_too_few_objects_are_marked_and_not_ranked()
    {
        var r = Run(new SliceOptions { MinObjects = 100000, Resamples = 10 });
        Assert.Empty(r.FailureModes);
        Assert.All(r.Dimensions.SelectMany(d => d.Slices), s => Assert.False(s.Enough));
        using var doc = JsonDocument.Parse(r.ToJson());
        Assert.Equal("synthbuild.slices/1", doc.RootElement.GetProperty("schema").GetString());
        Assert.False(doc.RootElement.GetProperty("dimensions")[0].GetProperty("slices")[0].GetProperty("enough").GetBoolean());
    }

    [Fact]
    public void Detections_of_other_images_are_refused_naming_the_file()
    {
        long trainIndex = f.Reader.Indices.First(i => f.Reader.SplitOf(i) == Split.Train);
        string bad = Path.Combine(f.Project, "train.detections.json");
        File.WriteAllText(bad, $"[{{\"image_id\":{trainIndex + 1},\"category_id\":1,\"bbox\":[1,1,5,5],\"score\":0.5}}]");
        var ex = Assert.Throws<DiagnosticException>(() => SliceRun.Run(f.Dataset, f.ConfigFile, bad, "val"));
        Assert.Equal(SynCodes.SlicesDetectionsOutsideSplit, ex.Diagnostic.Code);
        Assert.Equal(bad, ex.Diagnostic.File);
        Assert.Contains("train split", ex.Diagnostic.Message);
    }

    [Fact]
    public void Another_config_is_refused()
    {
        string other = Path.Combine(f.Project, "other.json");
        File.WriteAllText(other, SliceFixture.Config.Replace("\"colorVariation\": 0.1", "\"colorVariation\": 0.2"));
        var ex = Assert.Throws<DiagnosticException>(() => SliceRun.Run(f.Dataset, other, f.DetectionsFile, "val"));
        Assert.Equal(SynCodes.SlicesInputInvalid, ex.Diagnostic.Code);
    }
}
