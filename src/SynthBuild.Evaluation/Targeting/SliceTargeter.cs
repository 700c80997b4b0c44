using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Evaluation.Targeting;

/// <summary>One ranged key the overlay re-weights: its range, the failing bins and their probability before and after.</summary>
public sealed record TargetedKey(string ConfigPath, double Min, double Max, IReadOnlyList<(double Min, double Max)> FailingBins,
    double ShareBefore, double ShareAfter, IReadOnlyList<double> Edges, IReadOnlyList<double> Weights);

/// <summary>A scalar the overlay changes for an object-level failure mode (placement.truncation, distractors.count.max).</summary>
public sealed record TargetedScalar(string ConfigPath, double Before, double After, string Why);

/// <summary>What <see cref="SliceTargeter.Run"/> wrote: the overlay, what it changes and what it could not target.</summary>
public sealed record TargetResult(JsonObject Overlay, string? Parent, string Reason, IReadOnlyList<TargetedKey> Keys,
    IReadOnlyList<TargetedScalar> Scalars, IReadOnlyList<string> NotTargetable, IReadOnlyList<Diagnostic> Warnings);

/// <summary>
/// <c>synth target</c>: turns a slices report's failure modes into a config overlay that samples more of them
/// (docs/cli.md). A failure mode on a ranged key of the config (lighting.intensity, lighting.ambient, a category's
/// size…) gets weights on that key: the bins of the failing slice have their probability multiplied by 1 + strength,
/// capped so that they hold at most <see cref="MaxShare"/> of the range; within and outside them the distribution keeps
/// its shape (existing weights are split at the slice's edges and kept). Object-level failure modes map to what drives
/// them where the config has it: truncated objects → placement.truncation, occluded (low visibility) objects →
/// distractors.count; the rest are listed as not targetable in the overlay's reason.
/// </summary>
public static class SliceTargeter
{
    public const string SlicesSchema = "synthbuild.slices/1";
    /// <summary>The failing bins' probability is doubled by default.</summary>
    public const double DefaultStrength = 1.0;
    public const double MaxStrength = 10.0;
    /// <summary>The failing bins never get more than this share of their range, so the rest keeps ≥ 20%.</summary>
    public const double MaxShare = 0.8;

    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip };

    public static TargetResult Run(string slicesFile, string configFile, IReadOnlyList<string> overlays, double strength = DefaultStrength)
    {
        if (!(strength > 0 && strength <= MaxStrength))
            throw new DiagnosticException(Diagnostic.Error(SynCodes.TargetOptionInvalid,
                string.Create(CultureInfo.InvariantCulture, $"--strength must be above 0 and at most {MaxStrength}, found {strength}.")));
        // JSON only, no schema: the schema validator (NJsonSchema, reflection) has no place in the Native AOT `synth`.
        // The build validates the overlay like the config, naming the overlay's lines (docs/config.md).
        JsonObject config = EffectiveDocument(configFile, overlays);

        var (slices, positions) = ReadSlices(slicesFile);
        var failureModes = slices["failureModes"] as JsonArray ?? throw Invalid(slicesFile, positions, "", "it has no \"failureModes\" array.");
        string? parent = (slices["dataset"] as JsonObject)?["digest"] is JsonValue d && d.TryGetValue(out string? digest) ? digest : null;
        string? parentName = (slices["dataset"] as JsonObject)?["path"] is JsonValue pv && pv.TryGetValue(out string? path)
            ? Path.GetFileName(path.TrimEnd('/', '\\')) : null;

        var patch = new JsonObject();
        var keys = new Dictionary<string, TargetedKey>(StringComparer.Ordinal);
        var scalars = new List<TargetedScalar>();
        var targeted = new List<string>();
        var notTargetable = new List<string>();
        for (int i = 0; i < failureModes.Count; i++)
        {
            string at = $"failureModes[{i}]";
            if (failureModes[i] is not JsonObject fm) throw Invalid(slicesFile, positions, at, "a failure mode must be an object.");
            string dimension = Str(fm, "dimension") ?? throw Invalid(slicesFile, positions, at, "a failure mode needs \"dimension\".");
            string label = Str(fm, "label") ?? dimension;
            string text = Str(fm, "text") ?? $"{dimension} {label}";
            double? lo = Num(fm, "min"), hi = Num(fm, "max");
            string? configPath = Str(fm, "configPath");
            if (configPath is not null)
            {
                if (lo is null || hi is null || !(hi >= lo)) throw Invalid(slicesFile, positions, at, "a failure mode on a config key needs numbers \"min\" ≤ \"max\".");
                var key = Reweight(config, configPath, lo.Value, hi.Value, strength, keys.GetValueOrDefault(configPath),
                    slicesFile, positions.Value(at + ".configPath"), positions.Value(at));
                keys[configPath] = key;
                // Keep the key's weights in the working copy, so a second failure mode on it combines with these.
                SetPath(config, configPath, MergeRange(key));
                string top = Segments(configPath).First();
                if (config[top] is JsonArray)
                    patch[top] = config[top]!.DeepClone();  // a merge patch replaces arrays whole (categories[…].size)
                else
                    SetPath(patch, configPath, new JsonObject
                    {
                        ["weights"] = new JsonArray(key.Weights.Select(w => (JsonNode)JsonValue.Create(w)).ToArray()),
                        ["edges"] = new JsonArray(key.Edges.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()),
                    });
                targeted.Add(text);
            }
            else if (ObjectLevel(config, dimension, lo, hi, strength, patch, scalars) is { } why)
                notTargetable.Add($"{dimension} {label} ({why})");
            else targeted.Add(text);
        }

        var warnings = new List<Diagnostic>();
        if (keys.Count == 0 && scalars.Count == 0)
            warnings.Add(Diagnostic.Warning(SynCodes.TargetNothingTargetable,
                failureModes.Count == 0 ? "The slices report lists no failure mode: the overlay changes nothing."
                    : "No failure mode maps to a ranged key of the config: the overlay changes nothing and says why in its reason.", slicesFile));
        string reason = (targeted.Count > 0 ? "Targeted: " + string.Join("; ", targeted) + "." : "Nothing targeted.")
            + (notTargetable.Count > 0 ? " Not targetable: " + string.Join("; ", notTargetable) + "." : "");

        var overlay = new JsonObject
        {
            [ConfigOverlay.ProvenanceKey] = new JsonObject { ["dataset"] = parent, ["name"] = parentName, ["reason"] = reason },
        };
        foreach (var (k, v) in patch.ToList())
        {
            patch.Remove(k);
            overlay[k] = v;
        }
        return new TargetResult(overlay, parent, reason, keys.Values.ToList(), scalars, notTargetable, warnings);
    }

    /// <summary>Writes the overlay (indented JSON, readable reasons: "200–360", not "200\u2013360") atomically: an
    /// existing file is replaced whole or not at all.</summary>
    public static void Write(TargetResult result, string outputFile)
    {
        string full = Path.GetFullPath(outputFile);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        SynthBuild.Core.Storage.AtomicFile.Write(full, System.Text.Encoding.UTF8.GetBytes(
            result.Overlay.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n"));
    }

    /// <summary>The config with its overlays merged (provenance blocks left out), as JSON nodes; a file that is
    /// missing, not JSON or not an object is the error the build would give for it.</summary>
    private static JsonObject EffectiveDocument(string configFile, IReadOnlyList<string> overlays)
    {
        JsonNode? doc = null;
        foreach (var (file, isConfig) in overlays.Select(o => (o, false)).Prepend((configFile, true)))
        {
            string text;
            try { text = File.ReadAllText(file); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new DiagnosticException(Diagnostic.Error(isConfig ? SynCodes.ConfigFileNotFound : SynCodes.OverlayNotFound,
                    File.Exists(file) ? $"Cannot read {file}: {ex.Message}" : $"Not found: '{file}'.", file));
            }
            var (_, syntax) = JsonPositionIndex.Build(text, file);
            if (syntax is not null) throw new DiagnosticException(syntax);
            if (JsonNode.Parse(text, documentOptions: Options) is not JsonObject o)
                throw new DiagnosticException(Diagnostic.Error(isConfig ? SynCodes.ConfigWrongType : SynCodes.OverlayNotObject,
                    "Expected a JSON object at the top level.", file, 1, 1));
            o.Remove(ConfigOverlay.ProvenanceKey);
            doc = doc is null ? o : ConfigOverlay.MergePatch(doc, o);
        }
        return doc!.AsObject();
    }

    private static (JsonObject Slices, JsonPositionIndex Positions) ReadSlices(string file)
    {
        string text;
        try { text = File.ReadAllText(file); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DiagnosticException(Diagnostic.Error(SynCodes.SlicesInvalid,
                File.Exists(file) ? $"Cannot read the slices report: {ex.Message}" : $"Slices report not found: '{file}'.", file));
        }
        var (positions, syntax) = JsonPositionIndex.Build(text, file);
        if (syntax is not null) throw new DiagnosticException(syntax with { Code = SynCodes.SlicesInvalid, Message = "Slices report: " + syntax.Message });
        if (JsonNode.Parse(text, documentOptions: Options) is not JsonObject slices) throw Invalid(file, positions!, "", "expected a JSON object.");
        string? schema = Str(slices, "schema");
        if (schema != SlicesSchema)
            throw Invalid(file, positions!, slices.ContainsKey("schema") ? "schema" : "",
                schema is null ? $"no \"schema\": expected \"{SlicesSchema}\" (reports/slices.json)." : $"schema \"{schema}\" is not \"{SlicesSchema}\".");
        return (slices, positions!);
    }

    private static DiagnosticException Invalid(string file, JsonPositionIndex positions, string path, string message)
    {
        var p = positions.Value(path);
        return new DiagnosticException(Diagnostic.Error(SynCodes.SlicesInvalid,
            $"Slices report{(path.Length > 0 ? " " + path : "")}: {message}", file, p.Line, p.Column));
    }

    /// <summary>The new weights of <paramref name="configPath"/> with [lo, hi] favoured.</summary>
    private static TargetedKey Reweight(JsonObject config, string configPath, double lo, double hi, double strength,
        TargetedKey? earlier, string slicesFile, SourcePosition keyAt, SourcePosition modeAt)
    {
        Diagnostic At(string code, SourcePosition p, string message) => Diagnostic.Error(code, message, slicesFile, p.Line, p.Column);
        if (IntRanges.Contains(configPath))
            throw new DiagnosticException(At(SynCodes.TargetKeyNotInConfig, keyAt,
                $"configPath '{configPath}' is an integer range, which takes no weights; only real-valued ranges can be targeted."));
        ValueRange range = RangeAt(config, configPath)
            ?? throw new DiagnosticException(At(SynCodes.TargetKeyNotInConfig, keyAt,
                $"configPath '{configPath}' is not a ranged key (an object with min and max) of the config; set it in the config to target it."));
        double min = range.Min, max = range.Max;
        double a = Math.Max(lo, min), b = Math.Min(hi, max);
        if (!(b > a))
            throw new DiagnosticException(At(SynCodes.TargetBinOutsideRange, modeAt, string.Create(CultureInfo.InvariantCulture,
                $"the failing bin [{lo}, {hi}] of '{configPath}' does not overlap the config's range [{min}, {max}]; the slices were computed on another config.")));

        // The current distribution as bins (uniform: one bin), split at the failing bin's edges.
        double[] edges = range.Bins is { } bins ? [.. bins.Edges] : [min, max];
        double[] probs = range.Bins is { } bins2 ? [.. bins2.Probabilities] : [1.0];
        var cuts = edges.Concat(new[] { a, b }.Where(x => x > min && x < max)).Distinct().Order().ToArray();
        var p = new double[cuts.Length - 1];
        for (int j = 0; j < p.Length; j++)
        {
            int i = Math.Max(0, Array.FindLastIndex(edges, e => e <= cuts[j]));
            i = Math.Min(i, probs.Length - 1);
            p[j] = probs[i] * (cuts[j + 1] - cuts[j]) / (edges[i + 1] - edges[i]);
        }
        bool[] failing = Enumerable.Range(0, p.Length).Select(j => cuts[j] >= a && cuts[j + 1] <= b).ToArray();
        double share = p.Where((_, j) => failing[j]).Sum();
        double factor = 1 + strength;
        // Capped: the failing bins hold at most MaxShare, so the rest of the range keeps its mass (and its shape).
        if (share > 0 && share < 1) factor = Math.Max(1, Math.Min(factor, MaxShare * (1 - share) / (share * (1 - MaxShare))));
        else factor = 1;
        for (int j = 0; j < p.Length; j++) if (failing[j]) p[j] *= factor;
        double total = p.Sum();
        double[] weights = p.Select(x => Round(x / total)).ToArray();
        if (weights.Length > RangeBins.MaxBins)
            throw new DiagnosticException(At(SynCodes.TargetBinOutsideRange, modeAt,
                $"'{configPath}' would need {weights.Length} bins; at most {RangeBins.MaxBins} are allowed."));
        // Before: the share of the failing bins in the config's own distribution (earlier failure modes on the key
        // added theirs); after: the share of every failing bin of the key in the overlay's.
        var failingBins = (earlier?.FailingBins ?? []).Append((a, b)).ToList();
        double after = weights.Where((_, j) => failingBins.Any(f => cuts[j] >= f.Item1 && cuts[j + 1] <= f.Item2)).Sum();
        return new TargetedKey(configPath, min, max, failingBins, (earlier?.ShareBefore ?? 0) + share, after, cuts, weights);
    }

    private static double Round(double x) => double.Parse(x.ToString("G9", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>The range at a config path: from the config's JSON (with its weights), else the spec's default for the
    /// lighting keys every config has.</summary>
    /// <summary>Integer ranges (docs/config.md: no weights).</summary>
    private static readonly string[] IntRanges = ["objectsPerScene", "distractors.count", "lighting.pointLights.count"];

    private static ValueRange? RangeAt(JsonObject config, string configPath)
    {
        if (Find(config, configPath) is JsonNode node)
        {
            if (node is not JsonObject r || Num(r, "min") is not double min || Num(r, "max") is not double max) return null;
            double[]? w = (r["weights"] as JsonArray)?.Select(x => x!.GetValue<double>()).ToArray();
            double[]? e = (r["edges"] as JsonArray)?.Select(x => x!.GetValue<double>()).ToArray();
            return new ValueRange(min, max, w is null ? null : RangeBins.Create(min, max, w, e));
        }
        return configPath switch
        {
            "lighting.intensity" => DatasetSpec.Defaults.LightIntensity,
            "lighting.ambient" => DatasetSpec.Defaults.Ambient,
            "lighting.elevation" => DatasetSpec.Defaults.LightElevation,
            _ => null,
        };
    }

    /// <summary>The range object as the overlay leaves it (min and max kept, for the next failure mode on the key).</summary>
    private static JsonObject MergeRange(TargetedKey key) => new()
    {
        ["min"] = key.Min, ["max"] = key.Max,
        ["weights"] = new JsonArray(key.Weights.Select(w => (JsonNode)JsonValue.Create(w)).ToArray()),
        ["edges"] = new JsonArray(key.Edges.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()),
    };

    /// <summary>
    /// Truncated objects → placement.truncation moves toward <see cref="MaxShare"/> by strength/(1+strength);
    /// occluded objects (a visibility bin below 1) → distractors.count.max × (1 + strength), when the config has
    /// distractors. Returns why not, or null when targeted.
    /// </summary>
    private static string? ObjectLevel(JsonObject config, string dimension, double? lo, double? hi, double strength, JsonObject patch, List<TargetedScalar> scalars)
    {
        string dim = dimension.ToLowerInvariant();
        if (dim.Contains("trunc", StringComparison.Ordinal))
        {
            if (lo is not > 0) return "the failing slice is the untruncated objects";
            double before = Find(config, "placement.truncation") is JsonValue v && v.TryGetValue(out double t) ? t : 0;
            if (before >= MaxShare) return $"placement.truncation is already {before.ToString(CultureInfo.InvariantCulture)}";
            double after = Round(before + (MaxShare - before) * strength / (1 + strength));
            SetPath(patch, "placement.truncation", JsonValue.Create(after));
            SetPath(config, "placement.truncation", JsonValue.Create(after));
            scalars.Add(new TargetedScalar("placement.truncation", before, after, dimension));
            return null;
        }
        if (dim.Contains("visib", StringComparison.Ordinal) || dim.Contains("occlu", StringComparison.Ordinal))
        {
            bool occluded = dim.Contains("visib", StringComparison.Ordinal) ? hi is < 1 : lo is > 0;
            if (!occluded) return "the failing slice is the unoccluded objects";
            if (config["distractors"] is not JsonObject distractors) return "occlusion comes from distractors, and the config has none";
            long max = Find(config, "distractors.count.max") is JsonValue mv && mv.TryGetValue(out long m) ? m : 3;
            long min = Find(config, "distractors.count.min") is JsonValue nv && nv.TryGetValue(out long n) ? n : 1;
            long after = Math.Min(100, (long)Math.Ceiling(max * (1 + strength)));
            if (after <= max) return "distractors.count is at its largest";
            SetPath(patch, "distractors.count", new JsonObject { ["min"] = min, ["max"] = after });
            SetPath(config, "distractors.count", new JsonObject { ["min"] = min, ["max"] = after });
            scalars.Add(new TargetedScalar("distractors.count.max", max, after, dimension));
            _ = distractors;
            return null;
        }
        return "no config key drives it";
    }

    /// <summary>A value by path: "lighting.intensity", "categories[0].size" or "categories.box.size" (by name).</summary>
    private static JsonNode? Find(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (string segment in Segments(path))
        {
            node = node switch
            {
                JsonObject o => o[segment],
                JsonArray a when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out int i) => i < a.Count ? a[i] : null,
                JsonArray a => a.FirstOrDefault(x => x is JsonObject xo && xo["name"] is JsonValue nv && nv.TryGetValue(out string? n) && n == segment),
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }

    /// <summary>Sets a value by path, creating objects on the way; array segments address the config's array by
    /// index or name (an overlay replaces arrays whole, so the patch gets a copy of the config's array).</summary>
    private static void SetPath(JsonObject root, string path, JsonNode value)
    {
        var segments = Segments(path).ToList();
        JsonNode node = root;
        for (int i = 0; i < segments.Count - 1; i++)
        {
            string s = segments[i];
            JsonNode? next = node switch
            {
                JsonObject o => o[s],
                JsonArray a when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int k) => a[k],
                JsonArray a => a.First(x => x is JsonObject xo && xo["name"]?.GetValue<string>() == s),
                _ => null,
            };
            if (next is null)
            {
                next = new JsonObject();
                ((JsonObject)node)[s] = next;
            }
            node = next;
        }
        ((JsonObject)node)[segments[^1]] = value.Parent is null ? value : value.DeepClone();
    }

    private static IEnumerable<string> Segments(string path) =>
        path.Replace("]", "", StringComparison.Ordinal).Split(['.', '['], StringSplitOptions.RemoveEmptyEntries);

    private static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static double? Num(JsonObject o, string key) => o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;
}
