using System.Globalization;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Lineage;

/// <summary>
/// The offline lineage log: JSON lines, one <see cref="LineageRecord"/> per build that created or changed the
/// dataset, appended in build order. Readable without any server; `synth lineage` prints it.
/// </summary>
public static class LineageLog
{
    public const string DefaultFileName = "lineage.jsonl";

    public static void Append(string logFile, LineageRecord record)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
        // One write of one whole line: an interrupted build leaves the log without its line, never with half of it.
        byte[] line = Encoding.UTF8.GetBytes(record.ToJsonLine() + "\n");
        using var fs = new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.Read);
        fs.Write(line);
    }

    /// <summary>All records, oldest first.</summary>
    /// <exception cref="DiagnosticException">SYN6005 naming the line of a record that cannot be read.</exception>
    public static IReadOnlyList<LineageRecord> Read(string logFile)
    {
        if (!File.Exists(logFile))
            throw new DiagnosticException(Diagnostic.Error(SynCodes.LineageLogUnreadable, "No lineage log here: the file does not exist (a build that creates or changes the dataset writes it).", logFile));
        var records = new List<LineageRecord>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(logFile))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try { records.Add(LineageRecord.FromJson(line)); }
            catch (JsonException ex)
            {
                throw new DiagnosticException(Diagnostic.Error(SynCodes.LineageLogUnreadable, $"Expected one lineage record (JSON object) per line; this line is not one: {ex.Message}", logFile, lineNo, 1));
            }
        }
        return records;
    }

    /// <summary>Human-readable history, one block per record.</summary>
    public static string Format(IEnumerable<LineageRecord> records)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        foreach (var r in records)
        {
            sb.Append(inv, $"{r.TimeUtc.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z  {r.Dataset.Name} {(r.Dataset.Version is null ? "" : "v" + r.Dataset.Version + " ")}{r.Status}\n");
            if (r.Failure is { } why) sb.Append(inv, $"  failure  {why}\n");
            sb.Append(inv, $"  digest   {r.Dataset.Digest}\n");
            if (r.Shards is { } shards)
                sb.Append(inv, $"  merged from {shards.Count} shards: {string.Join(", ", shards.Select(s => $"{s.Range.Index} [{s.Range.Start}, {s.Range.End})"))}\n");
            if (r.DerivedFrom is { } parent)
                sb.Append(inv, $"  parent   {parent.Dataset ?? "(not named)"}{(parent.Name is null ? "" : " " + parent.Name)}{(parent.Reason is null ? "" : ": " + parent.Reason)}\n");
            sb.Append(inv, $"  samples  {r.Profile.Samples} ({r.Generation.Generated} generated, {r.Generation.Reused} reused, {r.Generation.Removed} removed, {r.Generation.SamplesPerSecond:F1} samples/s), {r.Profile.Objects} objects\n");
            if (r.Git.InRepository)
                sb.Append(inv, $"  git      {r.Git.Commit ?? "(no commit)"} {(r.Git.Detached ? "(detached HEAD)" : r.Git.Branch)}{(r.Git.Dirty ? " dirty" : "")}{(r.Git.RemoteUrl is null ? "" : " " + r.Git.RemoteUrl)}\n");
            else
                sb.Append("  git      (not in a repository)\n");
            if (r.Git.ModifiedInputs.Count > 0) sb.Append(inv, $"  modified inputs: {string.Join(", ", r.Git.ModifiedInputs)}\n");
            var quality = r.Metrics.Where(m => m.Key.StartsWith("quality.", StringComparison.Ordinal)).ToList();
            if (quality.Count > 0) sb.Append(inv, $"  quality  {quality.Count} metric(s): {string.Join(", ", quality.Take(5).Select(m => $"{m.Key}={m.Value.ToString("G6", inv)}"))}{(quality.Count > 5 ? ", ..." : "")}\n");
            sb.Append(inv, $"  by       {r.User}@{r.Host}  {r.Dataset.Engine}\n");
            if (r.Mlflow is { } m) sb.Append(inv, $"  mlflow   {m.TrackingUri} experiment {m.ExperimentId} run {m.RunId}\n");
        }
        return sb.ToString();
    }
}
