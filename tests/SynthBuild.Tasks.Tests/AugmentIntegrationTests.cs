namespace SynthBuild.Tasks.Tests;

[Collection("dotnet build")]
public class AugmentIntegrationTests
{
    private static readonly string Config = TempDatasetProject.SmallConfig(samples: 5).TrimEnd().TrimEnd('}') + """
        , "splits": { "train": 1, "val": 0, "test": 0 },
          "augmentation": { "variants": 2, "pipeline": [
            { "type": "horizontalFlip", "p": 0.5 }, { "type": "rotate", "degrees": { "min": -15, "max": 15 } },
            { "type": "randomCrop", "width": 128, "height": 96 }, { "type": "colorJitter", "hue": 5 } ] }
        }
        """;

    private const string Exports = """
        <ItemGroup>
          <SynthAugmentedExport Include="coco" Keypoints="true" />
          <SynthAugmentedExport Include="yolo" />
        </ItemGroup>
        """;

    [Fact]
    public void Build_writes_and_exports_the_augmented_dataset_a_no_op_rebuild_rewrites_nothing_and_a_pipeline_change_re_augments()
    {
        var p = new TempDatasetProject(Config, projectItems: Exports);
        var r = p.Build();
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("demo-augmented: 10 augmented, 10 total, 0 reused, 0 removed", r.Output);
        string augmented = Path.Combine(p.OutputDir, "augmented");
        Assert.Equal(10, Directory.GetFiles(Path.Combine(augmented, "rgb")).Length);
        Assert.True(File.Exists(Path.Combine(augmented, "manifest.json")));
        // Exportable like the base dataset: the same formats, from the derived dataset's own files.
        Assert.Contains("exports: wrote coco, yolo", r.Output);
        Assert.True(File.Exists(Path.Combine(augmented, "exports", "coco", "instances_train.json")));
        Assert.Equal(10, Directory.GetFiles(Path.Combine(augmented, "exports", "yolo", "labels", "train")).Length);

        var before = p.Snapshot();
        var again = p.Build();
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("demo-augmented: up to date (10 samples", again.Output);
        Assert.Contains("exports: up to date (coco, yolo)", again.Output);
        Assert.Equal(before, p.Snapshot());

        // A bad step fails the build at its line and leaves every output as it was.
        p.WriteConfig(Config.Replace("\"p\": 0.5 }", "\"p\": 0.5 }, { \"type\": \"rotate\", \"degrees\": 30 }"));
        var bad = p.Build();
        Assert.Equal(1, bad.ExitCode);
        Assert.Matches(@"synth\.json\(8,\d+\): error SYN1002: augmentation\.pipeline\[1\]\.degrees: expected an object, found 30\.", bad.Output);
        Assert.Equal(before, p.Snapshot());

        // Another pipeline re-augments every variant (the base samples stay) and re-exports.
        p.WriteConfig(Config.Replace("\"max\": 15", "\"max\": 25"));
        var changed = p.Build();
        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.Contains("demo: up to date", changed.Output);
        Assert.Contains("demo-augmented: 10 augmented, 10 total, 0 reused", changed.Output);
        Assert.Contains("exports: wrote coco, yolo", changed.Output);
    }

    [Fact]
    public void Augmented_bytes_do_not_depend_on_the_thread_count()
    {
        var one = new TempDatasetProject(Config);
        var many = new TempDatasetProject(Config);
        var r1 = one.Build("-p:SynthThreads=1");
        Assert.True(r1.ExitCode == 0, r1.ToString());
        var r2 = many.Build();
        Assert.True(r2.ExitCode == 0, r2.ToString());
        var a = one.Snapshot(Path.Combine(one.OutputDir, "augmented")).ToDictionary(kv => kv.Key, kv => kv.Value.Sha);
        var b = many.Snapshot(Path.Combine(many.OutputDir, "augmented")).ToDictionary(kv => kv.Key, kv => kv.Value.Sha);
        Assert.Equal(42, a.Count); // 10 variants × 4 files + manifest.json + dataset.json
        Assert.Equal(a, b);
    }

    [Fact]
    public void A_bad_augmented_export_points_at_its_item()
    {
        var p = new TempDatasetProject(Config, projectItems: Exports.Replace("Include=\"yolo\"", "Include=\"voc\""));
        var r = p.Build();
        Assert.Equal(1, r.ExitCode);
        string[] lines = File.ReadAllLines(p.ProjectFile);
        int line = Array.FindIndex(lines, l => l.Contains("Include=\"voc\"")) + 1;
        int column = lines[line - 1].IndexOf('<') + 1;
        Assert.Contains($"{p.ProjectFile}({line},{column}): error SYN4001: Unknown export format 'voc'", r.Output);
    }
}
