using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;
using SynthBuild.Quality;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace SynthBuild.Tasks;

/// <summary>
/// The probe detector in the build (docs/models.md "The probe in the build"): validates the SynthProbe* settings,
/// and unless reports/probe.key.json already holds this dataset digest + settings + runner version, runs the probe
/// runner (<c>dotnet SynthBuild.Models.Probe.Runner.dll</c>) in its own process — LibTorch stays out of the MSBuild
/// node and TorchSharp out of this assembly — streaming its lines to the log and turning its diagnostic line into
/// an MSBuild error. The key is removed before the run and written after it, so a killed run trains again.
/// </summary>
public sealed partial class SynthProbe : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();
    private Process? _process;

    [Required] public string DatasetDirectory { get; set; } = "";
    public string ProjectFile { get; set; } = "";
    /// <summary>SynthConfig: passed to the runner, which re-samples scenes from it for reports/slices.json (empty: no slices).</summary>
    public string ConfigFile { get; set; } = "";
    /// <summary>SynthProbeSlices: write reports/slices.json after training (true by default).</summary>
    public string Slices { get; set; } = "true";
    /// <summary>SynthProbeRunner: the runner's DLL.</summary>
    public string Runner { get; set; } = "";
    public string Epochs { get; set; } = "";
    public string Seconds { get; set; } = "";
    public string Width { get; set; } = "";
    public string Height { get; set; } = "";
    public string Batch { get; set; } = "";
    public string LearningRate { get; set; } = "";
    public string Seed { get; set; } = "";
    public string Threads { get; set; } = "";
    public string Augment { get; set; } = "";
    public string SheetImages { get; set; } = "";
    public string SheetScore { get; set; } = "";
    public string LockTimeout { get; set; } = "";
    /// <summary>SynthRealGt with SynthSimToRealProbe: a real labelled set (COCO JSON) the trained probe also runs on.</summary>
    public string RealGroundTruth { get; set; } = "";
    /// <summary>SynthRealImages: the real set's image folder (default: the ground truth's folder).</summary>
    public string RealImages { get; set; } = "";

    [Output] public string ReportFile { get; private set; } = "";
    /// <summary>With a real set: the test split's ground truth and detections, and the real set's detections — the
    /// four files (with <see cref="RealGroundTruth"/>) the SynthSimToReal task compares.</summary>
    [Output] public string SyntheticGroundTruth { get; private set; } = "";
    [Output] public string SyntheticDetections { get; private set; } = "";
    [Output] public string RealDetections { get; private set; } = "";
    [Output] public bool UpToDate { get; private set; }

    public void Cancel()
    {
        _cancel.Cancel();
        try { _process?.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    public override bool Execute()
    {
        // Settings first: a bad one fails before anything is read, locked or written.
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var args = new List<string>();
        bool ok = true;
        void Setting(string property, string option, string value, Func<string, string?> normalise, string expected)
        {
            string? v = normalise(value.Trim());
            if (v is null)
            {
                Log.LogError(null, SynCodes.ProbeOptionInvalid, null, ProjectFile, 0, 0, 0, 0, "{0} must be {1}, found '{2}'.", property, expected, value);
                ok = false;
                return;
            }
            settings[option] = v;
            args.Add("--" + option);
            args.Add(v);
        }
        var inv = CultureInfo.InvariantCulture;
        string? Int(string s, int min, int multiple = 1) => int.TryParse(s, NumberStyles.Integer, inv, out int v) && v >= min && v % multiple == 0 ? v.ToString(inv) : null;
        string? Num(string s, double min, double max, bool open) =>
            double.TryParse(s, NumberStyles.Float, inv, out double v) && double.IsFinite(v) && (open ? v > min : v >= min) && v <= max ? v.ToString("R", inv) : null;
        Setting("SynthProbeEpochs", "epochs", Epochs, s => Int(s, 1), "a positive integer");
        Setting("SynthProbeSeconds", "seconds", Seconds, s => Num(s, 0, double.MaxValue, false), "a number of seconds >= 0 (0 = no time budget)");
        Setting("SynthProbeWidth", "width", Width, s => Int(s, 16, 16), "a positive multiple of 16");
        Setting("SynthProbeHeight", "height", Height, s => Int(s, 16, 16), "a positive multiple of 16");
        Setting("SynthProbeBatch", "batch", Batch, s => Int(s, 1), "a positive integer");
        Setting("SynthProbeLearningRate", "learning-rate", LearningRate, s => Num(s, 0, 10, true), "a number in (0, 10]");
        Setting("SynthProbeSeed", "seed", Seed, s => ulong.TryParse(s, NumberStyles.Integer, inv, out ulong v) ? v.ToString(inv) : null, "a non-negative integer");
        // The thread count is in the key: LibTorch's results depend on it (docs/models.md "Determinism"), so 0 (all
        // cores) is resolved to this machine's count.
        Setting("SynthProbeThreads", "threads", Threads, s => int.TryParse(s, NumberStyles.Integer, inv, out int v) && v >= 0 ? (v == 0 ? Environment.ProcessorCount : v).ToString(inv) : null, "an integer >= 0 (0 = all cores)");
        Setting("SynthProbeAugment", "augment", Augment, s => bool.TryParse(s, out bool v) ? (v ? "true" : "false") : null, "true or false");
        Setting("SynthProbeContactSheetImages", "sheet-images", SheetImages, s => Int(s, 1), "a positive integer");
        Setting("SynthProbeContactSheetScore", "sheet-score", SheetScore, s => Num(s, 0, 1, false), "a score within [0, 1]");
        if (!ok) return false;
        // Slices are keyed by a version of their own (their output changes with the analysis, not the training); the
        // config's content is in the dataset digest already.
        bool slices = !string.Equals(Slices.Trim(), "false", StringComparison.OrdinalIgnoreCase) && ConfigFile.Length > 0 && File.Exists(ConfigFile);
        settings["slices"] = slices ? SlicesVersion : "off";

        if (string.IsNullOrWhiteSpace(Runner) || !File.Exists(Runner))
        {
            Log.LogError(null, SynCodes.ProbeRunnerNotFound, null, ProjectFile, 0, 0, 0, 0,
                "The probe runner is not installed: '{0}' does not exist. The SynthBuild SDK package does not carry it (LibTorch is ~600 MB); build src/SynthBuild.Models.Probe.Runner (dotnet build -c Release) and set -p:SynthProbeRunner=PATH/SynthBuild.Models.Probe.Runner.dll (docs/models.md).", Runner);
            return false;
        }

        using var held = FolderLock.Take(Log, DatasetDirectory, "probe detector", LockTimeout, ProjectFile, _cancel.Token);
        if (held is null) return false;
        string digest;
        try { digest = DatasetReader.Open(DatasetDirectory).Info.Digest; }
        catch (DiagnosticException ex)
        {
            Log.Log(ex.Diagnostic with { File = ex.Diagnostic.File ?? ProjectFile });
            return false;
        }

        string reports = Path.Combine(DatasetDirectory, DatasetLayout.ReportsDir);
        string report = Path.Combine(reports, DatasetLayout.ProbeJson), keyFile = Path.Combine(reports, DatasetLayout.ProbeKey);
        ReportFile = report;
        byte[] key = Key(digest, settings, RunnerVersion(Runner));
        bool complete = File.Exists(report) && File.Exists(Path.Combine(reports, DatasetLayout.ProbeWeights)) && File.Exists(Path.Combine(reports, DatasetLayout.ProbeSheet))
            && (!slices || File.Exists(Path.Combine(reports, DatasetLayout.SlicesJson)));
        if (complete && File.Exists(keyFile) && File.ReadAllBytes(keyFile).AsSpan().SequenceEqual(key))
        {
            UpToDate = true;
            LogSummary(report, "up to date");
            return RealSet(reports, key);
        }

        // No key while the outputs change: a run killed half-way leaves none, so the next build trains again.
        if (File.Exists(keyFile)) File.Delete(keyFile);
        args.InsertRange(0, [Runner, "--dataset", DatasetDirectory, "--reports", reports]);
        if (slices) args.AddRange(["--config", Path.GetFullPath(ConfigFile)]);
        var clock = Stopwatch.StartNew();
        if (!RunRunner(args)) return false;
        if (!File.Exists(report))
        {
            Log.LogError(null, SynCodes.ProbeRunnerFailed, null, Runner, 0, 0, 0, 0, "The probe runner exited without writing {0}.", report);
            return false;
        }
        AtomicFile.Write(keyFile, key);
        LogSummary(report, string.Create(inv, $"{clock.Elapsed.TotalSeconds:F1} s"));
        return !Log.HasLoggedErrors && RealSet(reports, key);
    }

    /// <summary>
    /// With a real set, the trained probe's detections on it (runner verb <c>real</c>), keyed on the training key plus
    /// the real set's JSON and images, so an unchanged build neither retrains nor re-runs the real set.
    /// </summary>
    private bool RealSet(string reports, byte[] trainingKey)
    {
        if (string.IsNullOrWhiteSpace(RealGroundTruth)) return true;
        string gt = Path.GetFullPath(RealGroundTruth);
        string images = string.IsNullOrWhiteSpace(RealImages) ? Path.GetDirectoryName(gt)! : Path.GetFullPath(RealImages);
        if (!File.Exists(gt))
        {
            Log.LogError(null, SynCodes.ModelEvalDatasetInvalid, null, ProjectFile, 0, 0, 0, 0, "Real set ground truth not found: '{0}' (SynthRealGt).", gt);
            return false;
        }
        if (!Directory.Exists(images))
        {
            Log.LogError(null, SynCodes.ModelEvalDatasetInvalid, null, ProjectFile, 0, 0, 0, 0, "Real set image folder not found: '{0}' (SynthRealImages).", images);
            return false;
        }
        SyntheticGroundTruth = Path.Combine(reports, DatasetLayout.ProbeTruth("test"));
        SyntheticDetections = Path.Combine(reports, DatasetLayout.ProbeDetections("test"));
        RealDetections = Path.Combine(reports, DatasetLayout.ProbeRealDetections);
        string keyFile = Path.Combine(reports, DatasetLayout.ProbeRealKey);
        byte[] key;
        try { key = RealKey(trainingKey, gt, images); }
        catch (CocoFormatException ex)
        {
            var d = ex.Diagnostic;
            Log.LogError(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, "{0}", d.Message);
            return false;
        }
        if (File.Exists(SyntheticGroundTruth) && File.Exists(SyntheticDetections) && File.Exists(RealDetections)
            && File.Exists(keyFile) && File.ReadAllBytes(keyFile).AsSpan().SequenceEqual(key))
        {
            Log.LogMessage(MessageImportance.High, "  Probe on the real set: (up to date) -> {0}", RealDetections);
            return true;
        }
        if (File.Exists(keyFile)) File.Delete(keyFile);
        if (!File.Exists(SyntheticDetections))
        {
            Log.LogError(null, SynCodes.ProbeDatasetInvalid, null, ProjectFile, 0, 0, 0, 0, "The dataset's test split is empty: the probe has no synthetic side to compare the real set with.");
            return false;
        }
        var args = new List<string> { Runner, "real", "--dataset", DatasetDirectory, "--reports", reports, "--real-gt", gt, "--real-images", images };
        if (!string.IsNullOrWhiteSpace(Threads)) args.AddRange(["--threads", Threads.Trim()]);
        if (!RunRunner(args)) return false;
        AtomicFile.Write(keyFile, key);
        return true;
    }

    private static byte[] RealKey(byte[] trainingKey, string gt, string images)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(trainingKey);
        sha.AppendData(Encoding.UTF8.GetBytes(LabelledSetHash.Compute(gt, images)));
        return Encoding.UTF8.GetBytes(Convert.ToHexStringLower(sha.GetHashAndReset()) + "\n");
    }

    private void LogSummary(string report, string how)
    {
        ProbeSummary p;
        try { p = ProbeSummary.Parse(File.ReadAllBytes(report)); }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            Log.LogMessage(MessageImportance.High, "  Probe: ({0}) -> {1}", how, report);
            return;
        }
        var parts = p.Splits.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Split} AP {s.Stat("AP"):F3}, AP50 {s.Stat("AP50"):F3}"));
        Log.LogMessage(MessageImportance.High, "  Probe: {0} ({1}) -> {2}", string.Join("; ", parts), how, report);
    }

    /// <summary>Bump when reports/slices.json changes for the same detections (schema, bins, bootstrap).</summary>
    public const string SlicesVersion = "slices-1";

    /// <summary>The key: dataset digest, every setting and the runner's version, as canonical JSON.</summary>
    private static byte[] Key(string digest, SortedDictionary<string, string> settings, string runner)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("digest", digest);
            w.WriteString("runner", runner);
            w.WriteStartObject("settings");
            foreach (var (k, v) in settings) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    /// <summary>SHA-256 over the runner and every SynthBuild assembly beside it (the probe, the evaluator, the
    /// exporter, the contact sheet…): a rebuilt runner whose code changed trains again; an identical rebuild
    /// (deterministic compilation) does not.</summary>
    private static string RunnerVersion(string runner)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(runner))!;
        var files = Directory.EnumerateFiles(dir, "SynthBuild.*.dll").Append(Path.GetFullPath(runner)).Distinct()
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string f in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(f) + "\n"));
            sha.AppendData(SHA256.HashData(File.ReadAllBytes(f)));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    [GeneratedRegex(@"^(?:(?<file>.+?)(?:\((?<line>\d+),(?<col>\d+)\))?: )?(?<sev>error|warning) (?<code>SYN\d{4}): (?<msg>.*)$")]
    private static partial Regex DiagnosticLine();

    private bool RunRunner(List<string> args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var psi = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(ProjectFile.Length > 0 ? ProjectFile : DatasetDirectory)) ?? ".",
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var tail = new Queue<string>();
        bool diagnosed = false;
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (tail) { tail.Enqueue(e.Data); if (tail.Count > 8) tail.Dequeue(); }
            Log.LogMessage(MessageImportance.High, "  {0}", e.Data);
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (tail) { tail.Enqueue(e.Data); if (tail.Count > 8) tail.Dequeue(); }
            var m = DiagnosticLine().Match(e.Data);
            if (!m.Success) { Log.LogMessage(MessageImportance.High, "  {0}", e.Data); return; }
            string file = m.Groups["file"].Success ? m.Groups["file"].Value : ProjectFile;
            int line = m.Groups["line"].Success ? int.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture) : 0;
            int col = m.Groups["col"].Success ? int.Parse(m.Groups["col"].Value, CultureInfo.InvariantCulture) : 0;
            if (m.Groups["sev"].Value == "warning")
                Log.LogWarning(null, m.Groups["code"].Value, null, file, line, col, 0, 0, "{0}", m.Groups["msg"].Value);
            else
            {
                diagnosed = true;
                Log.LogError(null, m.Groups["code"].Value, null, file, line, col, 0, 0, "{0}", m.Groups["msg"].Value);
            }
        };
        try { p.Start(); }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Log.LogError(null, SynCodes.ProbeRunnerFailed, null, Runner, 0, 0, 0, 0, "The probe runner could not be started with '{0}': {1}", dotnet, ex.Message);
            return false;
        }
        _process = p;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        p.WaitForExit();
        _process = null;
        if (_cancel.IsCancellationRequested) return false;
        if (p.ExitCode == 0) return true;
        if (!diagnosed)
        {
            string last;
            lock (tail) last = string.Join(" | ", tail);
            Log.LogError(null, SynCodes.ProbeRunnerFailed, null, Runner, 0, 0, 0, 0, "The probe runner failed with exit code {0} and no diagnostic; its last output: {1}", p.ExitCode, last);
        }
        return false;
    }
}
