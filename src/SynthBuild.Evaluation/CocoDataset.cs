using System.Text.Json;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Evaluation;

public sealed class CocoImage
{
    public long Id { get; init; }
    /// <summary>0 when the file does not give it (only segm evaluation of polygons needs it).</summary>
    public int Height { get; init; }
    public int Width { get; init; }
    public string? FileName { get; init; }
}

public sealed class CocoCategory
{
    public long Id { get; init; }
    public string Name { get; init; } = "";
}

/// <summary>One ground-truth annotation or one detection.</summary>
public sealed class CocoAnnotation
{
    /// <summary>Position of the entry in its file's list (0-based), for messages.</summary>
    public int Index { get; init; }
    public long Id { get; init; }
    public long ImageId { get; init; }
    public long CategoryId { get; init; }
    public double Area { get; init; }
    public bool IsCrowd { get; init; }
    public double[]? Bbox { get; init; }
    public Segmentation? Segmentation { get; init; }
    /// <summary>Detections only.</summary>
    public double Score { get; init; }
    /// <summary>True for an entry of a results file (ids 1..n), false for a ground-truth annotation.</summary>
    public bool IsDetection { get; init; }
}

/// <summary>A COCO ground-truth file (images, annotations, categories).</summary>
public sealed class CocoGroundTruth
{
    public string File { get; }
    public IReadOnlyList<CocoImage> Images { get; }
    public IReadOnlyList<CocoAnnotation> Annotations { get; }
    public IReadOnlyList<CocoCategory> Categories { get; }
    /// <summary>Image id → image (the last entry wins for a repeated id, as in pycocotools' index).</summary>
    public IReadOnlyDictionary<long, CocoImage> ImagesById { get; }

    private CocoGroundTruth(string file, List<CocoImage> images, List<CocoAnnotation> anns, List<CocoCategory> cats)
    {
        File = file;
        Images = images;
        Annotations = anns;
        Categories = cats;
        var byId = new Dictionary<long, CocoImage>();
        foreach (var im in images) byId[im.Id] = im;
        ImagesById = byId;
    }

    /// <summary>A ground truth from parts already in memory (slice analysis: subsets and bootstrap resamples).</summary>
    internal static CocoGroundTruth Create(string file, List<CocoImage> images, List<CocoAnnotation> anns, IReadOnlyList<CocoCategory> cats) =>
        new(file, images, anns, [.. cats]);

    public static CocoGroundTruth Load(string path) => Parse(CocoJsonContext.ReadFile(path), path);

    public static bool TryLoad(string path, out CocoGroundTruth? gt, out EvaluationDiagnostic? diagnostic)
    {
        try
        {
            gt = Load(path);
            diagnostic = null;
            return true;
        }
        catch (CocoFormatException ex)
        {
            gt = null;
            diagnostic = ex.Diagnostic;
            return false;
        }
    }

    public static CocoGroundTruth Parse(string json, string file) => Parse(System.Text.Encoding.UTF8.GetBytes(json), file);

