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
