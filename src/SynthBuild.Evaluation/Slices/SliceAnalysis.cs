using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Randomness;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Storage;

namespace SynthBuild.Evaluation.Slices;

public sealed record SliceOptions
{
    /// <summary>A slice with fewer ground-truth objects is reported with enough = false and never ranked.</summary>
    public int MinObjects { get; init; } = 25;
    /// <summary>Bootstrap resamples over images for the 95% intervals.</summary>
    public int Resamples { get; init; } = 200;
    public ulong Seed { get; init; } = 1;
    /// <summary>Equal-width bins over a ranged config key without bins of its own; quantile bins elsewhere.</summary>
    public int Bins { get; init; } = 5;
}

/// <param name="CiLow">95% bootstrap interval of AP50 (<paramref name="CiLow"/>, <paramref name="CiHigh"/>) and of
/// the recall (<paramref name="RecallCiLow"/>, <paramref name="RecallCiHigh"/>).</param>
public sealed record SliceMetrics(double Ap, double Ap50, double Recall, double CiLow, double CiHigh, int Images, int Objects,
    double RecallCiLow = double.NaN, double RecallCiHigh = double.NaN);

public sealed record Slice(string Label, double? Min, double? Max, string? Value, SliceMetrics Metrics, bool Enough);

public sealed record SliceDimension(string Name, string Level, string? ConfigPath, string Unit, IReadOnlyList<Slice> Slices);

/// <param name="Metric">What the slice is judged by: "AP50" for image-level slices, "recall" for object-level ones
/// (a false positive cannot be attributed to an object's slice, so an object-level AP is biased low against the
/// overall AP; recall is not). <paramref name="CiLow"/>–<paramref name="CiHigh"/> and <paramref name="Gap"/> are that
/// metric's; <paramref name="Ap50"/> is the slice's AP50 either way.</param>
public sealed record FailureMode(string Dimension, string? ConfigPath, string Label, double? Min, double? Max, double Ap50, double CiLow, double CiHigh, double Gap, string Text,
    string Metric = "AP50", double Value = double.NaN);

