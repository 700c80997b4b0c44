using SynthBuild.TestSupport;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Tests.Config;

public class ConfigLoaderTests
{
    private const string File = "/data/synth.json";

    private static Diagnostic SingleError(string json)
    {
        var result = ConfigLoader.Parse(json, File);
        Assert.False(result.Succeeded);
        Assert.Null(result.Spec);
        var errors = result.Diagnostics.Where(d => d.IsError).ToList();
        Assert.True(errors.Count >= 1, "expected an error");
        Assert.All(errors, e => Assert.Equal(File, e.File));
        return errors[0];
    }

    [Fact]
    public void Empty_object_gives_the_original_tools_defaults()
    {
        var result = ConfigLoader.Parse("{}", File, new ConfigOverrides(DefaultName: "demo"));
        Assert.True(result.Succeeded);
        var s = result.Spec!;
        Assert.Equal("demo", s.Name);
        Assert.Equal((640, 480), (s.Width, s.Height));
        Assert.Equal(new IntRange(3, 8), s.ObjectsPerScene);
        Assert.Equal((500.0, 500.0, 320.0, 240.0), (s.Camera.Fx, s.Camera.Fy, s.Camera.Cx, s.Camera.Cy));
        Assert.Equal(new ValueRange(200, 1000), s.Lighting.Intensity);
        Assert.Equal(0.2, s.Lighting.ColorVariation);
        Assert.Equal(new ValueRange(0.1, 0.5), s.Lighting.Ambient);
        Assert.Equal(new ValueRange(0.1, 0.9), s.Materials.Roughness);
        Assert.Equal(new ValueRange(0, 0.5), s.Materials.Metallic);
        Assert.Equal(0.3, s.Materials.ColorJitter);
        Assert.Equal((0.02, 0.05, 0.1), (s.Camera.PositionNoise, s.Camera.OrientationNoise, s.Camera.FocalLengthVariation));
        Assert.Equal((5.0, 0.01), (s.Sensor.GaussianNoiseStd, s.Sensor.DepthDropout));
        Assert.Equal(["box", "cylinder", "sphere"], s.Categories.Select(c => c.Name));
        Assert.Equal([1, 2, 3], s.Categories.Select(c => c.Id));
    }

    [Fact]
    public void Overrides_replace_samples_and_seed()
    {
        var result = ConfigLoader.Parse("""{ "samples": 10, "seed": 1 }""", File, new ConfigOverrides("25", "7"));
        Assert.True(result.Succeeded);
        Assert.Equal(25, result.Spec!.Samples);
        Assert.Equal(7UL, result.Spec.Seed);
    }

    [Theory]
    [InlineData("-3")]
    [InlineData("ten")]
    [InlineData("0")]
    public void Bad_sample_override_is_an_error_naming_the_property(string value)
    {
        var result = ConfigLoader.Parse("{}", File, new ConfigOverrides(Samples: value, OverridesSource: "/p/x.synthproj"));
        var e = Assert.Single(result.Diagnostics);
        Assert.Equal("SYN1007", e.Code);
        Assert.Equal("/p/x.synthproj", e.File);
        Assert.Contains("SynthSamples", e.Message);
        Assert.Contains(value, e.Message);
    }

