using System.Diagnostics;
using SynthBuild.Augmentation;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;

/// <summary>Augmentation throughput: the pipeline alone on decoded images (single thread), and the loader end to end.</summary>
internal static class AugmentBenchmark
{
    private const string Typical = """
        { "image": { "width": 640, "height": 480 }, "augmentation": { "pipeline": [
          { "type": "horizontalFlip", "p": 0.5 }, { "type": "rotate", "degrees": { "min": -20, "max": 20 } },
          { "type": "randomCrop", "width": 512, "height": 384 }, { "type": "colorJitter", "brightness": 0.2, "contrast": 0.2, "saturation": 0.2, "hue": 10 } ] } }
        """;

    public static void Run(DatasetSpec baseSpec, int images, int epochs, string? preview)
    {
        var spec = baseSpec with { Width = 640, Height = 480, Camera = baseSpec.Camera with { Cx = 320, Cy = 240 } };
        string root = Path.Combine(Path.GetTempPath(), "synthbuild-bench-augment-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            new DatasetBuilder(spec, root).Build();
            var reader = DatasetReader.Open(root);
            var samples = reader.Indices.Select(i => AugmentedDatasetBuilder.LoadSample(reader, i)).ToArray();
            OpenCvSharp.Cv2.SetNumThreads(1);
            Console.WriteLine($"augmentation at {spec.Width}x{spec.Height}, {samples.Length} decoded source samples, single thread, labels recomputed:");
            Rate("flip + rotate + randomCrop + colorJitter", Typical, samples, images, reuse: true);
            Rate("  same, fresh output arrays (offline stage)", Typical, samples, images, reuse: false);
            Rate("no-op (copy in/out only)", Pipe("""{ "type": "brightness", "p": 0, "delta": { "min": 0, "max": 0 } }"""), samples, images * 3, reuse: true);
            Rate("colorJitter", Pipe("""{ "type": "colorJitter", "hue": 10 }"""), samples, images, reuse: true);
            Console.WriteLine("per transform, p = 1: whole sample (RGB bilinear + depth + ids nearest + labels) | RGB only, the OpenCV call alone " +
                "(the regime of Albumentations' published figures: HorizontalFlip ≈ 14,000, Rotate ≈ 2,900, Affine ≈ 1,400 images/s)");
            var (im0, _) = samples[0];
            Rate("horizontalFlip", Pipe("""{ "type": "horizontalFlip" }"""), samples, images * 3, reuse: true,
                RgbOnly(im0, (src, dst) => OpenCvSharp.Cv2.Flip(src, dst, OpenCvSharp.FlipMode.Y), images * 10));
            Rate("rotate ±20°", Pipe("""{ "type": "rotate", "degrees": { "min": -20, "max": 20 } }"""), samples, images, reuse: true,
                RgbOnly(im0, (src, dst) => Warp(src, dst, OpenCvSharp.Cv2.GetRotationMatrix2D(new OpenCvSharp.Point2f(319.5f, 239.5f), 13, 1)), images * 3));
            Rate("affine (rotate, scale, shear)", Pipe("""{ "type": "affine", "degrees": { "min": -20, "max": 20 }, "scale": { "min": 0.8, "max": 1.2 }, "shear": { "min": -10, "max": 10 } }"""),
                samples, images, reuse: true,
                RgbOnly(im0, (src, dst) => Warp(src, dst, OpenCvSharp.Cv2.GetRotationMatrix2D(new OpenCvSharp.Point2f(319.5f, 239.5f), 13, 1.1)), images * 3));

            var aug = AugmentationConfig.Bind(Parse(Typical))!;
            // The loader runs in a child process so its peak memory is its own (not the generator's above).
            var child = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") child.ArgumentList.Add(typeof(AugmentBenchmark).Assembly.Location);
            foreach (string a in new[] { "augment-loader", root, epochs.ToString(System.Globalization.CultureInfo.InvariantCulture) }) child.ArgumentList.Add(a);
            using (var p = Process.Start(child)!)
            {
                Console.Write(p.StandardOutput.ReadToEnd());
                p.WaitForExit();
            }

            if (preview is not null)
            {
                var (im, ann) = samples[1];
                var r = new AugmentationPipeline(aug).Apply(im, ann, spec.Seed, 1, 0);
                File.WriteAllBytes(preview, Png.EncodeRgb8(DrawBoxes(r), r.Images.Width, r.Images.Height));
                Console.WriteLine($"preview with boxes: {preview} (applied: {string.Join(", ", r.Applied)})");
            }
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    /// <summary>Child process: the loader alone on a built dataset, all cores, batch 8, prefetch 2, disposing each batch.</summary>
    public static void RunLoader(string root, int epochs)
    {
        var reader = DatasetReader.Open(root);
        var aug = AugmentationConfig.Bind(Parse(Typical))!;
        var loader = new AugmentedLoader(reader, aug, reader.Info.Seed, new LoaderOptions(BatchSize: 8, Prefetch: 2, Mean: LoaderOptions.ImageNetMean, Std: LoaderOptions.ImageNetStd));
        foreach (var b in loader.Epoch(0)) b.Dispose(); // warm-up: JIT, OpenCV, page cache
        long before = Process.GetCurrentProcess().WorkingSet64;
        var clock = Stopwatch.StartNew();
        int batches = 0, count = 0;
        for (int e = 1; e <= epochs; e++)
            foreach (var b in loader.Epoch(e))
            {
                batches++; count += b.Count;
                b.Dispose();
            }
        double s = clock.Elapsed.TotalSeconds;
        var self = Process.GetCurrentProcess();
        Console.WriteLine($"AugmentedLoader (read PNG + augment + labels + normalize to float32 CHW), {reader.Indices.Count} samples x {epochs} epochs, " +
            $"batch 8, prefetch 2, {loader.Workers} workers: {batches / s:F1} batches/s ({count / s:F0} images/s)");
        Console.WriteLine($"  peak working set {self.PeakWorkingSet64 / 1048576} MB (process; {before / 1048576} MB after warm-up), " +
            $"GC heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576} MB, loader bound (pixel buffers) {loader.MemoryBound / 1048576.0:F0} MB");
    }

    private static void Warp(OpenCvSharp.Mat src, OpenCvSharp.Mat dst, OpenCvSharp.Mat m)
    {
        using (m) OpenCvSharp.Cv2.WarpAffine(src, dst, m, src.Size(), OpenCvSharp.InterpolationFlags.Linear, OpenCvSharp.BorderTypes.Constant, OpenCvSharp.Scalar.All(0));
    }

    /// <summary>images/s of one OpenCV call on the RGB image alone (decoded, preallocated output).</summary>
    private static double RgbOnly(SampleImages im, Action<OpenCvSharp.Mat, OpenCvSharp.Mat> op, int runs)
    {
        using var src = OpenCvSharp.Mat.FromPixelData(im.Height, im.Width, OpenCvSharp.MatType.CV_8UC3, im.Rgb);
        using var dst = new OpenCvSharp.Mat(im.Height, im.Width, OpenCvSharp.MatType.CV_8UC3);
        for (int i = 0; i < 20; i++) op(src, dst);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < runs; i++) op(src, dst);
        return runs / clock.Elapsed.TotalSeconds;
    }

    private static string Pipe(string step) => """{ "image": { "width": 640, "height": 480 }, "augmentation": { "pipeline": [ """ + step + " ] } }";

    private static DatasetSpec Parse(string json)
    {
        var r = ConfigLoader.Parse(json, "bench.json");
        if (!r.Succeeded) throw new InvalidOperationException(string.Join("\n", r.Diagnostics));
        return r.Spec!;
    }

    private static void Rate(string name, string json, (SampleImages, SynthBuild.Core.Labels.SampleAnnotation)[] samples, int images, bool reuse,
        double rgbOnly = 0)
    {
        var pipeline = new AugmentationPipeline(AugmentationConfig.Bind(Parse(json))!);
        PixelBuffers? buffers = reuse ? new PixelBuffers() : null;
        for (int i = 0; i < 10; i++) pipeline.Apply(samples[i % samples.Length].Item1, samples[i % samples.Length].Item2, 1, i, 0, buffers); // warm-up
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < images; i++) pipeline.Apply(samples[i % samples.Length].Item1, samples[i % samples.Length].Item2, 1, i, 1, buffers);
        string extra = rgbOnly > 0 ? $" | {rgbOnly,8:F0} images/s RGB only" : "";
        Console.WriteLine($"  {name,-45} {images / clock.Elapsed.TotalSeconds,8:F0} images/s{extra}");
    }

    /// <summary>The augmented RGB with each box outlined in yellow and its mask tinted.</summary>
    private static byte[] DrawBoxes(AugmentedSample r)
    {
        int w = r.Images.Width, h = r.Images.Height;
        byte[] rgb = (byte[])r.Images.Rgb.Clone();
        for (int i = 0; i < w * h; i++)
            if (r.Images.Ids[i] != 0) rgb[i * 3 + 2] = (byte)Math.Min(255, rgb[i * 3 + 2] + 60);
        foreach (var o in r.Annotation.Objects)
        {
            int x0 = (int)o.Bbox[0], y0 = (int)o.Bbox[1], x1 = x0 + (int)o.Bbox[2] - 1, y1 = y0 + (int)o.Bbox[3] - 1;
            for (int x = x0; x <= x1; x++) { Set(x, y0); Set(x, y1); }
            for (int y = y0; y <= y1; y++) { Set(x0, y); Set(x1, y); }
        }
        return rgb;
        void Set(int x, int y) { int i = (y * w + x) * 3; rgb[i] = 255; rgb[i + 1] = 255; rgb[i + 2] = 0; }
    }
}
