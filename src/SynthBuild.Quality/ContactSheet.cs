using SynthBuild.Core.Assets;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Storage;

namespace SynthBuild.Quality;

/// <summary>What <see cref="ContactSheet"/> draws over each sample.</summary>
[Flags]
public enum SheetOverlays
{
    None = 0,
    /// <summary>Instance masks tinted in their category colour, outlined where the instance id changes.</summary>
    Masks = 1,
    /// <summary>Tight boxes (visible pixels), solid, in the category colour.</summary>
    TightBoxes = 2,
    /// <summary>Amodal boxes (whole silhouette), dotted white.</summary>
    AmodalBoxes = 4,
    /// <summary>Projected 3D cuboid edges: bright yellow between visible corners, dim grey otherwise.</summary>
    Cuboids = 8,
    /// <summary>Cuboid corner and centre keypoints: green visible, red hidden by a nearer surface.</summary>
    Keypoints = 16,
    All = Masks | TightBoxes | AmodalBoxes | Cuboids | Keypoints,
}

/// <summary>
/// Samples with their labels drawn on top, for a person to check a dataset at a glance: the grid PNG of
/// <c>synth contact-sheet</c> and the thumbnails of the HTML quality report, drawn the same way. Each tile is the
/// image reduced by an integer factor (box filter) with the overlays drawn directly on the pixels (no graphics
/// library, so the result is exact and deterministic); colours are per category and match the report's legend.
/// </summary>
public static class ContactSheet
{
    public const int Columns = 4, Gap = 4;

    /// <summary>Distinct, colour-blind-friendly (Okabe–Ito) category colours; category id k uses entry (k−1) mod 8.</summary>
    public static readonly (byte R, byte G, byte B)[] Palette =
    [
        (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178), (213, 94, 0), (204, 121, 167), (255, 255, 255),
    ];

    public static (byte R, byte G, byte B) ColorOf(int categoryId) => Palette[(Math.Max(1, categoryId) - 1) % Palette.Length];

    /// <summary>
    /// Writes a <see cref="Columns"/>-column grid of up to <paramref name="count"/> samples, spread over the dataset,
    /// each reduced by <paramref name="scale"/>, as an 8-bit RGB PNG; returns its size.
    /// </summary>
    /// <exception cref="Diagnostics.DiagnosticException">The folder is not a readable dataset.</exception>
    public static (int Width, int Height) Write(string datasetDirectory, string outputPng, int count = 16,
        SheetOverlays overlays = SheetOverlays.All, int scale = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        var reader = DatasetReader.Open(datasetDirectory);
        IReadOnlyList<long> picked = SpreadSamples(reader.Indices, count);
        int n = picked.Count;
        int tileW = reader.Info.Width / scale, tileH = reader.Info.Height / scale;
        int rows = (n + Columns - 1) / Columns;
        int w = Columns * tileW + (Columns + 1) * Gap, h = rows * tileH + (rows + 1) * Gap;
        var sheet = new byte[w * h * 3];
        Array.Fill(sheet, (byte)24);
        Parallel.For(0, n, k =>
        {
            var canvas = new Canvas(sheet, w, Gap + (k % Columns) * (tileW + Gap), Gap + (k / Columns) * (tileH + Gap), tileW, tileH);
            Draw(canvas, reader, picked[k], scale, overlays);
        });
        string? dir = Path.GetDirectoryName(Path.GetFullPath(outputPng));
        if (dir is not null) Directory.CreateDirectory(dir);
        AtomicFile.Write(outputPng, Png.EncodeRgb8(sheet, w, h));
        return (w, h);
    }

    /// <summary>One tile as PNG, reduced by the smallest integer factor that makes it at most
    /// <paramref name="maxWidth"/> pixels wide.</summary>
    public static byte[] Thumbnail(DatasetReader reader, long index, int maxWidth = 320, SheetOverlays overlays = SheetOverlays.All)
    {
        int w = reader.Info.Width, h = reader.Info.Height;
        int scale = Math.Max(1, (w + maxWidth - 1) / maxWidth);
        int tw = w / scale, th = h / scale;
        var tile = new byte[tw * th * 3];
        Draw(new Canvas(tile, tw, 0, 0, tw, th), reader, index, scale, overlays);
        return Png.EncodeRgb8(tile, tw, th);
    }

    /// <summary>A detection in image pixels (COCO results: image_id, category_id, bbox [x, y, w, h], score).</summary>
    public readonly record struct Detection(long ImageId, int CategoryId, double X, double Y, double W, double H, double Score);

