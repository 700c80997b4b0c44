using System.Globalization;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Config;

/// <summary>
/// Binds a schema-valid document to a spec, checking cross-field rules. One file per section (ConfigBinder.*.cs);
/// sections are bound in a fixed order so diagnostics come out in the same order every time.
/// </summary>
internal sealed partial class ConfigBinder(ConfigNode root, JsonPositionIndex positions, ConfigOverrides overrides)
{
    public List<Diagnostic> Diagnostics { get; } = [];

    public DatasetSpec Bind()
    {
        string name = root.Str("name") ?? overrides.DefaultName ?? "dataset";
        int samples = (int?)root.Long("samples") ?? DatasetSpec.Defaults.Samples;
        ulong seed = (ulong?)root.Long("seed") ?? DatasetSpec.Defaults.Seed;
        ApplyOverrides(ref samples, ref seed);

        ConfigNode? image = root.Object("image");
        int width = (int?)image?.Long("width") ?? DatasetSpec.Defaults.Width;
        int height = (int?)image?.Long("height") ?? DatasetSpec.Defaults.Height;
        if ((long)width * height > 16_777_216)
            Error(SynCodes.ConfigContradictory, image!.Value, $"image: {width}×{height} is {(long)width * height} pixels; at most 16,777,216 (e.g. 4096×4096) are supported.");

        IntRange objects = IntRangeOf(root, "objectsPerScene", DatasetSpec.Defaults.ObjectsPerScene);
        if (root.Object("objectsPerScene") is { } opsObj && objects.Max < 1)
            Error(SynCodes.ConfigContradictory, opsObj, "objectsPerScene.max must be at least 1: a scene with no labelled object is not a sample.");

        var categories = BindCategories();
        var cameraSpec = BindCamera(width, height);
        var lightingSpec = BindLighting(root.Object("lighting"));
        var materialSpec = BindMaterials(root.Object("materials"));
        var sensorSpec = BindSensor(root.Object("sensor"));
        var backgroundSpec = BindBackground(root.Object("background"), materialSpec.Textures?.Folder);
        var placementSpec = BindPlacement(root.Object("placement"));
        var distractorSpec = BindDistractors(root.Object("distractors"));
        var renderSpec = BindRender(width, height);
        var outputSpec = BindOutputs(root.Object("outputs"));
        var curriculumSpec = BindCurriculum(root.Object("curriculum"));
        var splitSpec = BindSplits(root.Object("splits"));

        // Bound by the augmentation stage (SynthBuild.Augmentation), which owns its meaning; a copy outlives the document.
        ConfigSection? augmentation = root.Object("augmentation") is { } aug
            ? new ConfigSection("augmentation", new ConfigNode(aug.Json.Clone(), aug.Path), positions) : null;
        // The schema restricts the value to "weighted" | "balanced".
        var balance = root.Str("categoryBalance") == "balanced" ? CategoryBalance.Balanced : CategoryBalance.Weighted;

        return new DatasetSpec(name, samples, seed, width, height, objects, categories, cameraSpec,
            lightingSpec, materialSpec, sensorSpec, backgroundSpec, splitSpec,
            Augmentation: augmentation, CategoryBalance: balance,
            Placement: placementSpec, Render: renderSpec, Outputs: outputSpec, Curriculum: curriculumSpec,
            Distractors: distractorSpec);
    }

