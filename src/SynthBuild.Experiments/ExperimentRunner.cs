using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;
using SynthBuild.Export;
using SynthBuild.Lineage;

namespace SynthBuild.Experiments;

public sealed record ExperimentRunOptions
{
    /// <summary>Where variants, runs and reports go (default: the experiment file's folder + "/out").</summary>
    public required string OutputDirectory { get; init; }
    /// <summary>SynthBuild.Models.Probe.Runner.dll; null = SYNTH_PROBE_RUNNER, else built from the repository.</summary>
    public string? ProbeRunner { get; init; }
    public string Dotnet { get; init; } = "dotnet";
    public MlflowSettings? Mlflow { get; init; }
    public Action<string>? Log { get; init; }
}

/// <summary>A variant as built: its dataset folder and digest, and the build's wall time.</summary>
public sealed record VariantBuild(string Name, string Dataset, string Digest, int Samples, double Seconds, IReadOnlyList<string> Arguments);

/// <summary>One trained model scored on the target.</summary>
public sealed record ModelRun(string Variant, ulong Seed, double Ap, double Ap50, double TrainSeconds, double WallSeconds, bool Reused, string Directory);

public sealed record ExperimentResult(ExperimentSpec Spec, string OutputDirectory, IReadOnlyList<VariantBuild> Builds, IReadOnlyList<ModelRun> Runs,
    IReadOnlyList<VariantEstimate> Variants, IReadOnlyList<PairedDifference> Differences, int TargetImages, int TargetObjects,
    IReadOnlyList<string> TargetCategories, double TargetSeconds, double Seconds, string? MlflowRunId)
{
    public string JsonPath => Path.Combine(OutputDirectory, ExperimentRunner.JsonFile);
    public string SummaryPath => Path.Combine(OutputDirectory, ExperimentRunner.SummaryFile);
}

/// <summary>
/// Runs an experiment: builds each variant with <c>dotnet build</c> into its own folder (the SDK's incremental build
/// skips an unchanged one), trains K probes per variant with the out-of-process probe runner (a model is reused when
/// its key — variant digest, recipe, seed, target — is unchanged), scores every model on the target with the COCO
/// evaluator and bootstraps the comparison (<see cref="Bootstrap"/>). Writes experiment.json and summary.md.
/// </summary>
public static class ExperimentRunner
{
    public const string JsonFile = "experiment.json", SummaryFile = "summary.md", KeyFile = "key.json", DetectionsFile = "target-detections.json";

