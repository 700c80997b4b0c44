using System.Diagnostics;
using System.Text;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Quality;

public sealed record QualityRunResult(
    QualityReport? Report,
    bool Analysed,
    bool ReportsWritten,
    TimeSpan AnalysisTime,
    TimeSpan Elapsed,
    IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => Report is not null && !Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// The quality stage of a build: analyse the dataset (only when its digest or the analysis settings changed),
/// evaluate the declared gates, and write <c>reports/quality.json</c>, <c>quality.md</c> and <c>quality.html</c>.
/// </summary>
public static class QualityStage
{
    public const string ReportsDir = DatasetLayout.ReportsDir;
    public const string JsonFile = DatasetLayout.QualityJson, MarkdownFile = DatasetLayout.QualityMarkdown, HtmlFile = DatasetLayout.QualityHtml;

    public static QualityRunResult Run(string datasetRoot, IEnumerable<GateDeclaration> gates, bool gatesEnabled,
        QualitySettings settings, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        DatasetReader reader;
        try { reader = DatasetReader.Open(datasetRoot); }
        catch (DiagnosticException ex) { return new(null, false, false, TimeSpan.Zero, clock.Elapsed, [ex.Diagnostic]); }

        string reports = Path.Combine(reader.Root, ReportsDir);
        string jsonPath = Path.Combine(reports, JsonFile), mdPath = Path.Combine(reports, MarkdownFile), htmlPath = Path.Combine(reports, HtmlFile);
        string key = settings.AnalysisKey(reader.Info);

        // Incremental: the analysis key covers the dataset digest and the settings; gates are re-evaluated each
        // build from the stored metrics (cheap), so changing a threshold never re-reads the dataset.
        QualityReport? metrics = TryReadPrevious(jsonPath, key);
        bool analysed = metrics is null;
        TimeSpan analysisTime = TimeSpan.Zero;
        if (metrics is null)
        {
            var t = Stopwatch.StartNew();
            try { metrics = QualityAnalyzer.Analyze(reader, settings, cancel); }
            catch (Exception ex) when (ex is IOException or InvalidDataException or KeyNotFoundException or System.Text.Json.JsonException)
            {
                return new(null, true, false, t.Elapsed, clock.Elapsed,
                    [Diagnostic.Error(SynCodes.AnalysisFailed, $"Quality analysis could not read the dataset: {ex.Message}", datasetRoot)]);
            }
            analysisTime = t.Elapsed;
        }

        // The probe report is another stage's output, read on every build (cheap): a new probe run changes the
        // report and its gates without analysing the dataset again.
        metrics = metrics with { Probe = ProbeSummary.TryRead(reader.Root, reader.Info.Digest) };
        var (results, diagnostics) = QualityGates.Evaluate(metrics, gates, gatesEnabled);
        QualityReport report = metrics with { Gates = results };
        byte[] json = report.ToJsonBytes();
        bool jsonChanged = !File.Exists(jsonPath) || !File.ReadAllBytes(jsonPath).AsSpan().SequenceEqual(json);
        bool written = jsonChanged || !File.Exists(mdPath) || !File.Exists(htmlPath)
            || (metrics.Probe is not null && SlicesSection.Stale(reader.Root, reader.Info.Digest, htmlPath));
        if (written)
        {
            // quality.json carries the analysis key, so it is the stamp: written last, once the other reports are
            // complete. A build killed (or failing) before it leaves the previous key, and the next build redoes all three.
            try
            {
                AtomicFile.Write(mdPath, Encoding.UTF8.GetBytes(MarkdownReport.Render(report)));
                AtomicFile.Write(htmlPath, Encoding.UTF8.GetBytes(HtmlReport.Render(report, reader, settings.ContactSheetSamples)));
                AtomicFile.Write(jsonPath, json);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new(null, analysed, false, analysisTime, clock.Elapsed,
                    [Diagnostic.Error(SynCodes.AnalysisFailed, $"Quality reports could not be written: {ex.Message} (expected a writable folder at '{reports}'). The reports are not marked current; the next build writes them again.", reports)]);
            }
        }
        var all = new List<Diagnostic>(diagnostics);
        if (!gatesEnabled && results.Count > 0)
            all.Insert(0, Diagnostic.Warning(SynCodes.GatesSwitchedOff,
                $"Quality gates are switched off for this build (SynthGates=false): {results.Count(r => !r.Passed)} of {results.Count} would fail."));
        return new(report, analysed, written, analysisTime, clock.Elapsed, all);
    }

    private static QualityReport? TryReadPrevious(string jsonPath, string key)
    {
        if (!File.Exists(jsonPath)) return null;
        try
        {
            QualityReport previous = QualityReport.Read(jsonPath);
            return previous.AnalysisKey == key ? previous : null;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or System.Text.Json.JsonException or NotSupportedException)
        {
            return null; // unreadable or older schema: analyse again
        }
    }
}
