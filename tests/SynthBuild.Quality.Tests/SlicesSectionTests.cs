using SynthBuild.Core.Storage;

namespace SynthBuild.Quality.Tests;

/// <summary>quality.html's "Failure-mode slices" section, from reports/slices.json of the current digest.</summary>
public class SlicesSectionTests
{
    private static string SlicesJson(string digest) => $$"""
        { "schema": "synthbuild.slices/1", "dataset": { "path": "/d", "digest": "{{digest}}" }, "detections": "dt.json", "split": "val", "metric": "AP50",
          "overall": { "ap": 0.2, "ap50": 0.42, "recall": 0.6, "ci": [0.38, 0.46], "images": 90, "objects": 470 },
          "dimensions": [
            { "name": "lighting.intensity", "level": "image", "configPath": "lighting.intensity", "unit": "lx", "slices": [
              { "label": "200–360", "min": 200, "max": 360, "ap": 0.05, "ap50": 0.12, "recall": 0.2, "ci": [0.05, 0.2], "images": 14, "objects": 61, "enough": true },
              { "label": "360–520", "min": 360, "max": 520, "ap": null, "ap50": null, "recall": null, "ci": null, "images": 0, "objects": 0, "enough": false } ] },
            { "name": "object.category", "level": "object", "configPath": "categories", "unit": "", "slices": [
              { "label": "mug", "min": null, "max": null, "value": "mug", "ap": 0.3, "ap50": 0.5, "recall": 0.7, "ci": [0.4, 0.6], "images": 90, "objects": 80, "enough": true } ] } ],
          "failureModes": [ { "dimension": "lighting.intensity", "configPath": "lighting.intensity", "label": "200–360", "min": 200, "max": 360,
              "ap50": 0.12, "ci": [0.05, 0.2], "gap": 0.3, "text": "AP50 0.12 [0.05–0.20] for light intensity 200–360 lx (darkest bin), against 0.42 overall" } ],
          "bootstrap": { "resamples": 200, "unit": "image", "seconds": 3.1 } }
        """;

    [Fact]
    public void The_section_says_the_failure_modes_and_shows_every_slice_only_for_the_current_digest()
    {
        string root = QualityAnalyzerTests.ThreeSamples();
        string digest = DatasetReader.Open(root).Info.Digest;
        string reports = Path.Combine(root, "reports");
        Directory.CreateDirectory(reports);
        File.WriteAllText(Path.Combine(reports, DatasetLayout.ProbeJson), ProbeReportTests.ProbeJson(0.42));
        File.WriteAllText(Path.Combine(reports, DatasetLayout.ProbeKey), $$"""{ "digest": "{{digest}}", "settings": {} }""");
        File.WriteAllText(Path.Combine(reports, DatasetLayout.SlicesJson), SlicesJson(digest));
        string html = Path.Combine(reports, "quality.html");

        Assert.True(QualityStage.Run(root, [], true, new QualitySettings()).Succeeded);
        string page = File.ReadAllText(html);
        Assert.Contains("<h2 id=\"slices\">Failure-mode slices</h2>", page);
        Assert.Contains("<li class=\"fail\">AP50 0.12 [0.05–0.20] for light intensity 200–360 lx (darkest bin), against 0.42 overall</li>", page);
        Assert.Contains("<tr class=\"failrow\">", page);
        Assert.Contains("<tr class=\"few\">", page); // the empty bin, greyed
        Assert.Contains("<td>mug</td>", page);
        Assert.True(page.IndexOf("id=\"probe\"", StringComparison.Ordinal) < page.IndexOf("id=\"slices\"", StringComparison.Ordinal));

        // Slices of another digest (the dataset changed since) are not shown.
        File.WriteAllText(Path.Combine(reports, DatasetLayout.SlicesJson), SlicesJson("0123abcd"));
        Assert.True(QualityStage.Run(root, [], true, new QualitySettings()).Succeeded);
        Assert.DoesNotContain("id=\"slices\"", File.ReadAllText(html));
    }
}
