using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Sensors;
using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Pipeline;

/// <summary>Live counters a caller may poll from another thread while a build runs; every builder (the generator,
/// the augmented builder) reports into it.</summary>
public sealed class BuildMonitor
{
    private int _done;
    public int Done => Volatile.Read(ref _done);
    /// <summary>Samples this build will produce; set by the builder before its first <see cref="SampleDone"/>.</summary>
    public int Total { get; set; }
    public void SampleDone() => Interlocked.Increment(ref _done);
}

/// <param name="Timings">When set, receives the thread time of each generation stage (benchmarks).</param>
public sealed record BuildOptions(int Threads = 0, BuildMonitor? Monitor = null, Action? OnTick = null,
    TimeSpan? CheckpointInterval = null, StageTimings? Timings = null);

public sealed record BuildResult(
    int Generated,
    int Reused,
    int Removed,
    int FilesWritten,
    string Digest,
    TimeSpan Elapsed,
    IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => !Diagnostics.Any(d => d.IsError);
    public double SamplesPerSecond => Elapsed.TotalSeconds > 0 ? Generated / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Brings a dataset folder in line with a spec: verifies what the manifest says is there, generates only the
/// samples whose input key changed or whose files are missing or altered, removes samples beyond the requested
/// count, and rewrites the manifest. Parallel across samples (one sample is one thread's work), bounded: memory
/// stays flat in the number of samples. Outputs do not depend on the thread count.
/// The spec's assets are decoded only when a sample needs generating, by <paramref name="assets"/> (a caller that
/// already holds them passes them in; by default <see cref="AssetLibrary.Load"/>).
/// </summary>
public sealed class DatasetBuilder(DatasetSpec spec, string outputDirectory, BuildOptions? options = null, Func<AssetLoadResult>? assets = null)
{
    private const int MaxSceneRedraws = 4;

    private readonly BuildOptions _options = options ?? new BuildOptions();
    private readonly string _root = Path.GetFullPath(outputDirectory);

    public BuildResult Build(CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var diagnostics = new List<Diagnostic>();
        string manifestPath = Path.Combine(_root, Manifest.FileName);
        try
        {
            Directory.CreateDirectory(_root);
            AtomicFile.RemoveLeftovers(_root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Failed(Diagnostic.Error(SynCodes.OutputNotWritable, $"Cannot write the dataset folder: {ex.Message}", _root), clock);
        }

        Manifest? old = Manifest.TryRead(manifestPath, out string? problem);
        if (problem is not null)
            diagnostics.Add(Diagnostic.Warning(SynCodes.ManifestUnreadable, $"Existing manifest is unreadable ({problem}); every sample is verified against a fresh generation.", manifestPath));

        string specHash = SpecFingerprint.Hash(spec);
        var oldByIndex = new Dictionary<long, ManifestSample>();
        foreach (var s in old?.Samples ?? []) oldByIndex[s.Index] = s;

        // Which samples can be kept as they are: same input key and every file present and intact.
        var entries = new ManifestSample?[spec.Samples];
        var keys = new string[spec.Samples];
        for (int i = 0; i < spec.Samples; i++) keys[i] = SampleKey(specHash, spec.Seed, i);
        Parallel.For(0, spec.Samples, Parallelism(cancellation), i =>
        {
            if (oldByIndex.TryGetValue(i, out var prev) && prev.Key == keys[i] && DatasetWriter.FilesIntact(_root, prev))
                entries[i] = prev;
        });
        var todo = Enumerable.Range(0, spec.Samples).Where(i => entries[i] is null).ToArray();
        int reused = spec.Samples - todo.Length;

        var monitor = _options.Monitor ?? new BuildMonitor();
        monitor.Total = todo.Length;
        int filesWritten = 0;
        var warnings = new System.Collections.Concurrent.ConcurrentBag<Diagnostic>();
        Exception? failure = null;

        if (todo.Length > 0)
        {
            AssetLoadResult loaded = assets?.Invoke() ?? AssetLibrary.Load(spec);
            if (loaded.Library is null)
                return new BuildResult(0, reused, 0, 0, "", clock.Elapsed, [.. diagnostics, .. loaded.Diagnostics]);
            var sampler = new SceneSampler(spec, loaded.Library);
            var sensor = new SensorModel(spec.Sensor);
            var work = Task.Run(() => Parallel.For(0, todo.Length, Parallelism(cancellation),
                () => new Worker(spec, sampler, sensor, _root, _options.Timings),
                (t, _, worker) =>
                {
                    int i = todo[t];
                    var (entry, written, warning) = worker.Generate(i, keys[i], oldByIndex.GetValueOrDefault(i));
                    entries[i] = entry;
                    Interlocked.Add(ref filesWritten, written);
                    if (warning is not null) warnings.Add(warning);
                    monitor.SampleDone();
                    return worker;
                },
                _ => { }), CancellationToken.None);

            var checkpoint = Stopwatch.StartNew();
            TimeSpan interval = _options.CheckpointInterval ?? TimeSpan.FromSeconds(10);
            while (!WaitQuietly(work, 250))
            {
                _options.OnTick?.Invoke();
                if (checkpoint.Elapsed >= interval)
                {
                    // A killed build resumes from here instead of regenerating everything.
                    DatasetWriter.WriteManifest(_root, specHash, entries);
                    checkpoint.Restart();
                }
            }
            _options.OnTick?.Invoke();
            failure = work.Exception?.Flatten().InnerExceptions.FirstOrDefault();
        }

        if (failure is not null || cancellation.IsCancellationRequested)
        {
            // Keep what is on disk; record what was completed so the next build resumes from it.
            DatasetWriter.WriteManifest(_root, specHash, entries);
            diagnostics.Add(failure is null or OperationCanceledException
                ? Diagnostic.Error(SynCodes.GenerationFailed, "Generation was cancelled; the next build completes the dataset.", _root)
                : Diagnostic.Error(SynCodes.GenerationFailed, $"Generation failed: {failure.GetType().Name}: {failure.Message}", _root));
            return new BuildResult(monitor.Done, reused, 0, filesWritten, "", clock.Elapsed, diagnostics);
        }

        // Samples beyond the requested count, and files the new manifest no longer lists, are removed.
        int removed = DatasetWriter.RemoveUnlisted(_root, old, entries, spec.Samples);

        Manifest manifest = DatasetWriter.WriteManifest(_root, specHash, entries);
        if (!warnings.IsEmpty)
        {
            // One summary line, not one per sample.
            var sorted = warnings.OrderBy(w => w.Message, StringComparer.Ordinal).ToList();
            diagnostics.Add(sorted.Count == 1 ? sorted[0] : Diagnostic.Warning(SynCodes.TooFewObjects,
                $"{sorted.Count} samples have fewer visible objects than objectsPerScene.min; first: {sorted[0].Message}"));
        }
        string datasetFile = Path.Combine(_root, DatasetLayout.DatasetFile);
        byte[] description = AnnotationJson.Dataset(spec, manifest);
        // The lineage stage's git provenance stays while the digest it describes stays (a no-op build rewrites nothing).
        if (AnnotationJson.CarriedProvenance(datasetFile, manifest.Digest) is { } provenance)
            description = AnnotationJson.WithProvenance(description, provenance);
        AtomicFile.WriteIfChanged(datasetFile, description);

        return new BuildResult(monitor.Done, reused, removed, filesWritten, manifest.Digest, clock.Elapsed, diagnostics);
    }

    /// <summary>Input key of one sample: everything that determines its bytes.</summary>
    public static string SampleKey(string specHash, ulong seed, long index) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{specHash}|{seed}|{index}")))[..32];

    private static bool WaitQuietly(Task task, int milliseconds)
    {
        try { return task.Wait(milliseconds); }
        catch (AggregateException) { return true; } // inspected by the caller through task.Exception
    }

    private ParallelOptions Parallelism(CancellationToken ct) => new()
    {
        MaxDegreeOfParallelism = _options.Threads > 0 ? _options.Threads : Environment.ProcessorCount,
        CancellationToken = ct,
    };

    private BuildResult Failed(Diagnostic d, Stopwatch clock) => new(0, 0, 0, 0, "", clock.Elapsed, [d]);

    /// <summary>
    /// Per-thread state and the flow of one sample: scene → render → labels → sensor → statistics → files. Each step
    /// reads the previous steps' outputs and writes its own buffers (reused across the samples one thread generates).
    /// </summary>
    private sealed class Worker(DatasetSpec spec, SceneSampler sampler, SensorModel sensor, string root, StageTimings? timings)
    {
        private readonly IRenderer _renderer = new RasterRenderer(RasterOptions.For(spec));
        private readonly DatasetWriter _writer = new(root);
        // The id image after dense renumbering (when an object is hidden entirely), the sensor's RGB and depth, the
        // semantic image.
        private readonly ushort[] _renumberedIds = new ushort[spec.Width * spec.Height];
        private readonly byte[] _sensorRgb = new byte[spec.Width * spec.Height * 3];
        private readonly ushort[] _depthMm = new ushort[spec.Width * spec.Height];
        private readonly ushort[] _semantic = new ushort[spec.Width * spec.Height];

        private long Lap(GenerationStage stage, long start) => timings?.Lap(stage, start) ?? start;

        public (ManifestSample Entry, int FilesWritten, Diagnostic? Warning) Generate(int index, string key, ManifestSample? previous)
        {
            // Objects hidden entirely behind others have no pixel and no label; a scene left with fewer visible
            // objects than objectsPerScene.min is redrawn (a few times at most, deterministically).
            SceneDescription scene;
            RenderResult render;
            SampleAnnotation annotation;
            ReadOnlySpan<ushort> ids;
            int attempt = 0;
            long t = Stopwatch.GetTimestamp();
            while (true)
            {
                scene = sampler.Sample(index, attempt);
                t = Lap(GenerationStage.Scene, t);
                render = _renderer.Render(scene);
                t = Lap(GenerationStage.Render, t);
                annotation = LabelExtractor.Extract(index, scene, render, _renumberedIds, out ids);
                t = Lap(GenerationStage.Labels, t);
                if (annotation.Objects.Count >= spec.ObjectsPerScene.Min || ++attempt > MaxSceneRedraws) break;
            }
            int w = spec.Width, h = spec.Height;
            ReadOnlySpan<byte> rgb = sensor.CaptureRgb(render.Rgb, w, h, spec.Seed, index, _sensorRgb);
            var curriculum = spec.CurriculumOrDefault;
            double dropout = curriculum.DepthDropout is ValueRange dr ? CurriculumSpec.Lerp(dr, curriculum.Difficulty(index)) : spec.Sensor.DepthDropout;
            sensor.CaptureDepth(render.DepthMetres, w, spec.Seed, index, dropout, _depthMm);
            t = Lap(GenerationStage.Sensor, t);

            // What the quality analysis needs from these pixels, while they are in memory (docs/quality.md).
            annotation = annotation with { Stats = ImageStatistics.Compute(rgb, _depthMm, ids, w, h, annotation.Objects.Count) };
            t = Lap(GenerationStage.ImageStats, t);

            string stem = DatasetLayout.Stem(index, spec.Samples);
            _writer.AddRgb(stem, rgb, w, h, noisy: spec.Sensor.GaussianNoiseStd > 0);
            t = Lap(GenerationStage.EncodeRgb, t);
            _writer.AddDepth(stem, _depthMm, w, h);
            t = Lap(GenerationStage.EncodeDepth, t);
            _writer.AddSegmentation(stem, ids, w, h);
            OutputSpec wanted = spec.OutputsOrDefault;
            if (wanted.Semantic)
            {
                SampleOutputs.Semantic(ids, annotation, _semantic);
                _writer.AddSemantic(stem, _semantic, w, h);
            }
            if (wanted.PointCloud) _writer.AddPointCloud(stem, SampleOutputs.PointCloudNpy(_depthMm, w, h, annotation.Camera));
            if (wanted.Normals) _writer.AddNormals(stem, SampleOutputs.NormalsRgb(render.Normals), w, h);
            t = Lap(GenerationStage.EncodeMasks, t);
            _writer.AddAnnotation(stem, annotation);
            t = Lap(GenerationStage.Annotation, t);

            ManifestSample entry = _writer.Commit(index, key, previous, out int written);
            Lap(GenerationStage.HashAndWrite, t);

            Diagnostic? warning = annotation.Objects.Count < spec.ObjectsPerScene.Min
                ? Diagnostic.Warning(SynCodes.TooFewObjects,
                    $"Sample {index}: only {annotation.Objects.Count} visible object(s) could be placed (objectsPerScene.min = {spec.ObjectsPerScene.Min}); " +
                    "the objects may be too large for the camera's view.")
                : null;
            return (entry, written, warning);
        }
    }
}
