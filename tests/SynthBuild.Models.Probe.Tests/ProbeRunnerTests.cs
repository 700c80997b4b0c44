using System.Text.Json;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Storage;
using SynthBuild.Models.Probe.Runner;
using SynthBuild.TestSupport;

namespace SynthBuild.Models.Probe.Tests;

/// <summary>The out-of-process runner the SynthProbe target launches: its outputs and its error line.</summary>
public class ProbeRunnerTests
{
    private static readonly Lazy<string> Tiny = new(() => SmallDataset.TempDirWith(SmallDataset.Spec(samples: 16, seed: 3)));
    private static readonly string[] Quick = ["--epochs", "2", "--width", "64", "--height", "48", "--batch", "4", "--threads", "1", "--seed", "5"];

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Program.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Writes_the_report_weights_detections_per_split_and_the_contact_sheet()
    {
        string reports = Path.Combine(SmallDataset.TempDir(), "reports");
        var (exit, output, errors) = Run([.. new[] { "--dataset", Tiny.Value, "--reports", reports }, .. Quick]);
        Assert.True(exit == 0, errors);
        Assert.Contains("probe epoch 2/2", output);
        Assert.Empty(errors);

        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reports, DatasetLayout.ProbeJson)));
        var root = report.RootElement;
        Assert.Equal(64, root.GetProperty("settings").GetProperty("inputWidth").GetInt32());
        Assert.Equal(2, root.GetProperty("training").GetProperty("curve").GetArrayLength());
        var splits = root.GetProperty("metrics").EnumerateObject().ToList();
        Assert.NotEmpty(splits);
        foreach (var split in splits)
        {
            // Each split's detections file is the results file its statistics were computed from.
            string file = Path.Combine(reports, DatasetLayout.ProbeDetections(split.Name));
            using var dt = JsonDocument.Parse(File.ReadAllBytes(file));
            Assert.Equal(split.Value.GetProperty("detections").GetInt32(), dt.RootElement.GetArrayLength());
            Assert.Equal(root.GetProperty("files").GetProperty(split.Name + "Detections").GetString(), Path.GetFileName(file));
        }
        foreach (string split in new[] { "val", "test" }.Except(splits.Select(s => s.Name)))
            Assert.False(File.Exists(Path.Combine(reports, DatasetLayout.ProbeDetections(split))));

        Assert.True(new FileInfo(Path.Combine(reports, DatasetLayout.ProbeWeights)).Length > 1_000_000); // ~0.34M float32 parameters
        Assert.False(File.Exists(Path.Combine(reports, DatasetLayout.ProbeWeights + ".partial")));

        var sheet = root.GetProperty("contactSheet");
        string sheetSplit = sheet.GetProperty("split").GetString()!;
        Assert.Equal(splits.Any(s => s.Name == "val") ? "val" : "test", sheetSplit);
        Assert.Equal(0.3, sheet.GetProperty("scoreThreshold").GetDouble());
        var reader = DatasetReader.Open(Tiny.Value);
        int images = reader.Indices.Count(i => DatasetSplits.Name(reader.SplitOf(i)) == sheetSplit);
        Assert.Equal(Math.Min(8, images), sheet.GetProperty("images").GetInt32());
        // Every ground-truth box of the shown images is a true positive or a miss.
        int truth = reader.Indices.Where(i => DatasetSplits.Name(reader.SplitOf(i)) == sheetSplit).Take(8)
            .Sum(i => reader.ReadAnnotation(i).Objects.Count(o => o.Area > 0 && o.Bbox[2] > 0 && o.Bbox[3] > 0));
        if (images <= 8) Assert.Equal(truth, sheet.GetProperty("truePositives").GetInt32() + sheet.GetProperty("misses").GetInt32());
        var (w, h, _) = ImageDecoder.DecodeRgb8(File.ReadAllBytes(Path.Combine(reports, DatasetLayout.ProbeSheet)));
        Assert.True(w > reader.Info.Width && h >= reader.Info.Height, $"{w}x{h}");
    }

    [Fact]
    public void With_the_config_it_writes_the_slices_of_the_val_detections()
    {
        string project = SmallDataset.TempDir();
        string config = Path.Combine(project, "synth.json");
        File.WriteAllText(config, SmallDataset.Json(samples: 16, seed: 3));
        string reports = Path.Combine(project, "reports");
        var (exit, output, errors) = Run([.. new[] { "--dataset", Tiny.Value, "--reports", reports, "--config", config }, .. Quick]);
        Assert.True(exit == 0, errors);
        Assert.Contains("probe: slices:", output);
        using var slices = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reports, DatasetLayout.SlicesJson)));
        using var probe = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reports, DatasetLayout.ProbeJson)));
        string split = probe.RootElement.GetProperty("contactSheet").GetProperty("split").GetString()!;
        Assert.Equal(split, slices.RootElement.GetProperty("split").GetString());
        Assert.Equal(DatasetLayout.SlicesJson, probe.RootElement.GetProperty("files").GetProperty("slices").GetString());
        // Its overall AP50 is the probe's own figure for that split.
        Assert.Equal(Math.Round(probe.RootElement.GetProperty("metrics").GetProperty(split).GetProperty("stats").GetProperty("AP50").GetDouble(), 6),
            slices.RootElement.GetProperty("overall").GetProperty("ap50").GetDouble());
    }

    [Theory]
    [InlineData("--width", "abc", "--width must be an integer, found 'abc'")]
    [InlineData("--learning-rate", "fast", "--learning-rate must be a number, found 'fast'")]
    [InlineData("--augment", "maybe", "--augment must be true or false, found 'maybe'")]
    [InlineData("--colour", "red", "unknown option --colour")]
    public void Bad_arguments_are_one_SYN8104_line_and_exit_code_2(string option, string value, string expected)
    {
        var (exit, _, errors) = Run("--dataset", Tiny.Value, "--reports", SmallDataset.TempDir(), option, value);
        Assert.Equal(Program.ExitBadInput, exit);
        string line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error SYN8104: Probe runner: ", line);
        Assert.Contains(expected, line);
    }

    [Fact]
    public void A_folder_that_is_no_dataset_is_a_SYN8103_line_naming_it_and_nothing_is_written()
    {
        string notDataset = SmallDataset.TempDir(), reports = Path.Combine(SmallDataset.TempDir(), "reports");
        var (exit, _, errors) = Run([.. new[] { "--dataset", notDataset, "--reports", reports }, .. Quick]);
        Assert.Equal(Program.ExitBadInput, exit);
        Assert.StartsWith($"{notDataset}: error SYN8103: ", errors);
        Assert.False(Directory.Exists(reports));
    }
}
