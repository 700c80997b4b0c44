using System.Globalization;
using System.Text.Json;

namespace SynthBuild.Core.Lineage;

/// <summary>
/// Numbers from the quality stage's report (reports/quality.json in the dataset folder), when there is one, as
/// metrics: every numeric leaf (booleans as 0/1) under a dotted key prefixed "quality.". The report's layout belongs
/// to the quality stage; this reads it generically so lineage does not depend on its code.
/// </summary>
public static class QualityMetrics
{
    public const string ReportPath = "reports/quality.json";
    /// <summary>A report may hold per-sample arrays; lineage keeps a bounded number of figures.</summary>
    public const int MaxMetrics = 500;

    public static string ReportFile(string datasetRoot) => Path.Combine(datasetRoot, "reports", "quality.json");

    /// <summary>Metrics from the report, or empty when there is none or it is unreadable.</summary>
    public static IReadOnlyList<KeyValuePair<string, double>> Read(string datasetRoot)
    {
        string file = ReportFile(datasetRoot);
        if (!File.Exists(file)) return [];
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var into = new List<KeyValuePair<string, double>>();
            Walk(doc.RootElement, "quality", into);
            return into.Count > MaxMetrics ? into.GetRange(0, MaxMetrics) : into;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return [];
        }
    }

    /// <summary>
    /// False when the report says its gates failed (a top-level "passed" or "gatesPassed" that is false, or a
    /// non-empty "failedGates" array); true otherwise, also without a report.
    /// </summary>
    public static bool GatesPassed(string datasetRoot, out string? reason)
    {
        reason = null;
        string file = ReportFile(datasetRoot);
        if (!File.Exists(file)) return true;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) return true;
            foreach (string key in new[] { "passed", "gatesPassed" })
                if (r.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.False)
                {
                    reason = $"{file} says \"{key}\": false";
                    return false;
                }
            if (r.TryGetProperty("failedGates", out var failed) && failed.ValueKind == JsonValueKind.Array && failed.GetArrayLength() > 0)
            {
                reason = $"{file} lists {failed.GetArrayLength()} failed gate(s)";
                return false;
            }
            return true;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            reason = $"{file} is unreadable: {ex.Message}";
            return false;
        }
    }

    private static void Walk(JsonElement e, string prefix, List<KeyValuePair<string, double>> into)
    {
        if (into.Count > MaxMetrics) return;
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Walk(p.Value, prefix + "." + MetricKey(p.Name), into);
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var x in e.EnumerateArray())
                {
                    string segment = x.ValueKind == JsonValueKind.Object && x.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                        ? MetricKey(n.GetString()!) : i.ToString(CultureInfo.InvariantCulture);
                    Walk(x, prefix + "." + segment, into);
                    i++;
                }
                break;
            case JsonValueKind.Number when e.TryGetDouble(out double d) && double.IsFinite(d):
                into.Add(new(prefix, d));
                break;
            case JsonValueKind.True: into.Add(new(prefix, 1)); break;
            case JsonValueKind.False: into.Add(new(prefix, 0)); break;
        }
    }

    /// <summary>MLflow metric names allow letters, digits, '_', '-', '.', ' ' and '/'; anything else becomes '_'.</summary>
    public static string MetricKey(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ' ' or '/' ? c : '_').ToArray();
        return new string(chars);
    }
}
