using System.Globalization;
using Microsoft.Build.Framework;
using SynthBuild.Augmentation;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>Writes the augmented variants of a built dataset when the config has an "augmentation" section.</summary>
public sealed class SynthAugment : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string ConfigFile { get; set; } = "";
    /// <summary>Config overlays (SynthConfigOverlay), merged over the config in order.</summary>
    public ITaskItem[] ConfigOverlays { get; set; } = [];
    [Required] public string DatasetDirectory { get; set; } = "";
    [Required] public string OutputDirectory { get; set; } = "";
    public string ProjectFile { get; set; } = "";
    public string DatasetName { get; set; } = "";
    public string Samples { get; set; } = "";
    public string Seed { get; set; } = "";
    public int Threads { get; set; }
    /// <summary>SynthLockTimeout: seconds to wait for another build holding the dataset folder ("" = 30).</summary>
    public string LockTimeout { get; set; } = "";

    [Output] public string Digest { get; private set; } = "";

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        var loaded = SharedConfig.Load(Log, BuildEngine, nameof(SynthAugment), ConfigFile, new ConfigOverrides(Samples, Seed, DatasetName, ProjectFile, SharedConfig.Overlays(ConfigOverlays))).Config;
        // SynthGenerate already reported the config's warnings; only what stops this stage is logged again.
        foreach (var d in loaded.Diagnostics.Where(d => d.IsError)) Log.Log(d);
        if (!loaded.Succeeded) return false;
        DatasetSpec spec = loaded.Spec!;
        if (spec.Augmentation is null)
        {
            Log.LogMessage(MessageImportance.Normal, "  {0}: no augmentation section in the config; nothing to augment.", spec.Name);
            return true;
        }
        // The section's own checks (each step against its schema definition), positioned in the config.
        var sectionDiagnostics = new List<Diagnostic>();
        AugmentationSpec? augmentation = AugmentationConfig.Bind(spec, sectionDiagnostics);
        foreach (var d in sectionDiagnostics) Log.Log(d);
        if (augmentation is null || sectionDiagnostics.Any(d => d.IsError)) return false;

        // The base dataset's lock, as the build takes it: a second build must not regenerate the samples being read,
        // and the derived folder (inside the dataset folder by default) has one writer.
        using var held = FolderLock.Take(Log, DatasetDirectory, "augment", LockTimeout, ProjectFile, _cancel.Token);
        if (held is null) return false;
        var result = new AugmentedDatasetBuilder(spec, DatasetDirectory, OutputDirectory, new BuildOptions(Threads), augmentation).Build(_cancel.Token);
        foreach (var d in result.Diagnostics) Log.Log(d);
        if (!result.Succeeded) return false;
        Digest = result.Digest;
        Log.LogMessage(MessageImportance.High, string.Format(CultureInfo.InvariantCulture,
            result.Generated == 0 && result.Removed == 0
                ? "  {0}-augmented: up to date ({1} samples, digest {5}) -> {6}"
                : "  {0}-augmented: {2} augmented, {1} total, {3} reused, {4} removed in {7:F1} s, digest {5} -> {6}",
            spec.Name, result.Generated + result.Reused, result.Generated, result.Reused, result.Removed,
            result.Digest.Length >= 12 ? result.Digest[..12] : result.Digest, OutputDirectory, result.Elapsed.TotalSeconds));
        return !Log.HasLoggedErrors;
    }
}
