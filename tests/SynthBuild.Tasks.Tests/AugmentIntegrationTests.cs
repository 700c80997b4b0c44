namespace SynthBuild.Tasks.Tests;

[Collection("dotnet build")]
public class AugmentIntegrationTests
{
    [Fact]
    public void Build_writes_the_augmented_dataset_and_a_no_op_rebuild_rewrites_nothing()
    {
        string config = TempDatasetProject.SmallConfig(samples: 5).TrimEnd().TrimEnd('}') + """
            , "splits": { "train": 1, "val": 0, "test": 0 },
              "augmentation": { "variants": 2, "pipeline": [
                { "type": "horizontalFlip", "p": 0.5 }, { "type": "rotate", "degrees": { "min": -15, "max": 15 } },
                { "type": "randomCrop", "width": 128, "height": 96 } ] }
            }
            """;
        var p = new TempDatasetProject(config);
        var r = p.Build();
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("demo-augmented: 10 augmented, 10 total, 0 reused, 0 removed", r.Output);
        string augmented = Path.Combine(p.OutputDir, "augmented");
        Assert.Equal(10, Directory.GetFiles(Path.Combine(augmented, "rgb")).Length);
        Assert.True(File.Exists(Path.Combine(augmented, "manifest.json")));

        var before = p.Snapshot();
        var again = p.Build();
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("demo-augmented: up to date (10 samples", again.Output);
        Assert.Equal(before, p.Snapshot());

        p.WriteConfig(config.Replace("\"p\": 0.5 }", "\"p\": 0.5 }, { \"type\": \"rotate\", \"degrees\": 30 }"));
        var bad = p.Build();
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("error SYN1002: augmentation.pipeline[1].degrees: expected an object, found 30.", bad.Output);
    }
}
