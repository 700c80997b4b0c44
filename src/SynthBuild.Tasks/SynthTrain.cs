using System.Globalization;
using Microsoft.Build.Framework;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;
using SynthBuild.Lineage;
using SynthBuild.Models;
using SynthBuild.Models.Training;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>
/// External trainers (docs/models.md "External trainers"): each SynthTrainer item's command run with the build's
/// paths filled in, its output streamed to the log, its metrics and ONNX model read back, the model evaluated like a
/// SynthModel, and metrics and model added to the dataset's MLflow run.
/// </summary>
public sealed class SynthTrain : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string DatasetDirectory { get; set; } = "";
    [Required] public string ExportDirectory { get; set; } = "";
    /// <summary>The project's SynthExport items: which export placeholders may be used.</summary>
    public ITaskItem[] Exports { get; set; } = [];
    public ITaskItem[] Trainers { get; set; } = [];
    /// <summary>SynthModel items: a trainer may not share their names (reports/models/NAME.json).</summary>
    public ITaskItem[] Models { get; set; } = [];
    [Required] public string ProjectFile { get; set; } = "";
    /// <summary>Where {output} folders go: OutputRoot/NAME.</summary>
    [Required] public string OutputRoot { get; set; } = "";
    /// <summary>Seconds a trainer may run when its item has no Timeout; empty = no limit.</summary>
    public string Timeout { get; set; } = "";
    public int Threads { get; set; }
    public string LockTimeout { get; set; } = "";
    public string LineageLogFile { get; set; } = "";
    public string TrackingUri { get; set; } = "";
    public string MlflowTimeout { get; set; } = "";

    public void Cancel() => _cancel.Cancel();

    /// <summary>Export placeholders: the export's folder, or for YOLO its data.yaml (what `yolo … data=` wants).</summary>
    public static readonly IReadOnlyDictionary<string, string> ExportPlaceholders = new Dictionary<string, string>
    {
        ["coco"] = "coco", ["yolo"] = "yolo/data.yaml", ["yolo-seg"] = "yolo-seg/data.yaml",
        ["tfrecord"] = "tfrecord", ["numpy"] = "numpy", ["onnx"] = "onnx",
    };

    public override bool Execute()
    {
        List<TrainerJob> jobs;
        try { jobs = Jobs(); }
        catch (DiagnosticException ex)
        {
            Log.Log(ex.Diagnostic with { File = ex.Diagnostic.File ?? ProjectFile });
            return false;
        }
        if (jobs.Count == 0)
        {
            Log.Log(Diagnostic.Error(SynCodes.TrainerItemInvalid,
                "SynthTrain needs at least one SynthTrainer item (<SynthTrainer Include=\"NAME\" Command=\"…\" Metrics=\"…\" Model=\"…\" />).", ProjectFile));
            return false;
        }

        using var held = FolderLock.Take(Log, DatasetDirectory, "training", LockTimeout, ProjectFile, _cancel.Token);
        if (held is null) return false;
        var inv = CultureInfo.InvariantCulture;
        foreach (var job in jobs)
        {
            _cancel.Token.ThrowIfCancellationRequested();
            Log.LogMessage(MessageImportance.High, $"  Trainer {job.Name}: {TrainerCommandLine.Display(job.Arguments)}");
            TrainerOutcome outcome;
            try
            {
                outcome = ExternalTrainer.Run(DatasetDirectory, job,
                    (line, _) => Log.LogMessage(MessageImportance.High, $"    {job.Name}| {line}"), _cancel.Token);
            }
            catch (DiagnosticException ex) { Log.Log(ex.Diagnostic with { File = ex.Diagnostic.File ?? ProjectFile }); continue; }
            catch (CocoFormatException ex) { Log.Log(ex.Diagnostic.ToDiagnostic()); continue; }

            string shown = string.Join(", ", outcome.Metrics.Take(6).Select(m => $"{m.Key} {m.Value.ToString("G5", inv)}")) + (outcome.Metrics.Count > 6 ? ", …" : "");
            Log.LogMessage(MessageImportance.High, outcome.UpToDate
                ? $"  Trainer {job.Name}: (up to date) {shown} -> {outcome.SummaryFile}"
                : string.Create(inv, $"  Trainer {job.Name}: trained in {outcome.Seconds:F1} s; {shown} -> {outcome.SummaryFile}"));
            var e = outcome.Evaluation;
            Log.LogMessage(MessageImportance.High, string.Create(inv,
                $"  Model {job.Name}: {job.Eval.Split} AP {e.SyntheticStats[0]:F3}, AP50 {e.SyntheticStats[1]:F3}, AP75 {e.SyntheticStats[2]:F3} ({(e.UpToDate ? "up to date" : $"{e.Seconds:F1} s")}) -> {e.ReportFile}"));
            if (!outcome.UpToDate) LogToMlflow(outcome);
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>Adds the trainer's metrics, its model's evaluation and the files to the dataset's run, which the
    /// lineage stage created for this digest (the lineage log names it). Failing to is a warning: the results are on disk.</summary>
    private void LogToMlflow(TrainerOutcome outcome)
    {
        MlflowSettings? settings;
        try { settings = MlflowSettings.FromEnvironment(TrackingUri, null, string.IsNullOrWhiteSpace(MlflowTimeout) ? null : MlflowTimeout); }
        catch (FormatException ex) { Log.Log(Diagnostic.Warning(SynCodes.TrainerNotLogged, ex.Message, ProjectFile)); return; }
        if (settings is null) return;
        string name = outcome.Job.Name;
        string digest = DatasetReader.Open(DatasetDirectory).Info.Digest;
        MlflowRunRef? run = null;
        try
        {
            if (LineageLogFile.Length > 0 && File.Exists(LineageLogFile))
                run = LineageLog.Read(LineageLogFile).LastOrDefault(r => r.Dataset.Digest == digest && r.Mlflow is not null)?.Mlflow;
        }
        catch (DiagnosticException) { }
        if (run is null)
        {
            Log.Log(Diagnostic.Warning(SynCodes.TrainerNotLogged,
                $"Trainer '{name}' not logged to MLflow: the lineage log has no MLflow run for dataset digest {digest[..12]} (lineage recorded it without a server).", LineageLogFile.Length > 0 ? LineageLogFile : ProjectFile));
            return;
        }
        if (run.TrackingUri != settings.SafeUri)
        {
            Log.Log(Diagnostic.Warning(SynCodes.TrainerNotLogged,
                $"Trainer '{name}' not logged to MLflow: the dataset's run {run.RunId} is on {run.TrackingUri}, not on {settings.SafeUri}.", ProjectFile));
            return;
        }
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (k, v) in outcome.Metrics) metrics[$"trainer.{name}.{k}"] = v;
        var stats = outcome.Evaluation.SyntheticStats;
        for (int i = 0; i < stats.Length && i < CocoEvaluator.StatNames.Count; i++) metrics[$"trainer.{name}.eval.{outcome.Job.Eval.Split}.{CocoEvaluator.StatNames[i]}"] = stats[i];
        var tags = new List<KeyValuePair<string, string>>
        {
            new($"synth.trainer.{name}.command", TrainerCommandLine.Display(outcome.Job.Arguments)),
            new($"synth.trainer.{name}.model_sha256", ExternalTrainer.ModelSha(outcome.Job.ModelFile)),
        };
        var artifacts = new List<(string, string)>
        {
            ($"trainers/{name}/{Path.GetFileName(outcome.Job.ModelFile)}", outcome.Job.ModelFile),
            ($"trainers/{name}/{Path.GetFileName(outcome.Job.MetricsFile)}", outcome.Job.MetricsFile),
            ($"trainers/{name}/{name}.json", outcome.SummaryFile),
            ($"trainers/{name}/eval.json", outcome.Evaluation.ReportFile),
        };
        try
        {
            using var client = new MlflowClient(settings);
            var warnings = MlflowTracker.AddToRunAsync(client, run.RunId, metrics, tags, artifacts, _cancel.Token).GetAwaiter().GetResult();
            foreach (string w in warnings) Log.Log(Diagnostic.Warning(SynCodes.ArtifactsNotUploaded, w, ProjectFile));
            Log.LogMessage(MessageImportance.High, $"  Trainer {name}: {metrics.Count} metrics and {artifacts.Count} artifacts logged to MLflow run {run.RunId}");
        }
        catch (MlflowException ex)
        {
            Log.Log(Diagnostic.Warning(SynCodes.TrainerNotLogged, $"Trainer '{name}' not logged to MLflow run {run.RunId}: {ex.Message}", ProjectFile));
        }
    }

    private List<TrainerJob> Jobs()
    {
        string projectDir = Path.GetDirectoryName(Path.GetFullPath(ProjectFile))!;
        var declared = Exports.Select(e => e.ItemSpec.Trim().ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        string exportRoot = Path.GetFullPath(ExportDirectory);
        string datasetRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(DatasetDirectory));
        var jobs = new List<TrainerJob>();
        foreach (var item in Trainers)
        {
            string name = item.ItemSpec;
            if (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
                throw Bad($"SynthTrainer '{name}': its name (Include) must be a file name: it names {{output}} and the reports.");
            if (jobs.Any(j => string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw Bad($"Two SynthTrainer items are named '{name}' (their outputs and reports would overwrite each other).");
            if (Models.Any(m => string.Equals(m.GetMetadata("Name") is { Length: > 0 } n ? n : Path.GetFileNameWithoutExtension(m.ItemSpec), name, StringComparison.OrdinalIgnoreCase)))
                throw Bad($"SynthTrainer '{name}' and a SynthModel share the name '{name}' (reports/models/{name}.json would be written by both).");
            string output = Path.Combine(Path.GetFullPath(OutputRoot), name);
            string Placeholder(string key, string metadata) => key switch
            {
                "dataset" => datasetRoot,
                "project" => projectDir,
                "output" => output,
                "exports" => Path.TrimEndingDirectorySeparator(exportRoot),
                _ when ExportPlaceholders.TryGetValue(key, out var rel) => declared.Contains(key)
                    ? Path.Combine(exportRoot, rel.Replace('/', Path.DirectorySeparatorChar))
                    : throw Error(SynCodes.TrainerPlaceholderInvalid,
                        $"{metadata} on SynthTrainer '{name}' uses {{{key}}}, but the project declares no {key} export: add <SynthExport Include=\"{key}\" />."),
                _ => throw Error(SynCodes.TrainerPlaceholderInvalid,
                    $"{metadata} on SynthTrainer '{name}' uses {{{key}}}, which is not a placeholder; known: {{dataset}}, {{project}}, {{output}}, {{exports}}, "
                    + string.Join(", ", ExportPlaceholders.Keys.Select(k => "{" + k + "}")) + " (write {{ and }} for literal braces)."),
            };
            string Fill(string text, string metadata)
            {
                try { return TrainerCommandLine.Substitute(text, key => Placeholder(key, metadata)); }
                catch (FormatException ex) { throw Bad($"{metadata} on SynthTrainer '{name}': {ex.Message}."); }
            }
            string Required(string metadata) => item.GetMetadata(metadata) is { Length: > 0 } v ? v
                : throw Bad($"SynthTrainer '{name}' has no {metadata} (it needs Command, Metrics and Model).");
            string FullPath(string path) => Path.GetFullPath(Path.Combine(projectDir, path));

            string command = Required("Command");
            IReadOnlyList<string> words;
            try { words = TrainerCommandLine.Split(command); }
            catch (FormatException ex) { throw Bad($"Command on SynthTrainer '{name}' cannot be split into words: {ex.Message}."); }
            if (words.Count == 0) throw Bad($"Command on SynthTrainer '{name}' is empty.");
            var args = words.Select(w => Fill(w, "Command")).ToList();
            // A program given by a relative path is the project's (as the working directory is), not MSBuild's folder's.
            if (args[0].Contains('/') || args[0].Contains(Path.DirectorySeparatorChar)) args[0] = FullPath(args[0]);
            string metrics = FullPath(Fill(Required("Metrics"), "Metrics"));
            string model = FullPath(Fill(Required("Model"), "Model"));
            string classMap = item.GetMetadata("ClassMap") is { Length: > 0 } cm ? FullPath(Fill(cm, "ClassMap")) : "";

            TimeSpan? timeout = null;
            string t = item.GetMetadata("Timeout") is { Length: > 0 } own ? own : Timeout;
            if (!string.IsNullOrWhiteSpace(t))
                timeout = double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && double.IsFinite(s)
                    ? TimeSpan.FromSeconds(s)
                    : throw Bad($"Timeout on SynthTrainer '{name}' must be a number of seconds > 0, found '{t}'.");
            var inputs = item.GetMetadata("Inputs").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(FullPath).ToList();
            // The item as written: every metadata the user set, in a fixed order (Timeout left out: not a result's input).
            var settings = string.Join("\n", item.CloneCustomMetadata().Keys.Cast<string>()
                .Where(k => !string.Equals(k, "Timeout", StringComparison.OrdinalIgnoreCase))
                .OrderBy(k => k, StringComparer.OrdinalIgnoreCase).Select(k => k + "=" + item.GetMetadata(k)));
            var eval = ModelItemOptions.From(item, "SynthTrainer", model, DatasetDirectory, v => v.Length == 0 ? null : classMap, Threads, "val");
            jobs.Add(new TrainerJob(name, args, projectDir, metrics, model, output, timeout, settings, inputs, eval));
        }
        return jobs;
    }

    private DiagnosticException Bad(string message) => Error(SynCodes.TrainerItemInvalid, message);
    private DiagnosticException Error(string code, string message) => new(Diagnostic.Error(code, message, ProjectFile));
}
