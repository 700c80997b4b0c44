using System.Globalization;
using Microsoft.Build.Framework;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Evaluation;
using SynthBuild.Models;
using SynthBuild.Models.Onnx;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>
/// The model stage: each SynthModel item (an ONNX detector) evaluated on the dataset and, with RealGroundTruth, on a
/// labelled real set with the sim-to-real gap as a gate (SYN7010). Reports under reports/models/ (docs/models.md).
/// </summary>
public sealed class SynthModelEval : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string DatasetDirectory { get; set; } = "";
    /// <summary>SynthModel items: identity = the .onnx file; metadata as docs/models.md lists.</summary>
    public ITaskItem[] Models { get; set; } = [];
    /// <summary>SynthTrainer items: only their names, which share reports/models/ with the models'.</summary>
    public ITaskItem[] Trainers { get; set; } = [];
    /// <summary>The .synthproj: relative metadata paths resolve against its folder, and errors point at it.</summary>
    public string ProjectFile { get; set; } = "";
    /// <summary>Only the models with a real set (the SynthSimToReal target).</summary>
    public bool RealSetsOnly { get; set; }
    public int Threads { get; set; }
    public string LockTimeout { get; set; } = "";
    /// <summary>The retraining verdict over the gaps of the models with a real set (reports/retrain.json); none without one.</summary>
    public string VerdictFile { get; set; } = "";

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        List<ModelEvalJob> jobs;
        try { jobs = Jobs(); }
        catch (DiagnosticException ex)
        {
            Log.Log(ex.Diagnostic with { File = ex.Diagnostic.File ?? ProjectFile });
            return false;
        }
        if (jobs.Count == 0)
        {
            Log.Log(Diagnostic.Error(SynCodes.ModelItemInvalid, RealSetsOnly
                ? "SynthSimToReal needs detection files (SynthSyntheticGt, SynthSyntheticDt, SynthRealGt, SynthRealDt) or a model: a SynthModel item with RealGroundTruth, or -p:SynthModel=MODEL.onnx -p:SynthRealGt=REAL.json."
                : "SynthModelEval needs at least one SynthModel item (<SynthModel Include=\"model.onnx\" />) or -p:SynthModel=MODEL.onnx.", ProjectFile));
            return false;
        }

        // Under the folder's lock: the dataset the models see is the one no other build is changing.
        using var held = FolderLock.Take(Log, DatasetDirectory, "model evaluation", LockTimeout, ProjectFile, _cancel.Token);
        if (held is null) return false;
        var inv = CultureInfo.InvariantCulture;
        var verdictSources = new List<RetrainVerdict.Source>();
        foreach (var job in jobs)
        {
            _cancel.Token.ThrowIfCancellationRequested();
            ModelEvalOutcome outcome;
            try { outcome = ModelEvalStage.Run(DatasetDirectory, job); }
            catch (DiagnosticException ex) { Log.Log(ex.Diagnostic with { File = ex.Diagnostic.File ?? ProjectFile }); continue; }
            catch (CocoFormatException ex) { Log.Log(ex.Diagnostic.ToDiagnostic()); continue; }

            var s = outcome.SyntheticStats;
            string timing = outcome.UpToDate ? "up to date" : string.Create(inv, $"{outcome.Seconds:F1} s, {outcome.ImagesPerSecond:F1} images/s");
            Log.LogMessage(MessageImportance.High, string.Create(inv,
                $"  Model {job.Name}: {job.Options.Split} AP {s[0]:F3}, AP50 {s[1]:F3}, AP75 {s[2]:F3} ({timing}) -> {outcome.ReportFile}"));
            if (outcome.RealStats is { } r)
            {
                Log.LogMessage(MessageImportance.High, string.Create(inv,
                    $"  Model {job.Name}: real AP {r[0]:F3}, AP50 {r[1]:F3}; sim-to-real gap {outcome.Gap:F3} (max {job.MaxGap:F3}) -> {outcome.SimToRealFile}"));
                if (outcome.GateDiagnostic(job.Options.ModelPath) is { } gate) Log.Log(gate);
                if (outcome.SimToRealFile is { } file && File.Exists(file))
                    verdictSources.Add(new RetrainVerdict.Source(job.Name, file, RetrainVerdict.ReadReport(File.ReadAllBytes(file))));
            }
        }
        GitHubActions.WriteRetrainVerdict(Log, verdictSources, VerdictFile, DatasetDirectory, ProjectFile);
        return !Log.HasLoggedErrors;
    }

    private List<ModelEvalJob> Jobs()
    {
        string projectDir = Path.GetDirectoryName(Path.GetFullPath(ProjectFile.Length > 0 ? ProjectFile : "."))!;
        string? PathOf(string value) => value.Length == 0 ? null : Path.GetFullPath(Path.Combine(projectDir, value));
        var jobs = new List<ModelEvalJob>();
        foreach (var item in Models)
        {
            string realGt = item.GetMetadata("RealGroundTruth");
            if (RealSetsOnly && realGt.Length == 0) continue;
            string model = PathOf(item.ItemSpec)!;
            string name = item.GetMetadata("Name") is { Length: > 0 } n ? n : Path.GetFileNameWithoutExtension(model);
            string What(string metadata) => $"{metadata} on SynthModel '{item.ItemSpec}'";
            string? Meta(string metadata) => item.GetMetadata(metadata) is { Length: > 0 } v ? v : null;
            if (Trainers.Any(t => string.Equals(t.ItemSpec, name, StringComparison.OrdinalIgnoreCase)))
                throw Bad($"SynthModel '{item.ItemSpec}' and a SynthTrainer are both named '{name}': give one of them another Name (their reports/models/ files would overwrite each other).");

            if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
                throw Bad($"Name='{name}' on SynthModel '{item.ItemSpec}' cannot be a file name.");
            if (jobs.Any(j => string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw Bad($"Two SynthModel items are named '{name}': give one of them another Name (their reports would overwrite each other).");
            var options = ModelItemOptions.From(item, "SynthModel", model, DatasetDirectory, PathOf, Threads, realGt.Length > 0 ? "test" : "val");
            double maxGap = Meta("MaxGap") is { } mg
                ? (double.TryParse(mg, NumberStyles.Float, CultureInfo.InvariantCulture, out double g) && double.IsFinite(g) ? g
                    : throw new DiagnosticException(Diagnostic.Error(SynCodes.SimToRealSettings, $"{What("MaxGap")} must be a number, found '{mg}'.", ProjectFile)))
                : SimToRealValidator.DefaultMaxGap;
            jobs.Add(new ModelEvalJob(name, options, PathOf(realGt), PathOf(item.GetMetadata("RealImages")), maxGap));
        }
        return jobs;
    }

    private DiagnosticException Bad(string message) => new(Diagnostic.Error(SynCodes.ModelItemInvalid, message, ProjectFile));
}
