using System.Text.Json;
using SynthBuild.Models.Onnx;
using static SynthBuild.Models.Tests.ModelFixtures;

namespace SynthBuild.Models.Tests;

/// <summary>
/// ONNX graphs that output fixed detections, run by ONNX Runtime over a labelled set: the statistics must equal those
/// of the same detections (mapped back to image pixels by hand here) written as a COCO results file and evaluated
/// by the project's evaluator.
/// </summary>
public class OnnxEvaluationTests
{
    private static readonly (int, int)[] ThreeImages = [(96, 72), (96, 72), (96, 72)];
    private static readonly (long, string)[] BoxAndMug = [(3, "box"), (5, "mug")];
    private static readonly (int, long, double[])[] ThreeImageGt =
    [
        (0, 3, [10, 10, 30, 20]), (0, 5, [50, 30, 20, 30]), (1, 3, [5, 40, 40, 25]), (2, 5, [60, 5, 30, 30]),
    ];

    // x1, y1, x2, y2, label, score: the same on every image.
    private static readonly double[][] TorchvisionDets =
    [
        [10, 10, 40, 30, 3, 0.9], [52, 31, 70, 60, 5, 0.8], [5, 40, 45, 65, 3, 0.7], [0, 0, 20, 20, 5, 0.02],
    ];

    internal static string TorchvisionModel(string dir, int[] inputShape, string name = "tv") => ConstantModel(dir, name, inputShape,
    [
        new("boxes", "float32", [TorchvisionDets.Length, 4], TorchvisionDets.SelectMany(d => d[..4]).ToArray()),
        new("labels", "int64", [TorchvisionDets.Length], TorchvisionDets.Select(d => d[4]).ToArray()),
        new("scores", "float32", [TorchvisionDets.Length], TorchvisionDets.Select(d => d[5]).ToArray()),
    ]);

    private static IEnumerable<(long, long, double[], double)> TorchvisionExpected(IEnumerable<long> imageIds, double threshold, Func<long, long>? map = null) =>
        from id in imageIds
        from d in TorchvisionDets
        where (float)d[5] >= (float)threshold
        // float32 model outputs, widened as the decoder widens them
        let x1 = (double)(float)d[0]
        let y1 = (double)(float)d[1]
        select (id, map is null ? (long)d[4] : map((long)d[4]), new[] { x1, y1, (double)(float)d[2] - x1, (double)(float)d[3] - y1 }, (double)(float)d[5]);

    [Fact]
    public void Torchvision_layout_stats_equal_the_same_detections_evaluated_as_a_results_file()
    {
        string dir = TempDir();
        string gt = CocoSet(dir, ThreeImages, BoxAndMug, ThreeImageGt);
        string model = TorchvisionModel(dir, [1, 3, 72, 96]);

        var result = ModelEvaluation.Run(new ModelEvalOptions
        {
            ModelPath = model, Dataset = gt, Layout = DetectionLayout.Torchvision, Decode = new DecodeOptions { ScoreThreshold = 0.05f }, Threads = 2,
        });

        double[] expected = EvaluateResults(gt, TorchvisionExpected([100, 101, 102], 0.05), dir);
        Assert.Equal(expected, result.Stats);
        Assert.InRange(result.Stats[0], 0.1, 0.99); // true and false positives both: a number that can go wrong
        Assert.Equal(9, result.Detections);
        Assert.Equal(3, result.Images);
        Assert.Equal(TensorLayout.Nchw, result.Input.Layout);
        Assert.Equal([3L, 5L], result.Categories.Select(c => c.Id));
    }

