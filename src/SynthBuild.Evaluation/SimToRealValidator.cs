using System.Globalization;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Evaluation;

/// <summary>AP of one category on the synthetic and the real set.</summary>
public sealed record CategoryGap(long CategoryId, string Name, double SyntheticAp, double RealAp)
{
    /// <summary>Synthetic AP − real AP; NaN when either set has no ground truth of this category (AP -1).</summary>
    public double Gap => SyntheticAp < 0 || RealAp < 0 ? double.NaN : SyntheticAp - RealAp;

    /// <summary>The category as sim2real.json and retrain.json write it (gap null where undefined).</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("id", CategoryId);
        w.WriteString("name", Name);
        w.WriteNumber("syntheticAp", SyntheticAp);
        w.WriteNumber("realAp", RealAp);
        if (double.IsNaN(Gap)) w.WriteNull("gap"); else w.WriteNumber("gap", Gap);
        w.WriteEndObject();
    }
}

/// <summary>Result of a sim-to-real validation.</summary>
public sealed record SimToRealReport(
    IouType IouType,
    double[] SyntheticStats,
    double[] RealStats,
    IReadOnlyList<CategoryGap> Categories,
    IReadOnlyList<string> Recommendations,
    double MaxGap)
{
    /// <summary>mAP (AP @[.50:.95], all areas, 100 detections) on the synthetic test split.</summary>
    public double SyntheticMap => SyntheticStats[0];
    public double RealMap => RealStats[0];
    /// <summary>Domain gap = synthetic mAP − real mAP.</summary>
    public double Gap => SyntheticMap - RealMap;
    /// <summary>The gate: passes when the gap is at most <see cref="MaxGap"/>.</summary>
    public bool Passed => Gap <= MaxGap;

    /// <summary>The human-readable report (command line and build log).</summary>
    public string ToText()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(inv, $"synthetic mAP: {SyntheticMap:F3}"));
        sb.AppendLine(string.Create(inv, $"real mAP:      {RealMap:F3}"));
        sb.AppendLine(string.Create(inv, $"gap:           {Gap:F3} (max {MaxGap:F3})"));
        sb.AppendLine("per-class AP (synthetic / real / gap):");
        foreach (var c in Categories)
            sb.AppendLine(string.Create(inv, $"  {c.Name,-20} {Ap(c.SyntheticAp)} / {Ap(c.RealAp)} / {(double.IsNaN(c.Gap) ? "  n/a" : c.Gap.ToString("F3", inv))}"));
        if (Recommendations.Count == 0) sb.AppendLine(string.Create(inv, $"recommendations: none (gap within {SimToRealValidator.AugmentationThreshold})"));
        else
        {
            sb.AppendLine("recommendations:");
            foreach (var r in Recommendations) sb.AppendLine("  - " + r);
        }
        return sb.ToString();

        static string Ap(double v) => v < 0 ? "  n/a" : v.ToString("F3", CultureInfo.InvariantCulture);
    }

    /// <summary>The machine-readable report.</summary>
    public byte[] ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("iouType", IouType.ToString().ToLowerInvariant());
            w.WriteNumber("syntheticMap", SyntheticMap);
            w.WriteNumber("realMap", RealMap);
            w.WriteNumber("gap", Gap);
            w.WriteNumber("maxGap", MaxGap);
            w.WriteBoolean("passed", Passed);
            Stats(w, "syntheticStats", SyntheticStats);
            Stats(w, "realStats", RealStats);
            w.WriteStartArray("categories");
            foreach (var c in Categories) c.WriteJson(w);
            w.WriteEndArray();
            w.WriteStartArray("recommendations");
            foreach (var r in Recommendations) w.WriteStringValue(r);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();

        static void Stats(Utf8JsonWriter w, string name, double[] stats)
        {
            w.WriteStartArray(name);
            foreach (var v in stats) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
    }

    public EvaluationDiagnostic? GateDiagnostic(string file) => Passed
        ? null
        : new EvaluationDiagnostic(SynCodes.SimToRealGapTooLarge, file, null,
            FormattableString.Invariant($"sim-to-real gap {Gap:F3} (synthetic mAP {SyntheticMap:F3}, real mAP {RealMap:F3}) exceeds the maximum {MaxGap:F3}"));
}

