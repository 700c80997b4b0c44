using System.Globalization;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Evaluation;

/// <summary>Helpers that read JSON values and turn every mismatch into a <see cref="CocoFormatException"/>.</summary>
internal readonly struct CocoJsonContext(string file, string location)
{
    public string File { get; } = file;
    public string Location { get; } = location;

    public CocoFormatException Error(string code, string message) =>
        new(new EvaluationDiagnostic(code, File, Location, message));

    public static JsonDocument Parse(byte[] bytes, string file)
    {
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            int line = (int)(ex.LineNumber ?? -1) + 1;
            int col = (int)(ex.BytePositionInLine ?? -1) + 1;
            string msg = ex.Message;
            int cut = msg.IndexOf(" Path:", StringComparison.Ordinal);
            if (cut < 0) cut = msg.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) msg = msg[..cut];
            throw new CocoFormatException(new EvaluationDiagnostic(SynCodes.CocoInvalidJson, file, null,
                "invalid JSON: " + msg.TrimEnd(), line, col));
        }
    }

    public static byte[] ReadFile(string path)
    {
        try
        {
            return System.IO.File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CocoFormatException(new EvaluationDiagnostic(SynCodes.CocoFileNotReadable, path, null,
                "cannot read the file: " + ex.Message));
        }
    }

    public static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    public JsonElement Required(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var v))
            throw Error(SynCodes.CocoWrongShape, $"missing field '{name}'");
        return v;
    }

    public double Number(JsonElement v, string name)
    {
        if (v.ValueKind != JsonValueKind.Number)
            throw Error(SynCodes.CocoWrongShape, $"'{name}' must be a number, found {Kind(v)}");
        double d = v.GetDouble();
        if (!double.IsFinite(d))
            throw Error(SynCodes.CocoWrongShape, $"'{name}' must be a finite number");
        return d;
    }

    public long Id(JsonElement v, string name)
    {
        if (v.ValueKind == JsonValueKind.Number)
        {
            if (v.TryGetInt64(out long l)) return l;
            double d = v.GetDouble();
            if (d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
        }
        throw Error(SynCodes.CocoWrongShape, $"'{name}' must be an integer, found {Describe(v)}");
    }

    public static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => v.GetRawText(),
        JsonValueKind.String => "the string " + v.GetRawText(),
        _ => Kind(v),
    };

    /// <summary>iscrowd: a number (0/1) or a boolean.</summary>
    public bool Flag(JsonElement v, string name)
    {
        if (v.ValueKind == JsonValueKind.True) return true;
        if (v.ValueKind == JsonValueKind.False) return false;
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble() != 0;
        throw Error(SynCodes.CocoWrongShape, $"'{name}' must be 0 or 1, found {Describe(v)}");
    }

    public double[] Box(JsonElement v, string name)
    {
        if (v.ValueKind != JsonValueKind.Array)
            throw Error(SynCodes.CocoWrongShape, $"'{name}' must be an array [x, y, width, height], found {Kind(v)}");
        if (v.GetArrayLength() != 4)
            throw Error(SynCodes.CocoWrongShape, $"'{name}' must have 4 numbers [x, y, width, height], found {v.GetArrayLength()}");
        var bb = new double[4];
        int i = 0;
        foreach (var e in v.EnumerateArray()) bb[i++] = Number(e, name);
        return bb;
    }

    /// <summary>
    /// Parses a segmentation: a list of polygons, an uncompressed RLE {counts: [..], size: [h, w]} or a compressed
    /// RLE {counts: "..", size: [h, w]}. Compressed strings are decoded (and checked) here.
    /// </summary>
    public Segmentation Segmentation(JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Array)
        {
            var polys = new List<double[]>();
            int p = 0;
            foreach (var poly in v.EnumerateArray())
            {
                if (poly.ValueKind != JsonValueKind.Array)
                    throw Error(SynCodes.CocoMalformedMask, $"segmentation polygon {p} must be an array of numbers, found {Kind(poly)}");
                var xy = new double[poly.GetArrayLength()];
                int i = 0;
                foreach (var c in poly.EnumerateArray())
                {
                    if (c.ValueKind != JsonValueKind.Number)
                        throw Error(SynCodes.CocoMalformedMask, $"segmentation polygon {p}, coordinate {i}: expected a number, found {Kind(c)}");
                    xy[i++] = c.GetDouble();
                }
                polys.Add(xy);
                p++;
            }
            if (polys.Count == 0)
                throw Error(SynCodes.CocoMalformedMask, "segmentation is an empty list of polygons");
            // pycocotools decides by the first polygon: 4 numbers means a list of boxes.
            if (polys[0].Length == 4)
            {
                for (int i = 1; i < polys.Count; i++)
                    if (polys[i].Length != 4)
                        throw Error(SynCodes.CocoMalformedMask, $"segmentation polygon {i} has {polys[i].Length} numbers; when the first has 4, pycocotools reads all of them as boxes");
            }
            else if (polys[0].Length < 4)
                throw Error(SynCodes.CocoMalformedMask, $"segmentation polygon 0 has {polys[0].Length} numbers; a polygon needs at least 3 points (6 numbers)");
            return new Segmentation(polys, null);
        }
        if (v.ValueKind == JsonValueKind.Object)
        {
            if (!v.TryGetProperty("counts", out var counts))
                throw Error(SynCodes.CocoMalformedMask, "RLE segmentation is missing 'counts'");
            if (!v.TryGetProperty("size", out var size))
                throw Error(SynCodes.CocoMalformedMask, "RLE segmentation is missing 'size'");
            if (size.ValueKind != JsonValueKind.Array || size.GetArrayLength() != 2)
                throw Error(SynCodes.CocoMalformedMask, "RLE 'size' must be [height, width]");
            int h = SizeDim(size[0]), w = SizeDim(size[1]);
            if (counts.ValueKind == JsonValueKind.String)
            {
                var rle = Rle.FromCompressedString(counts.GetString()!, h, w, out var err);
                if (rle is null) throw Error(SynCodes.CocoMalformedMask, "malformed RLE: " + err);
                return new Segmentation(null, rle);
            }
            if (counts.ValueKind == JsonValueKind.Array)
            {
                var cnts = new uint[counts.GetArrayLength()];
                int i = 0;
                foreach (var c in counts.EnumerateArray())
                {
                    if (c.ValueKind != JsonValueKind.Number || !c.TryGetUInt32(out cnts[i]))
                        throw Error(SynCodes.CocoMalformedMask, $"malformed RLE: count {i} must be a non-negative integer, found {Describe(c)}");
                    i++;
                }
                var rle = Rle.FromUncompressed(cnts, h, w);
                if (!rle.CheckTotal(out var err)) throw Error(SynCodes.CocoMalformedMask, "malformed RLE: " + err);
                return new Segmentation(null, rle);
            }
            throw Error(SynCodes.CocoMalformedMask, $"RLE 'counts' must be a string or a list of integers, found {Kind(counts)}");
        }
        throw Error(SynCodes.CocoMalformedMask, $"'segmentation' must be a list of polygons or an RLE object, found {Kind(v)}");
    }

    /// <summary>As <see cref="Segmentation(JsonElement)"/>, but a problem is kept in the value instead of thrown.</summary>
    public Segmentation DeferredSegmentation(JsonElement v)
    {
        try
        {
            return Segmentation(v);
        }
        catch (CocoFormatException ex)
        {
            return new Segmentation(null, null, ex.Diagnostic);
        }
    }

    private int SizeDim(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int d) && d >= 0) return d;
        throw Error(SynCodes.CocoMalformedMask, $"RLE 'size' entries must be non-negative integers, found {Describe(e)}");
    }

    public static string Inv(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>A parsed segmentation: polygons (rasterized on demand, they need the image size) or a decoded RLE.</summary>
public sealed class Segmentation(IReadOnlyList<double[]>? polygons, Rle? rle, EvaluationDiagnostic? problem = null)
{
    public IReadOnlyList<double[]>? Polygons { get; } = polygons;
    public Rle? Rle { get; } = rle;
    /// <summary>
    /// Set when a ground-truth segmentation could not be read: it is reported only if segm evaluation needs it
    /// (pycocotools never looks at segmentations in bbox evaluation).
    /// </summary>
    public EvaluationDiagnostic? Problem { get; } = problem;

    /// <summary>pycocotools' annToRLE: polygons (or, when the first has 4 numbers, boxes) are rasterized at the
    /// image size and merged; an RLE is used with its own size.</summary>
    public Rle ToRle(int height, int width)
    {
        if (Problem is not null) throw new CocoFormatException(Problem);
        if (Rle is not null) return Rle;
        var polys = Polygons!;
        var parts = new Rle[polys.Count];
        bool boxes = polys[0].Length == 4;
        for (int i = 0; i < polys.Count; i++)
            parts[i] = boxes ? Evaluation.Rle.FromBbox(polys[i], height, width) : Evaluation.Rle.FromPolygon(polys[i], height, width);
        return Evaluation.Rle.Merge(parts);
    }
}
