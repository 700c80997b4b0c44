using System.Globalization;

namespace SynthBuild.Evaluation.Tests;

/// <summary>Builds small COCO ground-truth / results JSON documents for tests.</summary>
internal sealed class CocoBuilder
{
    private readonly List<string> _images = [];
    private readonly List<string> _anns = [];
    private readonly List<string> _cats = [];
    private readonly List<string> _dets = [];
    private int _nextAnnId = 1;

    private static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string Box(double[] b) => "[" + string.Join(",", b.Select(N)) + "]";

    public CocoBuilder Image(long id, int w = 100, int h = 100)
    {
        _images.Add($"{{\"id\":{id},\"width\":{w},\"height\":{h}}}");
        return this;
    }

    public CocoBuilder Category(long id, string? name = null)
    {
        _cats.Add($"{{\"id\":{id},\"name\":\"{name ?? "c" + id}\"}}");
        return this;
    }

    /// <summary>A box annotation; area defaults to w*h.</summary>
    public CocoBuilder Gt(long image, long cat, double[] bbox, double? area = null, bool crowd = false, long? id = null, string? extra = null, string? segmentation = null)
    {
        long annId = id ?? _nextAnnId++;
        string seg = segmentation ?? $"[[{N(bbox[0])},{N(bbox[1])},{N(bbox[0])},{N(bbox[1] + bbox[3])},{N(bbox[0] + bbox[2])},{N(bbox[1] + bbox[3])},{N(bbox[0] + bbox[2])},{N(bbox[1])}]]";
        _anns.Add($"{{\"id\":{annId},\"image_id\":{image},\"category_id\":{cat},\"bbox\":{Box(bbox)},\"area\":{N(area ?? bbox[2] * bbox[3])},\"iscrowd\":{(crowd ? 1 : 0)},\"segmentation\":{seg}{extra ?? ""}}}");
        return this;
    }

    public CocoBuilder Dt(long image, long cat, double[] bbox, double score)
    {
        _dets.Add($"{{\"image_id\":{image},\"category_id\":{cat},\"bbox\":{Box(bbox)},\"score\":{N(score)}}}");
        return this;
    }

    public CocoBuilder DtRaw(string json)
    {
        _dets.Add(json);
        return this;
    }

    public string GtJson => $"{{\"images\":[{string.Join(",", _images)}],\"annotations\":[{string.Join(",", _anns)}],\"categories\":[{string.Join(",", _cats)}]}}";
    public string DtJson => "[" + string.Join(",", _dets) + "]";

    public double[] Stats(IouType type = IouType.Bbox) => Evaluator(type).Run();

    public CocoEvaluator Evaluator(IouType type = IouType.Bbox)
    {
        var gt = CocoGroundTruth.Parse(GtJson, "gt.json");
        var dt = CocoDetections.Parse(DtJson, "dt.json", gt);
        return new CocoEvaluator(gt, dt, type);
    }

    /// <summary>pycocotools' precision for a single true positive: 1 / (1 + np.spacing(1)).</summary>
    public static readonly double OneTp = 1.0 / (1.0 + (Math.BitIncrement(1.0) - 1.0));
}
