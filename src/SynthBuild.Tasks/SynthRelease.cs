using Microsoft.Build.Framework;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Lineage;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>Produces an immutable dataset release (archive, SHA-256, git tag) or refuses with SYN601x errors.</summary>
public sealed class SynthRelease : MSBuildTask
{
    [Required] public string OutputDirectory { get; set; } = "";
    [Required] public string ProjectFile { get; set; } = "";
    [Required] public string ReleaseDirectory { get; set; } = "";
    [Required] public string LogFile { get; set; } = "";
    public string ConfigFile { get; set; } = "";
    public string DatasetVersion { get; set; } = "";
    public bool BuildSucceeded { get; set; } = true;
    public ITaskItem[] Inputs { get; set; } = [];
    /// <summary>SynthLockTimeout: seconds to wait for another build holding the dataset folder ("" = 30).</summary>
    public string LockTimeout { get; set; } = "";

    [Output] public string Archive { get; private set; } = "";
    [Output] public string Sha256 { get; private set; } = "";
    [Output] public string Tag { get; private set; } = "";

    public override bool Execute()
    {
        var inputs = ProjectInputs.Collect(ProjectFile, ConfigFile, Inputs.Select(i => i.GetMetadata("FullPath")));
        // Under the folder's lock, and never with sample files the manifest does not list: they would be archived.
        using var held = FolderLock.Take(Log, OutputDirectory, "release", LockTimeout, ProjectFile);
        if (held is null) return false;
        if (!UnlistedFilesAbsent()) return false;
        var result = DatasetRelease.Create(new ReleaseRequest(ProjectFile, OutputDirectory,
            string.IsNullOrWhiteSpace(DatasetVersion) ? null : DatasetVersion.Trim(), ReleaseDirectory, LogFile, inputs, BuildSucceeded));
        foreach (var d in result.Diagnostics) Log.Log(d);
        if (!result.Succeeded) return false;
        Archive = result.Archive!;
        Sha256 = result.Sha256!;
        Tag = result.Tag!;
        Log.LogMessage(MessageImportance.High, "  released {0} (sha256 {1}), tagged {2}", Archive, Sha256, Tag);
        return true;
    }

    private bool UnlistedFilesAbsent()
    {
        string root = Path.GetFullPath(OutputDirectory);
        Manifest? manifest = Manifest.TryRead(Path.Combine(root, Manifest.FileName), out _);
        if (manifest is null) return true; // no dataset: the release's own check reports it
        var unlisted = UnlistedFiles.Find(root, manifest.Samples);
        if (unlisted.Count == 0) return true;
        Log.Log(Diagnostic.Error(SynCodes.ReleaseHasUnlistedFiles,
            $"The dataset folder holds {unlisted.Count} sample file(s) its manifest does not list (e.g. {Path.GetRelativePath(root, unlisted[0]).Replace('\\', '/')}); " +
            "a release would archive them. Build again (it removes them) or delete them, then release.", unlisted[0]));
        return false;
    }
}

/// <summary>Checks a release archive or folder against its manifest; every missing, extra or altered file is an error.</summary>
public sealed class SynthVerifyRelease : MSBuildTask
{
    [Required] public string Path { get; set; } = "";
    /// <summary>A folder in the repository holding the release tag to check against (the project's); empty: the archive's.</summary>
    public string Repository { get; set; } = "";

    public override bool Execute()
    {
        var report = ReleaseVerifier.Verify(Path, string.IsNullOrWhiteSpace(Repository) ? null : Repository);
        foreach (var d in report.Problems) Log.Log(d);
        if (report.Ok)
            Log.LogMessage(MessageImportance.High, "  {0}: release verified, {1} files intact, {2}", report.Path, report.FilesChecked,
                report.Tag is { } tag ? $"matches git tag {tag}" : "no git tag at hand to check it against");
        return report.Ok;
    }
}
