using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;

namespace SynthBuild.Augmentation;

/// <summary>
/// The offline augmentation stage: writes <c>variants</c> augmented copies of every training sample of a built
/// dataset as a derived dataset in the same layout (own manifest and dataset.json, readable by
/// <see cref="DatasetReader"/>). Output sample o = s·K + k is variant k of the s-th training sample. Only training
/// samples are augmented, and the derived dataset declares every sample "train", so variants of one source never
/// land in different splits. Incremental: a variant's input key hashes its source's file hashes, the pipeline, the
/// seed and the variant index; a build with nothing changed rewrites nothing.
/// </summary>
/// <param name="augmentation">The bound augmentation section; null binds the spec's own (the usual case).</param>
public sealed class AugmentedDatasetBuilder(DatasetSpec spec, string baseDirectory, string outputDirectory, BuildOptions? options = null,
    AugmentationSpec? augmentation = null)
{
    public const string DefaultFolder = "augmented";

    private readonly BuildOptions _options = options ?? new BuildOptions();
    private readonly string _root = Path.GetFullPath(outputDirectory);

    public BuildResult Build(CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        AugmentationSpec aug = augmentation ?? AugmentationConfig.Bind(spec) ?? throw new InvalidOperationException("The spec has no augmentation section.");
        var pipeline = new AugmentationPipeline(aug);
        DatasetReader reader;
        try { reader = DatasetReader.Open(baseDirectory); }
        catch (DiagnosticException ex) { return Failed(ex.Diagnostic, clock); }
        // Checked before anything is written: a pipeline that cannot run leaves the derived dataset as it was.
        if (pipeline.CheckFits(reader.Info.Width, reader.Info.Height, Path.Combine(reader.Root, DatasetLayout.DatasetFile)) is Diagnostic misfit)
            return Failed(misfit, clock);
        OpenCvSharp.Cv2.SetNumThreads(1); // parallel across samples only

        var sources = reader.Indices.Where(i => DatasetSplits.Of(reader.Info.Seed, i, reader.Info.Splits) == Split.Train).ToArray();
        var baseFiles = reader.Manifest.Samples.ToDictionary(s => s.Index);
        int k = aug.Variants, count = sources.Length * k;
        var (outW, outH) = pipeline.OutputSize(reader.Info.Width, reader.Info.Height);
        string augHash = aug.Hash();

        Directory.CreateDirectory(_root);
        AtomicFile.RemoveLeftovers(_root);
        string manifestPath = Path.Combine(_root, Manifest.FileName);
        Manifest? old = Manifest.TryRead(manifestPath, out _);
        var oldByIndex = (old?.Samples ?? []).ToDictionary(s => s.Index);

        var entries = new ManifestSample?[count];
        var keys = new string[count];
        for (int o = 0; o < count; o++) keys[o] = VariantKey(augHash, spec.Seed, baseFiles[sources[o / k]], o % k);
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = _options.Threads > 0 ? _options.Threads : Environment.ProcessorCount,
            CancellationToken = cancellation,
        };
        Parallel.For(0, count, parallel, o =>
        {
            if (oldByIndex.TryGetValue(o, out var prev) && prev.Key == keys[o] && DatasetWriter.FilesIntact(_root, prev)) entries[o] = prev;
        });
        int[] todo = Enumerable.Range(0, count).Where(o => entries[o] is null).ToArray();
        var monitor = _options.Monitor ?? new BuildMonitor();
        monitor.Total = todo.Length;
        int filesWritten = 0;
        try
        {
            // Each thread reuses its pixel and file buffers: the images are written before the next sample overwrites them.
            Parallel.For(0, todo.Length, parallel, () => (Pixels: new PixelBuffers(), Writer: new DatasetWriter(_root)), (t, _, local) =>
            {
                var (buffers, writer) = local;
                int o = todo[t];
                long source = sources[o / k];
                int variant = o % k;
                var sample = LoadSample(reader, source);
                AugmentedSample result = pipeline.Apply(sample.Images, sample.Annotation, spec.Seed, source, variant, buffers);
                string stem = DatasetLayout.Stem(o, count);
                var im = result.Images;
                // Semantic masks, point clouds and normals of the source are not carried over: the annotation lists only what is written here.
                var annotation = result.Annotation with { Index = o, ExtraFiles = null };
                writer.AddRgb(stem, im.Rgb, im.Width, im.Height);
                writer.AddDepth(stem, im.Depth, im.Width, im.Height);
                writer.AddSegmentation(stem, im.Ids, im.Width, im.Height);
                writer.AddAnnotation(stem, annotation with
                {
                    Stats = ImageStatistics.Compute(im.Rgb, im.Depth, im.Ids, im.Width, im.Height, annotation.Objects.Count),
                }, w => Provenance(w, source, variant, result));
                entries[o] = writer.Commit(o, keys[o], oldByIndex.GetValueOrDefault(o), out int written);
                Interlocked.Add(ref filesWritten, written);
                monitor.SampleDone();
                _options.OnTick?.Invoke();
                return local;
            }, _ => { });
        }
        catch (Exception ex) when (ex is AggregateException or OperationCanceledException or DiagnosticException)
        {
            DatasetWriter.WriteManifest(_root, augHash, entries);
            Exception first = ex is AggregateException a ? a.Flatten().InnerExceptions[0] : ex;
            Diagnostic d = first is DiagnosticException de ? de.Diagnostic with { File = de.Diagnostic.File ?? _root }
                : Diagnostic.Error(SynCodes.AugmentationFailed, $"Augmentation failed: {first.GetType().Name}: {first.Message}", _root);
            return new BuildResult(monitor.Done, count - todo.Length, 0, filesWritten, "", clock.Elapsed, [d]);
        }

        int removed = DatasetWriter.RemoveUnlisted(_root, old, entries, count);
        Manifest manifest = DatasetWriter.WriteManifest(_root, augHash, entries);
        var derived = spec with { Name = spec.Name + "-augmented", Samples = count, Width = outW, Height = outH, Splits = new SplitSpec(1, 0, 0) };
        AtomicFile.WriteIfChanged(Path.Combine(_root, DatasetLayout.DatasetFile), AnnotationJson.Dataset(derived, manifest));
        return new BuildResult(monitor.Done, count - todo.Length, removed, filesWritten, manifest.Digest, clock.Elapsed, []);
    }

    /// <summary>A variant's input key: the source sample's file hashes, the pipeline (with engine version), the seed and the variant index.</summary>
    public static string VariantKey(string augmentationHash, ulong seed, ManifestSample source, int variant)
    {
        var sb = new StringBuilder().Append(augmentationHash).Append('|').Append(seed).Append('|').Append(source.Index).Append('|').Append(variant);
        foreach (var f in source.Files) sb.Append('|').Append(f.Path).Append('=').Append(f.Sha256);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..32];
    }

    /// <summary>Reads one sample of a built dataset as pipeline input.</summary>
    public static (SampleImages Images, SampleAnnotation Annotation) LoadSample(DatasetReader reader, long index)
    {
        try
        {
            SampleAnnotation annotation = reader.ReadAnnotation(index);
            var images = new SampleImages(annotation.Width, annotation.Height, reader.ReadRgb(index), reader.ReadDepth(index), reader.ReadSegmentation(index));
            int pixels = annotation.Width * annotation.Height;
            if (images.Rgb.Length != pixels * 3 || images.Depth.Length != pixels || images.Ids.Length != pixels)
                throw new InvalidDataException("image sizes do not match the annotation");
            return (images, annotation);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or JsonException or KeyNotFoundException)
        {
            throw new DiagnosticException(Diagnostic.Error(SynCodes.AugmentSampleUnreadable,
                $"Sample {index} of the dataset cannot be read for augmentation: {ex.Message}", reader.AnnotationPath(index)));
        }
    }

    private static void Provenance(Utf8JsonWriter w, long source, int variant, AugmentedSample result)
    {
        w.WriteStartObject("augmentation");
        w.WriteNumber("source", source);
        w.WriteNumber("variant", variant);
        w.WriteStartArray("applied");
        foreach (string t in result.Applied) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteStartArray("homography");
        foreach (double v in result.Homography) w.WriteNumberValue(v);
        w.WriteEndArray();
        w.WriteBoolean("pinhole", result.Pinhole);
        w.WriteStartArray("lowVisibility");
        foreach (int id in result.LowVisibility) w.WriteNumberValue(id);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static BuildResult Failed(Diagnostic d, Stopwatch clock) => new(0, 0, 0, 0, "", clock.Elapsed, [d]);
}
