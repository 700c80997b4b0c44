using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;
using SynthBuild.Core.Diagnostics;
using Diagnostic = SynthBuild.Core.Diagnostics.Diagnostic;

namespace SynthBuild.Scheduling.Kubernetes;

/// <summary>The SynthK8s* project properties as given (empty = not set), before validation.</summary>
public sealed record KubernetesSettings
{
    public string Image { get; init; } = "";
    public string VolumeClaim { get; init; } = "";
    public string MountPath { get; init; } = "";
    public string Project { get; init; } = "";
    public string OutputDirectory { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string Cpu { get; init; } = "";
    public string Memory { get; init; } = "";
    public string Parallelism { get; init; } = "";
    public string BackoffLimitPerIndex { get; init; } = "";
    public string WaitTimeout { get; init; } = "";
}

/// <summary>
/// Validated Kubernetes settings for one sharded build: what the Job manifests need (docs/clusters.md).
/// Paths are inside the pod: the project in the engine image, the output folder on the shared volume.
/// </summary>
public sealed record KubernetesOptions(
    string JobName,
    string Image,
    string VolumeClaim,
    string MountPath,
    string ProjectPath,
    string OutputDirectory,
    string? Namespace,
    ResourceQuantity? Cpu,
    ResourceQuantity? Memory,
    int Parallelism,
    int BackoffLimitPerIndex,
    TimeSpan WaitTimeout)
{
    public const string DefaultMountPath = "/data";
    /// <summary>Where docker/engine.Dockerfile copies the repository.</summary>
    public const string ImageSourceRoot = "/src";
    public const int DefaultBackoffLimitPerIndex = 2;
    public static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromHours(24);

    /// <summary>Pod names are "{job}-{index}-{random}" and label values stop at 63 characters: room for "-shards".</summary>
    private const int MaxBaseNameLength = 63 - 7;

    private static readonly Regex Dns1123Label = new("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant);
    private static readonly Regex Duration = new("^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$", RegexOptions.CultureInvariant);

    public string ShardJobName => JobName + "-shards";
    public string MergeJobName => JobName + "-merge";

    /// <summary>Validates <paramref name="settings"/> for <paramref name="request"/>; null with every problem in
    /// <paramref name="errors"/> (each naming its property and the project file).</summary>
    public static KubernetesOptions? Resolve(KubernetesSettings settings, SubmitRequest request, List<Diagnostic> errors)
    {
        string file = request.ProjectFile;
        int before = errors.Count;
        void Fail(string code, string message) => errors.Add(Diagnostic.Error(code, message, file));

        string image = settings.Image.Trim(), claim = settings.VolumeClaim.Trim();
        if (image.Length == 0)
            Fail(SynCodes.KubernetesSettingMissing, "SynthK8sImage is not set: the pods need the engine image to run (build docker/engine.Dockerfile and push it to a registry the cluster can pull from).");
        if (claim.Length == 0)
            Fail(SynCodes.KubernetesSettingMissing, "SynthK8sVolumeClaim is not set: the shards and the merge need a ReadWriteMany PersistentVolumeClaim they all mount.");
        else if (!Dns1123Label.IsMatch(claim))
            Fail(SynCodes.KubernetesNameInvalid, $"SynthK8sVolumeClaim '{claim}' is not a DNS-1123 name (lower-case letters, digits and '-').");

        string jobName = JobNameFor(request.DatasetName);
        if (jobName.Length == 0)
            Fail(SynCodes.KubernetesNameInvalid, $"The dataset name '{request.DatasetName}' gives no Kubernetes job name (it needs at least one letter or digit): set SynthDatasetName.");

        string? ns = settings.Namespace.Trim() is { Length: > 0 } n ? n : null;
        if (ns is not null && !Dns1123Label.IsMatch(ns))
            Fail(SynCodes.KubernetesNameInvalid, $"SynthK8sNamespace '{ns}' is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters).");

        ResourceQuantity? cpu = Quantity("SynthK8sCpu", settings.Cpu, Fail);
        ResourceQuantity? memory = Quantity("SynthK8sMemory", settings.Memory, Fail);

        int parallelism = request.Shards;
        if (settings.Parallelism.Trim() is { Length: > 0 } p
            && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out parallelism) || parallelism < 1 || parallelism > request.Shards))
            Fail(SynCodes.KubernetesCountInvalid, $"SynthK8sParallelism '{p}' is not an integer from 1 to SynthShards ({request.Shards}).");

        int backoff = DefaultBackoffLimitPerIndex;
        if (settings.BackoffLimitPerIndex.Trim() is { Length: > 0 } b
            && !int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out backoff))
            Fail(SynCodes.KubernetesCountInvalid, $"SynthK8sBackoffLimitPerIndex '{b}' is not an integer >= 0.");

