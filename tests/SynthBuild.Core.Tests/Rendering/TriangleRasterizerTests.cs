using FsCheck.Xunit;
using SynthBuild.Core.Rendering;

namespace SynthBuild.Core.Tests.Rendering;

public class TriangleRasterizerTests
{
    private struct CountSink(int width, int[] counts) : ICoverageSink
    {
        public void CoverRow(int y, int xStart, int xEnd, long w0, long w1, long w2, long dw0, long dw1, long dw2)
        {
            for (int x = xStart; x <= xEnd; x++) counts[y * width + x]++;
        }
    }

    private const int W = 40, H = 30;

    private static void Fill(int[] counts, (double X, double Y) a, (double X, double Y) b, (double X, double Y) c)
    {
        long ax = TriangleRasterizer.Snap(a.X), ay = TriangleRasterizer.Snap(a.Y);
        long bx = TriangleRasterizer.Snap(b.X), by = TriangleRasterizer.Snap(b.Y);
        long cx = TriangleRasterizer.Snap(c.X), cy = TriangleRasterizer.Snap(c.Y);
        long area = TriangleRasterizer.Area2(ax, ay, bx, by, cx, cy);
        if (area == 0) return;
        var sink = new CountSink(W, counts);
        if (area > 0) TriangleRasterizer.Rasterize(ax, ay, bx, by, cx, cy, W, H, ref sink);
        else TriangleRasterizer.Rasterize(ax, ay, cx, cy, bx, by, W, H, ref sink);
    }

    /// <summary>
    /// A fan around an arbitrary interior point, through arbitrary points on the border, tiles a rectangle larger
    /// than the image: every pixel must be covered exactly once. Points sit on a half-pixel grid so edges often pass
    /// exactly through pixel centres.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool Triangle_fan_covers_every_pixel_exactly_once(int px, int py, int t1, int t2, int t3)
    {
        (double X, double Y) centre = (Mod(px, 2 * W * 4) / 4.0 - W / 2.0, Mod(py, 2 * H * 4) / 4.0 - H / 2.0);
        (double X, double Y)[] ring =
        [
            (-20, -20), (Mod(t1, 2 * (W + 40)) / 2.0 - 20, -20), (W + 20, -20),
            (W + 20, Mod(t2, 2 * (H + 40)) / 2.0 - 20), (W + 20, H + 20), (-20, H + 20),
            (-20, Mod(t3, 2 * (H + 40)) / 2.0 - 20),
        ];
        var counts = new int[W * H];
        for (int i = 0; i < ring.Length; i++)
            Fill(counts, centre, ring[i], ring[(i + 1) % ring.Length]);
        return counts.All(c => c == 1);
    }

    [Fact]
    public void Square_split_along_a_diagonal_through_pixel_centres_is_covered_once()
    {
        var counts = new int[W * H];
        (double, double) a = (5.5, 5.5), b = (25.5, 5.5), c = (25.5, 25.5), d = (5.5, 25.5);
        Fill(counts, a, b, c);
        Fill(counts, a, c, d);
        Assert.All(counts, n => Assert.InRange(n, 0, 1));
        Assert.Equal(20 * 20, counts.Sum());
    }

    private struct EdgeSink(int width, long[] w) : ICoverageSink
    {
        public void CoverRow(int y, int xStart, int xEnd, long w0, long w1, long w2, long dw0, long dw1, long dw2)
        {
            for (int x = xStart; x <= xEnd; x++, w0 += dw0, w1 += dw1, w2 += dw2)
            {
                int i = (y * width + x) * 4;
                w[i] = 1; w[i + 1] = w0; w[i + 2] = w1; w[i + 3] = w2;
            }
        }
    }

    /// <summary>
    /// The row runs are solved from the edge equations; they must be exactly the pixels a per-pixel edge test
    /// with the top-left rule covers, with the same edge function values.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool Row_runs_are_exactly_the_pixels_of_a_per_pixel_edge_test(int a, int b, int c, int d, int e, int f)
    {
        long[] xs = [Coord(a, W), Coord(c, W), Coord(e, W)], ys = [Coord(b, H), Coord(d, H), Coord(f, H)];
        long area = TriangleRasterizer.Area2(xs[0], ys[0], xs[1], ys[1], xs[2], ys[2]);
        if (area == 0) return true;
        if (area < 0) { (xs[1], xs[2]) = (xs[2], xs[1]); (ys[1], ys[2]) = (ys[2], ys[1]); }
        var got = new long[W * H * 4];
        var sink = new EdgeSink(W, got);
        TriangleRasterizer.Rasterize(xs[0], ys[0], xs[1], ys[1], xs[2], ys[2], W, H, ref sink);

        long Edge(int from, int to, long px, long py) => (xs[to] - xs[from]) * (py - ys[from]) - (ys[to] - ys[from]) * (px - xs[from]);
        bool TopLeft(int from, int to) { long dy = ys[to] - ys[from], dx = xs[to] - xs[from]; return dy < 0 || (dy == 0 && dx > 0); }
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                long px = x * TriangleRasterizer.One + TriangleRasterizer.One / 2, py = y * TriangleRasterizer.One + TriangleRasterizer.One / 2;
                long w0 = Edge(1, 2, px, py), w1 = Edge(2, 0, px, py), w2 = Edge(0, 1, px, py);
                bool inside = (w0 > 0 || (w0 == 0 && TopLeft(1, 2))) && (w1 > 0 || (w1 == 0 && TopLeft(2, 0))) && (w2 > 0 || (w2 == 0 && TopLeft(0, 1)));
                int i = (y * W + x) * 4;
                if (inside != (got[i] == 1)) return false;
                if (inside && (got[i + 1], got[i + 2], got[i + 3]) != (w0, w1, w2)) return false;
            }
        return true;
    }

    // Fixed-point coordinates up to well beyond the image, often exactly on pixel centres.
    private static long Coord(int v, int size) =>
        Mod(v, 3) == 0 ? (Mod(v / 3, 3 * size) - size) * TriangleRasterizer.One + TriangleRasterizer.One / 2
                       : Mod(v, 3 * size * (int)TriangleRasterizer.One) - size * TriangleRasterizer.One;

    private static int Mod(int v, int m) => (int)(((long)v % m + m) % m);
}