    public static ExperimentResult Run(ExperimentSpec spec, ExperimentRunOptions o)
    {
        var clock = Stopwatch.StartNew();
        var log = o.Log ?? (_ => { });
        string outDir = Path.GetFullPath(o.OutputDirectory);
        Directory.CreateDirectory(outDir);
        var inv = CultureInfo.InvariantCulture;

        // The target first: a dataset target is built like a variant, and its categories decide what every variant must have.
        var targetClock = Stopwatch.StartNew();
        var (targetGt, imageRoot) = PrepareTarget(spec, o, outDir, log);
        double targetSeconds = targetClock.Elapsed.TotalSeconds;
        var targetCategories = targetGt.Annotations.Select(a => a.CategoryId).ToHashSet();
        var targetNames = targetGt.Categories.Where(c => targetCategories.Contains(c.Id)).ToDictionary(c => c.Id, c => c.Name);
        log(string.Create(inv, $"experiment: target {targetGt.Images.Count} images, {targetGt.Annotations.Count} objects, categories {string.Join(", ", targetNames.Values)}"));

        var builds = new List<VariantBuild>();
        var gtFiles = new Dictionary<string, (string Path, string Digest)>();
        foreach (var v in spec.Variants)
        {
            string vdir = Path.Combine(outDir, "variants", v.Name);
            string dataset = Path.Combine(vdir, "dataset");
            var props = new List<(string, string)>(spec.Properties.Select(p => (p.Key, p.Value)));
            if (v.Config is not null) props.Add(("SynthConfig", v.Config));
            if (v.Overlays.Count > 0) props.Add(("SynthConfigOverlay", string.Join(";", v.Overlays)));
            if ((v.Samples ?? spec.Samples) is int n) props.Add(("SynthSamples", n.ToString(inv)));
            var (info, seconds, args) = BuildDataset(o, v.Project, dataset, Path.Combine(vdir, "lineage.jsonl"), props, Path.Combine(vdir, "build.log"),
                $"variant '{v.Name}'", spec.ErrorAt(SynCodes.ExperimentBuildFailed, v.Path, ""), log);
            builds.Add(new VariantBuild(v.Name, dataset, info.Digest, info.Samples, seconds, args));

            // Every target category must be a variant category (by name); the variant's ids are what its models emit.
            var byName = info.Categories.GroupBy(c => c.Name).ToDictionary(g => g.Key, g => (long)g.First().Id);
            var missing = targetNames.Values.Where(n => !byName.ContainsKey(n)).ToList();
            if (missing.Count > 0)
                throw new DiagnosticException(spec.ErrorAt(SynCodes.ExperimentTargetCategories, v.Path,
                    $"The target has categories variant '{v.Name}' lacks: {string.Join(", ", missing)} (variant categories: {string.Join(", ", byName.Keys)})."));
            byte[] gt = WriteGroundTruth(targetGt, targetNames, byName);
            string gtPath = Path.Combine(vdir, "target-gt.json");
            AtomicFile.Write(gtPath, gt);
            gtFiles[v.Name] = (gtPath, Convert.ToHexStringLower(SHA256.HashData(gt)));
        }

        string? runner = null;
        var runs = new List<ModelRun>();
        var evaluators = new List<List<CocoEvaluator>>();
        var points = new List<List<(double, double)>>();
        foreach (var (v, build) in spec.Variants.Zip(builds))
        {
            var gt = CocoGroundTruth.Load(gtFiles[v.Name].Path);
            var evs = new List<CocoEvaluator>();
            var pts = new List<(double, double)>();
            foreach (ulong seed in spec.Seeds)
            {
                string runDir = Path.Combine(outDir, "runs", v.Name, $"seed-{seed}");
                string key = Key(build.Digest, spec.Recipe, seed, gtFiles[v.Name].Digest);
                string keyPath = Path.Combine(runDir, KeyFile), dtPath = Path.Combine(runDir, DetectionsFile), probePath = Path.Combine(runDir, DatasetLayout.ProbeJson);
                bool reused = File.Exists(keyPath) && File.ReadAllText(keyPath) == key && File.Exists(dtPath) && File.Exists(probePath);
                var wall = Stopwatch.StartNew();
                if (reused) log($"experiment: {v.Name} seed {seed}: reusing the trained model ({runDir})");
                else
                {
                    if (File.Exists(keyPath)) File.Delete(keyPath); // a half-finished run must not pass as current
                    runner ??= FindRunner(o, spec, log);
                    Train(o, runner, spec, v, build, seed, runDir, gtFiles[v.Name].Path, imageRoot, dtPath, log);
                    AtomicFile.Write(keyPath, Encoding.UTF8.GetBytes(key));
                }
                double wallSeconds = reused ? 0 : wall.Elapsed.TotalSeconds;
                var ev = new CocoEvaluator(gt, CocoDetections.Load(dtPath, gt), IouType.Bbox);
                double[] stats = ev.Run();
                evs.Add(ev);
                pts.Add((stats[0], stats[1]));
                double trainSeconds = ReadTrainSeconds(probePath);
                runs.Add(new ModelRun(v.Name, seed, stats[0], stats[1], trainSeconds, wallSeconds, reused, runDir));
                log(string.Create(inv, $"experiment: {v.Name} seed {seed}: target AP {stats[0]:F4}, AP50 {stats[1]:F4} (training {trainSeconds:F0} s{(reused ? ", reused" : "")})"));
            }
            evaluators.Add(evs);
            points.Add(pts);
        }

        var (variants, diffs) = Bootstrap.Run(spec.Variants.Select(v => v.Name).ToList(), evaluators.Select(e => (IReadOnlyList<CocoEvaluator>)e).ToList(),
            points.Select(p => (IReadOnlyList<(double, double)>)p).ToList(), spec.Resamples, spec.BootstrapSeed);

        string? mlflowRun = null;
        var result = new ExperimentResult(spec, outDir, builds, runs, variants, diffs, targetGt.Images.Count, targetGt.Annotations.Count,
            [.. targetNames.Values], targetSeconds, clock.Elapsed.TotalSeconds, null);
        if (o.Mlflow is not null)
        {
            try { mlflowRun = ExperimentMlflow.Log(o.Mlflow, result); }
            catch (Exception ex) when (ex is MlflowException or HttpRequestException or TaskCanceledException or IOException)
            {
                log($"experiment: warning: MLflow logging failed: {ex.Message}");
            }
        }
        result = result with { Seconds = clock.Elapsed.TotalSeconds, MlflowRunId = mlflowRun };
        AtomicFile.Write(result.JsonPath, ExperimentReport.Json(result));
        AtomicFile.Write(result.SummaryPath, Encoding.UTF8.GetBytes(ExperimentReport.Markdown(result)));
        return result;
    }