    /// <summary>
    /// A detector's results on <paramref name="split"/> drawn over up to <paramref name="count"/> of its samples (spread
    /// over the split), each tile reduced to at most 320 pixels wide: detections with score ≥
    /// <paramref name="scoreThreshold"/>, highest first, match an unmatched ground-truth box of their category at IoU ≥
    /// <paramref name="iou"/> (true positive, green solid) or none (false positive, red solid); ground truth left
    /// unmatched is a miss (orange dashed). Image ids are the COCO export's: sample index + 1. Ground truth is the
    /// tight box of every object with a visible area (what the COCO export writes). Returns the PNG and the counts.
    /// </summary>
    public static (byte[] Png, int Images, int TruePositives, int FalsePositives, int Misses) Detections(DatasetReader reader, IReadOnlyList<Detection> detections,
        Split split, double scoreThreshold, double iou = 0.5, int count = 8)
    {
        var indices = reader.Indices.Where(i => reader.SplitOf(i) == split).ToList();
        IReadOnlyList<long> picked = indices.Count == 0 ? [] : SpreadSamples(indices, count);
        int w0 = reader.Info.Width, h0 = reader.Info.Height, scale = Math.Max(1, (w0 + 319) / 320);
        int tileW = w0 / scale, tileH = h0 / scale, n = Math.Max(1, picked.Count), columns = Math.Min(Columns, n);
        int rows = (n + columns - 1) / columns;
        int w = columns * tileW + (columns + 1) * Gap, h = rows * tileH + (rows + 1) * Gap;
        var sheet = new byte[w * h * 3];
        Array.Fill(sheet, (byte)24);
        var byImage = detections.Where(d => d.Score >= scoreThreshold).GroupBy(d => d.ImageId).ToDictionary(g => g.Key, g => g.OrderByDescending(d => d.Score).ToList());
        int tp = 0, fp = 0, miss = 0;
        for (int k = 0; k < picked.Count; k++)
        {
            var c = new Canvas(sheet, w, Gap + (k % columns) * (tileW + Gap), Gap + (k / columns) * (tileH + Gap), tileW, tileH);
            Draw(c, reader, picked[k], scale, SheetOverlays.None);
            var truth = reader.ReadAnnotation(picked[k]).Objects.Where(o => o.Area > 0 && o.Bbox[2] > 0 && o.Bbox[3] > 0).ToList();
            var matched = new bool[truth.Count];
            double s = scale;
            void Box(double x, double y, double bw, double bh, (byte R, byte G, byte B) col, bool dashed)
            {
                // Two pixels wide (the outline and one inside it) so the kinds stay apart on a reduced tile.
                c.Rect(x / s, y / s, (x + bw - 1) / s, (y + bh - 1) / s, col.R, col.G, col.B, dashed);
                c.Rect(x / s + 1, y / s + 1, (x + bw - 1) / s - 1, (y + bh - 1) / s - 1, col.R, col.G, col.B, dashed);
            }
            foreach (var d in byImage.GetValueOrDefault(picked[k] + 1) ?? [])
            {
                int best = -1;
                double bestIou = iou;
                for (int j = 0; j < truth.Count; j++)
                {
                    if (matched[j] || truth[j].CategoryId != d.CategoryId) continue;
                    double v = Iou(d.X, d.Y, d.W, d.H, truth[j].Bbox);
                    if (v >= bestIou) { bestIou = v; best = j; }
                }
                if (best >= 0) { matched[best] = true; tp++; Box(d.X, d.Y, d.W, d.H, TruePositive, false); }
                else { fp++; Box(d.X, d.Y, d.W, d.H, FalsePositive, false); }
            }
            for (int j = 0; j < truth.Count; j++)
                if (!matched[j]) { miss++; Box(truth[j].Bbox[0], truth[j].Bbox[1], truth[j].Bbox[2], truth[j].Bbox[3], Missed, true); }
        }
        return (Png.EncodeRgb8(sheet, w, h), picked.Count, tp, fp, miss);
    }

    public static readonly (byte R, byte G, byte B) TruePositive = (0, 200, 0), FalsePositive = (230, 0, 0), Missed = (255, 150, 0);

    private static double Iou(double x, double y, double w, double h, double[] b)
    {
        double ix = Math.Max(0, Math.Min(x + w, b[0] + b[2]) - Math.Max(x, b[0])), iy = Math.Max(0, Math.Min(y + h, b[1] + b[3]) - Math.Max(y, b[1]));
        double inter = ix * iy, union = w * h + b[2] * b[3] - inter;
        return union > 0 ? inter / union : 0;
    }

    /// <summary>Up to <paramref name="count"/> sample indices spread evenly over <paramref name="indices"/>, so
    /// curriculum datasets show their whole range.</summary>
    public static IReadOnlyList<long> SpreadSamples(IReadOnlyList<long> indices, int count)
    {
        if (indices.Count <= count) return indices;
        var picked = new List<long>(count);
        for (int k = 0; k < count; k++) picked.Add(indices[(int)((long)k * indices.Count / count)]);
        return picked;
    }

