using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Models;

namespace SynthBuild.Tasks.Tests;

/// <summary>
/// -t:SynthSubmit -p:SynthScheduler=kubernetes through real `dotnet build` runs (docs/clusters.md). No Kubernetes
/// cluster runs here: the tests load the written manifests with the client's models, run the pods' commands as local
/// processes with the index variable a cluster sets, and check the kubectl failures.
/// </summary>
[Collection("dotnet build")]
public class KubernetesSubmitIntegrationTests
{
    private static readonly string[] IndexVariables =
        ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "SYNTH_SHARD_INDEX"];

    /// <summary>Every index variable blanked (whatever the test machine has), then <paramref name="set"/> = <paramref name="index"/>.</summary>
    private static Dictionary<string, string> IndexEnv(string? set = null, int index = 0)
    {
        var env = IndexVariables.ToDictionary(v => v, _ => "");
        if (set is not null) env[set] = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return env;
    }

    private static V1Job LoadJob(string file) =>
        Assert.IsType<V1Job>(Assert.Single(KubernetesYaml.LoadAllFromString(File.ReadAllText(file))));

    private static void AssertCleanFailure(CliResult r, string code)
    {
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains($"error {code}:", r.Output);
        Assert.DoesNotContain("   at ", r.Output); // no stack trace
        Assert.DoesNotContain("MSB4018", r.Output); // no task crash
    }

    /// <summary>Runs a pod's argv (`dotnet build …`) here, with the container's env and <paramref name="env"/>.</summary>
    private static CliResult RunPodCommand(TempDatasetProject p, V1Container container, Dictionary<string, string> env)
    {
        Assert.Equal("dotnet", container.Command[0]);
        foreach (var v in container.Env) env.TryAdd(v.Name, v.Value);
        Assert.DoesNotContain(container.Command, a => a.Contains(' ', StringComparison.Ordinal)); // joined for DotnetCli below
        return DotnetCli.Run(p.Directory, string.Join(' ', container.Command.Skip(1)), env);
    }

    private static Dictionary<string, string> SampleFiles(TempDatasetProject p, string dir) =>
        p.Snapshot(dir).Where(kv => !kv.Key.StartsWith("shards/", StringComparison.Ordinal) && !kv.Key.StartsWith("reports/", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value.Sha);

    private static void AssertSameDataset(TempDatasetProject p, string single, string merged)
    {
        Assert.Equal(p.Digest(single), p.Digest(merged));
        foreach (string file in new[] { "manifest.json", "dataset.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(single, file)), File.ReadAllBytes(Path.Combine(merged, file)));
        Assert.Equal(SampleFiles(p, single), SampleFiles(p, merged));
    }

    [Fact]
    public void The_pods_commands_run_with_JOB_COMPLETION_INDEX_build_the_single_build_s_dataset()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 8));
        string single = Path.Combine(p.Directory, "single") + "/";
        var first = p.Build($"-p:SynthSamples=12 -p:SynthOutputDir={single}");
        Assert.True(first.ExitCode == 0, first.ToString());

        // The "pod" paths are this machine's: the volume is a temp folder, the project is the temp project.
        string volume = Path.Combine(p.Directory, "volume");
        var submit = p.Build("-t:SynthSubmit -p:SynthScheduler=kubernetes -p:SynthShards=3 -p:SynthSamples=12 " +
            $"-p:SynthK8sImage=registry.example/synth:1 -p:SynthK8sVolumeClaim=synth-shared -p:SynthK8sMountPath={volume} " +
            $"-p:SynthK8sProject={p.ProjectFile} -p:SynthK8sCpu=2 -p:SynthK8sMemory=3Gi -p:SynthK8sParallelism=2");
        Assert.True(submit.ExitCode == 0, submit.ToString());
        string work = Path.Combine(p.Directory, "obj", "synth-submit");
        Assert.Contains($"demo: Kubernetes Indexed Job 'demo-shards' (3 shards, parallelism 2) -> {work}/demo-shards.yaml", submit.Output);
        Assert.Contains("not applied", submit.Output);

        var shards = LoadJob(Path.Combine(work, "demo-shards.yaml"));
        Assert.Equal(("Indexed", 3, 2), (shards.Spec.CompletionMode, shards.Spec.Completions, shards.Spec.Parallelism));
        var container = Assert.Single(shards.Spec.Template.Spec.Containers);
        Assert.Contains("-p:SynthShard=auto/3", container.Command);
        Assert.Contains($"-p:SynthOutputDir={volume}/demo/", container.Command);
        Assert.Contains("-p:SynthSamples=12", container.Command);
        Assert.Equal("synth-shared", Assert.Single(shards.Spec.Template.Spec.Volumes).PersistentVolumeClaim.ClaimName);
        Assert.Equal(volume, Assert.Single(container.VolumeMounts).MountPath);
        var merge = LoadJob(Path.Combine(work, "demo-merge.yaml"));
        var mergeContainer = Assert.Single(merge.Spec.Template.Spec.Containers);
        Assert.Contains("-t:SynthMerge", mergeContainer.Command);
        Assert.Contains("-p:SynthShards=3", mergeContainer.Command);

        // What the cluster would do: pod i with JOB_COMPLETION_INDEX=i (in reverse order: the order is the engine's), then the merge.
        foreach (int i in new[] { 2, 0, 1 })
        {
            var r = RunPodCommand(p, container, IndexEnv("JOB_COMPLETION_INDEX", i));
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains($"shard index {i} of 3 from JOB_COMPLETION_INDEX", r.Output);
        }
        var merged = RunPodCommand(p, mergeContainer, IndexEnv());
        Assert.True(merged.ExitCode == 0, merged.ToString());
        Assert.Contains("demo: merged 3 shards, 12 samples", merged.Output);
        AssertSameDataset(p, single, $"{volume}/demo/");
    }

    [Fact]
    public void The_GitHub_Actions_matrix_recipe_with_SYNTH_SHARD_INDEX_and_artifacts_builds_the_single_build_s_dataset()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 12));
        string single = Path.Combine(p.Directory, "single") + "/";
        Assert.Equal(0, p.Build($"-p:SynthOutputDir={single}").ExitCode);

        // docs/clusters.md: each matrix leg builds its shard on its own runner (its own folder) and uploads it; the
        // merge job downloads every leg's artifact into one folder, then merges.
        string merged = Path.Combine(p.Directory, "merged") + "/";
        for (int i = 0; i < 3; i++)
        {
            string leg = Path.Combine(p.Directory, $"leg-{i}") + "/";
            var r = p.Build($"-p:SynthShard=auto/3 -p:SynthOutputDir={leg}", IndexEnv("SYNTH_SHARD_INDEX", i));
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains($"shard index {i} of 3 from SYNTH_SHARD_INDEX", r.Output);
            foreach (string file in Directory.EnumerateFiles(leg, "*", SearchOption.AllDirectories))
            {
                string to = Path.Combine(merged, Path.GetRelativePath(leg, file));
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(file, to);
            }
        }
        var merge = p.Build($"-t:SynthMerge -p:SynthShards=3 -p:SynthOutputDir={merged}", IndexEnv());
        Assert.True(merge.ExitCode == 0, merge.ToString());
        AssertSameDataset(p, single, merged);
    }

    [Fact]
    public void Bad_Kubernetes_settings_fail_with_their_code_and_leave_the_written_manifests_untouched()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 4));
        string work = Path.Combine(p.Directory, "obj", "synth-submit");

        var noImage = p.Build("-t:SynthSubmit -p:SynthScheduler=kubernetes -p:SynthShards=2 -p:SynthK8sVolumeClaim=pvc");
        AssertCleanFailure(noImage, "SYN9230");
        Assert.Contains("SynthK8sImage is not set", noImage.Output);
        Assert.Contains("demo.synthproj", noImage.Output);
        Assert.Empty(Directory.Exists(work) ? Directory.GetFiles(work) : []);

        var ok = p.Build("-t:SynthSubmit -p:SynthScheduler=kubernetes -p:SynthShards=2 -p:SynthK8sImage=img -p:SynthK8sVolumeClaim=pvc");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        var before = Directory.GetFiles(work).ToDictionary(f => f, f => (File.ReadAllBytes(f), File.GetLastWriteTimeUtc(f)));
        Assert.Equal(2, before.Count);

        var badMemory = p.Build("-t:SynthSubmit -p:SynthScheduler=kubernetes -p:SynthShards=2 -p:SynthK8sImage=img2 -p:SynthK8sVolumeClaim=pvc -p:SynthK8sMemory=lots");
        AssertCleanFailure(badMemory, "SYN9231");
        Assert.Contains("SynthK8sMemory 'lots'", badMemory.Output);
        var after = Directory.GetFiles(work).ToDictionary(f => f, f => (File.ReadAllBytes(f), File.GetLastWriteTimeUtc(f)));
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, (bytes, written)) in before)
            Assert.True(bytes.SequenceEqual(after[file].Item1) && written == after[file].Item2, file);
    }

    [Fact]
    public void SynthApply_without_kubectl_is_a_SYN9202_and_the_manifests_are_written_all_the_same()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 4));
        string dotnetDir = Path.GetDirectoryName(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? host : "/usr/share/dotnet/dotnet")!;
        Assert.False(File.Exists(Path.Combine(dotnetDir, "kubectl")));
        var r = p.Build("-t:SynthSubmit -p:SynthScheduler=kubernetes -p:SynthShards=2 -p:SynthK8sImage=img -p:SynthK8sVolumeClaim=pvc -p:SynthApply=true",
            new Dictionary<string, string> { ["PATH"] = dotnetDir });
        AssertCleanFailure(r, "SYN9202");
        Assert.Contains("'kubectl' is not installed", r.Output);
        Assert.True(File.Exists(Path.Combine(p.Directory, "obj", "synth-submit", "demo-shards.yaml")));
    }

    [Fact]
    public void SynthApply_with_no_reachable_cluster_is_a_SYN9240_quoting_kubectl()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 4));
        // A port nothing listens on: bound, then released.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        string kubeconfig = Path.Combine(p.Directory, "kubeconfig");
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: closed
              cluster:
                server: https://127.0.0.1:{port}
                insecure-skip-tls-verify: true
            contexts:
            - name: closed
              context: {"{"} cluster: closed, user: nobody {"}"}
            current-context: closed
            users:
            - name: nobody
              user: {"{"} token: none {"}"}
            """);
        var r = p.Build("-t:SynthSubmit -p:SynthScheduler=kubernetes -p:SynthShards=2 -p:SynthK8sImage=img -p:SynthK8sVolumeClaim=pvc -p:SynthApply=true",
            new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfig });
        AssertCleanFailure(r, "SYN9240");
        Assert.Contains("'kubectl apply -f", r.Output);
        Assert.Contains($"127.0.0.1:{port}", r.Output);
        Assert.DoesNotContain("demo-merge.yaml' failed", r.Output); // the merge is never applied
    }
}
