using System.Text;

namespace SynthBuild.Scheduling.Slurm;

/// <summary>
/// The two sbatch scripts of a submission, under the work folder (obj/synth-submit/): the shard array (one task per
/// shard, its index read from SLURM_ARRAY_TASK_ID through SynthShard=auto/N) and the merge. They hold every option but
/// the merge's dependency (the array's job id is known only once it is submitted), so either can be resubmitted by hand.
/// </summary>
public sealed record SlurmScripts(string ShardScript, string MergeScript, string ShardJobName, string MergeJobName)
{
    /// <summary>Writes both scripts and returns where they are.</summary>
    public static SlurmScripts Write(SubmitRequest request, SlurmSettings settings)
    {
        string name = JobNamePrefix(request.DatasetName);
        var scripts = new SlurmScripts(
            Path.Combine(request.WorkDirectory, name + "-shards.sbatch"),
            Path.Combine(request.WorkDirectory, name + "-merge.sbatch"),
            name + "-shards", name + "-merge");
        Directory.CreateDirectory(request.WorkDirectory);
        WriteAtomically(scripts.ShardScript, ShardScriptText(request, settings, scripts.ShardJobName));
        WriteAtomically(scripts.MergeScript, MergeScriptText(request, settings, scripts.MergeJobName));
        return scripts;
    }

    /// <summary>The array script: `#SBATCH --array=0-{N-1}` (or the resubmitted indices), logs %x-%A_%a.out.</summary>
    public static string ShardScriptText(SubmitRequest request, SlurmSettings settings, string jobName) =>
        Script(request, settings, jobName,
            [$"--array={settings.ArraySpec(request.Shards)}", $"--output={Path.Combine(request.WorkDirectory, "%x-%A_%a.out")}"],
            $"shard $SLURM_ARRAY_TASK_ID of {request.Shards} of {request.DatasetName}", ShardJobCommand.Shard(request));

    /// <summary>The merge script, submitted with --dependency=afterok:&lt;array job id&gt;; log %x-%j.out.</summary>
    public static string MergeScriptText(SubmitRequest request, SlurmSettings settings, string jobName) =>
        Script(request, settings, jobName, [$"--output={Path.Combine(request.WorkDirectory, "%x-%j.out")}"],
            $"merge of the {request.Shards} shards of {request.DatasetName}", ShardJobCommand.Merge(request));

    /// <summary>The log file of array task <paramref name="index"/> of job <paramref name="arrayJobId"/>.</summary>
    public string ShardLog(SubmitRequest request, string arrayJobId, int index) =>
        Path.Combine(request.WorkDirectory, $"{ShardJobName}-{arrayJobId}_{index}.out");

    /// <summary>The merge job's log file.</summary>
    public string MergeLog(SubmitRequest request, string mergeJobId) =>
        Path.Combine(request.WorkDirectory, $"{MergeJobName}-{mergeJobId}.out");

    private static string Script(SubmitRequest request, SlurmSettings settings, string jobName, string[] own, string what,
        IReadOnlyList<string> command)
    {
        var s = new StringBuilder();
        s.Append("#!/bin/sh\n");
        s.Append($"# Written by SynthBuild's SynthSubmit: the {what}.\n");
        s.Append($"#SBATCH --job-name={jobName}\n");
        foreach (string option in own) s.Append($"#SBATCH {option}\n");
        // The project's own options (SynthSlurmOptions) come last, as given.
        foreach (string option in settings.ExtraOptions) s.Append($"#SBATCH {option}\n");
        s.Append("exec ").Append(ShardJobCommand.ShellLine(command)).Append('\n');
        return s.ToString();
    }

    /// <summary>Job names: the dataset name in letters, digits, '.', '_' and '-' (it also names the log files).</summary>
    private static string JobNamePrefix(string dataset)
    {
        string name = new(dataset.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray());
        return name.Length > 0 ? name : "dataset";
    }

    private static void WriteAtomically(string path, string text)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
