using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SynthBuild.Core.Randomness;
using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Augmentation;

/// <summary>Loader settings. <see cref="Mean"/>/<see cref="Std"/> are per channel (R, G, B) on the 0–1 scale.</summary>
public sealed record LoaderOptions(
    int BatchSize = 8,
    int Workers = 0,
    int Capacity = 4,
    bool Shuffle = true,
    bool DropLast = false,
    float[]? Mean = null,
    float[]? Std = null)
{
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f], ImageNetStd = [0.229f, 0.224f, 0.225f];
}

/// <summary>One sample's targets: COCO boxes [x, y, w, h] per object, category ids, and the instance mask (id k ↔ object k-1).</summary>
public sealed record SampleTargets(long SourceIndex, float[] Boxes, int[] Labels, ushort[] Mask, ushort[] Depth);

/// <summary>A batch: images as float32 N×3×H×W (normalized), and one <see cref="SampleTargets"/> per image.</summary>
public sealed record Batch(int Epoch, int Number, int Count, int Width, int Height, float[] Images, IReadOnlyList<SampleTargets> Targets);

/// <summary>
/// The training-loop counterpart of the offline stage (the original tool's create_dataloader): reads a built dataset,
/// shuffles per epoch from (seed, epoch), augments each sample with pass = epoch, and yields batches in order.
/// Work runs on at most <see cref="LoaderOptions.Workers"/> threads, one batch per task; at most
/// <see cref="LoaderOptions.Capacity"/> batches are in flight (a bounded channel), so memory is flat in the dataset
/// size. A batch's content depends only on (dataset, spec, seed, epoch, batch number), never on the worker count.
/// </summary>
public sealed class AugmentedLoader(DatasetReader reader, AugmentationSpec augmentation, ulong seed, LoaderOptions? options = null)
{
    private readonly LoaderOptions _options = options ?? new LoaderOptions();
    private readonly AugmentationPipeline _pipeline = new(augmentation);

    public (int Width, int Height) ImageSize => _pipeline.OutputSize(reader.Info.Width, reader.Info.Height);

    /// <summary>Sample order of an epoch: a Fisher–Yates shuffle driven by (seed, epoch).</summary>
    public long[] Order(int epoch)
    {
        long[] order = reader.Indices.ToArray();
        if (!_options.Shuffle) return order;
        RandomStream rng = RandomStream.For(seed, epoch, "loader.shuffle");
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(0, i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    public int BatchCount => _options.DropLast ? reader.Indices.Count / _options.BatchSize : (reader.Indices.Count + _options.BatchSize - 1) / _options.BatchSize;

    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellation = default) =>
        EpochAsync(epoch, cancellation).ToBlockingEnumerable(cancellation);

    public async IAsyncEnumerable<Batch> EpochAsync(int epoch, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        OpenCvSharp.Cv2.SetNumThreads(1); // parallel across samples only
        long[] order = Order(epoch);
        int batches = BatchCount, workers = _options.Workers > 0 ? _options.Workers : Environment.ProcessorCount;
        var scheduler = new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, workers).ConcurrentScheduler;
        var factory = new TaskFactory(cancellation, TaskCreationOptions.DenyChildAttach, TaskContinuationOptions.None, scheduler);
        // In batch order; the producer blocks when Capacity batches are queued, which bounds memory.
        var queue = Channel.CreateBounded<Task<Batch>>(new BoundedChannelOptions(Math.Max(1, _options.Capacity)) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Task producer = Task.Run(async () =>
        {
            try
            {
                for (int b = 0; b < batches; b++)
                {
                    int number = b;
                    await queue.Writer.WriteAsync(factory.StartNew(() => MakeBatch(epoch, number, order)), stop.Token);
                }
                queue.Writer.Complete();
            }
            catch (Exception ex) { queue.Writer.TryComplete(ex); }
        }, CancellationToken.None);

        try
        {
            await foreach (Task<Batch> next in queue.Reader.ReadAllAsync(cancellation))
                yield return await next;
        }
        finally
        {
            stop.Cancel();
            try { await producer; } catch (OperationCanceledException) { }
        }
    }

    private Batch MakeBatch(int epoch, int number, long[] order)
    {
        int start = number * _options.BatchSize, count = Math.Min(_options.BatchSize, order.Length - start);
        var (w, h) = ImageSize;
        int plane = w * h;
        var images = new float[count * 3 * plane];
        var targets = new SampleTargets[count];
        float[] mean = _options.Mean ?? [0, 0, 0], std = _options.Std ?? [1, 1, 1];
        Span<float> scale = stackalloc float[3], offset = stackalloc float[3];
        for (int c = 0; c < 3; c++) { scale[c] = 1f / (255f * std[c]); offset[c] = -mean[c] / std[c]; }
        for (int i = 0; i < count; i++)
        {
            long index = order[start + i];
            var (images0, annotation) = AugmentedDatasetBuilder.LoadSample(reader, index);
            AugmentedSample s = _pipeline.Apply(images0, annotation, seed, index, epoch);
            byte[] rgb = s.Images.Rgb;
            int baseOffset = i * 3 * plane;
            // HWC bytes → CHW floats: (v/255 - mean)/std = v·scale + offset.
            for (int c = 0; c < 3; c++)
            {
                Span<float> dst = images.AsSpan(baseOffset + c * plane, plane);
                float sc = scale[c], of = offset[c];
                for (int p = 0, q = c; p < plane; p++, q += 3) dst[p] = rgb[q] * sc + of;
            }
            var objects = s.Annotation.Objects;
            var boxes = new float[objects.Count * 4];
            var labels = new int[objects.Count];
            for (int o = 0; o < objects.Count; o++)
            {
                for (int k = 0; k < 4; k++) boxes[o * 4 + k] = (float)objects[o].Bbox[k];
                labels[o] = objects[o].CategoryId;
            }
            targets[i] = new SampleTargets(index, boxes, labels, s.Images.Ids, s.Images.Depth);
        }
        return new Batch(epoch, number, count, w, h, images, targets);
    }
}
