using SynthBuild.Core.Assets;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Quality.Tests;

/// <summary>The probe's report in the quality stage: its gates, its quality.html section, its contact sheet.</summary>
public class ProbeReportTests
{
    /// <summary>A probe.json of the runner's layout (ProbeResult.ToJson plus the runner's contactSheet).</summary>
    internal static string ProbeJson(double valAp50) => $$"""
        { "dataset": "/d", "settings": { "architecture": "centernet-probe", "inputWidth": 64, "inputHeight": 48, "epochs": 2, "seed": 5, "categoryIds": [1, 2, 3] },
          "training": { "images": 8, "seconds": 1.5, "imagesPerSecond": 10.7,
            "curve": [ { "epoch": 1, "loss": 2.5, "heatmap": 1.8, "size": 2.2, "offset": 0.35, "seconds": 0.7 },
                       { "epoch": 2, "loss": 1.9, "heatmap": 1.4, "size": 1.7, "offset": 0.33, "seconds": 1.5 } ] },
          "inference": { "images": 8, "seconds": 0.1, "imagesPerSecond": 80 },
          "metrics": {
            "val": { "images": 4, "detections": 10, "stats": { "AP": 0.125, "AP50": {{valAp50.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "AP75": 0.05, "AR100": 0.3 },
                     "categories": [ { "id": 1, "name": "box", "ap": 0.2 }, { "id": 2, "name": "cylinder", "ap": 0.05 } ] },
            "test": { "images": 4, "detections": 12, "stats": { "AP": 0.1, "AP50": 0.2, "AP75": 0.04, "AR100": 0.25 },
                      "categories": [ { "id": 1, "name": "box", "ap": 0.15 }, { "id": 2, "name": "cylinder", "ap": 0.07 } ] } },
          "contactSheet": { "split": "val", "images": 2, "scoreThreshold": 0.3, "iou": 0.5, "truePositives": 3, "falsePositives": 1, "misses": 2 } }
        """;

    private static void WriteProbe(string root, string digest, double valAp50)
    {
        string reports = Path.Combine(root, "reports");
        Directory.CreateDirectory(reports);
        File.WriteAllText(Path.Combine(reports, DatasetLayout.ProbeJson), ProbeJson(valAp50));
        File.WriteAllText(Path.Combine(reports, DatasetLayout.ProbeKey), $$"""{ "digest": "{{digest}}", "settings": {} }""");
    }

    private static GateDeclaration Gate(string name, string min) => new(name, new Dictionary<string, string> { ["Min"] = min }, "/p/demo.synthproj", 7, 5);