    private static void Draw(Canvas c, DatasetReader reader, long index, int scale, SheetOverlays overlays)
    {
        int width = reader.Info.Width;
        byte[] rgb = reader.ReadRgb(index);
        ushort[] ids = reader.ReadSegmentation(index);
        SampleAnnotation a = reader.ReadAnnotation(index);
        // Instance ids are dense 1..N and match the annotations; an id without one is left untinted.
        var colorOfId = new (byte R, byte G, byte B)?[a.Objects.Count + 1];
        foreach (ObjectAnnotation o in a.Objects)
            if (o.InstanceId > 0 && o.InstanceId < colorOfId.Length) colorOfId[o.InstanceId] = ColorOf(o.CategoryId);
        bool masks = overlays.HasFlag(SheetOverlays.Masks);
        int area = scale * scale;
        for (int y = 0; y < c.H; y++)
            for (int x = 0; x < c.W; x++)
            {
                int s = y * scale * width + x * scale;
                int r = 0, g = 0, b = 0;
                for (int dy = 0; dy < scale; dy++)
                    for (int dx = 0, o = (s + dy * width) * 3; dx < scale; dx++, o += 3)
                    {
                        r += rgb[o]; g += rgb[o + 1]; b += rgb[o + 2];
                    }
                r /= area; g /= area; b /= area;
                int id = ids[s];
                if (masks && id < colorOfId.Length && colorOfId[id] is (var cr, var cg, var cb))
                {
                    // Full colour where the tile's right or lower neighbour shows another instance: an outline that
                    // separates touching objects of the same category.
                    bool edge = (x + 1 < c.W && ids[s + scale] != id) || (y + 1 < c.H && ids[s + scale * width] != id);
                    double t = edge ? 1 : 0.4;
                    c.Set(x, y, (byte)(r * (1 - t) + cr * t), (byte)(g * (1 - t) + cg * t), (byte)(b * (1 - t) + cb * t));
                }
                else c.Set(x, y, (byte)r, (byte)g, (byte)b);
            }

        double k = scale;
        foreach (ObjectAnnotation o in a.Objects)
        {
            // A box [x, x + w) covers pixels x .. x + w − 1: the outline goes on the first and last covered pixel.
            double[] bb = o.Bbox, am = o.AmodalBbox;
            if (overlays.HasFlag(SheetOverlays.AmodalBoxes) && am[2] > 0)
                c.Rect(am[0] / k, am[1] / k, (am[0] + am[2] - 1) / k, (am[1] + am[3] - 1) / k, 255, 255, 255, dotted: true);
            if (overlays.HasFlag(SheetOverlays.TightBoxes) && bb[2] > 0)
            {
                var (cr, cg, cb) = ColorOf(o.CategoryId);
                c.Rect(bb[0] / k, bb[1] / k, (bb[0] + bb[2] - 1) / k, (bb[1] + bb[3] - 1) / k, cr, cg, cb, dotted: false);
            }
            if (o.Cuboid is not double[][] q) continue;
            if (overlays.HasFlag(SheetOverlays.Cuboids))
                for (int i = 0; i < 8; i++)
                    for (int bit = 1; bit < 8; bit <<= 1)
                    {
                        int j = i | bit;
                        if (j == i) continue;
                        bool bright = q[i][2] == 2 && q[j][2] == 2;
                        byte v = bright ? (byte)255 : (byte)140;
                        c.Line(q[i][0] / k, q[i][1] / k, q[j][0] / k, q[j][1] / k, v, v, bright ? (byte)0 : (byte)140);
                    }
            if (overlays.HasFlag(SheetOverlays.Keypoints))
                for (int i = 0; i < q.Length; i++)
                {
                    if (q[i][2] == 0) continue;
                    bool vis = q[i][2] == 2;
                    c.Dot(q[i][0] / k, q[i][1] / k, vis ? (byte)40 : (byte)230, vis ? (byte)230 : (byte)40, 40);
                }
        }
    }

    /// <summary>One tile of an RGB8 image; drawing is clipped to it.</summary>
    private readonly struct Canvas(byte[] image, int stride, int x0, int y0, int w, int h)
    {
        public int W => w;
        public int H => h;

        public void Set(int x, int y, byte r, byte g, byte b)
        {
            if (x < 0 || y < 0 || x >= w || y >= h) return;
            int o = ((y0 + y) * stride + x0 + x) * 3;
            image[o] = r; image[o + 1] = g; image[o + 2] = b;
        }

        public void Line(double xa, double ya, double xb, double yb, byte r, byte g, byte b, bool dotted = false)
        {
            int steps = (int)Math.Ceiling(Math.Max(Math.Abs(xb - xa), Math.Abs(yb - ya)));
            if (steps > 4 * (w + h)) return; // a corner projected from far outside
            for (int k = 0; k <= steps; k++)
            {
                if (dotted && (k / 3) % 2 == 1) continue;
                double t = steps == 0 ? 0 : (double)k / steps;
                Set((int)Math.Floor(xa + (xb - xa) * t), (int)Math.Floor(ya + (yb - ya) * t), r, g, b);
            }
        }

        public void Rect(double xa, double ya, double xb, double yb, byte r, byte g, byte b, bool dotted)
        {
            Line(xa, ya, xb, ya, r, g, b, dotted); Line(xb, ya, xb, yb, r, g, b, dotted);
            Line(xb, yb, xa, yb, r, g, b, dotted); Line(xa, yb, xa, ya, r, g, b, dotted);
        }

        public void Dot(double x, double y, byte r, byte g, byte b)
        {
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) Set((int)Math.Floor(x) + dx, (int)Math.Floor(y) + dy, r, g, b);
        }
    }
}
