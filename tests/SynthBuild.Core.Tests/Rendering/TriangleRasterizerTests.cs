using FsCheck.Xunit;
using SynthBuild.Core.Rendering;

namespace SynthBuild.Core.Tests.Rendering;

public class TriangleRasterizerTests
{
    private struct CountSink(int width, int[] counts) : ICoverageSink
    {
        public void Cover(int x, int y, long w0, long w1, long w2) => counts[y * width + x]++;
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

    private static int Mod(int v, int m) => (int)(((long)v % m + m) % m);
}
