using System.Globalization;
using System.Text.Json;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Experiments;

/// <summary>One dataset variant: a project, optionally built with another config or with config overlays.</summary>
/// <param name="Path">Where the variant is declared in the experiment file ("variants[1]"), for error positions.</param>
public sealed record ExperimentVariant(string Name, string Project, string? Config, IReadOnlyList<string> Overlays, int? Samples, string Path);

/// <summary>The training recipe: the probe detector's settings (ProbeOptions in SynthBuild.Models.Probe).</summary>
public sealed record ExperimentRecipe(string Trainer = "probe", int Epochs = 12, int Width = 160, int Height = 128, int Batch = 16,
    double LearningRate = 2e-3, int Threads = 0)
{
    /// <summary>The recipe as the cache key and reports record it (invariant, every field).</summary>
    public string Canonical => string.Create(CultureInfo.InvariantCulture,
        $"trainer={Trainer};epochs={Epochs};width={Width};height={Height};batch={Batch};lr={LearningRate:R};threads={Threads}");
}

/// <summary>The evaluation set: a dataset project (built, one split or all images) or a labelled real set (COCO JSON).</summary>
public sealed record ExperimentTarget(string? Project, string Split, int? Samples, string? Coco, string? Images)
{
    public bool IsProject => Project is not null;
}

/// <summary>A parsed and validated experiment file (docs/experiments.md).</summary>
public sealed record ExperimentSpec(string File, string Name, IReadOnlyList<ExperimentVariant> Variants, ExperimentRecipe Recipe,
    IReadOnlyList<ulong> Seeds, ExperimentTarget Target, int? Samples, int Resamples, ulong BootstrapSeed,
    IReadOnlyDictionary<string, string> Properties, JsonPositionIndex Positions)
{
    /// <summary>An error at the value of <paramref name="path"/> ("variants[0].project"), with the file's line and column.</summary>
    public Diagnostic ErrorAt(string code, string path, string message)
    {
        var p = Positions.Value(path);
        return Diagnostic.Error(code, message, File, p.Line, p.Column);
    }
}

/// <summary>Reads an experiment file: JSON with comments, every key checked, errors with file, line and column.</summary>
public static class ExperimentFile
{
    public const int DefaultResamples = 1000;
    private static readonly string[] TopKeys = ["$schema", "name", "description", "variants", "recipe", "seeds", "samples", "target", "bootstrap", "properties"];
    private static readonly string[] VariantKeys = ["name", "project", "config", "overlays", "samples", "description"];
    private static readonly string[] RecipeKeys = ["trainer", "epochs", "width", "height", "batch", "lr", "threads"];
    private static readonly string[] TargetKeys = ["project", "split", "samples", "coco", "images", "description"];
    private static readonly string[] BootstrapKeys = ["resamples", "seed"];

    /// <exception cref="DiagnosticException">SYN8501–SYN8505 for a file that cannot be used.</exception>
    public static ExperimentSpec Load(string path)
    {
        string file = Path.GetFullPath(path);
        if (!System.IO.File.Exists(file)) throw new DiagnosticException(Diagnostic.Error(SynCodes.ExperimentFileInvalid, "Experiment file not found.", file));
        string text = System.IO.File.ReadAllText(file);
        var (positions, syntax) = JsonPositionIndex.Build(text, file);
        if (positions is null)
            throw new DiagnosticException(Diagnostic.Error(SynCodes.ExperimentFileInvalid, syntax!.Message, file, syntax.Line, syntax.Column));
        using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return new Reader(file, positions).Read(doc.RootElement);
    }

    private sealed class Reader(string file, JsonPositionIndex positions)
    {
        private readonly string _dir = Path.GetDirectoryName(file)!;

        private DiagnosticException Fail(string code, string path, string message, bool atKey = false)
        {
            var p = atKey ? positions.Key(path) : positions.Value(path);
            return new DiagnosticException(Diagnostic.Error(code, message, file, p.Line, p.Column));
        }

