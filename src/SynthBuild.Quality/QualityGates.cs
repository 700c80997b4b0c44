using System.Globalization;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Quality;

/// <summary>A documented gate: what it measures on a report and its default bounds.</summary>
/// <param name="Unavailable">Why the report cannot measure it (null = it can): a gate on another stage's output, such
/// as the probe's, is an error when that output is missing rather than a silent pass or fail.</param>
public sealed record GateDefinition(string Name, string Measures, double? DefaultMin, double? DefaultMax, Func<QualityReport, (double Low, double High)> Measure,
    Func<QualityReport, string?>? Unavailable = null);

/// <summary>
/// A gate as declared in the project (<c>&lt;SynthGate Include="class-balance" Max="1.15" /&gt;</c>): its name,
/// metadata (Min, Max, Severity) and where it is declared, for diagnostics.
/// </summary>
public sealed record GateDeclaration(string Name, IReadOnlyDictionary<string, string> Metadata, string? File = null, int Line = 0, int Column = 0);

/// <summary>Evaluates declared gates against a report. Failing gates become SYN5001 diagnostics.</summary>
public static class QualityGates
{
    public static IReadOnlyList<GateDefinition> All { get; } =
    [
        new("class-balance", "largest / smallest instance count over categories", null, 1.15, r => Same(r.ClassBalanceRatio)),
        new("min-objects-per-image", "fewest labelled objects in one image", 3, null, r => Same(r.ObjectsPerImage.Min)),
        new("min-mean-visibility", "mean visibility over all objects", 0.5, null, r => Same(r.Visibility.Mean)),
        new("box-size-mix", "share of the most common COCO size class (small/medium/large)", null, 0.9, r => Same(r.BoxSizes.LargestShare)),
        new("brightness-range", "darkest and brightest image's mean luma (0–255)", 20, 245, r => (r.Images.BrightnessMin, r.Images.BrightnessMax)),
        new("depth-valid-ratio", "share of depth pixels with a measurement", 0.7, null, r => Same(r.Depth.ValidRatio)),
        new("label-errors", "label sanity errors (boxes, ids, box/mask consistency)", null, 0, r => Same(r.Labels.Errors)),
        new("near-duplicate-rate", "share of images with a near-duplicate earlier in the dataset", null, 0.01, r => Same(r.NearDuplicates.Rate)),
        new("split-leakage", "identical or near-identical sample pairs across train/val/test", null, 0, r => Same(r.Leakage.Total)),
        // The probe detector's val metrics (reports/probe.json, written by the SynthProbe target).
        new("probe-ap50", "probe detector's val AP at IoU 0.5", 0.3, null, r => Same(ProbeSummary.GateValue(r, "AP50").Value), r => ProbeSummary.GateValue(r, "AP50").Missing),
        new("probe-ap", "probe detector's val AP (IoU 0.5:0.95)", 0.1, null, r => Same(ProbeSummary.GateValue(r, "AP").Value), r => ProbeSummary.GateValue(r, "AP").Missing),
    ];

    private static (double, double) Same(double v) => (v, v);

