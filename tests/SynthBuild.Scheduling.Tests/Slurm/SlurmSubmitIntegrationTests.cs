using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using SynthBuild.Scheduling.Slurm;

namespace SynthBuild.Scheduling.Tests.Slurm;

/// <summary>
/// -t:SynthSubmit -p:SynthScheduler=slurm against the real local cluster: the example dataset with fewer samples, one
/// thread and no quality stage, to keep each submission to well under a minute.
/// </summary>
[Collection("slurm")]
public partial class SlurmSubmitIntegrationTests(SlurmClusterFixture cluster)
{
    private const string Small = "-p:SynthSamples=24 -p:SynthThreads=1 -p:SynthQuality=false";
    private static readonly string Project = Path.Combine(TestPaths.RepoRoot, "datasets", "tabletop");
    private static readonly Lazy<string> SingleBuild = new(BuildSingle);

    [GeneratedRegex(@"as Slurm job array (\d+)")]
    private static partial Regex ArrayJobId();

    private static string TempDir(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "synthbuild-slurm", Guid.NewGuid().ToString("N")[..12], name) + "/";
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The reference: one ordinary build of the same settings.</summary>
    private static string BuildSingle()
    {
        string dir = TempDir("single");
        var r = DotnetCli.Build(Project, $"{Small} -p:SynthOutputDir={dir}");
        Assert.True(r.ExitCode == 0, r.ToString());
        return dir;
    }

    private static string Submit(string outputDir, string work, string extra = "") =>
        $"-t:SynthSubmit -p:SynthScheduler=slurm -p:SynthShards=4 -p:SynthWait=true {Small} -p:SynthOutputDir={outputDir} -p:SynthSubmitDir={work} {extra}";

