using SynthBuild.Scheduling.Slurm;

namespace SynthBuild.Scheduling.Tests.Slurm;

/// <summary>
/// SlurmSubmitter on the real local cluster, with jobs that only sleep: the job command's executable (the request's
/// Dotnet) is a script that sleeps, so the jobs are real Slurm jobs that stay running while the test looks at them.
/// </summary>
[Collection("slurm")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Slurm runs on Linux
public class SlurmSubmitterTests(SlurmClusterFixture cluster)
{
    private static SubmitRequest SleepingRequest(out string work)
    {
        work = Path.Combine(Path.GetTempPath(), "synthbuild-slurm", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        string sleeper = Path.Combine(work, "sleeper.sh");
        File.WriteAllText(sleeper, "#!/bin/sh\nsleep 60\n");
        File.SetUnixFileMode(sleeper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new SubmitRequest(Path.Combine(work, "demo.synthproj"), "demo", 2, Path.Combine(work, "out") + "/", work, []) { Dotnet = sleeper };
    }

    private static void Cancel(SlurmSubmission s) => SchedulerTool.Run("scancel", [s.ArrayJobId, s.MergeJobId], "test", null, out _);

    private static string JobState(string jobId) =>
        SlurmJobState.Parse(SchedulerTool.Run("scontrol", ["show", "job", "-o", jobId], "test", null, out _)!.StandardOutput)[0].State;

    [Fact]
    public void Cancelling_the_wait_stops_waiting_and_leaves_the_jobs_running()
    {
        Assert.True(File.Exists(cluster.ConfFile));
        var lines = new List<string>();
        var request = SleepingRequest(out _);
        var submitter = new SlurmSubmitter(request, SlurmSettings.Parse("", "true", "", "", 2, null, out _)!, l => { lock (lines) lines.Add(l); });
        var submission = submitter.Submit(out var error);
        Assert.Null(error);
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.Null(submitter.Wait(submission!, cancel.Token));
            Assert.InRange(clock.Elapsed.TotalSeconds, 2.5, 20);
            Assert.Contains(lines, l => l.StartsWith("demo: shards 0 done,", StringComparison.Ordinal));
            Assert.Equal($"demo: stopped waiting; the jobs keep running (scancel {submission!.ArrayJobId} {submission.MergeJobId} stops them)", lines[^1]);
            Assert.Equal("PENDING", JobState(submission.MergeJobId));
        }
        finally
        {
            Cancel(submission!);
        }
    }

    [Fact]
    public void Jobs_not_done_within_the_timeout_are_SYN9214_and_keep_running()
    {
        var request = SleepingRequest(out _);
        var submitter = new SlurmSubmitter(request, SlurmSettings.Parse("", "true", "2", "", 2, null, out _)!, _ => { });
        var submission = submitter.Submit(out _)!;
        try
        {
            var error = submitter.Wait(submission, CancellationToken.None);
            Assert.Equal("SYN9214", error!.Code);
            Assert.Contains("had not finished after SynthWaitTimeout=2 s", error.Message);
            Assert.EndsWith($"stop them with: scancel {submission.ArrayJobId} {submission.MergeJobId}", error.Message);
            Assert.Equal("PENDING", JobState(submission.MergeJobId));
        }
        finally
        {
            Cancel(submission);
        }
    }

    [Fact]
    public void A_job_sbatch_refuses_is_SYN9211_quoting_sbatch()
    {
        var request = SleepingRequest(out string work);
        var submitter = new SlurmSubmitter(request, SlurmSettings.Parse("--partition=no-such-partition", "", "", "", 2, null, out _)!, _ => { });
        Assert.Null(submitter.Submit(out var error));
        Assert.Equal("SYN9211", error!.Code);
        Assert.StartsWith($"sbatch could not submit the shard array ({Path.Combine(work, "demo-shards.sbatch")}), exit 1: sbatch: error:", error.Message);
        Assert.Contains("invalid partition", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
