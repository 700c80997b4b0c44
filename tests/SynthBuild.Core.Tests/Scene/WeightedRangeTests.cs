using System.Text.Json;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Randomness;
using SynthBuild.TestSupport;

namespace SynthBuild.Core.Tests.Scene;

/// <summary>Non-uniform sampling of config ranges ("weights" per bin, optional "edges"): one draw, exact labels kept.</summary>
public class WeightedRangeTests
{
    private const string File = "/data/synth.json";

    private static DatasetSpec Parse(string json)
    {
        var r = ConfigLoader.Parse(json, File);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return r.Spec!;
    }

    [Fact]
    public void Without_weights_the_draw_is_bit_for_bit_the_uniform_draw()
    {
        var range = new ValueRange(200, 1000);
        for (ulong seed = 0; seed < 4; seed++)
        {
            RandomStream a = RandomStream.For(seed, 3, "lighting"), b = RandomStream.For(seed, 3, "lighting");
            for (int i = 0; i < 1000; i++)
                Assert.Equal(BitConverter.DoubleToInt64Bits(b.Uniform(200, 1000)), BitConverter.DoubleToInt64Bits(range.Draw(ref a)));
        }
    }

    [Fact]
    public void A_weighted_draw_takes_exactly_one_value_of_the_stream()
    {
        var weighted = new ValueRange(200, 1000, RangeBins.Create(200, 1000, [4, 2, 1, 1]));
        RandomStream a = RandomStream.For(9, 0, "lighting"), b = RandomStream.For(9, 0, "lighting");
        for (int i = 0; i < 100; i++)
        {
            weighted.Draw(ref a);
            b.NextDouble();
            Assert.Equal(b.NextUInt64(), a.NextUInt64()); // the streams stay in step
        }
    }

    [Fact]
    public void Weighted_draws_follow_the_weights_and_are_uniform_inside_each_bin()
    {
        // "More low light": 4 : 2 : 1 : 1 over four equal bins of 200–1000.
        var range = new ValueRange(200, 1000, RangeBins.Create(200, 1000, [4, 2, 1, 1]));
        double[] expected = [0.5, 0.25, 0.125, 0.125];
        const int n = 100_000;
        var counts = new int[4];
        var lowerHalf = new int[4];
        var rng = RandomStream.For(1, 0, "test");
        for (int i = 0; i < n; i++)
        {
            double x = range.Draw(ref rng);
            Assert.InRange(x, 200, 1000);
            int bin = Math.Min(3, (int)((x - 200) / 200));
            counts[bin]++;
            if (x - 200 - 200 * bin < 100) lowerHalf[bin]++;
        }
        for (int k = 0; k < 4; k++)
        {
            double se = Math.Sqrt(expected[k] * (1 - expected[k]) / n);
            Assert.InRange((double)counts[k] / n, expected[k] - 4 * se, expected[k] + 4 * se);
            // Uniform inside the bin: half of its draws fall in its lower half.
            double half = (double)lowerHalf[k] / counts[k], seHalf = Math.Sqrt(0.25 / counts[k]);
            Assert.InRange(half, 0.5 - 4 * seHalf, 0.5 + 4 * seHalf);
        }
    }

    [Fact]
    public void Unequal_edges_and_zero_weights_are_honoured()
    {
        // Bins 0–1, 1–5, 5–10 weighted 1, 0, 3: nothing between 1 and 5, a quarter below 1.
        var range = new ValueRange(0, 10, RangeBins.Create(0, 10, [1, 0, 3], [0, 1, 5, 10]));
        const int n = 40_000;
        int below = 0;
        var rng = RandomStream.For(2, 0, "test");
        for (int i = 0; i < n; i++)
        {
            double x = range.Draw(ref rng);
            Assert.False(x > 1 && x < 5, $"{x} lies in the zero-weight bin");
            Assert.InRange(x, 0, 10);
            if (x <= 1) below++;
        }
        double se = Math.Sqrt(0.25 * 0.75 / n);
        Assert.InRange((double)below / n, 0.25 - 4 * se, 0.25 + 4 * se);
    }

