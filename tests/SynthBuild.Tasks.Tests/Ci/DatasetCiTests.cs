using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace SynthBuild.Tasks.Tests.Ci;

/// <summary>
/// A repository made from the <c>dotnet new synthbuild-dataset</c> template, pointed at a locally packed SDK, with
/// an "origin" (a bare repository) and a main branch whose workflow has run once (push to main): its dataset is in
/// the emulated actions cache. Built once for the class; each test clones origin into its own workspace.
/// </summary>
public sealed class TemplateRepository : IDisposable
{
    public const int Samples = 6;

    public TemplateRepository()
    {
        Root = Path.Combine(Path.GetTempPath(), "synthbuild-ci", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        string feed = Path.Combine(Root, "feed"), hive = Path.Combine(Root, "hive");
        Seed = Path.Combine(Root, "seed");
        Origin = Path.Combine(Root, "origin.git");
        Cache = Path.Combine(Root, "actions-cache");
        // A fresh package folder: the SDK resolver extracts this version once, here. The test build has built the
        // task assembly (and restored the SDK project, a reference of this test project), so pack only packs it.
        Version = $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}";
        Env = new Dictionary<string, string>(CiShell.Identity) { ["NUGET_PACKAGES"] = Path.Combine(Root, "packages") };
        var pack = DotnetCli.Run(DotnetCli.RepoRoot,
            $"pack src/SynthBuild.Sdk -nologo -tl:off --disable-build-servers -nodeReuse:false -c {DotnetCli.Configuration} --no-build --no-restore -o {feed} -p:PackageVersion={Version}");
        Check(pack.ExitCode == 0, pack.ToString());

        string template = Path.Combine(DotnetCli.RepoRoot, "templates", "synthbuild-dataset");
        var install = DotnetCli.Run(Root, $"new install {template} --debug:custom-hive {hive}");
        Check(install.ExitCode == 0, install.ToString());
        var created = DotnetCli.Run(Root, $"new synthbuild-dataset -n shop -o {Seed} --Samples {Samples} --SdkVersion {Version} --debug:custom-hive {hive}");
        Check(created.ExitCode == 0, created.ToString());

        // What a team would commit: small images (quick builds), one gate, the package feed.
        string config = File.ReadAllText(Path.Combine(Seed, "synth.json"));
        Check(config.Contains("\"image\": { \"width\": 640, \"height\": 480 },"), config);
        File.WriteAllText(Path.Combine(Seed, "synth.json"), config.Replace("\"image\": { \"width\": 640, \"height\": 480 },",
            "\"image\": { \"width\": 160, \"height\": 120 },\n  \"camera\": { \"intrinsics\": { \"fx\": 125, \"fy\": 125, \"cx\": 80, \"cy\": 60 } },"));
        string project = Path.Combine(Seed, "shop.synthproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace("</Project>",
            "  <ItemGroup>\n    <SynthGate Include=\"min-objects-per-image\" Min=\"2\" />\n  </ItemGroup>\n</Project>"));
        DotnetCli.WriteLocalFeedConfig(Seed, feed);
        CiShell.Git(Root, $"init --quiet --bare -b main {Origin}");
        CiShell.Git(Seed, "init --quiet -b main");
        CiShell.Git(Seed, $"remote add origin {Origin}");
        MainSha = Commit("A dataset from the template");
        CiShell.Git(Seed, "push --quiet origin main");

