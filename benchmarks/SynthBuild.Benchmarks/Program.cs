using System.Diagnostics;
using System.Globalization;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;

// Benchmarks for generation. Figures go to stdout; datasets go to a temp folder that is deleted afterwards.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string command = args.Length > 0 ? args[0] : "help";
int Option(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
string? TextOption(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

string repo = FindRepo();
string configPath = TextOption("--config") ?? Path.Combine(repo, "datasets", "tabletop", "synth.json");
int threads = Option("--threads", 0);

switch (command)
{
    case "generate": Generate(Option("--samples", 200)); break;
    case "incremental": Incremental(Option("--samples", 1000)); break;
    case "augment": AugmentBenchmark.Run(Load(Option("--samples", 32)), Option("--images", 300), Option("--epochs", 2), TextOption("--preview")); break;
    case "augment-loader": AugmentBenchmark.RunLoader(args[1], int.Parse(args[2], CultureInfo.InvariantCulture)); break;
    case "export": Export(Option("--samples", 1000)); break;
    case "stages": Stages(Option("--samples", 40)); break;
    case "render": Render(Option("--samples", 100), Option("--repeat", 5)); break;
    case "shards": ShardsBenchmark.Run(new ShardsBenchmark.Options(repo, configPath, TextOption("--project") ?? Path.Combine(repo, "datasets", "tabletop"),
        Option("--samples", 10000), Option("--gen-samples", 400), Option("--shards", 2),
        TextOption("--cache") ?? Path.Combine(Path.GetTempPath(), "synthbuild-bench-cache"), Option("--node-cores", 32),
        !args.Contains("--no-processes"), Option("--repeat", 2))); break;
    case "quality": QualityBenchmark.Run(Load(Option("--samples", 10000)), threads, args.Contains("--full-audit"), TextOption("--keep")); break;
    case "tool": ToolBenchmark.Run(new ToolBenchmark.Options(repo, TextOption("--synth"),
        args.Select((a, i) => (a, i)).Where(t => t.a == "--also" && t.i + 1 < args.Length).Select(t => args[t.i + 1])
            .Select(a => (a[..Math.Max(0, a.LastIndexOf('='))], a[(a.LastIndexOf('=') + 1)..])).ToList(),
        args.Contains("--r2r"), TextOption("--python") ?? "python3", Option("--runs", 7), Option("--images", 100))); break;
    case "probe": ProbeBenchmark.Run(repo, configPath, TextOption("--dataset"), Option("--samples", 200), new SynthBuild.Models.Probe.ProbeOptions
        {
            InputWidth = Option("--width", 160), InputHeight = Option("--height", 128), Epochs = Option("--epochs", 20),
            Seconds = Option("--seconds", 0), BatchSize = Option("--batch", 16), Threads = threads, Seed = (ulong)Option("--seed", 1),
            LearningRate = double.Parse(TextOption("--lr") ?? "2e-3", CultureInfo.InvariantCulture), Augment = args.Contains("--augment"),
        }, TextOption("--report")); break;
    default:
        Console.WriteLine("""
            usage: SynthBuild.Benchmarks <command> [options]
              generate     [--samples N=200] [--threads T] [--config synth.json]
                           samples/s and peak memory of a clean build, and the encode+write floor for the same files
              stages       [--samples N=40] [--config synth.json]
                           the real pipeline on one thread: milliseconds per sample in each stage
              render       [--samples N=100] [--repeat R=5] [--config synth.json]
                           scene sampling and rendering alone on one thread, the same N scenes R times: best and
                           median ms/sample over the passes (steadier than `stages` for comparing renderer changes)
              incremental  [--samples N=1000] [--threads T] [--config synth.json]
                           clean build of N, then no-op rebuild time and time to add 10% more samples
              augment      [--samples N=32] [--images I=300] [--epochs E=2] [--preview out.png] [--config synth.json]
                           single-thread images/s (with labels) for flip + rotate + random crop + colour jitter at the
                           config's size, per-transform rates (whole sample and RGB only), and AugmentedLoader
                           batches/s with all cores plus its peak memory (measured in a child process)
              quality      [--samples N=10000] [--threads T] [--config synth.json] [--full-audit] [--keep DIR]
                           generation time of N, then the quality stage (analysis, gates, json/md/html): analysis
                           time as a share of generation and the peak working set while analysing; --full-audit
                           also times decoding every sample (SynthQualityAudit=all); --keep generates into DIR and keeps it
              shards       [--samples N=10000] [--gen-samples G=400] [--shards K=2] [--cache DIR] [--node-cores C=32]
                         [--repeat R=2] [--no-processes] [--project DIR] [--config synth.json]
                           (a) G samples as K concurrent shards x 1 thread vs one build x K threads, in-process and as
                           `dotnet build` processes: overhead %; (b) merge of N samples (built once into DIR, default
                           /tmp/synthbuild-bench-cache) with page cache evicted and warm: s per 10,000 samples, MB/s;
                           (c) CPU ms/sample and samples/day for 1, 10, 100 nodes of C cores
              tool         [--synth PATH] [--r2r] [--also LABEL=PATH]... [--python PY=python3] [--runs R=7] [--images N=100]
                           whole-command `synth --help` and `synth eval` (bbox, segm) on the COCO fixture against
                           pycocotools' whole command (Python start, load, evaluate, accumulate, summarize): median ms
                           and the ratio. Without --synth it packs src/SynthBuild.Cli and installs it with `dotnet tool
                           install` first (linux-x64: Native AOT); --r2r also publishes and times a ReadyToRun build
                           (what the package held before AOT; and it JIT only) and prints its time / the installed tool's;
                           --also adds another executable. pycocotools must be importable by PY (PYTHONPATH)
              probe        [--samples N=200] [--dataset DIR] [--width 160] [--height 128] [--epochs 20] [--seconds S]
                           [--batch 16] [--lr 2e-3] [--augment] [--seed 1] [--threads T] [--report probe.json] [--config synth.json]
                           trains the probe detector (TorchSharp, CPU) on the train split of datasets/tabletop/bin/dataset
                           (or of N samples of the config built in-process): training time, loss curve endpoints,
                           AP/AP50/AP75 on val and test
            export       [--samples N=1000] [--threads T] [--config synth.json]
                           generation time of N, then COCO + YOLO + TFRecord + NumPy export time (all four in one
                           pass, then each alone) and the peak working set while exporting
            """);
        break;
}

DatasetSpec Load(int samples)
{
    var r = ConfigLoader.Load(configPath, new ConfigOverrides(samples.ToString(CultureInfo.InvariantCulture)));
    if (!r.Succeeded) throw new InvalidOperationException(string.Join("\n", r.Diagnostics));
    return r.Spec!;
}

void Generate(int samples)
{
    var spec = Load(samples);
    string dir = TempDir();
    try
    {
        // Warm-up on a separate folder so JIT tiering is not charged to the measurement.
        new DatasetBuilder(spec with { Samples = Math.Min(8, samples) }, TempDir()).Build();
        long startAlloc = GC.GetTotalAllocatedBytes();
        TimeSpan pauseBefore = GC.GetTotalPauseDuration();
        int gen2Before = GC.CollectionCount(2);
        var timings = new StageTimings();
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var result = new DatasetBuilder(spec, dir, new BuildOptions(threads, Timings: timings)).Build();
        double cpuPerSample = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / samples;
        Console.WriteLine($"generate: {samples} samples at {spec.Width}x{spec.Height}, {Threads()} threads");
        Console.WriteLine($"  time             {result.Elapsed.TotalSeconds:F2} s");
        Console.WriteLine($"  throughput       {result.SamplesPerSecond:F1} samples/s");
        // CPU time is what the build itself consumed: on a machine shared with other jobs it stays meaningful
        // when the wall-clock throughput does not.
        Console.WriteLine($"  process CPU time {cpuPerSample:F1} ms/sample (all threads, GC included) = {Threads() * 1000 / cpuPerSample:F1} samples/s on {Threads()} otherwise idle cores");
        Console.WriteLine($"  peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB");
        Console.WriteLine($"  allocated        {(GC.GetTotalAllocatedBytes() - startAlloc) / 1048576.0 / samples:F1} MiB/sample");
        Console.WriteLine($"  GC pauses        {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds / samples:F2} ms/sample, {GC.CollectionCount(2) - gen2Before} gen-2 collections");
        long bytes = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"  dataset size     {bytes / 1048576.0:F1} MiB ({bytes / 1024.0 / samples:F0} KiB/sample)");
        Console.WriteLine("  thread time per stage (all workers; with both cores busy each stage runs slower than alone, see `stages`):");
        PrintStages(timings, samples);

        // The floor: encode the same pixels and write the same files, nothing else.
        var rgb = new List<byte[]>(); var depth = new List<ushort[]>(); var seg = new List<ushort[]>(); var sem = new List<ushort[]?>(); var ann = new List<byte[]>();
        int floorSamples = Math.Min(samples, 200);
        for (int i = 0; i < floorSamples; i++)
        {
            string stem = DatasetLayout.Stem(i, samples);
            rgb.Add(Png.Decode(File.ReadAllBytes(Path.Combine(dir, DatasetLayout.Rgb(stem)))).Bytes!);
            depth.Add(Png.Decode(File.ReadAllBytes(Path.Combine(dir, DatasetLayout.Depth(stem)))).Words!);
            seg.Add(Png.Decode(File.ReadAllBytes(Path.Combine(dir, DatasetLayout.Segmentation(stem)))).Words!);
            string semantic = Path.Combine(dir, DatasetLayout.Semantic(stem));
            sem.Add(File.Exists(semantic) ? Png.Decode(File.ReadAllBytes(semantic)).Words! : null);
            ann.Add(File.ReadAllBytes(Path.Combine(dir, DatasetLayout.Annotation(stem))));
        }
        string floorDir = TempDir();
        var clock = Stopwatch.StartNew();
        Parallel.For(0, floorSamples, new ParallelOptions { MaxDegreeOfParallelism = Threads() }, i =>
        {
            string stem = DatasetLayout.Stem(i, samples);
            Write(floorDir, DatasetLayout.Rgb(stem), Png.EncodeRgb8(rgb[i], spec.Width, spec.Height, noisy: spec.Sensor.GaussianNoiseStd > 0));
            Write(floorDir, DatasetLayout.Depth(stem), Png.EncodeGray16(depth[i], spec.Width, spec.Height));
            Write(floorDir, DatasetLayout.Segmentation(stem), Png.EncodeGray16(seg[i], spec.Width, spec.Height, filter: 0));
            if (sem[i] is ushort[] semantic) Write(floorDir, DatasetLayout.Semantic(stem), Png.EncodeGray16(semantic, spec.Width, spec.Height, filter: 0));
            Write(floorDir, DatasetLayout.Annotation(stem), ann[i]);
        });
        double floorRate = floorSamples / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"  floor (encode + hash + write the same files only) {floorRate:F1} samples/s");
        Console.WriteLine($"  generator reaches {100 * result.SamplesPerSecond / floorRate:F0}% of the floor");
        Directory.Delete(floorDir, true);
    }
    finally { Directory.Delete(dir, true); }
}

