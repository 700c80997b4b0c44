using SynthBuild.Scheduling.Kubernetes;

namespace SynthBuild.Scheduling.Tests;

/// <summary>
/// Following the jobs. No Kubernetes cluster can run on the test machines, so kubectl here is a script that answers
/// `kubectl get job -o json` with the Job statuses a cluster reports, in turn, and records its calls.
/// </summary>
public class KubernetesApplyTests
{
    private sealed class ScriptedKubectl
    {
        public ScriptedKubectl(string shardStatuses, string mergeStatuses)
        {
            Directory.CreateDirectory(Dir);
            // Each `get` prints the next status of that job (the last one repeats).
            File.WriteAllText(System.IO.Path.Combine(Dir, "shards.txt"), shardStatuses);
            File.WriteAllText(System.IO.Path.Combine(Dir, "merge.txt"), mergeStatuses);
            File.WriteAllText(Script, $$"""
                #!/bin/sh
                d='{{Dir}}'
                echo "$*" >> "$d/calls.log"
                case "$1" in
                  apply) echo "job.batch/created"; exit 0 ;;
                  get) case "$3" in *-shards) f="$d/shards.txt" ;; *) f="$d/merge.txt" ;; esac
                       n=$(cat "$f.n" 2>/dev/null || echo 1); total=$(wc -l < "$f")
                       sed -n "$(( n < total ? n : total ))p" "$f"; echo $(( n + 1 )) > "$f.n"; exit 0 ;;
                esac
                echo "unexpected: $*" >&2; exit 1
                """);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        public string Dir { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "synth-kubectl", Guid.NewGuid().ToString("N")[..12]);
        public string Script => System.IO.Path.Combine(Dir, "kubectl");
        public string[] Calls => File.ReadAllLines(System.IO.Path.Combine(Dir, "calls.log"));
    }

    private static string Status(int succeeded, int active, int failed, string? condition = null, string failedIndexes = "") =>
        "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{" +
        $"\"succeeded\":{succeeded},\"active\":{active},\"failed\":{failed}" +
        (failedIndexes.Length > 0 ? $",\"failedIndexes\":\"{failedIndexes}\"" : "") +
        (condition is null ? "" : $",\"conditions\":[{{\"type\":\"{condition}\",\"status\":\"True\",\"reason\":\"{(condition == "Failed" ? "FailedIndexes" : "Done")}\",\"message\":\"Job has failed indexes\"}}]") +
        "}}\n";

    private static (SubmitRequest, KubernetesOptions, KubernetesManifests) Setup()
    {
        string work = Path.Combine(Path.GetTempPath(), "synth-k8s-apply", Guid.NewGuid().ToString("N")[..12]);
        var request = new SubmitRequest("/p/demo/demo.synthproj", "demo", 3, "/p/demo/out/", work, []);
        var options = KubernetesOptions.Resolve(new KubernetesSettings { Image = "img", VolumeClaim = "pvc", Namespace = "vision" }, request, [])!;
        return (request, options, KubernetesJobs.Write(request, options));
    }

    [Fact]
    public void The_merge_is_applied_once_the_shard_job_is_complete_and_progress_is_logged()
    {
        var kubectl = new ScriptedKubectl(
            Status(0, 3, 0) + Status(2, 1, 1) + Status(3, 0, 1, "Complete"),
            Status(0, 1, 0) + Status(1, 0, 0, "Complete"));
        var (request, options, manifests) = Setup();
        var log = new List<string>();
        var apply = new KubernetesApply(request, options, log.Add) { Kubectl = kubectl.Script, PollInterval = TimeSpan.FromMilliseconds(10) };

        Assert.Null(apply.Run(manifests));
        Assert.Equal([
            $"apply -f {manifests.ShardFile} --namespace vision",
            "get job demo-shards -o json --namespace vision", "get job demo-shards -o json --namespace vision", "get job demo-shards -o json --namespace vision",
            $"apply -f {manifests.MergeFile} --namespace vision",
            "get job demo-merge -o json --namespace vision", "get job demo-merge -o json --namespace vision"], kubectl.Calls);
        Assert.Contains("job/demo-shards: 2 of 3 succeeded, 1 running, 1 failed pods", log);
        Assert.Contains("job/demo-merge: 1 of 1 succeeded, 0 running, 0 failed pods", log);
    }

    [Fact]
    public void A_failed_shard_job_is_a_SYN9241_naming_it_and_its_failed_indexes_and_the_merge_is_not_applied()
    {
        var kubectl = new ScriptedKubectl(Status(1, 2, 0) + Status(2, 0, 3, "Failed", failedIndexes: "1"), Status(1, 0, 0, "Complete"));
        var (request, options, manifests) = Setup();
        var apply = new KubernetesApply(request, options, _ => { }) { Kubectl = kubectl.Script, PollInterval = TimeSpan.FromMilliseconds(10) };

        var error = apply.Run(manifests);
        Assert.Equal("SYN9241", error!.Code);
        Assert.Contains("job/demo-shards failed (FailedIndexes: Job has failed indexes, failed shard indexes 1)", error.Message);
        Assert.Equal("/p/demo/demo.synthproj", error.File);
        Assert.DoesNotContain(kubectl.Calls, c => c.Contains("merge", StringComparison.Ordinal));
    }

    [Fact]
    public void A_job_still_running_after_the_wait_timeout_is_a_SYN9242()
    {
        var kubectl = new ScriptedKubectl(Status(0, 3, 0), Status(0, 0, 0));
        var (request, _, manifests) = Setup();
        var options = KubernetesOptions.Resolve(new KubernetesSettings { Image = "img", VolumeClaim = "pvc", WaitTimeout = "1s" }, request, [])!;
        var apply = new KubernetesApply(request, options, _ => { }) { Kubectl = kubectl.Script, PollInterval = TimeSpan.FromMilliseconds(50) };

        var error = apply.Run(manifests);
        Assert.Equal("SYN9242", error!.Code);
        Assert.Contains("job/demo-shards was neither complete nor failed after 00:00:01", error.Message);
    }

    [Fact]
    public void A_kubectl_error_is_a_SYN9240_quoting_it()
    {
        var kubectl = new ScriptedKubectl("not json\n", "");
        var (request, options, manifests) = Setup();
        File.WriteAllText(kubectl.Script, "#!/bin/sh\necho 'error: the server doesn'\\''t have a resource type \"job\"' >&2\nexit 1\n");
        var error = new KubernetesApply(request, options, _ => { }) { Kubectl = kubectl.Script }.Run(manifests);
        Assert.Equal("SYN9240", error!.Code);
        Assert.Contains($"'kubectl apply -f {manifests.ShardFile} --namespace vision' failed (exit 1): error: the server doesn't have a resource type \"job\"", error.Message);
    }
}
