using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SynthBuild.Quality;

/// <summary>
/// The reviewer's view of a dataset change: two quality reports side by side — samples added, removed and
/// changed, class counts, distributions and gate values with their verdicts — rendered as Markdown for a
/// pull-request comment.
/// </summary>
/// <param name="ByContent">Samples were matched by content (hash of their files' manifest hashes); false when one
/// report predates content hashes and the input keys were used instead (any config change then changes every key).</param>
public sealed record QualityComparison(
    QualityReport Before, QualityReport After, string BeforeLabel, string AfterLabel,
    IReadOnlyList<int> Added, IReadOnlyList<int> Removed, IReadOnlyList<int> Changed, int Unchanged, bool ByContent)
{
    private const int ListedSamples = 20;

    public static QualityComparison Of(QualityReport before, QualityReport after, string beforeLabel = "before", string afterLabel = "after")
    {
        // A sample is identified by its index; it changed when its content (or, for old reports, its input key) differs.
        bool byContent = before.SampleHashes is { Count: > 0 } && after.SampleHashes is { Count: > 0 };
        IReadOnlyList<string> a = byContent ? before.SampleHashes! : before.SampleKeys, b = byContent ? after.SampleHashes! : after.SampleKeys;
        int common = Math.Min(a.Count, b.Count);
        var changed = new List<int>();
        for (int i = 0; i < common; i++) if (a[i] != b[i]) changed.Add(i);
        return new QualityComparison(before, after, beforeLabel, afterLabel,
            Added: Enumerable.Range(common, Math.Max(0, b.Count - common)).ToList(),
            Removed: Enumerable.Range(common, Math.Max(0, a.Count - common)).ToList(),
            Changed: changed, Unchanged: common - changed.Count, ByContent: byContent);
    }

    /// <summary>Gates that pass before (or were not declared) and fail after (error severity): what makes a pull request red.</summary>
    public IReadOnlyList<string> Regressions =>
        After.Gates.Where(g => !g.Passed && g.Severity == GateSeverity.Error)
            .Where(g => Before.Gates.FirstOrDefault(b => b.Name == g.Name) is not { Passed: false })
            .Select(g => g.Name).ToList();

    /// <summary>Gates that failed before and pass after.</summary>
    public IReadOnlyList<string> Fixed =>
        After.Gates.Where(g => g.Passed && Before.Gates.FirstOrDefault(b => b.Name == g.Name) is { Passed: false })
            .Select(g => g.Name).ToList();

    /// <summary>
    /// The comparison as one JSON object (<c>synth quality compare --json</c>, docs/cli.md): both sides, the samples
    /// added/removed/changed, gate regressions and fixes, instances per class and every gate on both sides.
    /// Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity", as in quality.json.
    /// </summary>
    /// <param name="w">A writer inside the object: the caller writes its braces.</param>
    public void WriteJsonProperties(Utf8JsonWriter w)
    {
        Side(w, "before", BeforeLabel, Before);
        Side(w, "after", AfterLabel, After);
        w.WriteBoolean("identical", Before.Digest == After.Digest);
        w.WriteStartObject("samples");
        w.WriteBoolean("byContent", ByContent);
        Ints(w, "added", Added);
        Ints(w, "removed", Removed);
        Ints(w, "changed", Changed);
        w.WriteNumber("unchanged", Unchanged);
        w.WriteEndObject();
        Strings(w, "regressions", Regressions);
        Strings(w, "fixed", Fixed);
        w.WriteStartArray("classes");
        foreach (string name in Before.Classes.Select(c => c.Name).Concat(After.Classes.Select(c => c.Name)).Distinct())
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteNumber("before", Before.Classes.FirstOrDefault(c => c.Name == name)?.Instances ?? 0);
            w.WriteNumber("after", After.Classes.FirstOrDefault(c => c.Name == name)?.Instances ?? 0);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("gates");
        foreach (string name in Before.Gates.Select(g => g.Name).Concat(After.Gates.Select(g => g.Name)).Distinct())
        {
            GateResult? ga = Before.Gates.FirstOrDefault(g => g.Name == name), gb = After.Gates.FirstOrDefault(g => g.Name == name);
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("severity", JsonNamingPolicy.CamelCase.ConvertName((gb ?? ga)!.Severity.ToString()));
            Gate(w, "before", ga);
            Gate(w, "after", gb);
            w.WriteBoolean("regressed", Regressions.Contains(name));
            w.WriteEndObject();
        }
        w.WriteEndArray();

        static void Side(Utf8JsonWriter w, string key, string label, QualityReport r)
        {
            w.WriteStartObject(key);
            w.WriteString("label", label);
            w.WriteString("dataset", r.Dataset);
            w.WriteString("digest", r.Digest);
            w.WriteNumber("samples", r.Samples);
            w.WriteEndObject();
        }
        static void Gate(Utf8JsonWriter w, string key, GateResult? g)
        {
            if (g is null) { w.WriteNull(key); return; }
            w.WriteStartObject(key);
            w.WriteBoolean("enabled", g.Enabled);
            w.WriteBoolean("passed", g.Passed);
            Number(w, "low", g.Low);
            Number(w, "high", g.High);
            if (g.Min is double min) Number(w, "min", min); else w.WriteNull("min");
            if (g.Max is double max) Number(w, "max", max); else w.WriteNull("max");
            w.WriteEndObject();
        }
        static void Number(Utf8JsonWriter w, string key, double v)
        {
            if (double.IsFinite(v)) w.WriteNumber(key, v);
            else w.WriteString(key, double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        }
        static void Ints(Utf8JsonWriter w, string key, IReadOnlyList<int> values)
        {
            w.WriteStartArray(key);
            foreach (int v in values) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
        static void Strings(Utf8JsonWriter w, string key, IReadOnlyList<string> values)
        {
            w.WriteStartArray(key);
            foreach (string v in values) w.WriteStringValue(v);
            w.WriteEndArray();
        }
    }

    public string Render()
    {
        var sb = new StringBuilder();
        QualityReport a = Before, b = After;
        var regressions = Regressions;
        Line(sb, $"## Dataset comparison: {b.Dataset}");
        Line(sb, "");
        Line(sb, $"**before:** {BeforeLabel} ({a.Samples} samples, digest `{Short(a.Digest)}`) → **after:** {AfterLabel} ({b.Samples} samples, digest `{Short(b.Digest)}`)");
        Line(sb, "");
        Line(sb, regressions.Count > 0 ? $"❌ gates that regressed: {string.Join(", ", regressions)}"
            : a.Digest == b.Digest ? "✅ identical datasets (same digest)" : "✅ no gate regressed");
        if (Fixed.Count > 0) Line(sb, $"✅ gates that now pass: {string.Join(", ", Fixed)}");
        Line(sb, "");
        Line(sb, $"**Samples:** {Added.Count} added, {Removed.Count} removed, {Changed.Count} changed, {Unchanged} unchanged" +
                 (ByContent ? " (by content: the hashes of each sample's files in the manifest)" : " (by input key: one report has no content hashes)"));
        if (Added.Count > 0) Line(sb, $"- added: {Indices(Added)}");
        if (Removed.Count > 0) Line(sb, $"- removed: {Indices(Removed)}");
        if (Changed.Count > 0) Line(sb, $"- changed: {Indices(Changed)}");
        Line(sb, "");

        Line(sb, "### Classes (instances)");
        Line(sb, "");
        Line(sb, "| class | before | after | change | share before | share after |");
        Line(sb, "|---|---:|---:|---:|---:|---:|");
        var names = a.Classes.Select(c => c.Name).Concat(b.Classes.Select(c => c.Name)).Distinct().ToList();
        long totalA = a.Classes.Sum(c => c.Instances), totalB = b.Classes.Sum(c => c.Instances);
        foreach (string name in names)
        {
            long ia = a.Classes.FirstOrDefault(c => c.Name == name)?.Instances ?? 0, ib = b.Classes.FirstOrDefault(c => c.Name == name)?.Instances ?? 0;
            Line(sb, string.Format(CultureInfo.InvariantCulture, "| {0} | {1} | {2} | {3} | {4:0.0%} | {5:0.0%} |",
                name, ia, ib, Delta(ib - ia), totalA == 0 ? 0 : (double)ia / totalA, totalB == 0 ? 0 : (double)ib / totalB));
        }
        Line(sb, "");

        Plots(sb, a, b, names);

        Line(sb, "### Distributions");
        Line(sb, "");
        Line(sb, "| measure | before | after | change |");
        Line(sb, "|---|---:|---:|---:|");
        Row(sb, "class balance (max/min)", a.ClassBalanceRatio, b.ClassBalanceRatio);
        Row(sb, "objects per image (min)", a.ObjectsPerImage.Min, b.ObjectsPerImage.Min);
        Row(sb, "objects per image (mean)", a.ObjectsPerImage.Mean, b.ObjectsPerImage.Mean);
        Row(sb, "objects per image (max)", a.ObjectsPerImage.Max, b.ObjectsPerImage.Max);
        Row(sb, "box size: small share", Share(a.BoxSizes.Small, a.BoxSizes.Total), Share(b.BoxSizes.Small, b.BoxSizes.Total));
        Row(sb, "box size: medium share", Share(a.BoxSizes.Medium, a.BoxSizes.Total), Share(b.BoxSizes.Medium, b.BoxSizes.Total));
        Row(sb, "box size: large share", Share(a.BoxSizes.Large, a.BoxSizes.Total), Share(b.BoxSizes.Large, b.BoxSizes.Total));
        Row(sb, "visibility (mean)", a.Visibility.Mean, b.Visibility.Mean);
        Row(sb, "truncated objects (share)", a.Visibility.TruncatedShare, b.Visibility.TruncatedShare);
        Row(sb, "brightness (mean)", a.Images.BrightnessMean, b.Images.BrightnessMean);
        Row(sb, "brightness (min)", a.Images.BrightnessMin, b.Images.BrightnessMin);
        Row(sb, "brightness (max)", a.Images.BrightnessMax, b.Images.BrightnessMax);
        Row(sb, "contrast (mean)", a.Images.ContrastMean, b.Images.ContrastMean);
        Row(sb, "depth valid ratio", a.Depth.ValidRatio, b.Depth.ValidRatio);
        Row(sb, "depth mean (mm)", a.Depth.Mean, b.Depth.Mean);
        Row(sb, "label errors", a.Labels.Errors, b.Labels.Errors);
        Row(sb, "near-duplicate rate", a.NearDuplicates.Rate, b.NearDuplicates.Rate);
        Row(sb, "split leakage (pairs)", a.Leakage.Total, b.Leakage.Total);
        foreach (string split in a.Splits.Select(s => s.Name).Concat(b.Splits.Select(s => s.Name)).Distinct())
            Row(sb, $"{split} samples", a.Splits.FirstOrDefault(x => x.Name == split)?.Samples ?? 0, b.Splits.FirstOrDefault(x => x.Name == split)?.Samples ?? 0);
        Line(sb, "");

        Line(sb, "### Gates");
        Line(sb, "");
        var gateNames = a.Gates.Select(g => g.Name).Concat(b.Gates.Select(g => g.Name)).Distinct().ToList();
        if (gateNames.Count == 0) { Line(sb, "(no gate declared on either side)"); return sb.ToString(); }
        Line(sb, "| gate | before | after | bounds before | bounds after | verdict |");
        Line(sb, "|---|---:|---:|---|---|---|");
        foreach (string name in gateNames)
        {
            GateResult? ga = a.Gates.FirstOrDefault(g => g.Name == name), gb = b.Gates.FirstOrDefault(g => g.Name == name);
            string verdict = (ga, gb) switch
            {
                (null, { } y) => $"new: {MarkdownReport.Verdict(y)}",
                ({ } x, null) => $"removed (was {MarkdownReport.Verdict(x)})",
                ({ } x, { } y) when x.Passed == y.Passed => MarkdownReport.Verdict(y),
                ({ } x, { } y) => $"{MarkdownReport.Verdict(x)} → **{MarkdownReport.Verdict(y)}**",
                _ => "",
            };
            Line(sb, $"| {name} | {Measured(ga)} | {Measured(gb)} | {Bounds(ga)} | {Bounds(gb)} | {verdict} |");
        }
        return sb.ToString();
    }

    /// <summary>
    /// Mermaid xychart-beta blocks (GitHub renders them in job summaries and comments): instances per class and the
    /// distribution of objects per image, before as bars and after as a line (the chart type has no legend).
    /// </summary>
    private static void Plots(StringBuilder sb, QualityReport a, QualityReport b, IReadOnlyList<string> classes)
    {
        if (classes.Count == 0) return;
        Line(sb, "### Plots");
        Line(sb, "");
        long[] ia = classes.Select(n => a.Classes.FirstOrDefault(c => c.Name == n)?.Instances ?? 0).ToArray();
        long[] ib = classes.Select(n => b.Classes.FirstOrDefault(c => c.Name == n)?.Instances ?? 0).ToArray();
        Chart(sb, "Instances per class (bars: before, line: after)", classes.Select(Label), "instances",
            ia.Select(v => (double)v), ib.Select(v => (double)v));

        // Objects per image: both histograms over the same integer bins, as shares of images (sample counts may differ).
        Histogram ha = a.ObjectsPerImage.PerImage, hb = b.ObjectsPerImage.PerImage;
        int lo = Math.Min(a.ObjectsPerImage.Min, b.ObjectsPerImage.Min), hi = Math.Max(a.ObjectsPerImage.Max, b.ObjectsPerImage.Max);
        int last = Math.Min(ha.Counts.Length, hb.Counts.Length) - 1; // the last bin also holds every larger count
        bool capped = hi >= last;
        hi = Math.Min(hi, last);
        if (ha.Min == 0 && hb.Min == 0 && ha.BinWidth == 1 && hb.BinWidth == 1 && hi >= lo)
        {
            var bins = Enumerable.Range(lo, hi - lo + 1).ToList();
            Chart(sb, "Images by number of objects, % (bars: before, line: after)",
                bins.Select(i => Label(i.ToString(CultureInfo.InvariantCulture) + (capped && i == last ? "+" : ""))),
                "% of images", bins.Select(i => Percent(ha, i, a.Samples)), bins.Select(i => Percent(hb, i, b.Samples)));
        }
    }

    private static double Percent(Histogram h, int objects, int samples) =>
        samples == 0 ? 0 : Math.Round(100.0 * h.Counts[h.BinOf(objects)] / samples, 1);

    private static void Chart(StringBuilder sb, string title, IEnumerable<string> xs, string yLabel, IEnumerable<double> before, IEnumerable<double> after)
    {
        Line(sb, "```mermaid");
        Line(sb, "xychart-beta");
        Line(sb, $"    title \"{title}\"");
        Line(sb, $"    x-axis [{string.Join(", ", xs)}]");
        Line(sb, $"    y-axis \"{yLabel}\"");
        Line(sb, $"    bar [{string.Join(", ", before.Select(Num))}]");
        Line(sb, $"    line [{string.Join(", ", after.Select(Num))}]");
        Line(sb, "```");
        Line(sb, "");
    }

    private static string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A category name as a Mermaid axis label: quoted, without characters that end the string.</summary>
    private static string Label(string name) => "\"" + name.Replace("\"", "'") + "\"";

    private static string Measured(GateResult? g) => g is null ? "–" : QualityGates.MeasuredText(g.Low, g.High);
    private static string Bounds(GateResult? g) => g is null ? "–" : QualityGates.BoundsText(g.Min, g.Max);

    private static string Indices(IReadOnlyList<int> indices) =>
        string.Join(", ", indices.Take(ListedSamples).Select(i => i.ToString(CultureInfo.InvariantCulture))) +
        (indices.Count > ListedSamples ? $", … ({indices.Count - ListedSamples} more)" : "");

    private static double Share(long part, long total) => total == 0 ? 0 : (double)part / total;

    private static void Row(StringBuilder sb, string what, double a, double b) =>
        Line(sb, $"| {what} | {QualityGates.Number(a)} | {QualityGates.Number(b)} | " +
                 (a == b || !double.IsFinite(b - a) ? "" : (b > a ? "+" : "") + QualityGates.Number(b - a)) + " |");

    private static string Delta(long d) => d == 0 ? "" : d > 0 ? "+" + d.ToString(CultureInfo.InvariantCulture) : d.ToString(CultureInfo.InvariantCulture);

    private static string Short(string digest) => digest.Length > 12 ? digest[..12] : digest;

    private static void Line(StringBuilder sb, string text) => sb.Append(text).Append('\n');
}