        // The push to main: a full build, cached under the inputs' key.
        MainRun = GitHub().Run("dataset", new GitHubEvent("push", "refs/heads/main", MainSha), Workspace("main"), Path.Combine(Root, "artifacts-main"), Env);
        Check(MainRun.Succeeded, MainRun.ToString());
    }

    public string Root { get; }
    public string Seed { get; }
    public string Origin { get; }
    public string Cache { get; }
    public string Version { get; }
    public string MainSha { get; }
    public Dictionary<string, string> Env { get; }
    public CiJobResult MainRun { get; }
    public string Workflow => Path.Combine(Seed, ".github", "workflows", "dataset.yml");
    public string Pipeline => Path.Combine(Seed, "azure-pipelines.yml");

    public GitHubWorkflowRunner GitHub() => new(Workflow, Origin, Cache);
    public AzurePipelineRunner Azure() => new(Pipeline, Origin, Path.Combine(Root, "azure-cache"));
    public string Workspace(string name) => Path.Combine(Root, "runs", name, "ws");

    /// <summary>Commits everything in the seed repository; returns the commit.</summary>
    public string Commit(string message)
    {
        CiShell.Git(Seed, "add -A");
        CiShell.Git(Seed, $"commit --quiet -m \"{message}\"");
        return CiShell.Git(Seed, "rev-parse HEAD");
    }

    private static void Check(bool ok, string why)
    {
        if (!ok) throw new InvalidOperationException(why);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// The template's CI, run for real: its GitHub workflow's steps (and its Azure pipeline's) executed in order in
/// temporary git repositories by <see cref="GitHubWorkflowRunner"/> and <see cref="AzurePipelineRunner"/>.
/// </summary>
[Collection("dotnet build")]
public sealed class DatasetCiTests(TemplateRepository repo) : IClassFixture<TemplateRepository>
{
    private static readonly Regex Generated = new(@"dataset-ci: generated=(\S+)");

    [Fact]
    public void Push_to_main_builds_every_sample_and_saves_the_cache()
    {
        var run = repo.MainRun;
        Assert.Equal("false", run.Output("Restore the dataset", "cache-hit"));
        Assert.Equal(TemplateRepository.Samples.ToString(System.Globalization.CultureInfo.InvariantCulture), run.Output("build", "generated"));
        Assert.Equal("skipped", run.Step("Compare quality with the base branch").Outcome);
        Assert.Equal("skipped", run.Step("Release").Outcome);
        Assert.StartsWith("synth-dataset-v1-Linux-", run.Output("key", "key"));
        Assert.True(Directory.Exists(Path.Combine(repo.Cache, run.Output("key", "key"), "0")), "the dataset is cached under the key");
        Assert.Contains("## Dataset quality: shop", run.Summary.ToString());
        Assert.True(File.Exists(Path.Combine(run.ArtifactsDirectory, "quality-report", "quality.html")));
    }

    [Fact]
    public void Pull_request_that_changes_no_input_restores_the_cache_and_generates_nothing()
    {
        CiShell.Git(repo.Seed, "checkout --quiet -B docs main");
        File.WriteAllText(Path.Combine(repo.Seed, "README.md"), "# shop\n\nA dataset.\n");
        string sha = repo.Commit("Document the dataset");
        CiShell.Git(repo.Seed, "push --quiet origin docs");

        string ws = repo.Workspace("pr-docs");
        var run = repo.GitHub().Run("dataset", new GitHubEvent("pull_request", "refs/pull/1/merge", sha, BaseRef: "main", HeadRef: "docs"),
            ws, Path.Combine(repo.Root, "artifacts-pr-docs"), repo.Env);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(repo.MainRun.Output("key", "key"), run.Output("key", "key"));
        Assert.Equal("true", run.Output("Restore the dataset", "cache-hit"));
        Assert.Equal("0", run.Output("build", "generated"));
        Assert.Matches(@"shop: up to date \(6 samples", run.Step("build").Log);
        string summary = run.Summary.ToString();
        Assert.Contains("0 samples generated", summary);
        // The comparison: base has the same inputs, so its dataset is this one; nothing is built for it.
        Assert.Equal("success", run.Step("Compare quality with the base branch").Outcome);
        Assert.DoesNotMatch(@"\d+ generated, \d+ total", run.Step("Compare quality with the base branch").Log);
        Assert.False(Directory.Exists(Path.Combine(ws, "obj", "synth-compare")), "no base build");
        Assert.Contains("has the same inputs as this build", summary);
        Assert.Contains("## Dataset comparison: shop", summary);
        Assert.Contains("✅ identical datasets (same digest)", summary);
        Assert.Contains("```mermaid\nxychart-beta", summary);
        Assert.True(File.Exists(Path.Combine(run.ArtifactsDirectory, "quality-report", "quality.html")));
        Assert.True(File.Exists(Path.Combine(run.ArtifactsDirectory, "quality-report", "compare.md")));
        Assert.Equal("skipped", run.Step("Release").Outcome);
    }

    [Fact]
    public void Pull_request_that_worsens_a_gate_fails_and_the_summary_names_the_gate()
    {
        CiShell.Git(repo.Seed, "checkout --quiet -B fewer-objects main");
        string config = Path.Combine(repo.Seed, "synth.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"objectsPerScene\": { \"min\": 3, \"max\": 8 }", "\"objectsPerScene\": { \"min\": 1, \"max\": 1 }"));
        string sha = repo.Commit("One object per scene");
        CiShell.Git(repo.Seed, "push --quiet origin fewer-objects");

        string ws = repo.Workspace("pr-fewer");
        var run = repo.GitHub().Run("dataset", new GitHubEvent("pull_request", "refs/pull/2/merge", sha, BaseRef: "main", HeadRef: "fewer-objects"),
            ws, Path.Combine(repo.Root, "artifacts-pr-fewer"), repo.Env);

        Assert.False(run.Succeeded, run.ToString());
        Assert.Equal("failure", run.Step("build").Outcome);
        // Restored from main's cache by the key prefix; every sample's inputs changed, so all are generated again.
        Assert.Equal("false", run.Output("Restore the dataset", "cache-hit"));
        Assert.Equal("6", run.Output("build", "generated"));
        string summary = run.Summary.ToString();
        Assert.Contains("### ❌ Quality gates failed", summary);
        Assert.Matches(@"\| min-objects-per-image \| SYN5001 \| Quality gate 'min-objects-per-image' failed: ", summary);
        // The comparison still runs (the reviewer's view) and shows the regression against main, built with this engine.
        Assert.Equal("success", run.Step("Compare quality with the base branch").Outcome);
        Assert.Contains("❌ gates that regressed: min-objects-per-image", summary);
        // Main's side was built for the comparison with gates off (measured, never failing); this side as the build step judged it.
        Assert.Matches(@"\| min-objects-per-image \| 3 \| [01] \| >= 2 \| >= 2 \| pass \(gates off\) → \*\*FAIL\*\* \|", summary);
        Assert.Contains("xychart-beta", summary);
        Assert.True(File.Exists(Path.Combine(run.ArtifactsDirectory, "quality-report", "quality.html")), "the report is uploaded for a failing job");
        // A failed job saves no cache.
        Assert.False(Directory.Exists(Path.Combine(repo.Cache, run.Output("key", "key"))));
    }

    [Fact]
    public void Version_tag_makes_the_release()
    {
        CiShell.Git(repo.Seed, $"tag v1.0.0 {repo.MainSha}");
        CiShell.Git(repo.Seed, "push --quiet origin v1.0.0");
        string ws = repo.Workspace("tag");
        var run = repo.GitHub().Run("dataset", new GitHubEvent("push", "refs/tags/v1.0.0", repo.MainSha), ws, Path.Combine(repo.Root, "artifacts-tag"), repo.Env);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal("0", run.Output("build", "generated"));
        Assert.Equal("skipped", run.Step("Compare quality with the base branch").Outcome);
        Assert.Equal("success", run.Step("Release").Outcome);
        string archive = Path.Combine(run.ArtifactsDirectory, "release", "shop-1.0.0.tar.gz");
        Assert.True(File.Exists(archive), run.ToString());
        Assert.True(File.Exists(archive + ".sha256"));
        Assert.Contains("## Release shop 1.0.0", run.Summary.ToString());
        Assert.Contains("shop/v1.0.0", CiShell.Git(ws, "tag --list"));
    }

    [Fact]
    public void Azure_pipeline_runs_the_same_commands_as_the_workflow()
    {
        var workflowRuns = GitHubWorkflowRunner.Steps(GitHubWorkflowRunner.Load(repo.Workflow), "dataset")
            .Select(s => GitHubWorkflowRunner.Scalar(s, "run")).OfType<string>().Select(s => s.Trim()).ToList();
        var pipelineScripts = AzurePipelineRunner.Steps(GitHubWorkflowRunner.Load(repo.Pipeline))
            .Select(s => GitHubWorkflowRunner.Scalar(s, "script")).OfType<string>().Select(s => s.Trim()).ToList();
        Assert.Equal(["bash eng/dataset-ci.sh cache-key", "bash eng/dataset-ci.sh build", "bash eng/dataset-ci.sh compare", "bash eng/dataset-ci.sh release"], workflowRuns);
        Assert.Equal(workflowRuns, pipelineScripts);

        // A pull request on Azure Pipelines: its own (empty) cache, so a full build; the comparison with main (same inputs).
        string ws = repo.Workspace("azure-pr");
        var variables = new Dictionary<string, string>
        {
            ["Build.Reason"] = "PullRequest", ["Build.SourceBranch"] = "refs/pull/3/merge",
            ["System.PullRequest.TargetBranch"] = "refs/heads/main",
        };
        var run = repo.Azure().Run(repo.MainSha, variables, ws, Path.Combine(repo.Root, "artifacts-azure"), repo.Env);
        Assert.True(run.Succeeded, run.ToString());
        Assert.Matches("^[0-9a-f]{32}$", run.Output("cachekey", "hash"));
        Assert.Equal("6", run.Output("build", "generated"));
        Assert.Equal("success", run.Step("Compare quality with the base branch").Outcome);
        Assert.Equal("skipped", run.Step("Release").Outcome);
        string summary = run.Summary.ToString();
        Assert.Contains("## Dataset quality: shop", summary);
        Assert.Contains("## Dataset comparison: shop", summary);
        Assert.Contains("✅ identical datasets (same digest)", summary);
        Assert.True(File.Exists(Path.Combine(run.ArtifactsDirectory, "quality-report", "quality.html")));
        Assert.True(Directory.Exists(Path.Combine(repo.Root, "azure-cache", $"synth-dataset-v1|Linux|{run.Output("cachekey", "hash")}")), "saved by Cache@2's post step");
    }

    [Fact]
    public void Expression_evaluator_handles_the_subset_and_refuses_the_rest()
    {
        object? Call(string name, object?[] a) => name switch
        {
            "always" => true,
            "cancelled" => false,
            "startsWith" => ((string)a[0]!).StartsWith((string)a[1]!, StringComparison.OrdinalIgnoreCase),
            _ => throw new NotSupportedException(name),
        };
        object? Lookup(IReadOnlyList<string> p) => string.Join('.', p) switch
        {
            "github.event_name" => "pull_request",
            "github.ref" => "refs/tags/v1.2.0",
            "variables.Build.Reason" => "PullRequest",
            _ => throw new NotSupportedException(string.Join('.', p)),
        };
        bool Eval(string e) => CiExpression.Truthy(CiExpression.Evaluate(e, Call, Lookup));
        Assert.True(Eval("!cancelled() && github.event_name == 'pull_request'"));
        Assert.False(Eval("!cancelled() && github.event_name == 'push'"));
        Assert.True(Eval("startsWith(github.ref, 'refs/tags/v')"));
        Assert.True(Eval("github.event_name != 'push' || false"));
        Assert.True(Eval("(variables['Build.Reason'] == 'pullrequest')"));
        Assert.Equal("k-it's", CiExpression.Interpolate("k-${{ 'it''s' }}", Call, Lookup));
        Assert.Throws<NotSupportedException>(() => Eval("hashFiles('**/x')"));
        Assert.Throws<NotSupportedException>(() => Eval("github.actor == 'me'"));
        Assert.Throws<NotSupportedException>(() => Eval("1 < 2"));
    }
}