    /// <summary>relative path → SHA-256 of the dataset's files: shard manifests aside, and exports, which name the folder
    /// they were written to (YOLO's data.yaml).</summary>
    private static Dictionary<string, string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("shards/", StringComparison.Ordinal) && !f.StartsWith("exports/", StringComparison.Ordinal))
            .ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, f)))));

    private static string Digest(string dir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json")));
        return doc.RootElement.GetProperty("digest").GetString()!;
    }

    private static void AssertCleanFailure(CliResult r, string code)
    {
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains($"error {code}:", r.Output);
        Assert.DoesNotContain("   at ", r.Output); // no stack trace
        Assert.DoesNotContain("MSB4018", r.Output); // no task crash
    }

    private static string Slurm(string command, params string[] args)
    {
        var output = SchedulerTool.Run(command, args, "test", null, out var error);
        Assert.Null(error);
        Assert.True(output!.ExitCode == 0, output.StandardError);
        return output.StandardOutput;
    }

    [Fact]
    public void Four_shards_submitted_and_followed_give_the_single_builds_files_byte_for_byte()
    {
        Assert.True(File.Exists(cluster.ConfFile));
        string single = SingleBuild.Value, sharded = TempDir("sharded"), work = TempDir("work");
        var r = DotnetCli.Build(Project, Submit(sharded, work));
        Assert.True(r.ExitCode == 0, r.ToString());
        string array = ArrayJobId().Match(r.Output).Groups[1].Value;
        Assert.Contains($"tabletop: submitted shards 0-3 of 4 as Slurm job array {array}", r.Output);
        Assert.Contains("tabletop: shards 4 done, 0 running, 0 failed, 0 pending of 4; merge completed", r.Output);
        Assert.Contains("#SBATCH --array=0-3\n", File.ReadAllText(Path.Combine(work, "tabletop-shards.sbatch")));
        foreach (int i in new[] { 0, 1, 2, 3 })
            Assert.Contains($"shard index {i} of 4 from SLURM_ARRAY_TASK_ID", File.ReadAllText(Path.Combine(work, $"tabletop-shards-{array}_{i}.out")));

        Assert.Equal(File.ReadAllBytes(Path.Combine(single, "manifest.json")), File.ReadAllBytes(Path.Combine(sharded, "manifest.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(single, "dataset.json")), File.ReadAllBytes(Path.Combine(sharded, "dataset.json")));
        Assert.Equal(Files(single), Files(sharded));
    }

    [Fact]
    public void A_shard_cancelled_mid_run_fails_the_wait_naming_it_and_resubmitting_it_completes_the_same_dataset()
    {
        string sharded = TempDir("sharded"), work = TempDir("work");
        var build = DotnetCli.Start(Project, "build -nologo -v:n -tl:off --disable-build-servers -nodeReuse:false " + Submit(sharded, work), null, out var output);
        string array = "", cancelled = "";
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (cancelled.Length == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(200);
            lock (output) array = array.Length > 0 ? array : ArrayJobId().Match(output.ToString()).Groups[1].Value;
            if (array.Length == 0) continue;
            // The first task seen running: its dotnet build takes seconds to start, so this cancels it mid-run.
            cancelled = Slurm("squeue", "-h", "-j", array, "-t", "RUNNING", "-o", "%i").Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            if (cancelled.Length > 0) Slurm("scancel", cancelled);
        }
        Assert.True(cancelled.Length > 0, "no shard seen running:\n" + output);
        var r = build.WaitAndCollect(output, TimeSpan.FromMinutes(5));
        string shard = cancelled.Split('_')[1];
        AssertCleanFailure(r, "SYN9212");
        Assert.Contains($"1 of 4 shards failed (shard {shard}, Slurm job {cancelled}, ended CANCELLED: see its log {work}tabletop-shards-{cancelled}.out", r.Output);
        Assert.Contains($"-p:SynthShardIndices={shard}", r.Output);
        Assert.False(File.Exists(Path.Combine(sharded, "manifest.json")), "the merge must not have run");

        var again = DotnetCli.Build(Project, Submit(sharded, work, $"-p:SynthShardIndices={shard}"));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains($"tabletop: submitted shards {shard} of 4 as Slurm job array", again.Output);
        Assert.Contains("tabletop: shards 1 done, 0 running, 0 failed, 0 pending of 1; merge completed", again.Output);
        Assert.Equal(Digest(SingleBuild.Value), Digest(sharded));
        Assert.Equal(Files(SingleBuild.Value), Files(sharded));
    }

    [Fact]
    public void A_merge_that_fails_fails_the_wait_with_SYN9213_naming_its_log()
    {
        // Only shard 1 of 4 into an empty folder: it completes, and the merge finds shard 0 missing (its own SYN9101).
        string sharded = TempDir("sharded"), work = TempDir("work");
        var r = DotnetCli.Build(Project, Submit(sharded, work, "-p:SynthShardIndices=1"));
        AssertCleanFailure(r, "SYN9213");
        var m = Regex.Match(r.Output, @"the merge, Slurm job (\d+), ended FAILED: see its log (\S+)");
        Assert.True(m.Success, r.Output);
        Assert.Equal($"{work}tabletop-merge-{m.Groups[1].Value}.out", m.Groups[2].Value);
        Assert.Contains("error SYN9101", File.ReadAllText(m.Groups[2].Value));
        Assert.Contains("error SYN9101", r.Output); // quoted from the log
        Assert.False(File.Exists(Path.Combine(sharded, "manifest.json")));
    }

    [Fact]
    public void Without_SynthWait_the_jobs_are_submitted_with_the_projects_sbatch_options_and_the_build_returns()
    {
        string work = TempDir("work");
        // On the command line, SynthSlurmOptions' ';' is written %3B (MSBuild splits -p values on ';').
        var r = DotnetCli.Build(Project, Submit(TempDir("out"), work, "-p:SynthWait=false -p:SynthSlurmOptions=--time=00:10:00%3B--comment=synth-test"));
        Assert.True(r.ExitCode == 0, r.ToString());
        string array = ArrayJobId().Match(r.Output).Groups[1].Value;
        var merge = Regex.Match(r.Output, @"submitted the merge as Slurm job (\d+) after array (\d+)");
        try
        {
            Assert.Equal(array, merge.Groups[2].Value);
            Assert.DoesNotContain("shards 0 done", r.Output); // not followed
            Assert.Contains("#SBATCH --time=00:10:00\n#SBATCH --comment=synth-test\n", File.ReadAllText(Path.Combine(work, "tabletop-merge.sbatch")));
            var job = SlurmJobState.Fields(Slurm("scontrol", "show", "job", "-o", merge.Groups[1].Value).Split('\n')[0]);
            Assert.Equal("00:10:00", job["TimeLimit"]);
            Assert.Equal($"afterok:{array}_*(unfulfilled)", job["Dependency"]);
        }
        finally
        {
            Slurm("scancel", array, merge.Groups[1].Value);
        }
    }

    [Fact]
    public void Without_sbatch_on_PATH_the_submit_is_SYN9202()
    {
        string dotnetDir = Path.GetDirectoryName(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host
            ? host : SchedulerTool.Find("dotnet")!)!;
        Assert.Null(SchedulerTool.Find(Path.Combine(dotnetDir, "sbatch")));
        string work = TempDir("work");
        var r = DotnetCli.Build(Project, Submit(TempDir("out"), work), new Dictionary<string, string> { ["PATH"] = dotnetDir });
        AssertCleanFailure(r, "SYN9202");
        Assert.Contains("'sbatch' is not installed (not found on PATH): it is needed to submit the shard array.", r.Output);
        Assert.True(File.Exists(Path.Combine(work, "tabletop-shards.sbatch")), "the scripts are written all the same");
    }

    [Fact]
    public void Bad_Slurm_settings_fail_before_anything_is_written_or_submitted()
    {
        string work = TempDir("work");
        AssertCleanFailure(DotnetCli.Build(Project, Submit(TempDir("out"), work, "-p:SynthSlurmOptions=--output=/tmp/x.out")), "SYN9210");
        AssertCleanFailure(DotnetCli.Build(Project, Submit(TempDir("out"), work, "-p:SynthShardIndices=4")), "SYN9215");
        AssertCleanFailure(DotnetCli.Build(Project, Submit(TempDir("out"), work, "-p:SynthWaitTimeout=soon")), "SYN9216");
        Assert.Empty(Directory.EnumerateFileSystemEntries(work));
    }
}