    [Fact]
    public void Yolo_v8_letterboxed_boxes_map_back_to_the_image_after_classwise_nms()
    {
        string dir = TempDir();
        // 128x96 images letterboxed into 64x64: scale 0.5, 8 pixels of padding above and below.
        string gt = CocoSet(dir, [(128, 96), (128, 96)], [(1, "box"), (2, "mug")],
            [(0, 1, [20, 20, 40, 30]), (0, 2, [60, 40, 50, 40]), (1, 2, [20, 20, 40, 30])]);
        // Candidates (cx, cy, w, h in input pixels, class 0 score, class 1 score).
        double[][] candidates =
        [
            [20, 25.5, 20, 15, 0.9, 0.1],     // a: image box [20, 20, 40, 30], class 0
            [21, 25.5, 20, 15, 0.8, 0.1],     // b: overlaps a (IoU 0.9), same class: suppressed
            [20, 25.5, 20, 15, 0.05, 0.85],   // c: a's box, class 1: kept (NMS is per class)
            [42.5, 38, 25, 20, 0.01, 0.7],    // d: image box [60, 40, 50, 40], class 1
            [50, 50, 4, 4, 0.0005, 0.0002],   // e: below the score threshold
            [10, 5, 20, 10, 0.3, 0.0],        // f: reaches into the padding: clipped to image row 0 ([0, 0, 40, 4])
            [30, 30, 10, 10, 0, 0],
            [40, 40, 10, 10, 0, 0],
        ];
        int n = candidates.Length, ch = 6;
        var data = new double[ch * n];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < ch; c++) data[c * n + i] = candidates[i][c];
        string model = ConstantModel(dir, "yolo", [1, 3, 64, 64], [new("output0", "float32", [1, ch, n], data)]);

        var result = ModelEvaluation.Run(new ModelEvalOptions
        {
            ModelPath = model, Dataset = gt, Layout = DetectionLayout.Yolo,
            Preprocess = new PreprocessOptions { Resize = ResizeMode.Letterbox },
        });