        private static string Join(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

        private void Keys(JsonElement obj, string path, string[] allowed, string what)
        {
            if (obj.ValueKind != JsonValueKind.Object) throw Fail(SynCodes.ExperimentFileInvalid, path, $"{what} must be a JSON object.");
            foreach (var p in obj.EnumerateObject())
                if (!allowed.Contains(p.Name))
                    throw Fail(SynCodes.ExperimentFileInvalid, Join(path, p.Name), $"Unknown key '{p.Name}' in {what} (expected one of {string.Join(", ", allowed.Where(a => a != "$schema"))}).", atKey: true);
        }

        private string? Str(JsonElement obj, string path, string key, string code = SynCodes.ExperimentFileInvalid)
        {
            if (!obj.TryGetProperty(key, out var v)) return null;
            if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
                throw Fail(code, Join(path, key), $"'{key}' must be a non-empty string.");
            return v.GetString()!;
        }

        private int? Int(JsonElement obj, string path, string key, int min, string code)
        {
            if (!obj.TryGetProperty(key, out var v)) return null;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n))
                throw Fail(code, Join(path, key), $"'{key}' must be an integer.");
            if (n < min) throw Fail(code, Join(path, key), $"'{key}' must be at least {min}, found {n}.");
            return n;
        }

        /// <summary>A path relative to the experiment file that must exist.</summary>
        private string ExistingFile(string relative, string path, string code, string what)
        {
            string full = Path.GetFullPath(Path.Combine(_dir, relative));
            if (!System.IO.File.Exists(full) && !Directory.Exists(full))
                throw Fail(code, path, $"{what} '{relative}' not found ({full}).");
            return full;
        }

