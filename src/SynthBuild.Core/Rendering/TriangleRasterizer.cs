namespace SynthBuild.Core.Rendering;

/// <summary>Receives the pixels a triangle covers.</summary>
internal interface ICoverageSink
{
    /// <summary>
    /// Pixel (x, y) is covered. w0..w2 are the edge functions opposite each vertex at the pixel centre
    /// (unnormalised barycentrics, summing to the triangle's doubled area, all ≥ 0).
    /// </summary>
    void Cover(int x, int y, long w0, long w1, long w2);
}

/// <summary>
/// Edge-function rasterizer on fixed-point vertex coordinates. Integer edge functions are exact, so with the
/// top-left rule two triangles sharing an edge never both cover, nor both miss, a pixel centre on it.
/// </summary>
internal static class TriangleRasterizer
{
    public const int SubpixelBits = 8;
    public const long One = 1L << SubpixelBits;
    private const long Half = One >> 1;

    /// <summary>Continuous pixel coordinate to fixed point.</summary>
    public static long Snap(double pixelCoordinate) => (long)Math.Floor(pixelCoordinate * One + 0.5);

    /// <summary>Twice the signed area; positive = clockwise on screen (y down) = the orientation
    /// <see cref="Rasterize{TSink}"/> expects. Front faces of outward-wound meshes come out negative.</summary>
    public static long Area2(long x0, long y0, long x1, long y1, long x2, long y2) =>
        (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);

    /// <summary>
    /// Calls <paramref name="sink"/> for each pixel of the width × height image whose centre is inside the
    /// triangle. Requires <see cref="Area2"/> &gt; 0 and coordinates bounded (|c| &lt; 2^28 in fixed point).
    /// </summary>
    public static void Rasterize<TSink>(long x0, long y0, long x1, long y1, long x2, long y2,
        int width, int height, ref TSink sink) where TSink : struct, ICoverageSink
    {
        long minX = Math.Min(x0, Math.Min(x1, x2)), maxX = Math.Max(x0, Math.Max(x1, x2));
        long minY = Math.Min(y0, Math.Min(y1, y2)), maxY = Math.Max(y0, Math.Max(y1, y2));
        // Pixels whose centre px*One + Half lies in [min, max].
        long pxLo = -((Half - minX) >> SubpixelBits), pxHi = (maxX - Half) >> SubpixelBits;
        long pyLo = -((Half - minY) >> SubpixelBits), pyHi = (maxY - Half) >> SubpixelBits;
        if (pxLo < 0) pxLo = 0;
        if (pyLo < 0) pyLo = 0;
        if (pxHi > width - 1) pxHi = width - 1;
        if (pyHi > height - 1) pyHi = height - 1;
        if (pxLo > pxHi || pyLo > pyHi) return;

        long sx = pxLo * One + Half, sy = pyLo * One + Half;
        // Edge a→b: E(p) = (bx − ax)(py − ay) − (by − ay)(px − ax); w0 uses edge 1→2, w1 edge 2→0, w2 edge 0→1.
        long b0 = Bias(x1, y1, x2, y2), b1 = Bias(x2, y2, x0, y0), b2 = Bias(x0, y0, x1, y1);
        long r0 = (x2 - x1) * (sy - y1) - (y2 - y1) * (sx - x1) + b0;
        long r1 = (x0 - x2) * (sy - y2) - (y0 - y2) * (sx - x2) + b1;
        long r2 = (x1 - x0) * (sy - y0) - (y1 - y0) * (sx - x0) + b2;
        long dx0 = -(y2 - y1) * One, dx1 = -(y0 - y2) * One, dx2 = -(y1 - y0) * One;
        long dy0 = (x2 - x1) * One, dy1 = (x0 - x2) * One, dy2 = (x1 - x0) * One;

        int xLo = (int)pxLo, xHi = (int)pxHi, yHi = (int)pyHi;
        for (int y = (int)pyLo; y <= yHi; y++)
        {
            long e0 = r0, e1 = r1, e2 = r2;
            bool entered = false;
            for (int x = xLo; x <= xHi; x++)
            {
                if ((e0 | e1 | e2) >= 0)
                {
                    entered = true;
                    sink.Cover(x, y, e0 - b0, e1 - b1, e2 - b2);
                }
                else if (entered)
                {
                    break; // convex: the row's span has ended
                }
                e0 += dx0; e1 += dx1; e2 += dx2;
            }
            r0 += dy0; r1 += dy1; r2 += dy2;
        }
    }

    // Top-left rule for clockwise-on-screen triangles: a top edge is horizontal going right, a left edge goes up.
    // Pixels exactly on other edges are excluded by requiring E ≥ 1 there.
    private static long Bias(long ax, long ay, long bx, long by)
    {
        long dy = by - ay, dx = bx - ax;
        return dy < 0 || (dy == 0 && dx > 0) ? 0 : -1;
    }
}
