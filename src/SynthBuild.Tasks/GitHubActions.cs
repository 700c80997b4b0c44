using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;

namespace SynthBuild.Tasks;

/// <summary>What a build tells a GitHub Actions job: a job summary (<c>$GITHUB_STEP_SUMMARY</c>) and step outputs
/// (<c>$GITHUB_OUTPUT</c>). Both are files the runner names in the environment; outside Actions nothing happens.</summary>
internal static class GitHubActions
{
    /// <summary>Appends Markdown to the job summary, when there is one. A summary that cannot be written is not an error.</summary>
    public static void AppendSummary(TaskLoggingHelper log, string markdown)
    {
        string? summary = Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY");
        if (string.IsNullOrEmpty(summary)) return;
        try { File.AppendAllText(summary, markdown); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { log.LogMessage(MessageImportance.Normal, "Could not append to GITHUB_STEP_SUMMARY: {0}", ex.Message); }
    }

    /// <summary>Appends name=value step outputs, when the job has an output file; false (with a warning) when it cannot.</summary>
    public static void SetOutputs(TaskLoggingHelper log, IEnumerable<KeyValuePair<string, string>> outputs, string projectFile)
    {
        string? file = Environment.GetEnvironmentVariable("GITHUB_OUTPUT");
        if (string.IsNullOrEmpty(file)) return;
        try { File.AppendAllText(file, string.Concat(outputs.Select(o => $"{o.Key}={o.Value}\n"))); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Log(Diagnostic.Warning(SynCodes.RetrainVerdictNotWritten, $"Could not write the step outputs to GITHUB_OUTPUT ({file}): {ex.Message}", projectFile));
        }
    }

    /// <summary>
    /// The retraining trigger after a sim-to-real gate (docs/ci.md): <paramref name="verdictFile"/> (reports/retrain.json)
    /// says "retrain" or "ok", and on GitHub Actions the step outputs retrain=true|false, gap=… and a summary paragraph.
    /// </summary>
    public static void WriteRetrainVerdict(TaskLoggingHelper log, IReadOnlyList<RetrainVerdict.Source> sources, string verdictFile,
        string? datasetDirectory, string projectFile)
    {
        if (sources.Count == 0) return;
        string? digest = null;
        if (datasetDirectory is { Length: > 0 } dir && File.Exists(Path.Combine(dir, Manifest.FileName)))
        {
            try { digest = DatasetReader.Open(dir).Info.Digest; }
            catch (DiagnosticException) { }  // an unreadable dataset has no digest to report; the gate still has its verdict
        }
        var verdict = RetrainVerdict.Create(sources, string.IsNullOrEmpty(datasetDirectory) ? null : Path.GetFullPath(datasetDirectory), digest, DateTimeOffset.UtcNow);
        if (verdictFile.Length > 0)
        {
            try
            {
                string full = Path.GetFullPath(verdictFile);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                AtomicFile.Write(full, verdict.ToJson());
                log.LogMessage(MessageImportance.High, "  Retraining verdict: {0} (gap {1:F3}, threshold {2:F3}) -> {3}",
                    verdict.Verdict, verdict.Worst.Report.Gap, verdict.Worst.Report.MaxGap, full);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                log.Log(Diagnostic.Warning(SynCodes.RetrainVerdictNotWritten, $"Could not write the retraining verdict {verdictFile}: {ex.Message}", projectFile));
            }
        }
        SetOutputs(log, verdict.StepOutputs(), projectFile);
        AppendSummary(log, verdict.SummaryMarkdown());
    }
}
