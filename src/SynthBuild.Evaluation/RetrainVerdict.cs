using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SynthBuild.Evaluation;

/// <summary>
/// The retraining trigger (docs/ci.md): what a pipeline reads after the sim-to-real gate, whether it passed or not.
/// Built from one or more sim-to-real reports (the detection-file comparison, or one per model with a real set): the
/// verdict is "retrain" when any gap exceeds its maximum, "ok" otherwise; the figures are the worst report's.
/// </summary>
public sealed class RetrainVerdict
{
    public const string Schema = "synthbuild.retrain/1";
    public const string FileName = "retrain.json";

    /// <summary>One sim-to-real report: its file and, for a model, the model's name.</summary>
    public sealed record Source(string? Model, string? File, SimToRealReport Report);

    private RetrainVerdict(IReadOnlyList<Source> sources, string? datasetDirectory, string? digest, DateTimeOffset time)
    {
        Sources = sources;
        DatasetDirectory = datasetDirectory;
        DatasetDigest = digest;
        Time = time;
        // The worst report: the largest gap beyond its maximum (so a failing report wins over a passing one).
        Worst = sources.OrderByDescending(s => s.Report.Gap - s.Report.MaxGap).First();
    }

    public IReadOnlyList<Source> Sources { get; }
    public string? DatasetDirectory { get; }
    public string? DatasetDigest { get; }
    public DateTimeOffset Time { get; }
    public Source Worst { get; }
    public bool Retrain => Sources.Any(s => !s.Report.Passed);
    public string Verdict => Retrain ? "retrain" : "ok";

    public static RetrainVerdict Create(IReadOnlyList<Source> sources, string? datasetDirectory, string? datasetDigest, DateTimeOffset time) =>
        sources.Count == 0 ? throw new ArgumentException("a verdict needs at least one sim-to-real report", nameof(sources))
            : new RetrainVerdict(sources, datasetDirectory, datasetDigest, time);

    public byte[] ToJson()
    {
        var r = Worst.Report;
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("schema", Schema);
            w.WriteString("verdict", Verdict);
            w.WriteBoolean("retrain", Retrain);
            w.WriteNumber("gap", r.Gap);
            w.WriteNumber("threshold", r.MaxGap);
            w.WriteNumber("syntheticMap", r.SyntheticMap);
            w.WriteNumber("realMap", r.RealMap);
            if (Worst.Model is { } m) w.WriteString("model", m); else w.WriteNull("model");
            w.WriteStartArray("perClassGaps");
            foreach (var c in r.Categories.OrderByDescending(c => double.IsNaN(c.Gap) ? double.NegativeInfinity : c.Gap)) c.WriteJson(w);
            w.WriteEndArray();
            w.WriteStartArray("recommendations");
            foreach (var rec in r.Recommendations) w.WriteStringValue(rec);
            w.WriteEndArray();
            w.WriteStartObject("dataset");
            if (DatasetDirectory is { } d) w.WriteString("path", d); else w.WriteNull("path");
            if (DatasetDigest is { } g) w.WriteString("digest", g); else w.WriteNull("digest");
            w.WriteEndObject();
            w.WriteString("time", Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            w.WriteStartArray("reports");
            foreach (var s in Sources)
            {
                w.WriteStartObject();
                if (s.Model is { } sm) w.WriteString("model", sm); else w.WriteNull("model");
                if (s.File is { } f) w.WriteString("file", f); else w.WriteNull("file");
                w.WriteNumber("gap", s.Report.Gap);
                w.WriteNumber("maxGap", s.Report.MaxGap);
                w.WriteBoolean("passed", s.Report.Passed);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    /// <summary>GitHub Actions step outputs (<c>$GITHUB_OUTPUT</c> lines): retrain=true|false and gap=….</summary>
    public IReadOnlyList<KeyValuePair<string, string>> StepOutputs() =>
    [
        new("retrain", Retrain ? "true" : "false"),
        new("gap", Worst.Report.Gap.ToString("0.0000", CultureInfo.InvariantCulture)),
        new("verdict", Verdict),
    ];

    /// <summary>The job summary paragraph (Markdown).</summary>
    public string SummaryMarkdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var r = Worst.Report;
        var sb = new StringBuilder();
        sb.Append("### Sim-to-real gap: ").Append(Retrain ? "**retrain**" : "ok").Append("\n\n");
        sb.Append(string.Create(inv, $"Gap {r.Gap:F3} (synthetic mAP {r.SyntheticMap:F3}, real mAP {r.RealMap:F3}); threshold {r.MaxGap:F3}"));
        if (Worst.Model is { } m) sb.Append(" for model `").Append(m).Append('`');
        sb.Append(DatasetDigest is { } d ? $", dataset `{d[..Math.Min(12, d.Length)]}`." : ".");
        sb.Append(Retrain ? " The gate failed: regenerate targeted data and retrain (see `reports/retrain.json`).\n"
                          : " The gate passed: no retraining needed.\n");
        var worstClasses = r.Categories.Where(c => !double.IsNaN(c.Gap)).OrderByDescending(c => c.Gap).Take(3).ToList();
        if (worstClasses.Count > 0)
            sb.Append("Largest per-class gaps: ").Append(string.Join(", ", worstClasses.Select(c => string.Create(inv, $"{c.Name} {c.Gap:F3}")))).Append(".\n");
        if (r.Recommendations.Count > 0)
            sb.Append("Recommendations: ").Append(string.Join("; ", r.Recommendations)).Append(".\n");
        return sb.Append('\n').ToString();
    }

    /// <summary>A report as <see cref="SimToRealReport.ToJson"/> wrote it (the model stage's reports/models/NAME.sim2real.json).</summary>
    public static SimToRealReport ReadReport(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        double[] Stats(string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var categories = e.TryGetProperty("categories", out var cats)
            ? cats.EnumerateArray().Select(c => new CategoryGap(c.GetProperty("id").GetInt64(), c.GetProperty("name").GetString()!,
                c.GetProperty("syntheticAp").GetDouble(), c.GetProperty("realAp").GetDouble())).ToList()
            : [];
        var recommendations = e.TryGetProperty("recommendations", out var recs) ? recs.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
        var iou = e.TryGetProperty("iouType", out var t) && t.GetString() == "segm" ? IouType.Segm : IouType.Bbox;
        return new SimToRealReport(iou, Stats("syntheticStats"), Stats("realStats"), categories, recommendations, e.GetProperty("maxGap").GetDouble());
    }
}
