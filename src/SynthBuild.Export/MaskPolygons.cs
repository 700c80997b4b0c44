namespace SynthBuild.Export;

/// <summary>
/// Traces a binary mask into polygons whose vertices are pixel corners (crack following), so the polygons cover
/// exactly the mask's pixels. Foreground is 8-connected (diagonal neighbours belong to one part), background
/// 4-connected. Each part becomes one polygon; a part's holes are spliced into its polygon with a zero-width
/// there-and-back bridge, which even-odd rasterizers (pycocotools, cv2.fillPoly) cancel out. That is the only way
/// to express a hole in COCO, whose readers union the polygons of one annotation.
/// </summary>
public static class MaskPolygons
{
    // Directions in image coordinates (y down), clockwise: E, S, W, N.
    private static readonly int[] Dx = [1, 0, -1, 0];
    private static readonly int[] Dy = [0, 1, 0, -1];

    /// <summary>A closed ring of pixel-corner vertices (x, y, x, y, ...); positive area = outer boundary, negative = hole.</summary>
    public sealed record Ring(int[] Xy, long SignedArea2);

    /// <summary>
    /// Boundary rings of the nonzero pixels of a row-major <paramref name="width"/> × <paramref name="height"/>
    /// mask, with collinear vertices removed. Outer rings run clockwise on screen (foreground on the right).
    /// </summary>
    public static List<Ring> TraceRings(ReadOnlySpan<byte> mask, int width, int height)
    {
        int vw = width + 1, vh = height + 1;
        // Out-going boundary edges at each pixel corner, one bit per direction.
        var outEdges = new byte[vw * vh];
        for (int y = 0; y < height; y++)
        {
            int row = y * width;
            for (int x = 0; x < width; x++)
            {
                if (mask[row + x] == 0) continue;
                if (y == 0 || mask[row - width + x] == 0) outEdges[y * vw + x] |= 1;                    // top: E
                if (x == width - 1 || mask[row + x + 1] == 0) outEdges[y * vw + x + 1] |= 2;            // right: S
                if (y == height - 1 || mask[row + width + x] == 0) outEdges[(y + 1) * vw + x + 1] |= 4; // bottom: W
                if (x == 0 || mask[row + x - 1] == 0) outEdges[(y + 1) * vw + x] |= 8;                  // left: N
            }
        }

        var used = new byte[outEdges.Length];
        var rings = new List<Ring>();
        var points = new List<int>();
        for (int v0 = 0; v0 < outEdges.Length; v0++)
        {
            while ((outEdges[v0] & ~used[v0]) != 0)
            {
                int free = outEdges[v0] & ~used[v0];
                int startDir = System.Numerics.BitOperations.TrailingZeroCount(free);
                int x = v0 % vw, y = v0 / vw, dir = startDir;
                points.Clear();
                while (true)
                {
                    used[y * vw + x] |= (byte)(1 << dir);
                    points.Add(x);
                    points.Add(y);
                    x += Dx[dir];
                    y += Dy[dir];
                    // Prefer the left turn, so diagonal foreground neighbours stay in one ring (8-connectivity).
                    int avail = outEdges[y * vw + x];
                    int left = (dir + 3) & 3, right = (dir + 1) & 3;
                    int next = (avail & (1 << left)) != 0 ? left : (avail & (1 << dir)) != 0 ? dir : right;
                    if ((avail & (1 << next)) == 0) throw new InvalidOperationException("mask boundary is not closed");
                    if ((used[y * vw + x] & (1 << next)) != 0) break; // back at an edge already walked: the ring is closed
                    dir = next;
                }
                rings.Add(Simplify(points));
            }
        }
        return rings;
    }

    /// <summary>Drops vertices where the boundary goes straight on.</summary>
    private static Ring Simplify(List<int> p)
    {
        int n = p.Count / 2;
        var keep = new List<int>(n);
        for (int i = 0; i < n; i++)
        {
            int prev = (i + n - 1) % n, next = (i + 1) % n;
            long cross = (long)(p[2 * i] - p[2 * prev]) * (p[2 * next + 1] - p[2 * i + 1]) - (long)(p[2 * i + 1] - p[2 * prev + 1]) * (p[2 * next] - p[2 * i]);
            if (cross != 0) { keep.Add(p[2 * i]); keep.Add(p[2 * i + 1]); }
        }
        var xy = keep.ToArray();
        long area2 = 0;
        int m = xy.Length / 2;
        for (int i = 0; i < m; i++)
        {
            int j = (i + 1) % m;
            area2 += (long)xy[2 * i] * xy[2 * j + 1] - (long)xy[2 * j] * xy[2 * i + 1];
        }
        return new Ring(xy, area2);
    }

