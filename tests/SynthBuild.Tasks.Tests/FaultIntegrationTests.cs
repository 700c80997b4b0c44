using System.Diagnostics;
using System.Text.RegularExpressions;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;
using Xunit.Abstractions;

namespace SynthBuild.Tasks.Tests;

/// <summary>
/// Faults of real `dotnet build` processes on one dataset folder: concurrent builds, SIGKILL at random moments, a full
/// disk, a stale lock, unlisted files. After each, the next build ends with the clean reference's digest, every
/// manifest file verifies, and no temporary, journal or lock file remains. Figures are printed (docs/faults.md).
/// </summary>
[Collection("dotnet build")]
public class FaultIntegrationTests(ITestOutputHelper output)
{
    private const int Samples = 600, Threads = 2;
    private static readonly Lazy<(string Root, Manifest Manifest)> Reference = new(() =>
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: Samples));
        var r = p.Build();
        Assert.True(r.ExitCode == 0, r.ToString());
        return (p.OutputDir, Manifest.TryRead(Path.Combine(p.OutputDir, Manifest.FileName), out _)!);
    });

    private const string BuildArgs = "build -nologo -v:n -tl:off --disable-build-servers -nodeReuse:false";

    private static void AssertMatchesReference(TempDatasetProject p)
    {
        Assert.Equal(Reference.Value.Manifest.Digest, p.Digest());
        var manifest = Manifest.TryRead(Path.Combine(p.OutputDir, Manifest.FileName), out _)!;
        foreach (var s in manifest.Samples) Assert.Null(DatasetWriter.FirstDamagedFile(p.OutputDir, s));
        Assert.Empty(Directory.EnumerateFiles(p.OutputDir, "*" + AtomicFile.TempSuffix, SearchOption.AllDirectories));
        Assert.False(File.Exists(SampleJournal.PathFor(p.OutputDir)), "journal left behind");
        Assert.False(File.Exists(DatasetLock.PathFor(p.OutputDir)), "lock left behind");
        Assert.Empty(UnlistedFiles.Find(p.OutputDir, manifest.Samples));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Concurrent_builds_of_one_folder_run_one_at_a_time_and_end_at_the_reference(int builds)
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: Samples));
        var env = new Dictionary<string, string>();
        // Restored once first: concurrent restores of one project race on obj/*.nuget.g.props (NuGet's, not the lock's).
        var restore = DotnetCli.Run(p.Directory, "restore -nologo --disable-build-servers", env);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var started = Enumerable.Range(0, builds)
            .Select(_ => (Clock: Stopwatch.StartNew(), Process: DotnetCli.Start(p.Directory, $"{BuildArgs} --no-restore -p:SynthThreads={Threads} -p:SynthLockTimeout=600", env, out var o), Output: o))
            .ToList();
        var results = started.Select(s => (Result: s.Process.WaitAndCollect(s.Output, TimeSpan.FromMinutes(8)), Seconds: s.Clock.Elapsed.TotalSeconds)).ToList();
        foreach (var (r, seconds) in results)
        {
            string outcome = Regex.Match(r.Output, @"demo: (up to date|\d+ generated)").Value;
            output.WriteLine($"concurrent {builds}: exit {r.ExitCode} after {seconds:F1} s: {outcome}");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.DoesNotContain("MSB4018", r.Output);
        }
        // Exactly one build generated the samples; the others waited for the lock and found them done.
        Assert.Single(results, r => r.Result.Output.Contains($"demo: {Samples} generated"));
        AssertMatchesReference(p);
    }

    [Fact]
    public void A_build_of_a_locked_folder_fails_at_once_naming_the_holder_and_takes_over_a_stale_lock()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 4));
        Assert.Equal(0, p.Build().ExitCode);
        var before = p.Snapshot();
        using (DatasetLock.Acquire(DatasetLock.PathFor(p.OutputDir), "test", TimeSpan.Zero))
        {
            var r = p.Build("-p:SynthLockTimeout=0 -p:SynthSamples=6");
            output.WriteLine(r.Output.Split('\n').First(l => l.Contains("SYN3010")));
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("error SYN3010", r.Output);
            Assert.Contains($"pid {Environment.ProcessId} on {Environment.MachineName}", r.Output);
            Assert.DoesNotContain("MSB4018", r.Output);
            Assert.Equal(before.Keys.Append(DatasetLock.FileName).Order(), p.Snapshot().Keys.Order());
        }

        // The lock of a build that was killed (its process is gone) is taken over by the next build.
        var gone = Process.Start(new ProcessStartInfo("sleep", "0.3") { UseShellExecute = false })!;
        var holder = new LockHolder(gone.Id, Environment.MachineName, gone.StartTime.ToUniversalTime(), DateTime.UtcNow, "build", "x");
        gone.WaitForExit();
        File.WriteAllBytes(DatasetLock.PathFor(p.OutputDir), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(holder));
        var next = p.Build("-p:SynthLockTimeout=0");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Contains("warning SYN3011", next.Output);
        Assert.Contains($"pid {gone.Id}", next.Output);
        Assert.False(File.Exists(DatasetLock.PathFor(p.OutputDir)));
    }

    /// <summary>SIGKILL of the whole build at random moments of generation, again and again. After each kill: the
    /// samples complete on disk but recorded in neither manifest nor journal (lost work) are counted; between kills,
    /// the samples a build rewrote that were complete before it started (redone work) are counted.</summary>
    [Fact]
    public void Builds_killed_at_random_moments_resume_to_the_reference_redoing_at_most_the_samples_in_flight()
    {
        const int Kills = 20;
        var reference = Reference.Value.Manifest.Samples.ToDictionary(s => s.Index);
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: Samples));
        var random = new Random(18);
        int kills = 0, totalRedone = 0, maxRedone = 0, attempts = 0;
        Dictionary<long, DateTime> completeBefore = [];
        while (kills < Kills && attempts++ < Kills * 3)
        {
            int filesBefore = CountRgb(p.OutputDir);
            var process = DotnetCli.Start(p.Directory, $"{BuildArgs} -p:SynthThreads={Threads} -p:SynthLockTimeout=60", null, out var log);
            // Wait until this build writes samples, then kill it a random moment later (up to 0.25 s: a few samples on a quiet
            // machine, so that 20 kills land before the dataset is complete however fast the machine is).
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (DateTime.UtcNow < deadline && !process.HasExited && CountRgb(p.OutputDir) <= filesBefore) Thread.Sleep(10);
            Thread.Sleep(random.Next(0, 250));
            if (process.HasExited) break; // finished before the kill: the loop has consumed the dataset
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            kills++;

            var complete = CompleteSamples(p.OutputDir, reference);
            var recorded = RecordedSamples(p.OutputDir);
            int lost = complete.Keys.Count(i => !recorded.Contains(i));
            int redone = completeBefore.Count(kv => complete.TryGetValue(kv.Key, out var t) && t != kv.Value);
            totalRedone += redone;
            maxRedone = Math.Max(maxRedone, redone);
            output.WriteLine($"kill {kills}: {complete.Count}/{Samples} samples complete, {recorded.Count} recorded, {lost} complete but unrecorded, {redone} redone by this build");
            completeBefore = complete;
        }
        Assert.True(kills >= Kills, $"only {kills} kills landed during generation");

        var r = p.Build($"-p:SynthThreads={Threads}");
        Assert.True(r.ExitCode == 0, r.ToString());
        // The killed build's lock (its task host is gone) was taken over, not waited for.
        Assert.Contains("warning SYN3011", r.Output);
        var final = CompleteSamples(p.OutputDir, reference);
        int finalRedone = completeBefore.Count(kv => final.TryGetValue(kv.Key, out var t) && t != kv.Value);
        totalRedone += finalRedone;
        output.WriteLine($"kills survived: {kills}; samples redone: {totalRedone} in all, {(double)totalRedone / kills:F2} per kill, at most {Math.Max(maxRedone, finalRedone)} by one build; in flight per kill: {Threads}");
        AssertMatchesReference(p);
        // Each kill loses at most the samples its threads were writing.
        Assert.True(totalRedone <= kills * Threads, $"{totalRedone} samples redone over {kills} kills");
    }

    private static int CountRgb(string root) => Directory.Exists(Path.Combine(root, "rgb")) ? Directory.GetFiles(Path.Combine(root, "rgb"), "*.png").Length : 0;

    /// <summary>Samples whose files all equal the reference's, with the write time of their RGB file.</summary>
    private static Dictionary<long, DateTime> CompleteSamples(string root, Dictionary<long, ManifestSample> reference)
    {
        var complete = new Dictionary<long, DateTime>();
        foreach (var (index, sample) in reference)
            if (DatasetWriter.FirstDamagedFile(root, sample) is null)
                complete[index] = File.GetLastWriteTimeUtc(DatasetLayout.FullPath(root, sample.Files[0].Path));
        return complete;
    }

    private static HashSet<long> RecordedSamples(string root)
    {
        var listed = (Manifest.TryRead(Path.Combine(root, Manifest.FileName), out _)?.Samples ?? []).Concat(SampleJournal.Read(SampleJournal.PathFor(root)));
        return listed.Where(s => DatasetWriter.FirstDamagedFile(root, s) is null).Select(s => s.Index).ToHashSet();
    }

    /// <summary>Generation into a tmpfs that fills up: a SYN3012 naming the path, no MSB4018 or stack trace, and the
    /// next build, with room, resumes to the reference.</summary>
    [Fact]
    public void A_full_disk_during_a_build_is_a_SYN_error_naming_the_path_and_the_next_build_resumes()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: Samples));
        string mount = Path.Combine(p.Directory, "small-disk");
        Directory.CreateDirectory(mount);
        Assert.True(Run("mount", $"-t tmpfs -o size=2m tmpfs {mount}") == 0, "mount -t tmpfs failed: this test needs root");
        try
        {
            string outDir = Path.Combine(mount, "dataset");
            var r = p.Build($"-p:SynthOutputDir={outDir}/ -p:SynthThreads={Threads}");
            output.WriteLine(r.Output.Split('\n').FirstOrDefault(l => l.Contains("SYN3012")) ?? r.Output);
            Assert.Equal(1, r.ExitCode);
            Assert.Matches($@"{Regex.Escape(outDir)}/\S+ ?: error SYN3012: Cannot write {Regex.Escape(outDir)}/", r.Output);
            Assert.DoesNotContain("MSB4018", r.Output);
            Assert.DoesNotContain("   at ", r.Output);
            Assert.Empty(Directory.EnumerateFiles(outDir, "*" + AtomicFile.TempSuffix, SearchOption.AllDirectories));
            int kept = RecordedSamples(outDir).Count;
            Assert.True(kept > 0);

            Assert.Equal(0, Run("mount", $"-o remount,size=256m {mount}"));
            var resumed = p.Build($"-p:SynthOutputDir={outDir}/ -p:SynthThreads={Threads}");
            Assert.True(resumed.ExitCode == 0, resumed.ToString());
            output.WriteLine($"disk full after {kept} recorded samples; resumed: {Regex.Match(resumed.Output, @"demo: .*digest").Value}");
            Assert.Contains($"{Samples - kept} generated", resumed.Output);
            Assert.Equal(Reference.Value.Manifest.Digest, p.Digest(outDir));
        }
        finally { Run("umount", mount); }
    }

    [Fact]
    public void Build_and_clean_remove_unlisted_sample_files_or_only_report_them()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 3));
        Assert.Equal(0, p.Build().ExitCode);
        string stray = Path.Combine(p.OutputDir, "rgb", "000042.png");
        File.Copy(Path.Combine(p.OutputDir, "rgb", "000000.png"), stray);
        var reported = p.Build("-p:SynthUnlistedFiles=report");
        Assert.Contains("warning SYN3013", reported.Output);
        Assert.True(File.Exists(stray));
        var removed = p.Build();
        Assert.Contains("Removed 1 sample file(s)", removed.Output);
        Assert.False(File.Exists(stray));

        File.Copy(Path.Combine(p.OutputDir, "rgb", "000000.png"), stray);
        var clean = DotnetCli.Run(p.Directory, "clean -nologo -v:n -tl:off --disable-build-servers -nodeReuse:false");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.False(Directory.Exists(p.OutputDir), "dataset folder should be gone");
    }

    [Fact]
    public void Release_refuses_a_folder_with_unlisted_sample_files()
    {
        var p = LineageIntegrationTests.InRepository("0.2.0");
        var built = p.Build("", LineageIntegrationTests.NoServer);
        Assert.True(built.ExitCode == 0, built.ToString());
        string stray = Path.Combine(p.OutputDir, "annotations", "000077.json");
        File.Copy(Path.Combine(p.OutputDir, "annotations", "000000.json"), stray);
        // Release builds first; told to keep unlisted files, that build leaves the stray file, and the release refuses it.
        var release = p.Build("-t:Release -p:SynthUnlistedFiles=report", LineageIntegrationTests.NoServer);
        Assert.Equal(1, release.ExitCode);
        Assert.Contains("warning SYN3013", release.Output);
        Assert.Contains($"{stray} : error SYN3014", release.Output);
        Assert.False(File.Exists(Path.Combine(p.Directory, "releases", "demo-0.2.0.tar.gz")));
        // By default its build removes the file, and the release goes ahead.
        var clean = p.Build("-t:Release", LineageIntegrationTests.NoServer);
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.False(File.Exists(stray));
        Assert.True(File.Exists(Path.Combine(p.Directory, "releases", "demo-0.2.0.tar.gz")));
    }

    private static int Run(string file, string args)
    {
        using var proc = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false, RedirectStandardError = true })!;
        proc.WaitForExit();
        return proc.ExitCode;
    }
}
