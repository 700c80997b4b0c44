using System.Runtime.CompilerServices;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Randomness;
using SynthBuild.Core.Storage;

namespace SynthBuild.Augmentation;

/// <summary>Loader settings.</summary>
/// <param name="Workers">Threads preparing batches (0 = one per core). Each works on one batch at a time.</param>
/// <param name="Prefetch">Prepared batches that may wait for the consumer.</param>
/// <param name="Split">Only the samples of this split (the dataset's own train/val/test assignment); null = all samples.</param>
/// <param name="Mean">Per channel (R, G, B) on the 0–1 scale: pixel = (v/255 − mean)/std. Null: 0.</param>
/// <param name="Std">Per channel (R, G, B) on the 0–1 scale. Null: 1.</param>
public sealed record LoaderOptions(
    int BatchSize = 8,
    int Workers = 0,
    int Prefetch = 2,
    bool Shuffle = true,
    bool DropLast = false,
    Split? Split = null,
    float[]? Mean = null,
    float[]? Std = null)
{
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f], ImageNetStd = [0.229f, 0.224f, 0.225f];
}

/// <summary>One sample's targets: COCO boxes [x, y, w, h] per object and their category ids. Object k has id k + 1 in
/// the batch's mask of this sample. Plain arrays: they stay valid after the batch is disposed.</summary>
public sealed record SampleTargets(long SourceIndex, float[] Boxes, int[] Labels);

/// <summary>
/// A batch: images as float32 N×3×H×W (normalized), instance masks and depth (mm) as N×H×W, and one
/// <see cref="SampleTargets"/> per image. The pixel buffers are pooled: <see cref="Dispose"/> hands them back to the
/// loader for the next batches, after which the spans throw <see cref="ObjectDisposedException"/> (copy what you keep,
/// e.g. into a tensor). A batch that is never disposed is garbage-collected; the loader then allocates anew.
/// </summary>
public sealed class Batch : IDisposable
{
    private BatchBuffers? _buffers;
    private readonly Action<BatchBuffers> _release;

    internal Batch(int epoch, int number, int count, int width, int height, BatchBuffers buffers, SampleTargets[] targets, Action<BatchBuffers> release)
    {
        (Epoch, Number, Count, Width, Height, _buffers, Targets, _release) = (epoch, number, count, width, height, buffers, targets, release);
    }

    public int Epoch { get; }
    public int Number { get; }
    public int Count { get; }
    public int Width { get; }
    public int Height { get; }
    public IReadOnlyList<SampleTargets> Targets { get; }

    private BatchBuffers Buffers => _buffers ?? throw new ObjectDisposedException(nameof(Batch), "The batch was disposed; its buffers are reused.");

    /// <summary>float32, N×3×H×W, channels R, G, B.</summary>
    public Span<float> Images => Buffers.Images.AsSpan(0, Count * 3 * Width * Height);
    /// <summary>Instance ids, N×H×W (0 = background, k + 1 = object k of the sample's targets).</summary>
    public ReadOnlySpan<ushort> Masks => Buffers.Masks.AsSpan(0, Count * Width * Height);
    /// <summary>Depth in millimetres, N×H×W (0 = no measurement).</summary>
    public ReadOnlySpan<ushort> Depths => Buffers.Depths.AsSpan(0, Count * Width * Height);
    public ReadOnlySpan<ushort> Mask(int i) => Masks.Slice(i * Width * Height, Width * Height);
    public ReadOnlySpan<ushort> Depth(int i) => Depths.Slice(i * Width * Height, Width * Height);

    public void Dispose()
    {
        BatchBuffers? b = Interlocked.Exchange(ref _buffers, null);
        if (b is not null) _release(b);
    }
}

/// <summary>The pixel arrays of one full-size batch.</summary>
internal sealed class BatchBuffers(int batchSize, int pixels)
{
    public readonly float[] Images = new float[batchSize * 3 * pixels];
    public readonly ushort[] Masks = new ushort[batchSize * pixels], Depths = new ushort[batchSize * pixels];
}