    [Fact]
    public void The_curriculum_window_keeps_the_density_above_its_lower_end()
    {
        var uniform = new ValueRange(200, 1000);
        Assert.Equal(new ValueRange(500, 1000), uniform.Window(500, 1000)); // exactly today's Uniform(lo, max)
        var weighted = new ValueRange(200, 1000, RangeBins.Create(200, 1000, [4, 2, 1, 1]));
        ValueRange w = weighted.Window(500, 1000);
        // Left of the window: half of bin 400–600 (density 0.25/200) plus bins 600–800 and 800–1000: 0.125 each.
        Assert.Equal([500.0, 600, 800, 1000], w.Bins!.Edges);
        Assert.Equal(1.0 / 3, w.Bins.Probabilities[0], 12);
        var rng = RandomStream.For(3, 0, "test");
        for (int i = 0; i < 1000; i++) Assert.InRange(w.Draw(ref rng), 500, 1000);
        // No weight left in the window: uniform over it.
        var front = new ValueRange(0, 10, RangeBins.Create(0, 10, [1, 0]));
        Assert.Null(front.Window(6, 10).Bins);
    }

    [Fact]
    public void Config_weights_bind_to_normalised_bins()
    {
        DatasetSpec s = Parse("""{ "lighting": { "intensity": { "min": 200, "max": 1000, "weights": [4, 2, 1, 1] } } }""");
        Assert.Equal([200.0, 400, 600, 800, 1000], s.Lighting.Intensity.Bins!.Edges);
        Assert.Equal([0.5, 0.25, 0.125, 0.125], s.Lighting.Intensity.Bins.Probabilities);
        DatasetSpec e = Parse("""{ "categories": [ { "name": "b", "shape": "box", "size": { "min": 0.05, "max": 0.3, "weights": [1, 3], "edges": [0.05, 0.1, 0.3] } } ] }""");
        Assert.Equal([0.05, 0.1, 0.3], e.Categories[0].Size.Bins!.Edges);
    }

    [Theory]
    [InlineData("\"weights\": [1, 1, 1, 1]")]
    [InlineData("\"weights\": [2.5, 2.5]")]
    [InlineData("\"weights\": [7]")]
    [InlineData("\"weights\": [3, 3, 3, 3], \"edges\": [200, 400, 600, 800, 1000]")]
    public void Equal_weights_are_no_weights_same_fingerprint(string weights)
    {
        DatasetSpec plain = Parse("""{ "lighting": { "intensity": { "min": 200, "max": 1000 } } }""");
        DatasetSpec equal = Parse("{ \"lighting\": { \"intensity\": { \"min\": 200, \"max\": 1000, " + weights + " } } }");
        Assert.Null(equal.Lighting.Intensity.Bins);
        Assert.Equal(SpecFingerprint.Hash(plain), SpecFingerprint.Hash(equal));
        Assert.Equal(plain.Lighting, equal.Lighting);
    }

    [Fact]
    public void Weights_change_the_fingerprint_proportional_ones_do_not()
    {
        string Hash(string weights) =>
            SpecFingerprint.Hash(Parse("{ \"lighting\": { \"intensity\": { \"min\": 200, \"max\": 1000, " + weights + " } } }"));
        string a = Hash("\"weights\": [4, 2, 1, 1]");
        Assert.Equal(a, Hash("\"weights\": [8, 4, 2, 2]"));
        Assert.Equal(a, Hash("\"weights\": [4, 2, 1, 1], \"edges\": [200, 400, 600, 800, 1000]"));
        Assert.NotEqual(a, Hash("\"weights\": [1, 1, 2, 4]"));
        Assert.NotEqual(a, Hash("\"weights\": [4, 2, 1, 1], \"edges\": [200, 300, 600, 800, 1000]"));
        Assert.NotEqual(a, SpecFingerprint.Hash(Parse("{}")));
    }

