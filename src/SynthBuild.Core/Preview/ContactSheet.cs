using SynthBuild.Core.Assets;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Preview;

/// <summary>
/// A grid of samples at half resolution with their labels drawn on top, for a person to check a dataset at a
/// glance: instance masks tinted and outlined, tight boxes (solid), amodal boxes (dotted), and the projected
/// 3D cuboid (edges between visible corners bright, others dim; corner flags as dots: green visible, red hidden).
/// </summary>
public static class ContactSheet
{
    public const int Columns = 4;

    /// <summary>Writes the sheet as an 8-bit RGB PNG and returns its size.</summary>
    public static (int Width, int Height) Write(string datasetDirectory, string outputPng, int count = 16)
    {
        var reader = DatasetReader.Open(datasetDirectory);
        int n = Math.Min(count, reader.Indices.Count);
        int tileW = reader.Info.Width / 2, tileH = reader.Info.Height / 2, gap = 4;
        int rows = (n + Columns - 1) / Columns;
        int w = Columns * tileW + (Columns + 1) * gap, h = rows * tileH + (rows + 1) * gap;
        var sheet = new byte[w * h * 3];
        Array.Fill(sheet, (byte)24);
        // Evenly spread over the dataset so curriculum datasets show their whole range.
        IReadOnlyList<long> picked = SpreadSamples(reader.Indices, n);
        for (int k = 0; k < n; k++)
        {
            long index = picked[k];
            var canvas = new Canvas(sheet, w, gap + (k % Columns) * (tileW + gap), gap + (k / Columns) * (tileH + gap), tileW, tileH);
            DrawSample(canvas, reader.ReadRgb(index), reader.ReadSegmentation(index), reader.ReadAnnotation(index), reader.Info.Width);
        }
        string? dir = Path.GetDirectoryName(Path.GetFullPath(outputPng));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllBytes(outputPng, Png.EncodeRgb8(sheet, w, h));
        return (w, h);
    }

    /// <summary>Up to <paramref name="count"/> sample indices spread evenly over <paramref name="indices"/>.</summary>
    public static IReadOnlyList<long> SpreadSamples(IReadOnlyList<long> indices, int count)
    {
        if (indices.Count <= count) return indices;
        var picked = new List<long>(count);
        for (int k = 0; k < count; k++) picked.Add(indices[(int)((long)k * indices.Count / count)]);
        return picked;
    }

    private static void DrawSample(Canvas c, byte[] rgb, ushort[] ids, SampleAnnotation a, int width)
    {
        for (int y = 0; y < c.H; y++)
            for (int x = 0; x < c.W; x++)
            {
                int s = (2 * y) * width + 2 * x;
                // 2×2 box filter; the four source pixels are s, s+1 and the two below them.
                int a0 = s * 3, a1 = a0 + 3, b0 = (s + width) * 3, b1 = b0 + 3;
                int r = rgb[a0] + rgb[a1] + rgb[b0] + rgb[b1];
                int g = rgb[a0 + 1] + rgb[a1 + 1] + rgb[b0 + 1] + rgb[b1 + 1];
                int b = rgb[a0 + 2] + rgb[a1 + 2] + rgb[b0 + 2] + rgb[b1 + 2];
                int id = ids[s];
                bool edge = id != ids[s + 1] || id != ids[s + width];
                if (id != 0)
                {
                    var (cr, cg, cb) = ColorOf(id);
                    double t = edge ? 1 : 0.35;
                    c.Set(x, y, (byte)(r / 4 * (1 - t) + cr * t), (byte)(g / 4 * (1 - t) + cg * t), (byte)(b / 4 * (1 - t) + cb * t));
                }
                else
                {
                    c.Set(x, y, (byte)(r / 4), (byte)(g / 4), (byte)(b / 4));
                }
            }
        foreach (var o in a.Objects)
        {
            var (cr, cg, cb) = ColorOf(o.InstanceId);
            double[] bb = o.Bbox, am = o.AmodalBbox;
            c.Rect(bb[0] / 2, bb[1] / 2, (bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2, cr, cg, cb, dotted: false);
            if (am[2] > 0) c.Rect(am[0] / 2, am[1] / 2, (am[0] + am[2]) / 2, (am[1] + am[3]) / 2, 255, 255, 255, dotted: true);
            if (o.Cuboid is not double[][] q) continue;
            for (int i = 0; i < 8; i++)
                for (int bit = 1; bit < 8; bit <<= 1)
                {
                    int j = i | bit;
                    if (j == i) continue;
                    bool bright = q[i][2] == 2 && q[j][2] == 2;
                    byte v = bright ? (byte)255 : (byte)140;
                    c.Line(q[i][0] / 2, q[i][1] / 2, q[j][0] / 2, q[j][1] / 2, v, v, bright ? (byte)0 : (byte)140);
                }
            for (int i = 0; i < 9; i++)
            {
                if (q[i][2] == 0) continue;
                bool vis = q[i][2] == 2;
                c.Dot(q[i][0] / 2, q[i][1] / 2, vis ? (byte)40 : (byte)230, vis ? (byte)230 : (byte)40, 40);
            }
        }
    }

    private static (byte, byte, byte) ColorOf(int id)
    {
        uint h = (uint)id * 2654435761u;
        return ((byte)(80 + (h >> 8) % 176), (byte)(80 + (h >> 16) % 176), (byte)(80 + (h >> 24) % 176));
    }

    /// <summary>One tile of the sheet; drawing is clipped to it.</summary>
    private readonly struct Canvas(byte[] sheet, int stride, int x0, int y0, int w, int h)
    {
        public int W => w;
        public int H => h;

        public void Set(int x, int y, byte r, byte g, byte b)
        {
            if (x < 0 || y < 0 || x >= w || y >= h) return;
            int o = ((y0 + y) * stride + x0 + x) * 3;
            sheet[o] = r; sheet[o + 1] = g; sheet[o + 2] = b;
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