/// <summary>
/// The training-loop counterpart of the offline stage (the original tool's create_dataloader): reads a built dataset,
/// optionally one split of it, shuffles per epoch from (seed, epoch), augments each sample with pass = epoch, and
/// yields batches in order. A batch's content depends only on (dataset, spec, seed, epoch, batch number), never on the
/// worker count.
/// <para>Memory is bounded, independent of the dataset size: at most <c>Workers + Prefetch</c> batches are being
/// prepared or wait, plus the ones the consumer holds (one, if it disposes each batch before taking the next); see
/// <see cref="MemoryBound"/>. Batch buffers are pooled and reused after <see cref="Batch.Dispose"/>; each worker reuses
/// its own pixel buffers; decoded source images are dropped as soon as the sample is augmented.</para>
/// </summary>
public sealed class AugmentedLoader
{
    private readonly DatasetReader _reader;
    private readonly ulong _seed;
    private readonly LoaderOptions _options;
    private readonly AugmentationPipeline _pipeline;
    private readonly long[] _samples;
    private readonly Stack<BatchBuffers> _pool = new();

    public AugmentedLoader(DatasetReader reader, AugmentationSpec augmentation, ulong seed, LoaderOptions? options = null)
    {
        _reader = reader;
        _seed = seed;
        _options = options ?? new LoaderOptions();
        if (_options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1.");
        if (_options.Prefetch < 0) throw new ArgumentOutOfRangeException(nameof(options), "Prefetch must not be negative.");
        foreach (float[]? v in new[] { _options.Mean, _options.Std })
            if (v is not null && v.Length != 3) throw new ArgumentException("Mean and Std need one value per channel (R, G, B).", nameof(options));
        if (_options.Std is float[] std && std.Any(s => !(s > 0))) throw new ArgumentException("Std values must be positive.", nameof(options));
        _pipeline = new AugmentationPipeline(augmentation);
        if (_pipeline.CheckFits(reader.Info.Width, reader.Info.Height, Path.Combine(reader.Root, DatasetLayout.DatasetFile)) is Diagnostic misfit)
            throw new DiagnosticException(misfit);
        _samples = _options.Split is Split split ? reader.Indices.Where(i => reader.SplitOf(i) == split).ToArray() : reader.Indices.ToArray();
    }

    public (int Width, int Height) ImageSize => _pipeline.OutputSize(_reader.Info.Width, _reader.Info.Height);

    /// <summary>The samples this loader draws from (after the split filter), ascending.</summary>
    public IReadOnlyList<long> Samples => _samples;

    public int Workers => _options.Workers > 0 ? _options.Workers : Environment.ProcessorCount;

    /// <summary>
    /// Upper bound of the loader's pixel memory in bytes, for a consumer that disposes each batch before taking the
    /// next: (Workers + Prefetch + 1) batch buffers of BatchSize·H·W·16 bytes (float32 RGB 12, mask 2, depth 2 per
    /// output pixel) plus, per worker, the decoded source sample (7 bytes per source pixel) and the pipeline's two
    /// frame buffers (2 × 7 bytes per pixel of the largest frame). Not counted: each worker's PNG file buffer, as large
    /// as the largest file it has read (for the dataset's own files, under 3 bytes per source pixel).
    /// </summary>
    public long MemoryBound
    {
        get
        {
            var (w, h) = ImageSize;
            long source = (long)_reader.Info.Width * _reader.Info.Height, frame = Math.Max(source, (long)w * h);
            return (Workers + _options.Prefetch + 1L) * _options.BatchSize * w * h * 16 + Workers * (7 * source + 14 * frame);
        }
    }

    /// <summary>Sample order of an epoch: a Fisher–Yates shuffle driven by (seed, epoch).</summary>
    public long[] Order(int epoch)
    {
        long[] order = (long[])_samples.Clone();
        if (!_options.Shuffle) return order;
        RandomStream rng = RandomStream.For(_seed, epoch, "loader.shuffle");
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(0, i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    public int BatchCount => _options.DropLast ? _samples.Length / _options.BatchSize : (_samples.Length + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>The epoch's batches in order. Dispose each one when done with it (its buffers are reused).</summary>
    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellation = default) =>
        EpochAsync(epoch, cancellation).ToBlockingEnumerable(cancellation);

    public async IAsyncEnumerable<Batch> EpochAsync(int epoch, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        OpenCvSharp.Cv2.SetNumThreads(1); // parallel across samples only
        long[] order = Order(epoch);
        int batches = BatchCount, workers = Math.Min(Workers, Math.Max(1, batches));
        var ready = new TaskCompletionSource<Batch>[batches];
        for (int b = 0; b < batches; b++) ready[b] = new TaskCompletionSource<Batch>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A worker may claim batch b only while fewer than Workers + Prefetch batches are claimed and not yet taken.
        using var window = new SemaphoreSlim(workers + _options.Prefetch);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        int next = -1;
        var running = new Task[workers];
        for (int t = 0; t < workers; t++)
            running[t] = Task.Factory.StartNew(() =>
            {
                var scratch = new WorkerBuffers();
                while (true)
                {
                    window.Wait(stop.Token);
                    int b = Interlocked.Increment(ref next);
                    if (b >= batches) return;
                    try { ready[b].SetResult(MakeBatch(epoch, b, order, scratch)); }
                    catch (Exception ex) { ready[b].SetException(ex); return; }
                }
            }, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        int taken = 0;
        try
        {
            for (; taken < batches; taken++)
            {
                Batch batch = await ready[taken].Task.WaitAsync(cancellation).ConfigureAwait(false);
                window.Release();
                yield return batch;
            }
        }
        finally
        {
            stop.Cancel();
            try { await Task.WhenAll(running).ConfigureAwait(false); } catch (OperationCanceledException) { } // workers report failures per batch
            for (int b = taken + 1; b < batches; b++)
                if (ready[b].Task.IsCompletedSuccessfully) ready[b].Task.Result.Dispose(); // prepared, never taken
        }
    }

    /// <summary>How many batch buffers this loader has allocated so far (the rest were reused).</summary>
    internal int BatchBuffersAllocated => _allocated;
    private int _allocated;

    private BatchBuffers Rent(int pixels)
    {
        lock (_pool)
            if (_pool.Count > 0) return _pool.Pop();
        Interlocked.Increment(ref _allocated);
        return new BatchBuffers(_options.BatchSize, pixels);
    }

    private void Return(BatchBuffers b)
    {
        // Keep no more than can be in use at once; extras (replacements for undisposed batches) go to the GC.
        lock (_pool)
            if (_pool.Count < Workers + _options.Prefetch + 1) _pool.Push(b);
    }

    /// <summary>HWC bytes → CHW floats, (v/255 − mean)/std = v·scale + offset, with OpenCV's vectorized split and convert.</summary>
    private static unsafe void ToChw(byte[] rgb, int h, int w, Span<float> chw, ReadOnlySpan<float> scale, ReadOnlySpan<float> offset)
    {
        using var image = OpenCvSharp.Mat.FromPixelData(h, w, OpenCvSharp.MatType.CV_8UC3, rgb);
        OpenCvSharp.Mat[] planes = OpenCvSharp.Cv2.Split(image);
        try
        {
            fixed (float* dst = chw)
                for (int c = 0; c < 3; c++)
                    using (var target = OpenCvSharp.Mat.FromPixelData(h, w, OpenCvSharp.MatType.CV_32FC1, (IntPtr)(dst + c * h * w)))
                        planes[c].ConvertTo(target, OpenCvSharp.MatType.CV_32FC1, scale[c], offset[c]);
        }
        finally { foreach (var p in planes) p.Dispose(); }
    }

    /// <summary>One worker's reusable memory: the decoded source sample, the PNG decoder's file buffer and scratch,
    /// and the pipeline's frame buffers.</summary>
    private sealed class WorkerBuffers
    {
        public byte[] Rgb = [];
        public ushort[] Depth = [], Ids = [];
        public readonly PngDecoder Png = new();
        public readonly PixelBuffers Frames = new();
    }

    /// <summary>
    /// Reads one sample into the worker's buffers, decoding each PNG straight into them (rather than through
    /// <see cref="DatasetReader"/>, which allocates new arrays per image).
    /// </summary>
    private (SampleImages Images, SampleAnnotation Annotation) Load(long index, WorkerBuffers b)
    {
        try
        {
            SampleAnnotation annotation = _reader.ReadAnnotation(index);
            int w = annotation.Width, h = annotation.Height, n = w * h;
            if (b.Ids.Length != n) (b.Rgb, b.Depth, b.Ids) = (new byte[3 * n], new ushort[n], new ushort[n]);
            string path = _reader.RgbPath(index);
            try
            {
                b.Png.DecodeRgb8(b.Png.ReadFile(path), b.Rgb, w, h);
                path = _reader.DepthPath(index);
                b.Png.DecodeGray16(b.Png.ReadFile(path), b.Depth, w, h);
                path = _reader.SegmentationPath(index);
                b.Png.DecodeGray16(b.Png.ReadFile(path), b.Ids, w, h);
            }
            catch (FormatException ex) { throw new InvalidDataException($"'{path}': {ex.Message}", ex); }
            return (new SampleImages(w, h, b.Rgb, b.Depth, b.Ids), annotation);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            throw new DiagnosticException(Diagnostic.Error(SynCodes.AugmentSampleUnreadable,
                $"Sample {index} of the dataset cannot be read for augmentation: {ex.Message}", _reader.AnnotationPath(index)));
        }
    }

    private Batch MakeBatch(int epoch, int number, long[] order, WorkerBuffers scratch)
    {
        int start = number * _options.BatchSize, count = Math.Min(_options.BatchSize, order.Length - start);
        var (w, h) = ImageSize;
        int plane = w * h;
        BatchBuffers buffers = Rent(plane);
        try
        {
            var targets = new SampleTargets[count];
            float[] mean = _options.Mean ?? [0, 0, 0], std = _options.Std ?? [1, 1, 1];
            Span<float> scale = stackalloc float[3], offset = stackalloc float[3];
            for (int c = 0; c < 3; c++) { scale[c] = 1f / (255f * std[c]); offset[c] = -mean[c] / std[c]; }
            for (int i = 0; i < count; i++)
            {
                long index = order[start + i];
                var (source, annotation) = Load(index, scratch);
                AugmentedSample s = _pipeline.Apply(source, annotation, _seed, index, epoch, scratch.Frames);
                if (s.Images.Width != w || s.Images.Height != h)
                    throw new DiagnosticException(Diagnostic.Error(SynCodes.AugmentationFailed,
                        $"Sample {index} is {s.Images.Width}×{s.Images.Height} after augmentation; the loader's batches are {w}×{h} " +
                        "(end the pipeline with a resize or randomCrop when the dataset's images differ in size).", _reader.AnnotationPath(index)));
                ToChw(s.Images.Rgb, h, w, buffers.Images.AsSpan(i * 3 * plane, 3 * plane), scale, offset);
                s.Images.Ids.AsSpan().CopyTo(buffers.Masks.AsSpan(i * plane, plane));
                s.Images.Depth.AsSpan().CopyTo(buffers.Depths.AsSpan(i * plane, plane));
                var objects = s.Annotation.Objects;
                var boxes = new float[objects.Count * 4];
                var labels = new int[objects.Count];
                for (int o = 0; o < objects.Count; o++)
                {
                    for (int k = 0; k < 4; k++) boxes[o * 4 + k] = (float)objects[o].Bbox[k];
                    labels[o] = objects[o].CategoryId;
                }
                targets[i] = new SampleTargets(index, boxes, labels);
            }
            return new Batch(epoch, number, count, w, h, buffers, targets, Return);
        }
        catch
        {
            Return(buffers);
            throw;
        }
    }
}
