using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Models.Training;

/// <summary>One SynthTrainer item, resolved: the command with its placeholders filled in, where its metrics and model
/// land, and how the model is evaluated afterwards.</summary>
/// <param name="Settings">The item as written (Command and every metadata, canonical order): part of the key.</param>
/// <param name="InputFiles">Files whose bytes the key hashes (the item's Inputs, e.g. the training script).</param>
/// <param name="Eval">How the produced model is evaluated (ModelPath is the model file).</param>
public sealed record TrainerJob(
    string Name, IReadOnlyList<string> Arguments, string WorkingDirectory, string MetricsFile, string ModelFile,
    string OutputDirectory, TimeSpan? Timeout, string Settings, IReadOnlyList<string> InputFiles, ModelEvalOptions Eval);

/// <summary>What one trainer did: trained (or found up to date), its metrics, and the evaluation of its model.</summary>
public sealed record TrainerOutcome(TrainerJob Job, bool UpToDate, IReadOnlyDictionary<string, double> Metrics,
    double Seconds, string SummaryFile, ModelEvalOutcome Evaluation);

/// <summary>
/// Runs an external trainer (docs/models.md "External trainers"): a real process, its output lines handed to the
/// caller as they come, then its metrics file and model read back and the model evaluated by the model-eval stage.
/// Keyed on the dataset digest, the item's settings, the resolved arguments and the Inputs' bytes: an unchanged build
/// does not train again. The key is removed before a run and written only after a successful one, so a trainer that
/// is killed or fails leaves none.
/// </summary>
public static class ExternalTrainer
{
    public const string ReportsFolder = "trainers";
    /// <summary>Bump when the stage's outputs change for the same inputs.</summary>
    private const string StageVersion = "trainer-1";
    /// <summary>Output lines quoted in the error of a failed run.</summary>
    public const int TailLines = 10;

    /// <param name="onLine">Each stdout/stderr line (true = stderr), called on the calling thread, in arrival order.</param>
    public static TrainerOutcome Run(string datasetDirectory, TrainerJob job, Action<string, bool> onLine, CancellationToken ct = default)
    {
        string folder = Path.Combine(datasetDirectory, DatasetLayout.ReportsDir, ReportsFolder);
        string summary = Path.Combine(folder, job.Name + ".json"), keyFile = Path.Combine(folder, job.Name + ".key.json");
        foreach (string input in job.InputFiles)
            if (!File.Exists(input))
                throw Error(SynCodes.TrainerItemInvalid, $"Input file not found: '{input}' (Inputs on SynthTrainer '{job.Name}').", input);

        string key = Key(datasetDirectory, job);
        var evalJob = new ModelEvalJob(job.Name, job.Eval with { ModelPath = job.ModelFile, Dataset = datasetDirectory }, null, null, 0);
        if (StoredKey(keyFile) == key && File.Exists(job.ModelFile) && StoredMetrics(summary) is { } stored)
            return new TrainerOutcome(job, true, stored, 0, summary, ModelEvalStage.Run(datasetDirectory, evalJob));

        if (File.Exists(keyFile)) File.Delete(keyFile);
        Directory.CreateDirectory(job.OutputDirectory);
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        int exitCode = RunProcess(job, onLine, out var tail, ct);
        double seconds = clock.Elapsed.TotalSeconds;
        if (exitCode != 0)
            throw Error(SynCodes.TrainerFailed, $"SynthTrainer '{job.Name}' exited with code {exitCode}" +
                (tail.Count > 0 ? $"; its last output: {string.Join(" | ", tail)}" : " and printed nothing"), null);

        WrittenByThisRun(job.MetricsFile, started, "Metrics file", job.Name, SynCodes.TrainerMetricsInvalid);
        var metrics = TrainerMetrics.Read(job.MetricsFile, job.Name);
        WrittenByThisRun(job.ModelFile, started, "Model file", job.Name, SynCodes.TrainerModelMissing);

        Directory.CreateDirectory(folder);
        AtomicFile.Write(summary, SummaryJson(job, exitCode, seconds, metrics));
        // The key last: a build killed before it trains again rather than trusting a half-written set of files.
        AtomicFile.Write(keyFile, JsonSerializer.SerializeToUtf8Bytes(new { key }));
        return new TrainerOutcome(job, false, metrics, seconds, summary, ModelEvalStage.Run(datasetDirectory, evalJob));
    }

