using SynthBuild.Core.Config;
using SynthBuild.Core.Storage;
using static SynthBuild.Augmentation.Tests.AugmentationFixtures;

namespace SynthBuild.Augmentation.Tests;

public class AugmentationTests
{
    private const string AllPhotometric = """
        { "type": "brightness", "delta": { "min": -0.2, "max": 0.2 } }, { "type": "contrast", "factor": { "min": 0.5, "max": 1.5 } },
        { "type": "saturation", "factor": { "min": 0.5, "max": 1.5 } }, { "type": "hue", "degrees": { "min": -30, "max": 30 } },
        { "type": "colorJitter", "hue": 10 }, { "type": "gamma", "gamma": { "min": 0.7, "max": 1.5 } },
        { "type": "gaussianBlur", "sigma": { "min": 0.5, "max": 2 } }, { "type": "motionBlur", "length": { "min": 3, "max": 9 } },
        { "type": "gaussianNoise", "std": { "min": 2, "max": 10 } }, { "type": "jpeg", "quality": { "min": 30, "max": 90 } },
        { "type": "depthScale", "factor": { "min": 0.95, "max": 1.05 } }, { "type": "depthNoise", "stdMm": { "min": 1, "max": 5 } },
        { "type": "depthDropout", "rate": { "min": 0, "max": 0.05 } }
        """;

    [Fact]
    public void Photometric_and_depth_steps_leave_labels_bit_identical_and_change_pixels()
    {
        for (int seed = 0; seed < 10; seed++)
        {
            var (input, annotation, _) = Sample(seed);
            var result = new AugmentationPipeline(Spec(AllPhotometric)).Apply(input, annotation, 5, seed, 0);
            Assert.Equal(input.Ids, result.Images.Ids);
            Assert.Equal(AnnotationJson.Sample(annotation, "x"), AnnotationJson.Sample(result.Annotation, "x"));
            Assert.NotEqual(input.Rgb, result.Images.Rgb);
            Assert.NotEqual(input.Depth, result.Images.Depth);
            Assert.Equal(13, result.Applied.Count);
        }
    }

    [Fact]
    public void Photometric_steps_do_not_change_the_labels_of_a_geometric_pipeline()
    {
        const string geometric = """{ "type": "rotate", "degrees": { "min": -40, "max": 40 } }, { "type": "randomCrop", "width": 80, "height": 60 }""";
        var (input, annotation, _) = Sample(3);
        // Step indices matter for the draws: pad the geometric-only pipeline with no-op brightness steps at the same positions.
        var mixed = new AugmentationPipeline(Spec(AllPhotometric + ", " + geometric)).Apply(input, annotation, 9, 3, 2);
        var pad = string.Join(", ", Enumerable.Repeat("""{ "type": "brightness", "p": 0, "delta": { "min": 0, "max": 0 } }""", 13));
        var plain = new AugmentationPipeline(Spec(pad + ", " + geometric)).Apply(input, annotation, 9, 3, 2);
        Assert.Equal(plain.Images.Ids, mixed.Images.Ids);
        Assert.Equal(AnnotationJson.Sample(plain.Annotation, "x"), AnnotationJson.Sample(mixed.Annotation, "x"));
    }

    [Fact]
    public void Horizontal_flip_mirrors_boxes_exactly_and_records_the_homography()
    {
        var (input, annotation, _) = Sample(4);
        var result = new AugmentationPipeline(Spec("""{ "type": "horizontalFlip" }""")).Apply(input, annotation, 1, 0, 0);
        for (int k = 0; k < annotation.Objects.Count; k++)
        {
            double[] a = annotation.Objects[k].Bbox, b = result.Annotation.Objects[k].Bbox;
            Assert.Equal([input.Width - a[0] - a[2], a[1], a[2], a[3]], b);
            Assert.Equal(annotation.Objects[k].Visibility, result.Annotation.Objects[k].Visibility, 12);
        }
        Assert.Equal([-1, 0, input.Width, 0, 1, 0, 0, 0, 1], result.Homography);
    }

    [Fact]
    public void Objects_below_the_threshold_are_dropped_or_flagged()
    {
        const string crop = """{ "type": "translate", "x": { "min": 0.45, "max": 0.45 }, "y": { "min": 0, "max": 0 } }""";
        var (input, annotation, _) = Sample(8);
        var kept = new AugmentationPipeline(Spec(crop, minVisibility: 0.5, dropBelow: false)).Apply(input, annotation, 1, 0, 0);
        var dropped = new AugmentationPipeline(Spec(crop, minVisibility: 0.5, dropBelow: true)).Apply(input, annotation, 1, 0, 0);
        Assert.NotEmpty(kept.LowVisibility);
        Assert.All(kept.LowVisibility, id => Assert.True(kept.Annotation.Objects[id - 1].Visibility < 0.5));
        Assert.Equal(kept.Annotation.Objects.Count - kept.LowVisibility.Count, dropped.Annotation.Objects.Count);
        Assert.All(dropped.Annotation.Objects, o => Assert.True(o.Visibility >= 0.5));
        Assert.Equal(dropped.Annotation.Objects.Count, LabelsFromMask(dropped.Images.Ids, dropped.Images.Width, dropped.Images.Height).Count);
    }

