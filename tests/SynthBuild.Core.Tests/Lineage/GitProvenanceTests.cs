using LibGit2Sharp;
using SynthBuild.Core.Lineage;
using SynthBuild.Core.Tests.Pipeline;

namespace SynthBuild.Core.Tests.Lineage;

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
