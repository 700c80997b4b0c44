using SynthBuild.TestSupport;

namespace SynthBuild.Lineage.Tests;

public class ProbeMetricsTests
{
    private const string Report = """
        { "dataset": "/d", "settings": { "inputWidth": 64, "epochs": 2, "learningRate": 0.002, "augment": true, "categoryIds": [1, 2] },
          "training": { "images": 8, "seconds": 1.5, "imagesPerSecond": 10.7,
            "curve": [ { "epoch": 1, "loss": 2.5 }, { "epoch": 2, "loss": 1.9 } ] },
          "inference": { "images": 8, "seconds": 0.1, "imagesPerSecond": 80 },
          "metrics": {
            "val": { "stats": { "AP": 0.125, "AP50": 0.4 }, "categories": [ { "id": 1, "name": "box", "ap": 0.2 } ] },
            "test": { "stats": { "AP": 0.1, "AP50": 0.2 }, "categories": [] } } }
        """;

    private static string WithProbe(string digest)
    {
        string root = SmallDataset.TempDir();
        Directory.CreateDirectory(Path.Combine(root, "reports"));
        File.WriteAllText(Path.Combine(root, "reports", "probe.json"), Report);
        File.WriteAllText(Path.Combine(root, "reports", "probe.key.json"), $$"""{ "digest": "{{digest}}" }""");
        return root;
    }

    [Fact]
    public void Probe_metrics_and_settings_of_the_current_digest_become_metrics_and_params()
    {
        string root = WithProbe("abc");
        var (metrics, parameters) = ProbeMetrics.Read(root, "abc");
        var m = metrics.ToDictionary(k => k.Key, k => k.Value);
        Assert.Equal(0.4, m["probe.val.AP50"]);
        Assert.Equal(0.1, m["probe.test.AP"]);
        Assert.Equal(0.2, m["probe.val.ap.box"]);
        Assert.Equal(1.5, m["probe.train_seconds"]);
        Assert.Equal(10.7, m["probe.train_images_per_second"]);
        Assert.Equal(80, m["probe.inference_images_per_second"]);
        Assert.Equal(1.9, m["probe.final_loss"]);
        var p = parameters.ToDictionary(k => k.Key, k => k.Value);
        Assert.Equal(("64", "0.002", "true", "1,2"), (p["probe.inputWidth"], p["probe.learningRate"], p["probe.augment"], p["probe.categoryIds"]));

        // A probe report of another digest (the dataset changed since it ran) or without its key says nothing.
        Assert.Empty(ProbeMetrics.Read(root, "other").Metrics);
        File.Delete(Path.Combine(root, "reports", "probe.key.json"));
        Assert.Empty(ProbeMetrics.Read(root, "abc").Metrics);
    }

    [Fact]
    public void The_quality_reports_copy_of_the_probe_is_not_logged_twice()
    {
        string root = SmallDataset.TempDir();
        Directory.CreateDirectory(Path.Combine(root, "reports"));
        File.WriteAllText(Path.Combine(root, "reports", "quality.json"), """{ "digest": "abc", "samples": 3, "probe": { "trainSeconds": 1.5 } }""");
        var keys = QualityMetrics.Read(root, "abc").Select(k => k.Key).ToList();
        Assert.Contains("quality.samples", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("quality.probe", StringComparison.Ordinal));
    }
}
