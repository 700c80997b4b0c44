using System.Diagnostics;
using System.Text.Json;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Randomness;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;
using SynthBuild.Export;
using SynthBuild.Models.Onnx;
using SynthBuild.Models.Probe.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace SynthBuild.Models.Probe;

/// <summary>Settings of one probe training (all of them go into reports/probe.json).</summary>
public sealed record ProbeOptions
{
    public int InputWidth { get; init; } = 160;
    public int InputHeight { get; init; } = 128;
    /// <summary>Epoch budget (the learning-rate schedule spans it).</summary>
    public int Epochs { get; init; } = 20;
    /// <summary>Wall-clock budget; 0 = none. Training stops at the end of the first epoch past it (such a run is
    /// not reproducible: it depends on the machine's speed).</summary>
    public double Seconds { get; init; }
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 2e-3;
    public double WeightDecay { get; init; } = 1e-4;
    public ulong Seed { get; init; } = 1;
    /// <summary>libtorch intra-op threads (torch.set_num_threads); 0 = the core count.</summary>
    public int Threads { get; init; }
    public int TopK { get; init; } = 100;
    public double ScoreThreshold { get; init; } = 0.001;
    public int MaxObjects { get; init; } = 64;
    /// <summary>Random horizontal flips of training images (per image and epoch, from the seed). Off by default: the
    /// measured default (val AP50 0.424 on 1000 samples, docs/models.md) was trained without; flips are not measured yet.</summary>
    public bool Augment { get; init; } = false;
}

/// <summary>COCO statistics of one split: pycocotools' twelve numbers and AP per category.</summary>
/// <remarks><see cref="Results"/> is the split's detections as a COCO results file (image_id, category_id, bbox,
/// score), the file the statistics were computed from.</remarks>
public sealed record ProbeSplitMetrics(string Split, int Images, int Detections, double[] Stats, IReadOnlyList<(long Id, string Name, double Ap)> Categories, byte[] Results)
{
    public double AP => Stats[0];
    public double AP50 => Stats[1];
    public double AP75 => Stats[2];
}

/// <summary>One epoch's mean losses (total = heatmap + 0.1 × size + offset).</summary>
public sealed record ProbeEpoch(int Epoch, double Loss, double HeatmapLoss, double SizeLoss, double OffsetLoss, double Seconds);

