using SynthBuild.Core.Diagnostics;
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
    public void Reports_are_stamped_current_only_when_complete_so_a_failure_half_way_is_redone_by_the_next_build()
    {
        string root = QualityAnalyzerTests.ThreeSamples();
        string reports = Path.Combine(root, "reports"), json = Path.Combine(reports, "quality.json"), html = Path.Combine(reports, "quality.html");
        var first = QualityStage.Run(root, [], true, new QualitySettings());
        Assert.True(first.Succeeded, string.Join("\n", first.Diagnostics));
        string oldKey = first.Report!.AnalysisKey;

        // New analysis settings; writing quality.html fails half-way through the reports (something in its place).
        File.Delete(html);
        Directory.CreateDirectory(Path.Combine(html, "obstacle"));
        var settings = new QualitySettings(NearDuplicateMaxDistance: 3);
        var failed = QualityStage.Run(root, [], true, settings);
        var d = Assert.Single(failed.Diagnostics);
        Assert.Equal(SynCodes.AnalysisFailed, d.Code);
        Assert.True(d.IsError);
        Assert.Equal(reports, d.File);
        // The stamp (quality.json's analysis key) still names the previous analysis: not current.
        Assert.Equal(oldKey, QualityReport.Read(json).AnalysisKey);

        Directory.Delete(html, recursive: true);
        var redone = QualityStage.Run(root, [], true, settings);
        Assert.True(redone.Succeeded, string.Join("\n", redone.Diagnostics));
        Assert.True(redone.Analysed);
        Assert.True(redone.ReportsWritten);
        Assert.NotEqual(oldKey, QualityReport.Read(json).AnalysisKey);
        Assert.True(File.Exists(html));
        Assert.True(File.GetLastWriteTimeUtc(json) >= File.GetLastWriteTimeUtc(html));
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
        // Plots GitHub renders: Mermaid xycharts, before as bars and after as a line.
        Assert.Contains("```mermaid\nxychart-beta\n    title \"Instances per class (bars: before, line: after)\"\n    x-axis [\"box\", ", md);
        Assert.Contains("    bar [1, ", md);
        Assert.Contains("    line [2, ", md);
        Assert.Contains("    title \"Images by number of objects, % (bars: before, line: after)\"", md);

        // The other way round the gate is fixed and a sample is removed; reports without content hashes use input keys.
        var back = QualityComparison.Of(after with { SampleHashes = null }, before with { SampleKeys = after.SampleKeys.Take(2).ToList() });
        Assert.False(back.ByContent);
        Assert.Equal([2], back.Removed);
        Assert.Equal(["class-balance"], back.Fixed);
        Assert.Contains("✅ gates that now pass: class-balance", back.Render());
    }
}
