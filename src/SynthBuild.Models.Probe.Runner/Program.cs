using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Export;
using SynthBuild.Quality;

namespace SynthBuild.Models.Probe.Runner;

/// <summary>
/// <c>dotnet SynthBuild.Models.Probe.Runner.dll --dataset DIR --reports DIR [settings]</c>: trains the probe on a built
/// dataset and writes, into the reports folder, the weights, each split's detections, the contact sheet and
/// probe.json last. <c>… real …</c> evaluates the trained probe on a real labelled set (<see cref="RealSetJob"/>). Progress goes to stdout; an error is one diagnostic line on stderr (<c>file: error SYNnnnn: …</c>,
/// the CLI's format) and exit code 2, which the SynthProbe task turns back into an MSBuild error.
/// </summary>
public static class Program
{
    public const int ExitOk = 0, ExitBadInput = 2, ExitInternal = 3;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            void Log(string line) { stdout.WriteLine(line); stdout.Flush(); }
            if (args.Length > 0 && args[0] == "real") RealSetJob.Parse(args[1..]).Execute(Log);
            else Execute(RunnerJob.Parse(args), Log);
            return ExitOk;
        }
        catch (DiagnosticException ex)
        {
            stderr.WriteLine(ex.Diagnostic.ToString());
            return ExitBadInput;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine(Diagnostic.Error(SynCodes.ProbeDatasetInvalid, $"Probe outputs could not be read or written: {ex.Message}").ToString());
            return ExitBadInput;
        }
        catch (Exception ex)
        {
            stderr.WriteLine($"probe-runner: internal error: {ex.GetType().Name}: {ex.Message}");
            return ExitInternal;
        }
    }

    /// <summary>Trains, evaluates and writes every output; probe.json is written last (the task's key after it).</summary>
    public static void Execute(RunnerJob job, Action<string> log)
    {
        var inv = CultureInfo.InvariantCulture;
        var o = job.Options;
        log(string.Create(inv, $"probe: training on {job.Dataset} ({o.InputWidth}x{o.InputHeight}, {o.Epochs} epochs, batch {o.BatchSize}, seed {o.Seed}, threads {o.Threads})"));
        string weights = Path.Combine(job.Reports, DatasetLayout.ProbeWeights);
        string scratchWeights = weights + ".partial";
        var result = ProbeDetector.Run(job.Dataset, o, log, scratchWeights);

        Directory.CreateDirectory(job.Reports);
        File.Move(scratchWeights, weights, overwrite: true);
        var json = JsonNode.Parse(result.ToJson())!.AsObject();
        var files = new JsonObject { ["weights"] = DatasetLayout.ProbeWeights };
        foreach (string split in new[] { "val", "test" })
        {
            string path = Path.Combine(job.Reports, DatasetLayout.ProbeDetections(split));
            if (result.Split(split) is ProbeSplitMetrics m)
            {
                AtomicFile.Write(path, m.Results);
                files[split + "Detections"] = DatasetLayout.ProbeDetections(split);
            }
            else if (File.Exists(path)) File.Delete(path); // an empty split now: no stale detections of an earlier run
        }

        // The contact sheet shows val (the split gates read) or, when val is empty, test.
        var sheetSplit = result.Split("val") ?? result.Split("test")!;
        var reader = DatasetReader.Open(job.Dataset);
        var detections = ParseDetections(sheetSplit.Results);
        var sheet = ContactSheet.Detections(reader, detections, sheetSplit.Split == "val" ? Split.Val : Split.Test, job.SheetScore, 0.5, job.SheetImages);
        AtomicFile.Write(Path.Combine(job.Reports, DatasetLayout.ProbeSheet), sheet.Png);
        files["contactSheet"] = DatasetLayout.ProbeSheet;
        json["contactSheet"] = new JsonObject
        {
            ["split"] = sheetSplit.Split,
            ["images"] = sheet.Images,
            ["scoreThreshold"] = job.SheetScore,
            ["iou"] = 0.5,
            ["truePositives"] = sheet.TruePositives,
            ["falsePositives"] = sheet.FalsePositives,
            ["misses"] = sheet.Misses,
        };
        // Failure-mode slices of the same split, before probe.json (the task's key comes after both).
        string slicesPath = Path.Combine(job.Reports, DatasetLayout.SlicesJson);
        if (job.Config is string config)
        {
            var slices = SliceRun.Run(job.Dataset, config, Path.Combine(job.Reports, DatasetLayout.ProbeDetections(sheetSplit.Split)), sheetSplit.Split);
            AtomicFile.Write(slicesPath, slices.ToJson());
            files["slices"] = DatasetLayout.SlicesJson;
            foreach (string line in slices.Summary().Split('\n', StringSplitOptions.RemoveEmptyEntries)) log("probe: " + line);
        }
        else if (File.Exists(slicesPath)) File.Delete(slicesPath); // not of this run
        json["files"] = files;
        AtomicFile.Write(Path.Combine(job.Reports, DatasetLayout.ProbeJson), JsonSerializer.SerializeToUtf8Bytes(json, new JsonSerializerOptions { WriteIndented = true }));

        // An experiment's target (docs/experiments.md): the saved weights scored on another labelled set, whose
        // categories the caller has renumbered to this dataset's ids; only the detections are written (the caller
        // evaluates and bootstraps them).
        if (job.TargetGroundTruth is not null)
        {
            var gt = SynthBuild.Evaluation.CocoGroundTruth.Load(job.TargetGroundTruth);
            var target = ProbeDetector.EvaluateSaved(weights, o, result.CategoryIds, gt, job.TargetImages!, "target");
            AtomicFile.Write(job.TargetOutput!, target.Results);
            log(string.Create(inv, $"probe: target AP {target.AP:F3}, AP50 {target.AP50:F3} ({target.Images} images, {target.Detections} detections) -> {job.TargetOutput}"));
        }

        foreach (var m in result.Metrics)
            log(string.Create(inv, $"probe: {m.Split} AP {m.AP:F3}, AP50 {m.AP50:F3}, AP75 {m.AP75:F3} ({m.Images} images, {m.Detections} detections)"));
        log(string.Create(inv, $"probe: training {result.TrainSeconds:F1} s ({result.TrainImagesPerSecond:F1} images/s), inference {result.InferenceImagesPerSecond:F1} images/s -> {Path.Combine(job.Reports, DatasetLayout.ProbeJson)}"));
    }

    private static List<ContactSheet.Detection> ParseDetections(byte[] results)
    {
        using var doc = JsonDocument.Parse(results);
        return doc.RootElement.EnumerateArray().Select(d =>
        {
            var b = d.GetProperty("bbox");
            return new ContactSheet.Detection(d.GetProperty("image_id").GetInt64(), d.GetProperty("category_id").GetInt32(),
                b[0].GetDouble(), b[1].GetDouble(), b[2].GetDouble(), b[3].GetDouble(), d.GetProperty("score").GetDouble());
        }).ToList();
    }
}

