using Microsoft.Build.Framework;
using SynthBuild.Core.Config;
using SynthBuild.Lineage;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>
/// Records the dataset's digest unless the lineage log already has it: git provenance (also into dataset.json), an
/// MLflow run when a server is named, and a line in the offline lineage log; completes the pending record generation
/// left. Runs on every build, so a digest a killed or failed build left unrecorded is recorded by the next one.
/// </summary>
public sealed class SynthLineage : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string ConfigFile { get; set; } = "";
    /// <summary>Config overlays (SynthConfigOverlay), merged over the config in order.</summary>
    public ITaskItem[] ConfigOverlays { get; set; } = [];
    [Required] public string OutputDirectory { get; set; } = "";
    [Required] public string ProjectFile { get; set; } = "";
    [Required] public string LogFile { get; set; } = "";
    public string DatasetName { get; set; } = "";
    public string Samples { get; set; } = "";
    public string Seed { get; set; } = "";
    public string DatasetVersion { get; set; } = "";
    public int GeneratedSamples { get; set; }
    public int ReusedSamples { get; set; }
    public int RemovedSamples { get; set; }
    public double GenerationSeconds { get; set; }
    /// <summary>FINISHED, or FAILED when a later stage (a quality gate) failed the build.</summary>
    public string Status { get; set; } = LineageRecord.Finished;
    public string TrackingUri { get; set; } = "";
    public string Experiment { get; set; } = "";
    public bool Required { get; set; }
    /// <summary>Seconds one MLflow request may take, retries included (SynthMlflowTimeout); empty: SYNTH_MLFLOW_TIMEOUT, else 30.</summary>
    public string MlflowTimeout { get; set; } = "";
    /// <summary>The project's inputs besides the project file and config (textures, meshes, ...).</summary>
    public ITaskItem[] Inputs { get; set; } = [];
    /// <summary>Files and folders the build writes into the tree; their changes do not make it dirty.</summary>
    public ITaskItem[] IgnoredPaths { get; set; } = [];
    /// <summary>SynthMerge's MergedShards when the dataset was merged from shards; empty for a single build.</summary>
    public ITaskItem[] Shards { get; set; } = [];
    /// <summary>Where generation left pending records (docs/lineage.md); empty: none.</summary>
    public string PendingDirectory { get; set; } = "";

    [Output] public string RunId { get; private set; } = "";

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        var overrides = new ConfigOverrides(Samples, Seed, DatasetName, ProjectFile, SharedConfig.Overlays(ConfigOverlays));
        var config = SharedConfig.Load(Log, BuildEngine, nameof(SynthLineage), ConfigFile, overrides).Config;
        if (!config.Succeeded)
        {
            foreach (var d in config.Diagnostics) Log.Log(d);
            return false;
        }
        var inputs = new List<string> { ProjectFile, ConfigFile };
        inputs.AddRange(Inputs.Select(i => i.GetMetadata("FullPath")));
        var outcome = LineageRecorder.Complete(new LineageRequest(
            ProjectFile, ConfigFile, OutputDirectory, overrides,
            string.IsNullOrWhiteSpace(DatasetVersion) ? null : DatasetVersion.Trim(),
            new GenerationFigures(GeneratedSamples, ReusedSamples, RemovedSamples, GenerationSeconds),
            Status == LineageRecord.Failed ? LineageRecord.Failed : LineageRecord.Finished,
            LogFile, inputs, TrackingUri, Experiment, Required,
            IgnoredPaths: IgnoredPaths.Select(i => i.GetMetadata("FullPath")).ToList(), Spec: config.Spec,
            MlflowTimeout: string.IsNullOrWhiteSpace(MlflowTimeout) ? null : MlflowTimeout,
            Shards: Shards.Length > 0 ? Shards.Select(ShardItems.FromItem).OrderBy(s => s.Range.Index).ToList() : null),
            string.IsNullOrWhiteSpace(PendingDirectory) ? null : PendingDirectory, _cancel.Token);
        foreach (var d in outcome.Diagnostics) Log.Log(d);
        if (outcome.Record is { } r && outcome.Appended)
        {
            RunId = r.Mlflow?.RunId ?? "";
            Log.LogMessage(MessageImportance.High, "  {0}: lineage recorded ({1}) in {2}{3}", r.Dataset.Name, r.Status, LogFile,
                r.Mlflow is { } m ? $"; MLflow run {m.RunId} in experiment {m.ExperimentId} at {m.TrackingUri}" : "");
        }
        else if (outcome.Record is null && outcome.Succeeded)
            Log.LogMessage(MessageImportance.Normal, "  lineage: this digest is already recorded in {0}", LogFile);
        return outcome.Succeeded && !Log.HasLoggedErrors;
    }
}
