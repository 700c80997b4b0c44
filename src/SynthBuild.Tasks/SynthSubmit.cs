using Microsoft.Build.Framework;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Sharding;
using SynthBuild.Scheduling;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>
/// -t:SynthSubmit: hands a sharded build (N shard builds, then the merge) to a job engine. The engine-specific halves
/// live in SynthSubmit.Slurm.cs and SynthSubmit.Kubernetes.cs (docs/sharding.md).
/// </summary>
public sealed partial class SynthSubmit : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>SynthScheduler: slurm or kubernetes.</summary>
    public string Scheduler { get; set; } = "";
    /// <summary>SynthShards: N.</summary>
    public string Shards { get; set; } = "";
    [Required] public string ProjectFile { get; set; } = "";
    [Required] public string OutputDirectory { get; set; } = "";
    [Required] public string WorkDirectory { get; set; } = "";
    public string DatasetName { get; set; } = "";
    /// <summary>Global properties every shard and the merge get, as Name=Value items (SynthSamples, SynthSeed…).</summary>
    public ITaskItem[] BuildProperties { get; set; } = [];

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        string scheduler = Scheduler.Trim().ToLowerInvariant();
        if (scheduler is not ("slurm" or "kubernetes") || !ShardSelection.TryCount(Shards.Trim(), out int shards))
        {
            Log.Log(Diagnostic.Error(SynCodes.SchedulerUnknown,
                $"SynthSubmit needs -p:SynthScheduler=slurm or kubernetes (found '{Scheduler}') and -p:SynthShards=N, N >= 1 (found '{Shards}').",
                ProjectFile));
            return false;
        }
        var request = new SubmitRequest(
            Path.GetFullPath(ProjectFile),
            DatasetName.Length > 0 ? DatasetName : Path.GetFileNameWithoutExtension(ProjectFile),
            shards,
            Path.TrimEndingDirectorySeparator(Path.GetFullPath(OutputDirectory)) + "/",
            Path.GetFullPath(WorkDirectory),
            BuildProperties.Where(p => p.GetMetadata("Value").Length > 0)
                .Select(p => KeyValuePair.Create(p.ItemSpec, p.GetMetadata("Value"))).ToList());
        Directory.CreateDirectory(request.WorkDirectory);
        bool ok = scheduler == "slurm" ? SubmitSlurm(request) : SubmitKubernetes(request);
        return ok && !Log.HasLoggedErrors;
    }
}
