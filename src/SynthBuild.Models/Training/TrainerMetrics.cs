using System.Globalization;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Models.Training;

/// <summary>
/// The metrics file a trainer wrote, read back as name → number (docs/models.md "External trainers"):
/// <list type="bullet">
/// <item>JSON (any extension but .csv): one object; nested objects are flattened with dots ({"val": {"ap": 0.4}} →
/// val.ap); an array of numbers counts as its last element (a per-epoch series' final value); booleans are 0/1;
/// strings and nulls are skipped.</item>
/// <item>CSV (.csv, as Ultralytics writes results.csv): a header row of names (spaces around them trimmed), one row
/// per epoch; the last row's numeric cells are the metrics.</item>
/// </list>
/// </summary>
public static class TrainerMetrics
{
    /// <exception cref="DiagnosticException">SYN8206 naming the file: missing, empty, not JSON/CSV, or no number in it.</exception>
    public static IReadOnlyDictionary<string, double> Read(string path, string trainer)
    {
        if (!File.Exists(path))
            throw Error($"Metrics file not found: '{path}' (SynthTrainer '{trainer}' exited with code 0 but did not write it; check its Metrics path).", path);
        string text;
        try { text = File.ReadAllText(path); }
        catch (IOException ex) { throw Error($"Metrics file unreadable: {ex.Message} (SynthTrainer '{trainer}').", path); }
        var metrics = path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? Csv(text, path, trainer) : Json(text, path, trainer);
        if (metrics.Count == 0)
            throw Error($"Metrics file holds no number (SynthTrainer '{trainer}'): expected a JSON object of numbers or a CSV with a header row and a row of numbers.", path);
        return metrics;
    }

    internal static SortedDictionary<string, double> Json(string text, string path, string trainer)
    {
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Error($"Metrics file is not a JSON object (found {doc.RootElement.ValueKind}; SynthTrainer '{trainer}').", path);
            Walk(doc.RootElement, "");
        }
        catch (JsonException ex)
        {
            throw Error($"Metrics file is not valid JSON (SynthTrainer '{trainer}'): {ex.Message}", path, (int)(ex.LineNumber ?? -1) + 1);
        }
        return result;

        void Walk(JsonElement e, string prefix)
        {
            foreach (var p in e.EnumerateObject())
            {
                string key = prefix + p.Name;
                switch (p.Value.ValueKind)
                {
                    case JsonValueKind.Object: Walk(p.Value, key + "."); break;
                    case JsonValueKind.Number: result[key] = p.Value.GetDouble(); break;
                    case JsonValueKind.True: result[key] = 1; break;
                    case JsonValueKind.False: result[key] = 0; break;
                    case JsonValueKind.Array:
                        var numbers = p.Value.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Number).ToList();
                        if (numbers.Count > 0 && numbers.Count == p.Value.GetArrayLength()) result[key] = numbers[^1].GetDouble();
                        break;
                }
            }
        }
    }

    internal static SortedDictionary<string, double> Csv(string text, string path, string trainer)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var rows = lines.Select((l, i) => (Line: i + 1, Text: l)).Where(x => x.Text.Trim().Length > 0).ToList();
        if (rows.Count < 2)
            throw Error($"Metrics CSV needs a header row and at least one row of values (SynthTrainer '{trainer}'); found {rows.Count} non-empty line(s).", path);
        var header = rows[0].Text.Split(',').Select(h => h.Trim()).ToArray();
        var (lineNo, last) = rows[^1];
        var cells = last.Split(',');
        if (cells.Length != header.Length)
            throw Error($"Metrics CSV row has {cells.Length} cells, the header {header.Length} (SynthTrainer '{trainer}').", path, lineNo);
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < header.Length; i++)
            if (header[i].Length > 0 && double.TryParse(cells[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                result[header[i]] = v;
        return result;
    }

    private static DiagnosticException Error(string message, string path, int line = 0) =>
        new(Diagnostic.Error(SynCodes.TrainerMetricsInvalid, message, path, Math.Max(0, line)));
}
