using System.Diagnostics;
using SynthBuild.Core.Augmentation;
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
            Rate("flip + rotate + randomCrop + colorJitter", Typical, samples, images);
            Rate("no-op (copy in/out only)", Pipe("""{ "type": "brightness", "p": 0, "delta": { "min": 0, "max": 0 } }"""), samples, images * 3);
            Rate("horizontalFlip (p=1)", Pipe("""{ "type": "horizontalFlip" }"""), samples, images * 3);
            Rate("rotate ±20°", Pipe("""{ "type": "rotate", "degrees": { "min": -20, "max": 20 } }"""), samples, images);
            Rate("affine", Pipe("""{ "type": "affine", "degrees": { "min": -20, "max": 20 }, "scale": { "min": 0.8, "max": 1.2 }, "shear": { "min": -10, "max": 10 } }"""), samples, images);
            Rate("colorJitter", Pipe("""{ "type": "colorJitter", "hue": 10 }"""), samples, images);

            var aug = Parse(Typical).Augmentation!;
            var loader = new AugmentedLoader(reader, aug, spec.Seed, new LoaderOptions(BatchSize: 8, Mean: LoaderOptions.ImageNetMean, Std: LoaderOptions.ImageNetStd));
            var clock = Stopwatch.StartNew();
            int batches = 0, count = 0;
            for (int e = 0; e < epochs; e++)
                foreach (var b in loader.Epoch(e)) { batches++; count += b.Count; }
            double s = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"AugmentedLoader (read PNG + augment + normalize to float32 CHW), batch 8, {Environment.ProcessorCount} workers: " +
                $"{batches / s:F1} batches/s ({count / s:F0} images/s), peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MB");

            if (preview is not null)
            {
                var (im, ann) = samples[1];
                var r = new AugmentationPipeline(Parse(Typical).Augmentation!).Apply(im, ann, spec.Seed, 1, 0);
                File.WriteAllBytes(preview, Png.EncodeRgb8(DrawBoxes(r), r.Images.Width, r.Images.Height));
                Console.WriteLine($"preview with boxes: {preview} (applied: {string.Join(", ", r.Applied)})");
            }
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    private static string Pipe(string step) => """{ "image": { "width": 640, "height": 480 }, "augmentation": { "pipeline": [ """ + step + " ] } }";

    private static DatasetSpec Parse(string json)
    {
        var r = ConfigLoader.Parse(json, "bench.json");
        if (!r.Succeeded) throw new InvalidOperationException(string.Join("\n", r.Diagnostics));
        return r.Spec!;
    }

    private static void Rate(string name, string json, (SampleImages, SynthBuild.Core.Labels.SampleAnnotation)[] samples, int images)
    {
        var pipeline = new AugmentationPipeline(Parse(json).Augmentation!);
        for (int i = 0; i < 10; i++) pipeline.Apply(samples[i % samples.Length].Item1, samples[i % samples.Length].Item2, 1, i, 0); // warm-up
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < images; i++) pipeline.Apply(samples[i % samples.Length].Item1, samples[i % samples.Length].Item2, 1, i, 1);
        Console.WriteLine($"  {name,-45} {images / clock.Elapsed.TotalSeconds,8:F0} images/s");
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
