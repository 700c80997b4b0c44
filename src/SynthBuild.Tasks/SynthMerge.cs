using System.Globalization;
using Microsoft.Build.Framework;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Sharding;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>Merges the shard manifests of a sharded build into manifest.json and dataset.json (docs/sharding.md).</summary>
public sealed class SynthMerge : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string ConfigFile { get; set; } = "";
    /// <summary>Config overlays (SynthConfigOverlay), merged over the config in order.</summary>
    public ITaskItem[] ConfigOverlays { get; set; } = [];
    [Required] public string OutputDirectory { get; set; } = "";
    public string ProjectFile { get; set; } = "";
    public string DatasetName { get; set; } = "";
    public string Samples { get; set; } = "";
    public string Seed { get; set; } = "";
    /// <summary>-p:SynthShards=N: how many shards the dataset was built in.</summary>
    public string Shards { get; set; } = "";
    /// <summary>Hash-verification threads; 0 = all cores.</summary>
    public int Threads { get; set; }
    /// <summary>SynthLockTimeout: seconds to wait for another build holding the dataset folder ("" = 30).</summary>
    public string LockTimeout { get; set; } = "";
    /// <summary>SynthUnlistedFiles: remove (default) or report sample files the manifest does not list.</summary>
    public string UnlistedFiles { get; set; } = "";

    /// <summary>Where a merge that changed the dataset leaves its pending lineage record (docs/lineage.md); empty: none.</summary>
    public string LineagePendingDirectory { get; set; } = "";
    [Output] public string Digest { get; private set; } = "";
    /// <summary>Samples whose manifest entry changed; the lineage stage records a merge that changed the dataset.</summary>
    [Output] public int ChangedSamples { get; private set; }
    [Output] public int UnchangedSamples { get; private set; }
    [Output] public int RemovedSamples { get; private set; }
    [Output] public double MergeSeconds { get; private set; }
    /// <summary>The shards merged, for the lineage stage: item = the shard manifest (relative to the dataset folder),
    /// metadata Index, Count, Start, End (the range [Start, End)) and Sha256 (of the shard manifest file).</summary>
    [Output] public ITaskItem[] MergedShards { get; private set; } = [];

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        string? project = ProjectFile.Length > 0 ? ProjectFile : null;
        if (!ShardSelection.TryCount(Shards.Trim(), out int count))
        {
            Log.Log(Diagnostic.Error(SynCodes.ShardCountInvalid,
                $"SynthShards='{Shards}' is not a shard count: SynthMerge needs -p:SynthShards=N, the number of shards the dataset was built in (N >= 1).", project));
            return false;
        }
        if (FolderLock.Timeout(Log, LockTimeout, project) is not { } lockTimeout || FolderLock.Policy(Log, UnlistedFiles, project) is not { } unlisted) return false;
        LoadedConfig loaded = SharedConfig.Load(Log, BuildEngine, nameof(SynthMerge), ConfigFile, new ConfigOverrides(Samples, Seed, DatasetName, ProjectFile, SharedConfig.Overlays(ConfigOverlays)));
        foreach (var d in loaded.Config.Diagnostics) Log.Log(d);
        if (!loaded.Config.Succeeded) return false;
        DatasetSpec spec = loaded.Spec!;

        MergeResult result = ShardMerger.Merge(spec, OutputDirectory, count, Threads, _cancel.Token, lockTimeout, unlisted);
        foreach (var d in result.Diagnostics) Log.Log(d);
        if (!result.Succeeded) return false;
        Digest = result.Manifest!.Digest;
        ChangedSamples = result.Changed;
        UnchangedSamples = spec.Samples - result.Changed;
        RemovedSamples = result.Removed;
        MergeSeconds = result.Elapsed.TotalSeconds;
        MergedShards = result.Shards.Select(ShardItems.ToItem).ToArray();
        if (result.Changed + result.Removed > 0 && LineagePendingDirectory.Length > 0)
            LineagePending.Write(LineagePendingDirectory, Digest, ChangedSamples, UnchangedSamples, RemovedSamples, MergeSeconds);
        Log.LogMessage(MessageImportance.High, string.Format(CultureInfo.InvariantCulture,
            "  {0}: merged {1} shards, {2} samples ({3} changed, {4} removed), {5:F1} MB verified in {6:F1} s, digest {7} -> {8}",
            spec.Name, count, spec.Samples, result.Changed, result.Removed, result.VerifiedBytes / 1e6, result.Elapsed.TotalSeconds,
            Digest[..12], OutputDirectory));
        Log.LogLoaded(nameof(SynthMerge));
        return !Log.HasLoggedErrors;
    }
}
