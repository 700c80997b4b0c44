using System.Text.Json;

namespace SynthBuild.Lineage;

/// <summary>
/// The probe detector's report (reports/probe.json, written by the SynthProbe target) as MLflow metrics and params,
/// read generically as JSON (lineage does not depend on the probe's assembly): per split "probe.val.AP50",
/// "probe.test.AP" … (the twelve COCO statistics), "probe.val.ap.&lt;class&gt;", "probe.train_seconds",
/// "probe.train_images_per_second", "probe.inference_images_per_second", "probe.final_loss"; every setting as a param
/// "probe.&lt;setting&gt;". Only a report whose key (reports/probe.key.json, written last) names this digest counts.
/// </summary>
public static class ProbeMetrics
{
    public static (IReadOnlyList<KeyValuePair<string, double>> Metrics, IReadOnlyList<KeyValuePair<string, string>> Params) Read(string datasetRoot, string digest)
    {
        string reports = Path.Combine(datasetRoot, "reports");
        string key = Path.Combine(reports, "probe.key.json"), report = Path.Combine(reports, "probe.json");
        if (!File.Exists(key) || !File.Exists(report)) return ([], []);
        try
        {
            using (var k = JsonDocument.Parse(File.ReadAllBytes(key)))
                if (!k.RootElement.TryGetProperty("digest", out var d) || d.ValueKind != JsonValueKind.String || d.GetString() != digest) return ([], []);
            using var doc = JsonDocument.Parse(File.ReadAllBytes(report));
            var r = doc.RootElement;
            var metrics = new List<KeyValuePair<string, double>>();
            var parameters = new List<KeyValuePair<string, string>>();
            void Metric(string name, JsonElement e)
            {
                if (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double v) && double.IsFinite(v)) metrics.Add(new(name, v));
            }
            if (r.TryGetProperty("metrics", out var splits) && splits.ValueKind == JsonValueKind.Object)
                foreach (var split in splits.EnumerateObject())
                {
                    string prefix = "probe." + QualityMetrics.MetricKey(split.Name);
                    if (split.Value.TryGetProperty("stats", out var stats) && stats.ValueKind == JsonValueKind.Object)
                        foreach (var s in stats.EnumerateObject()) Metric(prefix + "." + QualityMetrics.MetricKey(s.Name), s.Value);
                    if (split.Value.TryGetProperty("categories", out var cats) && cats.ValueKind == JsonValueKind.Array)
                        foreach (var c in cats.EnumerateArray())
                            if (c.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && c.TryGetProperty("ap", out var ap))
                                Metric(prefix + ".ap." + QualityMetrics.MetricKey(n.GetString()!), ap);
                }
            if (r.TryGetProperty("training", out var t) && t.ValueKind == JsonValueKind.Object)
            {
                if (t.TryGetProperty("seconds", out var sec)) Metric("probe.train_seconds", sec);
                if (t.TryGetProperty("imagesPerSecond", out var ips)) Metric("probe.train_images_per_second", ips);
                if (t.TryGetProperty("curve", out var curve) && curve.ValueKind == JsonValueKind.Array && curve.GetArrayLength() > 0
                    && curve[curve.GetArrayLength() - 1].TryGetProperty("loss", out var loss)) Metric("probe.final_loss", loss);
            }
            if (r.TryGetProperty("inference", out var inf) && inf.ValueKind == JsonValueKind.Object && inf.TryGetProperty("imagesPerSecond", out var iips))
                Metric("probe.inference_images_per_second", iips);
            if (r.TryGetProperty("settings", out var settings) && settings.ValueKind == JsonValueKind.Object)
                foreach (var p in settings.EnumerateObject())
                {
                    string value = p.Value.ValueKind switch
                    {
                        JsonValueKind.String => p.Value.GetString()!,
                        JsonValueKind.Array => string.Join(",", p.Value.EnumerateArray().Select(x => x.GetRawText())),
                        _ => p.Value.GetRawText(),
                    };
                    // MLflow params hold at most 6000 characters; the probe's are short, this only guards the limit.
                    parameters.Add(new("probe." + QualityMetrics.MetricKey(p.Name), value.Length > 500 ? value[..500] : value));
                }
            return (metrics, parameters);
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidOperationException)
        {
            return ([], []);
        }
    }
}
