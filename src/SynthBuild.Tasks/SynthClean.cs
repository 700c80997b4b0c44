using Microsoft.Build.Framework;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Lineage.Cards;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>Removes what the generator wrote (per the manifest) and sample files no manifest lists, under the
/// folder's lock, and nothing else.</summary>
public sealed class SynthClean : MSBuildTask
{
    [Required] public string OutputDirectory { get; set; } = "";
    public string ProjectFile { get; set; } = "";
    /// <summary>SynthLockTimeout: seconds to wait for a build holding the dataset folder ("" = 30).</summary>
    public string LockTimeout { get; set; } = "";
    /// <summary>SynthUnlistedFiles: remove (default) or only report sample files the manifest does not list.</summary>
    public string UnlistedFiles { get; set; } = "";

    public override bool Execute()
    {
        string? project = ProjectFile.Length > 0 ? ProjectFile : null;
        if (FolderLock.Timeout(Log, LockTimeout, project) is not { } wait || FolderLock.Policy(Log, UnlistedFiles, project) is not { } unlisted) return false;
        try
        {
            // The card first: the cleaner removes the output folder only when nothing is left in it.
            int removed = Directory.Exists(OutputDirectory) ? DatasetCard.Clean(OutputDirectory) : 0;
            removed += DatasetCleaner.Clean(OutputDirectory, unlisted, wait, d => Log.Log(d));
            Log.LogMessage(MessageImportance.High, "SynthBuild: removed {0} generated file(s) from {1}", removed, OutputDirectory);
            return !Log.HasLoggedErrors;
        }
        catch (DiagnosticException ex)
        {
            Log.Log(ex.Diagnostic);
            return false;
        }
    }
}