    public static GateDefinition? Find(string name) =>
        All.FirstOrDefault(g => string.Equals(g.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Results for every valid declaration, plus diagnostics: SYN5001 for a failing gate (error or warning, as
    /// declared), SYN5002/SYN5003 for unknown names and bad metadata. With <paramref name="enabled"/> false the
    /// gates are measured and reported but never fail.
    /// </summary>
    public static (IReadOnlyList<GateResult> Results, IReadOnlyList<Diagnostic> Diagnostics) Evaluate(
        QualityReport report, IEnumerable<GateDeclaration> declarations, bool enabled = true)
    {
        var results = new List<GateResult>();
        var diagnostics = new List<Diagnostic>();
        foreach (GateDeclaration decl in declarations)
        {
            GateDefinition? def = Find(decl.Name);
            if (def is null)
            {
                diagnostics.Add(Diagnostic.Error(SynCodes.UnknownGate,
                    $"Unknown quality gate '{decl.Name}'. Known gates: {string.Join(", ", All.Select(g => g.Name))}.", decl.File, decl.Line, decl.Column));
                continue;
            }
            if (!TryBound(decl, "Min", def.DefaultMin, out double? min, diagnostics) | !TryBound(decl, "Max", def.DefaultMax, out double? max, diagnostics))
                continue;
            var severity = GateSeverity.Error;
            if (decl.Metadata.TryGetValue("Severity", out string? sev) && !string.IsNullOrWhiteSpace(sev))
            {
                if (!Enum.TryParse(sev.Trim(), ignoreCase: true, out severity) || !Enum.IsDefined(severity))
                {
                    diagnostics.Add(Diagnostic.Error(SynCodes.InvalidGate, $"Quality gate '{def.Name}': Severity must be Error or Warning, found '{sev}'.", decl.File, decl.Line, decl.Column));
                    continue;
                }
            }
            if (def.Unavailable?.Invoke(report) is string missing)
            {
                diagnostics.Add(Diagnostic.Error(SynCodes.ProbeReportMissing, $"Quality gate '{def.Name}' cannot be measured: {missing}.", decl.File, decl.Line, decl.Column));
                continue;
            }
            (double low, double high) = def.Measure(report);
            bool passed = !(min is double mn && !(low >= mn)) && !(max is double mx && !(high <= mx));
            results.Add(new GateResult(def.Name, severity, enabled, low, high, min, max, passed, def.Measures));
            if (passed || !enabled) continue;
            string message = $"Quality gate '{def.Name}' failed: {def.Measures} is {MeasuredText(low, high)}, {ThresholdText(low, high, min, max)}.";
            diagnostics.Add(severity == GateSeverity.Error
                ? Diagnostic.Error(SynCodes.GateFailed, message, decl.File, decl.Line, decl.Column)
                : Diagnostic.Warning(SynCodes.GateFailed, message, decl.File, decl.Line, decl.Column));
        }
        return (results, diagnostics);
    }

    private static bool TryBound(GateDeclaration decl, string key, double? fallback, out double? bound, List<Diagnostic> diagnostics)
    {
        bound = fallback;
        if (!decl.Metadata.TryGetValue(key, out string? text) || string.IsNullOrWhiteSpace(text)) return true;
        if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v))
        {
            bound = v;
            return true;
        }
        diagnostics.Add(Diagnostic.Error(SynCodes.InvalidGate, $"Quality gate '{decl.Name}': {key} must be a number, found '{text}'.", decl.File, decl.Line, decl.Column));
        return false;
    }

    public static string Number(double v) =>
        double.IsPositiveInfinity(v) ? "infinite" : v.ToString(Math.Abs(v) >= 100 ? "0.#" : "0.####", CultureInfo.InvariantCulture);

    public static string MeasuredText(double low, double high) => low == high ? Number(low) : $"{Number(low)}–{Number(high)}";

    private static string ThresholdText(double low, double high, double? min, double? max)
    {
        var parts = new List<string>();
        if (min is double mn && !(low >= mn)) parts.Add($"below the minimum {Number(mn)}");
        if (max is double mx && !(high <= mx)) parts.Add($"above the maximum {Number(mx)}");
        return string.Join(" and ", parts);
    }

    public static string BoundsText(double? min, double? max) =>
        min is double a && max is double b ? $"{Number(a)}..{Number(b)}" : min is double c ? $">= {Number(c)}" : max is double d ? $"<= {Number(d)}" : "-";

    /// <summary>
    /// Where <c>&lt;SynthGate Include="name" ...&gt;</c> is declared in a project file: 1-based line and column of the
    /// element, or (0, 0) when the file cannot be read or does not declare it (e.g. an item from an import).
    /// MSBuild items carry no positions, so the project XML is read again with line info.
    /// </summary>
    public static (int Line, int Column) Locate(string projectFile, string gateName) =>
        ProjectItemLocator.Locate(projectFile, "SynthGate", gateName);
}
