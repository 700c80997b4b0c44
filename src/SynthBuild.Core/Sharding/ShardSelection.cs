using System.Globalization;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Sharding;

/// <summary>
/// Which shard a build is: the value of SynthShard, "I/N" or "auto/N". With "auto", I comes from the first index
/// variable the scheduler sets (<see cref="IndexVariables"/>), and <see cref="Source"/> says which.
/// </summary>
public sealed record ShardSelection(int Index, int Count, string? Source)
{
    /// <summary>The variables a job-array engine sets to a task's 0-based index, in the order they are consulted:
    /// Slurm job arrays, Kubernetes Indexed Jobs, AWS Batch array jobs, and an explicit one (CI matrices, scripts).</summary>
    public static IReadOnlyList<string> IndexVariables { get; } =
        ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "SYNTH_SHARD_INDEX"];

    /// <param name="value">The SynthShard property.</param>
    /// <param name="environment">Reads an environment variable (Environment.GetEnvironmentVariable, or a test's).</param>
    /// <param name="file">The project file the property belongs to, named in diagnostics.</param>
    public static ShardSelection? Parse(string value, Func<string, string?> environment, string? file, out Diagnostic? error)
    {
        error = null;
        string text = value.Trim();
        int slash = text.IndexOf('/');
        string left = slash < 0 ? "" : text[..slash].Trim(), right = slash < 0 ? "" : text[(slash + 1)..].Trim();
        if (slash < 0 || !TryCount(right, out int count))
        {
            error = Diagnostic.Error(SynCodes.ShardInvalid,
                $"SynthShard='{value}' is not a shard: expected 'I/N' (shard I of N, 0 <= I < N, N >= 1) or 'auto/N'.", file);
            return null;
        }
        if (left.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            foreach (string name in IndexVariables)
            {
                string? set = environment(name);
                if (string.IsNullOrWhiteSpace(set)) continue;
                if (!TryIndex(set.Trim(), out int fromEnv))
                {
                    error = Diagnostic.Error(SynCodes.ShardIndexVariableInvalid,
                        $"SynthShard='{value}': {name}='{set}' is not a shard index (a non-negative integer).", file);
                    return null;
                }
                return InRange(fromEnv, count, name, value, file, out error);
            }
            error = Diagnostic.Error(SynCodes.ShardIndexVariableMissing,
                $"SynthShard='{value}' reads the shard index from the environment, but none of {string.Join(", ", IndexVariables)} is set. " +
                "Run it as a job-array task, or set SYNTH_SHARD_INDEX (or pass SynthShard=I/N).", file);
            return null;
        }
        if (!TryIndex(left, out int index))
        {
            error = Diagnostic.Error(SynCodes.ShardInvalid,
                $"SynthShard='{value}' is not a shard: '{left}' is not a shard index; expected 'I/N' (0 <= I < N) or 'auto/N'.", file);
            return null;
        }
        return InRange(index, count, null, value, file, out error);
    }

    /// <summary>Parses SynthShards (a merge's shard count).</summary>
    public static bool TryCount(string text, out int count) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out count) && count >= 1;

    private static bool TryIndex(string text, out int index) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out index);

    private static ShardSelection? InRange(int index, int count, string? source, string value, string? file, out Diagnostic? error)
    {
        error = null;
        if (index < count) return new ShardSelection(index, count, source);
        error = Diagnostic.Error(SynCodes.ShardIndexOutOfRange,
            $"SynthShard='{value}': shard index {index}{(source is null ? "" : $" (from {source})")} is out of range; shards of {count} are numbered 0 to {count - 1}.", file);
        return null;
    }
}
