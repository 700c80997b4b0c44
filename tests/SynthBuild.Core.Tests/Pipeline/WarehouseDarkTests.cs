using Xunit.Abstractions;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Rendering;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;

namespace SynthBuild.Core.Tests.Pipeline;

/// <summary>The original tool's Exercise 2 success criteria, on the shipped example configs.</summary>
public class WarehouseDarkTests(ITestOutputHelper output)
{
    private const int Samples = 12;

    [Fact]
    public void Warehouse_is_30_to_50_percent_darker_than_the_tabletop_and_noisier()
    {
        var (tableBrightness, tableNoise) = Measure("tabletop");
        var (darkBrightness, darkNoise) = Measure("warehouse-dark");
        double reduction = 1 - darkBrightness / tableBrightness;
        output.WriteLine($"brightness {tableBrightness:F1} → {darkBrightness:F1} ({100 * reduction:F0}% lower); noise std {tableNoise:F2} → {darkNoise:F2}");
        Assert.InRange(reduction, 0.30, 0.50);
        Assert.True(darkNoise > 1.5 * tableNoise, $"noise {darkNoise:F2} vs {tableNoise:F2}");

        // The darkness comes from the light: with the tabletop's own wall and floor palettes and no clutter, the
        // warehouse's lighting alone still takes most of the way (the walls are lit like everything else).
        var (lightOnly, _) = Measure("warehouse-dark", json =>
        {
            var bg = json["background"]!.AsObject();
            bg.Remove("colors"); bg.Remove("tableColors");
            json.AsObject().Remove("distractors");
        });
        double lightReduction = 1 - lightOnly / tableBrightness;
        output.WriteLine($"lighting alone (tabletop palettes, no distractors): {lightOnly:F1} ({100 * lightReduction:F0}% lower)");
        Assert.True(lightReduction > 0.2, $"lighting alone darkens by {100 * lightReduction:F0}%");
    }

    /// <summary>
    /// Mean 8-bit brightness of the written RGB, and the std of the sensor noise: written minus a noise-free
    /// re-render of the same scene, over pixels away from 0 and 255 (where clamping would hide it).
    /// </summary>
    private static (double Brightness, double NoiseStd) Measure(string dataset, Action<System.Text.Json.Nodes.JsonNode>? edit = null)
    {
        string config = Path.Combine(TestPaths.RepoRoot, "datasets", dataset, "synth.json");
        string text = File.ReadAllText(config);
        if (edit is not null)
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(text, documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;
            edit(json);
            text = json.ToJsonString();
        }
        var load = ConfigLoader.Parse(text, config, new ConfigOverrides(Samples: Samples.ToString()));
        Assert.True(load.Succeeded, string.Join("\n", load.Diagnostics));
        DatasetSpec spec = load.Spec!;
        string dir = SmallDataset.TempDir();
        Assert.True(new DatasetBuilder(spec, dir).Build().Succeeded);
        var reader = DatasetReader.Open(dir);
        var sampler = SmallDataset.Sampler(spec);
        var ideal = new RenderTarget(spec.Width, spec.Height);
        double sum = 0, sq = 0; long n = 0, noiseN = 0;
        foreach (long i in reader.Indices)
        {
            byte[] rgb = reader.ReadRgb(i);
            new RasterRenderer().Render(sampler.Sample(i), ideal);
            for (int p = 0; p < rgb.Length; p++)
            {
                sum += rgb[p];
                n++;
                int clean = ideal.Rgb[p];
                if (clean < 40 || clean > 215 || rgb[p] == 0) continue;
                double d = rgb[p] - clean;
                sq += d * d;
                noiseN++;
            }
        }
        return (sum / n, Math.Sqrt(sq / noiseN));
    }
}
