using System.Globalization;
using System.Text;

namespace SynthBuild.Core.Quality;

/// <summary>
/// The reviewer's view of a dataset change: two quality reports side by side — samples added, removed and
/// changed (by input key), class counts, distributions and gate values.
/// </summary>
public sealed record QualityComparison(
    QualityReport Before, QualityReport After, int Added, int Removed, int Changed, int Unchanged)
{
    public static QualityComparison Of(QualityReport before, QualityReport after)
    {
        // A sample is identified by its position (index) and its input key: the same index with another key was
        // regenerated with different inputs.
        int common = Math.Min(before.SampleKeys.Count, after.SampleKeys.Count), changed = 0;
        for (int i = 0; i < common; i++) if (before.SampleKeys[i] != after.SampleKeys[i]) changed++;
        return new QualityComparison(before, after,
            Added: Math.Max(0, after.SampleKeys.Count - before.SampleKeys.Count),
            Removed: Math.Max(0, before.SampleKeys.Count - after.SampleKeys.Count),
            Changed: changed, Unchanged: common - changed);
    }

    /// <summary>Gates that pass before and fail after (enabled, error severity): what makes a pull request red.</summary>
    public IReadOnlyList<string> Regressions =>
        After.Gates.Where(g => !g.Passed && g.Severity == GateSeverity.Error)
            .Where(g => Before.Gates.FirstOrDefault(b => b.Name == g.Name) is not { Passed: false })
            .Select(g => g.Name).ToList();

    public string Render()
    {
        var sb = new StringBuilder();
        QualityReport a = Before, b = After;
        Line(sb, $"Quality comparison: {a.Dataset} ({Short(a.Digest)}, {a.Samples} samples) -> {b.Dataset} ({Short(b.Digest)}, {b.Samples} samples)");
        if (a.Digest == b.Digest) Line(sb, "  same dataset digest: the datasets are identical");
        Line(sb, $"Samples: {Added} added, {Removed} removed, {Changed} changed, {Unchanged} unchanged");
        Line(sb, "");
        Line(sb, "Classes (instances):");
        var names = a.Classes.Select(c => c.Name).Concat(b.Classes.Select(c => c.Name)).Distinct().ToList();
        int w = Math.Max(8, names.Select(n => n.Length).DefaultIfEmpty(8).Max());
        long totalA = a.Classes.Sum(c => c.Instances), totalB = b.Classes.Sum(c => c.Instances);
        foreach (string name in names)
        {
            long ia = a.Classes.FirstOrDefault(c => c.Name == name)?.Instances ?? 0, ib = b.Classes.FirstOrDefault(c => c.Name == name)?.Instances ?? 0;
            Line(sb, string.Format(CultureInfo.InvariantCulture, "  {0} {1,8} -> {2,8}  {3,9}  share {4,6:0.0%} -> {5,6:0.0%}",
                name.PadRight(w), ia, ib, Delta(ib - ia), totalA == 0 ? 0 : (double)ia / totalA, totalB == 0 ? 0 : (double)ib / totalB));
        }
        Line(sb, "  " + Row("class balance (max/min)", a.ClassBalanceRatio, b.ClassBalanceRatio));
        Line(sb, "");
        Line(sb, "Distributions:");
        Line(sb, "  " + Row("objects per image (mean)", a.ObjectsPerImage.Mean, b.ObjectsPerImage.Mean));
        Line(sb, "  " + Row("objects per image (min)", a.ObjectsPerImage.Min, b.ObjectsPerImage.Min));
        Line(sb, "  " + Row("box size: small share", Share(a.BoxSizes.Small, a.BoxSizes.Total), Share(b.BoxSizes.Small, b.BoxSizes.Total)));
        Line(sb, "  " + Row("box size: medium share", Share(a.BoxSizes.Medium, a.BoxSizes.Total), Share(b.BoxSizes.Medium, b.BoxSizes.Total)));
        Line(sb, "  " + Row("box size: large share", Share(a.BoxSizes.Large, a.BoxSizes.Total), Share(b.BoxSizes.Large, b.BoxSizes.Total)));
        Line(sb, "  " + Row("visibility (mean)", a.Visibility.Mean, b.Visibility.Mean));
        Line(sb, "  " + Row("brightness (mean)", a.Images.BrightnessMean, b.Images.BrightnessMean));
        Line(sb, "  " + Row("contrast (mean)", a.Images.ContrastMean, b.Images.ContrastMean));
        Line(sb, "  " + Row("depth valid ratio", a.Depth.ValidRatio, b.Depth.ValidRatio));
        Line(sb, "  " + Row("depth mean (mm)", a.Depth.Mean, b.Depth.Mean));
        Line(sb, "  " + Row("label errors", a.Labels.Errors, b.Labels.Errors));
        Line(sb, "  " + Row("near-duplicate rate", a.NearDuplicates.Rate, b.NearDuplicates.Rate));
        Line(sb, "  " + Row("split leakage (pairs)", a.Leakage.Total, b.Leakage.Total));
        foreach (SplitStats s in b.Splits)
            Line(sb, "  " + Row($"{s.Name} samples", a.Splits.FirstOrDefault(x => x.Name == s.Name)?.Samples ?? 0, s.Samples));
        Line(sb, "");
        Line(sb, "Gates:");
        var gateNames = a.Gates.Select(g => g.Name).Concat(b.Gates.Select(g => g.Name)).Distinct().ToList();
        if (gateNames.Count == 0) Line(sb, "  (none declared)");
        foreach (string name in gateNames)
        {
            GateResult? ga = a.Gates.FirstOrDefault(g => g.Name == name), gb = b.Gates.FirstOrDefault(g => g.Name == name);
            string Side(GateResult? g) => g is null ? "(not declared)" : $"{QualityGates.MeasuredText(g.Low, g.High)} [{QualityGates.BoundsText(g.Min, g.Max)}] {MarkdownReport.Verdict(g)}";
            Line(sb, $"  {name.PadRight(22)} {Side(ga)} -> {Side(gb)}");
        }
        var regressions = Regressions;
        Line(sb, "");
        Line(sb, regressions.Count == 0 ? "No gate regressed." : $"Regressed gates: {string.Join(", ", regressions)}");
        return sb.ToString();
    }

    private static double Share(long part, long total) => total == 0 ? 0 : (double)part / total;

    private static string Row(string what, double a, double b) =>
        string.Format(CultureInfo.InvariantCulture, "{0,-26} {1,10} -> {2,-10} {3}", what, QualityGates.Number(a), QualityGates.Number(b),
            a == b ? "" : double.IsFinite(b - a) ? (b > a ? "+" : "") + QualityGates.Number(b - a) : "");

    private static string Delta(long d) => d == 0 ? "" : d > 0 ? "+" + d.ToString(CultureInfo.InvariantCulture) : d.ToString(CultureInfo.InvariantCulture);

    private static string Short(string digest) => digest.Length > 12 ? digest[..12] : digest;

    private static void Line(StringBuilder sb, string text) => sb.Append(text).Append('\n');
}
