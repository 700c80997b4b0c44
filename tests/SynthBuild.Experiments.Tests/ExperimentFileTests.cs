using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Experiments.Tests;

/// <summary>Bad experiment files: a SYN85xx naming the file, line and column of the offending value.</summary>
public class ExperimentFileTests
{
    private static string Dir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "synth-exp-file", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "a.synthproj"), "<Project />");
        File.WriteAllText(Path.Combine(dir, "narrow.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "gt.json"), "{}");
        return dir;
    }

    private static string Write(string dir, string json)
    {
        string file = Path.Combine(dir, "experiment.json");
        File.WriteAllText(file, json);
        return file;
    }

    private const string Target = """  "target": { "coco": "gt.json" }""";

    private static Diagnostic Fails(string json)
    {
        string file = Write(Dir(), json);
        var ex = Assert.Throws<DiagnosticException>(() => ExperimentFile.Load(file));
        Assert.Equal(file, ex.Diagnostic.File);
        return ex.Diagnostic;
    }

    [Fact]
    public void A_valid_file_reads_with_defaults_and_paths_relative_to_it()
    {
        string dir = Dir();
        var spec = ExperimentFile.Load(Write(dir, $$"""
            {
              // comments are allowed
              "name": "ok",
              "variants": [
                { "name": "full", "project": "a.synthproj" },
                { "name": "narrow", "project": "a.synthproj", "config": "narrow.json", "overlays": ["narrow.json"], "samples": 8 }
              ],
              "seeds": 3,
            {{Target}}
            }
            """));
        Assert.Equal("ok", spec.Name);
        Assert.Equal([1UL, 2UL, 3UL], spec.Seeds);
        Assert.Equal(new ExperimentRecipe(), spec.Recipe);
        Assert.Equal(Path.Combine(dir, "narrow.json"), spec.Variants[1].Config);
        Assert.Equal([Path.Combine(dir, "narrow.json")], spec.Variants[1].Overlays);
        Assert.Equal(8, spec.Variants[1].Samples);
        Assert.Equal("all", spec.Target.Split);
        Assert.Equal(dir, spec.Target.Images);
        Assert.Equal(ExperimentFile.DefaultResamples, spec.Resamples);
    }

    [Fact]
    public void A_missing_variant_project_is_SYN8503_at_its_line()
    {
        var d = Fails($$"""
            {
              "name": "x",
              "variants": [
                { "name": "full", "project": "a.synthproj" },
                { "name": "narrow", "project": "missing/narrow.synthproj" }
              ],
            {{Target}}
            }
            """);
        Assert.Equal(SynCodes.ExperimentVariantMissing, d.Code);
        Assert.Equal(5, d.Line);
        Assert.Contains("narrow", d.Message);
        Assert.Contains("missing/narrow.synthproj", d.Message);
    }

    [Fact]
    public void A_missing_variant_config_or_overlay_is_SYN8503()
    {
        var d = Fails($$"""
            {
              "name": "x",
              "variants": [
                { "name": "full", "project": "a.synthproj" },
                { "name": "narrow", "project": "a.synthproj",
                  "config": "nope.json" }
              ],
            {{Target}}
            }
            """);
        Assert.Equal((SynCodes.ExperimentVariantMissing, 6), (d.Code, d.Line));
        d = Fails($$"""
            {
              "name": "x",
              "variants": [
                { "name": "full", "project": "a.synthproj" },
                { "name": "narrow", "project": "a.synthproj", "overlays": ["narrow.json", "gone.json"] }
              ],
            {{Target}}
            }
            """);
        Assert.Equal((SynCodes.ExperimentVariantMissing, 5), (d.Code, d.Line));
        Assert.Contains("gone.json", d.Message);
    }

    [Fact]
    public void Fewer_than_two_variants_or_a_repeated_name_is_SYN8502()
    {
        var d = Fails($$"""
            {
              "name": "x",
              "variants": [ { "name": "only", "project": "a.synthproj" } ],
            {{Target}}
            }
            """);
        Assert.Equal((SynCodes.ExperimentVariantsInvalid, 3), (d.Code, d.Line));
        Assert.Contains("at least two", d.Message);
        d = Fails($$"""
            {
              "name": "x",
              "variants": [
                { "name": "a", "project": "a.synthproj" },
                { "name": "a", "project": "a.synthproj" }
              ],
            {{Target}}
            }
            """);
        Assert.Equal((SynCodes.ExperimentVariantsInvalid, 5), (d.Code, d.Line));
    }

    [Fact]
    public void Seeds_below_one_or_a_bad_recipe_is_SYN8504()
    {
        const string variants = """
              "variants": [ { "name": "a", "project": "a.synthproj" }, { "name": "b", "project": "a.synthproj" } ],
            """;
        var d = Fails($$"""
            {
              "name": "x",
            {{variants}}
              "seeds": 0,
            {{Target}}
            }
            """);
        Assert.Equal((SynCodes.ExperimentRecipeInvalid, 4), (d.Code, d.Line));
        Assert.Contains("at least 1", d.Message);
        d = Fails($$"""
            {
              "name": "x",
            {{variants}}
              "recipe": { "epochs": 2,
                          "width": 100 },
            {{Target}}
            }
            """);
        Assert.Equal((SynCodes.ExperimentRecipeInvalid, 5), (d.Code, d.Line));
        Assert.Contains("multiple of 16", d.Message);
        d = Fails($$"""
            {
              "name": "x",
            {{variants}}
              "recipe": { "trainer": "yolo" },
            {{Target}}
            }
            """);
        Assert.Equal(SynCodes.ExperimentRecipeInvalid, d.Code);
    }

    [Fact]
    public void Unknown_keys_syntax_errors_and_a_bad_target_are_reported_with_positions()
    {
        var d = Fails("""
            {
              "name": "x",
              "varaints": []
            }
            """);
        Assert.Equal((SynCodes.ExperimentFileInvalid, 3), (d.Code, d.Line));
        Assert.Contains("varaints", d.Message);
        d = Fails("{\n  \"name\": \"x\",,\n}");
        Assert.Equal((SynCodes.ExperimentFileInvalid, 2), (d.Code, d.Line));
        d = Fails("""
            {
              "name": "x",
              "variants": [ { "name": "a", "project": "a.synthproj" }, { "name": "b", "project": "a.synthproj" } ],
              "target": { "project": "a.synthproj", "split": "holdout" }
            }
            """);
        Assert.Equal((SynCodes.ExperimentTargetInvalid, 4), (d.Code, d.Line));
        d = Fails("""
            {
              "name": "x",
              "variants": [ { "name": "a", "project": "a.synthproj" }, { "name": "b", "project": "a.synthproj" } ],
              "target": { "coco": "real/instances.json" }
            }
            """);
        Assert.Equal((SynCodes.ExperimentTargetInvalid, 4), (d.Code, d.Line));
    }
}
