using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Storage;

namespace SynthBuild.Quality;

/// <summary>
/// The report's "Failure-mode slices" section from reports/slices.json (schema synthbuild.slices/1, written by the
/// probe runner or <c>synth slices</c>): the failure modes in words, then one table row per slice. Read as JSON (the
/// quality stage does not reference the evaluation code); shown only when the file is of the current digest.
/// </summary>
public static class SlicesSection
{
    public static void Append(StringBuilder sb, string datasetRoot, string digest)
    {
        string file = Path.Combine(datasetRoot, DatasetLayout.ReportsDir, DatasetLayout.SlicesJson);
        if (!File.Exists(file)) return;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var root = doc.RootElement;
            if (root.GetProperty("schema").GetString() != "synthbuild.slices/1" || root.GetProperty("dataset").GetProperty("digest").GetString() != digest) return;
            Render(sb, root);
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidOperationException or KeyNotFoundException)
        {
            // A partial or foreign file: the section is left out, the rest of the report stands.
        }
    }

    /// <summary>
    /// quality.html is rewritten when quality.json changes; slices.json is another stage's output, so the page is
    /// also stale when a current slices file is newer than it, or when it shows slices that are no longer current.
    /// </summary>
    public static bool Stale(string datasetRoot, string digest, string htmlPath)
    {
        string file = Path.Combine(datasetRoot, DatasetLayout.ReportsDir, DatasetLayout.SlicesJson);
        if (!File.Exists(htmlPath)) return true;
        if (IsCurrent(file, digest)) return File.GetLastWriteTimeUtc(file) > File.GetLastWriteTimeUtc(htmlPath);
        return File.ReadAllText(htmlPath).Contains("<h2 id=\"slices\">", StringComparison.Ordinal);
    }

    private static bool IsCurrent(string file, string digest)
    {
        if (!File.Exists(file)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            return doc.RootElement.TryGetProperty("dataset", out var d) && d.TryGetProperty("digest", out var g) && g.GetString() == digest;
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidOperationException) { return false; }
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string F(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString("0.000", CultureInfo.InvariantCulture) : "–";

    private static string Ci(JsonElement e) =>
        e.TryGetProperty("ci", out var c) && c.ValueKind == JsonValueKind.Array
            ? string.Create(CultureInfo.InvariantCulture, $"{c[0].GetDouble():0.00}–{c[1].GetDouble():0.00}") : "–";

    private static void Render(StringBuilder sb, JsonElement root)
    {
        var overall = root.GetProperty("overall");
        string split = root.GetProperty("split").GetString() ?? "";
        sb.Append("<h2 id=\"slices\">Failure-mode slices</h2>\n<p>The probe's ").Append(E(split)).Append(" detections (")
          .Append(overall.GetProperty("images").GetInt32()).Append(" images, ").Append(overall.GetProperty("objects").GetInt32())
          .Append(" objects) sliced by the parameters that generated each image and by each object's labels. Overall AP50 ")
          .Append(F(overall, "ap50")).Append(" [").Append(Ci(overall)).Append("], 95% intervals by a bootstrap over images. ")
          .Append("A failure mode is a slice with enough objects whose interval lies below the overall AP50; slices with too few objects are greyed and not ranked.</p>\n");
        var modes = root.GetProperty("failureModes");
        if (modes.GetArrayLength() == 0) sb.Append("<p class=\"pass\">No failure mode: no slice is significantly below the overall AP50.</p>\n");
        else
        {
            sb.Append("<ol class=\"modes\">\n");
            foreach (var m in modes.EnumerateArray()) sb.Append("<li class=\"fail\">").Append(E(m.GetProperty("text").GetString() ?? "")).Append("</li>\n");
            sb.Append("</ol>\n");
        }
        var failing = modes.EnumerateArray().Select(m => (m.GetProperty("dimension").GetString(), m.GetProperty("label").GetString())).ToHashSet();
        double overallAp50 = overall.TryGetProperty("ap50", out var oa) && oa.ValueKind == JsonValueKind.Number ? oa.GetDouble() : 0;
        sb.Append("<table class=\"slices\"><tr><th>dimension</th><th>slice</th><th>images</th><th>objects</th><th>AP50</th><th>95% interval</th><th>AP</th><th>recall@0.5</th><th></th></tr>\n");
        foreach (var d in root.GetProperty("dimensions").EnumerateArray())
        {
            string name = d.GetProperty("name").GetString() ?? "";
            string unit = d.GetProperty("unit").GetString() ?? "";
            string level = d.GetProperty("level").GetString() ?? "";
            var slices = d.GetProperty("slices").EnumerateArray().ToList();
            for (int i = 0; i < slices.Count; i++)
            {
                var s = slices[i];
                string label = s.GetProperty("label").GetString() ?? "";
                bool enough = s.GetProperty("enough").GetBoolean();
                bool fail = failing.Contains((name, label));
                sb.Append("<tr").Append(fail ? " class=\"failrow\"" : !enough ? " class=\"few\"" : "").Append('>');
                if (i == 0)
                    sb.Append("<td class=\"dim\" rowspan=\"").Append(slices.Count).Append("\">").Append(E(name)).Append("<br><small>").Append(E(level))
                      .Append(d.TryGetProperty("configPath", out var cp) && cp.ValueKind == JsonValueKind.String ? ", config " + E(cp.GetString()!) : "").Append("</small></td>");
                sb.Append("<td>").Append(E(label)).Append(unit.Length > 0 && !s.TryGetProperty("value", out _) && !label.Contains(unit, StringComparison.Ordinal) ? " " + E(unit) : "").Append("</td>")
                  .Append("<td class=\"n\">").Append(s.GetProperty("images").GetInt32()).Append("</td><td class=\"n\">").Append(s.GetProperty("objects").GetInt32()).Append("</td>")
                  .Append("<td class=\"n\">").Append(F(s, "ap50")).Append("</td><td class=\"n\">").Append(Ci(s)).Append("</td>")
                  .Append("<td class=\"n\">").Append(F(s, "ap")).Append("</td><td class=\"n\">").Append(F(s, "recall")).Append("</td><td>");
                // A bar of AP50 against a tick at the overall value.
                double v = s.TryGetProperty("ap50", out var a) && a.ValueKind == JsonValueKind.Number ? a.GetDouble() : 0;
                sb.Append(string.Create(CultureInfo.InvariantCulture,
                    $"<div class=\"bar\"><span style=\"width:{v * 100:0.#}%\"></span><i style=\"left:{overallAp50 * 100:0.#}%\"></i></div>"));
                sb.Append(fail ? " failure mode" : !enough ? " too few objects" : "").Append("</td></tr>\n");
            }
        }
        sb.Append("</table>\n");
        if (root.TryGetProperty("bootstrap", out var b))
            sb.Append("<p class=\"legend\">").Append(b.GetProperty("resamples").GetInt32()).Append(" bootstrap resamples, ")
              .Append(b.GetProperty("seconds").GetDouble().ToString("0.0", CultureInfo.InvariantCulture)).Append(" s. Bins: ranged config keys in equal-width bins over the config's range (a weighted range's own bins), visibility and truncation in fixed bins, box size in COCO's small/medium/large, camera distance in quantile bins.</p>\n");
    }
}
