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
/// <param name="Shard">Shard mode: build only this index range and record it in its shard manifest
/// (<see cref="ShardManifest"/>) instead of manifest.json and dataset.json (docs/sharding.md).</param>
/// <param name="LockTimeout">How long to wait for another build holding the folder's (or shard's) lock; null:
/// <see cref="DatasetLock.DefaultTimeout"/>.</param>
/// <param name="UnlistedFiles">What to do with sample files the finished manifest does not list.</param>
public sealed record BuildOptions(int Threads = 0, BuildMonitor? Monitor = null, Action? OnTick = null,
    TimeSpan? CheckpointInterval = null, StageTimings? Timings = null, ShardRange? Shard = null,
    TimeSpan? LockTimeout = null, UnlistedFilePolicy UnlistedFiles = UnlistedFilePolicy.Remove);

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

    /// <summary>Builds under the folder's lock (a shard: its range's lock), so two builds never write one folder at once.</summary>
    public BuildResult Build(CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var diagnostics = new List<Diagnostic>();
        ShardRange? shard = _options.Shard;
        DatasetLock held;
        try
        {
            held = shard is null
                ? DatasetLock.Acquire(DatasetLock.PathFor(_root), "build", _options.LockTimeout ?? DatasetLock.DefaultTimeout, diagnostics.Add, cancellation)
                : DatasetLock.Acquire(DatasetLock.ShardPathFor(_root, shard.Index, shard.Count), $"shard {shard.Index} of {shard.Count}",
                    _options.LockTimeout ?? DatasetLock.DefaultTimeout, diagnostics.Add, cancellation);
        }
        catch (DiagnosticException ex) { return Failed(ex.Diagnostic, clock); }
        using (held)
        {
            try
            {
                return BuildLocked(clock, diagnostics, cancellation);
            }
            catch (DatasetWriteException ex)
            {
                // Disk full or an I/O error outside generation (manifest, journal, dataset.json): named, never a stack trace.
                diagnostics.Add(WriteFailed(ex));
                return new BuildResult(0, 0, 0, 0, "", clock.Elapsed, diagnostics);
            }
        }
    }

    private static Diagnostic WriteFailed(DatasetWriteException ex) => Diagnostic.Error(SynCodes.WriteFailed,
        $"{ex.Message.TrimEnd('.')}. The samples completed before the failure are kept; free space or fix the folder and build again to resume.", ex.Path);

    private BuildResult BuildLocked(Stopwatch clock, List<Diagnostic> diagnostics, CancellationToken cancellation)
    {
        ShardRange? shard = _options.Shard;
        string manifestPath = shard is null ? Path.Combine(_root, Manifest.FileName) : ShardManifest.PathFor(_root, shard.Index, shard.Count);
        try
        {
            Directory.CreateDirectory(_root);
            // Shards share the folder: one shard's sweep would delete another's files in flight (the merge sweeps).
            if (shard is null) AtomicFile.RemoveLeftovers(_root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Failed(Diagnostic.Error(SynCodes.OutputNotWritable, $"Cannot write the dataset folder: {ex.Message}", _root), clock);
        }

        string? problem = null;
        Manifest? old = null;
        IReadOnlyList<ManifestSample>? oldSamples;
        if (shard is null) oldSamples = (old = Manifest.TryRead(manifestPath, out problem))?.Samples;
        else
        {
            // A shard's own checkpoint first; else the folder's manifest.json (a merged or single build), whose
            // samples are as good to keep as the shard's own once their keys and hashes check out.
            oldSamples = ShardManifest.TryRead(manifestPath, out problem)?.Samples;
            if (oldSamples is null && problem is null) oldSamples = Manifest.TryRead(Path.Combine(_root, Manifest.FileName), out _)?.Samples;
        }
        if (problem is not null)
            diagnostics.Add(Diagnostic.Warning(SynCodes.ManifestUnreadable, $"Existing manifest is unreadable ({problem}); every sample is verified against a fresh generation.", manifestPath));

        string specHash = SpecFingerprint.Hash(spec);
        var oldByIndex = new Dictionary<long, ManifestSample>();
        foreach (var s in oldSamples ?? []) oldByIndex[s.Index] = s;
        // Samples finished after the last checkpoint of a killed build: verified below like the manifest's own.
        string journalPath = shard is null ? SampleJournal.PathFor(_root) : SampleJournal.ShardPathFor(_root, shard.Index, shard.Count);
        foreach (var s in SampleJournal.Read(journalPath)) oldByIndex[s.Index] = s;

        // Which samples can be kept as they are: same input key and every file present and intact.
        int start = shard?.Start ?? 0, end = shard?.End ?? spec.Samples;
        var entries = new ManifestSample?[spec.Samples];
        var keys = new string[spec.Samples];
        for (int i = start; i < end; i++) keys[i] = SampleKey(specHash, spec.Seed, i);
        var damaged = new System.Collections.Concurrent.ConcurrentBag<(long Index, ManifestFile File)>();
        Parallel.For(start, end, Parallelism(cancellation), i =>
        {
            if (!oldByIndex.TryGetValue(i, out var prev) || prev.Key != keys[i]) return;
            if (DatasetWriter.FirstDamagedFile(_root, prev) is { } bad) damaged.Add((i, bad));
            else entries[i] = prev;
        });
        ReportDamaged(_root, damaged, diagnostics);
        var todo = Enumerable.Range(start, end - start).Where(i => entries[i] is null).ToArray();
        int reused = end - start - todo.Length;
        // Where completed samples are recorded: the shard's own manifest, or manifest.json; the journal records each
        // finished sample at once and is emptied by each checkpoint.
        Action writeCheckpoint = shard is null
            ? () => DatasetWriter.WriteManifest(_root, specHash, entries)
            : () => WriteShardManifest(_root, spec, specHash, shard, entries);
        // Assets are decoded (and their SYN1008/1009 errors reported) before the journal is opened: a bad asset stops
        // the build before it writes anything.
        AssetLibrary? library = null;
        if (todo.Length > 0)
        {
            AssetLoadResult loaded = assets?.Invoke() ?? AssetLibrary.Load(spec);
            if (loaded.Library is null)
                return new BuildResult(0, reused, 0, 0, "", clock.Elapsed, [.. diagnostics, .. loaded.Diagnostics]);
            library = loaded.Library;
        }
        using SampleJournal journal = SampleJournal.Open(journalPath);
        void checkpoint() => journal.Checkpoint(writeCheckpoint);

        var monitor = _options.Monitor ?? new BuildMonitor();
        monitor.Total = todo.Length;
        int filesWritten = 0;
        var warnings = new System.Collections.Concurrent.ConcurrentBag<Diagnostic>();
        Exception? failure = null;

        if (todo.Length > 0)
        {
            var sampler = new SceneSampler(spec, library!);
            var sensor = new SensorModel(spec.Sensor);
            var work = Task.Run(() => Parallel.For(0, todo.Length, Parallelism(cancellation),
                () => new Worker(spec, sampler, sensor, _root, _options.Timings),
                (t, _, worker) =>
                {
                    int i = todo[t];
                    var (entry, written, warning) = worker.Generate(i, keys[i], oldByIndex.GetValueOrDefault(i));
                    entries[i] = entry;
                    journal.Append(entry);
                    Interlocked.Add(ref filesWritten, written);
                    if (warning is not null) warnings.Add(warning);
                    monitor.SampleDone();
                    return worker;
                },
                _ => { }), CancellationToken.None);

            var sinceCheckpoint = Stopwatch.StartNew();
            TimeSpan interval = _options.CheckpointInterval ?? TimeSpan.FromSeconds(10);
            while (!WaitQuietly(work, 250))
            {
                _options.OnTick?.Invoke();
                if (sinceCheckpoint.Elapsed >= interval)
                {
                    // A killed build resumes from here instead of regenerating everything.
                    checkpoint();
                    sinceCheckpoint.Restart();
                }
            }
            _options.OnTick?.Invoke();
            failure = work.Exception?.Flatten().InnerExceptions.FirstOrDefault();
        }

        if (failure is not null || cancellation.IsCancellationRequested)
        {
            diagnostics.Add(failure switch
            {
                null or OperationCanceledException => Diagnostic.Error(SynCodes.GenerationFailed, "Generation was cancelled; the next build completes the dataset.", _root),
                DatasetWriteException write => WriteFailed(write),
                _ => Diagnostic.Error(SynCodes.GenerationFailed, $"Generation failed: {failure.GetType().Name}: {failure.Message}", _root),
            });
            // Keep what is on disk; record what was completed so the next build resumes from it. When even that
            // cannot be written (the disk is full), the journal already holds every finished sample.
            try { checkpoint(); }
            catch (DatasetWriteException ex) { if (failure is not DatasetWriteException) diagnostics.Add(WriteFailed(ex)); }
            return new BuildResult(monitor.Done, reused, 0, filesWritten, "", clock.Elapsed, diagnostics);
        }

        string digest;
        int removed = 0;
        if (shard is null)
        {
            (Manifest manifest, removed) = WriteDataset(_root, spec, specHash, old, entries, _options.UnlistedFiles, diagnostics.Add);
            digest = manifest.Digest;
        }
        else
        {
            // A shard removes nothing: the folder's other files belong to other shards; the merge tidies up.
            digest = WriteShardManifest(_root, spec, specHash, shard, entries).Digest;
        }
        journal.Complete(); // the manifest lists everything the journal recorded
        if (!warnings.IsEmpty)
        {
            // One summary line, not one per sample.
            var sorted = warnings.OrderBy(w => w.Message, StringComparer.Ordinal).ToList();
            diagnostics.Add(sorted.Count == 1 ? sorted[0] : Diagnostic.Warning(SynCodes.TooFewObjects,
                $"{sorted.Count} samples have fewer visible objects than objectsPerScene.min; first: {sorted[0].Message}"));
        }
        return new BuildResult(monitor.Done, reused, removed, filesWritten, digest, clock.Elapsed, diagnostics);
    }

    /// <summary>
    /// Finishes a dataset folder whose samples are all done: removes samples beyond the count and files the new
    /// entries no longer list, writes manifest.json and dataset.json. The one writer of both files, for a build and
    /// for a merge of shards, so the two give the same bytes. Returns the manifest and how many samples were removed.
    /// </summary>
    public static (Manifest Manifest, int Removed) WriteDataset(string root, DatasetSpec spec, string specHash, Manifest? old, IReadOnlyList<ManifestSample?> entries,
        UnlistedFilePolicy unlisted = UnlistedFilePolicy.Remove, Action<Diagnostic>? report = null)
    {
        // Samples beyond the requested count, and files the new manifest no longer lists, are removed.
        int removed = DatasetWriter.RemoveUnlisted(root, old, entries, spec.Samples);
        // So are sample files no manifest ever listed (an interrupted build of another seed or size), unless only reported.
        if (UnlistedFiles.Sweep(root, entries.OfType<ManifestSample>(), unlisted) is { } swept) report?.Invoke(swept);

        Manifest manifest = DatasetWriter.WriteManifest(root, specHash, entries);
        string datasetFile = Path.Combine(root, DatasetLayout.DatasetFile);
        byte[] description = AnnotationJson.Dataset(spec, manifest);
        // The lineage stage's git provenance stays while the digest it describes stays (a no-op build rewrites nothing).
        if (AnnotationJson.CarriedProvenance(datasetFile, manifest.Digest) is { } provenance)
            description = AnnotationJson.WithProvenance(description, provenance);
        AtomicFile.WriteIfChanged(datasetFile, description);
        return (manifest, removed);
    }

    /// <summary>One line per damaged sample (a few), naming the file that failed its hash; the sample is regenerated.</summary>
    private static void ReportDamaged(string root, IEnumerable<(long Index, ManifestFile File)> damaged, List<Diagnostic> diagnostics)
    {
        const int Listed = 10;
        var sorted = damaged.OrderBy(d => d.Index).ToList();
        foreach (var (index, file) in sorted.Take(Listed))
            diagnostics.Add(Diagnostic.Warning(SynCodes.SampleDamaged,
                $"Sample {index}: {file.Path} is missing or fails its recorded hash (sha256 {file.Sha256[..12]}, {file.Size} bytes); the sample is regenerated.", DatasetLayout.FullPath(root, file.Path)));
        if (sorted.Count > Listed)
            diagnostics.Add(Diagnostic.Warning(SynCodes.SampleDamaged, $"{sorted.Count - Listed} more damaged sample(s) are regenerated."));
    }

    private static ShardManifest WriteShardManifest(string root, DatasetSpec spec, string specHash, ShardRange shard, ManifestSample?[] entries)
    {
        var samples = new List<ManifestSample>(shard.End - shard.Start);
        for (int i = shard.Start; i < shard.End; i++)
            if (entries[i] is { } e) samples.Add(e);
        var manifest = new ShardManifest(EngineInfo.Version, specHash, spec.Samples, shard, samples);
        AtomicFile.WriteIfChanged(ShardManifest.PathFor(root, shard.Index, shard.Count), manifest.ToJsonBytes());
        return manifest;
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