/// <summary>Everything reports/probe.json holds.</summary>
/// <remarks>Throughput: <see cref="TrainImagesPerSecond"/> counts training images seen (epochs × train images) over
/// the training time; <see cref="InferenceImagesPerSecond"/> the val and test images over the time of their forward
/// passes and decoding (not the COCO evaluation).</remarks>
public sealed record ProbeResult(ProbeOptions Options, string Dataset, int Threads, long Parameters, int TrainImages,
    IReadOnlyList<ProbeEpoch> Curve, double TrainSeconds, IReadOnlyList<ProbeSplitMetrics> Metrics, string NativeLoad,
    IReadOnlyList<long> CategoryIds, double InferenceSeconds)
{
    public ProbeSplitMetrics? Split(string name) => Metrics.FirstOrDefault(m => m.Split == name);
    public double TrainImagesPerSecond => TrainSeconds > 0 ? (double)TrainImages * Curve.Count / TrainSeconds : 0;
    public double InferenceImagesPerSecond => InferenceSeconds > 0 ? Metrics.Sum(m => m.Images) / InferenceSeconds : 0;

    public byte[] ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("dataset", Dataset);
            w.WriteStartObject("settings");
            w.WriteString("architecture", "centernet-probe (stride 4, heatmap focal loss, size and offset L1)");
            w.WriteNumber("parameters", Parameters);
            w.WriteNumber("inputWidth", Options.InputWidth);
            w.WriteNumber("inputHeight", Options.InputHeight);
            w.WriteNumber("epochs", Options.Epochs);
            w.WriteNumber("secondsBudget", Options.Seconds);
            w.WriteNumber("batchSize", Options.BatchSize);
            w.WriteNumber("learningRate", Options.LearningRate);
            w.WriteNumber("weightDecay", Options.WeightDecay);
            w.WriteNumber("seed", Options.Seed);
            w.WriteNumber("threads", Threads);
            w.WriteNumber("topK", Options.TopK);
            w.WriteNumber("scoreThreshold", Options.ScoreThreshold);
            w.WriteBoolean("augment", Options.Augment);
            w.WriteStartArray("categoryIds");
            foreach (long id in CategoryIds) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteString("nativeLoad", NativeLoad);
            w.WriteEndObject();
            w.WriteStartObject("training");
            w.WriteNumber("images", TrainImages);
            w.WriteNumber("seconds", TrainSeconds);
            w.WriteNumber("imagesPerSecond", TrainImagesPerSecond);
            w.WriteStartArray("curve");
            foreach (var e in Curve)
            {
                w.WriteStartObject();
                w.WriteNumber("epoch", e.Epoch);
                w.WriteNumber("loss", e.Loss);
                w.WriteNumber("heatmap", e.HeatmapLoss);
                w.WriteNumber("size", e.SizeLoss);
                w.WriteNumber("offset", e.OffsetLoss);
                w.WriteNumber("seconds", e.Seconds);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("inference");
            w.WriteNumber("images", Metrics.Sum(m => m.Images));
            w.WriteNumber("seconds", InferenceSeconds);
            w.WriteNumber("imagesPerSecond", InferenceImagesPerSecond);
            w.WriteEndObject();
            w.WriteStartObject("metrics");
            foreach (var m in Metrics)
            {
                w.WriteStartObject(m.Split);
                w.WriteNumber("images", m.Images);
                w.WriteNumber("detections", m.Detections);
                CocoEvaluator.WriteStats(w, "stats", m.Stats);
                CocoEvaluator.WriteCategoryAps(w, "categories", m.Categories);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }
}

/// <summary>
/// Trains the probe detector on a built dataset's train split and evaluates it on val and test with the project's
/// COCO evaluator. Ground truth comes from the COCO exporter (the same instances the `coco` export holds), images
/// from the dataset's files, resized by the ONNX path's <see cref="Preprocessor"/>.
/// <para>Determinism: the seed fixes the weights (torch.manual_seed) and the batch order (a <see cref="RandomStream"/>
/// shuffle); with the same thread count (torch.set_num_threads) on the same CPU and libtorch build, libtorch's CPU
/// kernels give bitwise-identical results. A different thread count may change reduction order (last-digit float
/// differences that training can amplify); a different CPU may pick different oneDNN/MKL kernels.</para>
/// </summary>
public static class ProbeDetector
{
    private sealed record Sample(CocoImage Image, float[] Pixels, BoxTransform Transform, IReadOnlyList<CocoAnnotation> Boxes);

    // libtorch's seed and thread count are process-wide: two probes training at once in one process would draw from
    // one generator and lose determinism, so runs in a process take turns.
    private static readonly Lock TorchGlobals = new();

    /// <exception cref="DiagnosticException">SYN8103 for an unusable dataset, SYN8104 for bad options, SYN810x from
    /// the native loader.</exception>
    /// <param name="weightsPath">Where to save the trained weights (TorchSharp's format; load with
    /// <see cref="EvaluateSaved"/>); null = not saved.</param>
    public static ProbeResult Run(string dataset, ProbeOptions o, Action<string>? log = null, string? weightsPath = null)
    {
        lock (TorchGlobals) return RunAlone(dataset, o, log, weightsPath);
    }

    private static ProbeResult RunAlone(string dataset, ProbeOptions o, Action<string>? log, string? weightsPath)
    {
        Validate(o);
        var native = TorchNativeLoader.EnsureLoaded();
        if (!File.Exists(Path.Combine(dataset, DatasetLayout.DatasetFile)))
            throw Error(SynCodes.ProbeDatasetInvalid, $"'{dataset}' is not a built dataset (no {DatasetLayout.DatasetFile}).", dataset);

        string scratch = Path.Combine(Path.GetTempPath(), "synth-probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            var Gt = ExportGroundTruth(dataset, scratch);
            var train = CocoGroundTruth.Load(Gt("train"));
            if (train.Images.Count == 0 || train.Annotations.Count == 0)
                throw Error(SynCodes.ProbeDatasetInvalid, "The train split holds no images with boxes: nothing to train on.", dataset);
            var categories = train.Categories.Select(c => c.Id).Distinct().Order().ToArray();

            int threads = o.Threads > 0 ? o.Threads : Environment.ProcessorCount;
            torch.set_num_threads(threads);
            torch.manual_seed((long)(o.Seed & long.MaxValue));

            var pre = Preprocess(o, dataset);
            var trainSamples = Load(train, dataset, pre);
            using var net = new ProbeNet(categories.Length);
            long parameters = net.parameters().Sum(p => p.numel());
            var (curve, seconds) = Train(net, trainSamples, categories, o, log);

            if (weightsPath is not null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(weightsPath))!);
                net.save(weightsPath);
            }

            var metrics = new List<ProbeSplitMetrics>();
            double inferenceSeconds = 0;
            foreach (var split in new[] { "val", "test" })
            {
                var gt = CocoGroundTruth.Load(Gt(split));
                if (gt.Images.Count == 0) continue;
                var (m, t) = Evaluate(net, gt, Load(gt, dataset, pre), categories, o, split);
                metrics.Add(m);
                inferenceSeconds += t;
            }
            if (metrics.Count == 0) throw Error(SynCodes.ProbeDatasetInvalid, "The val and test splits are empty: nothing to evaluate on.", dataset);
            return new ProbeResult(o, Path.GetFullPath(dataset), threads, parameters, trainSamples.Count, curve, seconds, metrics, native.Reason, categories, inferenceSeconds);
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Evaluates saved probe weights (from <see cref="Run"/>) on any COCO ground truth whose images lie under
    /// <paramref name="imageRoot"/> (a dataset split, or a real labelled set): the model's category ids are matched to
    /// the ground truth's by id, so the caller maps a real set's names first (<see cref="ProbeResult.CategoryIds"/>).
    /// </summary>
    public static ProbeSplitMetrics EvaluateSaved(string weightsPath, ProbeOptions o, IReadOnlyList<long> categoryIds, CocoGroundTruth gt, string imageRoot, string split)
    {
        lock (TorchGlobals) return EvaluateSavedAlone(weightsPath, o, categoryIds, gt, imageRoot, split);
    }

    private static ProbeSplitMetrics EvaluateSavedAlone(string weightsPath, ProbeOptions o, IReadOnlyList<long> categoryIds, CocoGroundTruth gt, string imageRoot, string split)
    {
        Validate(o);
        TorchNativeLoader.EnsureLoaded();
        if (!File.Exists(weightsPath)) throw Error(SynCodes.ProbeDatasetInvalid, "Probe weights not found.", weightsPath);
        torch.set_num_threads(o.Threads > 0 ? o.Threads : Environment.ProcessorCount);
        var categories = categoryIds.ToArray();
        using var net = new ProbeNet(categories.Length);
        try { net.load(weightsPath); }
        catch (Exception ex) when (ex is not DiagnosticException)
        {
            throw Error(SynCodes.ProbeDatasetInvalid, $"Probe weights cannot be loaded for {categories.Length} categories: {ex.Message}", weightsPath);
        }
        var pre = Preprocess(o, imageRoot);
        return Evaluate(net, gt, Load(gt, imageRoot, pre), categories, o, split).Metrics;
    }

    /// <summary>
    /// The COCO ground truth of a built dataset's split exactly as <see cref="Run"/> scores the probe on it (the coco
    /// exporter's instances, written afresh), as the file's bytes: what the split's detections file is evaluated against.
    /// </summary>
    public static byte[] SplitGroundTruth(string dataset, string split)
    {
        if (!File.Exists(Path.Combine(dataset, DatasetLayout.DatasetFile)))
            throw Error(SynCodes.ProbeDatasetInvalid, $"'{dataset}' is not a built dataset (no {DatasetLayout.DatasetFile}).", dataset);
        string scratch = Path.Combine(Path.GetTempPath(), "synth-probe-" + Guid.NewGuid().ToString("N"));
        try { return File.ReadAllBytes(ExportGroundTruth(dataset, scratch)(split)); }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Exports the dataset's COCO instances into <paramref name="scratch"/>; returns each split's file.</summary>
    private static Func<string, string> ExportGroundTruth(string dataset, string scratch)
    {
        var request = new ExportRequest(ExportFormat.Coco, new Dictionary<string, string> { ["Segmentation"] = "rle", ["Keypoints"] = "false" });
        var export = DatasetExporter.Run(dataset, scratch, [request]);
        if (!export.Succeeded) throw new DiagnosticException(export.Diagnostics.First(d => d.IsError));
        return split => Path.Combine(scratch, ExportOptions.NameOf(ExportFormat.Coco), $"instances_{split}.json");
    }

    private static Preprocessor Preprocess(ProbeOptions o, string root) =>
        new(new ImageInput("images", TensorLayout.Nchw, o.InputHeight, o.InputWidth, false),
            new PreprocessOptions { Resize = ResizeMode.Stretch }, DetectionLayout.Torchvision, root);

    private static void Validate(ProbeOptions o)
    {
        string? bad =
            o.InputWidth <= 0 || o.InputHeight <= 0 || o.InputWidth % 16 != 0 || o.InputHeight % 16 != 0 ? $"input size {o.InputWidth}x{o.InputHeight} is not a positive multiple of 16 on each axis" :
            o.Epochs <= 0 && o.Seconds <= 0 ? "no budget: epochs and seconds are both 0" :
            o.Epochs <= 0 ? "the epoch budget must be positive (it spans the learning-rate schedule)" :
            o.BatchSize <= 0 ? $"batch size {o.BatchSize} is not positive" :
            !(o.LearningRate > 0) ? $"learning rate {o.LearningRate} is not positive" :
            o.Threads < 0 ? $"thread count {o.Threads} is negative" :
            o.TopK <= 0 || o.MaxObjects <= 0 ? "top-K and max objects must be positive" : null;
        if (bad is not null) throw Error(SynCodes.ProbeOptionInvalid, $"Probe setting invalid: {bad}.");
    }

    private static List<Sample> Load(CocoGroundTruth gt, string root, Preprocessor pre)
    {
        var byImage = gt.Annotations.Where(a => !a.IsCrowd && a.Bbox is not null).GroupBy(a => a.ImageId).ToDictionary(g => g.Key, g => (IReadOnlyList<CocoAnnotation>)g.ToList());
        var result = new Sample[gt.Images.Count];
        // Failures are kept by position, so the first bad image in file order is the one reported (a real set's
        // missing or corrupt file is the user's to fix, whatever the thread count).
        var failures = new DiagnosticException?[gt.Images.Count];
        Parallel.For(0, gt.Images.Count, (i, state) =>
        {
            var im = gt.Images[i];
            string path = Path.Combine(root, (im.FileName ?? "").Replace('/', Path.DirectorySeparatorChar));
            try
            {
                var (w, h, rgb) = ImageDecoder.DecodeRgb8(File.ReadAllBytes(path));
                var p = pre.Prepare(rgb, w, h);
                result[i] = new Sample(im, p.Floats!, p.Transform, byImage.GetValueOrDefault(im.Id) ?? []);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidDataException)
            {
                failures[i] = Error(SynCodes.ProbeDatasetInvalid, $"Image {im.Id} ('{im.FileName}') cannot be read: {ex.Message}", path);
                state.Break();
            }
        });
        if (failures.FirstOrDefault(f => f is not null) is { } failure) throw failure;
        return [.. result];
    }

    /// <summary>CenterNet targets of a batch: Gaussian heatmaps, and per object its cell index, size and offset.</summary>
    /// <summary>A CHW image mirrored left-right (each row reversed).</summary>
    private static void CopyMirrored(float[] chw, Span<float> destination, int width)
    {
        for (int row = 0; row < chw.Length; row += width)
        {
            chw.AsSpan(row, width).CopyTo(destination.Slice(row, width));
            destination.Slice(row, width).Reverse();
        }
    }

    private static (Tensor Hm, Tensor Ind, Tensor Mask, Tensor Wh, Tensor Off) Targets(IReadOnlyList<Sample> batch, bool[] flips, long[] categories, ProbeOptions o)
    {
        int oh = o.InputHeight / ProbeNet.Stride, ow = o.InputWidth / ProbeNet.Stride, c = categories.Length, k = o.MaxObjects;
        var hm = new float[batch.Count * c * oh * ow];
        var ind = new long[batch.Count * k];
        var mask = new float[batch.Count * k];
        var wh = new float[batch.Count * k * 2];
        var off = new float[batch.Count * k * 2];
        for (int b = 0; b < batch.Count; b++)
        {
            var s = batch[b];
            int n = 0;
            foreach (var a in s.Boxes)
            {
                if (n == k) break;
                var t = s.Transform;
                double x1 = (a.Bbox![0] * t.ScaleX + t.PadX) / ProbeNet.Stride, y1 = (a.Bbox[1] * t.ScaleY + t.PadY) / ProbeNet.Stride;
                double bw = a.Bbox[2] * t.ScaleX / ProbeNet.Stride, bh = a.Bbox[3] * t.ScaleY / ProbeNet.Stride;
                if (bw <= 0 || bh <= 0) continue;
                if (flips[b]) x1 = (double)o.InputWidth / ProbeNet.Stride - x1 - bw;
                double cx = x1 + bw / 2, cy = y1 + bh / 2;
                int ix = Math.Clamp((int)cx, 0, ow - 1), iy = Math.Clamp((int)cy, 0, oh - 1);
                int ci = Array.IndexOf(categories, a.CategoryId);
                if (ci < 0) continue;
                int radius = Math.Max(0, (int)GaussianRadius(bh, bw, 0.7));
                DrawGaussian(hm, (b * c + ci) * oh * ow, ow, oh, ix, iy, radius);
                ind[b * k + n] = iy * ow + ix;
                mask[b * k + n] = 1;
                wh[(b * k + n) * 2] = (float)bw; wh[(b * k + n) * 2 + 1] = (float)bh;
                off[(b * k + n) * 2] = (float)(cx - ix); off[(b * k + n) * 2 + 1] = (float)(cy - iy);
                n++;
            }
        }
        return (tensor(hm, [batch.Count, c, oh, ow]), tensor(ind, [batch.Count, k]), tensor(mask, [batch.Count, k]),
            tensor(wh, [batch.Count, k, 2]), tensor(off, [batch.Count, k, 2]));
    }

    /// <summary>CenterNet's radius: the largest corner shift keeping IoU ≥ <paramref name="minOverlap"/>.</summary>
    private static double GaussianRadius(double h, double w, double minOverlap)
    {
        double b1 = h + w, c1 = w * h * (1 - minOverlap) / (1 + minOverlap);
        double r1 = (b1 + Math.Sqrt(b1 * b1 - 4 * c1)) / 2;
        double b2 = 2 * (h + w), c2 = (1 - minOverlap) * w * h;
        double r2 = (b2 + Math.Sqrt(b2 * b2 - 16 * c2)) / 2;
        double a3 = 4 * minOverlap, b3 = -2 * minOverlap * (h + w), c3 = (minOverlap - 1) * w * h;
        double r3 = (b3 + Math.Sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
        return Math.Min(r1, Math.Min(r2, r3));
    }

    private static void DrawGaussian(float[] hm, int plane, int w, int h, int cx, int cy, int radius)
    {
        double sigma = (2 * radius + 1) / 6.0;
        for (int y = Math.Max(0, cy - radius); y <= Math.Min(h - 1, cy + radius); y++)
            for (int x = Math.Max(0, cx - radius); x <= Math.Min(w - 1, cx + radius); x++)
            {
                int dx = x - cx, dy = y - cy;
                float v = (float)Math.Exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
                ref float cell = ref hm[plane + y * w + x];
                if (v > cell) cell = v;
            }
    }

    private static Tensor Gather(Tensor feat, Tensor ind)
    {
        // feat [B, 2, H, W], ind [B, K] → [B, K, 2]
        var flat = feat.flatten(2);
        return flat.gather(2, ind.unsqueeze(1).expand(-1, 2, -1)).permute(0, 2, 1);
    }

    private static (List<ProbeEpoch>, double) Train(ProbeNet net, List<Sample> samples, long[] categories, ProbeOptions o, Action<string>? log)
    {
        net.train();
        var opt = torch.optim.AdamW(net.parameters(), lr: o.LearningRate, weight_decay: o.WeightDecay);
        int perEpoch = (samples.Count + o.BatchSize - 1) / o.BatchSize;
        int totalSteps = perEpoch * o.Epochs, warmup = Math.Min(totalSteps / 10, 3 * perEpoch);
        var order = Enumerable.Range(0, samples.Count).ToArray();
        var curve = new List<ProbeEpoch>();
        var clock = Stopwatch.StartNew();
        int step = 0;
        int pixels = 3 * o.InputHeight * o.InputWidth;
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            // Deterministic order: a Fisher-Yates shuffle driven by the project's counter-based stream (seed, epoch).
            var rng = RandomStream.For(o.Seed, epoch, "probe-shuffle");
            for (int i = order.Length - 1; i > 0; i--) { int j = rng.NextInt(0, i); (order[i], order[j]) = (order[j], order[i]); }
            var flipRng = RandomStream.For(o.Seed, epoch, "probe-flip");
            var flip = samples.Select(_ => o.Augment && flipRng.Chance(0.5)).ToArray();
            double sum = 0, sumHm = 0, sumWh = 0, sumOff = 0;
            for (int bi = 0; bi < perEpoch; bi++)
            {
                using var scope = NewDisposeScope();
                var picked = order.Skip(bi * o.BatchSize).Take(o.BatchSize).ToArray();
                var batch = picked.Select(i => samples[i]).ToList();
                var flips = picked.Select(i => flip[i]).ToArray();
                var x = new float[batch.Count * pixels];
                for (int i = 0; i < batch.Count; i++)
                {
                    if (flips[i]) CopyMirrored(batch[i].Pixels, x.AsSpan(i * pixels, pixels), o.InputWidth);
                    else batch[i].Pixels.CopyTo(x, i * pixels);
                }
                var input = tensor(x, [batch.Count, 3, o.InputHeight, o.InputWidth]);
                var (thm, tind, tmask, twh, toff) = Targets(batch, flips, categories, o);
                var (phm, pwh, poff) = net.forward(input);
                var lhm = FocalLoss(phm, thm);
                var m = tmask.unsqueeze(2);
                var denom = m.sum() * 2 + 1e-4;
                var lwh = (Gather(pwh, tind) - twh).abs().mul(m).sum() / denom;
                var loff = (Gather(poff, tind) - toff).abs().mul(m).sum() / denom;
                var loss = lhm + 0.1 * lwh + loff;

                step++;
                double lr = step <= warmup ? o.LearningRate * step / Math.Max(1, warmup)
                    : o.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (step - warmup) / Math.Max(1, totalSteps - warmup)));
                foreach (var g in opt.ParamGroups) g.LearningRate = lr;
                opt.zero_grad();
                loss.backward();
                opt.step();
                sum += loss.item<float>(); sumHm += lhm.item<float>(); sumWh += lwh.item<float>(); sumOff += loff.item<float>();
            }
            var e = new ProbeEpoch(epoch, sum / perEpoch, sumHm / perEpoch, sumWh / perEpoch, sumOff / perEpoch, clock.Elapsed.TotalSeconds);
            curve.Add(e);
            log?.Invoke($"probe epoch {epoch}/{o.Epochs}: loss {e.Loss:F4} (heatmap {e.HeatmapLoss:F4}, size {e.SizeLoss:F3}, offset {e.OffsetLoss:F4}) {e.Seconds:F1} s");
            if (o.Seconds > 0 && clock.Elapsed.TotalSeconds >= o.Seconds) break;
        }
        return (curve, clock.Elapsed.TotalSeconds);
    }

    /// <summary>CenterNet's penalty-reduced focal loss (α = 2, β = 4) on logits, normalised by the object count.</summary>
    private static Tensor FocalLoss(Tensor logits, Tensor gt)
    {
        var p = logits.sigmoid();
        var logP = torch.nn.functional.logsigmoid(logits);
        var log1mP = torch.nn.functional.logsigmoid(-logits);
        var pos = gt.eq(1f).to_type(ScalarType.Float32);
        var neg = 1 - pos;
        var posLoss = (logP * (1 - p).pow(2) * pos).sum();
        var negLoss = (log1mP * p.pow(2) * (1 - gt).pow(4) * neg).sum();
        var n = pos.sum().clamp_min(1);
        return -(posLoss + negLoss) / n;
    }

    private static (ProbeSplitMetrics Metrics, double Seconds) Evaluate(ProbeNet net, CocoGroundTruth gt, List<Sample> samples, long[] categories, ProbeOptions o, string split)
    {
        net.eval();
        var clock = Stopwatch.StartNew();
        int oh = o.InputHeight / ProbeNet.Stride, ow = o.InputWidth / ProbeNet.Stride, c = categories.Length;
        int pixels = 3 * o.InputHeight * o.InputWidth;
        using var ms = new MemoryStream();
        int count = 0;
        using (var w = new Utf8JsonWriter(ms))
        using (no_grad())
        {
            w.WriteStartArray();
            for (int start = 0; start < samples.Count; start += o.BatchSize)
            {
                using var scope = NewDisposeScope();
                var batch = samples.Skip(start).Take(o.BatchSize).ToList();
                var x = new float[batch.Count * pixels];
                for (int i = 0; i < batch.Count; i++) batch[i].Pixels.CopyTo(x, i * pixels);
                var (phm, pwh, poff) = net.forward(tensor(x, [batch.Count, 3, o.InputHeight, o.InputWidth]));
                var heat = phm.sigmoid();
                // Max-pool "NMS": a cell is kept only where it is the maximum of its 3×3 neighbourhood.
                var peaks = heat * torch.nn.functional.max_pool2d(heat, 3, 1, 1).eq(heat).to_type(ScalarType.Float32);
                int kk = Math.Min(o.TopK, c * oh * ow);
                var (scores, idx) = peaks.flatten(1).topk(kk);
                var sc = scores.data<float>().ToArray();
                var ix = idx.data<long>().ToArray();
                var whs = pwh.data<float>().ToArray();
                var offs = poff.data<float>().ToArray();
                for (int b = 0; b < batch.Count; b++)
                    for (int j = 0; j < kk; j++)
                    {
                        float score = sc[b * kk + j];
                        if (score < o.ScoreThreshold) break; // topk is sorted
                        long flat = ix[b * kk + j];
                        int cat = (int)(flat / (oh * ow)), cell = (int)(flat % (oh * ow)), cy = cell / ow, cx = cell % ow;
                        int plane = b * 2 * oh * ow;
                        double bw = whs[plane + cell], bh = whs[plane + oh * ow + cell];
                        double px = cx + offs[plane + cell], py = cy + offs[plane + oh * ow + cell];
                        double s = ProbeNet.Stride;
                        var box = batch[b].Transform.ToImageXywh((px - bw / 2) * s, (py - bh / 2) * s, (px + bw / 2) * s, (py + bh / 2) * s);
                        if (box[2] <= 0 || box[3] <= 0) continue;
                        w.WriteStartObject();
                        w.WriteNumber("image_id", batch[b].Image.Id);
                        w.WriteNumber("category_id", categories[cat]);
                        w.WriteStartArray("bbox");
                        foreach (double v in box) w.WriteNumberValue(v);
                        w.WriteEndArray();
                        w.WriteNumber("score", (double)score);
                        w.WriteEndObject();
                        count++;
                    }
            }
            w.WriteEndArray();
        }
        double seconds = clock.Elapsed.TotalSeconds;
        byte[] results = ms.ToArray();
        var dt = CocoDetections.Parse(results, $"(probe detections, {split})", gt);
        var ev = new CocoEvaluator(gt, dt, IouType.Bbox);
        double[] stats = ev.Run();
        var names = gt.Categories.GroupBy(x => x.Id).ToDictionary(g => g.Key, g => g.Last().Name);
        var cats = ev.CategoryIds.Select((id, k) => (id, names[id], ev.CategoryAp(k))).ToList();
        net.train();
        return (new ProbeSplitMetrics(split, samples.Count, count, stats, cats, results), seconds);
    }

    private static DiagnosticException Error(string code, string message, string? file = null) => new(Diagnostic.Error(code, message, file));
}
