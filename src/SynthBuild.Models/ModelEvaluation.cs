using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;
using SynthBuild.Export;
using SynthBuild.Models.Onnx;

namespace SynthBuild.Models;

/// <summary>What <see cref="ModelEvaluation.Run"/> evaluates and how.</summary>
public sealed record ModelEvalOptions
{
    public required string ModelPath { get; init; }
    /// <summary>A built dataset folder (its COCO instances of <see cref="Split"/>) or a COCO ground-truth JSON file.</summary>
    public required string Dataset { get; init; }
    /// <summary>Image root for a COCO JSON (default: the JSON's folder); ignored for a dataset folder.</summary>
    public string? Images { get; init; }
    public string Split { get; init; } = "val";
    public DetectionLayout Layout { get; init; } = DetectionLayout.Torchvision;
    public PreprocessOptions Preprocess { get; init; } = new();
    public DecodeOptions Decode { get; init; } = new();
    public string? ClassMapFile { get; init; }
    /// <summary>Images run at once (one ONNX Runtime session shared, one intra-op thread each); 0: the core count.</summary>
    public int Threads { get; init; }
}

/// <summary>The outcome: the evaluator's numbers and how long inference took.</summary>
public sealed record ModelEvalResult(
    ModelEvalOptions Options, string GroundTruthFile, string ImageRoot, ImageInput Input, string ClassMapDescription,
    int Images, int Detections, double[] Stats, IReadOnlyList<(long Id, string Name, double Ap)> Categories,
    double Seconds, double InferenceSeconds, byte[] DetectionsJson)
{
    public double ImagesPerSecond => Seconds > 0 ? Images / Seconds : 0;

    /// <summary>The ground truth and detections evaluated, for a caller that evaluates them further (sim-to-real).</summary>
    public required CocoGroundTruth GroundTruth { get; init; }
    public required CocoDetections DetectionSet { get; init; }

    /// <summary>The report written by `synth model-eval --out` (docs/models.md).</summary>
    public byte[] ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", Path.GetFullPath(Options.ModelPath));
            w.WriteString("dataset", Path.GetFullPath(Options.Dataset));
            w.WriteString("groundTruth", GroundTruthFile);
            w.WriteString("imageRoot", ImageRoot);
            w.WriteString("split", Directory.Exists(Options.Dataset) ? Options.Split : null);
            w.WriteStartObject("settings");
            w.WriteString("layout", Options.Layout.ToString().ToLowerInvariant());
            w.WriteStartObject("input");
            w.WriteString("name", Input.Name);
            w.WriteString("tensorLayout", Input.Layout.ToString().ToUpperInvariant());
            w.WriteString("elementType", Input.ByteInput ? "uint8" : "float32");
            w.WriteNumber("width", Input.Width);
            w.WriteNumber("height", Input.Height);
            w.WriteEndObject();
            var p = Options.Preprocess;
            w.WriteStartObject("preprocess");
            w.WriteString("resize", p.Resize?.ToString().ToLowerInvariant());
            if (p.InputSize is (int iw, int ih)) w.WriteString("inputSize", string.Create(CultureInfo.InvariantCulture, $"{iw}x{ih}"));
            else w.WriteNull("inputSize");
            w.WriteNumber("scale", p.Scale);
            Floats(w, "mean", p.Mean);
            Floats(w, "std", p.Std);
            w.WriteString("channelOrder", p.Order.ToString().ToLowerInvariant());
            w.WriteNumber("padValue", p.PadValue);
            w.WriteEndObject();
            w.WriteNumber("scoreThreshold", Options.Decode.ScoreThreshold);
            w.WriteNumber("nmsIou", Options.Decode.NmsIou);
            w.WriteNumber("maxDetections", Options.Decode.MaxDetections);
            w.WriteString("classMap", ClassMapDescription);
            w.WriteNumber("threads", Options.Threads);
            w.WriteEndObject();
            w.WriteNumber("images", Images);
            w.WriteNumber("detections", Detections);
            CocoEvaluator.WriteStats(w, "stats", Stats);
            CocoEvaluator.WriteCategoryAps(w, "categories", Categories);
            w.WriteStartObject("timing");
            w.WriteNumber("seconds", Seconds);
            w.WriteNumber("inferenceSeconds", InferenceSeconds);
            w.WriteNumber("imagesPerSecond", ImagesPerSecond);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    private static void Floats(Utf8JsonWriter w, string name, float[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }
}

/// <summary>
/// Runs an ONNX detector over a labelled image set (a built dataset's split or a real COCO set) and evaluates its
/// detections with the project's COCO evaluator, exactly as `synth eval` evaluates a results file.
/// </summary>
public static class ModelEvaluation
{
    /// <exception cref="DiagnosticException">SYN8xxx for a bad model, dataset, image, option or class.</exception>
    /// <exception cref="CocoFormatException">SYN7xxx for a malformed ground truth.</exception>
    public static ModelEvalResult Run(ModelEvalOptions o)
    {
        var clock = Stopwatch.StartNew();
        string? scratch = null;
        try
        {
            var (gtFile, imageRoot) = ResolveGroundTruth(o, ref scratch);
            var gt = CocoGroundTruth.Load(gtFile);
            if (gt.Images.Count == 0)
                throw ModelErrors.Error(SynCodes.ModelEvalDatasetInvalid, $"The ground truth lists no images{(Directory.Exists(o.Dataset) ? $" (split '{o.Split}' is empty)" : "")}.", gtFile);
            if (scratch is not null) gtFile = Path.Combine(Path.GetFullPath(o.Dataset), "(coco export of split " + o.Split + ")");

            int threads = o.Threads > 0 ? o.Threads : Environment.ProcessorCount;
            using var detector = OnnxDetector.Load(o.ModelPath, intraOpThreads: threads > 1 ? 1 : 0);
            DetectionDecoders.CheckDeclared(o.Layout, detector.Outputs, o.ModelPath);
            var pre = new Preprocessor(detector.Input, o.Preprocess, o.Layout, o.ModelPath);
            var classMap = o.ClassMapFile is null ? ClassMap.Default(o.Layout, gt) : ClassMap.Load(o.ClassMapFile, gt);

            // Every image listed, in file order; results are stored by position so the output does not depend on threads.
            var images = gt.Images;
            var perImage = new List<(long Category, Detection Det)>[images.Count];
            long inferenceTicks = 0;
            var loop = Stopwatch.StartNew();
            // Break (not Stop) on a bad image: every image before it still runs, so the first failing one in file
            // order is reported whatever the thread count.
            var failures = new Exception?[images.Count];
            Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, (i, state) =>
            {
                try
                {
                    var im = images[i];
                    string path = ImagePath(imageRoot, im, gtFile);
                    var (w, h, rgb) = ReadImage(path, im);
                    var prepared = pre.Prepare(rgb, w, h);
                    long t0 = Stopwatch.GetTimestamp();
                    var outputs = detector.Run(prepared, path);
                    Interlocked.Add(ref inferenceTicks, Stopwatch.GetTimestamp() - t0);
                    var dets = DetectionDecoders.Decode(o.Layout, outputs, prepared.Transform, o.Decode, o.ModelPath);
                    perImage[i] = dets.Select(d => (classMap.CategoryOf(d.ModelClass, o.ModelPath, path), d)).ToList();
                }
                catch (DiagnosticException ex)
                {
                    failures[i] = ex;
                    state.Break();
                }
            });
            if (failures.FirstOrDefault(f => f is not null) is { } failure)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
            double loopSeconds = loop.Elapsed.TotalSeconds;

            byte[] json = ResultsJson(images, perImage);
            var dt = CocoDetections.Parse(json, "(detections of " + Path.GetFileName(o.ModelPath) + ")", gt);
            var ev = new CocoEvaluator(gt, dt, IouType.Bbox);
            double[] stats = ev.Run();
            var names = gt.Categories.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.Last().Name);
            var cats = ev.CategoryIds.Select((id, k) => (id, names[id], ev.CategoryAp(k))).ToList();
            return new ModelEvalResult(o with { Preprocess = pre.Options, Threads = threads }, gtFile, imageRoot, detector.Input, classMap.Description, images.Count, dt.Detections.Count, stats, cats,
                loopSeconds, (double)inferenceTicks / Stopwatch.Frequency, json) { GroundTruth = gt, DetectionSet = dt };
        }
        finally
        {
            if (scratch is not null) try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The COCO ground truth and image root of the dataset option.</summary>
    private static (string GtFile, string ImageRoot) ResolveGroundTruth(ModelEvalOptions o, ref string? scratch)
    {
        string ds = o.Dataset;
        if (File.Exists(ds))
        {
            string root = o.Images ?? Path.GetDirectoryName(Path.GetFullPath(ds))!;
            if (!Directory.Exists(root))
                throw ModelErrors.Error(SynCodes.ModelEvalDatasetInvalid, $"Image folder not found: '{root}' (--images).", root);
            return (ds, root);
        }
        if (!Directory.Exists(ds))
            throw ModelErrors.Error(SynCodes.ModelEvalDatasetInvalid, $"Dataset not found: '{ds}' is neither a built dataset folder nor a COCO JSON file.", ds);
        if (!File.Exists(Path.Combine(ds, DatasetLayout.DatasetFile)))
            throw ModelErrors.Error(SynCodes.ModelEvalDatasetInvalid, $"'{ds}' is not a built dataset (no {DatasetLayout.DatasetFile}); give the dataset folder (e.g. bin/dataset) or a COCO JSON file.", ds);
        ModelEvalSettings.Split(o.Split, "--split");

        // The COCO export's instances of the split, written afresh into a scratch folder: the same ground truth the
        // build's coco export holds, without touching (or trusting the freshness of) the dataset's own exports.
        scratch = Path.Combine(Path.GetTempPath(), "synth-model-eval-" + Guid.NewGuid().ToString("N"));
        var request = new ExportRequest(ExportFormat.Coco, new Dictionary<string, string> { ["Segmentation"] = "rle", ["Keypoints"] = "false" });
        var export = DatasetExporter.Run(ds, scratch, [request]);
        if (!export.Succeeded) throw new DiagnosticException(export.Diagnostics.First(d => d.IsError));
        string gt = Path.Combine(scratch, ExportOptions.NameOf(ExportFormat.Coco), $"instances_{o.Split}.json");
        return (gt, Path.GetFullPath(ds));
    }

    private static string ImagePath(string root, CocoImage im, string gtFile)
    {
        if (string.IsNullOrEmpty(im.FileName))
            throw ModelErrors.Error(SynCodes.ModelEvalImageUnreadable, $"Image {im.Id} has no file_name in the ground truth.", gtFile);
        return Path.Combine(root, im.FileName.Replace('/', Path.DirectorySeparatorChar));
    }

    private static (int W, int H, byte[] Rgb) ReadImage(string path, CocoImage im)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ModelErrors.Error(SynCodes.ModelEvalImageUnreadable, $"Image {im.Id} ('{im.FileName}') cannot be read: {ex.Message}", path);
        }
        try { return ImageDecoder.DecodeRgb8(bytes); }
        catch (FormatException ex)
        {
            throw ModelErrors.Error(SynCodes.ModelEvalImageUnreadable, $"Image {im.Id} ('{im.FileName}') is not a readable PNG or JPEG: {ex.Message}", path);
        }
    }

    /// <summary>The detections as a COCO results file (what `synth eval --dt` reads).</summary>
    private static byte[] ResultsJson(IReadOnlyList<CocoImage> images, List<(long Category, Detection Det)>[] perImage)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartArray();
            for (int i = 0; i < images.Count; i++)
                foreach (var (cat, d) in perImage[i])
                {
                    w.WriteStartObject();
                    w.WriteNumber("image_id", images[i].Id);
                    w.WriteNumber("category_id", cat);
                    w.WriteStartArray("bbox");
                    foreach (double v in d.Bbox) w.WriteNumberValue(v);
                    w.WriteEndArray();
                    w.WriteNumber("score", (double)d.Score);
                    w.WriteEndObject();
                }
            w.WriteEndArray();
        }
        return ms.ToArray();
    }
}
