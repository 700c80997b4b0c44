using SynthBuild.Core.Quality;

namespace SynthBuild.Core.Tests.Quality;

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
        var r = QualityStage.Run(Pipeline.SmallDataset.TempDir(), [], true, new QualitySettings());
        Assert.Null(r.Report);
        Assert.Equal("SYN3003", Assert.Single(r.Diagnostics).Code);
    }

    [Fact]
    public void Comparison_shows_samples_classes_and_gate_changes()
    {
        string root = QualityAnalyzerTests.ThreeSamples();
        var gates = new[] { new GateDeclaration("class-balance", new Dictionary<string, string> { ["Max"] = "1.5" }) };
        QualityReport after = QualityStage.Run(root, gates, true, new QualitySettings()).Report!;
        QualityReport before = after with
        {
            SampleKeys = ["key0000", "changed"],
            Classes = [after.Classes[0] with { Instances = 1 }, after.Classes[1], after.Classes[2]],
            Gates = [after.Gates[0] with { Passed = true, Low = 1, High = 1 }],
        };
        var c = QualityComparison.Of(before, after);
        Assert.Equal((1, 0, 1, 1), (c.Added, c.Removed, c.Changed, c.Unchanged));
        Assert.Equal(["class-balance"], c.Regressions);
        string text = c.Render();
        Assert.Contains("Samples: 1 added, 0 removed, 1 changed, 1 unchanged", text);
        Assert.Matches(@"box\s+1 ->\s+2\s+\+1", text);
        Assert.Contains("class-balance          1 [<= 1.5] pass -> 2 [<= 1.5] FAIL", text);
        Assert.Contains("Regressed gates: class-balance", text);
    }
}