    public static CocoGroundTruth Parse(byte[] utf8, string file)
    {
        using var doc = CocoJsonContext.Parse(utf8, file);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new CocoFormatException(new EvaluationDiagnostic(SynCodes.CocoWrongShape, file, null,
                $"a COCO ground truth must be an object with 'images', 'annotations' and 'categories', found {CocoJsonContext.Kind(root)}"));

        var images = new List<CocoImage>();
        var imagesEl = Section(root, "images", file, required: true);
        int i = 0;
        foreach (var e in imagesEl.EnumerateArray())
        {
            var c = new CocoJsonContext(file, $"images[{i}]");
            if (e.ValueKind != JsonValueKind.Object) throw c.Error(SynCodes.CocoWrongShape, $"expected an object, found {CocoJsonContext.Kind(e)}");
            images.Add(new CocoImage
            {
                Id = c.Id(c.Required(e, "id"), "id"),
                Height = e.TryGetProperty("height", out var h) ? Dim(c, h, "height") : 0,
                Width = e.TryGetProperty("width", out var w) ? Dim(c, w, "width") : 0,
                FileName = e.TryGetProperty("file_name", out var fn) && fn.ValueKind == JsonValueKind.String ? fn.GetString() : null,
            });
            i++;
        }

        var cats = new List<CocoCategory>();
        var catsEl = Section(root, "categories", file, required: true);
        i = 0;
        foreach (var e in catsEl.EnumerateArray())
        {
            var c = new CocoJsonContext(file, $"categories[{i}]");
            if (e.ValueKind != JsonValueKind.Object) throw c.Error(SynCodes.CocoWrongShape, $"expected an object, found {CocoJsonContext.Kind(e)}");
            long id = c.Id(c.Required(e, "id"), "id");
            string name = e.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            cats.Add(new CocoCategory { Id = id, Name = name });
            i++;
        }

        var anns = new List<CocoAnnotation>();
        var annsEl = Section(root, "annotations", file, required: false);
        i = 0;
        if (annsEl.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in annsEl.EnumerateArray())
            {
                var c = new CocoJsonContext(file, $"annotations[{i}]");
                if (e.ValueKind != JsonValueKind.Object) throw c.Error(SynCodes.CocoWrongShape, $"expected an object, found {CocoJsonContext.Kind(e)}");
                anns.Add(new CocoAnnotation
                {
                    Index = i,
                    Id = c.Id(c.Required(e, "id"), "id"),
                    ImageId = c.Id(c.Required(e, "image_id"), "image_id"),
                    CategoryId = c.Id(c.Required(e, "category_id"), "category_id"),
                    Area = c.Number(c.Required(e, "area"), "area"),
                    IsCrowd = e.TryGetProperty("iscrowd", out var ic) && c.Flag(ic, "iscrowd"),
                    Bbox = e.TryGetProperty("bbox", out var bb) ? c.Box(bb, "bbox") : null,
                    Segmentation = e.TryGetProperty("segmentation", out var sg) && sg.ValueKind != JsonValueKind.Null ? c.DeferredSegmentation(sg) : null,
                });
                i++;
            }
        }
        return new CocoGroundTruth(file, images, anns, cats);
    }

    private static JsonElement Section(JsonElement root, string name, string file, bool required)
    {
        if (!root.TryGetProperty(name, out var v))
        {
            if (!required) return default;
            throw new CocoFormatException(new EvaluationDiagnostic(SynCodes.CocoWrongShape, file, null, $"missing top-level field '{name}'"));
        }
        if (v.ValueKind != JsonValueKind.Array)
            throw new CocoFormatException(new EvaluationDiagnostic(SynCodes.CocoWrongShape, file, null, $"'{name}' must be an array, found {CocoJsonContext.Kind(v)}"));
        return v;
    }

    private static int Dim(CocoJsonContext c, JsonElement v, string name)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int d) && d >= 0) return d;
        throw c.Error(SynCodes.CocoWrongShape, $"'{name}' must be a non-negative integer, found {CocoJsonContext.Describe(v)}");
    }
}

/// <summary>
/// A detection results file (a list of {image_id, category_id, bbox | segmentation, score}) loaded against a
/// ground truth the way pycocotools' COCO.loadRes does it.
/// </summary>
public sealed class CocoDetections
{
    public string File { get; }
    /// <summary>Detections in file order; ids are 1..n as loadRes assigns them.</summary>
    public IReadOnlyList<CocoAnnotation> Detections { get; }
    /// <summary>True when the first entry had a non-empty bbox (loadRes' "bbox" branch).</summary>
    public bool BoxResults { get; }

    private CocoDetections(string file, List<CocoAnnotation> dets, bool boxResults)
    {
        File = file;
        Detections = dets;
        BoxResults = boxResults;
    }

    /// <summary>Detections from parts already in memory (slice analysis: subsets and bootstrap resamples).</summary>
    internal static CocoDetections Create(string file, List<CocoAnnotation> dets, bool boxResults) => new(file, dets, boxResults);

    public static CocoDetections Load(string path, CocoGroundTruth gt) => Parse(CocoJsonContext.ReadFile(path), path, gt);

    public static bool TryLoad(string path, CocoGroundTruth gt, out CocoDetections? dt, out EvaluationDiagnostic? diagnostic)
    {
        try
        {
            dt = Load(path, gt);
            diagnostic = null;
            return true;
        }
        catch (CocoFormatException ex)
        {
            dt = null;
            diagnostic = ex.Diagnostic;
            return false;
        }
    }

    public static CocoDetections Parse(string json, string file, CocoGroundTruth gt) => Parse(System.Text.Encoding.UTF8.GetBytes(json), file, gt);

