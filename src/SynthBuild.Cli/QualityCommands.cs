using System.Diagnostics;
using System.Globalization;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Quality;
using SynthBuild.Core.Storage;

namespace SynthBuild.Cli;

/// <summary><c>synth quality compare|benchmark</c>.</summary>
internal static class QualityCommands
{
    public const string Usage = """
          synth quality compare BEFORE AFTER      (each a reports/quality.json or a built dataset folder)
          synth quality benchmark --out DIR [--samples 10000] [--width 320] [--height 240] [--threads 0]
        """;

    /// <returns>Exit code; throws <see cref="ArgumentException"/> for usage errors.</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length < 2) throw new ArgumentException("quality needs a subcommand: compare or benchmark");
        switch (args[1])
        {
            case "compare":
                if (args.Length != 4) throw new ArgumentException("quality compare needs two reports: BEFORE AFTER");
                var comparison = QualityComparison.Of(Load(args[2]), Load(args[3]));
                stdout.Write(comparison.Render());
                return SynthCli.ExitOk;
            case "benchmark":
                return Benchmark(args.AsSpan(2), stdout);
            default:
                throw new ArgumentException($"unknown quality subcommand '{args[1]}'");
        }
    }

    /// <summary>A report file, or a dataset folder whose reports/quality.json is read.</summary>
    private static QualityReport Load(string path)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, QualityStage.ReportsDir, QualityStage.JsonFile) : path;
        if (!File.Exists(file)) throw new FileNotFoundException($"no quality report at '{file}' (build the dataset first)");
        return QualityReport.Read(file);
    }

    /// <summary>
    /// Generates a dataset of the requested size (fresh folder), then runs the quality stage on it, and prints
    /// both times and the peak memory seen during analysis.
    /// </summary>
    private static int Benchmark(ReadOnlySpan<string> rest, TextWriter stdout)
    {
        var o = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < rest.Length; i += 2)
        {
            if (!rest[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{rest[i]}'");
            o[rest[i][2..]] = rest[i + 1];
        }
        if (rest.Length % 2 != 0) throw new ArgumentException($"option {rest[^1]} needs a value");
        foreach (string k in o.Keys)
            if (k is not ("out" or "samples" or "width" or "height" or "threads")) throw new ArgumentException($"unknown option --{k}");
        string dir = o.TryGetValue("out", out var d) ? Path.GetFullPath(d) : throw new ArgumentException("missing --out");
        int Int(string key, int fallback) => o.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int samples = Int("samples", 10000), width = Int("width", 320), height = Int("height", 240), threads = Int("threads", 0);
        double scale = width / 640.0;
        string json = string.Create(CultureInfo.InvariantCulture, $$"""
            { "name": "quality-benchmark", "samples": {{samples}}, "seed": 11,
              "image": { "width": {{width}}, "height": {{height}} },
              "camera": { "intrinsics": { "fx": {{500 * scale}}, "fy": {{500 * scale}}, "cx": {{width / 2.0}}, "cy": {{height / 2.0}} } } }
            """);
        var loaded = ConfigLoader.Parse(json, "benchmark.json");
        if (!loaded.Succeeded) throw new InvalidOperationException(string.Join("\n", loaded.Diagnostics));

        var gen = Stopwatch.StartNew();
        BuildResult built = new DatasetBuilder(loaded.Spec!, dir, new BuildOptions(threads)).Build();
        gen.Stop();
        if (!built.Succeeded) throw new InvalidOperationException(string.Join("\n", built.Diagnostics));

        // Peak memory during analysis: the process working set, sampled while the stage runs.
        GC.Collect();
        long before = Environment.WorkingSet, peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Environment.WorkingSet);
                try { await Task.Delay(20, sampling.Token); } catch (TaskCanceledException) { }
            }
        });
        string reports = Path.Combine(dir, QualityStage.ReportsDir);
        if (Directory.Exists(reports)) Directory.Delete(reports, recursive: true); // measure a full analysis
        QualityRunResult run = QualityStage.Run(dir, QualityGates.All.Select(g => new GateDeclaration(g.Name, new Dictionary<string, string>())),
            gatesEnabled: true, new QualitySettings(Threads: threads));
        sampling.Cancel();
        sampler.Wait();
        peak = Math.Max(peak, Environment.WorkingSet);

        var inv = CultureInfo.InvariantCulture;
        double genSeconds = gen.Elapsed.TotalSeconds, analysis = run.AnalysisTime.TotalSeconds, stage = run.Elapsed.TotalSeconds;
        stdout.WriteLine(string.Create(inv, $"dataset: {samples} samples at {width}x{height}, {Environment.ProcessorCount} cores, threads {(threads == 0 ? "all" : threads.ToString(inv))}"));
        stdout.WriteLine(string.Create(inv, $"generation: {genSeconds:F1} s ({built.Generated} generated, {built.Reused} reused; {samples / Math.Max(1e-9, genSeconds):F1} samples/s)"));
        stdout.WriteLine(string.Create(inv, $"analysis:   {analysis:F2} s ({samples / Math.Max(1e-9, analysis):F0} samples/s) = {100 * analysis / Math.Max(1e-9, genSeconds):F1}% of generation"));
        stdout.WriteLine(string.Create(inv, $"stage:      {stage:F2} s incl. gates and json/md/html reports = {100 * stage / Math.Max(1e-9, genSeconds):F1}% of generation"));
        stdout.WriteLine(string.Create(inv, $"memory:     working set {before / 1048576.0:F0} MiB before, {peak / 1048576.0:F0} MiB peak during analysis (+{(peak - before) / 1048576.0:F0} MiB)"));
        if (run.Report is { } r)
            foreach (string line in MarkdownReport.BuildTable(r)) stdout.WriteLine(line);
        return SynthCli.ExitOk;
    }
}
