using System.Globalization;
using System.Text.Json;
using SynthBuild.Core.Storage;

namespace SynthBuild.Quality;

public sealed record ProbeClassAp(long Id, string Name, double Ap);

/// <summary>One evaluated split of the probe: pycocotools' twelve statistics by name (AP, AP50, …) and AP per class.</summary>
public sealed record ProbeSplitSummary(string Split, int Images, int Detections, IReadOnlyDictionary<string, double> Stats, IReadOnlyList<ProbeClassAp> Categories)
{
    public double Stat(string name) => Stats.TryGetValue(name, out double v) ? v : double.NaN;
}

public sealed record ProbeEpochSummary(int Epoch, double Loss, double Heatmap, double Size, double Offset, double Seconds);

/// <summary>What the probe runner's contact sheet shows: detections at or above <see cref="ScoreThreshold"/> on
/// <see cref="Images"/> images of <see cref="Split"/>, matched greedily (highest score first) to same-class ground
/// truth at IoU ≥ <see cref="Iou"/>.</summary>
public sealed record ProbeSheetSummary(string Split, int Images, double ScoreThreshold, double Iou, int TruePositives, int FalsePositives, int Misses);

/// <summary>
/// The probe detector's report (reports/probe.json, docs/models.md) as the quality stage uses it: gates, the HTML
/// section and quality.json. Read as JSON: the quality stage does not reference the probe's (TorchSharp) assembly.
/// </summary>
public sealed record ProbeSummary(
    IReadOnlyDictionary<string, string> Settings,
    int TrainImages,
    double TrainSeconds,
    double TrainImagesPerSecond,
    double InferenceImagesPerSecond,
    IReadOnlyList<ProbeEpochSummary> Curve,
    IReadOnlyList<ProbeSplitSummary> Splits,
    ProbeSheetSummary? Sheet)
{
    /// <summary>The split gates read: val, the split a dataset author tunes against (test stays held out).</summary>
    public const string GateSplit = "val";

    public ProbeSplitSummary? Split(string name) => Splits.FirstOrDefault(s => s.Split == name);

    /// <summary>
    /// The probe report of the dataset in <paramref name="datasetRoot"/>, or null when there is none for
    /// <paramref name="digest"/>: no probe.key.json (never run, or a run killed before its key), a key of another
    /// digest (the dataset changed since), or a report that cannot be read.
    /// </summary>
    public static ProbeSummary? TryRead(string datasetRoot, string digest)
    {
        string reports = Path.Combine(datasetRoot, DatasetLayout.ReportsDir);
        string keyFile = Path.Combine(reports, DatasetLayout.ProbeKey), jsonFile = Path.Combine(reports, DatasetLayout.ProbeJson);
        if (!File.Exists(keyFile) || !File.Exists(jsonFile)) return null;
        try
        {
            using (var key = JsonDocument.Parse(File.ReadAllBytes(keyFile)))
                if (!key.RootElement.TryGetProperty("digest", out var d) || d.GetString() != digest) return null;
            return Parse(File.ReadAllBytes(jsonFile));
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return null;
        }
    }

    /// <exception cref="JsonException">Not JSON.</exception>
    /// <exception cref="KeyNotFoundException">A member the probe report always has is missing.</exception>
    public static ProbeSummary Parse(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in root.GetProperty("settings").EnumerateObject())
            settings[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.Array => string.Join(",", p.Value.EnumerateArray().Select(x => x.GetRawText())),
                _ => p.Value.GetRawText(),
            };
        var training = root.GetProperty("training");
        var curve = training.GetProperty("curve").EnumerateArray().Select(e => new ProbeEpochSummary(
            e.GetProperty("epoch").GetInt32(), e.GetProperty("loss").GetDouble(), e.GetProperty("heatmap").GetDouble(),
            e.GetProperty("size").GetDouble(), e.GetProperty("offset").GetDouble(), e.GetProperty("seconds").GetDouble())).ToList();
        var splits = new List<ProbeSplitSummary>();
        foreach (var m in root.GetProperty("metrics").EnumerateObject())
        {
            var stats = m.Value.GetProperty("stats").EnumerateObject().ToDictionary(s => s.Name, s => s.Value.GetDouble(), StringComparer.Ordinal);
            var cats = m.Value.GetProperty("categories").EnumerateArray()
                .Select(c => new ProbeClassAp(c.GetProperty("id").GetInt64(), c.GetProperty("name").GetString() ?? "", c.GetProperty("ap").GetDouble())).ToList();
            splits.Add(new ProbeSplitSummary(m.Name, m.Value.GetProperty("images").GetInt32(), m.Value.GetProperty("detections").GetInt32(), stats, cats));
        }
        ProbeSheetSummary? sheet = null;
        if (root.TryGetProperty("contactSheet", out var cs) && cs.ValueKind == JsonValueKind.Object)
            sheet = new ProbeSheetSummary(cs.GetProperty("split").GetString() ?? "", cs.GetProperty("images").GetInt32(), cs.GetProperty("scoreThreshold").GetDouble(),
                cs.GetProperty("iou").GetDouble(), cs.GetProperty("truePositives").GetInt32(), cs.GetProperty("falsePositives").GetInt32(), cs.GetProperty("misses").GetInt32());
        var inference = root.GetProperty("inference");
        return new ProbeSummary(settings, training.GetProperty("images").GetInt32(), training.GetProperty("seconds").GetDouble(),
            training.GetProperty("imagesPerSecond").GetDouble(), inference.GetProperty("imagesPerSecond").GetDouble(), curve, splits, sheet);
    }

    /// <summary>The gate's value from the <see cref="GateSplit"/> split, or why there is none.</summary>
    internal static (double Value, string? Missing) GateValue(QualityReport r, string stat)
    {
        if (r.Probe is not ProbeSummary p)
            return (double.NaN, $"no probe report for this dataset (reports/{DatasetLayout.ProbeJson} with a {DatasetLayout.ProbeKey} of digest {r.Digest}): run `dotnet build -t:SynthProbe`, or set -p:SynthProbeOnBuild=true so the build trains the probe before the quality stage");
        if (p.Split(GateSplit) is not ProbeSplitSummary s)
            return (double.NaN, $"the probe report has no {GateSplit} split (the dataset's {GateSplit} split is empty; give it samples in the config's \"splits\")");
        return (s.Stat(stat), null);
    }

    internal static string Format(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
