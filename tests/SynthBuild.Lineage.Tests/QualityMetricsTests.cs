using SynthBuild.TestSupport;

namespace SynthBuild.Lineage.Tests;

public class QualityMetricsTests
{
    private static string WithReport(string json)
    {
        string root = SmallDataset.TempDir();
        Directory.CreateDirectory(Path.Combine(root, "reports"));
        File.WriteAllText(Path.Combine(root, "reports", "quality.json"), json);
        return root;
    }

    [Fact]
    public void Scalar_figures_become_metrics_but_histograms_and_heatmaps_do_not_crowd_them_out()
    {
        string cells = string.Join(",", Enumerable.Repeat("0", 768));
        string root = WithReport($$"""
            { "digest": "abc", "centres": { "counts": [{{cells}}] }, "images": { "channelMean": [1, 2, 3], "brightness": { "mean": 120.5, "counts": [1,2,3,4,5,6,7,8,9] } },
              "leakage": { "identicalPairs": 0 }, "gates": [ { "name": "split-leakage", "passed": true, "low": 0 } ] }
            """);
        var m = QualityMetrics.Read(root, "abc").ToDictionary(k => k.Key, k => k.Value);
        Assert.Equal(120.5, m["quality.images.brightness.mean"]);
        Assert.Equal(3, m["quality.images.channelMean.2"]);
        Assert.Equal(0, m["quality.leakage.identicalPairs"]);
        Assert.Equal(1, m["quality.gates.split-leakage.passed"]);
        Assert.DoesNotContain(m.Keys, k => k.StartsWith("quality.centres", StringComparison.Ordinal) || k.Contains("counts"));
        // A report of another digest (left by an earlier build) gives no metrics and no failed gates.
        Assert.Empty(QualityMetrics.Read(root, "other"));
    }

    [Fact]
    public void Failed_error_gates_are_named_and_warnings_or_switched_off_gates_are_not()
    {
        string root = WithReport("""
            { "digest": "abc", "gates": [
              { "name": "a", "severity": "error", "enabled": true, "passed": false },
              { "name": "b", "severity": "warning", "enabled": true, "passed": false },
              { "name": "c", "severity": "error", "enabled": false, "passed": false },
              { "name": "d", "severity": "error", "enabled": true, "passed": true } ] }
            """);
        Assert.Equal(["a"], QualityMetrics.FailedGates(root, "abc"));
        Assert.Empty(QualityMetrics.FailedGates(root, "stale"));
        Assert.False(QualityMetrics.GatesPassed(root, out string? why));
        Assert.Contains("a", why);
        Assert.True(QualityMetrics.GatesPassed(WithReport("""{ "gates": [ { "name": "d", "passed": true } ] }"""), out _));
    }
}
