using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Randomness;
using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Sensors;
using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Pipeline;

/// <summary>Live counters a caller may poll from another thread while a build runs.</summary>
public sealed class BuildMonitor
{
    private int _done;
    public int Done => Volatile.Read(ref _done);
    public int Total { get; internal set; }
    internal void SampleDone() => Interlocked.Increment(ref _done);
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
    public const string ManifestUnreadable = "SYN3001";
    public const string OutputNotWritable = "SYN3002";
    public const string GenerationFailed = "SYN2001";
    public const string TooFewObjects = "SYN2002";
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
            return Failed(Diagnostic.Error(OutputNotWritable, $"Cannot write the dataset folder: {ex.Message}", _root), clock);
        }

        Manifest? old = Manifest.TryRead(manifestPath, out string? problem);
        if (problem is not null)
            diagnostics.Add(Diagnostic.Warning(ManifestUnreadable, $"Existing manifest is unreadable ({problem}); every sample is verified against a fresh generation.", manifestPath));

        string specHash = SpecFingerprint.Hash(spec);
        var oldByIndex = new Dictionary<long, ManifestSample>();
        foreach (var s in old?.Samples ?? []) oldByIndex[s.Index] = s;

        // Which samples can be kept as they are: same input key and every file present and intact.
        var entries = new ManifestSample?[spec.Samples];
        var keys = new string[spec.Samples];
        for (int i = 0; i < spec.Samples; i++) keys[i] = SampleKey(specHash, spec.Seed, i);
        Parallel.For(0, spec.Samples, Parallelism(cancellation), i =>
        {
            if (oldByIndex.TryGetValue(i, out var prev) && prev.Key == keys[i] && FilesIntact(_root, prev))
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
                () => new Worker(spec, sampler, sensor, _options.Timings),
                (t, _, worker) =>
                {
                    int i = todo[t];
                    var (entry, written, warning) = worker.Generate(i, keys[i], _root, oldByIndex.GetValueOrDefault(i));
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
                    WriteManifest(manifestPath, specHash, entries);
                    checkpoint.Restart();
                }
            }
            _options.OnTick?.Invoke();
            failure = work.Exception?.Flatten().InnerExceptions.FirstOrDefault();
        }

        if (failure is not null || cancellation.IsCancellationRequested)
        {
            // Keep what is on disk; record what was completed so the next build resumes from it.
            WriteManifest(manifestPath, specHash, entries);
            diagnostics.Add(failure is null or OperationCanceledException
                ? Diagnostic.Error(GenerationFailed, "Generation was cancelled; the next build completes the dataset.", _root)
                : Diagnostic.Error(GenerationFailed, $"Generation failed: {failure.GetType().Name}: {failure.Message}", _root));
            return new BuildResult(monitor.Done, reused, 0, filesWritten, "", clock.Elapsed, diagnostics);
        }

        // Samples beyond the requested count, and files the new manifest no longer lists, are removed.
        var keep = new HashSet<string>(entries.Where(e => e is not null).SelectMany(e => e!.Files).Select(f => f.Path), StringComparer.Ordinal);
        int removed = 0;
        foreach (var s in old?.Samples ?? [])
        {
            bool any = false;
            foreach (var f in s.Files)
            {
                if (keep.Contains(f.Path)) continue;
                string full = DatasetLayout.FullPath(_root, f.Path);
                if (File.Exists(full)) { File.Delete(full); any = true; }
            }
            if (any && s.Index >= spec.Samples) removed++;
        }

        Manifest manifest = WriteManifest(manifestPath, specHash, entries);
        if (!warnings.IsEmpty)
        {
            // One summary line, not one per sample.
            var sorted = warnings.OrderBy(w => w.Message, StringComparer.Ordinal).ToList();
            diagnostics.Add(sorted.Count == 1 ? sorted[0] : Diagnostic.Warning(TooFewObjects,
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

    private Manifest WriteManifest(string path, string specHash, ManifestSample?[] entries)
    {
        var samples = entries.Where(e => e is not null).Select(e => e!).ToList();
        var manifest = new Manifest(EngineInfo.Version, specHash, samples, Manifest.ComputeDigest(samples));
        AtomicFile.WriteIfChanged(path, manifest.ToJsonBytes());
        return manifest;
    }

    /// <summary>Every file the manifest lists for a sample exists with its recorded size and hash.</summary>
    internal static bool FilesIntact(string root, ManifestSample sample)
    {
        foreach (var f in sample.Files)
        {
            string full = DatasetLayout.FullPath(root, f.Path);
            var info = new FileInfo(full);
            if (!info.Exists || info.Length != f.Size) return false;
            // Streamed through a pooled buffer: no large per-file arrays on a no-op build.
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (Convert.ToHexStringLower(SHA256.HashData(stream)) != f.Sha256) return false;
        }
        return true;
    }

    private ParallelOptions Parallelism(CancellationToken ct) => new()
    {
        MaxDegreeOfParallelism = _options.Threads > 0 ? _options.Threads : Environment.ProcessorCount,
        CancellationToken = ct,
    };

    private BuildResult Failed(Diagnostic d, Stopwatch clock) => new(0, 0, 0, 0, "", clock.Elapsed, [d]);

    internal static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Per-thread state: buffers are reused across the samples one thread generates.</summary>
    private sealed class Worker(DatasetSpec spec, SceneSampler sampler, SensorModel sensor, StageTimings? timings)
    {
        private readonly RasterRenderer _renderer = new();
        private readonly RenderTarget _target = NewTarget(spec);
        // With lens distortion the pinhole image is rendered with a margin into _pinhole and resampled into _target.
        private readonly int _margin = spec.Camera.Distortion.IsZero ? 0 : LensWarp.Margin(spec.Camera.Distortion, spec.Width, spec.Height,
            spec.Camera.Fx, spec.Camera.Fy, spec.Camera.Cx, spec.Camera.Cy, 1 - spec.Camera.FocalLengthVariation);
        private RenderTarget? _pinhole;
        private RenderTarget? _highRes;
        private readonly ushort[] _depthMm = new ushort[spec.Width * spec.Height];
        private readonly ushort[] _semantic = new ushort[spec.Width * spec.Height];
        // Encoded PNGs, one reused buffer per image kind: no large per-sample arrays for the GC to churn.
        private readonly MemoryStream _rgbPng = new(), _depthPng = new(), _segmentationPng = new(), _semanticPng = new();

        private long Lap(GenerationStage stage, long start) => timings?.Lap(stage, start) ?? start;

        private void Render(SceneDescription scene, RenderTarget target, int factor)
        {
            if (factor <= 1) { _renderer.Render(scene, target); return; }
            if (_highRes is null || _highRes.Width != target.Width * factor || _highRes.Height != target.Height * factor)
                _highRes = new RenderTarget(target.Width * factor, target.Height * factor);
            _renderer.RenderSupersampled(scene, target, factor, _highRes);
        }

        private static RenderTarget NewTarget(DatasetSpec spec)
        {
            var t = new RenderTarget(spec.Width, spec.Height);
            if (spec.OutputsOrDefault.Normals) t.EnableNormals();
            return t;
        }

        public (ManifestSample Entry, int FilesWritten, Diagnostic? Warning) Generate(int index, string key, string root, ManifestSample? previous)
        {
            // Objects hidden entirely behind others have no pixel and no label; a scene left with fewer visible
            // objects than objectsPerScene.min is redrawn (a few times at most, deterministically).
            SceneDescription scene;
            SampleAnnotation annotation;
            int attempt = 0;
            long t = Stopwatch.GetTimestamp();
            while (true)
            {
                scene = sampler.Sample(index, attempt);
                t = Lap(GenerationStage.Scene, t);
                int factor = spec.RenderOrDefault.Supersampling;
                if (spec.Camera.Distortion.IsZero)
                {
                    Render(scene, _target, factor);
                }
                else
                {
                    var pinholeScene = scene with { Camera = LensWarp.PinholeWithMargin(scene.Camera, _margin) };
                    if (_pinhole is null)
                    {
                        _pinhole = new RenderTarget(pinholeScene.Camera.Width, pinholeScene.Camera.Height);
                        _pinhole.EnableCoverageMasks();
                        if (spec.OutputsOrDefault.Normals) _pinhole.EnableNormals();
                    }
                    Render(pinholeScene, _pinhole, factor);
                    LensWarp.Apply(scene.Camera, _pinhole, _margin, _target, scene.Objects.Count);
                }
                t = Lap(GenerationStage.Render, t);
                annotation = LabelExtractor.Extract(index, scene, _target);
                t = Lap(GenerationStage.Labels, t);
                if (annotation.Objects.Count >= spec.ObjectsPerScene.Min || ++attempt > MaxSceneRedraws) break;
            }
            sensor.ApplyRgbNoise(_target.Rgb, RandomStream.For(spec.Seed, index, "sensor.rgb"));
            sensor.ApplyDeadPixels(_target.Rgb, spec.Width, spec.Height, spec.Seed);
            var curriculum = spec.CurriculumOrDefault;
            double dropout = curriculum.DepthDropout is ValueRange dr ? CurriculumSpec.Lerp(dr, curriculum.Difficulty(index)) : spec.Sensor.DepthDropout;
            sensor.ToDepth(_target.DepthMetres, _depthMm, spec.Width, RandomStream.For(spec.Seed, index, "sensor.depth"), dropout);
            t = Lap(GenerationStage.Sensor, t);

            // What the quality analysis needs from these pixels, while they are in memory (docs/quality.md).
            annotation = annotation with { Stats = ImageStatistics.Compute(_target.Rgb, _depthMm, _target.InstanceIds, spec.Width, spec.Height, annotation.Objects.Count) };
            t = Lap(GenerationStage.ImageStats, t);

            string stem = DatasetLayout.Stem(index, spec.Samples);
            var outputs = new List<(string Path, ReadOnlyMemory<byte> Bytes)>(7);
            outputs.Add((DatasetLayout.Rgb(stem), Png.EncodeRgb8(_target.Rgb, spec.Width, spec.Height, _rgbPng, noisy: spec.Sensor.GaussianNoiseStd > 0)));
            t = Lap(GenerationStage.EncodeRgb, t);
            outputs.Add((DatasetLayout.Depth(stem), Png.EncodeGray16(_depthMm, spec.Width, spec.Height, filter: 1, _depthPng)));
            t = Lap(GenerationStage.EncodeDepth, t);
            outputs.Add((DatasetLayout.Segmentation(stem), Png.EncodeGray16(_target.InstanceIds, spec.Width, spec.Height, filter: 0, _segmentationPng)));
            var extra = new List<KeyValuePair<string, string>>();
            OutputSpec wanted = spec.OutputsOrDefault;
            if (wanted.Semantic)
            {
                SampleOutputs.Semantic(_target.InstanceIds, annotation, _semantic);
                outputs.Add((DatasetLayout.Semantic(stem), Png.EncodeGray16(_semantic, spec.Width, spec.Height, filter: 0, _semanticPng)));
                extra.Add(new("semantic", DatasetLayout.Semantic(stem)));
            }
            if (wanted.PointCloud)
            {
                outputs.Add((DatasetLayout.PointCloud(stem), SampleOutputs.PointCloudNpy(_depthMm, spec.Width, spec.Height, annotation.Camera)));
                extra.Add(new("pointCloud", DatasetLayout.PointCloud(stem)));
            }
            if (wanted.Normals)
            {
                outputs.Add((DatasetLayout.Normals(stem), Png.EncodeRgb8(SampleOutputs.NormalsRgb(_target.Normals!), spec.Width, spec.Height)));
                extra.Add(new("normals", DatasetLayout.Normals(stem)));
            }
            t = Lap(GenerationStage.EncodeMasks, t);
            outputs.Add((DatasetLayout.Annotation(stem), AnnotationJson.Sample(annotation with { ExtraFiles = extra.Count > 0 ? extra : null }, stem)));
            t = Lap(GenerationStage.Annotation, t);

            var files = WriteSampleFiles(root, outputs, previous, out int written);
            Lap(GenerationStage.HashAndWrite, t);

            Diagnostic? warning = annotation.Objects.Count < spec.ObjectsPerScene.Min
                ? Diagnostic.Warning(TooFewObjects,
                    $"Sample {index}: only {annotation.Objects.Count} visible object(s) could be placed (objectsPerScene.min = {spec.ObjectsPerScene.Min}); " +
                    "the objects may be too large for the camera's view.")
                : null;
            return (new ManifestSample(index, key, files), written, warning);
        }
    }

    /// <summary>Writes a sample's files and returns their manifest entries; files whose bytes did not change are left as they are.</summary>
    internal static List<ManifestFile> WriteSampleFiles(string root, IReadOnlyList<(string Path, ReadOnlyMemory<byte> Bytes)> outputs, ManifestSample? previous, out int written)
    {
            var files = new List<ManifestFile>(outputs.Count);
            written = 0;
            foreach (var (path, bytes) in outputs)
            {
                string sha = Sha256Hex(bytes.Span);
                string full = DatasetLayout.FullPath(root, path);
                // Unchanged content keeps its file (and timestamp), e.g. masks when only the lighting changed.
                bool same = previous?.Files.Any(f => f.Path == path && f.Sha256 == sha) == true
                            && File.Exists(full) && File.ReadAllBytes(full).AsSpan().SequenceEqual(bytes.Span);
                if (!same)
                {
                    AtomicFile.Write(full, bytes.Span);
                    written++;
                }
                files.Add(new ManifestFile(path, sha, bytes.Length));
            }
            return files;
    }
}
