using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Augmentation;

/// <summary>
/// Binds the config's "augmentation" section. The shipped schema checks the section and each step's "type"; each
/// step's own keys are checked here against the schema definition "augment.&lt;type&gt;" (a discriminated union the
/// schema validator cannot select by itself), so a bad step gets the same positioned SYN1xxx diagnostics as any key.
/// </summary>
public static class AugmentationConfig
{
    /// <summary>The spec's augmentation section bound and checked; null when the config has none.</summary>
    /// <exception cref="DiagnosticException">The section is invalid (the first error).</exception>
    public static AugmentationSpec? Bind(DatasetSpec spec)
    {
        var diagnostics = new List<Diagnostic>();
        var bound = Bind(spec, diagnostics);
        if (diagnostics.FirstOrDefault(d => d.IsError) is { } error) throw new DiagnosticException(error);
        return bound;
    }

    /// <summary>Binds the spec's augmentation section, adding positioned SYN1xxx diagnostics for what is wrong.</summary>
    public static AugmentationSpec? Bind(DatasetSpec spec, List<Diagnostic> diagnostics) =>
        spec.Augmentation is { } section ? Bind(section, spec.Width, spec.Height, diagnostics) : null;

    private static AugmentationSpec? Bind(ConfigSection section, int width, int height, List<Diagnostic> diagnostics)
    {
        int before = diagnostics.Count;
        var steps = new List<AugmentTransform>();
        ConfigNode pipeline = section.Value["pipeline"]!.Value;
        for (int i = 0; i < pipeline.Count; i++)
        {
            ConfigNode item = pipeline[i];
            string type = item.Str("type")!;
            string where = $"augmentation.pipeline[{i}]";
            var errors = section.Validate(item, "augment." + type);
            if (errors.Count > 0) { diagnostics.AddRange(errors); continue; }
            steps.Add(Step(type, item, where));
        }

        // Ranges the schema cannot order, and sizes that must fit the image.
        if (diagnostics.Count > before) return null;
        foreach (ConfigNode range in section.Value.Descendants().Where(o => o.IsObject && IsValue(o["min"]) && IsValue(o["max"])))
        {
            double min = range.Dbl("min")!.Value, max = range.Dbl("max")!.Value;
            if (min > max)
                diagnostics.Add(section.Error(SynCodes.ConfigContradictory, range["min"]!.Value, $"{range.Path}: min ({Fmt(min)}) is greater than max ({Fmt(max)}).", atKey: true));
        }
        int w = width, h = height;
        for (int i = 0; i < steps.Count; i++)
        {
            if (steps[i] is RandomCrop crop && (crop.Width > w || crop.Height > h))
                diagnostics.Add(section.Error(SynCodes.ConfigContradictory, pipeline[i],
                    $"augmentation.pipeline[{i}]: randomCrop {crop.Width}×{crop.Height} does not fit the {w}×{h} image it receives."));
            if (steps[i] is GeometricTransform g) (w, h) = g.OutputSize(w, h);
        }

        if (diagnostics.Count > before) return null;
        ConfigNode s = section.Value;
        return new AugmentationSpec(
            (int?)s.Long("variants") ?? AugmentationSpec.Defaults.Variants,
            s.Dbl("minVisibility") ?? AugmentationSpec.Defaults.MinVisibility,
            s.Bool("dropBelow") ?? AugmentationSpec.Defaults.DropBelow,
            steps);
    }

    private static bool IsValue(ConfigNode? n) => n is { Kind: System.Text.Json.JsonValueKind.Number };

    private static AugmentTransform Step(string type, ConfigNode o, string where)
    {
        double p = o.Dbl("p") ?? 1;
        return type switch
        {
            "brightness" => new Brightness(p, Range(o, "delta")),
            "contrast" => new Contrast(p, Range(o, "factor")),
            "saturation" => new Saturation(p, Range(o, "factor")),
            "hue" => new Hue(p, Range(o, "degrees")),
            "colorJitter" => new ColorJitter(p, o.Dbl("brightness") ?? 0.2, o.Dbl("contrast") ?? 0.2,
                o.Dbl("saturation") ?? 0.2, o.Dbl("hue") ?? 0),
            "gamma" => new Gamma(p, Range(o, "gamma")),
            "gaussianBlur" => new GaussianBlur(p, Range(o, "sigma")),
            "motionBlur" => new MotionBlur(p, (int)Range(o, "length").Min, (int)Range(o, "length").Max),
            "gaussianNoise" => new GaussianNoise(p, Range(o, "std")),
            "jpeg" => new JpegCompression(p, (int)Range(o, "quality").Min, (int)Range(o, "quality").Max),
            "horizontalFlip" => new HorizontalFlip(p),
            "verticalFlip" => new VerticalFlip(p),
            "rotate" => new Rotate(p, Range(o, "degrees")),
            "scale" => new Scale(p, Range(o, "factor")),
            "translate" => new Translate(p, Range(o, "x", 0), Range(o, "y", 0)),
            "affine" => new Affine(p, Range(o, "degrees", 0), Range(o, "scale", 1), Range(o, "translateX", 0), Range(o, "translateY", 0), Range(o, "shear", 0)),
            "perspective" => new Perspective(p, Range(o, "distortion")),
            "randomCrop" => new RandomCrop((int)o.Long("width")!.Value, (int)o.Long("height")!.Value),
            "resize" => new Resize((int)o.Long("width")!.Value, (int)o.Long("height")!.Value),
            "depthScale" => new DepthScale(p, Range(o, "factor")),
            "depthNoise" => new DepthNoise(p, Range(o, "stdMm")),
            "depthDropout" => new DepthDropout(p, Range(o, "rate")),
            _ => throw new InvalidOperationException($"{where}: no binding for schema-valid type '{type}'."),
        };
    }

    private static ValueRange Range(ConfigNode o, string key, double identity = double.NaN) =>
        o.Object(key) is { } r ? new ValueRange(r.Dbl("min")!.Value, r.Dbl("max")!.Value) : new ValueRange(identity, identity);

    private static string Fmt(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
