namespace SynthBuild.Tasks.Tests;

[Collection("dotnet build")]
public class ExportIntegrationTests
{
    private const string Items = """
        <ItemGroup>
          <SynthExport Include="coco" Segmentation="rle" />
          <SynthExport Include="yolo" />
          <SynthExport Include="tfrecord" Shards="2" />
          <SynthExport Include="numpy" Depth="false" />
        </ItemGroup>
        """;

    [Fact]
    public void Selected_exports_are_written_once_and_rerun_only_when_the_dataset_changes()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 6), projectItems: Items);
        var first = p.Build();
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("exports: wrote coco, yolo, tfrecord, numpy", first.Output);
        string exports = Path.Combine(p.OutputDir, "exports");
        Assert.True(File.Exists(Path.Combine(exports, "coco", "instances_train.json")));
        Assert.True(File.Exists(Path.Combine(exports, "yolo", "data.yaml")));
        Assert.True(File.Exists(Path.Combine(exports, "numpy", "train", "rgb.npy")));
        Assert.False(File.Exists(Path.Combine(exports, "numpy", "train", "depth.npy")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(exports, "tfrecord"), "train-0000?-of-00002.tfrecord"));

        var before = p.Snapshot();
        var noop = p.Build();
        Assert.True(noop.ExitCode == 0, noop.ToString());
        Assert.Contains("exports: up to date (coco, yolo, tfrecord, numpy)", noop.Output);
        Assert.Equal(before, p.Snapshot());

        var more = p.Build("-p:SynthSamples=7");
        Assert.True(more.ExitCode == 0, more.ToString());
        Assert.Contains("exports: wrote coco, yolo, tfrecord, numpy", more.Output);
    }

    [Fact]
    public void An_unknown_format_fails_the_build_and_leaves_the_exports_untouched()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 4), projectItems: Items);
        Assert.Equal(0, p.Build().ExitCode);
        var before = p.Snapshot();

        File.WriteAllText(p.ProjectFile, File.ReadAllText(p.ProjectFile).Replace("<SynthExport Include=\"yolo\" />", "<SynthExport Include=\"voc\" />"));
        var r = p.Build();
        Assert.Equal(1, r.ExitCode);
        // The error points at the item's line in the project file.
        string[] lines = File.ReadAllLines(p.ProjectFile);
        int line = Array.FindIndex(lines, l => l.Contains("Include=\"voc\"")) + 1;
        int column = lines[line - 1].IndexOf('<') + 1;
        Assert.Contains($"{p.ProjectFile}({line},{column}): error SYN4001: Unknown export format 'voc': expected one of coco, yolo, yolo-seg, tfrecord, numpy, onnx.", r.Output);
        Assert.Equal(before, p.Snapshot());
    }
}