public sealed record SliceReport(string DatasetPath, string Digest, string Detections, string Split, SliceMetrics Overall,
    IReadOnlyList<SliceDimension> Dimensions, IReadOnlyList<FailureMode> FailureModes, double Seconds, int Resamples)
{
    public const string Schema = "synthbuild.slices/1";

    public byte[] ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("schema", Schema);
            w.WriteStartObject("dataset");
            w.WriteString("path", DatasetPath);
            w.WriteString("digest", Digest);
            w.WriteEndObject();
            w.WriteString("detections", Detections);
            w.WriteString("split", Split);
            w.WriteString("metric", "AP50");
            w.WriteStartObject("overall");
            Metrics(w, Overall);
            w.WriteEndObject();
            w.WriteStartArray("dimensions");
            foreach (var d in Dimensions)
            {
                w.WriteStartObject();
                w.WriteString("name", d.Name);
                w.WriteString("level", d.Level);
                if (d.ConfigPath is null) w.WriteNull("configPath"); else w.WriteString("configPath", d.ConfigPath);
                w.WriteString("unit", d.Unit);
                w.WriteStartArray("slices");
                foreach (var s in d.Slices)
                {
                    w.WriteStartObject();
                    w.WriteString("label", s.Label);
                    if (s.Min is double lo) w.WriteNumber("min", lo); else w.WriteNull("min");
                    if (s.Max is double hi) w.WriteNumber("max", hi); else w.WriteNull("max");
                    if (s.Value is string v) w.WriteString("value", v);
                    Metrics(w, s.Metrics);
                    w.WriteBoolean("enough", s.Enough);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("failureModes");
            foreach (var f in FailureModes)
            {
                w.WriteStartObject();
                w.WriteString("dimension", f.Dimension);
                if (f.ConfigPath is null) w.WriteNull("configPath"); else w.WriteString("configPath", f.ConfigPath);
                w.WriteString("label", f.Label);
                if (f.Min is double lo) w.WriteNumber("min", lo); else w.WriteNull("min");
                if (f.Max is double hi) w.WriteNumber("max", hi); else w.WriteNull("max");
                w.WriteString("metric", f.Metric);
                Num(w, "value", f.Value);
                w.WriteNumber("ap50", R(f.Ap50));
                Ci(w, f.CiLow, f.CiHigh);
                w.WriteNumber("gap", R(f.Gap));
                w.WriteString("text", f.Text);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("bootstrap");
            w.WriteNumber("resamples", Resamples);
            w.WriteString("unit", "image");
            w.WriteNumber("seconds", Math.Round(Seconds, 2));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    private static double R(double v) => Math.Round(v, 6);

    /// <summary>A metric, or null where it is undefined (a slice without ground truth: COCO's -1; no interval).</summary>
    private static void Num(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v) && v >= 0) w.WriteNumber(name, R(v)); else w.WriteNull(name);
    }

    private static void Metrics(Utf8JsonWriter w, SliceMetrics m)
    {
        Num(w, "ap", m.Ap);
        Num(w, "ap50", m.Ap50);
        Num(w, "recall", m.Recall);
        Ci(w, m.CiLow, m.CiHigh);
        Ci(w, m.RecallCiLow, m.RecallCiHigh, "recallCi");
        w.WriteNumber("images", m.Images);
        w.WriteNumber("objects", m.Objects);
    }

    private static void Ci(Utf8JsonWriter w, double lo, double hi, string name = "ci")
    {
        if (!double.IsFinite(lo) || !double.IsFinite(hi)) { w.WriteNull(name); return; }
        w.WriteStartArray(name);
        w.WriteNumberValue(R(lo));
        w.WriteNumberValue(R(hi));
        w.WriteEndArray();
    }

    /// <summary>The failure modes as sentences, one a line (the CLI's and the report's wording).</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"slices: {Split}, {Overall.Images} images, {Overall.Objects} objects, AP50 {Overall.Ap50:F2} [{Overall.CiLow:F2}–{Overall.CiHigh:F2}] overall ({Seconds:F1} s, {Resamples} resamples)\n");
        if (FailureModes.Count == 0) sb.Append("slices: no failure mode: no slice with enough objects is significantly below the overall AP50 (image slices) or recall (object slices)\n");
        foreach (var f in FailureModes) sb.Append("failure mode: ").Append(f.Text).Append('\n');
        return sb.ToString();
    }
}

/// <summary>
/// Per-slice evaluation of a detector's results on a split (docs/models.md "Failure-mode slices"). Image-level
/// dimensions evaluate the images of the slice; object-level ones evaluate every image with the objects outside the
/// slice ignored (<see cref="CocoEvaluator.IgnoreGroundTruth"/>). Intervals: a seeded percentile bootstrap over images.
/// </summary>
public static class SliceAnalysis
{
    private sealed record Dim(string Name, string Level, string? ConfigPath, string Unit, string Display, List<Bin> Bins);

    /// <summary>A slice's members: images (image level) or ground-truth annotation ids (object level).</summary>
    private sealed record Bin(string Label, double? Min, double? Max, string? Value, HashSet<long> Members, string Qualifier, bool Named = false);