void Incremental(int samples)
{
    string dir = TempDir();
    try
    {
        var spec = Load(samples);
        var clean = new DatasetBuilder(spec, dir, new BuildOptions(threads)).Build();
        Console.WriteLine($"incremental: {samples} samples at {spec.Width}x{spec.Height}, {Threads()} threads");
        Console.WriteLine($"  clean build      {clean.Elapsed.TotalSeconds:F2} s ({clean.SamplesPerSecond:F1} samples/s)");
        var noop = new DatasetBuilder(spec, dir, new BuildOptions(threads)).Build();
        Console.WriteLine($"  no-op rebuild    {noop.Elapsed.TotalSeconds:F2} s (generated {noop.Generated}, files written {noop.FilesWritten}; verifies every file's SHA-256)");
        int more = samples + samples / 10;
        var grown = new DatasetBuilder(Load(more), dir, new BuildOptions(threads)).Build();
        Console.WriteLine($"  +10% samples     {grown.Elapsed.TotalSeconds:F2} s (generated {grown.Generated}, reused {grown.Reused})");
        Console.WriteLine($"  peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB");
    }
    finally { Directory.Delete(dir, true); }
}

void Export(int samples)
{
    string dir = TempDir();
    try
    {
        var spec = Load(samples);
        var gen = new DatasetBuilder(spec, dir, new BuildOptions(threads)).Build();
        long genPeak = Process.GetCurrentProcess().PeakWorkingSet64;
        Console.WriteLine($"export: {samples} samples at {spec.Width}x{spec.Height}, {Threads()} threads");
        Console.WriteLine($"  generation       {gen.Elapsed.TotalSeconds:F2} s ({gen.SamplesPerSecond:F1} samples/s), peak working set {genPeak / 1048576.0:F0} MiB");
        var diagnostics = new List<SynthBuild.Core.Diagnostics.Diagnostic>();
        IReadOnlyList<SynthBuild.Export.ExportRequest> Select(params string[] names) =>
            SynthBuild.Export.ExportOptions.Parse(names.Select(n => (n, (IReadOnlyDictionary<string, string>)new Dictionary<string, string>())), null, diagnostics)!;

        void Measure(string label, IReadOnlyList<SynthBuild.Export.ExportRequest> requests)
        {
            string exports = Path.Combine(dir, "exports-" + label.Replace(' ', '_').Replace('+', '_'));
            GC.Collect();
            long baseline = Process.GetCurrentProcess().WorkingSet64, peak = baseline;
            using var sampler = new Timer(_ => { long ws = Process.GetCurrentProcess().WorkingSet64; if (ws > Interlocked.Read(ref peak)) Interlocked.Exchange(ref peak, ws); }, null, 0, 20);
            var r = SynthBuild.Export.DatasetExporter.Run(dir, exports, requests, threads);
            if (!r.Succeeded) throw new InvalidOperationException(string.Join("\n", r.Diagnostics));
            long bytes = Directory.EnumerateFiles(exports, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Console.WriteLine($"  {label,-28} {r.Elapsed.TotalSeconds,7:F2} s = {100 * r.Elapsed.TotalSeconds / gen.Elapsed.TotalSeconds,5:F0}% of generation, {bytes / 1048576.0,7:F0} MiB written, peak working set {Interlocked.Read(ref peak) / 1048576.0:F0} MiB (before: {baseline / 1048576.0:F0} MiB)");
            Directory.Delete(exports, true);
        }

        Measure("coco+yolo+tfrecord+numpy", Select("coco", "yolo", "tfrecord", "numpy"));
        foreach (string f in new[] { "coco", "yolo", "tfrecord", "numpy" }) Measure(f, Select(f));
    }
    finally { Directory.Delete(dir, true); }
}

void Stages(int samples)
{
    // The real pipeline on one thread: per-stage times are not blurred by the other core's work.
    var spec = Load(samples);
    new DatasetBuilder(spec with { Samples = Math.Min(8, samples) }, TempDir()).Build(); // JIT warm-up
    string dir = TempDir();
    try
    {
        var timings = new StageTimings();
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var result = new DatasetBuilder(spec, dir, new BuildOptions(1, Timings: timings)).Build();
        double cpuPerSample = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / samples;
        Console.WriteLine($"stages: {samples} samples at {spec.Width}x{spec.Height}, 1 thread, {result.SamplesPerSecond:F1} samples/s, process CPU time {cpuPerSample:F1} ms/sample");
        PrintStages(timings, samples);
    }
    finally { Directory.Delete(dir, true); }
}

void Render(int samples, int repeat)
{
    var spec = Load(samples);
    var sampler = new SynthBuild.Core.Scene.SceneSampler(spec, SynthBuild.Core.Assets.AssetLibrary.LoadOrThrow(spec));
    var renderer = new SynthBuild.Core.Rendering.RasterRenderer();
    var target = new SynthBuild.Core.Rendering.RenderTarget(spec.Width, spec.Height);
    var scenes = new SynthBuild.Core.Scene.SceneDescription[samples];
    long start = Stopwatch.GetTimestamp();
    for (int i = 0; i < samples; i++) scenes[i] = sampler.Sample(i);
    double sceneMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds / samples;
    foreach (var scene in scenes.Take(8)) renderer.Render(scene, target); // JIT warm-up
    var passes = new List<double>();
    for (int r = 0; r < repeat; r++)
    {
        start = Stopwatch.GetTimestamp();
        foreach (var scene in scenes) renderer.Render(scene, target);
        passes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds / samples);
    }
    passes.Sort();
    Console.WriteLine($"render: {samples} scenes at {spec.Width}x{spec.Height}, 1 thread, {repeat} passes");
    Console.WriteLine($"  scene sampling   {sceneMs:F2} ms/sample (first pass, includes JIT)");
    Console.WriteLine($"  render           best {passes[0]:F2}, median {passes[passes.Count / 2]:F2} ms/sample");
}

static void PrintStages(StageTimings timings, int samples)
{
    foreach (var stage in Enum.GetValues<GenerationStage>())
        Console.WriteLine($"    {stage,-14} {timings[stage].TotalMilliseconds / samples,7:F2} ms/sample");
    Console.WriteLine($"    {"total",-14} {timings.Total.TotalMilliseconds / samples,7:F2} ms/sample");
}

int Threads() => threads > 0 ? threads : Environment.ProcessorCount;

static void Write(string root, string relative, byte[] bytes)
{
    System.Security.Cryptography.SHA256.HashData(bytes);
    AtomicFile.Write(DatasetLayout.FullPath(root, relative), bytes);
}

static string TempDir()
{
    string d = Path.Combine(Path.GetTempPath(), "synthbuild-bench", Guid.NewGuid().ToString("N"));
    Directory.CreateDirectory(d);
    return d;
}

static string FindRepo()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SynthBuild.sln"))) dir = dir.Parent;
    return dir?.FullName ?? Directory.GetCurrentDirectory();
}
