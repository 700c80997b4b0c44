using System.Globalization;
using System.Text;

namespace SynthBuild.Evaluation;

/// <summary>
/// Deterministic generator of a realistic COCO ground truth + detections pair (for benchmarks and tests):
/// images of varying size, objects of all three area ranges with polygon masks, crowd regions with RLE masks,
/// detections that are jittered copies of the objects, duplicates, misses and background false positives.
/// </summary>
public static class CocoFixtureGenerator
{
    public sealed record Fixture(string GroundTruthJson, string DetectionsJson, int Images, int Annotations, int Detections);

    public static Fixture Generate(int images = 100, int seed = 1, int categories = 10, double detectionsPerImage = 7)
    {
        var rng = new SplitMix(seed);
        var gt = new StringBuilder();
        var dt = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        gt.Append("{\"images\":[");
        var sizes = new (int W, int H)[images];
        for (int i = 0; i < images; i++)
        {
            int w = 320 + (int)(rng.Next() * 320), h = 240 + (int)(rng.Next() * 240);
            sizes[i] = (w, h);
            if (i > 0) gt.Append(',');
            gt.Append(inv, $"{{\"id\":{i + 1},\"width\":{w},\"height\":{h},\"file_name\":\"{i + 1:D6}.png\"}}");
        }
        gt.Append("],\"categories\":[");
        for (int c = 0; c < categories; c++)
        {
            if (c > 0) gt.Append(',');
            gt.Append(inv, $"{{\"id\":{c + 1},\"name\":\"class{c + 1}\"}}");
        }
        gt.Append("],\"annotations\":[");
        dt.Append('[');
        int annId = 1, nAnn = 0, nDet = 0;
        bool firstAnn = true, firstDet = true;
        for (int i = 0; i < images; i++)
        {
            var (W, H) = sizes[i];
            int objects = (int)(rng.Next() * 9); // 0..8, so some images have no ground truth
            for (int o = 0; o < objects; o++)
            {
                int cat = 1 + (int)(rng.Next() * categories);
                // Size classes: small / medium / large.
                double u = rng.Next();
                double side = u < 0.4 ? 6 + rng.Next() * 26 : u < 0.8 ? 32 + rng.Next() * 64 : 96 + rng.Next() * 120;
                double bw = Math.Min(side * (0.6 + rng.Next() * 0.8), W - 2), bh = Math.Min(side * (0.6 + rng.Next() * 0.8), H - 2);
                double x = rng.Next() * (W - bw - 1), y = rng.Next() * (H - bh - 1);
                bool crowd = rng.Next() < 0.06;
                string seg;
                double area;
                if (crowd)
                {
                    var rle = Rle.FromBbox([x, y, bw, bh], H, W);
                    area = rle.Area();
                    seg = "{\"counts\":[" + string.Join(",", rle.Counts) + "],\"size\":[" + H.ToString(inv) + "," + W.ToString(inv) + "]}";
                }
                else
                {
                    // An octagon inside the box.
                    double cx = x + bw / 2, cy = y + bh / 2;
                    var poly = new double[16];
                    for (int v = 0; v < 8; v++)
                    {
                        double ang = v * Math.PI / 4 + 0.3;
                        poly[2 * v] = Math.Round(cx + bw / 2 * Math.Cos(ang), 2);
                        poly[2 * v + 1] = Math.Round(cy + bh / 2 * Math.Sin(ang), 2);
                    }
                    var rle = Rle.FromPolygon(poly, H, W);
                    area = rle.Area();
                    seg = "[[" + string.Join(",", poly.Select(p => p.ToString("R", inv))) + "]]";
                }
                if (!firstAnn) gt.Append(',');
                firstAnn = false;
                gt.Append(inv, $"{{\"id\":{annId},\"image_id\":{i + 1},\"category_id\":{cat},\"iscrowd\":{(crowd ? 1 : 0)},\"area\":{area.ToString("R", inv)},\"bbox\":[{R(x)},{R(y)},{R(bw)},{R(bh)}],\"segmentation\":{seg}}}");
                annId++;
                nAnn++;

                // Detections: usually one jittered hit, sometimes a duplicate, sometimes a miss.
                int copies = rng.Next() < 0.15 ? 0 : rng.Next() < 0.2 ? 2 : 1;
                for (int c = 0; c < copies; c++)
                {
                    double j = 0.5 * rng.Next();
                    double dx = x + (rng.Next() - 0.5) * j * bw, dy = y + (rng.Next() - 0.5) * j * bh;
                    double dw = bw * (1 + (rng.Next() - 0.5) * j), dh = bh * (1 + (rng.Next() - 0.5) * j);
                    int dcat = rng.Next() < 0.08 ? 1 + (int)(rng.Next() * categories) : cat;
                    AppendDet(dt, ref firstDet, i + 1, dcat, dx, dy, dw, dh, Math.Round(0.3 + 0.7 * rng.Next(), 3), H, W);
                    nDet++;
                }
            }
            // Background false positives.
            int fps = (int)(rng.Next() * 2 * (detectionsPerImage - 4));
            for (int f = 0; f < fps; f++)
            {
                double bw = 8 + rng.Next() * 100, bh = 8 + rng.Next() * 100;
                double x = rng.Next() * (W - bw - 1), y = rng.Next() * (H - bh - 1);
                AppendDet(dt, ref firstDet, i + 1, 1 + (int)(rng.Next() * categories), x, y, bw, bh, Math.Round(0.05 + 0.6 * rng.Next(), 3), H, W);
                nDet++;
            }
        }
        gt.Append("]}");
        dt.Append(']');
        return new Fixture(gt.ToString(), dt.ToString(), images, nAnn, nDet);

        static string R(double v) => Math.Round(v, 2).ToString("R", CultureInfo.InvariantCulture);
    }

    private static void AppendDet(StringBuilder dt, ref bool first, int image, int cat, double x, double y, double w, double h, double score, int H, int W)
    {
        var inv = CultureInfo.InvariantCulture;
        x = Math.Round(x, 2); y = Math.Round(y, 2); w = Math.Round(w, 2); h = Math.Round(h, 2);
        var rle = Rle.FromBbox([x, y, w, h], H, W);
        if (!first) dt.Append(',');
        first = false;
        dt.Append(inv, $"{{\"image_id\":{image},\"category_id\":{cat},\"bbox\":[{x.ToString("R", inv)},{y.ToString("R", inv)},{w.ToString("R", inv)},{h.ToString("R", inv)}],\"score\":{score.ToString("R", inv)},\"segmentation\":{{\"size\":[{H},{W}],\"counts\":\"{rle.ToCompressedString().Replace("\\", "\\\\")}\"}}}}");
    }

    /// <summary>SplitMix64 → uniform double in [0, 1).</summary>
    private sealed class SplitMix(int seed)
    {
        private ulong _s = (ulong)seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL;
        public double Next()
        {
            ulong z = _s += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }
}
