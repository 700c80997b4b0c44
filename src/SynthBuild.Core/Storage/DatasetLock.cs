using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Storage;

/// <summary>Who holds a dataset lock: the process (pid, host and its start time, so a reused pid is told apart), when
/// it took the lock, for what, and a nonce that makes each lock file unique.</summary>
public sealed record LockHolder(int Pid, string Host, DateTime ProcessStart, DateTime Acquired, string Purpose, string Nonce)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"pid {Pid} on {Host} (process started {ProcessStart:yyyy-MM-dd HH:mm:ss} UTC, lock taken {Acquired:yyyy-MM-dd HH:mm:ss} UTC for {Purpose})");
}

/// <summary>The lock file's JSON, generated at compile time so that Native AOT builds (the `synth` tool) need no
/// reflection; default options, as the reflection serializer wrote them.</summary>
[JsonSerializable(typeof(LockHolder))]
internal sealed partial class LockJsonContext : JsonSerializerContext;

/// <summary>
/// One writer per dataset folder (or per shard range): a lock file created with O_EXCL semantics
/// (<see cref="FileMode.CreateNew"/>), holding its <see cref="LockHolder"/> as JSON, open for the holder's lifetime and
/// deleted when it is disposed. A second taker waits up to its timeout, then fails with SYN3010 naming the holder.
/// A lock of a process that is gone (same host; pid not running, a zombie, or reused by a process with another start
/// time) is stale and taken over (SYN3011). Takeover is serialised by a guard file (in the host's temp folder) locked with
/// <see cref="FileShare.None"/> (released by the OS when its holder dies): under the guard a taker reads the lock,
/// judges it and deletes it, and nothing else can change that path meanwhile (creators fail on an existing file, the
/// holder is dead, other takers wait for the guard), so a fresh lock is never deleted by a late taker. The lock of
/// another host is never judged stale: its holder is named and the docs say how to remove it (docs/faults.md).
/// </summary>
public sealed class DatasetLock : IDisposable
{
    public const string FileName = ".synthlock";
    /// <summary>Default wait for a held lock: long enough for a no-op or incremental build of the same folder to
    /// finish, short enough that a forgotten or hung build is reported while someone is still watching.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    // A lock file still empty after this long lost its creator between create and write.
    private static readonly TimeSpan EmptyLockGrace = TimeSpan.FromSeconds(5);
    private static readonly HashSet<string> HeldHere = [];
    private static readonly Lazy<DateTime> OwnStart = new(() => Process.GetCurrentProcess().StartTime.ToUniversalTime());

    private FileStream? _stream;

    private DatasetLock(string path, FileStream stream, LockHolder holder) => (Path, _stream, Holder) = (path, stream, holder);

    public string Path { get; }
    public LockHolder Holder { get; }

    /// <summary>The lock of a whole dataset folder (builds, merges, cleans, exports, reports, releases).</summary>
    public static string PathFor(string root) => System.IO.Path.Combine(System.IO.Path.GetFullPath(root), FileName);

    /// <summary>The lock of one shard's range: shards of one folder run side by side, each locking what it writes.</summary>
    public static string ShardPathFor(string root, int index, int count) =>
        System.IO.Path.Combine(System.IO.Path.GetFullPath(root), ShardManifest.Folder, $"shard-{index}-of-{count}{FileName}");

    /// <summary>Takes the lock at <paramref name="lockPath"/>, waiting up to <paramref name="timeout"/> for a live holder.</summary>
    /// <param name="report">Receives SYN3011 when a stale lock was taken over.</param>
    /// <exception cref="DiagnosticException">SYN3010 naming the holder when the wait ran out; SYN3012 when the lock file cannot be written.</exception>
    public static DatasetLock Acquire(string lockPath, string purpose, TimeSpan timeout, Action<Diagnostic>? report = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        int pause = 50;
        while (true)
        {
            if (TryCreate(lockPath, purpose) is { } taken) return taken;
            LockHolder? holder = TryReadHolder(lockPath, out bool present);
            if (!present) continue; // released between our create and read: try again at once
            if (TryTakeOver(lockPath, report)) continue;
            if (clock.Elapsed >= timeout || cancellation.IsCancellationRequested)
                throw new DiagnosticException(Diagnostic.Error(SynCodes.DatasetLocked,
                    $"The folder is locked by another build: {(holder?.ToString() ?? "a process still writing its lock file")}; waited {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s (SynthLockTimeout). " +
                    "Wait for it, or raise SynthLockTimeout; if that process is gone on another host, delete the lock file.", lockPath));
            cancellation.WaitHandle.WaitOne(pause);
            pause = Math.Min(pause * 2, 500);
        }
    }

