using System.Globalization;
using System.Text.RegularExpressions;

namespace SynthBuild.Scheduling.Slurm;

/// <summary>Where a job (or one array task) stands, as SynthSubmit counts it.</summary>
public enum JobPhase { Pending, Running, Done, Failed }

/// <summary>One job record of `scontrol show job -o`: an array task (<see cref="TaskIds"/> one index), a pending
/// array's tasks not yet split off (several), or a plain job (empty).</summary>
public sealed record SlurmJobRecord(string JobId, IReadOnlyList<int> TaskIds, string State, string Reason)
{
    public JobPhase Phase => SlurmJobState.PhaseOf(State);
}

/// <summary>
/// Reads `scontrol show job -o &lt;id&gt;` (job accounting may be off, so sacct cannot be relied on): one line per
/// record of Key=Value fields. A job array's tasks that have not started yet appear as one record whose ArrayTaskId
/// is a set (0-3, 1,3, 2-7%2); the others have a record each.
/// </summary>
public static partial class SlurmJobState
{
    // A field starts at a word followed by '=' at the start or after a space; values may hold '=' (TRES=cpu=1,mem=…).
    [GeneratedRegex(@"(?:^|\s)([A-Za-z][A-Za-z0-9_:/]*)=")]
    private static partial Regex FieldStart();

    /// <summary>The fields of one one-line record.</summary>
    public static Dictionary<string, string> Fields(string line)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var starts = FieldStart().Matches(line);
        for (int m = 0; m < starts.Count; m++)
        {
            int valueStart = starts[m].Index + starts[m].Length;
            int valueEnd = m + 1 < starts.Count ? starts[m + 1].Index : line.Length;
            fields.TryAdd(starts[m].Groups[1].Value, line[valueStart..valueEnd].Trim());
        }
        return fields;
    }

    /// <summary>The job records of `scontrol show job -o` output.</summary>
    public static List<SlurmJobRecord> Parse(string output)
    {
        var records = new List<SlurmJobRecord>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = Fields(line);
            if (!f.TryGetValue("JobId", out string? jobId) || !f.TryGetValue("JobState", out string? state)) continue;
            var tasks = f.TryGetValue("ArrayTaskId", out string? spec) ? ExpandTaskIds(spec) : [];
            records.Add(new SlurmJobRecord(jobId, tasks, state.Split(" ")[0], f.GetValueOrDefault("Reason", "None")));
        }
        return records;
    }

    /// <summary>0-3 → 0,1,2,3; 1,3 → 1,3; 0-7:2 → 0,2,4,6; a %throttle suffix is dropped.</summary>
    public static List<int> ExpandTaskIds(string spec)
    {
        var ids = new List<int>();
        int throttle = spec.IndexOf('%');
        foreach (string part in (throttle >= 0 ? spec[..throttle] : spec).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] stepped = part.Split(':');
            int step = stepped.Length > 1 ? int.Parse(stepped[1], CultureInfo.InvariantCulture) : 1;
            string[] range = stepped[0].Split('-');
            int first = int.Parse(range[0], CultureInfo.InvariantCulture);
            int last = range.Length > 1 ? int.Parse(range[1], CultureInfo.InvariantCulture) : first;
            for (int i = first; i <= last; i += step) ids.Add(i);
        }
        return ids;
    }

    /// <summary>Slurm's job states, as done, failed, running or pending.</summary>
    public static JobPhase PhaseOf(string state) => state switch
    {
        "COMPLETED" => JobPhase.Done,
        "FAILED" or "CANCELLED" or "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY" or "BOOT_FAIL" or "DEADLINE" or "PREEMPTED" or "REVOKED" => JobPhase.Failed,
        "RUNNING" or "COMPLETING" or "CONFIGURING" or "STAGE_OUT" or "SIGNALING" or "RESIZING" => JobPhase.Running,
        _ => JobPhase.Pending,
    };
}
