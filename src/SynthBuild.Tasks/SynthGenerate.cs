using System.Diagnostics;
using System.Globalization;
using Microsoft.Build.Framework;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Sharding;
using SynthBuild.Core.Storage;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>Loads and validates the dataset config, then brings the dataset folder up to date.</summary>
public sealed class SynthGenerate : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string ConfigFile { get; set; } = "";
    /// <summary>Config overlays (SynthConfigOverlay), merged over the config in order.</summary>
    public ITaskItem[] ConfigOverlays { get; set; } = [];
    [Required] public string OutputDirectory { get; set; } = "";
    public string ProjectFile { get; set; } = "";
    public string DatasetName { get; set; } = "";
    /// <summary>-p:SynthSamples=N: overrides the config's sample count.</summary>
    public string Samples { get; set; } = "";
    /// <summary>-p:SynthSeed=S: overrides the config's seed.</summary>
    public string Seed { get; set; } = "";
    /// <summary>Worker threads; 0 = all cores.</summary>
    public int Threads { get; set; }
    /// <summary>Seconds between progress lines.</summary>
    public double ProgressInterval { get; set; } = 3;
    /// <summary>-p:SynthShard=I/N or auto/N: build only that shard's samples and its shard manifest (docs/sharding.md).</summary>
    public string Shard { get; set; } = "";
    /// <summary>SynthLockTimeout: seconds to wait for another build holding the dataset folder ("" = 30; 0 = fail at once).</summary>
    public string LockTimeout { get; set; } = "";
    /// <summary>SynthUnlistedFiles: remove (default) or report sample files the manifest does not list.</summary>
    public string UnlistedFiles { get; set; } = "";
    /// <summary>Where a build that changed the dataset leaves its pending lineage record (docs/lineage.md); empty: none.</summary>
    public string LineagePendingDirectory { get; set; } = "";

    [Output] public string Digest { get; private set; } = "";
    [Output] public int GeneratedSamples { get; private set; }
    [Output] public int ReusedSamples { get; private set; }
    /// <summary>Samples removed (count lowered); with GeneratedSamples, tells the lineage stage the dataset changed.</summary>
    [Output] public int RemovedSamples { get; private set; }
    [Output] public double GenerationSeconds { get; private set; }

    public void Cancel() => _cancel.Cancel();

    // Its own method, so the augmentation assembly is loaded only for a config with an "augmentation" section.
    private bool AugmentationSectionIsValid(DatasetSpec spec)
    {
        var diagnostics = new List<Diagnostic>();
        Augmentation.AugmentationConfig.Bind(spec, diagnostics);
        foreach (var d in diagnostics) Log.Log(d);
        return !diagnostics.Any(d => d.IsError);
    }

    public override bool Execute()
    {
        ShardSelection? selection = null;
        if (!string.IsNullOrWhiteSpace(Shard))
        {
            // Checked before the config: a malformed shard writes nothing and costs no config load.
            selection = ShardSelection.Parse(Shard, Environment.GetEnvironmentVariable, ProjectFile.Length > 0 ? ProjectFile : null, out var error);
            if (selection is null) { Log.Log(error!); return false; }
            if (selection.Source is not null)
                Log.LogMessage(MessageImportance.High, "  shard index {0} of {1} from {2}", selection.Index, selection.Count, selection.Source);
        }

        string? project = ProjectFile.Length > 0 ? ProjectFile : null;
        if (FolderLock.Timeout(Log, LockTimeout, project) is not { } lockTimeout || FolderLock.Policy(Log, UnlistedFiles, project) is not { } unlisted) return false;

        LoadedConfig loaded = SharedConfig.Load(Log, BuildEngine, nameof(SynthGenerate), ConfigFile, new ConfigOverrides(Samples, Seed, DatasetName, ProjectFile, SharedConfig.Overlays(ConfigOverlays)));
        foreach (var d in loaded.Config.Diagnostics) Log.Log(d);
        if (!loaded.Config.Succeeded) return false; // nothing written: an invalid config never touches the dataset

        DatasetSpec spec = loaded.Spec!;
        // The config's downstream sections are checked before anything is written, by the stage that owns each.
        if (spec.Augmentation is not null && !AugmentationSectionIsValid(spec)) return false;
        var monitor = new BuildMonitor();
        var clock = Stopwatch.StartNew();
        TimeSpan last = TimeSpan.Zero;
        void Tick()
        {
            if (clock.Elapsed - last < TimeSpan.FromSeconds(ProgressInterval) || monitor.Total == 0) return;
            last = clock.Elapsed;
            double rate = monitor.Done / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            TimeSpan eta = rate > 0 ? TimeSpan.FromSeconds((monitor.Total - monitor.Done) / rate) : TimeSpan.Zero;
            Log.LogMessage(MessageImportance.High, string.Format(CultureInfo.InvariantCulture,
                "  {0}: {1}/{2} samples ({3:P0}), {4:F1} samples/s, ETA {5:hh\\:mm\\:ss}",
                spec.Name, monitor.Done, monitor.Total, (double)monitor.Done / monitor.Total, rate, eta));
        }

        ShardRange? range = selection is null ? null : ShardPartition.Range(selection.Index, selection.Count, spec.Samples);
        var builder = new DatasetBuilder(spec, OutputDirectory, new BuildOptions(Threads, monitor, Tick, Shard: range, LockTimeout: lockTimeout, UnlistedFiles: unlisted), () => loaded.Assets);
        BuildResult result = builder.Build(_cancel.Token);
        foreach (var d in result.Diagnostics) Log.Log(d);
        GeneratedSamples = result.Generated;
        ReusedSamples = result.Reused;
        GenerationSeconds = result.Elapsed.TotalSeconds;
        if (range is not null)
        {
            // A shard is not a dataset: no Digest output, so no downstream stage takes it for one.
            if (!result.Succeeded) return false;
            Log.LogMessage(MessageImportance.High, string.Format(CultureInfo.InvariantCulture,
                "  {0}: shard {1} of {2}, samples [{3}, {4}): {5} generated, {6} reused in {7:F1} s, shard digest {8} -> {9}",
                spec.Name, range.Index, range.Count, range.Start, range.End, result.Generated, result.Reused, result.Elapsed.TotalSeconds,
                result.Digest[..12], ShardManifest.PathFor(Path.GetFullPath(OutputDirectory), range.Index, range.Count)));
            Log.LogLoaded(nameof(SynthGenerate));
            return !Log.HasLoggedErrors;
        }
        Digest = result.Digest;
        RemovedSamples = result.Removed;
        if (!result.Succeeded) return false;
        // Before anything else: a kill from here on leaves the new digest pending, and the next build records it.
        if (result.Generated + result.Removed > 0 && LineagePendingDirectory.Length > 0)
            LineagePending.Write(LineagePendingDirectory, result.Digest, result.Generated, result.Reused, result.Removed, result.Elapsed.TotalSeconds);

        Log.LogMessage(MessageImportance.High, string.Format(CultureInfo.InvariantCulture,
            result.Generated == 0 && result.Removed == 0
                ? "  {0}: up to date ({1} samples, digest {6}) -> {7}"
                : "  {0}: {2} generated, {1} total, {3} reused, {4} removed in {5:F1} s ({8:F1} samples/s), digest {6} -> {7}",
            spec.Name, spec.Samples, result.Generated, result.Reused, result.Removed, result.Elapsed.TotalSeconds,
            result.Digest.Length >= 12 ? result.Digest[..12] : result.Digest, OutputDirectory, result.SamplesPerSecond));
        Log.LogLoaded(nameof(SynthGenerate));
        return result.Succeeded && !Log.HasLoggedErrors;
    }
}