    // Each malformed config: (json, code, line, column, text the message must contain).
    public static TheoryData<string, string, int, int, string> Malformed => new()
    {
        // 1. syntax: missing value
        { "{\n  \"samples\": ,\n}", "SYN1001", 2, 14, "Invalid JSON" },
        // 2. syntax: unterminated object
        { "{\n  \"samples\": 5\n", "SYN1001", 3, 1, "Invalid JSON" },
        // 3. duplicate key
        { "{\n  \"seed\": 1,\n  \"seed\": 2\n}", "SYN1001", 3, 9, "already exists" },
        // 4. wrong type
        { "{\n  \"samples\": \"ten\"\n}", "SYN1002", 2, 14, "expected an integer, found \"ten\"" },
        // 5. unknown key with suggestion
        { "{\n  \"camera\": {\n    \"positionNoize\": 0.1\n  }\n}", "SYN1003", 3, 5, "Did you mean 'positionNoise'?" },
        // 6. unknown top-level key
        { "{\n  \"smaples\": 3\n}", "SYN1003", 2, 3, "Unknown key 'smaples'" },
        // 7. negative count
        { "{\n  \"samples\": -5\n}", "SYN1005", 2, 14, "-5 is too small; expected >= 1" },
        // 8. probability outside [0, 1]
        { "{\n  \"sensor\": { \"depthDropout\": 1.5 }\n}", "SYN1005", 2, 31, "1.5 is too large; expected <= 1" },
        // 9. image size of 0
        { "{\n  \"image\": { \"width\": 0, \"height\": 480 }\n}", "SYN1005", 2, 23, "0 is too small; expected >= 16" },
        // 10. absurdly large image
        { "{\n  \"image\": { \"width\": 100000 }\n}", "SYN1005", 2, 23, "expected <= 8192" },
        // 11. min > max
        { "{\n  \"lighting\": {\n    \"intensity\": { \"min\": 900, \"max\": 100 }\n  }\n}", "SYN1006", 3, 20, "min (900) is greater than max (100)" },
        // 12. missing required key in a range
        { "{\n  \"objectsPerScene\": { \"min\": 3 }\n}", "SYN1004", 2, 22, "Missing required key 'max'" },
        // 13. unknown shape
        { "{\n  \"categories\": [ { \"name\": \"cone\", \"shape\": \"cone\" } ]\n}", "SYN1005", 2, 46, "expected one of 'box', 'cylinder', 'sphere'" },
        // 14. duplicate category names
        { "{\n  \"categories\": [\n    { \"name\": \"a\", \"shape\": \"box\" },\n    { \"name\": \"a\", \"shape\": \"sphere\" }\n  ]\n}", "SYN1006", 4, 15, "already used" },
        // 15. a key that does not apply to the shape
        { "{\n  \"categories\": [\n    { \"name\": \"ball\", \"shape\": \"sphere\", \"size\": { \"min\": 0.1, \"max\": 0.2 } }\n  ]\n}", "SYN1003", 3, 42, "does not apply to shape 'sphere'" },
        // 16. weights that add up to zero
        { "{\n  \"categories\": [ { \"name\": \"a\", \"shape\": \"box\", \"weight\": 0 } ]\n}", "SYN1006", 2, 17, "weights add up to 0" },
        // 17. too many pixels although each side is allowed
        { "{\n  \"image\": { \"width\": 8192, \"height\": 8192 }\n}", "SYN1006", 2, 12, "at most 16,777,216" },
        // 18. camera at its own target
        { "{\n  \"camera\": { \"position\": [0, 0, 1], \"lookAt\": [0, 0, 1] }\n}", "SYN1006", 2, 48, "must differ" },
        // 19. top level is not an object
        { "[1, 2]", "SYN1002", 1, 1, "Expected a JSON object" },
        // 20. colour component out of range
        { "{\n  \"background\": { \"colors\": [[0, 0, 0], [0, 2, 0]] }\n}", "SYN1005", 2, 45, "2 is too large" },
        // 21. a kind that belongs to another shape
        { "{\n  \"categories\": [ { \"name\": \"t\", \"shape\": \"tool\", \"kinds\": [\"wrench\", \"hexNut\"] } ]\n}", "SYN1006", 2, 71, "'hexNut' is not a kind of tool; expected one of 'wrench', 'screwdriver'" },
        // 22. tool length on a box
        { "{\n  \"categories\": [\n    { \"name\": \"b\", \"shape\": \"box\", \"length\": { \"min\": 0.1, \"max\": 0.2 } }\n  ]\n}", "SYN1003", 3, 36, "categories[0].length does not apply to shape 'box'. A box takes 'size'." },
        // 23. supersampling factor too large
        { "{\n  \"render\": { \"supersampling\": 5 }\n}", "SYN1005", 2, 32, "5 is too large; expected <= 4" },
        // 24. curriculum without a schedule
        { "{\n  \"curriculum\": { \"length\": 100 }\n}", "SYN1004", 2, 17, "Missing required key 'schedule'" },
        // 25. a schedule that moves nothing
        { "{\n  \"curriculum\": { \"schedule\": \"linear\" }\n}", "SYN1006", 2, 17, "needs at least one parameter" },
        // 26. unknown texture pattern
        { "{\n  \"materials\": { \"textures\": { \"patterns\": [\"marble\"] } }\n}", "SYN1005", 2, 45, "\"marble\" is not allowed; expected one of 'checker', 'stripes', 'noise', 'wood'" },
        // 27. too many dead pixels
        { "{\n  \"sensor\": { \"deadPixels\": 0.5 }\n}", "SYN1005", 2, 29, "0.5 is too large; expected <= 0.1" },
        // 28. shadows as a string
        { "{\n  \"lighting\": { \"shadows\": \"yes\" }\n}", "SYN1002", 2, 28, "expected true or false, found \"yes\"" },
        // 29. curriculum dropout beyond 1
        { "{\n  \"curriculum\": { \"schedule\": \"linear\", \"depthDropout\": { \"start\": 0.01, \"end\": 2 } }\n}", "SYN1005", 2, 57, "are probabilities" },
        // 30. unknown background mode
        { "{\n  \"background\": { \"mode\": \"photo\" }\n}", "SYN1005", 2, 27, "expected one of 'gradient', 'procedural'" },
        // 31. misspelt placement key
        { "{\n  \"placement\": { \"truncaton\": 0.2 }\n}", "SYN1003", 2, 18, "Did you mean 'truncation'?" },
        // 33. distortion coefficient out of range
        { "{\n  \"camera\": { \"distortion\": { \"k1\": -3 } }\n}", "SYN1005", 2, 37, "-3 is too small; expected >= -1" },
        // 34. misspelt distortion coefficient
        { "{\n  \"camera\": { \"distortion\": { \"k4\": 0.1 } }\n}", "SYN1003", 2, 31, "Unknown key 'k4'" },
        // 32. onSideProbability on a sphere
        { "{\n  \"categories\": [ { \"name\": \"s\", \"shape\": \"sphere\", \"onSideProbability\": 0.5 } ]\n}", "SYN1003", 2, 53, "does not apply to shape 'sphere'. A sphere takes 'radius'." },
        // 35. point-light box inside out
        { "{\n  \"lighting\": { \"pointLights\": { \"position\": { \"min\": [1, 0, 0.5], \"max\": [0, 0, 1] } } }\n}", "SYN1006", 2, 48, "min must be ≤ max on every axis" },
        // 36. colour temperature below the locus approximation
        { "{\n  \"lighting\": { \"colorTemperature\": { \"min\": 1000, \"max\": 5000 } }\n}", "SYN1005", 2, 46, "1000 is too small; expected >= 1667" },
        // 37. distractor shape that is not a primitive
        { "{\n  \"distractors\": { \"shapes\": [\"mug\"] }\n}", "SYN1005", 2, 31, "expected one of 'box', 'cylinder', 'sphere'" },
        // 38. stacking probability beyond 1
        { "{\n  \"placement\": { \"stacking\": 1.5 }\n}", "SYN1005", 2, 30, "1.5 is too large; expected <= 1" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_config_reports_code_file_line_and_column(string json, string code, int line, int column, string text)
    {
        Diagnostic e = SingleError(json);
        Assert.Equal(code, e.Code);
        Assert.Contains(text, e.Message);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.StartsWith($"{File}({line},{column}): error {code}: ", e.ToString());
    }

    [Fact]
    public void Several_problems_are_all_reported_in_source_order()
    {
        var result = ConfigLoader.Parse("{\n  \"seed\": -1,\n  \"samples\": 0,\n  \"bogus\": 1\n}", File);
        Assert.Equal([2, 3, 4], result.Diagnostics.Select(d => d.Line));
    }

    [Fact]
    public void Comments_are_allowed()
    {
        var result = ConfigLoader.Parse("{\n  // a comment\n  \"samples\": 3 /* inline */\n}", File);
        Assert.True(result.Succeeded);
        Assert.Equal(3, result.Spec!.Samples);
    }

    [Fact]
    public void Missing_file_is_SYN1000()
    {
        var result = ConfigLoader.Load("/nonexistent/synth.json");
        Assert.Equal("SYN1000", Assert.Single(result.Diagnostics).Code);
    }

    [Fact]
    public void Fingerprint_ignores_name_and_sample_count_but_not_generation_settings()
    {
        DatasetSpec a = ConfigLoader.Parse("""{ "name": "a", "samples": 10 }""", File).Spec!;
        DatasetSpec b = ConfigLoader.Parse("""{ "name": "b", "samples": 99 }""", File).Spec!;
        DatasetSpec c = ConfigLoader.Parse("""{ "name": "a", "samples": 10, "sensor": { "gaussianNoiseStd": 6 } }""", File).Spec!;
        Assert.Equal(SpecFingerprint.Hash(a), SpecFingerprint.Hash(b));
        Assert.NotEqual(SpecFingerprint.Hash(a), SpecFingerprint.Hash(c));
    }

    [Fact]
    public void Shipped_schema_is_the_embedded_one()
    {
        string repo = TestPaths.RepoRoot;
        string onDisk = System.IO.File.ReadAllText(Path.Combine(repo, "src/SynthBuild.Core/Config/synth.schema.json"));
        Assert.Equal(onDisk, ConfigLoader.SchemaText);
    }

    [Fact]
    public void Example_dataset_config_is_valid()
    {
        var result = ConfigLoader.Load(Path.Combine(TestPaths.RepoRoot, "datasets/tabletop/synth.json"));
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Equal(ShapeKind.Cylinder, result.Spec!.Categories[1].Shape);
        // The example uses all seven categories, textures, shadows and the sensor model.
        Assert.Equal(Enum.GetValues<ShapeKind>().Where(k => k != ShapeKind.Mesh), result.Spec.Categories.Select(c => c.Shape).Order());
        Assert.True(result.Spec.Lighting.Shadows);
        Assert.True(result.Spec.Materials.Textures!.Probability > 0);
        Assert.True(result.Spec.Sensor.GaussianNoiseStd > 0 && result.Spec.Sensor.DepthNoise > 0 && result.Spec.Sensor.DeadPixels > 0);
    }

    [Fact]
    public void Warehouse_dark_config_is_exercise_2()
    {
        var result = ConfigLoader.Load(Path.Combine(TestPaths.RepoRoot, "datasets/warehouse-dark/synth.json"));
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var s = result.Spec!;
        Assert.Equal((new ValueRange(100, 400), new ValueRange(0.05, 0.3)), (s.Lighting.Intensity, s.Lighting.Ambient));
        Assert.Equal((10.0, 0.02), (s.Sensor.GaussianNoiseStd, s.Sensor.DepthDropout));
    }

    [Theory]
    [InlineData("\"lighting\": { \"shadows\": false }")]
    [InlineData("\"camera\": { \"distortion\": { \"p2\": 0.001 } }")]
    [InlineData("\"materials\": { \"textures\": { \"probability\": 0.2 } }")]
    [InlineData("\"materials\": { \"textures\": { \"patterns\": [\"wood\"] } }")]
    [InlineData("\"sensor\": { \"deadPixels\": 0.001 }")]
    [InlineData("\"sensor\": { \"depthNoise\": 0.003 }")]
    [InlineData("\"sensor\": { \"depthQuantization\": 2 }")]
    [InlineData("\"sensor\": { \"depthEdgeThreshold\": 0.1 }")]
    [InlineData("\"background\": { \"mode\": \"procedural\" }")]
    [InlineData("\"background\": { \"blend\": 0.3 }")]
    [InlineData("\"background\": { \"tablePatterns\": [\"none\"] }")]
    [InlineData("\"placement\": { \"truncation\": 0.2 }")]
    [InlineData("\"placement\": { \"stacking\": 0.2 }")]
    [InlineData("\"lighting\": { \"colorTemperature\": { \"min\": 3000, \"max\": 5000 } }")]
    [InlineData("\"lighting\": { \"pointLights\": { \"count\": { \"min\": 1, \"max\": 2 } } }")]
    [InlineData("\"lighting\": { \"pointLights\": { \"intensity\": { \"min\": 10, \"max\": 20 } } }")]
    [InlineData("\"distractors\": { \"count\": { \"min\": 1, \"max\": 2 } }")]
    [InlineData("\"distractors\": { \"shapes\": [\"box\"] }")]
    [InlineData("\"background\": { \"imageZoom\": { \"min\": 1, \"max\": 3 } }")]
    [InlineData("\"render\": { \"supersampling\": 2 }")]
    [InlineData("\"outputs\": { \"pointCloud\": true }")]
    [InlineData("\"curriculum\": { \"schedule\": \"linear\", \"objectsMax\": { \"start\": 3, \"end\": 8 } }")]
    [InlineData("\"categories\": [ { \"name\": \"t\", \"shape\": \"tool\", \"kinds\": [\"wrench\"] } ]")]
    [InlineData("\"categories\": [ { \"name\": \"c\", \"shape\": \"cylinder\", \"onSideProbability\": 0.9 } ]")]
    public void Every_generator_setting_is_in_the_fingerprint(string setting)
    {
        DatasetSpec baseline = ConfigLoader.Parse("{}", File).Spec!;
        var changed = ConfigLoader.Parse("{ " + setting + " }", File);
        Assert.True(changed.Succeeded, string.Join("\n", changed.Diagnostics));
        Assert.NotEqual(SpecFingerprint.Hash(baseline), SpecFingerprint.Hash(changed.Spec!));
    }
}