    /// <summary>The cache key of one model: what its detections on the target depend on.</summary>
    internal static string Key(string variantDigest, ExperimentRecipe recipe, ulong seed, string targetDigest) =>
        $"{{\"variantDigest\":\"{variantDigest}\",\"recipe\":\"{recipe.Canonical}\",\"seed\":{seed},\"target\":\"{targetDigest}\"}}\n";

    private static double ReadTrainSeconds(string probeJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(probeJson));
            return doc.RootElement.GetProperty("training").GetProperty("seconds").GetDouble();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or IOException or InvalidOperationException) { return double.NaN; }
    }

    private static (CocoGroundTruth Gt, string ImageRoot) PrepareTarget(ExperimentSpec spec, ExperimentRunOptions o, string outDir, Action<string> log)
    {
        var t = spec.Target;
        if (!t.IsProject)
        {
            CocoGroundTruth gt;
            try { gt = CocoGroundTruth.Load(t.Coco!); }
            catch (CocoFormatException ex) { throw new DiagnosticException(spec.ErrorAt(SynCodes.ExperimentTargetInvalid, "target.coco", $"The target's COCO file is not usable: {ex.Message}")); }
            CheckTarget(spec, gt);
            return (gt, t.Images!);
        }
        string tdir = Path.Combine(outDir, "target");
        string dataset = Path.Combine(tdir, "dataset");
        var props = new List<(string, string)>(spec.Properties.Select(p => (p.Key, p.Value)));
        if (t.Samples is int n) props.Add(("SynthSamples", n.ToString(CultureInfo.InvariantCulture)));
        BuildDataset(o, t.Project!, dataset, Path.Combine(tdir, "lineage.jsonl"), props, Path.Combine(tdir, "build.log"), "the target",
            spec.ErrorAt(SynCodes.ExperimentBuildFailed, "target", ""), log);
        // The COCO ground truth of the dataset, as the probe and the coco export see it (boxes only are needed).
        string export = Path.Combine(tdir, "export");
        var request = new ExportRequest(ExportFormat.Coco, new Dictionary<string, string> { ["Segmentation"] = "rle", ["Keypoints"] = "false" });
        var r = DatasetExporter.Run(dataset, export, [request]);
        if (!r.Succeeded) throw new DiagnosticException(r.Diagnostics.First(d => d.IsError));
        string[] splits = t.Split == "all" ? ["train", "val", "test"] : [t.Split];
        var parts = splits.Select(s => CocoGroundTruth.Load(Path.Combine(export, ExportOptions.NameOf(ExportFormat.Coco), $"instances_{s}.json"))).ToList();
        var merged = CocoGroundTruth.Parse(WriteGroundTruth(parts), Path.Combine(tdir, "target.json"));
        CheckTarget(spec, merged);
        return (merged, dataset);
    }

    private static void CheckTarget(ExperimentSpec spec, CocoGroundTruth gt)
    {
        if (gt.Images.Count == 0 || !gt.Annotations.Any(a => a.Bbox is not null && !a.IsCrowd))
            throw new DiagnosticException(spec.ErrorAt(SynCodes.ExperimentTargetInvalid, "target", $"The target ({spec.Target.Split}) holds {gt.Images.Count} images and no boxes to score against."));
    }

    /// <summary>Ground truth as a COCO file: images, boxes, and categories renumbered to a variant's ids by name.</summary>
    private static byte[] WriteGroundTruth(CocoGroundTruth gt, IReadOnlyDictionary<long, string> names, IReadOnlyDictionary<string, long> variantIds) =>
        WriteGroundTruth([gt], a => names.TryGetValue(a, out var n) ? variantIds[n] : null, names.Select(kv => (variantIds[kv.Value], kv.Value)));

    /// <summary>Several splits' ground truths as one file (image ids are unique across a dataset's splits; annotation ids are renumbered).</summary>
    private static byte[] WriteGroundTruth(IReadOnlyList<CocoGroundTruth> parts) =>
        WriteGroundTruth(parts, id => id, parts.SelectMany(p => p.Categories).GroupBy(c => c.Id).Select(g => (g.Key, g.First().Name)));

    private static byte[] WriteGroundTruth(IReadOnlyList<CocoGroundTruth> parts, Func<long, long?> category, IEnumerable<(long Id, string Name)> categories)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartArray("images");
            foreach (var im in parts.SelectMany(p => p.Images))
            {
                w.WriteStartObject();
                w.WriteNumber("id", im.Id);
                w.WriteString("file_name", im.FileName);
                w.WriteNumber("width", im.Width);
                w.WriteNumber("height", im.Height);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("annotations");
            long id = 1;
            foreach (var a in parts.SelectMany(p => p.Annotations))
            {
                if (a.Bbox is null || category(a.CategoryId) is not long cat) continue;
                w.WriteStartObject();
                w.WriteNumber("id", id++);
                w.WriteNumber("image_id", a.ImageId);
                w.WriteNumber("category_id", cat);
                w.WriteStartArray("bbox");
                foreach (double x in a.Bbox) w.WriteNumberValue(x);
                w.WriteEndArray();
                w.WriteNumber("area", a.Area);
                w.WriteNumber("iscrowd", a.IsCrowd ? 1 : 0);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("categories");
            foreach (var (cid, name) in categories.OrderBy(c => c.Id))
            {
                w.WriteStartObject();
                w.WriteNumber("id", cid);
                w.WriteString("name", name);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    /// <summary>dotnet build of a dataset project into <paramref name="dataset"/>; the SDK skips an unchanged build.</summary>
    private static (DatasetInfo Info, double Seconds, IReadOnlyList<string> Arguments) BuildDataset(ExperimentRunOptions o, string project, string dataset,
        string lineage, IReadOnlyList<(string Name, string Value)> properties, string logFile, string what, Diagnostic at, Action<string> log)
    {
        var args = new List<string> { "build", project, "-nologo", "-v:m", "-tl:off", "-nodeReuse:false",
            $"-p:SynthOutputDir={Escape(Path.GetFullPath(dataset) + Path.DirectorySeparatorChar)}", $"-p:SynthLineageLog={Escape(Path.GetFullPath(lineage))}" };
        args.AddRange(properties.Select(p => $"-p:{p.Name}={Escape(p.Value)}"));
        log($"experiment: building {what} ({Path.GetFileName(project)}) -> {dataset}");
        var clock = Stopwatch.StartNew();
        var (exit, output) = Exec(o.Dotnet, args, Path.GetDirectoryName(project)!, logFile);
        double seconds = clock.Elapsed.TotalSeconds;
        if (exit != 0)
        {
            var errors = output.Split('\n').Where(l => l.Contains(": error ", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().Take(5).ToList();
            string detail = errors.Count > 0 ? string.Join(" | ", errors) : Tail(output);
            throw new DiagnosticException(at with { Message = $"Building {what} failed (dotnet build exit {exit}): {detail} (log: {logFile})." });
        }
        log(string.Create(CultureInfo.InvariantCulture, $"experiment: built {what} in {seconds:F1} s"));
        return (DatasetReader.Open(dataset).Info, seconds, args);
    }

    /// <summary>MSBuild reads ';' and ',' in a -p: value as property separators unless the value is quoted
    /// (-p:SynthConfigOverlay="a.json;b.json" keeps the list whole, so the SDK still sees two items).</summary>
    private static string Escape(string value) => value.Contains(';') || value.Contains(',') ? $"\"{value}\"" : value;

    private static string Tail(string output, int lines = 8) => string.Join(" | ", output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).TakeLast(lines));

    private static (int Exit, string Output) Exec(string file, IReadOnlyList<string> args, string workingDir, string logFile)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["MSBUILDTERMINALLOGGER"] = "off";
        var sb = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (sb) sb.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (sb) sb.AppendLine(e.Data); };
        try { p.Start(); }
        catch (System.ComponentModel.Win32Exception ex) { return (-1, $"{file} could not be started: {ex.Message}"); }
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        p.WaitForExit();
        string output;
        lock (sb) output = sb.ToString();
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        File.WriteAllText(logFile, $"{file} {string.Join(' ', args)}\n{output}");
        return (p.ExitCode, output);
    }

    /// <summary>The probe runner: given, SYNTH_PROBE_RUNNER, or built (Release) from the repository the experiment lies in.</summary>
    private static string FindRunner(ExperimentRunOptions o, ExperimentSpec spec, Action<string> log)
    {
        string? given = o.ProbeRunner ?? Environment.GetEnvironmentVariable("SYNTH_PROBE_RUNNER");
        if (!string.IsNullOrWhiteSpace(given))
        {
            if (!File.Exists(given)) throw Fail($"The probe runner '{given}' does not exist.");
            return Path.GetFullPath(given);
        }
        const string rel = "src/SynthBuild.Models.Probe.Runner/SynthBuild.Models.Probe.Runner.csproj";
        foreach (string start in new[] { Path.GetDirectoryName(spec.File)!, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string proj = Path.Combine(d.FullName, rel);
                if (!File.Exists(proj)) continue;
                log("experiment: building the probe runner (Release)");
                var (exit, output) = Exec(o.Dotnet, ["build", proj, "-c", "Release", "-nologo", "-v:q", "-tl:off", "-nodeReuse:false"], d.FullName,
                    Path.Combine(Path.GetTempPath(), "synth-probe-runner-build.log"));
                if (exit != 0) throw Fail($"Building the probe runner failed: {Tail(output)}");
                // The repository's Directory.Build.props gives the runner a fixed output folder (as the SynthProbe target uses).
                string dll = Path.Combine(d.FullName, "artifacts", "synth-probe-runner", "Release", "SynthBuild.Models.Probe.Runner.dll");
                if (!File.Exists(dll)) throw Fail($"The probe runner was built but {dll} is not there.");
                return dll;
            }
        throw Fail("The probe runner (SynthBuild.Models.Probe.Runner.dll, LibTorch) was not found: pass --probe-runner or set SYNTH_PROBE_RUNNER (docs/experiments.md).");
    }

    private static DiagnosticException Fail(string message) => new(Diagnostic.Error(SynCodes.ExperimentTrainingFailed, message));

    private static void Train(ExperimentRunOptions o, string runner, ExperimentSpec spec, ExperimentVariant v, VariantBuild build, ulong seed, string runDir,
        string gtPath, string imageRoot, string dtPath, Action<string> log)
    {
        var inv = CultureInfo.InvariantCulture;
        var r = spec.Recipe;
        Directory.CreateDirectory(runDir);
        var args = new List<string>
        {
            "exec", runner, "--dataset", build.Dataset, "--reports", runDir,
            "--epochs", r.Epochs.ToString(inv), "--width", r.Width.ToString(inv), "--height", r.Height.ToString(inv),
            "--batch", r.Batch.ToString(inv), "--learning-rate", r.LearningRate.ToString("R", inv), "--threads", r.Threads.ToString(inv),
            "--seed", seed.ToString(inv), "--target-gt", gtPath, "--target-images", imageRoot, "--target-out", dtPath,
        };
        log($"experiment: training {v.Name} seed {seed} ({r.Canonical})");
        var (exit, output) = Exec(o.Dotnet, args, runDir, Path.Combine(runDir, "run.log"));
        if (exit != 0)
        {
            string? line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains(": error SYN", StringComparison.Ordinal) || l.StartsWith("error SYN", StringComparison.Ordinal));
            throw new DiagnosticException(spec.ErrorAt(SynCodes.ExperimentTrainingFailed, v.Path,
                $"Training variant '{v.Name}' with seed {seed} failed (probe runner exit {exit}): {line ?? Tail(output)} (log: {Path.Combine(runDir, "run.log")})."));
        }
        if (!File.Exists(dtPath)) throw new DiagnosticException(spec.ErrorAt(SynCodes.ExperimentTrainingFailed, v.Path, $"The probe runner wrote no target detections ({dtPath})."));
    }
}
