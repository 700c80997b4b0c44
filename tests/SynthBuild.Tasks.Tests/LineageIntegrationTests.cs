using System.Text.Json;
using LibGit2Sharp;
using SynthBuild.Lineage;
using SynthBuild.Lineage.Tests;

namespace SynthBuild.Tasks.Tests;

[Collection("dotnet build")]
public class LineageIntegrationTests
{
    private static readonly Signature Author = new("Test", "test@example.com", DateTimeOffset.UnixEpoch.AddYears(50));
    internal static readonly Dictionary<string, string> NoServer = new() { ["MLFLOW_TRACKING_URI"] = "" };

    internal static TempDatasetProject InRepository(string version, string projectItems = "")
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 4), projectItems: projectItems);
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
        // Git provenance is in dataset.json (not in the manifest or the digest), and nowhere else in the dataset.
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(p.OutputDir, "dataset.json"))))
        {
            var git = doc.RootElement.GetProperty("provenance").GetProperty("git");
            Assert.Equal(commit, git.GetProperty("commit").GetString());
            Assert.False(git.GetProperty("dirty").GetBoolean());
            Assert.Equal(p.Digest(), doc.RootElement.GetProperty("digest").GetString());
            Assert.Equal("0.1.0", doc.RootElement.GetProperty("provenance").GetProperty("datasetVersion").GetString());
        }
        Assert.False(File.Exists(Path.Combine(p.OutputDir, "provenance.json")));
        Assert.DoesNotContain(commit, File.ReadAllText(Path.Combine(p.OutputDir, "manifest.json")));

        // A no-op build rewrites nothing (bytes and timestamps) and records nothing.
        var before = p.Snapshot();
        var noop = p.Build("", NoServer);
        Assert.True(noop.ExitCode == 0, noop.ToString());
        Assert.DoesNotContain("lineage recorded", noop.Output);
        Assert.Contains("Quality: analysis up to date", noop.Output); // keyed on the digest, which provenance leaves alone
        Assert.Single(File.ReadLines(log));
        Assert.Equal(before, p.Snapshot());

        // A repair build (a sample file lost and regenerated, the digest unchanged) records nothing either:
        // one record per digest.
        string lost = Directory.EnumerateFiles(p.OutputDir, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        File.Delete(lost);
        var repair = p.Build("", NoServer);
        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.True(File.Exists(lost));
        Assert.DoesNotContain("lineage recorded", repair.Output);
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
        Assert.Contains("matches git tag demo/v0.1.0", verify.Output);

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
    [Fact]
    public void Builds_log_MLflow_runs_FAILED_after_a_failing_gate_FINISHED_otherwise_nothing_on_a_no_op_and_never_the_token()
    {
        // The gate's threshold is a property, so one project can fail and pass it.
        var p = InRepository("0.2.0", """
              <PropertyGroup><TestMinObjects Condition="'$(TestMinObjects)' == ''">0</TestMinObjects></PropertyGroup>
              <ItemGroup><SynthGate Include="min-objects-per-image" Min="$(TestMinObjects)" /></ItemGroup>
            """);
        const string token = "tok-3f9a1c77e2b54d0e";
        using var server = new FakeMlflowServer { RequireBearer = token };
        var env = new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = server.Uri, ["MLFLOW_TRACKING_TOKEN"] = token };

        var failed = p.Build("-p:TestMinObjects=99", env);
        Assert.True(failed.ExitCode == 1, failed.ToString());
        Assert.Contains("error SYN5001", failed.Output);
        Assert.Contains("demo: lineage recorded (FAILED)", failed.Output);
        var run1 = Assert.Single(server.Runs.Values);
        Assert.Equal("FAILED", run1.Status);
        Assert.Contains("min-objects-per-image", run1.Tags["synth.failure"]);
        Assert.Equal(0, run1.Metrics["quality.gates.min-objects-per-image.passed"]);

        var passed = p.Build("-p:SynthSamples=5", env);
        Assert.True(passed.ExitCode == 0, passed.ToString());
        var run2 = Assert.Single(server.Runs.Values, r => r.Id != run1.Id);
        Assert.Equal("FINISHED", run2.Status);
        Assert.False(run2.Tags.ContainsKey("synth.failure"));
        Assert.Equal(5, run2.Metrics["samples"]);
        Assert.Equal(1, run2.Metrics["quality.gates.min-objects-per-image.passed"]);
        Assert.Equal(p.Digest(), run2.Tags["synth.dataset.digest"]);
        Assert.Equal("0.2.0", run2.Tags["synth.dataset.version"]);
        Assert.Equal(p.Digest()[..12], (string)Assert.Single(run2.Inputs)["dataset"]!["digest"]!);
        Assert.Contains($"{run2.ExperimentId}/{run2.Id}/artifacts/reports/quality.json", server.Artifacts.Keys);
        Assert.All(server.Requests, r => Assert.Equal("Bearer " + token, r.Authorization));

        // A no-op build talks to no server at all.
        int requests = server.Requests.Count;
        var noop = p.Build("-p:SynthSamples=5", env);
        Assert.True(noop.ExitCode == 0, noop.ToString());
        Assert.Equal(requests, server.Requests.Count);
        Assert.Equal(2, server.Runs.Count);

        // The token is in no build output and no file the builds wrote (log, dataset, reports, obj/).
        Assert.All(new[] { failed, passed, noop }, r => Assert.DoesNotContain(token, r.Output));
        foreach (string file in Directory.EnumerateFiles(p.Directory, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.git/")))
            Assert.DoesNotContain(token, File.ReadAllText(file));

        // Required lineage turns an unreachable server into an error (after bounded retries), and the new digest stays
        // pending: nothing goes to the log, and building again (nothing regenerated) fails again instead of passing.
        string logFile = Path.Combine(p.Directory, "lineage.jsonl");
        string deadUri;
        using (var dead = new FakeMlflowServer()) deadUri = dead.Uri;
        var deadEnv = new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = deadUri };
        var required = p.Build("-p:SynthSamples=7 -p:SynthLineageRequired=true", deadEnv);
        Assert.Equal(1, required.ExitCode);
        Assert.Contains("error SYN6003", required.Output);
        Assert.Contains("after 4 attempt(s)", required.Output);
        Assert.Equal(2, File.ReadLines(logFile).Count());
        string pendingDir = Path.Combine(p.Directory, "obj", "synth-lineage-pending");
        Assert.True(File.Exists(Path.Combine(pendingDir, p.Digest() + ".json")));
        var stillRequired = p.Build("-p:SynthSamples=7 -p:SynthLineageRequired=true", deadEnv);
        Assert.Equal(1, stillRequired.ExitCode);
        Assert.Contains("up to date", stillRequired.Output);
        Assert.Contains("error SYN6003", stillRequired.Output);
        Assert.Equal(2, File.ReadLines(logFile).Count());

        // With the server back, a build that regenerates nothing completes the pending record: one record, with the
        // figures of the build that generated the digest; the next build adds none.
        var completed = p.Build("-p:SynthSamples=7 -p:SynthLineageRequired=true", env);
        Assert.True(completed.ExitCode == 0, completed.ToString());
        Assert.Contains("demo: lineage recorded (FINISHED)", completed.Output);
        Assert.Equal(3, File.ReadLines(logFile).Count());
        var seven = LineageLog.Read(logFile).Last();
        Assert.Equal(p.Digest(), seven.Dataset.Digest);
        Assert.Equal(2, seven.Generation.Generated); // samples 5 and 6, generated by the failed build
        Assert.Empty(Directory.EnumerateFiles(pendingDir));
        Assert.Equal(p.Digest(), server.Runs.Values.Last().Tags["synth.dataset.digest"]);
        var recordedAlready = p.Build("-p:SynthSamples=7 -p:SynthLineageRequired=true", env);
        Assert.True(recordedAlready.ExitCode == 0, recordedAlready.ToString());
        Assert.Equal(3, File.ReadLines(logFile).Count());
        Assert.Equal(3, server.Runs.Count);
        Assert.Equal(LineageLog.Read(logFile).Count, LineageLog.Read(logFile).Select(r => r.Dataset.Digest).Distinct().Count());

        // A server that accepts and never answers costs the build SynthMlflowTimeout, not minutes.
        using (var hanging = new HangingMlflowServer())
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var hung = p.Build("-p:SynthSamples=3 -p:SynthMlflowTimeout=2", new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = hanging.Uri });
            Assert.True(hung.ExitCode == 0, hung.ToString());
            Assert.Contains("warning SYN6002", hung.Output);
            Assert.Contains("limit 2 s for all its requests", hung.Output);
            Assert.True(hanging.Accepted >= 1);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{clock.Elapsed}"); // the build itself included
            Assert.DoesNotContain(token, hung.Output);
        }

        // A proxy echoing the Authorization header in its 500 page gets the token into no output and no file.
        server.EchoAuthorization = true;
        var echoed = p.Build("-p:SynthSamples=6", env);
        Assert.True(echoed.ExitCode == 0, echoed.ToString());
        Assert.Contains("warning SYN6002", echoed.Output);
        Assert.Contains("Authorization: Bearer ***", echoed.Output);
        Assert.DoesNotContain(token, echoed.Output);
        foreach (string file in Directory.EnumerateFiles(p.Directory, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.git/")))
            Assert.DoesNotContain(token, File.ReadAllText(file));
    }
}