    public static CocoDetections Parse(byte[] utf8, string file, CocoGroundTruth gt)
    {
        using var doc = CocoJsonContext.Parse(utf8, file);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
            throw new CocoFormatException(new EvaluationDiagnostic(SynCodes.CocoWrongShape, file, null,
                $"detection results must be an array of {{image_id, category_id, bbox | segmentation, score}}, found {CocoJsonContext.Kind(root)}"));

        // loadRes decides by the first entry: a non-empty 'bbox' means every entry is a box result.
        bool boxResults = false;
        if (root.GetArrayLength() > 0)
        {
            var first = root[0];
            boxResults = first.ValueKind == JsonValueKind.Object && first.TryGetProperty("bbox", out var fb)
                         && !(fb.ValueKind == JsonValueKind.Array && fb.GetArrayLength() == 0);
        }

        var evaluatedCategories = new HashSet<long>(gt.Categories.Select(cat => cat.Id));
        var dets = new List<CocoAnnotation>(root.GetArrayLength());
        int i = 0;
        foreach (var e in root.EnumerateArray())
        {
            var c = new CocoJsonContext(file, $"entry {i}");
            if (e.ValueKind != JsonValueKind.Object) throw c.Error(SynCodes.CocoWrongShape, $"expected an object, found {CocoJsonContext.Kind(e)}");
            long imageId = c.Id(c.Required(e, "image_id"), "image_id");
            if (!gt.ImagesById.TryGetValue(imageId, out var image))
                throw c.Error(SynCodes.CocoUnknownImage, $"image_id {imageId} is not in the ground truth");
            long catId = c.Id(c.Required(e, "category_id"), "category_id");
            // COCOeval reads 'score' only for detections of the ground truth's categories (the others are never
            // selected), so only those must carry one.
            double score = evaluatedCategories.Contains(catId)
                ? c.Number(c.Required(e, "score"), "score")
                : e.TryGetProperty("score", out var sc) && sc.ValueKind == JsonValueKind.Number && double.IsFinite(sc.GetDouble()) ? sc.GetDouble() : 0;
            double[] bbox;
            Segmentation? seg = null;
            double area;
            if (boxResults)
            {
                if (!e.TryGetProperty("bbox", out var bb))
                    throw c.Error(SynCodes.CocoWrongShape, "missing field 'bbox' (the first entry has a bbox, so every entry must)");
                bbox = c.Box(bb, "bbox");
                // loadRes keeps a box result's own 'segmentation' ([] and null included) and reads it only for segm
                // evaluation: a problem with it is reported there, not here.
                if (e.TryGetProperty("segmentation", out var sg))
                    seg = sg.ValueKind == JsonValueKind.Null
                        ? new Segmentation(null, null, new EvaluationDiagnostic(SynCodes.CocoMalformedMask, file, c.Location, "'segmentation' is null (a box result without a mask cannot be evaluated with --iou-type segm)"))
                        : c.DeferredSegmentation(sg);
                else
                {
                    double x1 = bbox[0], x2 = bbox[0] + bbox[2], y1 = bbox[1], y2 = bbox[1] + bbox[3];
                    seg = new Segmentation([new[] { x1, y1, x1, y2, x2, y2, x2, y1 }], null);
                }
                area = bbox[2] * bbox[3];
            }
            else
            {
                if (!e.TryGetProperty("segmentation", out var sg))
                    throw c.Error(SynCodes.CocoWrongShape, "missing field 'segmentation' (an entry needs a 'bbox' or a 'segmentation')");
                seg = c.Segmentation(sg);
                Rle rle;
                if (seg.Rle is not null) rle = seg.Rle;
                else
                {
                    if (image.Height <= 0 || image.Width <= 0)
                        throw c.Error(SynCodes.CocoMissingImageSize, $"a polygon needs the size of image {imageId}, which the ground truth does not give");
                    rle = seg.ToRle(image.Height, image.Width);
                }
                area = rle.Area();
                bbox = e.TryGetProperty("bbox", out var bb) && !(bb.ValueKind == JsonValueKind.Array && bb.GetArrayLength() == 0)
                    ? c.Box(bb, "bbox")
                    : rle.ToBbox();
            }
            dets.Add(new CocoAnnotation
            {
                Index = i,
                Id = i + 1,
                ImageId = imageId,
                CategoryId = catId,
                Score = score,
                Bbox = bbox,
                Segmentation = seg,
                Area = area,
                IsCrowd = false,
                IsDetection = true,
            });
            i++;
        }
        return new CocoDetections(file, dets, boxResults);
    }
}
