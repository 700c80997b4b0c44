using System.Diagnostics;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;

namespace SynthBuild.Core.Tests.Faults;

/// <summary>The dataset folder's lock against real processes: live holders, dead ones, reused pids, racing takers.</summary>
public class DatasetLockTests
{
    private static Process Sleeper(int seconds = 60) => Process.Start(new ProcessStartInfo("sleep", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)) { UseShellExecute = false })!;

    private static void WriteLock(string lockPath, int pid, DateTime start)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        File.WriteAllBytes(lockPath, JsonSerializer.SerializeToUtf8Bytes(
            new LockHolder(pid, Environment.MachineName, start, DateTime.UtcNow, "build", Guid.NewGuid().ToString("N"))));
    }

    [Fact]
    public void A_second_taker_waits_then_fails_naming_the_holder_and_gets_the_lock_once_it_is_released()
    {
        string root = SmallDataset.TempDir();
        using (var first = DatasetLock.Acquire(DatasetLock.PathFor(root), "build", TimeSpan.Zero))
        {
            var clock = Stopwatch.StartNew();
            var ex = Assert.Throws<DiagnosticException>(() => DatasetLock.Acquire(DatasetLock.PathFor(root), "build", TimeSpan.FromSeconds(0.6)));
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.5), $"gave up after {clock.Elapsed}");
            Assert.Equal(SynCodes.DatasetLocked, ex.Diagnostic.Code);
            Assert.Contains($"pid {Environment.ProcessId} on {Environment.MachineName}", ex.Diagnostic.Message);
            Assert.Contains("process started", ex.Diagnostic.Message);
            Assert.Equal(DatasetLock.PathFor(root), ex.Diagnostic.File);
        }
        Assert.False(File.Exists(DatasetLock.PathFor(root)));
        using var second = DatasetLock.Acquire(DatasetLock.PathFor(root), "build", TimeSpan.Zero);
        Assert.Equal(Environment.ProcessId, DatasetLock.TryReadHolder(DatasetLock.PathFor(root), out _)!.Pid);
    }

    /// <summary>The lock file is written by source-generated JSON (Native AOT tool); its bytes are those the
    /// reflection serializer wrote before, so locks of older builds and tools still read.</summary>
    [Fact]
    public void The_lock_file_holds_the_bytes_the_reflection_serializer_writes_and_reads_back()
    {
        string root = SmallDataset.TempDir();
        using var held = DatasetLock.Acquire(DatasetLock.PathFor(root), "build", TimeSpan.Zero);
        byte[] written;
        using (var fs = new FileStream(held.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            written = new byte[fs.Length];
            fs.ReadExactly(written);
        }
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(held.Holder), written);
        Assert.Equal(held.Holder, DatasetLock.TryReadHolder(held.Path, out bool present));
        Assert.True(present);
        // A lock written by the reflection serializer (an older synth) reads back field for field.
        string other = DatasetLock.PathFor(SmallDataset.TempDir());
        var old = new LockHolder(12345, "elsewhere", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), new DateTime(2026, 1, 2, 3, 4, 6, DateTimeKind.Utc), "merge", "n0nce");
        File.WriteAllBytes(other, JsonSerializer.SerializeToUtf8Bytes(old));
        Assert.Equal(old, DatasetLock.TryReadHolder(other, out _));
    }

    [Fact]
    public void A_live_process_holding_the_lock_is_waited_for_and_never_taken_over()
    {
        string root = SmallDataset.TempDir();
        using var holder = Sleeper();
        WriteLock(DatasetLock.PathFor(root), holder.Id, holder.StartTime.ToUniversalTime());
        var ex = Assert.Throws<DiagnosticException>(() => DatasetLock.Acquire(DatasetLock.PathFor(root), "build", TimeSpan.FromSeconds(0.3)));
        Assert.Contains($"pid {holder.Id}", ex.Diagnostic.Message);
        // A build of the folder fails the same way and writes nothing.
        var result = new DatasetBuilder(SmallDataset.Spec(samples: 2), root, new BuildOptions(LockTimeout: TimeSpan.Zero)).Build();
        Assert.Equal(SynCodes.DatasetLocked, Assert.Single(result.Diagnostics).Code);
        Assert.False(File.Exists(Path.Combine(root, Manifest.FileName)));
        holder.Kill();
        holder.WaitForExit();
    }

    [Fact]
    public void The_lock_of_a_dead_process_or_of_a_reused_pid_is_taken_over_with_a_warning()
    {
        string root = SmallDataset.TempDir();
        // A process that ran and exited: its pid is free.
        var gone = Process.Start(new ProcessStartInfo("sleep", "0.5") { UseShellExecute = false })!;
        DateTime goneStart = gone.StartTime.ToUniversalTime();
        gone.WaitForExit();
        WriteLock(DatasetLock.PathFor(root), gone.Id, goneStart);
        var notes = new List<Diagnostic>();
        using (DatasetLock.Acquire(DatasetLock.PathFor(root), "build", TimeSpan.Zero, notes.Add))
        {
            var note = Assert.Single(notes);
            Assert.Equal(SynCodes.StaleLockTakenOver, note.Code);
            Assert.Contains($"pid {gone.Id}", note.Message);
        }

        // The pid of a running process, recorded with another start time: the pid was reused, the holder is gone.
        using var reused = Sleeper();
        WriteLock(DatasetLock.PathFor(root), reused.Id, reused.StartTime.ToUniversalTime().AddMinutes(-5));
        notes.Clear();
        using (DatasetLock.Acquire(DatasetLock.PathFor(root), "build", TimeSpan.Zero, notes.Add))
            Assert.Equal(SynCodes.StaleLockTakenOver, Assert.Single(notes).Code);
        reused.Kill();
        reused.WaitForExit();
    }

    [Fact]
    public void Racing_takers_of_a_stale_lock_hold_it_one_at_a_time()
    {
        string root = SmallDataset.TempDir();
        var gone = Process.Start(new ProcessStartInfo("sleep", "0.5") { UseShellExecute = false })!;
        DateTime start = gone.StartTime.ToUniversalTime();
        gone.WaitForExit();
        int inside = 0, maxInside = 0, takeovers = 0, rounds = 0;
        for (int round = 0; round < 20; round++)
        {
            WriteLock(DatasetLock.PathFor(root), gone.Id, start);
            Parallel.For(0, 6, new ParallelOptions { MaxDegreeOfParallelism = 6 }, _ =>
            {
                using var held = DatasetLock.Acquire(DatasetLock.PathFor(root), "build", TimeSpan.FromSeconds(30),
                    d => { if (d.Code == SynCodes.StaleLockTakenOver) Interlocked.Increment(ref takeovers); });
                int now = Interlocked.Increment(ref inside);
                int seen;
                do seen = Volatile.Read(ref maxInside); while (now > seen && Interlocked.CompareExchange(ref maxInside, now, seen) != seen);
                Thread.Sleep(2);
                Interlocked.Decrement(ref inside);
            });
            rounds++;
        }
        Assert.Equal(1, maxInside);
        Assert.Equal(rounds, takeovers); // exactly one taker removed each stale lock
        Assert.False(File.Exists(DatasetLock.PathFor(root)));
    }
}
