using LibGit2Sharp;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Lineage;
using SynthBuild.TestSupport;

namespace SynthBuild.Releases.Storage.Tests;

/// <summary>One real release, made once per test run: a 3-sample dataset in a git repository, released as
/// small@1.2.0 by DatasetRelease (archive, .sha256, tag).</summary>
public sealed class ReleaseFixture
{
    public const string Name = "small", Version = "1.2.0", Reference = Name + "@" + Version;

    public ReleaseFixture()
    {
        Dir = SmallDataset.TempDir();
        string project = Path.Combine(Dir, "small.synthproj");
        File.WriteAllText(project, $"<Project><PropertyGroup><DatasetVersion>{Version}</DatasetVersion></PropertyGroup></Project>");
        string config = Path.Combine(Dir, "synth.json");
        File.WriteAllText(config, SmallDataset.Json(samples: 3));
        File.WriteAllText(Path.Combine(Dir, ".gitignore"), "bin/\nreleases/\n");
        Repository.Init(Dir);
        using (var repo = new Repository(Dir))
        {
            Commands.Stage(repo, "*");
            var who = new Signature("Test", "test@example.com", new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero));
            repo.Commit("initial", who, who);
        }
        string data = Path.Combine(Dir, "bin", "dataset");
        Assert.True(new DatasetBuilder(ConfigLoader.Load(config).Spec!, data).Build().Succeeded);
        var r = DatasetRelease.Create(new ReleaseRequest(project, data, Version, Path.Combine(Dir, "releases"), Path.Combine(Dir, "lineage.jsonl"), [project, config]));
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        Archive = r.Archive!;
        Bytes = File.ReadAllBytes(Archive);
    }

    public string Dir { get; }
    public string Archive { get; }
    public byte[] Bytes { get; }
    public string ArchiveName => Path.GetFileName(Archive);
}