        (long, double[], double)[] perImage =
        [
            (1, [20, 20, 40, 30], (double)0.9f), (2, [20, 20, 40, 30], (double)0.85f), (2, [60, 40, 50, 40], (double)0.7f), (1, [0, 0, 40, 4], (double)0.3f),
        ];
        var expected = EvaluateResults(gt, from id in new long[] { 100, 101 } from d in perImage select (id, d.Item1, d.Item2, d.Item3), dir);
        Assert.Equal(expected, result.Stats);
        Assert.Equal(8, result.Detections);
        var written = JsonDocument.Parse(result.DetectionsJson).RootElement.EnumerateArray().Take(4)
            .Select(e => (e.GetProperty("category_id").GetInt64(), e.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray())).ToList();
        Assert.Equal(perImage.Select(p => (p.Item1, p.Item2)), written);
    }

    [Fact]
    public void Tfod_layout_with_a_uint8_nhwc_input_uses_num_detections_and_normalised_yx_boxes()
    {
        string dir = TempDir();
        string gt = CocoSet(dir, ThreeImages, BoxAndMug, ThreeImageGt);
        // ymin, xmin, ymax, xmax normalised to the 96x72 input; the 4th detection lies beyond num_detections.
        double[][] boxes = [[10 / 72.0, 10 / 96.0, 30 / 72.0, 40 / 96.0], [30 / 72.0, 50 / 96.0, 60 / 72.0, 70 / 96.0], [0.5, 0.5, 0.9, 0.9], [0, 0, 1, 1]];
        double[] classes = [3, 5, 5, 3], scores = [0.95, 0.9, 0.6, 0.99];
        string model = ConstantModel(dir, "tfod", [1, 72, 96, 3],
        [
            new("detection_boxes", "float32", [1, 4, 4], boxes.SelectMany(b => b).ToArray()),
            new("detection_classes", "float32", [1, 4], classes),
            new("detection_scores", "float32", [1, 4], scores),
            new("num_detections", "float32", [1], [3]),
        ], inputDtype: "uint8", inputName: "input_tensor");

        var result = ModelEvaluation.Run(new ModelEvalOptions { ModelPath = model, Dataset = gt, Layout = DetectionLayout.Tfod });

        var expected = EvaluateResults(gt,
            from id in new long[] { 100, 101, 102 }
            from k in Enumerable.Range(0, 3)
            let b = boxes[k].Select(v => (double)(float)v).ToArray()
            let x1 = b[1] * 96
            let y1 = b[0] * 72
            select (id, (long)classes[k], new[] { x1, y1, b[3] * 96 - x1, b[2] * 72 - y1 }, (double)(float)scores[k]), dir);
        Assert.Equal(expected, result.Stats);
        Assert.Equal(9, result.Detections);
        Assert.True(result.Input.ByteInput);
        Assert.Equal(TensorLayout.Nhwc, result.Input.Layout);
    }

    [Fact]
    public void A_built_dataset_split_is_evaluated_against_its_coco_export()
    {
        var spec = SynthBuild.TestSupport.SmallDataset.Spec(samples: 12);
        string data = SynthBuild.TestSupport.SmallDataset.TempDirWith(spec);
        var before = SynthBuild.TestSupport.SmallDataset.Snapshot(data);
        string dir = TempDir();

        // The split's ground truth as the COCO exporter writes it on its own.
        string exports = Path.Combine(dir, "exports");
        Assert.True(SynthBuild.Export.DatasetExporter.Run(data, exports,
            [new SynthBuild.Export.ExportRequest(SynthBuild.Export.ExportFormat.Coco, new Dictionary<string, string> { ["Segmentation"] = "polygons", ["Keypoints"] = "true" })]).Succeeded);
        string gt = Path.Combine(exports, "coco", "instances_train.json");
        var truth = SynthBuild.Evaluation.CocoGroundTruth.Load(gt);
        Assert.NotEmpty(truth.Images);

        // The model "detects" the first image's objects on every image, as model classes 10 + category id, mapped
        // back by name: a perfect hit on one image, misses and false positives on the others.
        long first = truth.Images[0].Id;
        var objects = truth.Annotations.Where(a => a.ImageId == first).ToList();
        Assert.NotEmpty(objects);
        var names = truth.Categories.ToDictionary(c => c.Id, c => c.Name);
        string classMap = Path.Combine(dir, "classes.json");
        File.WriteAllText(classMap, JsonSerializer.Serialize(names.ToDictionary(kv => (10 + kv.Key).ToString(System.Globalization.CultureInfo.InvariantCulture), kv => kv.Value)));
        double[] scores = objects.Select((_, k) => 0.9 - 0.1 * k).ToArray();
        // A dynamic [3, H, W] input, as torchvision exports take: images go in at their own size.
        string model = ConstantModel(dir, "tv-dynamic", [3, -1, -1],
        [
            new("boxes", "float32", [objects.Count, 4], objects.SelectMany(a => new[] { a.Bbox![0], a.Bbox[1], a.Bbox[0] + a.Bbox[2], a.Bbox[1] + a.Bbox[3] }).ToArray()),
            new("labels", "int64", [objects.Count], objects.Select(a => (double)(10 + a.CategoryId)).ToArray()),
            new("scores", "float32", [objects.Count], scores),
        ]);

        var result = ModelEvaluation.Run(new ModelEvalOptions { ModelPath = model, Dataset = data, Split = "train", Layout = DetectionLayout.Torchvision, ClassMapFile = classMap });

        var expected = EvaluateResults(gt,
            from im in truth.Images
            from k in Enumerable.Range(0, objects.Count)
            let b = objects[k].Bbox!.Select(v => (double)(float)v).ToArray()
            let x2 = (double)(float)(objects[k].Bbox![0] + objects[k].Bbox![2])
            let y2 = (double)(float)(objects[k].Bbox![1] + objects[k].Bbox![3])
            select (im.Id, objects[k].CategoryId, new[] { b[0], b[1], x2 - b[0], y2 - b[1] }, (double)(float)scores[k]), dir);
        Assert.Equal(expected, result.Stats);
        Assert.InRange(expected[0], 0.01, 0.99);
        Assert.Equal(truth.Images.Count, result.Images);
        Assert.Equal(-1, result.Input.Width);
        Assert.Equal(ResizeMode.None, result.Options.Preprocess.Resize);
        Assert.True(result.ImagesPerSecond > 0);
        Assert.Equal(before, SynthBuild.TestSupport.SmallDataset.Snapshot(data)); // the dataset folder is only read
    }
}