    /// <exception cref="DiagnosticException">SYN8301 (inputs), SYN8302 (detections outside the split), SYN8303 (options).</exception>
    public static SliceReport Run(DatasetReader reader, DatasetSpec spec, AssetLibrary assets, CocoGroundTruth gt, byte[] detections,
        string detectionsFile, string split, SliceOptions? options = null)
    {
        var o = options ?? new SliceOptions();
        if (o.MinObjects < 1) throw new DiagnosticException(Diagnostic.Error(SynCodes.SlicesOptionInvalid, $"--min-objects must be 1 or more, found {o.MinObjects}."));
        if (o.Resamples < 10 || o.Resamples > 10000) throw new DiagnosticException(Diagnostic.Error(SynCodes.SlicesOptionInvalid, $"--resamples must be between 10 and 10000, found {o.Resamples}."));
        var clock = Stopwatch.StartNew();
        CheckImages(reader, gt, detections, detectionsFile, split);
        var dt = CocoDetections.Parse(detections, detectionsFile, gt);
        var (images, objects) = SliceFeatures.Extract(reader, spec, assets, gt);
        var dims = Dimensions(spec, images, objects, o.Bins);

        var imageIds = images.Select(i => i.ImageId).ToArray();
        var objectsPerImage = objects.GroupBy(x => x.ImageId).ToDictionary(g => g.Key, g => g.Count());
        var dtByImage = dt.Detections.GroupBy(d => d.ImageId).ToDictionary(g => g.Key, g => g.ToList());
        var gtByImage = gt.Annotations.GroupBy(a => a.ImageId).ToDictionary(g => g.Key, g => g.ToList());

        // Resample b of every slice draws from its own stream (seed, b): deterministic, independent of the order
        // the slices are measured in.
        var root = RandomStream.FromState(o.Seed);

        // Matching is per image, so one evaluation (per set of ignored objects) serves every resample: a resample only
        // re-accumulates the chosen images' matches (CocoEvaluator.WeightedAp).
        var whole = new CocoEvaluator(gt, dt, IouType.Bbox);
        whole.Evaluate();
        var position = new Dictionary<long, int>();
        for (int j = 0; j < whole.ImageIds.Length; j++) position[whole.ImageIds[j]] = j;

        SliceMetrics Measure(HashSet<long>? imageSet, HashSet<long>? objectSet)
        {
            // Image level: only the slice's images, each resample drawing among them; object level: every image.
            long[] members = imageSet is null ? imageIds : imageIds.Where(imageSet.Contains).ToArray();
            int nObjects = members.Sum(id => objectSet is null
                ? objectsPerImage.GetValueOrDefault(id)
                : gtByImage.GetValueOrDefault(id)?.Count(a => objectSet.Contains(a.Id)) ?? 0);
            var (ap, ap50, recall) = Evaluate(gt, dtByImage, gtByImage, members, objectSet, dt);
            CocoEvaluator ev = whole;
            if (objectSet is not null)
            {
                ev = new CocoEvaluator(gt, dt, IouType.Bbox) { IgnoreGroundTruth = g => !objectSet.Contains(g.Id) };
                ev.Evaluate();
            }
            int[] pool = members.Select(id => position[id]).ToArray();
            var values = new List<double>(o.Resamples);
            var recalls = new List<double>(o.Resamples);
            var weights = new int[whole.ImageIds.Length];
            for (int b = 0; b < o.Resamples && pool.Length > 0; b++)
            {
                var draw = root.Derive("resample", b);
                Array.Clear(weights);
                for (int j = 0; j < pool.Length; j++) weights[pool[draw.NextInt(0, pool.Length - 1)]]++;
                var (_, v, r) = ev.WeightedAp(weights);
                if (v >= 0) values.Add(v);
                if (r >= 0) recalls.Add(r);
            }
            var (lo, hi) = Interval(values, ap50);
            var (rlo, rhi) = Interval(recalls, recall);
            return new SliceMetrics(ap, ap50, recall, lo, hi, members.Length, nObjects, rlo, rhi);
        }

        static (double Lo, double Hi) Interval(List<double> values, double point)
        {
            values.Sort();
            double lo = values.Count > 0 ? values[(int)Math.Floor(0.025 * (values.Count - 1))] : double.NaN;
            double hi = values.Count > 0 ? values[(int)Math.Ceiling(0.975 * (values.Count - 1))] : double.NaN;
            // A percentile interval can miss a point estimate on a skewed distribution; widen it to include it.
            if (point >= 0 && values.Count > 0) { lo = Math.Min(lo, point); hi = Math.Max(hi, point); }
            return (lo, hi);
        }

        var overall = Measure(null, null);
        var outDims = new List<SliceDimension>();
        var modes = new List<FailureMode>();
        foreach (var d in dims)
        {
            var slices = new List<Slice>();
            foreach (var bin in d.Bins)
            {
                var m = d.Level == "image" ? Measure(bin.Members, null) : Measure(null, bin.Members);
                bool enough = m.Objects >= o.MinObjects;
                slices.Add(new Slice(bin.Label, bin.Min, bin.Max, bin.Value, m, enough));
                // Image slices by AP50; object slices by recall: every unmatched detection stays a false positive in
                // each object slice, which would put almost any of them below the overall AP50.
                bool byRecall = d.Level == "object";
                var (metric, value, ciLow, ciHigh, reference) = byRecall
                    ? ("recall", m.Recall, m.RecallCiLow, m.RecallCiHigh, overall.Recall)
                    : ("AP50", m.Ap50, m.CiLow, m.CiHigh, overall.Ap50);
                if (enough && value >= 0 && ciHigh < reference)
                {
                    string unit = d.Unit.Length > 0 && bin.Value is null && !bin.Named ? " " + d.Unit : "";
                    string text = string.Create(CultureInfo.InvariantCulture,
                        $"{metric} {value:F2} [{ciLow:F2}–{ciHigh:F2}] for {d.Display} {bin.Label}{unit}{bin.Qualifier}, against {reference:F2} overall ({m.Objects} objects in {m.Images} images)");
                    modes.Add(new FailureMode(d.Name, d.ConfigPath, bin.Label, bin.Min, bin.Max, m.Ap50, ciLow, ciHigh, reference - value, text, metric, value));
                }
            }
            outDims.Add(new SliceDimension(d.Name, d.Level, d.ConfigPath, d.Unit, slices));
        }
        modes.Sort((a, b) => b.Gap.CompareTo(a.Gap));
        return new SliceReport(reader.Root, reader.Manifest.Digest, detectionsFile, split, overall, outDims, modes, clock.Elapsed.TotalSeconds, o.Resamples);
    }

