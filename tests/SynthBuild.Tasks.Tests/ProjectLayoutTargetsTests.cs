using System.Text.Json;
using SynthBuild.Core.Storage;

namespace SynthBuild.Tasks.Tests;

/// <summary>The SDK's .props/.targets cannot call C#, so they spell the engine's default folders again; MSBuild's
/// own evaluation of a project must give the folders <see cref="ProjectLayout"/> gives.</summary>
public sealed class ProjectLayoutTargetsTests
{
    [Fact]
    public void Sdk_default_output_and_compare_cache_folders_are_the_engines()
    {
        var project = new TempDatasetProject(TempDatasetProject.SmallConfig());
        var r = DotnetCli.Run(project.Directory, $"msbuild \"{project.ProjectFile}\" -nologo -getProperty:SynthOutputDir -getProperty:SynthCompareCacheDir");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Output[r.Output.IndexOf('{')..]);
        var properties = doc.RootElement.GetProperty("Properties");
        Assert.True(Full(ProjectLayout.DefaultOutputDirectory(project.Directory)) == Full(properties.GetProperty("SynthOutputDir").GetString()!),
            $"SynthOutputDir in src/SynthBuild.Sdk/Sdk/Sdk.targets evaluates to {properties.GetProperty("SynthOutputDir")}; ProjectLayout.OutputDirectory is {ProjectLayout.OutputDirectory}: change both together.");
        Assert.True(Full(ProjectLayout.DefaultCompareCacheDirectory(project.Directory)) == Full(properties.GetProperty("SynthCompareCacheDir").GetString()!),
            $"SynthCompareCacheDir in src/SynthBuild.Sdk/Sdk/SynthBuild.Quality.targets evaluates to {properties.GetProperty("SynthCompareCacheDir")}; ProjectLayout.CompareCacheDirectory is {ProjectLayout.CompareCacheDirectory}: change both together.");
    }

    private static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
}
