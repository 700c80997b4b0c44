using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using k8s;
using k8s.Models;
using SynthBuild.Core.Diagnostics;
using Diagnostic = SynthBuild.Core.Diagnostics.Diagnostic;

namespace SynthBuild.Scheduling.Kubernetes;

/// <summary>
/// -p:SynthApply=true: applies the shard job with kubectl, follows it to its Complete or Failed condition (polling
/// `kubectl get job -o json`, so a failed job ends the wait at once), then does the same for the merge job. Every
/// kubectl call goes through <see cref="SchedulerTool"/>; every failure is a diagnostic, not an exception.
/// </summary>
public sealed class KubernetesApply(SubmitRequest request, KubernetesOptions options, Action<string> log)
{
    /// <summary>The kubectl to run: a name looked up on PATH, or a path.</summary>
    public string Kubectl { get; init; } = "kubectl";

    /// <summary>How often a job's status is read while following it.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Applies and follows both jobs; the first error, or null when the merge completed.</summary>
    public Diagnostic? Run(KubernetesManifests manifests, CancellationToken cancel = default) =>
        ApplyAndFollow(manifests.ShardFile, options.ShardJobName, request.Shards, cancel)
        ?? ApplyAndFollow(manifests.MergeFile, options.MergeJobName, 1, cancel);

    private Diagnostic? ApplyAndFollow(string manifest, string job, int completions, CancellationToken cancel)
    {
        var output = RunKubectl(["apply", "-f", manifest], "apply the job manifests", cancel, out var error);
        if (error is not null) return error;
        log($"kubectl apply -f {manifest}: {output!.StandardOutput.Trim()}");
        return Follow(job, completions, cancel);
    }

    private Diagnostic? Follow(string job, int completions, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        string last = "";
        while (true)
        {
            var output = RunKubectl(["get", "job", job, "-o", "json"], "follow the jobs", cancel, out var error);
            if (error is not null) return error;
            V1Job status;
            try
            {
                status = KubernetesJson.Deserialize<V1Job>(output!.StandardOutput);
            }
            catch (JsonException e)
            {
                return Diagnostic.Error(SynCodes.KubernetesCommandFailed,
                    $"'kubectl get job {job} -o json' did not print a Job: {e.Message}", request.ProjectFile);
            }
            var s = status.Status;
            string progress = string.Create(CultureInfo.InvariantCulture,
                $"job/{job}: {s?.Succeeded ?? 0} of {completions} succeeded, {s?.Active ?? 0} running, {s?.Failed ?? 0} failed pods");
            if (progress != last) log(last = progress);
            foreach (var condition in s?.Conditions ?? [])
            {
                if (!string.Equals(condition.Status, "True", StringComparison.OrdinalIgnoreCase)) continue;
                if (condition.Type == "Complete") return null;
                if (condition.Type == "Failed")
                {
                    string indexes = s?.FailedIndexes is { Length: > 0 } f ? $", failed shard indexes {f}" : "";
                    return Diagnostic.Error(SynCodes.KubernetesJobFailed,
                        $"job/{job} failed ({condition.Reason}: {condition.Message}{indexes}); see `kubectl logs job/{job}`.", request.ProjectFile);
                }
            }
            if (clock.Elapsed >= options.WaitTimeout)
                return Diagnostic.Error(SynCodes.KubernetesJobTimedOut,
                    $"job/{job} was neither complete nor failed after {options.WaitTimeout} (SynthK8sWaitTimeout); it keeps running in the cluster.", request.ProjectFile);
            cancel.WaitHandle.WaitOne(PollInterval);
            cancel.ThrowIfCancellationRequested();
        }
    }

    private ToolOutput? RunKubectl(IEnumerable<string> args, string purpose, CancellationToken cancel, out Diagnostic? error)
    {
        var all = options.Namespace is null ? args.ToList() : [.. args, "--namespace", options.Namespace];
        var output = SchedulerTool.Run(Kubectl, all, purpose, request.ProjectFile, out error, cancel);
        if (error is not null) return null;
        if (output!.ExitCode != 0)
        {
            string said = (output.StandardError.Trim() is { Length: > 0 } e ? e : output.StandardOutput.Trim()).ReplaceLineEndings(" ");
            error = Diagnostic.Error(SynCodes.KubernetesCommandFailed,
                $"'kubectl {string.Join(' ', all)}' failed (exit {output.ExitCode}): {said}", request.ProjectFile);
            return null;
        }
        return output;
    }
}
