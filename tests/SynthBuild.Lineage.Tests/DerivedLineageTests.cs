using System.Text.Json;
using SynthBuild.Core.Config;

namespace SynthBuild.Lineage.Tests;

/// <summary>A dataset built with an overlay's "$derivedFrom" block records its parent and reason (docs/lineage.md).</summary>
public class DerivedLineageTests
{
    private static MlflowSettings Fast(string uri) =>
        new(uri, MaxAttempts: 2, InitialBackoff: TimeSpan.FromMilliseconds(20), RequestTimeout: TimeSpan.FromSeconds(5));

    [Fact]
    public void Parent_and_reason_go_to_the_record_the_log_and_the_MLflow_tags_a_plain_build_has_none()
    {
        var f = new LineageFixture(samples: 3);
        string overlay = Path.Combine(f.Dir, "targeted.json");
        // Provenance only: the dataset the fixture built is this overlay's dataset too (same samples).
        File.WriteAllText(overlay, """
            {
              "$derivedFrom": { "dataset": "0123456789abcdef", "name": "small", "reason": "AP50 0.21 in lighting.intensity 200–360 vs 0.42 overall" }
            }
            """);
        using var server = new FakeMlflowServer();

        var plain = LineageRecorder.Record(f.Lineage() with { SettingsOverride = Fast(server.Uri) });
        Assert.True(plain.Succeeded, string.Join("\n", plain.Diagnostics));
        var derived = LineageRecorder.Record(f.Lineage() with { Overrides = new ConfigOverrides(Overlays: [overlay]), SettingsOverride = Fast(server.Uri) });
        Assert.True(derived.Succeeded, string.Join("\n", derived.Diagnostics));
        Assert.Equal(plain.Record!.Dataset.Digest, derived.Record!.Dataset.Digest);

        Assert.Null(plain.Record.DerivedFrom);
        Assert.Equal(new DerivedFrom("0123456789abcdef", "small", "AP50 0.21 in lighting.intensity 200–360 vs 0.42 overall", overlay), derived.Record.DerivedFrom);

        string[] lines = File.ReadAllLines(f.LogFile);
        using (var doc = JsonDocument.Parse(lines[0])) Assert.False(doc.RootElement.TryGetProperty("derivedFrom", out _));
        using (var doc = JsonDocument.Parse(lines[1]))
        {
            var d = doc.RootElement.GetProperty("derivedFrom");
            Assert.Equal("0123456789abcdef", d.GetProperty("dataset").GetString());
            Assert.StartsWith("AP50 0.21", d.GetProperty("reason").GetString());
        }
        var read = LineageLog.Read(f.LogFile);
        Assert.Equal(derived.Record.DerivedFrom, read[1].DerivedFrom);
        Assert.Contains("  parent   0123456789abcdef small: AP50 0.21 in lighting.intensity 200–360 vs 0.42 overall\n", LineageLog.Format(read));

        var plainRun = server.Runs[plain.Record.Mlflow!.RunId];
        var derivedRun = server.Runs[derived.Record.Mlflow!.RunId];
        Assert.False(plainRun.Tags.ContainsKey("synth.parent"));
        Assert.False(plainRun.Tags.ContainsKey("synth.reason"));
        Assert.Equal("0123456789abcdef", derivedRun.Tags["synth.parent"]);
        Assert.Equal("AP50 0.21 in lighting.intensity 200–360 vs 0.42 overall", derivedRun.Tags["synth.reason"]);
        // The overlay itself is an artifact beside the config.
        Assert.True(server.Artifacts.ContainsKey($"{derivedRun.ExperimentId}/{derivedRun.Id}/artifacts/config/overlays/targeted.json"));
    }
}
