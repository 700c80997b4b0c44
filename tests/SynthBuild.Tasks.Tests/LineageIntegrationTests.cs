using System.Text.Json;
using LibGit2Sharp;

namespace SynthBuild.Tasks.Tests;

[Collection("dotnet build")]
public class LineageIntegrationTests
{
    private static readonly Signature Author = new("Test", "test@example.com", DateTimeOffset.UnixEpoch.AddYears(50));
    private static readonly Dictionary<string, string> NoServer = new() { ["MLFLOW_TRACKING_URI"] = "" };

    private static TempDatasetProject InRepository(string version)
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 4));
        File.WriteAllText(p.ProjectFile, File.ReadAllText(p.ProjectFile).Replace("<SynthUseTaskHost>true</SynthUseTaskHost>",
            $"<SynthUseTaskHost>true</SynthUseTaskHost>\n    <DatasetVersion>{version}</DatasetVersion>"));
        File.WriteAllText(Path.Combine(p.Directory, ".gitignore"), "bin/\nobj/\n");
        Repository.Init(p.Directory);
        using var repo = new Repository(p.Directory);
        Commands.Stage(repo, "*");
        repo.Commit("dataset project", Author, Author);
        return p;
    }

    [Fact]
    public void Changed_build_is_recorded_no_op_is_not_and_release_is_immutable()
    {
        var p = InRepository("0.1.0");
        var first = p.Build("", NoServer);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("demo: lineage recorded (FINISHED)", first.Output);
        string log = Path.Combine(p.Directory, "lineage.jsonl");
        string commit;
        using (var repo = new Repository(p.Directory)) commit = repo.Head.Tip.Sha;
        using (var doc = JsonDocument.Parse(File.ReadLines(log).Single()))
        {
            Assert.Equal(commit, doc.RootElement.GetProperty("git").GetProperty("commit").GetString());
            Assert.Equal(p.Digest(), doc.RootElement.GetProperty("dataset").GetProperty("digest").GetString());
            Assert.Equal(4, doc.RootElement.GetProperty("metrics").GetProperty("generated_samples").GetInt32());
        }
        Assert.Contains(commit, File.ReadAllText(Path.Combine(p.OutputDir, "provenance.json")));
        Assert.DoesNotContain(commit, File.ReadAllText(Path.Combine(p.OutputDir, "dataset.json")));

        var noop = p.Build("", NoServer);
        Assert.True(noop.ExitCode == 0, noop.ToString());
        Assert.DoesNotContain("lineage recorded", noop.Output);
        Assert.Single(File.ReadLines(log));

        var release = p.Build("-t:Release", NoServer);
        Assert.True(release.ExitCode == 0, release.ToString());
        string archive = Path.Combine(p.Directory, "releases", "demo-0.1.0.tar.gz");
        Assert.True(File.Exists(archive));
        Assert.True(File.Exists(archive + ".sha256"));
        using (var repo = new Repository(p.Directory)) Assert.NotNull(repo.Tags["demo/v0.1.0"]);

        var verify = p.Build("-t:VerifyRelease", NoServer);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("release verified", verify.Output);

        var again = p.Build("-t:Release", NoServer);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("error SYN6013", again.Output);
        Assert.Contains("error SYN6014", again.Output);
    }

    [Fact]
    public void Outside_a_repository_warns_and_a_failing_gate_records_a_failed_build_and_blocks_the_release()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 3));
        // A quality gate that fails the build (stands in for the quality stage's SynthAnalyze).
        File.WriteAllText(p.ProjectFile, File.ReadAllText(p.ProjectFile).Replace("</Project>",
            "  <Target Name=\"SynthAnalyze\"><Error Code=\"SYN5001\" Text=\"gate failed\" /></Target>\n</Project>"));
        var r = p.Build("", NoServer);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("warning SYN6001", r.Output);
        Assert.Contains("demo: lineage recorded (FAILED)", r.Output);
        using var doc = JsonDocument.Parse(File.ReadLines(Path.Combine(p.Directory, "lineage.jsonl")).Single());
        Assert.Equal("FAILED", doc.RootElement.GetProperty("status").GetString());
        Assert.False(doc.RootElement.GetProperty("git").GetProperty("inRepository").GetBoolean());

        var release = p.Build("-t:Release -p:DatasetVersion=1.0", NoServer);
        Assert.Equal(1, release.ExitCode);
        Assert.Contains("error SYN6010", release.Output);
        Assert.Contains("error SYN6011", release.Output);
    }
}
