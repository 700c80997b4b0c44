using System.Text.Json;
using System.Text.Json.Nodes;
using SynthBuild.Evaluation;

namespace SynthBuild.Tasks.Tests;

[Collection("dotnet build")]
public class SimToRealTargetTests
{
    [Fact]
    public void Gap_gate_fails_the_build_and_the_report_is_written()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 2));
        var fixture = CocoFixtureGenerator.Generate(20, 3);
        string gt = Path.Combine(p.Directory, "gt.json"), perfect = Path.Combine(p.Directory, "perfect.json"), noisy = Path.Combine(p.Directory, "noisy.json");
        File.WriteAllText(gt, fixture.GroundTruthJson);
        File.WriteAllText(noisy, fixture.DetectionsJson);
        File.WriteAllText(perfect, PerfectDetections(fixture.GroundTruthJson));
        string common = $"-t:SynthSimToReal -p:SynthSyntheticGt={gt} -p:SynthSyntheticDt={perfect} -p:SynthRealGt={gt} -p:SynthRealDt={noisy}";

        var failing = p.Build(common + " -p:SynthMaxGap=0.01");
        Assert.Equal(1, failing.ExitCode);
        Assert.Contains("synthetic mAP: 1.000", failing.Output);
        Assert.Matches(@"error SYN7010: sim-to-real gap 0\.\d{3} \(synthetic mAP 1\.000, real mAP 0\.\d{3}\) exceeds the maximum 0\.010", failing.Output);

        var passing = p.Build(common + " -p:SynthMaxGap=1");
        Assert.True(passing.ExitCode == 0, passing.ToString());
        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(p.OutputDir, "reports", "sim2real.json")));
        Assert.True(report.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal(1.0, report.RootElement.GetProperty("syntheticMap").GetDouble(), 12);

        File.WriteAllText(noisy, "[ { \"image_id\": 1, \"category_id\": 1, \"score\": 0.5 } ]");
        var bad = p.Build(common);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"{noisy} : error SYN7003", bad.Output);

        // The target's own settings have their own code, at the project file.
        var missing = p.Build($"-t:SynthSimToReal -p:SynthSyntheticGt={gt}");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"{p.ProjectFile} : error SYN7007: SynthSimToReal needs SynthSyntheticGt", missing.Output);
        var badIou = p.Build(common + " -p:SynthIouType=mask");
        Assert.Equal(1, badIou.ExitCode);
        Assert.Contains($"{p.ProjectFile} : error SYN7007: SynthIouType must be 'bbox' or 'segm', found 'mask'.", badIou.Output);
    }

    [Fact]
    public void The_gate_leaves_a_retraining_verdict_and_GitHub_step_outputs_either_way()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 2));
        var built = p.Build();
        Assert.True(built.ExitCode == 0, built.ToString());
        string digest;
        using (var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(p.OutputDir, "manifest.json"))))
            digest = manifest.RootElement.GetProperty("digest").GetString()!;
        var fixture = CocoFixtureGenerator.Generate(20, 3);
        string gt = Path.Combine(p.Directory, "gt.json"), perfect = Path.Combine(p.Directory, "perfect.json"), noisy = Path.Combine(p.Directory, "noisy.json");
        File.WriteAllText(gt, fixture.GroundTruthJson);
        File.WriteAllText(noisy, fixture.DetectionsJson);
        File.WriteAllText(perfect, PerfectDetections(fixture.GroundTruthJson));
        string common = $"-t:SynthSimToReal -p:SynthSyntheticGt={gt} -p:SynthSyntheticDt={perfect} -p:SynthRealGt={gt} -p:SynthRealDt={noisy}";
        string output = Path.Combine(p.Directory, "gh-output.txt"), summary = Path.Combine(p.Directory, "gh-summary.md");
        var env = new Dictionary<string, string> { ["GITHUB_OUTPUT"] = output, ["GITHUB_STEP_SUMMARY"] = summary };
        string verdictFile = Path.Combine(p.OutputDir, "reports", "retrain.json");

        var failing = p.Build(common + " -p:SynthMaxGap=0.01", env);
        Assert.Equal(1, failing.ExitCode);
        Assert.Contains("Retraining verdict: retrain", failing.Output);
        double gap;
        using (var sim = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(p.OutputDir, "reports", "sim2real.json"))))
            gap = sim.RootElement.GetProperty("gap").GetDouble();
        Assert.True(gap > 0.01);
        using (var v = JsonDocument.Parse(File.ReadAllBytes(verdictFile)))
        {
            var r = v.RootElement;
            Assert.Equal("synthbuild.retrain/1", r.GetProperty("schema").GetString());
            Assert.Equal("retrain", r.GetProperty("verdict").GetString());
            Assert.True(r.GetProperty("retrain").GetBoolean());
            Assert.Equal(gap, r.GetProperty("gap").GetDouble(), 12);
            Assert.Equal(0.01, r.GetProperty("threshold").GetDouble(), 12);
            Assert.Equal(digest, r.GetProperty("dataset").GetProperty("digest").GetString());
            var classes = r.GetProperty("perClassGaps").EnumerateArray().ToList();
            Assert.Equal(JsonNode.Parse(fixture.GroundTruthJson)!["categories"]!.AsArray().Count, classes.Count);
            // Sorted worst first; the synthetic side is perfect wherever a class has ground truth.
            var gaps = classes.Where(c => c.GetProperty("gap").ValueKind == JsonValueKind.Number).Select(c => c.GetProperty("gap").GetDouble()).ToList();
            Assert.Equal(gaps.OrderByDescending(g => g), gaps);
            Assert.All(classes, c => Assert.True(c.GetProperty("syntheticAp").GetDouble() is 1.0 or -1.0));
            Assert.NotEmpty(r.GetProperty("recommendations").EnumerateArray());
            Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(r.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(10));
        }
        string[] outputs = File.ReadAllLines(output);
        Assert.Contains("retrain=true", outputs);
        Assert.Contains($"gap={gap.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)}", outputs);
        Assert.Contains("### Sim-to-real gap: **retrain**", File.ReadAllText(summary));

        File.Delete(output);
        File.Delete(summary);
        var passing = p.Build(common + " -p:SynthMaxGap=1", env);
        Assert.True(passing.ExitCode == 0, passing.ToString());
        using (var v = JsonDocument.Parse(File.ReadAllBytes(verdictFile)))
        {
            Assert.Equal("ok", v.RootElement.GetProperty("verdict").GetString());
            Assert.Equal(1.0, v.RootElement.GetProperty("threshold").GetDouble(), 12);
        }
        Assert.Contains("retrain=false", File.ReadAllLines(output));
        Assert.Contains("### Sim-to-real gap: ok", File.ReadAllText(summary));
    }

    /// <summary>One detection per non-crowd ground truth, exactly on it.</summary>
    private static string PerfectDetections(string groundTruthJson)
    {
        var results = new JsonArray();
        foreach (var a in JsonNode.Parse(groundTruthJson)!["annotations"]!.AsArray())
        {
            if (a!["iscrowd"]?.GetValue<int>() == 1) continue;
            results.Add(new JsonObject
            {
                ["image_id"] = a["image_id"]!.GetValue<long>(),
                ["category_id"] = a["category_id"]!.GetValue<long>(),
                ["bbox"] = a["bbox"]!.DeepClone(),
                ["score"] = 1.0,
            });
        }
        return results.ToJsonString();
    }
}

