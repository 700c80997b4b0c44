using System.Text.Json;
using LibGit2Sharp;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.TestSupport;

namespace SynthBuild.Lineage.Tests;

public class GitProvenanceTests
{
    [Fact]
    public void Clean_repository_gives_commit_branch_and_remote_without_credentials()
    {
        var f = new LineageFixture();
        using (var repo = new Repository(f.Dir)) repo.Network.Remotes.Add("origin", "https://bob:s3cret@git.example.com/data/small.git");
        var g = GitProvenance.Read(f.Dir, [f.ProjectFile, f.ConfigFile]);
        using var r = new Repository(f.Dir);
        Assert.True(g.InRepository);
        Assert.Equal(r.Head.Tip.Sha, g.Commit);
        Assert.Equal(r.Head.FriendlyName, g.Branch);
        Assert.Equal("https://git.example.com/data/small.git", g.RemoteUrl);
        Assert.False(g.Dirty);
        Assert.False(g.Detached);
        Assert.Empty(g.ModifiedInputs);
    }

    [Fact]
    public void Modified_input_and_untracked_input_make_the_tree_dirty_but_untracked_outputs_do_not()
    {
        var f = new LineageFixture();
        // bin/ (ignored) and a stray untracked file do not count.
        File.WriteAllText(Path.Combine(f.Dir, "notes.txt"), "scratch");
        Assert.False(GitProvenance.Read(f.Dir, [f.ProjectFile, f.ConfigFile]).Dirty);

        File.AppendAllText(f.ConfigFile, " ");
        string texture = Path.Combine(f.Dir, "wood.png");
        File.WriteAllBytes(texture, [1, 2, 3]);
        var g = GitProvenance.Read(f.Dir, [f.ProjectFile, f.ConfigFile, texture]);
        Assert.True(g.Dirty);
        Assert.Equal(["synth.json", "wood.png"], g.ModifiedInputs);
        Assert.Equal(["synth.json"], g.ChangedFiles);
    }

    [Fact]
    public void Changes_to_ignored_paths_such_as_the_lineage_log_do_not_make_the_tree_dirty()
    {
        var f = new LineageFixture();
        File.WriteAllText(f.LogFile, "{}\n");
        f.Commit("log");
        File.AppendAllText(f.LogFile, "{}\n");
        Assert.True(GitProvenance.Read(f.Dir, []).Dirty);
        Assert.False(GitProvenance.Read(f.Dir, [], [f.LogFile]).Dirty);
    }

    [Fact]
    public void Detached_head_has_a_commit_and_no_branch()
    {
        var f = new LineageFixture();
        string first;
        using (var repo = new Repository(f.Dir)) first = repo.Head.Tip.Sha;
        File.WriteAllText(Path.Combine(f.Dir, "more.txt"), "x");
        f.Commit("second");
        using (var repo = new Repository(f.Dir)) Commands.Checkout(repo, repo.Lookup<Commit>(first));
        var g = GitProvenance.Read(f.Dir, [f.ConfigFile]);
        Assert.True(g.Detached);
        Assert.Null(g.Branch);
        Assert.Equal(first, g.Commit);
        Assert.False(g.Dirty);
    }

    [Fact]
    public void Outside_a_repository_there_is_no_provenance()
    {
        string dir = SmallDataset.TempDir();
        Assert.Null(Repository.Discover(dir)); // the temp folder must not sit inside some repository
        var g = GitProvenance.Read(dir, [Path.Combine(dir, "x.synthproj")]);
        Assert.False(g.InRepository);
        Assert.Null(g.Commit);
    }
}

public class DatasetProvenanceTests
{
    private const string Cube = """
        v 0 0 0
        v 1 0 0
        v 1 1 0
        v 0 1 0
        v 0 0 1
        v 1 0 1
        v 1 1 1
        v 0 1 1
        f 1 4 3 2
        f 5 6 7 8
        f 1 2 6 5
        f 2 3 7 6
        f 3 4 8 7
        f 4 1 5 8
        """;

