using System.Globalization;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;

namespace SynthBuild.Models.Probe.Runner;

/// <summary>
/// <c>… real --dataset DIR --reports DIR --real-gt FILE [--real-images DIR] [--threads N]</c>: the trained probe
/// (reports/probe.weights, settings from reports/probe.json) on a real labelled set, for SynthSimToReal. Writes the
/// real set's detections and the test split's ground truth beside the test detections, so the sim-to-real stage
/// compares the same model on both sides with the files it already reads.
/// </summary>
public sealed record RealSetJob(string Dataset, string Reports, string RealGroundTruth, string RealImages, int Threads)
{
    public static RealSetJob Parse(IReadOnlyList<string> args)
    {
        var values = RunnerJob.Pairs(args);
        string Take(string name) => values.Remove(name, out string? v) ? v : throw RunnerJob.Bad($"--{name} is required");
        string dataset = Take("dataset"), reports = Take("reports"), gt = Take("real-gt");
        string? images = values.Remove("real-images", out string? i) ? i : null;
        int threads = 0;
        if (values.Remove("threads", out string? t) && !(int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out threads) && threads >= 0))
            throw RunnerJob.Bad($"--threads must be an integer >= 0, found '{t}'");
        if (values.Count > 0) throw RunnerJob.Bad($"unknown option --{values.Keys.First()}");
        return new RealSetJob(Path.GetFullPath(dataset), Path.GetFullPath(reports), Path.GetFullPath(gt),
            Path.GetFullPath(images ?? Path.GetDirectoryName(Path.GetFullPath(gt))!), threads);
    }

    public void Execute(Action<string> log)
    {
        string probeJson = Path.Combine(Reports, DatasetLayout.ProbeJson), weights = Path.Combine(Reports, DatasetLayout.ProbeWeights);
        if (!File.Exists(probeJson) || !File.Exists(weights))
            throw Error(SynCodes.ProbeDatasetInvalid, $"No trained probe in '{Reports}' (run the SynthProbe target first).", Reports);
        if (!File.Exists(RealGroundTruth))
            throw Error(SynCodes.ModelEvalDatasetInvalid, $"Real set ground truth not found: '{RealGroundTruth}' (SynthRealGt).", RealGroundTruth);
        if (!Directory.Exists(RealImages))
            throw Error(SynCodes.ModelEvalDatasetInvalid, $"Real set image folder not found: '{RealImages}' (SynthRealImages).", RealImages);

        // Evaluate exactly as the probe was scored on its own splits: same input size, top-K and score threshold.
        using var doc = JsonDocument.Parse(File.ReadAllBytes(probeJson));
        var s = doc.RootElement.GetProperty("settings");
        var options = new ProbeOptions
        {
            InputWidth = s.GetProperty("inputWidth").GetInt32(),
            InputHeight = s.GetProperty("inputHeight").GetInt32(),
            BatchSize = s.GetProperty("batchSize").GetInt32(),
            TopK = s.GetProperty("topK").GetInt32(),
            ScoreThreshold = s.GetProperty("scoreThreshold").GetDouble(),
            Threads = Threads,
        };
        var categoryIds = s.GetProperty("categoryIds").EnumerateArray().Select(e => e.GetInt64()).ToList();

        byte[] truth = ProbeDetector.SplitGroundTruth(Dataset, "test");
        var synthetic = CocoGroundTruth.Parse(truth, DatasetLayout.ProbeTruth("test"));
        if (synthetic.Images.Count == 0)
            throw Error(SynCodes.ProbeDatasetInvalid, "The dataset's test split is empty: no synthetic side to compare the real set with.", Dataset);
        var real = CocoGroundTruth.Load(RealGroundTruth);
        if (real.Images.Count == 0)
            throw Error(SynCodes.ModelEvalDatasetInvalid, "The real set lists no images.", RealGroundTruth);
        ModelSimToReal.CheckCategories(synthetic, real, RealGroundTruth);

        log(string.Create(CultureInfo.InvariantCulture, $"probe: evaluating on the real set {RealGroundTruth} ({real.Images.Count} images)"));
        var m = ProbeDetector.EvaluateSaved(weights, options, categoryIds, real, RealImages, "real");
        Directory.CreateDirectory(Reports);
        AtomicFile.Write(Path.Combine(Reports, DatasetLayout.ProbeTruth("test")), truth);
        AtomicFile.Write(Path.Combine(Reports, DatasetLayout.ProbeRealDetections), m.Results);
        log(string.Create(CultureInfo.InvariantCulture, $"probe: real AP {m.AP:F3}, AP50 {m.AP50:F3} ({m.Images} images, {m.Detections} detections)"));
    }

    private static DiagnosticException Error(string code, string message, string file) => new(Diagnostic.Error(code, message, file));
}