    [Fact]
    public void Same_seed_sample_and_pass_give_identical_results_and_passes_differ()
    {
        var spec = Spec("""{ "type": "rotate", "degrees": { "min": -30, "max": 30 } }, { "type": "gaussianNoise", "std": { "min": 5, "max": 5 } }""");
        var (input, annotation, _) = Sample(2);
        var a = new AugmentationPipeline(spec).Apply(input, annotation, 3, 7, 1);
        var b = new AugmentationPipeline(spec).Apply(input, annotation, 3, 7, 1);
        var c = new AugmentationPipeline(spec).Apply(input, annotation, 3, 7, 2);
        Assert.Equal(a.Images.Rgb, b.Images.Rgb);
        Assert.Equal(a.Images.Ids, b.Images.Ids);
        Assert.NotEqual(a.Images.Rgb, c.Images.Rgb);
    }

    [Fact]
    public void Augmentation_settings_do_not_change_the_spec_fingerprint()
    {
        var plain = ConfigLoader.Parse("""{ "seed": 3 }""", "a.json").Spec!;
        var augmented = ConfigLoader.Parse("""{ "seed": 3, "augmentation": { "pipeline": [ { "type": "horizontalFlip" } ] } }""", "a.json").Spec!;
        Assert.NotNull(augmented.Augmentation);
        Assert.Equal(SpecFingerprint.Hash(plain), SpecFingerprint.Hash(augmented));
    }

    [Theory]
    [InlineData("""{ "type": "rotat" }""", "(6,17): error SYN1005: augmentation.pipeline[0].type: \"rotat\" is not allowed")]
    [InlineData("""{ "type": "rotate" }""", "(6,7): error SYN1004: Missing required key 'degrees' in 'augmentation.pipeline[0]'.")]
    [InlineData("""{ "type": "rotate", "degrees": { "min": -20, "max": 400 } }""", "(6,59): error SYN1005: augmentation.pipeline[0].degrees.max: 400 is too large; expected <= 180.")]
    [InlineData("""{ "type": "rotate", "degrees": { "min": 20, "max": -20 } }""", "(6,40): error SYN1006: augmentation.pipeline[0].degrees: min (20) is greater than max (-20).")]
    [InlineData("""{ "type": "horizontalFlip", "p": 1.5 }""", "(6,40): error SYN1005: augmentation.pipeline[0].p: 1.5 is too large; expected <= 1.")]
    [InlineData("""{ "type": "horizontalFlip", "degrees": 3 }""", "(6,35): error SYN1003: Unknown key 'degrees' in 'augmentation.pipeline[0]'. Expected one of: type, p.")]
    [InlineData("""{ "type": "randomCrop", "width": 200, "height": 50, "p": 0.5 }""", "(6,59): error SYN1003: Unknown key 'p' in 'augmentation.pipeline[0]'.")]
    [InlineData("""{ "type": "randomCrop", "width": 200, "height": 50 }""", "(6,7): error SYN1006: augmentation.pipeline[0]: randomCrop 200×50 does not fit the 160×120 image it receives.")]
    [InlineData("""{ "type": "jpeg", "quality": { "min": 10, "max": "high" } }""", "(6,56): error SYN1002: augmentation.pipeline[0].quality.max: expected an integer, found \"high\".")]
    public void Bad_pipeline_configs_give_positioned_schema_diagnostics(string step, string expected)
    {
        string json = "{\n  \"image\": { \"width\": 160, \"height\": 120 },\n  \"augmentation\": {\n    \"variants\": 2,\n    \"pipeline\": [\n      " + step + "\n    ]\n  }\n}\n";
        // The schema checks the section's shape at load; the augmentation stage checks each step when it binds.
        var r = ConfigLoader.Parse(json, "bad.json");
        var diagnostics = r.Diagnostics.ToList();
        if (r.Succeeded) Assert.Null(AugmentationConfig.Bind(r.Spec!, diagnostics));
        Assert.Contains(diagnostics, d => d.IsError && d.ToString().StartsWith("bad.json" + expected));
    }

    [Fact]
    public void Bad_section_keys_are_reported_by_the_schema()
    {
        var r = ConfigLoader.Parse("{\n  \"augmentation\": { \"variants\": 0, \"pipeline\": [] }\n}", "bad.json");
        Assert.Contains(r.Diagnostics, d => d.ToString() == "bad.json(2,33): error SYN1005: augmentation.variants: 0 is too small; expected >= 1.");
        Assert.Contains(r.Diagnostics, d => d.ToString().StartsWith("bad.json(2,48): error SYN1005: augmentation.pipeline: expected at least 1 item(s)"));
    }
}
