using System.Text.Json;
using SynthBuild.Cli;
using static SynthBuild.Models.Tests.ModelFixtures;

namespace SynthBuild.Models.Tests;

/// <summary>`synth model-eval` end to end, and every bad input as one SYN line with exit code 2 and no stack trace,
/// leaving an existing report untouched.</summary>
public class ModelEvalCliTests
{
    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = SynthCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private sealed record Fixture(string Dir, string Gt, string Model, string Report);

    private static Fixture Make()
    {
        string dir = TempDir();
        string gt = CocoSet(dir, [(96, 72), (96, 72)], [(3, "box"), (5, "mug")], [(0, 3, [10, 10, 30, 20]), (1, 5, [50, 30, 20, 30])]);
        string model = OnnxEvaluationTests.TorchvisionModel(dir, [1, 3, 72, 96]);
        return new Fixture(dir, gt, model, Path.Combine(dir, "report.json"));
    }

    [Fact]
    public void Model_eval_writes_the_report_and_detections_that_synth_eval_scores_the_same()
    {
        var f = Make();
        string dt = Path.Combine(f.Dir, "dt.json");
        var (code, stdout, stderr) = Run("model-eval", "--model", f.Model, "--dataset", f.Gt, "--score-threshold", "0.05", "--out", f.Report, "--detections", dt);
        Assert.True(code == 0, stderr);
        Assert.Contains("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]", stdout);
        Assert.Contains("images/s", stdout);

        using var report = JsonDocument.Parse(File.ReadAllBytes(f.Report));
        var r = report.RootElement;
        Assert.Equal("torchvision", r.GetProperty("settings").GetProperty("layout").GetString());
        Assert.Equal("stretch", r.GetProperty("settings").GetProperty("preprocess").GetProperty("resize").GetString());
        Assert.Equal(0.05, r.GetProperty("settings").GetProperty("scoreThreshold").GetDouble(), 6);
        Assert.Equal(2, r.GetProperty("images").GetInt32());
        Assert.True(r.GetProperty("timing").GetProperty("imagesPerSecond").GetDouble() > 0);
        Assert.Equal(["box", "mug"], r.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("name").GetString()));

        // `synth eval` of the detections file gives the report's numbers.
        string evalJson = Path.Combine(f.Dir, "eval.json");
        Assert.Equal(0, Run("eval", "--gt", f.Gt, "--dt", dt, "--json", evalJson).Code);
        using var eval = JsonDocument.Parse(File.ReadAllBytes(evalJson));
        var evalStats = eval.RootElement.GetProperty("stats").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var reportStats = SynthBuild.Evaluation.CocoEvaluator.StatNames.Select(n => r.GetProperty("stats").GetProperty(n).GetDouble()).ToArray();
        Assert.Equal(evalStats, reportStats);
        Assert.InRange(reportStats[0], 0.1, 0.99);
    }

    public static TheoryData<string, string[]> BadInputs => new()
    {
        { "SYN8001", ["--model", "{dir}/missing.onnx"] },
        { "SYN8002", ["--model", "{dir}/corrupt.onnx"] },
        { "SYN8003", ["--model", "{dir}/gray.onnx"] },
        { "SYN8004", ["--layout", "yolo"] },
        { "SYN8004", ["--layout", "tfod"] },
        { "SYN8005", ["--input-size", "64x64"] },
        { "SYN8006", ["--class-map", "{dir}/bad-map.json"] },
        { "SYN8007", ["--class-map", "{dir}/partial-map.json"] },
        { "SYN8008", ["--dataset", "{dir}/nowhere"] },
        { "SYN8008", ["--dataset", "{dir}"] },
        { "SYN8009", ["--images", "{dir}/empty-images"] },
        { "SYN8010", ["--model", "{dir}/reshape.onnx", "--input-size", "50x40"] },
        { "SYN8011", ["--input-size", "64by64"] },
        { "SYN8011", ["--layout", "detr"] },
        { "SYN8011", ["--score-threshold", "1.5"] },
        { "SYN8011", ["--mean", "0.5,0.5"] },
        { "SYN8011", ["--resize", "crop"] },
        { "SYN7002", ["--dataset", "{dir}/broken-gt.json"] },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_is_one_SYN_line_exit_2_and_the_old_report_stays(string code, string[] overrides)
    {
        var f = Make();
        File.WriteAllBytes(Path.Combine(f.Dir, "corrupt.onnx"), [0x08, 0x07, 0x12, 0xff, 0x00, 0x42, 0x13, 0x37]);
        ConstantModel(f.Dir, "gray", [1, 1, 72, 96], [new("boxes", "float32", [1, 4], [0, 0, 1, 1]), new("labels", "int64", [1], [3]), new("scores", "float32", [1], [1])]);
        // A dynamic input that the graph reshapes to 96x72: ONNX Runtime fails on a 50x40 tensor while running.
        ConstantModel(f.Dir, "reshape", [1, 3, -1, -1], [new("boxes", "float32", [1, 4], [0, 0, 1, 1]), new("labels", "int64", [1], [3]), new("scores", "float32", [1], [1])],
            reshape: [1, 3, 72, 96]);
        File.WriteAllText(Path.Combine(f.Dir, "bad-map.json"), """{"0": "giraffe"}""");
        File.WriteAllText(Path.Combine(f.Dir, "partial-map.json"), """{"3": "box"}""");
        File.WriteAllText(Path.Combine(f.Dir, "broken-gt.json"), """{"images": [""");
        Directory.CreateDirectory(Path.Combine(f.Dir, "empty-images"));
        File.WriteAllText(f.Report, "previous report");

        var args = new Dictionary<string, string> { ["--model"] = f.Model, ["--dataset"] = f.Gt, ["--out"] = f.Report };
        for (int i = 0; i < overrides.Length; i += 2) args[overrides[i]] = overrides[i + 1].Replace("{dir}", f.Dir);
        var (exit, stdout, stderr) = Run(["model-eval", .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);

        Assert.Equal(SynthCli.ExitBadInput, exit);
        Assert.Contains($"error {code}: ", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("Exception", stderr);
        Assert.Equal(1, stderr.TrimEnd().Split('\n').Length);
        Assert.Equal("previous report", File.ReadAllText(f.Report));
        Assert.Empty(stdout);
    }
}
