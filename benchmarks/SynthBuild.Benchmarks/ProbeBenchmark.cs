using System.Diagnostics;
using System.Globalization;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Models.Probe;

/// <summary>`probe`: trains the probe detector on the example dataset and prints its training time, loss curve
/// endpoints and COCO AP on val and test.</summary>
static class ProbeBenchmark
{
    public static void Run(string repo, string configPath, string? dataset, int samples, ProbeOptions options, string? report)
    {
        if (dataset is null)
        {
            string built = Path.Combine(repo, "datasets", "tabletop", "bin", "dataset");
            if (File.Exists(Path.Combine(built, "dataset.json")) && samples == 200) dataset = built;
            else
            {
                // The same engine `dotnet build datasets/tabletop` runs, in-process, into a kept cache folder.
                var r = ConfigLoader.Load(configPath, new ConfigOverrides(samples.ToString(CultureInfo.InvariantCulture)));
                if (!r.Succeeded) throw new InvalidOperationException(string.Join("\n", r.Diagnostics));
                dataset = Path.Combine(Path.GetTempPath(), "synthbuild-bench-probe", SpecFingerprint.Hash(r.Spec!)[..16]);
                var clock = Stopwatch.StartNew();
                new DatasetBuilder(r.Spec!, dataset).Build();
                Console.WriteLine($"dataset: {samples} samples of {configPath} built (or brought up to date) in {clock.Elapsed.TotalSeconds:F1} s into {dataset}");
            }
        }
        Console.WriteLine($"dataset: {dataset}");
        var result = ProbeDetector.Run(dataset, options, Console.WriteLine);
        if (report is not null) File.WriteAllBytes(report, result.ToJson());
        Console.WriteLine($"probe: {result.Parameters:N0} parameters, input {options.InputWidth}x{options.InputHeight}, {result.TrainImages} train images, {result.Threads} threads, seed {options.Seed}");
        Console.WriteLine($"native: {result.NativeLoad}");
        Console.WriteLine($"training: {result.Curve.Count} epochs in {result.TrainSeconds:F1} s ({result.TrainImagesPerSecond:F1} images/s)");
        Console.WriteLine($"inference: {result.Metrics.Sum(m => m.Images)} images in {result.InferenceSeconds:F2} s ({result.InferenceImagesPerSecond:F1} images/s, batch {options.BatchSize})");
        using (var self = Process.GetCurrentProcess())
            Console.WriteLine($"peak memory: {self.PeakWorkingSet64 / (1024.0 * 1024):F0} MiB working set (whole process: decoded train images, libtorch)");
        Console.WriteLine($"loss: epoch 1 {result.Curve[0].Loss:F4} -> epoch {result.Curve[^1].Epoch} {result.Curve[^1].Loss:F4} (heatmap {result.Curve[0].HeatmapLoss:F4} -> {result.Curve[^1].HeatmapLoss:F4})");
        foreach (var m in result.Metrics)
        {
            Console.WriteLine($"{m.Split}: {m.Images} images, {m.Detections} detections: AP {m.AP:F3}  AP50 {m.AP50:F3}  AP75 {m.AP75:F3}  APs {m.Stats[3]:F3}  APm {m.Stats[4]:F3}  APl {m.Stats[5]:F3}");
            Console.WriteLine("   per category AP: " + string.Join("  ", m.Categories.Select(c => $"{c.Name} {c.Ap:F3}")));
        }
    }
}
