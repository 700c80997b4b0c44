using System.Diagnostics;
using SynthBuild.Core.Diagnostics;
using Diagnostic = SynthBuild.Core.Diagnostics.Diagnostic;

namespace SynthBuild.Scheduling.Slurm;

/// <summary>What was submitted: the shard array (its tasks, one per shard index) and the merge job.</summary>
public sealed record SlurmSubmission(SlurmScripts Scripts, string ArrayJobId, IReadOnlyList<int> ShardIndices, string MergeJobId);

/// <summary>
/// Submits a sharded build to Slurm with its own client (sbatch, then scontrol and scancel to follow the jobs):
/// the shard array with `sbatch --parsable`, the merge with `--dependency=afterok:&lt;array id&gt;`.
/// </summary>
/// <param name="report">Progress lines for the build log.</param>
public sealed class SlurmSubmitter(SubmitRequest request, SlurmSettings settings, Action<string> report)
{
    /// <summary>How often the jobs are polled while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    private string File => request.ProjectFile;

    /// <summary>Writes the scripts and submits both jobs; null and <paramref name="error"/> set when sbatch is missing or refuses.</summary>
    public SlurmSubmission? Submit(out Diagnostic? error)
    {
        var scripts = SlurmScripts.Write(request, settings);
        string? arrayId = Sbatch(["--parsable", scripts.ShardScript], "submit the shard array", out error);
        if (arrayId is null) return null;
        string? mergeId = Sbatch(["--parsable", $"--dependency=afterok:{arrayId}", scripts.MergeScript], "submit the merge job", out error);
        if (mergeId is null)
        {
            // A shard array without its merge would render and never be merged: take it back.
            SchedulerTool.Run("scancel", [arrayId], "cancel the shard array", File, out _);
            return null;
        }
        var submission = new SlurmSubmission(scripts, arrayId, settings.ShardIndices, mergeId);
        report($"{request.DatasetName}: submitted shards {settings.ArraySpec(request.Shards)} of {request.Shards} as Slurm job array {arrayId} " +
               $"(logs {Path.Combine(request.WorkDirectory, scripts.ShardJobName)}-{arrayId}_<shard>.out), script {scripts.ShardScript}");
        report($"{request.DatasetName}: submitted the merge as Slurm job {mergeId} after array {arrayId} (log {scripts.MergeLog(request, mergeId)}), script {scripts.MergeScript}");
        return submission;
    }

    private string? Sbatch(string[] args, string purpose, out Diagnostic? error)
    {
        var output = SchedulerTool.Run("sbatch", args, purpose, File, out error);
        if (output is null) return null;
        // --parsable prints "<job id>" or "<job id>;<cluster>".
        string id = output.StandardOutput.Trim().Split(';')[0];
        if (output.ExitCode != 0 || id.Length == 0 || !id.All(char.IsAsciiDigit))
        {
            error = Diagnostic.Error(SynCodes.SlurmSubmitFailed,
                $"sbatch could not {purpose} ({args[^1]}), exit {output.ExitCode}: {FirstLine(output.StandardError, output.StandardOutput)}", File);
            return null;
        }
        return id;
    }

