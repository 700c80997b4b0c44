using Microsoft.Build.Framework;
using SynthBuild.Releases.Storage;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>Verifies a release archive and uploads it with its .sha256 to an object store (SYN605x on refusal).</summary>
public sealed class SynthReleasePush : MSBuildTask
{
    [Required] public string Archive { get; set; } = "";
    /// <summary>az://CONTAINER[/PREFIX] or s3://BUCKET[/PREFIX]; credentials come from the environment.</summary>
    public string Store { get; set; } = "";

    [Output] public string Location { get; private set; } = "";

    public override bool Execute()
    {
        var result = ReleaseStorage.Push(Archive, Store, Environment.GetEnvironmentVariable);
        foreach (var d in result.Diagnostics) Log.Log(d);
        if (!result.Succeeded) return false;
        Location = result.Location!;
        Log.LogMessage(MessageImportance.High, "  pushed {0} to {1} (verified, {2} files)", result.Archive, Location, result.FilesVerified);
        return true;
    }
}

/// <summary>Downloads NAME@VERSION from an object store, verifies it, and only then moves it into a folder.</summary>
public sealed class SynthReleasePull : MSBuildTask
{
    [Required] public string Release { get; set; } = "";
    public string Store { get; set; } = "";
    [Required] public string Destination { get; set; } = "";

    [Output] public string Archive { get; private set; } = "";

    public override bool Execute()
    {
        var result = ReleaseStorage.Pull(Release, Store, Destination, Environment.GetEnvironmentVariable);
        foreach (var d in result.Diagnostics) Log.Log(d);
        if (!result.Succeeded) return false;
        Archive = result.Archive!;
        Log.LogMessage(MessageImportance.High, "  pulled {0} into {1}: verified, {2} files intact", result.Location, Archive, result.FilesVerified);
        return true;
    }
}
