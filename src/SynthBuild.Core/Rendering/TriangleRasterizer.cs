namespace SynthBuild.Core.Rendering;

/// <summary>Receives the pixels a triangle covers, one run of a row at a time.</summary>
internal interface ICoverageSink
{
    /// <summary>
    /// Pixels <paramref name="xStart"/>..<paramref name="xEnd"/> (inclusive) of row <paramref name="y"/> are covered.
    /// w0..w2 are the edge functions opposite each vertex at the centre of pixel xStart (unnormalised barycentrics,
    /// summing to the triangle's doubled area, all ≥ 0 inside the run); each pixel to the right adds dw0..dw2.
    /// </summary>
    void CoverRow(int y, int xStart, int xEnd, long w0, long w1, long w2, long dw0, long dw1, long dw2);
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
    /// Hands <paramref name="sink"/> the pixels of the width × height image whose centre is inside the triangle,
    /// row by row. Requires <see cref="Area2"/> &gt; 0 and coordinates bounded (|c| &lt; 2^28 in fixed point).
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

        int xLo = (int)pxLo, yHi = (int)pyHi;
        long span = pxHi - pxLo;
        for (int y = (int)pyLo; y <= yHi; y++, r0 += dy0, r1 += dy1, r2 += dy2)
        {
            // A convex shape covers one run of each row. Its ends come exactly from the three edge inequalities
            // e + n·dx ≥ 0 (integer arithmetic), so no time goes to the bounding box's empty pixels.
            long lo = 0, hi = span;
            if (!Narrow(r0, dx0, ref lo, ref hi) || !Narrow(r1, dx1, ref lo, ref hi) || !Narrow(r2, dx2, ref lo, ref hi)) continue;
            sink.CoverRow(y, xLo + (int)lo, xLo + (int)hi, r0 + lo * dx0 - b0, r1 + lo * dx1 - b1, r2 + lo * dx2 - b2, dx0, dx1, dx2);
        }
    }

    /// <summary>Narrows [lo, hi] to the steps n where e + n·d ≥ 0; false when none is left.</summary>
    private static bool Narrow(long e, long d, ref long lo, ref long hi)
    {
        if (d > 0)
        {
            if (e < 0) lo = Math.Max(lo, (-e + d - 1) / d); // ceil(−e / d)
        }
        else if (e < 0)
        {
            return false; // d ≤ 0: the edge never becomes non-negative along the row
        }
        else if (d < 0)
        {
            hi = Math.Min(hi, e / -d); // floor(e / −d)
        }
        return lo <= hi;
    }

    // Top-left rule for clockwise-on-screen triangles: a top edge is horizontal going right, a left edge goes up.
    // Pixels exactly on other edges are excluded by requiring E ≥ 1 there.
    private static long Bias(long ax, long ay, long bx, long by)
    {
        long dy = by - ay, dx = bx - ax;
        return dy < 0 || (dy == 0 && dx > 0) ? 0 : -1;
    }
}