/// <summary>The runner's command line: the dataset, the reports folder and every probe setting.</summary>
/// <param name="Config">The dataset's config: with it, reports/slices.json is written from the val (else test) detections.</param>
/// <param name="TargetGroundTruth">Optional: a COCO file (categories in the dataset's ids) to score the trained model on,
/// with its images under <paramref name="TargetImages"/>; the detections go to <paramref name="TargetOutput"/>.</param>
public sealed record RunnerJob(string Dataset, string Reports, ProbeOptions Options, int SheetImages, double SheetScore, string? Config = null,
    string? TargetGroundTruth = null, string? TargetImages = null, string? TargetOutput = null)
{
    public const double DefaultSheetScore = 0.3;

    public static RunnerJob Parse(string[] args)
    {
        var values = Pairs(args);
        string Take(string name, string? fallback = null)
        {
            if (values.Remove(name, out string? v)) return v;
            return fallback ?? throw Bad($"--{name} is required");
        }
        int Int(string name, int fallback)
        {
            string text = Take(name, fallback.ToString(CultureInfo.InvariantCulture));
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw Bad($"--{name} must be an integer, found '{text}'");
        }
        double Dbl(string name, double fallback)
        {
            string text = Take(name, fallback.ToString("R", CultureInfo.InvariantCulture));
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : throw Bad($"--{name} must be a number, found '{text}'");
        }
        var d = new ProbeOptions();
        string dataset = Take("dataset"), reports = Take("reports");
        string seedText = Take("seed", d.Seed.ToString(CultureInfo.InvariantCulture));
        if (!ulong.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong seed)) throw Bad($"--seed must be a non-negative integer, found '{seedText}'");
        string augmentText = Take("augment", d.Augment ? "true" : "false");
        if (!bool.TryParse(augmentText, out bool augment)) throw Bad($"--augment must be true or false, found '{augmentText}'");
        var options = d with
        {
            Epochs = Int("epochs", d.Epochs),
            Seconds = Dbl("seconds", d.Seconds),
            InputWidth = Int("width", d.InputWidth),
            InputHeight = Int("height", d.InputHeight),
            BatchSize = Int("batch", d.BatchSize),
            LearningRate = Dbl("learning-rate", d.LearningRate),
            Seed = seed,
            Threads = Int("threads", d.Threads),
            Augment = augment,
        };
        int sheetImages = Int("sheet-images", 8);
        double sheetScore = Dbl("sheet-score", DefaultSheetScore);
        string config = Take("config", "");
        string? targetGt = values.Remove("target-gt", out var tg) ? Path.GetFullPath(tg) : null;
        string? targetImages = values.Remove("target-images", out var ti) ? Path.GetFullPath(ti) : null;
        string? targetOut = values.Remove("target-out", out var to) ? Path.GetFullPath(to) : null;
        if (values.Count > 0) throw Bad($"unknown option --{values.Keys.First()}");
        if ((targetGt is null) != (targetOut is null) || (targetImages is not null && targetGt is null))
            throw Bad("--target-gt and --target-out go together (with --target-images, default the ground truth's folder)");
        if (sheetImages < 1 || !(sheetScore is >= 0 and <= 1)) throw Bad("--sheet-images must be at least 1 and --sheet-score within [0, 1]");
        return new RunnerJob(Path.GetFullPath(dataset), Path.GetFullPath(reports), options, sheetImages, sheetScore,
            config.Length > 0 ? Path.GetFullPath(config) : null,
            targetGt, targetGt is null ? null : targetImages ?? Path.GetDirectoryName(targetGt), targetOut);
    }

    /// <summary>'--option value' pairs, by option name without the dashes.</summary>
    internal static Dictionary<string, string> Pairs(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
                throw Bad($"expected '--option value' pairs, found '{args[i]}'");
            values[args[i][2..]] = args[++i];
        }
        return values;
    }

    internal static DiagnosticException Bad(string message) => new(Diagnostic.Error(SynCodes.ProbeOptionInvalid, $"Probe runner: {message}."));
}