    /// <summary>AP, AP50 and pooled recall@0.5 of the given images (repeats allowed: each copy is its own image),
    /// with the ground truths outside <paramref name="objectSet"/> ignored when it is given.</summary>
    internal static (double Ap, double Ap50, double Recall) Evaluate(CocoGroundTruth gt, Dictionary<long, List<CocoAnnotation>> dtByImage,
        Dictionary<long, List<CocoAnnotation>> gtByImage, long[] chosen, HashSet<long>? objectSet, CocoDetections dt)
    {
        var images = new List<CocoImage>(chosen.Length);
        var anns = new List<CocoAnnotation>();
        var dets = new List<CocoAnnotation>();
        var ignored = new HashSet<CocoAnnotation>(ReferenceEqualityComparer.Instance);
        var seen = new HashSet<long>();
        bool remap = false;
        foreach (long id in chosen) if (!seen.Add(id)) { remap = true; break; }
        long nextAnn = 1;
        for (int j = 0; j < chosen.Length; j++)
        {
            long src = chosen[j];
            long imageId = remap ? j + 1 : src;
            var img = gt.ImagesById[src];
            images.Add(remap ? new CocoImage { Id = imageId, Height = img.Height, Width = img.Width, FileName = img.FileName } : img);
            foreach (var a in gtByImage.GetValueOrDefault(src) ?? [])
            {
                var copy = remap ? Copy(a, imageId, nextAnn++) : a;
                anns.Add(copy);
                if (objectSet is not null && !objectSet.Contains(a.Id)) ignored.Add(copy);
            }
            foreach (var d in dtByImage.GetValueOrDefault(src) ?? []) dets.Add(remap ? Copy(d, imageId, d.Id) : d);
        }
        var subGt = CocoGroundTruth.Create(gt.File, images, anns, gt.Categories);
        var subDt = CocoDetections.Create(dt.File, dets, dt.BoxResults);
        var ev = new CocoEvaluator(subGt, subDt, IouType.Bbox) { IgnoreGroundTruth = objectSet is null ? null : ignored.Contains };
        var stats = ev.Run();
        return (stats[0], stats[1], ev.PooledRecall50());
    }