    private static JsonElement Provenance(LineageFixture f)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(f.DatasetRoot, "dataset.json")));
        return doc.RootElement.GetProperty("provenance").Clone();
    }

    [Fact]
    public void Provenance_goes_into_dataset_json_without_touching_the_digest_and_survives_a_no_op_rebuild()
    {
        var f = new LineageFixture();
        string manifestBefore = File.ReadAllText(Path.Combine(f.DatasetRoot, "manifest.json"));
        var outcome = LineageRecorder.Record(f.Lineage());
        Assert.True(outcome.Succeeded, string.Join("\n", outcome.Diagnostics));

        var p = Provenance(f);
        using (var repo = new Repository(f.Dir)) Assert.Equal(repo.Head.Tip.Sha, p.GetProperty("git").GetProperty("commit").GetString());
        Assert.Equal("1.2.0", p.GetProperty("datasetVersion").GetString());
        Assert.False(p.GetProperty("git").GetProperty("dirty").GetBoolean());
        Assert.DoesNotContain(f.Dir, p.GetRawText()); // no absolute paths: clean builds of one commit stay byte-identical
        Assert.False(File.Exists(Path.Combine(f.DatasetRoot, "provenance.json")));
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(f.DatasetRoot, "manifest.json")));
        var reader = SynthBuild.Core.Storage.DatasetReader.Open(f.DatasetRoot);
        Assert.Equal(reader.Manifest.Digest, reader.Info.Digest);

        // A no-op rebuild by the generator keeps dataset.json as the lineage stage left it: bytes and timestamp.
        var before = SmallDataset.Snapshot(f.DatasetRoot);
        var spec = ConfigLoader.Load(f.ConfigFile).Spec!;
        var rebuild = new DatasetBuilder(spec, f.DatasetRoot).Build();
        Assert.Equal(0, rebuild.Generated);
        Assert.Equal(before, SmallDataset.Snapshot(f.DatasetRoot));

        // A rebuild that changes the digest drops the provenance of the old digest (the next lineage step writes it anew).
        File.WriteAllText(f.ConfigFile, SmallDataset.Json(samples: 4));
        new DatasetBuilder(ConfigLoader.Load(f.ConfigFile).Spec!, f.DatasetRoot).Build();
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(f.DatasetRoot, "dataset.json"))))
            Assert.False(doc.RootElement.TryGetProperty("provenance", out _));
        LineageRecorder.Record(f.Lineage());
        Assert.True(Provenance(f).GetProperty("git").GetProperty("dirty").GetBoolean());
        Assert.Equal(["synth.json"], Provenance(f).GetProperty("git").GetProperty("modifiedInputs").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Mesh_files_the_config_references_and_input_folders_count_as_project_inputs()
    {
        var f = new LineageFixture(config: """
            { "name": "small", "samples": 2, "seed": 1, "image": { "width": 80, "height": 60 },
              "camera": { "intrinsics": { "fx": 60, "fy": 60, "cx": 40, "cy": 30 } },
              "categories": [ { "name": "cube", "shape": "mesh", "file": "meshes/cube.obj", "scale": 0.05 } ] }
            """, files: new Dictionary<string, string> { ["meshes/cube.obj"] = Cube, ["backgrounds/a.txt"] = "a" });
        var clean = LineageRecorder.Record(f.Lineage(inputs: [f.ProjectFile, f.ConfigFile, Path.Combine(f.Dir, "backgrounds")]));
        Assert.False(clean.Record!.Git.Dirty);

        File.AppendAllText(Path.Combine(f.Dir, "meshes", "cube.obj"), "\n# edited\n");
        File.WriteAllText(Path.Combine(f.Dir, "backgrounds", "b.txt"), "new, untracked");
        var dirty = LineageRecorder.Record(f.Lineage(inputs: [f.ProjectFile, f.ConfigFile, Path.Combine(f.Dir, "backgrounds")]));
        Assert.True(dirty.Record!.Git.Dirty);
        Assert.Equal(["backgrounds/b.txt", "meshes/cube.obj"], dirty.Record.Git.ModifiedInputs);
        Assert.Equal(["backgrounds/b.txt", "meshes/cube.obj"],
            Provenance(f).GetProperty("git").GetProperty("modifiedInputs").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("meshes/cube.obj", ProjectInputs.Collect(f.ProjectFile, f.ConfigFile, []).Select(p => Path.GetRelativePath(f.Dir, p)));
    }

    [Fact]
    public void A_changed_tracked_file_that_is_no_input_makes_the_tree_dirty_without_modified_inputs()
    {
        var f = new LineageFixture(files: new Dictionary<string, string> { ["README.md"] = "hello" });
        File.AppendAllText(Path.Combine(f.Dir, "README.md"), " world");
        var g = LineageRecorder.Record(f.Lineage()).Record!.Git;
        Assert.True(g.Dirty);
        Assert.Empty(g.ModifiedInputs);
        Assert.Equal(["README.md"], g.ChangedFiles);
        Assert.Equal(["README.md"], Provenance(f).GetProperty("git").GetProperty("changedFiles").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Detached_head_and_no_repository_are_recorded_in_dataset_json_and_no_repository_warns()
    {
        var f = new LineageFixture();
        string first;
        using (var repo = new Repository(f.Dir)) first = repo.Head.Tip.Sha;
        File.WriteAllText(Path.Combine(f.Dir, "more.txt"), "x");
        f.Commit("second");
        using (var repo = new Repository(f.Dir)) Commands.Checkout(repo, repo.Lookup<Commit>(first));
        Assert.True(LineageRecorder.Record(f.Lineage()).Succeeded);
        var git = Provenance(f).GetProperty("git");
        Assert.True(git.GetProperty("detached").GetBoolean());
        Assert.Equal(JsonValueKind.Null, git.GetProperty("branch").ValueKind);
        Assert.Equal(first, git.GetProperty("commit").GetString());

        var outside = new LineageFixture(git: false);
        var outcome = LineageRecorder.Record(outside.Lineage());
        Assert.True(outcome.Succeeded);
        var warning = Assert.Single(outcome.Diagnostics);
        Assert.Equal(SynCodes.NotAGitRepository, warning.Code);
        Assert.False(warning.IsError);
        Assert.False(Provenance(outside).GetProperty("git").GetProperty("inRepository").GetBoolean());
    }

    [Fact]
    public void A_repository_without_commits_has_no_commit_and_its_inputs_are_modified()
    {
        var f = new LineageFixture(git: false);
        Repository.Init(f.Dir);
        var g = GitProvenance.Read(f.Dir, [f.ProjectFile, f.ConfigFile]);
        Assert.True(g.InRepository);
        Assert.Null(g.Commit);
        Assert.True(g.Dirty);
        Assert.Equal(["small.synthproj", "synth.json"], g.ModifiedInputs);
    }
}