    /// <summary>
    /// Follows the jobs until the merge ends: prints the shard counts (done/running/failed/pending) when they change.
    /// Null when the merge completed; else the failed shards' or the merge's diagnostic, or a timeout. A cancelled
    /// build (<paramref name="cancel"/>) just stops waiting: the jobs keep running, and null is returned.
    /// </summary>
    public Diagnostic? Wait(SlurmSubmission submission, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        // Last state seen per shard: a finished task's record may be purged (MinJobAge) before the others end.
        var shardState = submission.ShardIndices.ToDictionary(i => i, _ => "PENDING");
        JobPhase mergePhase = JobPhase.Pending;
        string mergeState = "PENDING", lastProgress = "";
        try
        {
            while (true)
            {
                Diagnostic? error;
                if (shardState.Values.Any(state => SlurmJobState.PhaseOf(state) is JobPhase.Pending or JobPhase.Running))
                {
                    var shards = Query(submission.ArrayJobId, cancel, out error);
                    if (shards is null) return error;
                    foreach (var record in shards)
                        foreach (int task in record.TaskIds)
                            if (shardState.ContainsKey(task)) shardState[task] = record.State;
                }
                var shardPhase = shardState.ToDictionary(kv => kv.Key, kv => SlurmJobState.PhaseOf(kv.Value));
                var merge = Query(submission.MergeJobId, cancel, out error);
                if (merge is null) return error;
                if (merge.FirstOrDefault() is { } m) { mergePhase = m.Phase; mergeState = m.State; }

                int done = shardPhase.Values.Count(p => p == JobPhase.Done), running = shardPhase.Values.Count(p => p == JobPhase.Running);
                int failed = shardPhase.Values.Count(p => p == JobPhase.Failed), pending = shardPhase.Count - done - running - failed;
                string progress = $"{request.DatasetName}: shards {done} done, {running} running, {failed} failed, {pending} pending of {shardPhase.Count}; merge {mergeState.ToLowerInvariant()}";
                if (progress != lastProgress) report(progress);
                lastProgress = progress;

                if (failed > 0 && running + pending == 0)
                    return ShardsFailed(submission, shardState);
                if (mergePhase == JobPhase.Done) return null;
                if (mergePhase == JobPhase.Failed)
                    return Diagnostic.Error(SynCodes.SlurmMergeFailed,
                        $"the merge, Slurm job {submission.MergeJobId}, ended {mergeState}: see its log {submission.Scripts.MergeLog(request, submission.MergeJobId)}" +
                        ErrorLine(submission.Scripts.MergeLog(request, submission.MergeJobId)), File);
                if (settings.WaitTimeout is { } limit && clock.Elapsed > limit)
                    return Diagnostic.Error(SynCodes.SlurmWaitTimedOut,
                        $"the Slurm jobs had not finished after SynthWaitTimeout={(int)limit.TotalSeconds} s ({progress[(request.DatasetName.Length + 2)..]}). " +
                        $"They keep running; stop them with: scancel {submission.ArrayJobId} {submission.MergeJobId}", File);
                Task.Delay(PollInterval, cancel).GetAwaiter().GetResult();
            }
        }
        catch (OperationCanceledException)
        {
            report($"{request.DatasetName}: stopped waiting; the jobs keep running (scancel {submission.ArrayJobId} {submission.MergeJobId} stops them)");
            return null;
        }
    }

    private Diagnostic ShardsFailed(SlurmSubmission submission, Dictionary<int, string> shardState)
    {
        // The merge waits on afterok, which can no longer be met: cancel it rather than leave it pending for ever.
        SchedulerTool.Run("scancel", [submission.MergeJobId], "cancel the merge job", File, out _);
        var failed = shardState.Where(kv => SlurmJobState.PhaseOf(kv.Value) == JobPhase.Failed).Select(kv => kv.Key).Order().ToList();
        string each = string.Join("; ", failed.Select(i =>
        {
            string state = shardState[i];
            string log = submission.Scripts.ShardLog(request, submission.ArrayJobId, i);
            return $"shard {i}, Slurm job {submission.ArrayJobId}_{i}, ended {state}: see its log {log}" + ErrorLine(log);
        }));
        return Diagnostic.Error(SynCodes.SlurmShardFailed,
            $"{failed.Count} of {shardState.Count} shards failed ({each}). The merge job {submission.MergeJobId} was cancelled; " +
            $"resubmit the failed shards with -p:SynthShardIndices={string.Join(',', failed)}", File);
    }

    private List<SlurmJobRecord>? Query(string jobId, CancellationToken cancel, out Diagnostic? error)
    {
        var output = SchedulerTool.Run("scontrol", ["show", "job", "-o", jobId], "follow the Slurm jobs", File, out error, cancel);
        if (output is null) return null;
        var records = output.ExitCode == 0 ? SlurmJobState.Parse(output.StandardOutput) : [];
        if (records.Count == 0)
        {
            error = Diagnostic.Error(SynCodes.SlurmJobQueryFailed,
                $"scontrol show job {jobId} failed (exit {output.ExitCode}): {FirstLine(output.StandardError, output.StandardOutput)}", File);
            return null;
        }
        return records;
    }

    /// <summary>The log's first error line, if it has one (a shard's or the merge's own SYN error), quoted.</summary>
    private static string ErrorLine(string log)
    {
        if (!System.IO.File.Exists(log)) return " (not written)";
        string? line = System.IO.File.ReadLines(log).FirstOrDefault(l => l.Contains(" error ", StringComparison.Ordinal) || l.Contains("error SYN", StringComparison.Ordinal));
        return line is null ? "" : $" ({line.Trim()})";
    }

    private static string FirstLine(params string[] texts) =>
        texts.Select(t => t.Trim()).FirstOrDefault(t => t.Length > 0)?.Split('\n')[0].Trim() ?? "no message";
}