    public static TheoryData<string, string, int, int, string> BadBins => new()
    {
        // negative weight: the schema, at the value
        { "{\n  \"lighting\": { \"intensity\": { \"min\": 200, \"max\": 1000,\n    \"weights\": [1, -2] } }\n}", "SYN1005", 3, 20, "lighting.intensity.weights[1]: -2 is too small; expected >= 0" },
        // empty weights
        { "{\n  \"lighting\": { \"intensity\": { \"min\": 200, \"max\": 1000,\n    \"weights\": [] } }\n}", "SYN1005", 3, 16, "expected at least 1 item(s)" },
        // all zero
        { "{\n  \"lighting\": { \"ambient\": { \"min\": 0.1, \"max\": 0.5,\n    \"weights\": [0, 0] } }\n}", "SYN1006", 3, 16, "lighting.ambient.weights: the weights add up to 0" },
        // more bins than the cap
        { "{\n  \"materials\": { \"roughness\": { \"min\": 0.1, \"max\": 0.9,\n    \"weights\": [" + string.Join(", ", Enumerable.Repeat(1, 65)) + "] } }\n}", "SYN1005", 3, 16, "expected at most 64 item(s)" },
        // edges count does not match
        { "{\n  \"lighting\": { \"intensity\": { \"min\": 200, \"max\": 1000, \"weights\": [1, 2],\n    \"edges\": [200, 1000] } }\n}", "SYN1006", 3, 14, "lighting.intensity.edges: 2 weight(s) need 3 edges" },
        // edges not spanning [min, max]
        { "{\n  \"lighting\": { \"intensity\": { \"min\": 200, \"max\": 1000, \"weights\": [1, 2],\n    \"edges\": [0, 500, 1000] } }\n}", "SYN1006", 3, 14, "must run from min (200) to max (1000), found 0 to 1000" },
        // edges not increasing: at the offending edge
        { "{\n  \"lighting\": { \"intensity\": { \"min\": 200, \"max\": 1000, \"weights\": [1, 2, 3],\n    \"edges\": [200, 600, 500, 1000] } }\n}", "SYN1006", 3, 25, "lighting.intensity.edges[2]: edges must increase strictly; 500 follows 600" },
        // edges without weights: at the key
        { "{\n  \"lighting\": { \"intensity\": { \"min\": 200, \"max\": 1000,\n    \"edges\": [200, 1000] } }\n}", "SYN1006", 3, 5, "edges bound the bins of 'weights'" },
        // a category's range
        { "{\n  \"categories\": [ { \"name\": \"b\", \"shape\": \"box\",\n    \"size\": { \"min\": 0.05, \"max\": 0.3, \"weights\": [0] } } ]\n}", "SYN1006", 3, 51, "categories[0].size.weights: the weights add up to 0" },
        // weights on an integer range are not (yet) supported: unknown key
        { "{\n  \"objectsPerScene\": { \"min\": 3, \"max\": 8,\n    \"weights\": [1, 2] }\n}", "SYN1003", 3, 5, "Unknown key 'weights'" },
    };

