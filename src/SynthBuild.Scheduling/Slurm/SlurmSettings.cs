using System.Globalization;
using SynthBuild.Core.Diagnostics;
using Diagnostic = SynthBuild.Core.Diagnostics.Diagnostic;

namespace SynthBuild.Scheduling.Slurm;

/// <summary>
/// The project's Slurm settings: extra sbatch options (SynthSlurmOptions), whether to follow the jobs (SynthWait,
/// SynthWaitTimeout) and which shards to (re)submit (SynthShardIndices; all when empty).
/// </summary>
public sealed record SlurmSettings(
    IReadOnlyList<string> ExtraOptions,
    bool Wait,
    TimeSpan? WaitTimeout,
    IReadOnlyList<int> ShardIndices)
{
    /// <summary>Options SynthSubmit sets itself, long form; a user value would break the array, its logs or the merge's
    /// dependency. Short forms map to these.</summary>
    private static readonly string[] ReservedLong = ["--array", "--dependency", "--output", "--error", "--job-name", "--parsable", "--wrap"];
    private static readonly Dictionary<char, string> ReservedShort = new() { ['a'] = "--array", ['d'] = "--dependency", ['o'] = "--output", ['e'] = "--error", ['J'] = "--job-name" };

    /// <summary>Parses the MSBuild properties; null and <paramref name="errors"/> filled when any is bad.</summary>
    public static SlurmSettings? Parse(string options, string wait, string waitTimeout, string shardIndices, int shards,
        string? file, out List<Diagnostic> errors)
    {
        errors = [];
        var extra = new List<string>();
        foreach (string raw in options.Split(';'))
        {
            string option = raw.Trim();
            if (option.Length == 0) continue;
            string? problem = OptionProblem(option);
            if (problem is not null)
                errors.Add(Diagnostic.Error(SynCodes.SlurmOptionInvalid, $"SynthSlurmOptions entry '{option}' {problem}.", file));
            else
                extra.Add(option);
        }

        bool follow = false;
        if (wait.Trim().Length > 0 && !bool.TryParse(wait.Trim(), out follow))
            errors.Add(Diagnostic.Error(SynCodes.SlurmWaitSettingInvalid, $"SynthWait must be true or false (found '{wait}').", file));
        TimeSpan? timeout = null;
        if (waitTimeout.Trim().Length > 0)
        {
            if (int.TryParse(waitTimeout.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds >= 1)
                timeout = TimeSpan.FromSeconds(seconds);
            else
                errors.Add(Diagnostic.Error(SynCodes.SlurmWaitSettingInvalid,
                    $"SynthWaitTimeout must be a whole number of seconds >= 1 (found '{waitTimeout}').", file));
        }

        var indices = new SortedSet<int>();
        if (shardIndices.Trim().Length == 0)
            for (int i = 0; i < shards; i++) indices.Add(i);
        else
            foreach (string part in shardIndices.Split(','))
            {
                if (int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < shards)
                    indices.Add(index);
                else
                {
                    errors.Add(Diagnostic.Error(SynCodes.SlurmShardIndicesInvalid,
                        $"SynthShardIndices '{shardIndices}': '{part.Trim()}' is not a shard index below SynthShards={shards}.", file));
                    break;
                }
            }
        return errors.Count > 0 ? null : new SlurmSettings(extra, follow, timeout, [.. indices]);
    }

    private static string? OptionProblem(string option)
    {
        if (option.Any(char.IsControl)) return "holds a line break or control character";
        if (option.Length < 2 || option[0] != '-' || option == "--") return "is not an sbatch option (options start with - or --, e.g. --partition=debug)";
        if (option.StartsWith("--", StringComparison.Ordinal))
        {
            string name = option.Split('=', ' ')[0];
            // sbatch, like getopt_long, also takes an unambiguous prefix of a long option (--arr=0-3).
            string? hit = ReservedLong.FirstOrDefault(r => r == name || (name.Length >= 4 && r.StartsWith(name, StringComparison.Ordinal)));
            return hit is null ? null : $"sets {hit}, which SynthSubmit sets itself";
        }
        return ReservedShort.TryGetValue(option[1], out string? longName) ? $"sets {longName} (-{option[1]}), which SynthSubmit sets itself" : null;
    }

    /// <summary>The --array value for these shard indices: 0-3 for all of four, else the list (1,3).</summary>
    public string ArraySpec(int shards) =>
        ShardIndices.Count == shards && shards > 1 ? $"0-{shards - 1}" : string.Join(',', ShardIndices);
}
