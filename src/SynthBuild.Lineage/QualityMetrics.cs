using System.Globalization;
using System.Text.Json;

namespace SynthBuild.Lineage;

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
    /// <summary>Arrays of numbers longer than this (histograms, heatmaps) are not turned into metrics.</summary>
    public const int MaxScalarArray = 8;

    public static string ReportFile(string datasetRoot) => Path.Combine(datasetRoot, "reports", "quality.json");

    /// <summary>
    /// Metrics from the report, or empty when there is none, it is unreadable, or it describes another dataset digest
    /// than <paramref name="digest"/> (a report left by an earlier build when analysis did not run on this one).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, double>> Read(string datasetRoot, string? digest = null)
    {
        string file = ReportFile(datasetRoot);
        if (!File.Exists(file)) return [];
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            if (!Describes(doc.RootElement, digest)) return [];
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
    /// False when the report says gates failed: an entry of its "gates" array with "passed": false that is enabled and
    /// of error severity (the quality stage's format), or a top-level "passed"/"gatesPassed" false or non-empty
    /// "failedGates". True otherwise, also without a report.
    /// </summary>
    /// <param name="countSwitchedOff">Also count failing gates a build switched off (-p:SynthGates=false): a release
    /// needs every error gate to pass, whether or not the build enforced it.</param>
    public static bool GatesPassed(string datasetRoot, out string? reason, bool countSwitchedOff = false)
    {
        reason = null;
        string file = ReportFile(datasetRoot);
        if (!File.Exists(file)) return true;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var failed = FailedGates(doc.RootElement, countSwitchedOff);
            if (failed.Count > 0)
            {
                reason = $"{file} lists {failed.Count} failed gate(s): {string.Join(", ", failed)}";
                return false;
            }
            var r = doc.RootElement;
            if (r.ValueKind == JsonValueKind.Object)
                foreach (string key in new[] { "passed", "gatesPassed" })
                    if (r.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.False)
                    {
                        reason = $"{file} says \"{key}\": false";
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

    /// <summary>
    /// Names of the error gates the report says failed; empty without a report, when it is unreadable, or when it
    /// describes another digest than <paramref name="digest"/>.
    /// </summary>
    public static IReadOnlyList<string> FailedGates(string datasetRoot, string? digest = null)
    {
        string file = ReportFile(datasetRoot);
        if (!File.Exists(file)) return [];
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            return Describes(doc.RootElement, digest) ? FailedGates(doc.RootElement, countSwitchedOff: false) : [];
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return [];
        }
    }

    /// <summary>False when the report names a dataset digest other than <paramref name="digest"/> (a stale report).</summary>
    private static bool Describes(JsonElement report, string? digest) =>
        digest is null || report.ValueKind != JsonValueKind.Object || !report.TryGetProperty("digest", out var d)
        || d.ValueKind != JsonValueKind.String || d.GetString() == digest;

    private static List<string> FailedGates(JsonElement r, bool countSwitchedOff)
    {
        var names = new List<string>();
        if (r.ValueKind != JsonValueKind.Object) return names;
        if (r.TryGetProperty("gates", out var gates) && gates.ValueKind == JsonValueKind.Array)
            foreach (var g in gates.EnumerateArray())
            {
                if (g.ValueKind != JsonValueKind.Object || !g.TryGetProperty("passed", out var p) || p.ValueKind != JsonValueKind.False) continue;
                if (!countSwitchedOff && g.TryGetProperty("enabled", out var en) && en.ValueKind == JsonValueKind.False) continue;
                if (g.TryGetProperty("severity", out var sev) && sev.ValueKind == JsonValueKind.String
                    && !string.Equals(sev.GetString(), "error", StringComparison.OrdinalIgnoreCase)) continue;
                names.Add(g.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "(unnamed)");
            }
        if (r.TryGetProperty("failedGates", out var listed) && listed.ValueKind == JsonValueKind.Array)
            foreach (var g in listed.EnumerateArray())
                names.Add(g.ValueKind == JsonValueKind.String ? g.GetString()! : g.GetRawText());
        return names;
    }

    private static void Walk(JsonElement e, string prefix, List<KeyValuePair<string, double>> into)
    {
        if (into.Count > MaxMetrics) return;
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    // The quality report's copy of the probe report: ProbeMetrics logs it as probe.* already.
                    if (prefix == "quality" && p.Name == "probe") continue;
                    Walk(p.Value, prefix + "." + MetricKey(p.Name), into);
                }
                break;
            case JsonValueKind.Array when e.GetArrayLength() > MaxScalarArray && e.EnumerateArray().All(x => x.ValueKind is not JsonValueKind.Object):
                // Histogram bins and heatmap cells are distributions, not figures to chart across runs (they are in the
                // report artifact); kept, they would crowd the bounded metric list.
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