/// <summary>The model stage in a real build: an ONNX model declared as a SynthModel item, run by the build on the
/// dataset and on a labelled real set (docs/models.md).</summary>
[Collection("dotnet build")]
public class ModelEvalTargetTests
{
    [Fact]
    public void The_build_runs_a_declared_model_gates_its_sim_to_real_gap_and_does_not_run_it_again_unchanged()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 10), projectItems: """
              <ItemGroup>
                <SynthExport Include="coco" />
                <SynthModel Include="det.onnx" Split="train" RealGroundTruth="real/gt.json" MaxGap="$(SynthMaxGap)" />
              </ItemGroup>
            """);
        string model = Path.Combine(p.Directory, "det.onnx");

        // Before the model exists: its code, naming the file; the dataset is built all the same.
        var missing = p.Build("-t:SynthModelEval");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"{model} : error SYN8001: Model file not found", missing.Output);

        // A model that "detects" the first train image's objects on every image, and a real set it misses entirely.
        var first = p.Build();
        Assert.True(first.ExitCode == 0, first.ToString());
        var truth = CocoGroundTruth.Load(Path.Combine(p.OutputDir, "exports", "coco", "instances_train.json"));
        var objects = truth.Annotations.Where(a => a.ImageId == truth.Images[0].Id).ToList();
        Assert.NotEmpty(objects);
        string built = SynthBuild.Models.Tests.ModelFixtures.ConstantModel(p.Directory, "det", [3, -1, -1],
        [
            new("boxes", "float32", [objects.Count, 4], objects.SelectMany(a => new[] { a.Bbox![0], a.Bbox[1], a.Bbox[0] + a.Bbox[2], a.Bbox[1] + a.Bbox[3] }).ToArray()),
            new("labels", "int64", [objects.Count], objects.Select(a => (double)a.CategoryId).ToArray()),
            new("scores", "float32", [objects.Count], objects.Select((_, k) => 0.9 - 0.1 * k).ToArray()),
        ]);
        Assert.Equal(model, built);
        SynthBuild.Models.Tests.ModelFixtures.CocoSet(Path.Combine(p.Directory, "real"), [(160, 120), (160, 120)],
            truth.Categories.Select(c => (c.Id, c.Name)).ToArray(),
            [(0, objects[0].CategoryId, [140, 100, 12, 12]), (1, objects[0].CategoryId, [150, 2, 8, 8])]);

        var gated = p.Build("-t:SynthSimToReal -p:SynthMaxGap=0");
        Assert.Equal(1, gated.ExitCode);
        Assert.Matches(@"Model det: train AP 0\.\d{3}, AP50 0\.\d{3}", gated.Output);
        Assert.Contains("real AP 0.000", gated.Output);
        Assert.Matches(@"error SYN7010: sim-to-real gap 0\.\d{3} \(synthetic mAP 0\.\d{3}, real mAP 0\.000\) exceeds the maximum 0\.000", gated.Output);
        using (var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(p.OutputDir, "reports", "models", "det.sim2real.json"))))
            Assert.False(report.RootElement.GetProperty("passed").GetBoolean());

        // Part of the normal build when asked; the same dataset, model and real set: not run again, gate judged anew.
        var passing = p.Build("-p:SynthModelEvalOnBuild=true -p:SynthMaxGap=1");
        Assert.True(passing.ExitCode == 0, passing.ToString());
        Assert.Contains("(up to date)", passing.Output);
        Assert.Contains("sim-to-real gap", passing.Output);
    }
}
