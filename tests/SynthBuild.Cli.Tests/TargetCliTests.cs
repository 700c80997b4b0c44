using System.Text.Json;
using System.Text.Json.Nodes;
using SynthBuild.Cli;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Cli.Tests;

/// <summary>synth target on a hand-made slices report (Fixtures/slices.json, the shape docs/cli.md describes).</summary>
public class TargetCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "synthbuild-tests", Guid.NewGuid().ToString("N"));
    private readonly string _config, _slices;
    private const string Digest = "5f1c0ffee0ddba11fa11ab1edeadbeef00112233445566778899aabbccddeeff";

    public TargetCliTests()
    {
        Directory.CreateDirectory(_dir);
        _config = Write("synth.json", """
            {
              "name": "tabletop", "samples": 10, "seed": 3,
              "image": { "width": 96, "height": 72 },
              "lighting": { "intensity": { "min": 200, "max": 1000 } },
              "categories": [
                { "name": "box", "shape": "box", "size": { "min": 0.05, "max": 0.1 } },
                { "name": "ball", "shape": "sphere", "radius": { "min": 0.02, "max": 0.04 } }
              ],
              "distractors": { "count": { "min": 1, "max": 3 } }
            }
            """);
        _slices = Path.Combine(AppContext.BaseDirectory, "Fixtures", "slices.json");
    }

    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string Write(string name, string text)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = SynthCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static double[] Numbers(JsonNode? a) => a!.AsArray().Select(x => x!.GetValue<double>()).ToArray();

    [Fact]
    public void Writes_an_overlay_that_favours_the_failing_bins_and_keeps_the_rest()
    {
        string overlay = Path.Combine(_dir, "targeted.json");
        var (code, stdout, stderr) = Run("target", "--slices", _slices, "-o", overlay, "--config", _config, "--json");
        Assert.True(code == 0, stderr);
        var o = JsonNode.Parse(File.ReadAllText(overlay))!;

        // Intensity uniform on [200, 1000]: the 200–360 bin held 20%; doubled, it holds 1/3, the rest 2/3 (still uniform).
        var intensity = o["lighting"]!["intensity"]!;
        Assert.Equal([200, 360, 1000], Numbers(intensity["edges"]));
        var w = Numbers(intensity["weights"]);
        Assert.Equal(1.0 / 3, w[0], 6);
        Assert.Equal(2.0 / 3, w[1], 6);
        Assert.Null(intensity["min"]);  // min and max come from the config

        // A category's size range: the array is replaced whole, the other category unchanged.
        var categories = o["categories"]!.AsArray();
        Assert.Equal(2, categories.Count);
        Assert.Equal([0.05, 0.07, 0.1], Numbers(categories[0]!["size"]!["edges"]));
        var sw = Numbers(categories[0]!["size"]!["weights"]);
        Assert.Equal(0.8 / 1.4, sw[0], 6);
        Assert.Equal(0.6 / 1.4, sw[1], 6);
        Assert.Equal("""{"min":0.02,"max":0.04}""", categories[1]!["radius"]!.ToJsonString());

        // Occluded objects: more distractors. Tiny boxes: no config key drives them.
        Assert.Equal(6, o["distractors"]!["count"]!["max"]!.GetValue<long>());
        var provenance = o[ConfigOverlay.ProvenanceKey]!;
        Assert.Equal(Digest, provenance["dataset"]!.GetValue<string>());
        Assert.Equal("dataset", provenance["name"]!.GetValue<string>());
        string reason = provenance["reason"]!.GetValue<string>();
        Assert.Contains("AP50 0.21 in the darkest light (intensity 200–360) vs 0.42 overall", reason);
        Assert.Contains("Not targetable: box area < 32² (no config key drives it)", reason);

        // The config with the overlay loads and draws from those bins; the provenance reaches the spec.
        var loaded = ConfigLoader.Load(_config, new ConfigOverrides(Overlays: [overlay]));
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Diagnostics));
        Assert.Equal([1.0 / 3, 2.0 / 3], loaded.Spec!.Lighting.Intensity.Bins!.Probabilities.Select(p => Math.Round(p, 6)).ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(Digest, loaded.Spec.DerivedFrom!.Dataset);

        using var json = JsonDocument.Parse(stdout);
        var key = json.RootElement.GetProperty("keys").EnumerateArray().First(k => k.GetProperty("configPath").GetString() == "lighting.intensity");
        Assert.Equal(0.2, key.GetProperty("shareBefore").GetDouble(), 9);
        Assert.Equal(1.0 / 3, key.GetProperty("shareAfter").GetDouble(), 6);
        Assert.Single(json.RootElement.GetProperty("notTargetable").EnumerateArray());
    }

    [Fact]
    public void Combines_with_weights_already_there_and_caps_the_failing_share()
    {
        // The dataset was built with weights 3:1 on [200, 600] and [600, 1000]: the 200–360 bin holds 0.3.
        string built = Write("built.json", """{ "lighting": { "intensity": { "weights": [3, 1], "edges": [200, 600, 1000] } } }""");
        string overlay = Path.Combine(_dir, "targeted.json");
        var (code, _, stderr) = Run("target", "--slices", _slices, "-o", overlay, "--config", _config, "--overlay", built);
        Assert.True(code == 0, stderr);
        var intensity = JsonNode.Parse(File.ReadAllText(overlay))!["lighting"]!["intensity"]!;
        Assert.Equal([200, 360, 600, 1000], Numbers(intensity["edges"]));
        var w = Numbers(intensity["weights"]);
        Assert.Equal(0.6 / 1.3, w[0], 6);
        // The rest keeps its shape: 360–600 and 600–1000 stay at 0.45 : 0.25.
        Assert.Equal(0.45 / 0.25, w[1] / w[2], 6);

        // Strength 10 would give the bin 0.3 × 11 / (3.3 + 0.7) = 82.5%: capped at 80%, the rest still 0.45 : 0.25.
        (code, _, stderr) = Run("target", "--slices", _slices, "-o", overlay, "--config", _config, "--overlay", built, "--strength", "10");
        Assert.True(code == 0, stderr);
        w = Numbers(JsonNode.Parse(File.ReadAllText(overlay))!["lighting"]!["intensity"]!["weights"]);
        Assert.Equal(0.8, w[0], 6);
        Assert.Equal(0.45 / 0.25, w[1] / w[2], 6);
    }

    [Fact]
    public void No_failure_modes_give_an_overlay_that_changes_no_sample()
    {
        var slices = JsonNode.Parse(File.ReadAllText(_slices))!;
        slices["failureModes"] = new JsonArray();
        string empty = Write("slices.json", slices.ToJsonString());
        string overlay = Path.Combine(_dir, "targeted.json");
        var (code, _, stderr) = Run("target", "--slices", empty, "-o", overlay, "--config", _config);
        Assert.Equal(0, code);
        Assert.Contains($"warning {SynCodes.TargetNothingTargetable}", stderr);
        var plain = ConfigLoader.Load(_config).Spec!;
        var derived = ConfigLoader.Load(_config, new ConfigOverrides(Overlays: [overlay])).Spec!;
        Assert.Equal(SpecFingerprint.CanonicalJson(plain), SpecFingerprint.CanonicalJson(derived));
    }

    [Fact]
    public void Bad_input_is_a_SYN84xx_error_naming_the_file_and_leaves_the_output_alone()
    {
        string overlay = Write("targeted.json", "keep");
        var slices = File.ReadAllText(_slices);

        string other = Write("other.json", slices.Replace("synthbuild.slices/1", "synthbuild.quality/1"));
        var r = Run("target", "--slices", other, "-o", overlay, "--config", _config);
        Assert.Equal(2, r.Code);
        Assert.Contains($"{other}(2,13): error {SynCodes.SlicesInvalid}: Slices report schema: schema \"synthbuild.quality/1\" is not \"synthbuild.slices/1\"", r.Err);

        string notJson = Write("broken.json", "{ \"schema\": ");
        r = Run("target", "--slices", notJson, "-o", overlay, "--config", _config);
        Assert.Equal(2, r.Code);
        Assert.Contains($"{notJson}(1,", r.Err);
        Assert.Contains($"error {SynCodes.SlicesInvalid}", r.Err);

        string lacks = Write("lacks.json", slices.Replace("\"configPath\": \"lighting.intensity\", \"label\"", "\"configPath\": \"lighting.shadowSoftness\", \"label\""));
        r = Run("target", "--slices", lacks, "-o", overlay, "--config", _config);
        Assert.Equal(2, r.Code);
        Assert.Matches($@"{Regex(lacks)}\(\d+,\d+\): error {SynCodes.TargetKeyNotInConfig}: configPath 'lighting.shadowSoftness'", r.Err);

        string outside = Write("outside.json", slices.Replace("\"min\": 200, \"max\": 360,\n      \"ap50\"", "\"min\": 2000, \"max\": 3600,\n      \"ap50\""));
        Assert.NotEqual(slices, File.ReadAllText(outside));
        r = Run("target", "--slices", outside, "-o", overlay, "--config", _config);
        Assert.Equal(2, r.Code);
        Assert.Matches($@"{Regex(outside)}\(\d+,\d+\): error {SynCodes.TargetBinOutsideRange}: the failing bin \[2000, 3600\] of 'lighting.intensity' does not overlap the config's range \[200, 1000\]", r.Err);

        r = Run("target", "--slices", _slices, "-o", overlay, "--config", _config, "--strength", "0");
        Assert.Equal(2, r.Code);
        Assert.Contains($"error {SynCodes.TargetOptionInvalid}", r.Err);

        Assert.Equal("keep", File.ReadAllText(overlay));
    }

    private static string Regex(string path) => System.Text.RegularExpressions.Regex.Escape(path);
}