    /// <summary>A metrics or model file the run should have produced: missing, or older than the run (left by an
    /// earlier one), is the trainer not doing what its item says.</summary>
    private static void WrittenByThisRun(string path, DateTime started, string what, string trainer, string code)
    {
        if (!File.Exists(path))
            throw Error(code, $"{what} not found: '{path}' (SynthTrainer '{trainer}' exited with code 0 but did not write it; check its {(what.StartsWith("Model") ? "Model" : "Metrics")} path).", path);
        // File systems with coarse timestamps: a second of slack.
        if (File.GetLastWriteTimeUtc(path) < started.AddSeconds(-1))
            throw Error(code, $"{what} '{path}' was not written by this run of SynthTrainer '{trainer}' (last written {File.GetLastWriteTimeUtc(path):u}, before it started).", path);
    }

    private static int RunProcess(TrainerJob job, Action<string, bool> onLine, out List<string> tail, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(job.Arguments[0])
        {
            WorkingDirectory = job.WorkingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in job.Arguments.Skip(1)) psi.ArgumentList.Add(a);
        // Python buffers a pipe's output until exit; lines should reach the log as they are printed.
        if (Environment.GetEnvironmentVariable("PYTHONUNBUFFERED") is null) psi.Environment["PYTHONUNBUFFERED"] = "1";

        tail = [];
        using var lines = new BlockingCollection<(string Text, bool Error)>();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Add((e.Data, false)); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Add((e.Data, true)); };
        try { p.Start(); }
        catch (Win32Exception ex)
        {
            throw Error(SynCodes.TrainerFailed, $"SynthTrainer '{job.Name}' could not start '{job.Arguments[0]}': {ex.Message} (a program on PATH, or a path relative to the project folder).", null);
        }
        p.StandardInput.Close(); // a trainer that asks a question gets end-of-file, not a build that hangs
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        // WaitForExit() also waits for both streams' end, so no line is added after CompleteAdding.
        var exited = Task.Run(() => { p.WaitForExit(); lines.CompleteAdding(); });

        var deadline = job.Timeout is { } t ? Stopwatch.StartNew() : null;
        bool killed = false, timedOut = false;
        while (!lines.IsCompleted)
        {
            if (lines.TryTake(out var line, 200))
            {
                tail.Add(line.Text);
                if (tail.Count > TailLines) tail.RemoveAt(0);
                onLine(line.Text, line.Error);
            }
            if (!killed && (ct.IsCancellationRequested || (deadline is not null && deadline.Elapsed > job.Timeout!.Value)))
            {
                timedOut = !ct.IsCancellationRequested;
                killed = true;
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            }
        }
        exited.Wait();
        ct.ThrowIfCancellationRequested();
        if (timedOut)
            throw Error(SynCodes.TrainerTimedOut, string.Create(CultureInfo.InvariantCulture,
                $"SynthTrainer '{job.Name}' ran past its timeout of {job.Timeout!.Value.TotalSeconds:0.#} s and was stopped (its process tree killed)."), null);
        return p.ExitCode;
    }

    internal static string Key(string datasetDirectory, TrainerJob job)
    {
        var sb = new StringBuilder();
        void Line(string name, string value) => sb.Append(name).Append('=').Append(value.Replace("\n", "\\n")).Append('\n');
        Line("stage", StageVersion);
        Line("dataset", DatasetReader.Open(datasetDirectory).Info.Digest);
        Line("settings", job.Settings);
        foreach (string a in job.Arguments) Line("arg", a);
        Line("metrics", job.MetricsFile);
        Line("model", job.ModelFile);
        foreach (string f in job.InputFiles) Line("input " + f, FileSha(f));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()))).ToLowerInvariant();
    }

    /// <summary>SHA-256 (hex) of the model file: what MLflow and the summary name it by.</summary>
    public static string ModelSha(string path) => FileSha(path);

    internal static string FileSha(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();
    }

    private static byte[] SummaryJson(TrainerJob job, int exitCode, double seconds, IReadOnlyDictionary<string, double> metrics)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("name", job.Name);
            w.WriteString("command", TrainerCommandLine.Display(job.Arguments));
            w.WriteString("workingDirectory", job.WorkingDirectory);
            w.WriteNumber("exitCode", exitCode);
            w.WriteNumber("seconds", Math.Round(seconds, 3));
            w.WriteString("metricsFile", job.MetricsFile);
            w.WriteString("model", job.ModelFile);
            w.WriteString("modelSha256", FileSha(job.ModelFile));
            w.WriteStartObject("metrics");
            foreach (var (k, v) in metrics)
                if (double.IsFinite(v)) w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    private static string? StoredKey(string keyFile)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(keyFile));
            return doc.RootElement.GetProperty("key").GetString();
        }
        catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException or InvalidOperationException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IReadOnlyDictionary<string, double>? StoredMetrics(string summary)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(summary));
            return doc.RootElement.GetProperty("metrics").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble(), StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static DiagnosticException Error(string code, string message, string? file) => new(Diagnostic.Error(code, message, file));
}