    private static DatasetLock? TryCreate(string lockPath, string purpose)
    {
        var holder = new LockHolder(Environment.ProcessId, Environment.MachineName, OwnStart.Value, DateTime.UtcNow, purpose, Guid.NewGuid().ToString("N"));
        FileStream stream;
        // Known as ours before anyone can read it: a taker in this process must never judge it leaked.
        lock (HeldHere) HeldHere.Add(holder.Nonce);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(lockPath)!);
            // O_CREAT|O_EXCL: exactly one creator wins. Shared read lets others read who holds it.
            stream = new FileStream(lockPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, 1, FileOptions.None);
        }
        catch (IOException ex) when (ex.HResult is 17 or unchecked((int)0x80070050) || File.Exists(lockPath))
        {
            Forget(holder);
            return null; // EEXIST: someone holds it (or held it a moment ago)
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Forget(holder);
            throw new DiagnosticException(Diagnostic.Error(SynCodes.WriteFailed, $"Cannot create the lock file {lockPath}: {ex.Message}", lockPath));
        }
        try
        {
            stream.Write(JsonSerializer.SerializeToUtf8Bytes(holder, LockJsonContext.Default.LockHolder));
            stream.Flush(flushToDisk: true);
        }
        catch (IOException ex)
        {
            File.Delete(lockPath);
            stream.Dispose();
            Forget(holder);
            throw new DiagnosticException(Diagnostic.Error(SynCodes.WriteFailed, $"Cannot write the lock file {lockPath}: {ex.Message}", lockPath));
        }
        return new DatasetLock(lockPath, stream, holder);
    }

    private static void Forget(LockHolder holder)
    {
        lock (HeldHere) HeldHere.Remove(holder.Nonce);
    }

    /// <summary>The holder recorded in a lock file; null when it is absent, empty, being written or unreadable.</summary>
    public static LockHolder? TryReadHolder(string lockPath, out bool present)
    {
        present = File.Exists(lockPath);
        if (!present) return null;
        try
        {
            using var fs = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var bytes = new byte[Math.Min(fs.Length, 4096)];
            fs.ReadExactly(bytes);
            return bytes.Length == 0 ? null : JsonSerializer.Deserialize(bytes, LockJsonContext.Default.LockHolder);
        }
        catch (FileNotFoundException) { present = false; return null; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException) { return null; }
    }

    /// <summary>Removes the lock at <paramref name="lockPath"/> when its holder is gone; true when it did.</summary>
    private static bool TryTakeOver(string lockPath, Action<Diagnostic>? report)
    {
        FileStream guard;
        try
        {
            string guardPath = GuardPathFor(lockPath);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(guardPath)!);
            guard = new FileStream(guardPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException) { return false; } // another taker is judging: wait a round
        catch (UnauthorizedAccessException) { return false; }
        using (guard)
        {
            LockHolder? holder = TryReadHolder(lockPath, out bool present);
            if (!present) return true;
            bool stale = holder is null
                ? DateTime.UtcNow - File.GetLastWriteTimeUtc(lockPath) > EmptyLockGrace && IsEmpty(lockPath)
                : IsGone(holder);
            if (!stale) return false;
            File.Delete(lockPath);
            report?.Invoke(Diagnostic.Warning(SynCodes.StaleLockTakenOver,
                $"Took over the stale lock of {(holder?.ToString() ?? "a process that died while creating it")}: that process no longer runs.", lockPath));
            return true;
        }
    }

    /// <summary>The takeover guard of a lock: in this host's temp folder, since only takers of this host judge a lock
    /// stale; never deleted (deleting a lock file that others may be waiting on would split it in two), one tiny file
    /// per dataset folder, and outside the dataset so it never shows there.</summary>
    private static string GuardPathFor(string lockPath) => System.IO.Path.Combine(System.IO.Path.GetTempPath(), "synthbuild-locks",
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(System.IO.Path.GetFullPath(lockPath))))[..32] + ".guard");

    private static bool IsEmpty(string path)
    {
        try { return new FileInfo(path).Length == 0; }
        catch (IOException) { return false; }
    }

    /// <summary>True when the holder's process certainly no longer runs: same host and its pid is free, a zombie, or
    /// another process (another start time). A holder on another host is never judged.</summary>
    public static bool IsGone(LockHolder holder)
    {
        if (!string.Equals(holder.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return false;
        if (holder.Pid == Environment.ProcessId)
        {
            lock (HeldHere) return !HeldHere.Contains(holder.Nonce); // ours, but no live object holds it: leaked
        }
        if (OperatingSystem.IsLinux() && IsZombie(holder.Pid)) return true;
        try
        {
            using var p = Process.GetProcessById(holder.Pid);
            if (p.HasExited) return true;
            return Math.Abs((p.StartTime.ToUniversalTime() - holder.ProcessStart).TotalSeconds) > 1;
        }
        catch (ArgumentException) { return true; }          // no such process
        catch (InvalidOperationException) { return true; }  // exited while we looked
        catch (System.ComponentModel.Win32Exception) { return false; } // cannot tell: assume alive
    }

    // A killed process whose parent has not reaped it still has a pid; it holds nothing.
    private static bool IsZombie(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Deletes the lock file, then closes it (the order keeps a late reader from seeing a closed, present lock).</summary>
    public void Dispose()
    {
        if (_stream is null) return;
        try { File.Delete(Path); }
        catch (IOException) { }
        _stream.Dispose();
        _stream = null;
        lock (HeldHere) HeldHere.Remove(Holder.Nonce);
    }

    /// <summary>A lock wait in seconds as the SDK passes it ("" = the default); null when it is not a number in 0..86400.</summary>
    public static TimeSpan? ParseTimeout(string? seconds)
    {
        if (string.IsNullOrWhiteSpace(seconds)) return DefaultTimeout;
        return double.TryParse(seconds.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s is >= 0 and <= 86400
            ? TimeSpan.FromSeconds(s) : null;
    }
}