        TimeSpan timeout = DefaultWaitTimeout;
        if (settings.WaitTimeout.Trim() is { Length: > 0 } t && !TryParseDuration(t, out timeout))
            Fail(SynCodes.KubernetesTimeoutInvalid, $"SynthK8sWaitTimeout '{t}' is not a duration such as 90s, 30m, 2h or 1h30m.");

        string mount = settings.MountPath.Trim() is { Length: > 0 } m ? m.TrimEnd('/') : DefaultMountPath;
        string project = settings.Project.Trim() is { Length: > 0 } pr ? pr : DefaultProjectPath(request.ProjectFile);
        string output = settings.OutputDirectory.Trim() is { Length: > 0 } o ? o : $"{mount}/{(jobName.Length > 0 ? jobName : "dataset")}/";
        output = output.TrimEnd('/') + "/";
        foreach (var (name, value) in new[] { ("SynthK8sMountPath", mount), ("SynthK8sProject", project), ("SynthK8sOutputDir", output) })
            // A default output folder is reported through the mount path it derives from.
            if (!IsAbsolutePosix(value) && !(name == "SynthK8sOutputDir" && settings.OutputDirectory.Trim().Length == 0))
                Fail(SynCodes.KubernetesPathInvalid, $"{name} '{value}' is not an absolute path inside the pod (it must start with '/' and have no '..').");
        if (IsAbsolutePosix(mount) && IsAbsolutePosix(output) && mount.Length > 0 && !output.StartsWith(mount + "/", StringComparison.Ordinal))
            Fail(SynCodes.KubernetesPathInvalid, $"SynthK8sOutputDir '{output}' is not under SynthK8sMountPath '{mount}': the shards must write to the volume every pod shares.");

        if (errors.Count > before) return null;
        return new KubernetesOptions(jobName, image, claim, mount, project, output, ns, cpu, memory, parallelism, backoff, timeout);
    }

    /// <summary>The dataset name as a DNS-1123 label: lower case, runs of other characters as one '-', trimmed of '-'.</summary>
    public static string JobNameFor(string datasetName)
    {
        string lowered = Regex.Replace(datasetName.ToLowerInvariant(), "[^a-z0-9]+", "-", RegexOptions.CultureInvariant).Trim('-');
        if (lowered.Length > MaxBaseNameLength) lowered = lowered[..MaxBaseNameLength].TrimEnd('-');
        return lowered;
    }

    /// <summary>The project inside the engine image: its path below the repository root (the folder holding .git),
    /// under /src where the Dockerfile copies the repository; else /src/&lt;project folder&gt;/&lt;file&gt;.</summary>
    public static string DefaultProjectPath(string projectFile)
    {
        string dir = Path.GetDirectoryName(projectFile)!;
        for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
            if (Path.Exists(Path.Combine(d.FullName, ".git")))
                return ImageSourceRoot + "/" + Path.GetRelativePath(d.FullName, projectFile).Replace('\\', '/');
        return $"{ImageSourceRoot}/{Path.GetFileName(dir)}/{Path.GetFileName(projectFile)}";
    }

    /// <summary>Go-style durations as kubectl takes them: 90s, 30m, 2h, 1h30m.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var match = Duration.Match(text);
        if (!match.Success || text.Length == 0) return false;
        long Part(int g) => match.Groups[g].Success ? long.Parse(match.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
        try { duration = TimeSpan.FromSeconds(checked(Part(1) * 3600 + Part(2) * 60 + Part(3))); }
        catch (OverflowException) { return false; }
        return duration > TimeSpan.Zero;
    }

    private static bool IsAbsolutePosix(string path) =>
        path.StartsWith('/') && !path.Split('/').Contains("..") && !path.Contains('\\');

    private static ResourceQuantity? Quantity(string property, string text, Action<string, string> fail)
    {
        text = text.Trim();
        if (text.Length == 0) return null;
        try
        {
            var quantity = new ResourceQuantity(text);
            if (quantity.ToDecimal() > 0) return quantity;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
        }
        fail(SynCodes.KubernetesQuantityInvalid, $"{property} '{text}' is not a positive Kubernetes quantity (for example 2, 500m, 4Gi, 512Mi).");
        return null;
    }
}
