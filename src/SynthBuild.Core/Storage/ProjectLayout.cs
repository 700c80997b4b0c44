namespace SynthBuild.Core.Storage;

/// <summary>
/// Default folders of a dataset project, relative to the folder of its .synthproj. The SDK targets cannot call C#,
/// so they spell the same defaults (SynthOutputDir, SynthCompareCacheDir); a test evaluates them against these.
/// </summary>
public static class ProjectLayout
{
    /// <summary>Where <c>dotnet build</c> writes the dataset unless SynthOutputDir says otherwise.</summary>
    public const string OutputDirectory = "bin/dataset";

    /// <summary>Where <c>synth quality compare --ref</c> and SynthCompareTo build and cache earlier versions.</summary>
    public const string CompareCacheDirectory = "obj/synth-compare";

    public static string DefaultOutputDirectory(string projectDirectory) => DatasetLayout.FullPath(projectDirectory, OutputDirectory);

    public static string DefaultCompareCacheDirectory(string projectDirectory) => DatasetLayout.FullPath(projectDirectory, CompareCacheDirectory);
}
