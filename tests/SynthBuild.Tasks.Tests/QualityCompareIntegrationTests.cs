using LibGit2Sharp;

namespace SynthBuild.Tasks.Tests;

/// <summary>`dotnet build -t:SynthCompare -p:SynthCompareTo=...` against a git ref and a path, in a real repository.</summary>
[Collection("dotnet build")]
public class QualityCompareIntegrationTests
{
    private static readonly Signature Author = new("Test", "test@example.com", DateTimeOffset.UnixEpoch.AddYears(50));

    [Fact]
    public void Compares_with_the_project_as_of_a_git_ref_then_reuses_it_and_compares_with_a_path()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 4), projectItems: """
              <ItemGroup>
                <SynthGate Include="label-errors" Max="0" />
                <SynthGate Include="min-objects-per-image" Min="1" />
              </ItemGroup>
            """);
        File.WriteAllText(Path.Combine(p.Directory, ".gitignore"), "bin/\nobj/\n");
        Repository.Init(p.Directory);
        using (var repo = new Repository(p.Directory))
        {
            Commands.Stage(repo, "*");
            repo.Commit("four samples", Author, Author);
        }
        // The pull request: two more samples, the same seed.
        p.WriteConfig(TempDatasetProject.SmallConfig(samples: 6));

        var compared = p.Build("-t:SynthCompare -p:SynthCompareTo=HEAD");
        Assert.True(compared.ExitCode == 0, compared.ToString());
        Assert.Contains("Compare: building the project as of HEAD", compared.Output);
        Assert.Contains("**Samples:** 2 added, 0 removed, 0 changed, 4 unchanged (by content", compared.Output);
        Assert.Contains("- added: 4, 5", compared.Output);
        Assert.Matches(@"\| label-errors \| 0 \| 0 \| <= 0 \| <= 0 \| pass \|", compared.Output);
        string md = File.ReadAllText(Path.Combine(p.OutputDir, "reports", "compare.md"));
        Assert.StartsWith("## Dataset comparison: demo", md);
        Assert.Contains("**before:** HEAD (", md);
        Assert.Contains("| train samples |", md);
        // The ref was built into the comparison cache, not over this build's dataset.
        string cached = Directory.GetDirectories(Path.Combine(p.Directory, "obj", "synth-compare")).Single();
        Assert.Equal(4, Directory.GetFiles(Path.Combine(cached, "dataset", "rgb")).Length);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(p.OutputDir, "rgb")).Length);

        // Any build with SynthCompareTo compares after the analysis; the ref's report is reused, and the Markdown
        // goes to the CI job summary too.
        string summary = Path.Combine(p.Directory, "summary.md");
        var again = p.Build("-p:SynthCompareTo=HEAD", new Dictionary<string, string> { ["GITHUB_STEP_SUMMARY"] = summary });
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("was built before with this engine: reusing", again.Output);
        Assert.Contains("## Dataset comparison: demo", File.ReadAllText(summary));
        Assert.Contains("## Dataset quality: demo", File.ReadAllText(summary));

        // A path: the cached dataset folder of the ref.
        var byPath = p.Build($"-t:SynthCompare -p:SynthCompareTo={Path.Combine(cached, "dataset")}");
        Assert.True(byPath.ExitCode == 0, byPath.ToString());
        Assert.Contains("**Samples:** 2 added, 0 removed, 0 changed, 4 unchanged", byPath.Output);
        md = File.ReadAllText(Path.Combine(p.OutputDir, "reports", "compare.md"));

        var unknown = p.Build("-t:SynthCompare -p:SynthCompareTo=no-such-branch");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains($"{p.ProjectFile} : error SYN5007: Cannot compare with git ref 'no-such-branch': no such commit, branch or tag", unknown.Output);
        var nothing = p.Build("-t:SynthCompare");
        Assert.NotEqual(0, nothing.ExitCode);
        Assert.Contains("error SYN5007: SynthCompare needs something to compare with", nothing.Output);
        Assert.Equal(md, File.ReadAllText(Path.Combine(p.OutputDir, "reports", "compare.md"))); // failed comparisons leave it as it was
    }
}
