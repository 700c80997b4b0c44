using k8s;
using k8s.Models;

namespace SynthBuild.Scheduling.Kubernetes;

/// <summary>The two manifests written for one sharded build.</summary>
public sealed record KubernetesManifests(V1Job ShardJob, V1Job MergeJob, string ShardFile, string MergeFile);

/// <summary>
/// The Job manifests of a sharded build on Kubernetes, built with the API's own models: an Indexed Job whose pod i
/// runs the shard build with JOB_COMPLETION_INDEX = i (SynthShard=auto/N), and a merge Job. Both run the engine image
/// and mount the shared volume the output folder lives on (docs/clusters.md).
/// </summary>
public static class KubernetesJobs
{
    private const string VolumeName = "synth-data";
    private const string ContainerName = "synthbuild";

    /// <summary>The request as the pods run it: the project and output folder inside the pod, the image's dotnet, and
    /// property values that are paths under the project folder (SynthConfig) moved along with the project.</summary>
    public static SubmitRequest InPod(SubmitRequest request, KubernetesOptions options)
    {
        string hostDir = Path.GetDirectoryName(request.ProjectFile)!;
        string podDir = options.ProjectPath[..options.ProjectPath.LastIndexOf('/')];
        string Map(string value) =>
            Path.IsPathFullyQualified(value) && Path.GetFullPath(value) is var full
            && (full == hostDir || full.StartsWith(hostDir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                ? podDir + full[hostDir.Length..].Replace('\\', '/')
                : value;
        return request with
        {
            ProjectFile = options.ProjectPath,
            OutputDirectory = options.OutputDirectory,
            Dotnet = "dotnet",
            BuildProperties = request.BuildProperties.Select(p => KeyValuePair.Create(p.Key, Map(p.Value))).ToList(),
        };
    }

    /// <summary>The Indexed Job: completions N, one pod per shard index, a failed index retried on its own.</summary>
    public static V1Job ShardJob(SubmitRequest request, KubernetesOptions options)
    {
        var pod = InPod(request, options);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = Metadata(options.ShardJobName, options, "shards"),
            Spec = new V1JobSpec
            {
                CompletionMode = "Indexed",
                Completions = request.Shards,
                Parallelism = options.Parallelism,
                // Per index: a retried shard resumes from its checkpoint; other shards are not charged for it.
                BackoffLimitPerIndex = options.BackoffLimitPerIndex,
                Template = Pod(options, "shards", ShardJobCommand.Shard(pod)),
            },
        };
    }

    /// <summary>The merge Job: one pod, applied once the shard job is complete.</summary>
    public static V1Job MergeJob(SubmitRequest request, KubernetesOptions options)
    {
        var pod = InPod(request, options);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = Metadata(options.MergeJobName, options, "merge"),
            Spec = new V1JobSpec
            {
                Completions = 1,
                Parallelism = 1,
                BackoffLimit = options.BackoffLimitPerIndex,
                Template = Pod(options, "merge", ShardJobCommand.Merge(pod)),
            },
        };
    }

    /// <summary>Writes &lt;job&gt;-shards.yaml and &lt;job&gt;-merge.yaml to the request's work folder (each atomically).</summary>
    public static KubernetesManifests Write(SubmitRequest request, KubernetesOptions options)
    {
        var shard = ShardJob(request, options);
        var merge = MergeJob(request, options);
        Directory.CreateDirectory(request.WorkDirectory);
        string shardFile = Path.Combine(request.WorkDirectory, options.ShardJobName + ".yaml");
        string mergeFile = Path.Combine(request.WorkDirectory, options.MergeJobName + ".yaml");
        WriteAtomically(shardFile, KubernetesYaml.Serialize(shard));
        WriteAtomically(mergeFile, KubernetesYaml.Serialize(merge));
        return new KubernetesManifests(shard, merge, shardFile, mergeFile);
    }

    private static void WriteAtomically(string path, string text)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    private static V1ObjectMeta Metadata(string name, KubernetesOptions options, string role) => new()
    {
        Name = name,
        NamespaceProperty = options.Namespace,
        Labels = Labels(options, role),
    };

    private static Dictionary<string, string> Labels(KubernetesOptions options, string role) => new()
    {
        ["app.kubernetes.io/name"] = "synthbuild",
        ["app.kubernetes.io/instance"] = options.JobName,
        ["app.kubernetes.io/component"] = role,
    };

    private static V1PodTemplateSpec Pod(KubernetesOptions options, string role, IReadOnlyList<string> command)
    {
        Dictionary<string, ResourceQuantity>? resources = null;
        if (options.Cpu is not null || options.Memory is not null)
        {
            resources = [];
            if (options.Cpu is not null) resources["cpu"] = options.Cpu;
            if (options.Memory is not null) resources["memory"] = options.Memory;
        }
        return new V1PodTemplateSpec
        {
            Metadata = new V1ObjectMeta { Labels = Labels(options, role) },
            Spec = new V1PodSpec
            {
                RestartPolicy = "Never",
                Containers =
                [
                    new V1Container
                    {
                        Name = ContainerName,
                        Image = options.Image,
                        Command = command.ToList(),
                        Env =
                        [
                            new V1EnvVar { Name = "DOTNET_CLI_TELEMETRY_OPTOUT", Value = "1" },
                            new V1EnvVar { Name = "DOTNET_NOLOGO", Value = "1" },
                            // One build per pod: no MSBuild node outlives it.
                            new V1EnvVar { Name = "MSBUILDDISABLENODEREUSE", Value = "1" },
                        ],
                        // Requests = limits: a shard's throughput is then what was asked for.
                        Resources = resources is null ? null : new V1ResourceRequirements { Requests = resources, Limits = new Dictionary<string, ResourceQuantity>(resources) },
                        VolumeMounts = [new V1VolumeMount { Name = VolumeName, MountPath = options.MountPath }],
                    },
                ],
                Volumes =
                [
                    new V1Volume
                    {
                        Name = VolumeName,
                        PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = options.VolumeClaim },
                    },
                ],
            },
        };
    }
}
