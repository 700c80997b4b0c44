using Microsoft.Build.Framework;
using SynthBuild.Scheduling;
using SynthBuild.Scheduling.Slurm;

namespace SynthBuild.Tasks;

public sealed partial class SynthSubmit
{
    /// <summary>SynthSlurmOptions: extra sbatch options, ';'-separated (--partition=x;--time=01:00:00).</summary>
    public string SlurmOptions { get; set; } = "";
    /// <summary>SynthWait: follow the jobs until the merge ends, and fail when a shard or the merge fails.</summary>
    public string Wait { get; set; } = "";
    /// <summary>SynthWaitTimeout: seconds to wait at most.</summary>
    public string WaitTimeout { get; set; } = "";
    /// <summary>SynthShardIndices: submit only these shards (then the merge), e.g. 1,3 to resubmit failed ones.</summary>
    public string ShardIndices { get; set; } = "";

    private bool SubmitSlurm(SubmitRequest request)
    {
        var settings = SlurmSettings.Parse(SlurmOptions, Wait, WaitTimeout, ShardIndices, request.Shards, request.ProjectFile, out var errors);
        if (settings is null)
        {
            foreach (var e in errors) Log.Log(e);
            return false;
        }
        var submitter = new SlurmSubmitter(request, settings, line => Log.LogMessage(MessageImportance.High, line));
        var submission = submitter.Submit(out var error);
        if (submission is null)
        {
            Log.Log(error!);
            return false;
        }
        if (!settings.Wait) return true;
        var failure = submitter.Wait(submission, _cancel.Token);
        if (failure is not null) Log.Log(failure);
        return failure is null && !_cancel.IsCancellationRequested;
    }
}
