using LibGit2Sharp;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.TestSupport;

namespace SynthBuild.Lineage.Tests;

/// <summary>A project folder (optionally a git repository) with a small built dataset in bin/dataset.</summary>
internal sealed class LineageFixture
{
    /// <param name="config">The dataset config (default: the small 3-sample one).</param>
    /// <param name="files">Further project files (relative path → text), committed with the project.</param>
    public LineageFixture(bool git = true, string version = "1.2.0", int samples = 3, string? config = null,
        IReadOnlyDictionary<string, string>? files = null)
    {
        Dir = SmallDataset.TempDir();
        ProjectFile = Path.Combine(Dir, "small.synthproj");
        File.WriteAllText(ProjectFile, $"""
            <Project>
              <PropertyGroup>
                <DatasetVersion>{version}</DatasetVersion>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(ConfigFile, config ?? SmallDataset.Json(samples: samples));
        foreach (var (rel, text) in files ?? new Dictionary<string, string>())
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Dir, rel))!);
            File.WriteAllText(Path.Combine(Dir, rel), text);
        }
        File.WriteAllText(Path.Combine(Dir, ".gitignore"), "bin/\n");
        if (git)
        {
            Repository.Init(Dir);
            Commit("initial");
        }
        var spec = ConfigLoader.Load(ConfigFile).Spec!;
        Assert.True(new DatasetBuilder(spec, DatasetRoot).Build().Succeeded);
    }

    public string Dir { get; }
    public string ProjectFile { get; }
    public string ConfigFile => Path.Combine(Dir, "synth.json");
    public string DatasetRoot => Path.Combine(Dir, "bin", "dataset");
    public string LogFile => Path.Combine(Dir, "lineage.jsonl");
    public string ReleaseDir => Path.Combine(Dir, "releases");

    public static readonly Signature Author = new("Test", "test@example.com", new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public string Commit(string message)
    {
        using var repo = new Repository(Dir);
        Commands.Stage(repo, "*");
        return repo.Commit(message, Author, Author).Sha;
    }

    public LineageRequest Lineage(string status = LineageRecord.Finished, IReadOnlyList<string>? inputs = null) =>
        new(ProjectFile, ConfigFile, DatasetRoot, new(), "1.2.0", new GenerationFigures(3, 0, 0, 1), status, LogFile,
            inputs ?? [ProjectFile, ConfigFile], Environment: _ => null);

    public ReleaseRequest Release(string? version = "1.2.0", bool buildSucceeded = true) =>
        new(ProjectFile, DatasetRoot, version, ReleaseDir, LogFile, [ProjectFile, ConfigFile], buildSucceeded);
}
