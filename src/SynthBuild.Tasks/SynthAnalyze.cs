using System.Globalization;
using Microsoft.Build.Framework;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Quality;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>
/// The quality stage: analyses the built dataset (incrementally), writes reports/quality.{json,md,html}, turns
/// failing <c>SynthGate</c> items into SYN5001 errors or warnings at the line that declares them, and prints the
/// quality table.
/// </summary>
public sealed class SynthAnalyze : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string DatasetDirectory { get; set; } = "";
    /// <summary>SynthLockTimeout: seconds to wait for another build holding the dataset folder ("" = 30).</summary>
    public string LockTimeout { get; set; } = "";
    /// <summary>The .synthproj, to point gate diagnostics at the declaring line.</summary>
    public string ProjectFile { get; set; } = "";
    /// <summary>SynthGate items: identity = gate name; metadata Min, Max, Severity.</summary>
    public ITaskItem[] Gates { get; set; } = [];
    /// <summary>-p:SynthGates=false measures and reports the gates but never fails the build.</summary>
    public bool GatesEnabled { get; set; } = true;
    public int Threads { get; set; }
    public int ContactSheetSamples { get; set; } = 12;
    public int NearDuplicateMaxDistance { get; set; } = QualitySettings.DefaultNearDuplicateMaxDistance;
    /// <summary>How many samples have their PNGs decoded and checked in full: a count, or "all".</summary>
    public string Audit { get; set; } = "";

    [Output] public string ReportFile { get; private set; } = "";

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        var declarations = Gates.Select(Declaration).ToList();
        if (!QualitySettings.TryParseAudit(Audit, out int auditSamples))
        {
            Log.LogError(null, SynCodes.InvalidQualitySetting, null, ProjectFile, 0, 0, 0, 0,
                "SynthQualityAudit must be 'all' or a number of samples, found '{0}'.", Audit);
            return false;
        }
        var settings = new QualitySettings(NearDuplicateMaxDistance, ContactSheetSamples: ContactSheetSamples, Threads: Threads, AuditSamples: auditSamples);
        // Under the folder's lock: the report describes the samples no other build is changing.
        using var held = FolderLock.Take(Log, DatasetDirectory, "quality report", LockTimeout, ProjectFile, _cancel.Token);
        if (held is null) return false;
        QualityRunResult result = QualityStage.Run(DatasetDirectory, declarations, GatesEnabled, settings, _cancel.Token);
        foreach (var d in result.Diagnostics) Log.Log(d);
        if (result.Report is not QualityReport report) return false;

        string reports = Path.Combine(DatasetDirectory, QualityStage.ReportsDir);
        ReportFile = Path.Combine(reports, QualityStage.JsonFile);
        foreach (string line in MarkdownReport.BuildTable(report)) Log.LogMessage(MessageImportance.High, "{0}", line);
        Log.LogMessage(MessageImportance.High, string.Format(CultureInfo.InvariantCulture,
            result.Analysed ? "  Quality: analysed in {0:F1} s -> {1}" : "  Quality: analysis up to date ({0:F1} s) -> {1}",
            result.Analysed ? result.AnalysisTime.TotalSeconds : result.Elapsed.TotalSeconds, Path.Combine(reports, QualityStage.HtmlFile)));

        // CI: a pull request's job summary shows the same short report.
        GitHubActions.AppendSummary(Log, MarkdownReport.Render(report) + "\n");
        return result.Succeeded && !Log.HasLoggedErrors;
    }

    private GateDeclaration Declaration(ITaskItem item)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in new[] { "Min", "Max", "Severity" })
        {
            string value = item.GetMetadata(name);
            if (!string.IsNullOrEmpty(value)) metadata[name] = value;
        }
        // An item declared in an import points at that file; the project file otherwise.
        string file = item.GetMetadata("DefiningProjectFullPath");
        if (string.IsNullOrEmpty(file)) file = ProjectFile;
        var (line, column) = string.IsNullOrEmpty(file) ? (0, 0) : QualityGates.Locate(file, item.ItemSpec);
        return new GateDeclaration(item.ItemSpec, metadata, string.IsNullOrEmpty(file) ? null : file, line, column);
    }
}