    [Fact]
    public void Probe_gates_read_the_val_split_and_the_report_shows_the_section_only_with_a_current_probe_report()
    {
        string root = QualityAnalyzerTests.ThreeSamples();
        string digest = DatasetReader.Open(root).Info.Digest;
        string html = Path.Combine(root, "reports", "quality.html");

        // No probe report: the gate is an error that says how to get one, at the declaring line; no section.
        var none = QualityStage.Run(root, [Gate("probe-ap50", "0.3")], true, new QualitySettings());
        var missing = Assert.Single(none.Diagnostics, d => d.IsError);
        Assert.Equal(SynCodes.ProbeReportMissing, missing.Code);
        Assert.Contains("'probe-ap50'", missing.Message);
        Assert.Contains("-t:SynthProbe", missing.Message);
        Assert.Contains("SynthProbeOnBuild=true", missing.Message);
        Assert.Equal(("/p/demo.synthproj", 7), (missing.File, missing.Line));
        Assert.DoesNotContain("id=\"probe\"", File.ReadAllText(html));

        WriteProbe(root, digest, valAp50: 0.4);
        var passing = QualityStage.Run(root, [Gate("probe-ap50", "0.3"), Gate("probe-ap", "0.1")], true, new QualitySettings());
        Assert.True(passing.Succeeded, string.Join("\n", passing.Diagnostics));
        Assert.False(passing.Analysed); // the probe report is read each build, not part of the analysis key
        Assert.Equal([("probe-ap50", 0.4), ("probe-ap", 0.125)], passing.Report!.Gates.Select(g => (g.Name, g.Low)));
        string page = File.ReadAllText(html);
        Assert.Contains("<h2 id=\"probe\">Probe detector</h2>", page);
        Assert.Contains("alt=\"Probe loss curve\"", page);
        Assert.Contains("alt=\"Probe AP per class\"", page);
        Assert.Contains("<td>cylinder</td><td class=\"n\">0.05</td><td class=\"n\">0.07</td>", page);
        Assert.Contains("training 10.7 images/s, inference 80 images/s", page);
        Assert.Contains("<td>inputWidth</td><td>64</td>", page);
        // The quality.json round trip keeps it (QualityReport.Read is what the compare and release stages use).
        Assert.Equal(0.4, QualityReport.Read(Path.Combine(root, "reports", "quality.json")).Probe!.Split("val")!.Stat("AP50"));

        var failing = QualityStage.Run(root, [Gate("probe-ap50", "0.5")], true, new QualitySettings());
        var failed = Assert.Single(failing.Diagnostics, d => d.IsError);
        Assert.Equal(SynCodes.GateFailed, failed.Code);
        Assert.Contains("Quality gate 'probe-ap50' failed: probe detector's val AP at IoU 0.5 is 0.4, below the minimum 0.5", failed.Message);

        // A key of another digest (the dataset changed since the probe ran) is no probe report.
        WriteProbe(root, "0123abcd", valAp50: 0.4);
        var stale = QualityStage.Run(root, [Gate("probe-ap", "0.1")], true, new QualitySettings());
        Assert.Equal(SynCodes.ProbeReportMissing, Assert.Single(stale.Diagnostics, d => d.IsError).Code);
        Assert.DoesNotContain("id=\"probe\"", File.ReadAllText(html));
    }

    [Fact]
    public void The_detection_sheet_counts_and_draws_true_positives_false_positives_and_misses()
    {
        var reader = DatasetReader.Open(QualityAnalyzerTests.ThreeSamples());
        // Every sample of its split: the first object missed, the others found exactly, one stray box each, and a
        // right box below the score threshold (ignored, so that object is a miss).
        var split = reader.SplitOf(reader.Indices[0]);
        var picked = reader.Indices.Where(i => reader.SplitOf(i) == split).ToList();
        var detections = new List<ContactSheet.Detection>();
        int objects = 0;
        foreach (long i in picked)
        {
            var objs = reader.ReadAnnotation(i).Objects;
            objects += objs.Count;
            for (int k = 0; k < objs.Count; k++)
            {
                var b = objs[k].Bbox;
                detections.Add(new(i + 1, objs[k].CategoryId, b[0], b[1], b[2], b[3], k == 0 ? 0.1 : 0.9));
            }
            detections.Add(new(i + 1, objs[0].CategoryId, 50, 40, 8, 6, 0.95));
        }
        var sheet = ContactSheet.Detections(reader, detections, split, scoreThreshold: 0.3);
        Assert.Equal(picked.Count, sheet.Images);
        Assert.Equal((objects - picked.Count, picked.Count, picked.Count), (sheet.TruePositives, sheet.FalsePositives, sheet.Misses));

        var (w, h, rgb) = ImageDecoder.DecodeRgb8(sheet.Png);
        Assert.Equal(ContactSheet.Gap * 2 + reader.Info.Width * Math.Min(4, picked.Count) + ContactSheet.Gap * (Math.Min(4, picked.Count) - 1), w);
        bool Has((byte R, byte G, byte B) c)
        {
            for (int o = 0; o < w * h * 3; o += 3) if (rgb[o] == c.R && rgb[o + 1] == c.G && rgb[o + 2] == c.B) return true;
            return false;
        }
        Assert.True(Has(ContactSheet.FalsePositive) && Has(ContactSheet.Missed));
        Assert.Equal(sheet.TruePositives > 0, Has(ContactSheet.TruePositive));
    }
}