    [Theory]
    [MemberData(nameof(BadBins))]
    public void Bad_weights_report_code_file_line_and_column(string json, string code, int line, int column, string text)
    {
        var result = ConfigLoader.Parse(json, File);
        Assert.False(result.Succeeded);
        Diagnostic e = Assert.Single(result.Diagnostics, d => d.IsError);
        Assert.Equal(code, e.Code);
        Assert.Contains(text, e.Message);
        Assert.Equal(File, e.File);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    private static string SmallJson(string intensity) => $$"""
        {
          "name": "small", "samples": 6, "seed": 7,
          "image": { "width": 96, "height": 72 },
          "camera": { "intrinsics": { "fx": 75, "fy": 75, "cx": 48, "cy": 36 } },
          "lighting": { "intensity": {{intensity}} },
          "sensor": { "depthEdgeThreshold": 0 }
        }
        """;

    private const string Uniform = """{ "min": 200, "max": 1000 }""";
    private const string LowLight = """{ "min": 200, "max": 1000, "weights": [4, 2, 1, 1] }""";

    [Fact]
    public void Weighting_the_light_changes_the_light_and_nothing_else_of_the_scene()
    {
        DatasetSpec plain = Parse(SmallJson(Uniform)), low = Parse(SmallJson(LowLight));
        var a = SmallDataset.Sampler(plain);
        var b = SmallDataset.Sampler(low);
        int changed = 0;
        for (long i = 0; i < 20; i++)
        {
            var sa = a.Sample(i);
            var sb = b.Sample(i);
            Assert.Equal(sa.Camera.WorldToCamera, sb.Camera.WorldToCamera);
            Assert.Equal(sa.Objects.Select(o => (o.CategoryId, o.Pose, o.Dimensions, o.Material)), sb.Objects.Select(o => (o.CategoryId, o.Pose, o.Dimensions, o.Material)));
            Assert.Equal((sa.Light.DirectionToLight, sa.Light.Color, sa.Light.Ambient), (sb.Light.DirectionToLight, sb.Light.Color, sb.Light.Ambient));
            Assert.Equal(sa.Background.Top, sb.Background.Top);
            if (sa.Light.Intensity != sb.Light.Intensity) changed++;
        }
        Assert.True(changed > 0, "the weights changed no intensity");
    }

    private static (string Dir, string Digest) Build(DatasetSpec spec, int threads)
    {
        string dir = SmallDataset.TempDir();
        var result = new DatasetBuilder(spec, dir, new BuildOptions(Threads: threads)).Build();
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var manifest = SynthBuild.Core.Storage.Manifest.TryRead(Path.Combine(dir, SynthBuild.Core.Storage.Manifest.FileName), out string? problem);
        Assert.Null(problem);
        return (dir, manifest!.Digest);
    }

    [Fact]
    public void A_dataset_with_weighted_light_keeps_its_labels_and_is_the_same_on_any_thread_count()
    {
        DatasetSpec plain = Parse(SmallJson(Uniform)), low = Parse(SmallJson(LowLight));
        var (plainDir, _) = Build(plain, threads: 1);
        var (lowDir, lowDigest) = Build(low, threads: 1);
        var (lowDir2, lowDigest2) = Build(low, threads: 2);
        try
        {
            Assert.Equal(lowDigest, lowDigest2);
            int rgbChanged = 0;
            for (int i = 0; i < plain.Samples; i++)
            {
                string stem = i.ToString("D6");
                // Masks and depth do not depend on the light: byte for byte the same.
                foreach (string f in new[] { $"segmentation/{stem}.png", $"depth/{stem}.png" })
                    Assert.Equal(System.IO.File.ReadAllBytes(Path.Combine(plainDir, f)), System.IO.File.ReadAllBytes(Path.Combine(lowDir, f)));
                using var ja = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(plainDir, $"annotations/{stem}.json")));
                using var jb = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(lowDir, $"annotations/{stem}.json")));
                // Same objects: categories, boxes, visibility, poses.
                Assert.Equal(ja.RootElement.GetProperty("objects").GetRawText(), jb.RootElement.GetProperty("objects").GetRawText());
                if (!System.IO.File.ReadAllBytes(Path.Combine(plainDir, $"rgb/{stem}.png")).AsSpan()
                        .SequenceEqual(System.IO.File.ReadAllBytes(Path.Combine(lowDir, $"rgb/{stem}.png"))))
                    rgbChanged++;
            }
            Assert.True(rgbChanged > 0, "weighting the light changed no image");
        }
        finally
        {
            foreach (string d in new[] { plainDir, lowDir, lowDir2 }) Directory.Delete(d, recursive: true);
        }
    }
}
