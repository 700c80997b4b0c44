using System.Text.Json;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;

namespace SynthBuild.Core.Tests.Config;

public class ConfigOverlayTests : IDisposable
{
    private readonly string _dir = SmallDataset.TempDir();
    private readonly string _config;

    public ConfigOverlayTests()
    {
        _config = Path.Combine(_dir, "synth.json");
        File.WriteAllText(_config, """
            {
              // a comment, as configs may have
              "name": "small", "samples": 6, "seed": 7,
              "image": { "width": 96, "height": 72 },
              "camera": { "intrinsics": { "fx": 75, "fy": 75, "cx": 48, "cy": 36 } },
              "lighting": { "intensity": { "min": 200, "max": 1000 }, "ambient": { "min": 0.1, "max": 0.5 } },
              "categories": [ { "name": "box", "shape": "box", "size": { "min": 0.05, "max": 0.1 } } ]
            }
            """);
    }

    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string Overlay(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private ConfigLoadResult Load(params string[] overlays) => ConfigLoader.Load(_config, new ConfigOverrides(Overlays: overlays));

    [Fact]
    public void Merge_patch_follows_rfc_7396()
    {
        var target = System.Text.Json.Nodes.JsonNode.Parse("""{"a":"b","c":{"d":"e","f":"g"},"l":[1,2]}""");
        var patch = System.Text.Json.Nodes.JsonNode.Parse("""{"a":"z","c":{"f":null,"h":1},"l":[3]}""");
        Assert.Equal("""{"a":"z","c":{"d":"e","h":1},"l":[3]}""", ConfigOverlay.MergePatch(target, patch)!.ToJsonString());
    }

    [Fact]
    public void An_overlay_that_changes_nothing_changes_no_sample()
    {
        var plain = Load();
        // Empty, restating a value, and removing a key that is absent: no change to the effective config.
        var same = Load(Overlay("empty.json", "{}"), Overlay("restate.json", """{ "lighting": { "intensity": { "min": 200 } }, "render": null }"""));
        Assert.True(plain.Succeeded && same.Succeeded, string.Join("\n", same.Diagnostics));
        Assert.Equal(SpecFingerprint.CanonicalJson(plain.Spec!), SpecFingerprint.CanonicalJson(same.Spec!));

        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        Assert.True(new DatasetBuilder(plain.Spec!, a).Build().Succeeded);
        Assert.True(new DatasetBuilder(same.Spec!, b).Build().Succeeded);
        var ma = DatasetReader.Open(a).Manifest;
        var mb = DatasetReader.Open(b).Manifest;
        Assert.Equal(ma.Digest, mb.Digest);
        Assert.Equal(ma.Samples.Select(s => s.Key), mb.Samples.Select(s => s.Key));
        foreach (var f in ma.Samples.SelectMany(s => s.Files))
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, f.Path)), File.ReadAllBytes(Path.Combine(b, f.Path)));
    }

    [Fact]
    public void Weights_on_light_intensity_change_only_the_rgb_images_and_the_recorded_light()
    {
        var plain = Load().Spec!;
        var dark = Load(Overlay("dark.json", """{ "lighting": { "intensity": { "weights": [8, 1, 1, 1] } } }"""));
        Assert.True(dark.Succeeded, string.Join("\n", dark.Diagnostics));
        Assert.NotNull(dark.Spec!.Lighting.Intensity.Bins);
        Assert.NotEqual(SpecFingerprint.CanonicalJson(plain), SpecFingerprint.CanonicalJson(dark.Spec));

        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        Assert.True(new DatasetBuilder(plain, a).Build().Succeeded);
        Assert.True(new DatasetBuilder(dark.Spec, b).Build().Succeeded);
        var ra = DatasetReader.Open(a);
        var rb = DatasetReader.Open(b);
        int rgbChanged = 0;
        foreach (var s in ra.Manifest.Samples)
        {
            var other = rb.Manifest.Samples.Single(x => x.Index == s.Index);
            Assert.NotEqual(s.Key, other.Key);
            foreach (var f in s.Files)
            {
                string hb = other.Files.Single(x => x.Path == f.Path).Sha256;
                if (f.Path.StartsWith("rgb/", StringComparison.Ordinal)) { if (hb != f.Sha256) rgbChanged++; }
                else if (f.Path.StartsWith("annotations/", StringComparison.Ordinal))
                {
                    // Same objects, boxes, masks, visibility; only the recorded light intensity differs.
                    using var ja = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(a, f.Path)));
                    using var jb = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(b, f.Path)));
                    Assert.Equal(ja.RootElement.GetProperty("objects").GetRawText(), jb.RootElement.GetProperty("objects").GetRawText());
                }
                else Assert.True(hb == f.Sha256, $"{f.Path} changed with the light's weights");
            }
        }
        Assert.True(rgbChanged >= ra.Manifest.Samples.Count - 1, $"only {rgbChanged} RGB images changed");
    }

    [Fact]
    public void Overlays_apply_in_order_and_null_removes()
    {
        var r = Load(Overlay("1.json", """{ "seed": 9, "lighting": { "ambient": { "min": 0.2, "max": 0.3 } } }"""),
                     Overlay("2.json", """{ "seed": 11, "lighting": { "ambient": null } }"""));
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        Assert.Equal(11UL, r.Spec!.Seed);
        Assert.Equal(DatasetSpec.Defaults.Ambient, r.Spec.Lighting.Ambient);
        Assert.Equal(new ValueRange(200, 1000), new ValueRange(r.Spec.Lighting.Intensity.Min, r.Spec.Lighting.Intensity.Max));
    }

    [Fact]
    public void An_error_in_an_overlay_key_names_the_overlay_line_and_column()
    {
        string overlay = Overlay("bad.json", "{\n  \"lighting\": {\n    \"intensity\": { \"weights\": [1, 2], \"edges\": [200, 300] },\n    \"ambiant\": 3\n  }\n}");
        var r = Load(overlay);
        Assert.False(r.Succeeded);
        var unknown = r.Diagnostics.Single(d => d.Code == SynCodes.ConfigUnknownKey);
        Assert.Equal((overlay, 4, 5), (unknown.File, unknown.Line, unknown.Column));
        Assert.Contains("ambient", unknown.Message);
        // Binder errors too: the edges came from the overlay, the range's min and max from the config.
        var fixedUnknown = Overlay("bad2.json", "{\n  \"lighting\": {\n    \"intensity\": { \"weights\": [1, 2], \"edges\": [200, 300] }\n  }\n}");
        var edges = Assert.Single(Load(fixedUnknown).Diagnostics, d => d.IsError);
        Assert.Equal((SynCodes.ConfigContradictory, fixedUnknown, 3), (edges.Code, edges.File, edges.Line));
        // An error in a key the overlay did not touch still names the config.
        File.WriteAllText(_config, File.ReadAllText(_config).Replace("\"seed\": 7", "\"seed\": -7"));
        var seed = Assert.Single(Load(Overlay("ok.json", "{ \"samples\": 3 }")).Diagnostics, d => d.IsError);
        Assert.Equal(_config, seed.File);
    }

    [Theory]
    [InlineData("{ \"seed\": ", SynCodes.ConfigSyntax, 1)]
    [InlineData("[1, 2]", SynCodes.OverlayNotObject, 1)]
    [InlineData("\n\n  \"dark\"", SynCodes.OverlayNotObject, 3)]
    [InlineData("{\n \"$derivedFrom\": { \"dataset\": 5 } }", SynCodes.OverlayProvenanceInvalid, 2)]
    [InlineData("{\n \"$derivedFrom\": { \"why\": \"x\" } }", SynCodes.OverlayProvenanceInvalid, 2)]
    public void A_bad_overlay_is_a_syn_error_naming_it(string text, string code, int line)
    {
        string overlay = Overlay("bad.json", text);
        var e = Assert.Single(Load(overlay).Diagnostics);
        Assert.Equal((code, overlay, line), (e.Code, e.File, e.Line));
    }

    [Fact]
    public void A_missing_overlay_is_SYN1010()
    {
        string missing = Path.Combine(_dir, "nope.json");
        var e = Assert.Single(Load(missing).Diagnostics);
        Assert.Equal((SynCodes.OverlayNotFound, missing), (e.Code, e.File));
    }

    [Fact]
    public void The_provenance_block_is_stripped_and_kept_on_the_spec_outside_the_fingerprint()
    {
        string overlay = Overlay("derived.json", """{ "$derivedFrom": { "dataset": "abc123", "name": "dark", "reason": "low light" } }""");
        var r = Load(overlay);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        Assert.Equal(new DerivedFrom("abc123", "dark", "low light", overlay), r.Spec!.DerivedFrom);
        Assert.Equal(SpecFingerprint.CanonicalJson(Load().Spec!), SpecFingerprint.CanonicalJson(r.Spec));
        // Only one overlay may say where the dataset derives from.
        var twice = Load(overlay, Overlay("again.json", """{ "$derivedFrom": { "dataset": "def" } }"""));
        Assert.Equal(SynCodes.OverlayProvenanceInvalid, Assert.Single(twice.Diagnostics).Code);
        // In the config itself it is an unknown key (provenance belongs to overlays).
        File.WriteAllText(_config, """{ "$derivedFrom": { "dataset": "x" } }""");
        Assert.Equal(SynCodes.ConfigUnknownKey, Assert.Single(Load().Diagnostics).Code);
    }
}
