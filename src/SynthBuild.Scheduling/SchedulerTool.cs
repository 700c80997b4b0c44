using System.Diagnostics;
using SynthBuild.Core.Diagnostics;
using Diagnostic = SynthBuild.Core.Diagnostics.Diagnostic;

namespace SynthBuild.Scheduling;

/// <summary>What a scheduler command printed and how it exited.</summary>
public sealed record ToolOutput(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// Runs a scheduler's own client (sbatch, scontrol, scancel, kubectl). A command that is not installed is a SYN9202
/// error naming it, not an exception.
/// </summary>
public static class SchedulerTool
{
    /// <summary>The executable <paramref name="command"/> names: a path as given, else the first match on PATH.</summary>
    public static string? Find(string command)
    {
        if (command.Contains('/')) return IsExecutable(command) ? Path.GetFullPath(command) : null;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, command);
            if (IsExecutable(candidate)) return candidate;
        }
        return null;
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

    /// <summary>The diagnostic for a command that is not installed.</summary>
    public static Diagnostic Missing(string command, string purpose, string? file) =>
        Diagnostic.Error(SynCodes.SchedulerToolMissing,
            $"'{command}' is not installed (not found on PATH): it is needed to {purpose}.", file);

    /// <summary>Runs <paramref name="command"/> to completion; null and <paramref name="error"/> set when it is not installed.</summary>
    public static ToolOutput? Run(string command, IEnumerable<string> args, string purpose, string? file, out Diagnostic? error,
        CancellationToken cancel = default)
    {
        error = null;
        string? exe = Find(command);
        if (exe is null)
        {
            error = Missing(command, purpose, file);
            return null;
        }
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancel);
        var stderr = process.StandardError.ReadToEndAsync(cancel);
        try
        {
            process.WaitForExitAsync(cancel).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        return new ToolOutput(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
