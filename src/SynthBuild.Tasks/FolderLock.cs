using Microsoft.Build.Utilities;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Tasks;

/// <summary>The dataset folder's lock as a task takes it (docs/faults.md): SynthLockTimeout parsed, the wait and a
/// stale-lock takeover logged as diagnostics.</summary>
internal static class FolderLock
{
    /// <summary>The parsed SynthLockTimeout, or null after logging SYN3016.</summary>
    public static TimeSpan? Timeout(TaskLoggingHelper log, string value, string? project)
    {
        if (DatasetLock.ParseTimeout(value) is { } t) return t;
        log.Log(Diagnostic.Error(SynCodes.LockTimeoutInvalid,
            $"SynthLockTimeout='{value}' is not a number of seconds from 0 to 86400.", project));
        return null;
    }

    /// <summary>The parsed SynthUnlistedFiles, or null after logging SYN3016.</summary>
    public static UnlistedFilePolicy? Policy(TaskLoggingHelper log, string value, string? project)
    {
        if (UnlistedFiles.ParsePolicy(value) is { } p) return p;
        log.Log(Diagnostic.Error(SynCodes.LockTimeoutInvalid, $"SynthUnlistedFiles='{value}' must be remove or report.", project));
        return null;
    }

    /// <summary>Takes the lock of <paramref name="folder"/>; null after logging SYN3010 (or SYN3016).</summary>
    public static DatasetLock? Take(TaskLoggingHelper log, string folder, string purpose, string timeout, string? project, CancellationToken cancellation = default)
    {
        if (Timeout(log, timeout, project) is not { } wait) return null;
        try
        {
            return DatasetLock.Acquire(DatasetLock.PathFor(folder), purpose, wait, d => log.Log(d), cancellation);
        }
        catch (DiagnosticException ex)
        {
            log.Log(ex.Diagnostic);
            return null;
        }
    }
}
