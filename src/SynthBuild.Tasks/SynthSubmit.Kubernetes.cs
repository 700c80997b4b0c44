using Microsoft.Build.Framework;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Scheduling;
using SynthBuild.Scheduling.Kubernetes;

namespace SynthBuild.Tasks;

public sealed partial class SynthSubmit
{
    /// <summary>SynthK8sImage: the engine image the pods run.</summary>
    public string K8sImage { get; set; } = "";
    /// <summary>SynthK8sVolumeClaim: the ReadWriteMany claim the output folder lives on.</summary>
    public string K8sVolumeClaim { get; set; } = "";
    public string K8sMountPath { get; set; } = "";
    /// <summary>SynthK8sProject: the project file inside the image.</summary>
    public string K8sProject { get; set; } = "";
    /// <summary>SynthK8sOutputDir: SynthOutputDir inside the pods, under the mount path.</summary>
    public string K8sOutputDir { get; set; } = "";
    public string K8sNamespace { get; set; } = "";
    public string K8sCpu { get; set; } = "";
    public string K8sMemory { get; set; } = "";
    public string K8sParallelism { get; set; } = "";
    public string K8sBackoffLimitPerIndex { get; set; } = "";
    public string K8sWaitTimeout { get; set; } = "";
    /// <summary>SynthApply: apply the manifests with kubectl and follow the jobs.</summary>
    public bool Apply { get; set; }

    private bool SubmitKubernetes(SubmitRequest request)
    {
        var settings = new KubernetesSettings
        {
            Image = K8sImage, VolumeClaim = K8sVolumeClaim, MountPath = K8sMountPath, Project = K8sProject,
            OutputDirectory = K8sOutputDir, Namespace = K8sNamespace, Cpu = K8sCpu, Memory = K8sMemory,
            Parallelism = K8sParallelism, BackoffLimitPerIndex = K8sBackoffLimitPerIndex, WaitTimeout = K8sWaitTimeout,
        };
        var errors = new List<Diagnostic>();
        var options = KubernetesOptions.Resolve(settings, request, errors);
        if (options is null)
        {
            foreach (var e in errors) Log.Log(e);
            return false;
        }

        var manifests = KubernetesJobs.Write(request, options);
        Log.LogMessage(MessageImportance.High,
            $"{request.DatasetName}: Kubernetes Indexed Job '{options.ShardJobName}' ({request.Shards} shards, parallelism {options.Parallelism}) -> {manifests.ShardFile}");
        Log.LogMessage(MessageImportance.High,
            $"{request.DatasetName}: Kubernetes merge Job '{options.MergeJobName}' -> {manifests.MergeFile}");
        if (!Apply)
        {
            Log.LogMessage(MessageImportance.High,
                $"{request.DatasetName}: not applied (-p:SynthApply=true applies and follows them; or kubectl apply -f the shard job, then the merge job once it is complete).");
            return true;
        }

        var apply = new KubernetesApply(request, options, line => Log.LogMessage(MessageImportance.High, line));
        try
        {
            var error = apply.Run(manifests, _cancel.Token);
            if (error is not null)
            {
                Log.Log(error);
                return false;
            }
        }
        catch (OperationCanceledException)
        {
            Log.LogWarning($"Following the Kubernetes jobs was cancelled; they keep running in the cluster (kubectl get job {options.ShardJobName} {options.MergeJobName}).");
            return false;
        }
        Log.LogMessage(MessageImportance.High,
            $"{request.DatasetName}: Kubernetes jobs complete; the merged dataset is in {options.OutputDirectory} on claim {options.VolumeClaim}.");
        return true;
    }
}