/// <summary>
/// Measures the sim-to-real gap: COCO mAP of the same model on the synthetic test split and on a real labelled set,
/// per-class AP gaps, and recommendations from fixed rules:
/// gap &gt; 0.2 → stronger colour jitter, more background variety, motion blur;
/// gap &gt; 0.3 → additionally fine-tune on real data.
/// </summary>
public static class SimToRealValidator
{
    public const double DefaultMaxGap = 0.2;
    /// <summary>Default report name under the dataset's reports/ folder (SynthSimToRealReport).</summary>
    public const string ReportFile = SynthBuild.Core.Storage.DatasetLayout.SimToRealReport;
    public const double AugmentationThreshold = 0.2;
    public const double FineTuneThreshold = 0.3;

    public static SimToRealReport Validate(
        CocoGroundTruth syntheticGt, CocoDetections syntheticDt,
        CocoGroundTruth realGt, CocoDetections realDt,
        IouType iouType = IouType.Bbox, double maxGap = DefaultMaxGap)
    {
        var synth = new CocoEvaluator(syntheticGt, syntheticDt, iouType);
        var synthStats = synth.Run();
        var real = new CocoEvaluator(realGt, realDt, iouType);
        var realStats = real.Run();

        var names = new Dictionary<long, string>();
        foreach (var c in syntheticGt.Categories) names[c.Id] = c.Name;
        foreach (var c in realGt.Categories) names.TryAdd(c.Id, c.Name);
        var all = new SortedSet<long>(synth.CategoryIds);
        all.UnionWith(real.CategoryIds);
        var cats = new List<CategoryGap>();
        foreach (long id in all)
        {
            int ks = Array.IndexOf(synth.CategoryIds, id);
            int kr = Array.IndexOf(real.CategoryIds, id);
            cats.Add(new CategoryGap(id, names[id],
                ks >= 0 ? synth.CategoryAp(ks) : -1,
                kr >= 0 ? real.CategoryAp(kr) : -1));
        }
        double gap = synthStats[0] - realStats[0];
        return new SimToRealReport(iouType, synthStats, realStats, cats, Recommend(gap), maxGap);
    }

    /// <summary>Loads the four files and validates; loader problems come back as diagnostics.</summary>
    public static SimToRealReport ValidateFiles(string syntheticGt, string syntheticDt, string realGt, string realDt,
        IouType iouType = IouType.Bbox, double maxGap = DefaultMaxGap)
    {
        var sg = CocoGroundTruth.Load(syntheticGt);
        var sd = CocoDetections.Load(syntheticDt, sg);
        var rg = CocoGroundTruth.Load(realGt);
        var rd = CocoDetections.Load(realDt, rg);
        return Validate(sg, sd, rg, rd, iouType, maxGap);
    }

    /// <summary>
    /// As <see cref="ValidateFiles"/>, with input problems returned as a diagnostic value (for the MSBuild task layer):
    /// returns null and sets <paramref name="diagnostic"/> when a file cannot be read or is malformed. A failed gate is
    /// not an input problem: check <see cref="SimToRealReport.GateDiagnostic"/> on the report.
    /// </summary>
    public static SimToRealReport? TryValidateFiles(string syntheticGt, string syntheticDt, string realGt, string realDt,
        out EvaluationDiagnostic? diagnostic, IouType iouType = IouType.Bbox, double maxGap = DefaultMaxGap)
    {
        try
        {
            diagnostic = null;
            return ValidateFiles(syntheticGt, syntheticDt, realGt, realDt, iouType, maxGap);
        }
        catch (CocoFormatException ex)
        {
            diagnostic = ex.Diagnostic;
            return null;
        }
    }

    /// <summary>The documented rules.</summary>
    public static IReadOnlyList<string> Recommend(double gap)
    {
        var list = new List<string>();
        if (gap > AugmentationThreshold)
        {
            list.Add("use stronger colour jitter (hue, saturation, brightness, contrast)");
            list.Add("add more background variety");
            list.Add("add motion blur");
        }
        if (gap > FineTuneThreshold)
            list.Add("fine-tune on real labelled data");
        return list;
    }
}