        public ExperimentSpec Read(JsonElement root)
        {
            Keys(root, "", TopKeys, "the experiment");
            string name = Str(root, "", "name") ?? throw Fail(SynCodes.ExperimentFileInvalid, "", "The experiment needs a 'name'.");
            int? samples = Int(root, "", "samples", 1, SynCodes.ExperimentFileInvalid);

            // Recipe and seeds first: they are cheap to check and a bad one should not wait for the variants.
            var recipe = new ExperimentRecipe();
            if (root.TryGetProperty("recipe", out var r))
            {
                Keys(r, "recipe", RecipeKeys, "the recipe");
                string trainer = Str(r, "recipe", "trainer", SynCodes.ExperimentRecipeInvalid) ?? "probe";
                if (trainer != "probe")
                    throw Fail(SynCodes.ExperimentRecipeInvalid, "recipe.trainer", $"Trainer '{trainer}' is not supported: experiments train the probe detector (\"probe\").");
                const string c = SynCodes.ExperimentRecipeInvalid;
                int width = Int(r, "recipe", "width", 16, c) ?? recipe.Width, height = Int(r, "recipe", "height", 16, c) ?? recipe.Height;
                if (width % 16 != 0) throw Fail(c, "recipe.width", $"'width' must be a multiple of 16, found {width}.");
                if (height % 16 != 0) throw Fail(c, "recipe.height", $"'height' must be a multiple of 16, found {height}.");
                double lr = recipe.LearningRate;
                if (r.TryGetProperty("lr", out var lrv))
                {
                    if (lrv.ValueKind != JsonValueKind.Number || !(lrv.GetDouble() > 0) || !double.IsFinite(lrv.GetDouble()))
                        throw Fail(c, "recipe.lr", "'lr' must be a number greater than 0.");
                    lr = lrv.GetDouble();
                }
                recipe = new ExperimentRecipe(trainer, Int(r, "recipe", "epochs", 1, c) ?? recipe.Epochs, width, height,
                    Int(r, "recipe", "batch", 1, c) ?? recipe.Batch, lr, Int(r, "recipe", "threads", 0, c) ?? recipe.Threads);
            }

            var seeds = new List<ulong> { 1 };
            if (root.TryGetProperty("seeds", out var s))
            {
                if (s.ValueKind == JsonValueKind.Number)
                {
                    if (!s.TryGetInt32(out int k) || k < 1)
                        throw Fail(SynCodes.ExperimentRecipeInvalid, "seeds", $"'seeds' must be at least 1 (the number of models trained per variant), found {s.GetRawText()}.");
                    seeds = [.. Enumerable.Range(1, k).Select(i => (ulong)i)];
                }
                else if (s.ValueKind == JsonValueKind.Array)
                {
                    seeds = [];
                    int i = 0;
                    foreach (var e in s.EnumerateArray())
                    {
                        if (e.ValueKind != JsonValueKind.Number || !e.TryGetUInt64(out ulong v))
                            throw Fail(SynCodes.ExperimentRecipeInvalid, $"seeds[{i}]", "Each seed must be a non-negative integer.");
                        if (seeds.Contains(v)) throw Fail(SynCodes.ExperimentRecipeInvalid, $"seeds[{i}]", $"Seed {v} is listed twice.");
                        seeds.Add(v);
                        i++;
                    }
                    if (seeds.Count < 1) throw Fail(SynCodes.ExperimentRecipeInvalid, "seeds", "'seeds' must list at least one seed.");
                }
                else throw Fail(SynCodes.ExperimentRecipeInvalid, "seeds", "'seeds' must be a count (K ≥ 1) or a list of seeds.");
            }

            int resamples = DefaultResamples;
            ulong bootSeed = 1;
            if (root.TryGetProperty("bootstrap", out var b))
            {
                Keys(b, "bootstrap", BootstrapKeys, "bootstrap");
                resamples = Int(b, "bootstrap", "resamples", 100, SynCodes.ExperimentRecipeInvalid) ?? resamples;
                if (b.TryGetProperty("seed", out var bs))
                {
                    if (bs.ValueKind != JsonValueKind.Number || !bs.TryGetUInt64(out bootSeed))
                        throw Fail(SynCodes.ExperimentRecipeInvalid, "bootstrap.seed", "'seed' must be a non-negative integer.");
                }
            }

            var properties = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("properties", out var props))
            {
                if (props.ValueKind != JsonValueKind.Object) throw Fail(SynCodes.ExperimentFileInvalid, "properties", "'properties' must be an object of MSBuild property names to string values.");
                foreach (var p in props.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.String || !IsPropertyName(p.Name))
                        throw Fail(SynCodes.ExperimentFileInvalid, $"properties.{p.Name}", $"Property '{p.Name}' must be an MSBuild property name with a string value.");
                    if (p.Name is "SynthOutputDir" or "SynthLineageLog" or "SynthConfig" or "SynthConfigOverlay" or "SynthSamples")
                        throw Fail(SynCodes.ExperimentFileInvalid, $"properties.{p.Name}", $"'{p.Name}' is set by the experiment itself (per variant).", atKey: true);
                    properties[p.Name] = p.Value.GetString()!;
                }
            }

            if (!root.TryGetProperty("variants", out var vs) || vs.ValueKind != JsonValueKind.Array)
                throw Fail(SynCodes.ExperimentVariantsInvalid, root.TryGetProperty("variants", out _) ? "variants" : "", "The experiment needs 'variants': a list of at least two dataset variants.");
            var variants = new List<ExperimentVariant>();
            int vi = 0;
            foreach (var v in vs.EnumerateArray())
            {
                string vp = $"variants[{vi++}]";
                Keys(v, vp, VariantKeys, "a variant");
                string vname = Str(v, vp, "name", SynCodes.ExperimentVariantsInvalid) ?? throw Fail(SynCodes.ExperimentVariantsInvalid, vp, "A variant needs a 'name'.");
                if (!vname.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.') || vname is "." or "..")
                    throw Fail(SynCodes.ExperimentVariantsInvalid, vp + ".name", $"Variant name '{vname}' must be a folder name (letters, digits, '-', '_', '.').");
                if (variants.Any(x => x.Name == vname)) throw Fail(SynCodes.ExperimentVariantsInvalid, vp + ".name", $"Variant name '{vname}' is used twice.");
                string project = Str(v, vp, "project", SynCodes.ExperimentVariantsInvalid) ?? throw Fail(SynCodes.ExperimentVariantsInvalid, vp, $"Variant '{vname}' needs a 'project' (a .synthproj).");
                project = ExistingFile(project, vp + ".project", SynCodes.ExperimentVariantMissing, $"Variant '{vname}': project");
                if (!System.IO.File.Exists(project)) throw Fail(SynCodes.ExperimentVariantMissing, vp + ".project", $"Variant '{vname}': project '{project}' is a folder, not a project file.");
                string? config = Str(v, vp, "config");
                if (config is not null) config = ExistingFile(config, vp + ".config", SynCodes.ExperimentVariantMissing, $"Variant '{vname}': config");
                var overlays = new List<string>();
                if (v.TryGetProperty("overlays", out var ov))
                {
                    if (ov.ValueKind != JsonValueKind.Array) throw Fail(SynCodes.ExperimentFileInvalid, vp + ".overlays", "'overlays' must be a list of config overlay files.");
                    int oi = 0;
                    foreach (var o in ov.EnumerateArray())
                    {
                        string op = $"{vp}.overlays[{oi++}]";
                        if (o.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(o.GetString())) throw Fail(SynCodes.ExperimentFileInvalid, op, "An overlay must be a file path.");
                        overlays.Add(ExistingFile(o.GetString()!, op, SynCodes.ExperimentVariantMissing, $"Variant '{vname}': overlay"));
                    }
                }
                variants.Add(new ExperimentVariant(vname, project, config, overlays, Int(v, vp, "samples", 1, SynCodes.ExperimentFileInvalid), vp));
            }
            if (variants.Count < 2)
                throw Fail(SynCodes.ExperimentVariantsInvalid, "variants", $"An experiment compares at least two variants; '{name}' has {variants.Count}.");

            if (!root.TryGetProperty("target", out var t))
                throw Fail(SynCodes.ExperimentTargetInvalid, "", "The experiment needs a 'target': a dataset project or a labelled real set (COCO JSON and images).");
            Keys(t, "target", TargetKeys, "the target");
            string? tproject = Str(t, "target", "project", SynCodes.ExperimentTargetInvalid);
            string? coco = Str(t, "target", "coco", SynCodes.ExperimentTargetInvalid);
            string? images = Str(t, "target", "images", SynCodes.ExperimentTargetInvalid);
            if ((tproject is null) == (coco is null))
                throw Fail(SynCodes.ExperimentTargetInvalid, "target", "The target names either a dataset 'project' or a real set's 'coco' ground truth (with 'images'), not both or neither.");
            string split = Str(t, "target", "split", SynCodes.ExperimentTargetInvalid) ?? (tproject is not null ? "test" : "all");
            if (tproject is not null)
            {
                if (split is not ("train" or "val" or "test" or "all"))
                    throw Fail(SynCodes.ExperimentTargetInvalid, "target.split", $"'split' must be train, val, test or all, found '{split}'.");
                if (images is not null) throw Fail(SynCodes.ExperimentTargetInvalid, "target.images", "'images' belongs to a real set's 'coco' target; a dataset target's images are its own.");
                tproject = ExistingFile(tproject, "target.project", SynCodes.ExperimentTargetInvalid, "Target project");
            }
            else
            {
                coco = ExistingFile(coco!, "target.coco", SynCodes.ExperimentTargetInvalid, "Target ground truth");
                images = images is null ? Path.GetDirectoryName(coco)! : ExistingFile(images, "target.images", SynCodes.ExperimentTargetInvalid, "Target image folder");
            }
            var target = new ExperimentTarget(tproject, split, Int(t, "target", "samples", 1, SynCodes.ExperimentTargetInvalid), coco, images);

            return new ExperimentSpec(file, name, variants, recipe, seeds, target, samples, resamples, bootSeed, properties, positions);
        }

        private static bool IsPropertyName(string s) =>
            s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-');
    }
}