    private void ApplyOverrides(ref int samples, ref ulong seed)
    {
        string origin = overrides.OverridesSource ?? positions.File;
        if (!string.IsNullOrWhiteSpace(overrides.Samples))
        {
            if (int.TryParse(overrides.Samples.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= 10_000_000)
                samples = n;
            else
                Diagnostics.Add(Diagnostic.Error(SynCodes.BadOverride,
                    $"SynthSamples must be an integer from 1 to 10000000, found '{overrides.Samples}'.", origin));
        }
        if (!string.IsNullOrWhiteSpace(overrides.Seed))
        {
            if (ulong.TryParse(overrides.Seed.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) && s <= 9007199254740991UL)
                seed = s;
            else
                Diagnostics.Add(Diagnostic.Error(SynCodes.BadOverride,
                    $"SynthSeed must be an integer from 0 to 9007199254740991, found '{overrides.Seed}'.", origin));
        }
    }

    private SplitSpec BindSplits(ConfigNode? splits)
    {
        var splitSpec = new SplitSpec(
            splits?.Dbl("train") ?? (splits is null ? DatasetSpec.Defaults.Splits.Train : 0),
            splits?.Dbl("val") ?? (splits is null ? DatasetSpec.Defaults.Splits.Val : 0),
            splits?.Dbl("test") ?? (splits is null ? DatasetSpec.Defaults.Splits.Test : 0));
        if (splits is { } s && Math.Abs(splitSpec.Train + splitSpec.Val + splitSpec.Test - 1) > 1e-9)
            Error(SynCodes.ConfigContradictory, s, $"splits: train + val + test must add up to 1, found {Fmt(splitSpec.Train + splitSpec.Val + splitSpec.Test)}.");
        return splitSpec;
    }

    private ValueRange RangeOf(ConfigNode? parent, string key, ValueRange fallback)
    {
        if (parent?.Object(key) is not { } r) return fallback;
        double min = r["min"]!.Value.AsDouble, max = r["max"]!.Value.AsDouble;
        if (min > max)
        {
            Error(SynCodes.ConfigContradictory, r["min"]!.Value, $"{r.Path}: min ({Fmt(min)}) is greater than max ({Fmt(max)}).", atKey: true);
            return new ValueRange(min, max);
        }
        return new ValueRange(min, max, BinsOf(r, min, max));
    }

    /// <summary>
    /// A range's optional "weights" (and "edges") as bins. The schema has checked the shapes (1–64 weights, each 0 to
    /// 10^6; numbers only, so no NaN); this checks what it cannot: some weight, edges matching the weights and
    /// spanning [min, max] in increasing order.
    /// </summary>
    private RangeBins? BinsOf(ConfigNode r, double min, double max)
    {
        ConfigNode? weightsNode = r.Array("weights"), edgesNode = r.Array("edges");
        if (weightsNode is not { } wn)
        {
            if (edgesNode is { } lone)
                Error(SynCodes.ConfigContradictory, lone, $"{r.Path}.edges: edges bound the bins of 'weights'; add one weight per bin or remove the edges.", atKey: true);
            return null;
        }
        double[] weights = wn.Items.Select(w => w.AsDouble).ToArray();
        bool ok = true;
        if (!(weights.Sum() > 0))
        {
            Error(SynCodes.ConfigContradictory, wn, $"{r.Path}.weights: the weights add up to 0; at least one bin needs a weight above 0.");
            ok = false;
        }
        double[]? edges = null;
        if (edgesNode is { } en)
        {
            edges = en.Items.Select(e => e.AsDouble).ToArray();
            if (edges.Length != weights.Length + 1)
            {
                Error(SynCodes.ConfigContradictory, en,
                    $"{r.Path}.edges: {weights.Length} weight(s) need {weights.Length + 1} edges (min, the bin boundaries, max), found {edges.Length}.");
                ok = false;
            }
            else if (edges[0] != min || edges[^1] != max)
            {
                Error(SynCodes.ConfigContradictory, en,
                    $"{r.Path}.edges: the edges must run from min ({Fmt(min)}) to max ({Fmt(max)}), found {Fmt(edges[0])} to {Fmt(edges[^1])}.");
                ok = false;
            }
            else
            {
                for (int i = 1; i < edges.Length; i++)
                    if (!(edges[i] > edges[i - 1]))
                    {
                        Error(SynCodes.ConfigContradictory, en[i],
                            $"{r.Path}.edges[{i}]: edges must increase strictly; {Fmt(edges[i])} follows {Fmt(edges[i - 1])}.");
                        ok = false;
                        break;
                    }
            }
        }
        return ok ? RangeBins.Create(min, max, weights, edges) : null;
    }

    private IntRange IntRangeOf(ConfigNode? parent, string key, IntRange fallback)
    {
        if (parent?.Object(key) is not { } r) return fallback;
        int min = (int)r["min"]!.Value.AsLong, max = (int)r["max"]!.Value.AsLong;
        if (min > max)
            Error(SynCodes.ConfigContradictory, r["min"]!.Value, $"{r.Path}: min ({min}) is greater than max ({max}).", atKey: true);
        return new IntRange(min, max);
    }

    /// <summary>A path of the config resolved against the config's folder.</summary>
    private string Resolve(string relative) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(positions.File)) ?? ".", relative));

    private void Error(string code, ConfigNode at, string message, bool atKey = false) =>
        Diagnostics.Add(positions.Error(code, at, message, atKey));

    private static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