    /// <summary>
    /// One polygon per 8-connected part (holes spliced in), in the order the parts' top-left corners appear
    /// (row-major). Coordinates are shifted by (<paramref name="offsetX"/>, <paramref name="offsetY"/>).
    /// </summary>
    public static List<int[]> Polygons(ReadOnlySpan<byte> mask, int width, int height, int offsetX = 0, int offsetY = 0)
    {
        var rings = TraceRings(mask, width, height);
        var outers = new List<Ring>();
        var holesOf = new List<List<Ring>>();
        foreach (var r in rings)
            if (r.SignedArea2 > 0) { outers.Add(r); holesOf.Add([]); }
        foreach (var hole in rings)
        {
            if (hole.SignedArea2 > 0) continue;
            // A point just inside the hole: half a pixel to the left of the middle of its first edge.
            int[] h = hole.Xy;
            int ex = Math.Sign(h[2] - h[0]), ey = Math.Sign(h[3] - h[1]);
            double px = (h[0] + h[2]) / 2.0 + 0.5 * ey, py = (h[1] + h[3]) / 2.0 - 0.5 * ex;
            int best = -1;
            for (int i = 0; i < outers.Count; i++)
                if (Contains(outers[i].Xy, px, py) && (best < 0 || outers[i].SignedArea2 < outers[best].SignedArea2)) best = i;
            if (best < 0) throw new InvalidOperationException("hole outside every part");
            holesOf[best].Add(hole);
        }

        var result = new List<int[]>(outers.Count);
        for (int i = 0; i < outers.Count; i++)
        {
            var poly = new List<int>(outers[i].Xy);
            foreach (var hole in holesOf[i]) Splice(poly, hole.Xy);
            result.Add(Shift(poly, offsetX, offsetY));
        }
        return result;
    }

    /// <summary>
    /// All parts and holes as a single polygon joined by there-and-back bridges (the YOLO segmentation format
    /// has one polygon per object).
    /// </summary>
    public static int[] SinglePolygon(ReadOnlySpan<byte> mask, int width, int height, int offsetX = 0, int offsetY = 0)
    {
        var rings = TraceRings(mask, width, height);
        if (rings.Count == 0) return [];
        var poly = new List<int>(rings[0].Xy);
        for (int i = 1; i < rings.Count; i++) Splice(poly, rings[i].Xy);
        return Shift(poly, offsetX, offsetY);
    }

    /// <summary>Inserts <paramref name="ring"/> into <paramref name="poly"/> through the shortest vertex-to-vertex bridge.</summary>
    private static void Splice(List<int> poly, int[] ring)
    {
        int n = poly.Count / 2, m = ring.Length / 2, bi = 0, bj = 0;
        long bestD = long.MaxValue;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                long dx = poly[2 * i] - ring[2 * j], dy = poly[2 * i + 1] - ring[2 * j + 1];
                long d = dx * dx + dy * dy;
                if (d < bestD) { bestD = d; bi = i; bj = j; }
            }
        // poly[..bi], ring[bj..], ring[..bj], ring[bj], poly[bi], poly[bi+1..]
        var insert = new List<int>(2 * m + 4);
        if (bestD == 0)
        {
            // The ring touches the polygon at a vertex: no bridge, and no repeated vertex either.
            for (int k = 1; k < m; k++)
            {
                int j = (bj + k) % m;
                insert.Add(ring[2 * j]);
                insert.Add(ring[2 * j + 1]);
            }
            insert.Add(poly[2 * bi]);
            insert.Add(poly[2 * bi + 1]);
            poly.InsertRange(2 * bi + 2, insert);
            return;
        }
        for (int k = 0; k <= m; k++)
        {
            int j = (bj + k) % m;
            insert.Add(ring[2 * j]);
            insert.Add(ring[2 * j + 1]);
        }
        insert.Add(poly[2 * bi]);
        insert.Add(poly[2 * bi + 1]);
        poly.InsertRange(2 * bi + 2, insert);
    }

    private static bool Contains(int[] xy, double px, double py)
    {
        bool inside = false;
        int n = xy.Length / 2;
        for (int i = 0, j = n - 1; i < n; j = i++)
        {
            double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
            if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) inside = !inside;
        }
        return inside;
    }

    private static int[] Shift(List<int> poly, int offsetX, int offsetY)
    {
        var a = poly.ToArray();
        for (int i = 0; i < a.Length; i += 2) { a[i] += offsetX; a[i + 1] += offsetY; }
        return a;
    }
}
