using SynthBuild.TestSupport;

namespace SynthBuild.Quality.Tests;

public class QualityStageTests
{
    [Fact]
    public void Analyses_once_then_only_re_evaluates_gates()
    {
        string root = QualityAnalyzerTests.ThreeSamples();
        var gates = new[] { new GateDeclaration("class-balance", new Dictionary<string, string> { ["Max"] = "3" }) };
        var first = QualityStage.Run(root, gates, true, new QualitySettings());
        Assert.True(first.Succeeded, string.Join("\n", first.Diagnostics));
        Assert.True(first.Analysed);
        string reports = Path.Combine(root, "reports");
        foreach (string f in new[] { "quality.json", "quality.md", "quality.html" }) Assert.True(File.Exists(Path.Combine(reports, f)), f);
        DateTime html = File.GetLastWriteTimeUtc(Path.Combine(reports, "quality.html"));

        var again = QualityStage.Run(root, gates, true, new QualitySettings());
        Assert.False(again.Analysed);
        Assert.False(again.ReportsWritten);
        Assert.Equal(html, File.GetLastWriteTimeUtc(Path.Combine(reports, "quality.html")));

        // A tighter threshold: no new analysis, but the gate fails and the reports say so.
        var tighter = QualityStage.Run(root, [new GateDeclaration("class-balance", new Dictionary<string, string>())], true, new QualitySettings());
        Assert.False(tighter.Analysed);
        Assert.True(tighter.ReportsWritten);
        Assert.False(tighter.Succeeded);
        Assert.Contains("| class-balance | 2 | <= 1.15 | error | FAIL |", File.ReadAllText(Path.Combine(reports, "quality.md")));

        // Another analysis setting is another analysis key.
        var other = QualityStage.Run(root, gates, true, new QualitySettings(NearDuplicateMaxDistance: 3));
        Assert.True(other.Analysed);
    }

    [Fact]
    public void Missing_dataset_is_a_diagnostic()
    {
        var r = QualityStage.Run(SmallDataset.TempDir(), [], true, new QualitySettings());
        Assert.Null(r.Report);
        Assert.Equal("SYN3003", Assert.Single(r.Diagnostics).Code);
    }

    [Fact]
    public void Comparison_shows_samples_classes_distributions_and_gate_changes_as_markdown()
    {
        string root = QualityAnalyzerTests.ThreeSamples();
        var gates = new[] { new GateDeclaration("class-balance", new Dictionary<string, string> { ["Max"] = "1.5" }) };
        QualityReport after = QualityStage.Run(root, gates, true, new QualitySettings()).Report!;
        Assert.Equal(3, after.SampleHashes!.Count);
        QualityReport before = after with
        {
            SampleHashes = [after.SampleHashes[0], "0000000000000000"],
            Classes = [after.Classes[0] with { Instances = 1 }, after.Classes[1], after.Classes[2]],
            Gates = [after.Gates[0] with { Passed = true, Low = 1, High = 1 }],
        };
        var c = QualityComparison.Of(before, after, "main", "this build");
        Assert.Equal([2], c.Added);
        Assert.Empty(c.Removed);
        Assert.Equal([1], c.Changed);
        Assert.Equal(1, c.Unchanged);
        Assert.True(c.ByContent);
        Assert.Equal(["class-balance"], c.Regressions);
        string md = c.Render();
        Assert.Contains("❌ gates that regressed: class-balance", md);
        Assert.Contains("**Samples:** 1 added, 0 removed, 1 changed, 1 unchanged (by content", md);
        Assert.Contains("- added: 2", md);
        Assert.Contains("- changed: 1", md);
        Assert.Contains("| box | 1 | 2 | +1 | 33.3% | 50.0% |", md);
        Assert.Contains("| class balance (max/min) | 1 | 2 | +1 |", md);
        Assert.Contains("| class-balance | 1 | 2 | <= 1.5 | <= 1.5 | pass → **FAIL** |", md);

        // The other way round the gate is fixed and a sample is removed; reports without content hashes use input keys.
        var back = QualityComparison.Of(after with { SampleHashes = null }, before with { SampleKeys = after.SampleKeys.Take(2).ToList() });
        Assert.False(back.ByContent);
        Assert.Equal([2], back.Removed);
        Assert.Equal(["class-balance"], back.Fixed);
        Assert.Contains("✅ gates that now pass: class-balance", back.Render());
    }
}
