using System.Globalization;
using System.Text;

namespace SynthBuild.Quality;

/// <summary>The short summaries: <c>reports/quality.md</c> (a pull-request comment) and the build log's table.</summary>
public static class MarkdownReport
{
    private static string N(double v) => QualityGates.Number(v);
    private static string P(double v) => v.ToString("0.#%", CultureInfo.InvariantCulture);

    public static string Render(QualityReport r)
    {
        var sb = new StringBuilder();
        int failed = r.Gates.Count(g => g.Enabled && !g.Passed && g.Severity == GateSeverity.Error);
        int warned = r.Gates.Count(g => g.Enabled && !g.Passed && g.Severity == GateSeverity.Warning);
        string verdict = failed > 0 ? $"❌ {failed} gate(s) failed" : warned > 0 ? $"⚠️ all error gates pass, {warned} warning(s)" : "✅ all gates pass";
        Line(sb, $"## Dataset quality: {r.Dataset}");
        Line(sb, "");
        Line(sb, $"{r.Samples} samples, {r.Width}×{r.Height}, digest `{Short(r.Digest)}` — {verdict}");
        Line(sb, "");
        if (r.Gates.Count > 0)
        {
            Line(sb, "| gate | measured | bounds | severity | result |");
            Line(sb, "|---|---:|---|---|---|");
            foreach (GateResult g in r.Gates)
                Line(sb, $"| {g.Name} | {QualityGates.MeasuredText(g.Low, g.High)} | {QualityGates.BoundsText(g.Min, g.Max)} | {g.Severity.ToString().ToLowerInvariant()} | {Verdict(g)} |");
            Line(sb, "");
        }
        Line(sb, "| class | instances | images |");
        Line(sb, "|---|---:|---:|");
        foreach (ClassStats c in r.Classes) Line(sb, $"| {c.Name} | {c.Instances} | {c.Images} |");
        Line(sb, "");
        Line(sb, $"- objects per image: min {r.ObjectsPerImage.Min}, mean {N(r.ObjectsPerImage.Mean)}, max {r.ObjectsPerImage.Max}");
        Line(sb, $"- box sizes: small {r.BoxSizes.Small}, medium {r.BoxSizes.Medium}, large {r.BoxSizes.Large}");
        Line(sb, $"- visibility: mean {N(r.Visibility.Mean)}; truncated objects {P(r.Visibility.TruncatedShare)}");
        Line(sb, $"- brightness: mean {N(r.Images.BrightnessMean)} (range {N(r.Images.BrightnessMin)}–{N(r.Images.BrightnessMax)}), contrast {N(r.Images.ContrastMean)}");
        Line(sb, $"- depth: valid {P(r.Depth.ValidRatio)}, mean {N(r.Depth.Mean)} mm, range {r.Depth.Min}–{r.Depth.Max} mm");
        Line(sb, $"- label errors: {r.Labels.Errors}; near duplicates: {r.NearDuplicates.Pairs} pair(s) ({P(r.NearDuplicates.Rate)}); split leakage: {r.Leakage.Total} pair(s)");
        Line(sb, $"- splits: {string.Join(", ", r.Splits.Select(s => $"{s.Name} {s.Samples}"))}");
        return sb.ToString();
    }

    /// <summary>The compact table printed at the end of a build.</summary>
    public static IReadOnlyList<string> BuildTable(QualityReport r)
    {
        var lines = new List<string>
        {
            $"  Quality: {r.Dataset}: {r.Samples} samples; classes {string.Join(", ", r.Classes.Select(c => $"{c.Name} {c.Instances}"))}",
        };
        if (r.Gates.Count == 0) lines.Add("    (no SynthGate declared)");
        int width = Math.Max(4, r.Gates.Select(g => g.Name.Length).DefaultIfEmpty(4).Max());
        foreach (GateResult g in r.Gates)
            lines.Add(string.Format(CultureInfo.InvariantCulture, "    {0} {1,-12} {2,-14} {3}",
                g.Name.PadRight(width), QualityGates.MeasuredText(g.Low, g.High), QualityGates.BoundsText(g.Min, g.Max), Verdict(g)));
        return lines;
    }

    public static string Verdict(GateResult g) =>
        !g.Enabled ? (g.Passed ? "pass (gates off)" : "FAIL (gates off)") :
        g.Passed ? "pass" : g.Severity == GateSeverity.Error ? "FAIL" : "warn";

    private static string Short(string digest) => digest.Length > 12 ? digest[..12] : digest;

    private static void Line(StringBuilder sb, string text) => sb.Append(text).Append('\n');
}
