using System.Text.Json;

namespace SynthBuild.Tasks.Tests;

/// <summary>-p:SynthConfigOverlay in a real build (docs/config.md, "Overlays").</summary>
[Collection("dotnet build")]
public class ConfigOverlayIntegrationTests
{
    private static readonly Dictionary<string, string> NoServer = new() { ["MLFLOW_TRACKING_URI"] = "" };

    [Fact]
    public void An_overlay_is_an_input_of_the_build_its_provenance_is_recorded_and_its_errors_name_it()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 4));
        var plain = p.Build("", NoServer);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        string plainDigest = p.Digest();

        // Provenance only: nothing changes, nothing is regenerated.
        File.WriteAllText(Path.Combine(p.Directory, "same.json"), """{ "$derivedFrom": { "dataset": "feedface", "reason": "restated" } }""");
        var same = p.Build("-p:SynthConfigOverlay=same.json", NoServer);
        Assert.True(same.ExitCode == 0, same.ToString());
        Assert.Contains("demo: up to date (4 samples", same.Output);
        Assert.Equal(plainDigest, p.Digest());

        // Darker light, relative to the project: every sample is regenerated, and the record names parent and reason.
        string dark = Path.Combine(p.Directory, "overlays", "dark.json");
        Directory.CreateDirectory(Path.GetDirectoryName(dark)!);
        File.WriteAllText(dark, """
            {
              "$derivedFrom": { "dataset": "PARENT", "name": "demo", "reason": "AP50 0.21 in the darkest light" },
              "lighting": { "intensity": { "min": 200, "max": 1000, "weights": [6, 1, 1, 1] } }
            }
            """.Replace("PARENT", plainDigest));
        var targeted = p.Build("-p:SynthConfigOverlay=overlays/dark.json", NoServer);
        Assert.True(targeted.ExitCode == 0, targeted.ToString());
        Assert.Contains("demo: 4 generated, 4 total, 0 reused", targeted.Output);
        Assert.NotEqual(plainDigest, p.Digest());
        using (var record = JsonDocument.Parse(File.ReadLines(Path.Combine(p.Directory, "lineage.jsonl")).Last()))
        {
            var derived = record.RootElement.GetProperty("derivedFrom");
            Assert.Equal(plainDigest, derived.GetProperty("dataset").GetString());
            Assert.Equal("AP50 0.21 in the darkest light", derived.GetProperty("reason").GetString());
            Assert.Equal(p.Digest(), record.RootElement.GetProperty("dataset").GetProperty("digest").GetString());
        }
        // Unchanged overlay: a no-op; an edited one: rebuilt.
        var again = p.Build("-p:SynthConfigOverlay=overlays/dark.json", NoServer);
        Assert.Contains("demo: up to date (4 samples", again.Output);
        File.WriteAllText(dark, File.ReadAllText(dark).Replace("[6, 1, 1, 1]", "[1, 6, 1, 1]"));
        var edited = p.Build("-p:SynthConfigOverlay=overlays/dark.json", NoServer);
        Assert.Contains("demo: 4 generated, 4 total, 0 reused", edited.Output);

        // A typo in the overlay: the build fails naming the overlay, its line and column; the dataset stays.
        string digest = p.Digest();
        File.WriteAllText(dark, "{\n  \"lighting\": {\n    \"intensty\": { \"min\": 1, \"max\": 2 }\n  }\n}\n");
        var bad = p.Build("-p:SynthConfigOverlay=overlays/dark.json", NoServer);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"{dark}(3,5): error SYN1003: Unknown key 'intensty'", bad.Output);
        Assert.Equal(digest, p.Digest());
        var missing = p.Build("-p:SynthConfigOverlay=nope.json", NoServer);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"{Path.Combine(p.Directory, "nope.json")} : error SYN1010", missing.Output);
    }
}
