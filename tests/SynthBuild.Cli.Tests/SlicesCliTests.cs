using System.Globalization;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;
using SynthBuild.Export;

namespace SynthBuild.Cli.Tests;

/// <summary>synth slices: a project (synth.json, bin/dataset) and detections made from its val ground truth.</summary>
public sealed class SlicesCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("synth-cli-slices-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = SynthCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Slices_prints_the_report_as_json_and_refuses_detections_of_another_split()
    {
        string config = Path.Combine(_dir, "synth.json");
        File.WriteAllText(config, """
            { "name": "cli", "samples": 16, "seed": 4, "image": { "width": 96, "height": 72 }, "splits": { "train": 0.25, "val": 0.5, "test": 0.25 },
              "camera": { "intrinsics": { "fx": 75, "fy": 75, "cx": 48, "cy": 36 } } }
            """);
        string data = Path.Combine(_dir, "bin", "dataset");
        Assert.True(new DatasetBuilder(ConfigLoader.Load(config).Spec!, data).Build().Succeeded);
        string export = Path.Combine(_dir, "export");
        Assert.True(DatasetExporter.Run(data, export, [new ExportRequest(ExportFormat.Coco, new Dictionary<string, string> { ["Segmentation"] = "rle", ["Keypoints"] = "false" })]).Succeeded);
        var gt = CocoGroundTruth.Load(Path.Combine(export, "coco", "instances_val.json"));
        // Every box found exactly: AP50 1 overall.
        var sb = new StringBuilder("[");
        foreach (var a in gt.Annotations)
            sb.Append(sb.Length > 1 ? "," : "").Append(CultureInfo.InvariantCulture,
                $"{{\"image_id\":{a.ImageId},\"category_id\":{a.CategoryId},\"bbox\":[{a.Bbox![0]},{a.Bbox[1]},{a.Bbox[2]},{a.Bbox[3]}],\"score\":{0.5 + a.Id % 7 / 20.0}}}");
        string dt = Path.Combine(_dir, "val.json");
        File.WriteAllText(dt, sb.Append(']').ToString());

        string outFile = Path.Combine(_dir, "reports", "slices.json");
        var (code, stdout, stderr) = Run("slices", data, "--detections", dt, "--split", "val", "--json", "--resamples", "20", "-o", outFile);
        Assert.True(code == SynthCli.ExitOk, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal("synthbuild.slices/1", root.GetProperty("schema").GetString());
        Assert.Equal("val", root.GetProperty("split").GetString());
        Assert.Equal(DatasetReader.Open(data).Info.Digest, root.GetProperty("dataset").GetProperty("digest").GetString());
        Assert.Equal(1.0, root.GetProperty("overall").GetProperty("ap50").GetDouble());
        Assert.Equal(gt.Images.Count, root.GetProperty("overall").GetProperty("images").GetInt32());
        Assert.Contains(root.GetProperty("dimensions").EnumerateArray(), d => d.GetProperty("name").GetString() == "lighting.intensity"
            && d.GetProperty("configPath").GetString() == "lighting.intensity");
        Assert.Empty(root.GetProperty("failureModes").EnumerateArray()); // nothing is below a perfect detector
        Assert.Equal(stdout, File.ReadAllText(outFile));

        // In words by default.
        var words = Run("slices", data, "--detections", dt, "--resamples", "20");
        Assert.Equal(SynthCli.ExitOk, words.Code);
        Assert.Contains("slices: val,", words.Out);
        Assert.Contains("no failure mode", words.Out);

        // The test split's ground truth does not hold the val images.
        var wrong = Run("slices", data, "--detections", dt, "--split", "test");
        Assert.Equal(SynthCli.ExitBadInput, wrong.Code);
        Assert.Contains($"{dt}: error SYN8302:", wrong.Err);
        Assert.Contains("which is in the val split", wrong.Err);

        var badSplit = Run("slices", data, "--detections", dt, "--split", "dev");
        Assert.Equal(SynthCli.ExitBadInput, badSplit.Code);
        Assert.Contains("error SYN8303: --split must be train, val or test", badSplit.Err);
    }
}