    private static CocoAnnotation Copy(CocoAnnotation a, long imageId, long id) => new()
    {
        Index = a.Index, Id = id, ImageId = imageId, CategoryId = a.CategoryId, Area = a.Area, IsCrowd = a.IsCrowd,
        Bbox = a.Bbox, Segmentation = a.Segmentation, Score = a.Score, IsDetection = a.IsDetection,
    };

    /// <summary>SYN8302 when a detection names an image that is not in the split's ground truth.</summary>
    private static void CheckImages(DatasetReader reader, CocoGroundTruth gt, byte[] detections, string file, string split)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(detections); }
        catch (JsonException) { return; } // the COCO loader reports the syntax error with its position
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return;
            int i = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("image_id", out var idEl) && idEl.TryGetInt64(out long id) && !gt.ImagesById.ContainsKey(id))
                {
                    long index = id - 1;
                    string where = reader.Indices.Contains(index)
                        ? $"sample {index}, which is in the {DatasetSplits.Name(reader.SplitOf(index))} split"
                        : "no sample of this dataset";
                    throw new DiagnosticException(Diagnostic.Error(SynCodes.SlicesDetectionsOutsideSplit,
                        $"entry {i}: image_id {id} is not an image of the {split} split ({where}); pass the {split} split's detections.", file));
                }
                i++;
            }
        }
    }

    private static List<Dim> Dimensions(DatasetSpec spec, List<ImageFeatures> images, List<ObjectFeatures> objects, int nBins)
    {
        var dims = new List<Dim>();
        var l = spec.Lighting;
        dims.Add(Ranged("lighting.intensity", "lighting.intensity", "lx", "light intensity", l.Intensity, images, i => i.Intensity, nBins, "darkest bin", "brightest bin"));
        dims.Add(Ranged("lighting.ambient", "lighting.ambient", "", "ambient light", l.Ambient, images, i => i.Ambient, nBins, "darkest bin", "brightest bin"));
        if (l.ColorTemperature is ValueRange k)
            dims.Add(Ranged("lighting.colorTemperature", "lighting.colorTemperature", "K", "colour temperature", k, images, i => i.ColorTemperature ?? k.Min, nBins, "warmest bin", "coolest bin"));
        dims.Add(Categorical("background.tablePattern", "image", "background.tablePatterns", "table pattern",
            images.Select(i => (i.ImageId, i.TablePattern.ToString().ToLowerInvariant()))));
        if (spec.DistractorsOrNone.Count.Max > 0)
            dims.Add(Categorical("distractors.present", "image", "distractors.count", "distractors",
                images.Select(i => (i.ImageId, i.Distractors > 0 ? "present" : "absent"))));
        if (spec.Curriculum is { Schedule: not CurriculumSchedule.None })
            dims.Add(Ranged("curriculum.difficulty", null, "", "curriculum difficulty", new ValueRange(0, 1), images, i => i.Difficulty, nBins, "easiest bin", "hardest bin"));

        dims.Add(Fixed("object.visibility", "", "visibility", objects, x => x.Visibility, [0, 0.25, 0.5, 0.75, 0.95, 1], "most occluded bin", "least occluded bin"));
        dims.Add(Fixed("object.truncation", "", "truncation", objects, x => x.Truncation, [0, 1e-9, 0.25, 0.5, 1], "", "most truncated bin", firstLabel: "none"));
        // COCO's area ranges (small < 32², medium < 96², large), as sqrt(area) in pixels.
        dims.Add(Fixed("object.size", "px", "box size", objects, x => Math.Sqrt(x.Area), [0, 32, 96, double.PositiveInfinity], "smallest bin", "largest bin",
            labels: ["small (< 32 px)", "medium (32–96 px)", "large (≥ 96 px)"]));
        dims.Add(Quantile("object.distance", "m", "camera distance", objects, x => x.Distance, nBins));
        dims.Add(Categorical("object.category", "object", "categories", "category", objects.Select(x => (x.AnnotationId, x.Category))));
        return dims;
    }

    private static Dim Ranged(string name, string? configPath, string unit, string display, ValueRange range, List<ImageFeatures> images,
        Func<ImageFeatures, double> value, int nBins, string lowQualifier, string highQualifier)
    {
        // A weighted range's own bin edges, so each slice is one of the config's bins; else equal-width bins.
        double[] edges = range.Bins is RangeBins rb ? [.. rb.Edges]
            : range.Max > range.Min ? Enumerable.Range(0, nBins + 1).Select(i => i == nBins ? range.Max : range.Min + (range.Max - range.Min) * i / nBins).ToArray()
            : [range.Min, range.Max];
        return new Dim(name, "image", configPath, unit, display, Binned(edges, images.Select(i => (i.ImageId, value(i))), lowQualifier, highQualifier, null));
    }

    private static Dim Fixed(string name, string unit, string display, List<ObjectFeatures> objects, Func<ObjectFeatures, double> value,
        double[] edges, string lowQualifier, string highQualifier, string? firstLabel = null, string[]? labels = null)
    {
        var bins = Binned(edges, objects.Select(x => (x.AnnotationId, value(x))), lowQualifier, highQualifier, labels);
        if (firstLabel is not null) bins[0] = bins[0] with { Label = firstLabel, Named = true };
        return new Dim(name, "object", null, unit, display, bins);
    }

    private static Dim Quantile(string name, string unit, string display, List<ObjectFeatures> objects, Func<ObjectFeatures, double> value, int nBins)
    {
        var sorted = objects.Select(value).Order().ToArray();
        var edges = new List<double>();
        if (sorted.Length > 0)
        {
            for (int i = 0; i <= nBins; i++) edges.Add(i == nBins ? sorted[^1] : sorted[(int)((long)i * (sorted.Length - 1) / nBins)]);
            edges = edges.Distinct().ToList();
            if (edges.Count == 1) edges.Add(edges[0]);
        }
        else edges = [0, 0];
        // Rounded edges for readable labels; the bins use the same rounded values.
        var rounded = edges.Select(e => Math.Round(e, 3)).ToArray();
        rounded[0] = Math.Min(rounded[0], edges[0]);
        rounded[^1] = Math.Max(rounded[^1], edges[^1]);
        return new Dim(name, "object", null, unit, display,
            Binned(rounded, objects.Select(x => (x.AnnotationId, value(x))), "nearest bin", "farthest bin", null));
    }

    /// <summary>Bins [e0, e1), [e1, e2), …, [e(n-1), en] (the last closed); a value outside falls in the nearest end bin.</summary>
    private static List<Bin> Binned(double[] edges, IEnumerable<(long Id, double Value)> members, string lowQualifier, string highQualifier, string[]? labels)
    {
        int n = Math.Max(1, edges.Length - 1);
        var sets = Enumerable.Range(0, n).Select(_ => new HashSet<long>()).ToArray();
        foreach (var (id, v) in members)
        {
            int b = 0;
            while (b < n - 1 && v >= edges[b + 1]) b++;
            sets[b].Add(id);
        }
        var bins = new List<Bin>(n);
        for (int b = 0; b < n; b++)
        {
            double lo = edges[b], hi = edges[Math.Min(b + 1, edges.Length - 1)];
            string label = labels?[b] ?? (double.IsPositiveInfinity(hi) ? $"≥ {SliceFeatures.Num(lo)}" : $"{SliceFeatures.Num(lo)}–{SliceFeatures.Num(hi)}");
            string q = n == 1 ? "" : b == 0 && lowQualifier.Length > 0 ? $" ({lowQualifier})" : b == n - 1 && highQualifier.Length > 0 ? $" ({highQualifier})" : "";
            bins.Add(new Bin(label, lo, double.IsPositiveInfinity(hi) ? null : hi, null, sets[b], q, labels is not null));
        }
        return bins;
    }

    private static Dim Categorical(string name, string level, string? configPath, string display, IEnumerable<(long Id, string Value)> members)
    {
        var bins = members.GroupBy(m => m.Value, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Bin(g.Key, null, null, g.Key, g.Select(m => m.Id).ToHashSet(), "")).ToList();
        return new Dim(name, level, configPath, "", display, bins);
    }
}
