using System.Globalization;
using System.Text;
using SynthBuild.Core.Randomness;

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
        // The seeding the fixture has always used, so its numbers (and the tests pinned to them) stay the same.
        var rng = RandomStream.FromState((ulong)seed * RandomStream.Golden + 0x632BE59BD9B4E019UL);
        var gt = new StringBuilder();
        var dt = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        gt.Append("{\"images\":[");
        var sizes = new (int W, int H)[images];
        for (int i = 0; i < images; i++)
        {
            int w = 320 + (int)(rng.NextDouble() * 320), h = 240 + (int)(rng.NextDouble() * 240);
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
            int objects = (int)(rng.NextDouble() * 9); // 0..8, so some images have no ground truth
            for (int o = 0; o < objects; o++)
            {
                int cat = 1 + (int)(rng.NextDouble() * categories);
                // Size classes: small / medium / large.
                double u = rng.NextDouble();
                double side = u < 0.4 ? 6 + rng.NextDouble() * 26 : u < 0.8 ? 32 + rng.NextDouble() * 64 : 96 + rng.NextDouble() * 120;
                double bw = Math.Min(side * (0.6 + rng.NextDouble() * 0.8), W - 2), bh = Math.Min(side * (0.6 + rng.NextDouble() * 0.8), H - 2);
                double x = rng.NextDouble() * (W - bw - 1), y = rng.NextDouble() * (H - bh - 1);
                bool crowd = rng.NextDouble() < 0.06;
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
                int copies = rng.NextDouble() < 0.15 ? 0 : rng.NextDouble() < 0.2 ? 2 : 1;
                for (int c = 0; c < copies; c++)
                {
                    double j = 0.5 * rng.NextDouble();
                    double dx = x + (rng.NextDouble() - 0.5) * j * bw, dy = y + (rng.NextDouble() - 0.5) * j * bh;
                    double dw = bw * (1 + (rng.NextDouble() - 0.5) * j), dh = bh * (1 + (rng.NextDouble() - 0.5) * j);
                    int dcat = rng.NextDouble() < 0.08 ? 1 + (int)(rng.NextDouble() * categories) : cat;
                    AppendDet(dt, ref firstDet, i + 1, dcat, dx, dy, dw, dh, Math.Round(0.3 + 0.7 * rng.NextDouble(), 3), H, W);
                    nDet++;
                }
            }
            // Background false positives.
            int fps = (int)(rng.NextDouble() * 2 * (detectionsPerImage - 4));
            for (int f = 0; f < fps; f++)
            {
                double bw = 8 + rng.NextDouble() * 100, bh = 8 + rng.NextDouble() * 100;
                double x = rng.NextDouble() * (W - bw - 1), y = rng.NextDouble() * (H - bh - 1);
                AppendDet(dt, ref firstDet, i + 1, 1 + (int)(rng.NextDouble() * categories), x, y, bw, bh, Math.Round(0.05 + 0.6 * rng.NextDouble(), 3), H, W);
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
}
