using Microsoft.Build.Framework;
using SynthBuild.Lineage;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Quality;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>
/// Resolves <c>SynthCompareTo</c>: an existing path (report, dataset folder, release archive or folder) is read as
/// it is; anything else is a git ref, whose project is laid out for a build with today's engine (the target then
/// builds it with the MSBuild task unless the report is cached).
/// </summary>
public sealed class SynthCompareBaseline : MSBuildTask
{
    [Required] public string CompareTo { get; set; } = "";
    [Required] public string ProjectFile { get; set; } = "";
    [Required] public string CacheDirectory { get; set; } = "";
    /// <summary>Settings that change the dataset besides the project (sample count and seed overrides).</summary>
    public string Variant { get; set; } = "";

    /// <summary>The report to compare with (for a ref: where its build writes it).</summary>
    [Output] public string BaselineReport { get; private set; } = "";
    [Output] public string BaselineLabel { get; private set; } = "";
    /// <summary>Set when the ref's project must be built: its copy, and the dataset folder to build it into.</summary>
    [Output] public string BaselineProject { get; private set; } = "";
    [Output] public string BaselineOutputDirectory { get; private set; } = "";

    public override bool Execute()
    {
        string value = CompareTo.Trim();
        string asPath = Path.IsPathRooted(value) ? value : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ProjectFile))!, value);
        if (File.Exists(asPath) || Directory.Exists(asPath))
        {
            BaselineReport = Path.GetFullPath(asPath);
            BaselineLabel = value;
            return true;
        }
        try
        {
            GitBaseline b = QualityBaseline.PrepareGitRef(ProjectFile, value, CacheDirectory, Variant);
            BaselineReport = b.ReportFile;
            BaselineLabel = $"{value} ({b.Commit[..12]})";
            if (b.Cached)
                Log.LogMessage(MessageImportance.High, "  Compare: {0} at {1} was built before with this engine: reusing {2}", value, b.Commit[..12], b.ReportFile);
            else
            {
                BaselineProject = b.ProjectFile;
                BaselineOutputDirectory = b.OutputDirectory;
                Log.LogMessage(MessageImportance.High, "  Compare: building the project as of {0} ({1}) with this engine into {2}", value, b.Commit[..12], b.OutputDirectory);
            }
            return true;
        }
        catch (DiagnosticException ex)
        {
            Log.Log(ex.Diagnostic);
            return false;
        }
    }
}

/// <summary>
/// Compares this build's quality report with the baseline's and writes the Markdown (reports/compare.md), prints it
/// and appends it to <c>$GITHUB_STEP_SUMMARY</c> when set.
/// </summary>
public sealed class SynthCompare : MSBuildTask
{
    [Required] public string BaselineReport { get; set; } = "";
    [Required] public string Report { get; set; } = "";
    public string BaselineLabel { get; set; } = "baseline";
    [Required] public string OutputFile { get; set; } = "";

    public override bool Execute()
    {
        try
        {
            QualityReport before = QualityBaseline.Load(BaselineReport), after = QualityBaseline.Load(Report);
            var comparison = QualityComparison.Of(before, after, BaselineLabel, "this build");
            string markdown = comparison.Render();
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(OutputFile))!);
            SynthBuild.Core.Storage.AtomicFile.Write(OutputFile, System.Text.Encoding.UTF8.GetBytes(markdown));
            foreach (string line in markdown.Split('\n')) Log.LogMessage(MessageImportance.High, "  {0}", line);
            string? summary = Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY");
            if (!string.IsNullOrEmpty(summary))
            {
                try { File.AppendAllText(summary, markdown + "\n"); }
                catch (IOException ex) { Log.LogMessage(MessageImportance.Normal, "Could not append to GITHUB_STEP_SUMMARY: {0}", ex.Message); }
            }
            return true;
        }
        catch (DiagnosticException ex)
        {
            Log.Log(ex.Diagnostic);
            return false;
        }
    }
}
