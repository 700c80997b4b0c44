namespace SynthBuild.Evaluation;

/// <summary>
/// A binary mask of <see cref="Height"/> × <see cref="Width"/> pixels as column-major run lengths
/// (the COCO / pycocotools convention): runs alternate background, foreground, background, ...,
/// starting with a (possibly empty) background run, scanning down each column from the left.
/// </summary>
public sealed class Rle
{
    public int Height { get; }
    public int Width { get; }
    /// <summary>Run lengths; the caller must not mutate the array after construction.</summary>
    public uint[] Counts { get; }

    public Rle(int height, int width, uint[] counts)
    {
        Height = height;
        Width = width;
        Counts = counts;
    }

    /// <summary>Number of foreground pixels (sum of the odd runs), as maskApi's rleArea.</summary>
    public uint Area()
    {
        uint a = 0;
        var c = Counts;
        for (int j = 1; j < c.Length; j += 2) a += c[j];
        return a;
    }

    /// <summary>Sum of all runs; a well-formed RLE covers exactly Height × Width pixels.</summary>
    public ulong TotalLength()
    {
        ulong s = 0;
        foreach (var c in Counts) s += c;
        return s;
    }

    // ---------------------------------------------------------------- compressed string format

    /// <summary>
    /// COCO's compressed counts string: each count (from the fourth on, the difference to the count
    /// two places earlier) is written as a little-endian sequence of 5-bit groups in characters
    /// 48..111, bit 0x20 meaning "more groups follow" and bit 0x10 of the last group the sign.
    /// </summary>
    public string ToCompressedString()
    {
        var c = Counts;
        var sb = new System.Text.StringBuilder(c.Length * 2);
        for (int i = 0; i < c.Length; i++)
        {
            long x = c[i];
            if (i > 2) x -= c[i - 2];
            while (true)
            {
                int group = (int)(x & 0x1f);
                x >>= 5;
                bool more = (group & 0x10) != 0 ? x != -1 : x != 0;
                if (more) group |= 0x20;
                sb.Append((char)(group + 48));
                if (!more) break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Decodes a compressed counts string; returns null and an explanation when it is malformed.</summary>
    public static Rle? FromCompressedString(string s, int height, int width, out string? error)
    {
        error = null;
        var counts = new List<uint>(s.Length);
        int p = 0;
        while (p < s.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            int start = p;
            while (more)
            {
                if (p >= s.Length)
                {
                    error = $"compressed counts end inside a number (run {counts.Count}, at character {start})";
                    return null;
                }
                int ch = s[p];
                if (ch < 48 || ch > 111)
                {
                    error = $"invalid character '{s[p]}' at position {p} of the compressed counts (expected characters '0'..'o')";
                    return null;
                }
                if (k >= 12)
                {
                    error = $"run {counts.Count} of the compressed counts is too long (at character {start})";
                    return null;
                }
                int c = ch - 48;
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }
            if (counts.Count > 2) x += counts[counts.Count - 2];
            if (x < 0 || x > uint.MaxValue)
            {
                error = $"run {counts.Count} of the compressed counts decodes to {x.ToString(System.Globalization.CultureInfo.InvariantCulture)}, which is not a valid run length";
                return null;
            }
            counts.Add((uint)x);
        }
        var rle = new Rle(height, width, counts.ToArray());
        if (!rle.CheckTotal(out error)) return null;
        return rle;
    }

    /// <summary>True when the runs add up to Height × Width.</summary>
    public bool CheckTotal(out string? error)
    {
        ulong expected = (ulong)Height * (ulong)Width;
        ulong total = TotalLength();
        if (total != expected)
        {
            error = $"run lengths add up to {total} but size {Height}x{Width} has {expected} pixels";
            return false;
        }
        error = null;
        return true;
    }

    // ---------------------------------------------------------------- dense masks

    /// <summary>Encodes a column-major mask (mask[x * height + y] != 0 is foreground).</summary>
    public static Rle FromColumnMajorMask(ReadOnlySpan<byte> mask, int height, int width)
    {
        var counts = new List<uint>();
        byte prev = 0;
        uint run = 0;
        int n = height * width;
        for (int i = 0; i < n; i++)
        {
            byte v = mask[i] != 0 ? (byte)1 : (byte)0;
            if (v != prev)
            {
                counts.Add(run);
                run = 0;
                prev = v;
            }
            run++;
        }
        counts.Add(run);
        return new Rle(height, width, counts.ToArray());
    }

    /// <summary>Decodes to a column-major mask of 0/1 bytes.</summary>
    public byte[] ToColumnMajorMask()
    {
        var mask = new byte[Height * Width];
        int pos = 0;
        byte v = 0;
        foreach (var c in Counts)
        {
            if (v != 0) mask.AsSpan(pos, (int)c).Fill(1);
            pos += (int)c;
            v ^= 1;
        }
        return mask;
    }

    // ---------------------------------------------------------------- geometry

    /// <summary>
    /// Bounding box [x, y, w, h] of the mask as maskApi's rleToBbox computes it (including its rule that a
    /// foreground run spanning more than one column makes the box span the full height).
    /// </summary>
    public void ToBbox(Span<double> bb)
    {
        uint h = (uint)Height, w = (uint)Width;
        int m = Counts.Length / 2 * 2;
        if (m == 0)
        {
            bb[0] = bb[1] = bb[2] = bb[3] = 0;
            return;
        }
        uint xs = w, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
        for (int j = 0; j < m; j++)
        {
            cc += Counts[j];
            uint t = cc - (uint)(j % 2);
            uint y = t % h;
            uint x = (t - y) / h;
            if (j % 2 == 0) xp = x;
            else if (xp < x) { ys = 0; ye = h - 1; }
            if (x < xs) xs = x;
            if (x > xe) xe = x;
            if (y < ys) ys = y;
            if (y > ye) ye = y;
        }
        bb[0] = xs;
        bb[2] = xe - xs + 1;
        bb[1] = ys;
        bb[3] = ye - ys + 1;
    }

    public double[] ToBbox()
    {
        var bb = new double[4];
        ToBbox(bb);
        return bb;
    }

    /// <summary>Rasterizes a box [x, y, w, h] as the polygon of its four corners (maskApi's rleFrBbox).</summary>
    public static Rle FromBbox(ReadOnlySpan<double> bb, int height, int width)
    {
        double xs = bb[0], xe = xs + bb[2];
        double ys = bb[1], ye = ys + bb[3];
        ReadOnlySpan<double> xy = [xs, ys, xs, ye, xe, ye, xe, ys];
        return FromPolygon(xy, height, width);
    }

    /// <summary>
    /// Rasterizes a polygon (x0, y0, x1, y1, ...) exactly as pycocotools does: vertices are scaled by 5 and
    /// rounded, every edge is walked one step per unit of its longer axis on that 5× grid, the points where the
    /// walk crosses a pixel-centre column are mapped back to pixel coordinates, and each such crossing toggles
    /// the inside/outside state in column-major order.
    /// </summary>
    public static Rle FromPolygon(ReadOnlySpan<double> xy, int height, int width)
    {
        const double scale = 5;
        int k = xy.Length / 2;

        // 1. Vertices on the upsampled grid, closed by repeating the first one.
        var vx = new int[k + 1];
        var vy = new int[k + 1];
        for (int j = 0; j < k; j++)
        {
            vx[j] = CTrunc(scale * xy[2 * j] + .5);
            vy[j] = CTrunc(scale * xy[2 * j + 1] + .5);
        }
        if (k > 0)
        {
            vx[k] = vx[0];
            vy[k] = vy[0];
        }

        int total = 0;
        for (int j = 0; j < k; j++)
            total += Math.Max(Math.Abs(vx[j] - vx[j + 1]), Math.Abs(vy[j] - vy[j + 1])) + 1;

        // 2. Dense boundary points: along each edge, one point per step of the dominant axis, walked in the
        //    direction of increasing dominant coordinate and stored in the edge's own direction.
        var bu = new int[total];
        var bv = new int[total];
        int n = 0;
        for (int j = 0; j < k; j++)
        {
            int x0 = vx[j], x1 = vx[j + 1], y0 = vy[j], y1 = vy[j + 1];
            int dx = Math.Abs(x1 - x0), dy = Math.Abs(y0 - y1);
            bool alongX = dx >= dy;
            bool reversed = (alongX && x0 > x1) || (!alongX && y0 > y1);
            if (reversed)
            {
                (x0, x1) = (x1, x0);
                (y0, y1) = (y1, y0);
            }
            if (alongX)
            {
                double slope = (double)(y1 - y0) / dx;
                for (int d = 0; d <= dx; d++)
                {
                    int t = reversed ? dx - d : d;
                    bu[n] = t + x0;
                    bv[n] = CTrunc(y0 + slope * t + .5);
                    n++;
                }
            }
            else
            {
                double slope = (double)(x1 - x0) / dy;
                for (int d = 0; d <= dy; d++)
                {
                    int t = reversed ? dy - d : d;
                    bv[n] = t + y0;
                    bu[n] = CTrunc(x0 + slope * t + .5);
                    n++;
                }
            }
        }

        // 3. Where consecutive points change column, keep the crossing if it lies on a pixel-centre column
        //    inside the image; its row is the upper of the two points, mapped back and rounded up.
        var cross = new uint[n + 1];
        int nc = 0;
        for (int j = 1; j < n; j++)
        {
            if (bu[j] == bu[j - 1]) continue;
            double xd = bu[j] < bu[j - 1] ? bu[j] : bu[j] - 1;
            xd = (xd + .5) / scale - .5;
            if (Math.Floor(xd) != xd || xd < 0 || xd > (double)(ulong)(width - 1)) continue;
            double yd = bv[j] < bv[j - 1] ? bv[j] : bv[j - 1];
            yd = (yd + .5) / scale - .5;
            if (yd < 0) yd = 0;
            else if (yd > height) yd = height;
            yd = Math.Ceiling(yd);
            cross[nc++] = unchecked((uint)((int)xd * height + (int)yd));
        }
        cross[nc++] = unchecked((uint)height * (uint)width);

        // 4. Sorted crossing positions become run lengths; an empty run merges its neighbours.
        Array.Sort(cross, 0, nc);
        uint prev = 0;
        for (int j = 0; j < nc; j++)
        {
            uint t = cross[j];
            cross[j] -= prev;
            prev = t;
        }
        var runs = new uint[nc];
        int m = 0, i = 0;
        runs[m++] = cross[i++];
        while (i < nc)
        {
            if (cross[i] > 0) runs[m++] = cross[i++];
            else
            {
                i++;
                if (i < nc) runs[m - 1] += cross[i++];
            }
        }
        return new Rle(height, width, runs.AsSpan(0, m).ToArray());
    }

    /// <summary>C's double → int conversion as x86-64 performs it: truncation, 0x80000000 when out of range or NaN.</summary>
    private static int CTrunc(double v)
    {
        if (double.IsNaN(v) || v >= 2147483648.0 || v <= -2147483649.0) return int.MinValue;
        return (int)v;
    }

    /// <summary>Union (or intersection) of masks of the same size, as maskApi's rleMerge.</summary>
    public static Rle Merge(IReadOnlyList<Rle> rles, bool intersect = false)
    {
        if (rles.Count == 0) return new Rle(0, 0, []);
        var first = rles[0];
        if (rles.Count == 1) return first;
        int h = first.Height, w = first.Width;
        var acc = (uint[])first.Counts.Clone();
        int accLen = acc.Length;
        for (int r = 1; r < rles.Count; r++)
        {
            var b = rles[r];
            if (b.Height != h || b.Width != w) return new Rle(0, 0, []);
            var outRuns = new uint[accLen + b.Counts.Length + 1];
            int m = 0;
            uint ca = accLen > 0 ? acc[0] : 0, cb = b.Counts.Length > 0 ? b.Counts[0] : 0;
            bool va = false, vb = false, v = false;
            int ia = 1, ib = 1;
            uint cc = 0, ct = 1;
            while (ct > 0)
            {
                uint c = Math.Min(ca, cb);
                cc += c;
                ct = 0;
                ca -= c;
                if (ca == 0 && ia < accLen) { ca = acc[ia++]; va = !va; }
                ct += ca;
                cb -= c;
                if (cb == 0 && ib < b.Counts.Length) { cb = b.Counts[ib++]; vb = !vb; }
                ct += cb;
                bool vp = v;
                v = intersect ? va && vb : va || vb;
                if (v != vp || ct == 0)
                {
                    outRuns[m++] = cc;
                    cc = 0;
                }
            }
            acc = outRuns;
            accLen = m;
        }
        return new Rle(h, w, acc.AsSpan(0, accLen).ToArray());
    }

    // ---------------------------------------------------------------- IoU

    /// <summary>
    /// maskApi's bbIou: IoU of boxes [x, y, w, h]; for a crowd ground truth the union is the detection's area.
    /// </summary>
    public static double BoxIou(ReadOnlySpan<double> d, ReadOnlySpan<double> g, bool crowd)
    {
        double ga = g[2] * g[3];
        double da = d[2] * d[3];
        double w = Math.Min(d[2] + d[0], g[2] + g[0]) - Math.Max(d[0], g[0]);
        if (w <= 0) return 0;
        double h = Math.Min(d[3] + d[1], g[3] + g[1]) - Math.Max(d[1], g[1]);
        if (h <= 0) return 0;
        double i = w * h;
        double u = crowd ? da : da + ga - i;
        return i / u;
    }

    /// <summary>
    /// maskApi's rleIou: boxes of the masks are compared first (IoU 0 when they do not overlap), masks of
    /// different sizes give -1, and for a crowd ground truth the union is the detection's area.
    /// <paramref name="dtBox"/>/<paramref name="gtBox"/> are the masks' <see cref="ToBbox()"/> results.
    /// </summary>
    public static double MaskIou(Rle dt, ReadOnlySpan<double> dtBox, Rle gt, ReadOnlySpan<double> gtBox, bool crowd)
    {
        if (!(BoxIou(dtBox, gtBox, crowd) > 0)) return 0;
        if (dt.Height != gt.Height || dt.Width != gt.Width) return -1;
        var A = dt.Counts;
        var B = gt.Counts;
        uint ca = A.Length > 0 ? A[0] : 0, cb = B.Length > 0 ? B[0] : 0;
        int ka = A.Length, kb = B.Length, a = 1, b = 1;
        bool va = false, vb = false;
        uint inter = 0, union = 0, ct = 1;
        while (ct > 0)
        {
            uint c = Math.Min(ca, cb);
            if (va || vb)
            {
                union += c;
                if (va && vb) inter += c;
            }
            ct = 0;
            ca -= c;
            if (ca == 0 && a < ka) { ca = A[a++]; va = !va; }
            ct += ca;
            cb -= c;
            if (cb == 0 && b < kb) { cb = B[b++]; vb = !vb; }
            ct += cb;
        }
        if (inter == 0) union = 1;
        else if (crowd) union = dt.Area();
        return (double)inter / union;
    }

    /// <summary>Decodes an RLE with explicit (uncompressed) counts.</summary>
    public static Rle FromUncompressed(uint[] counts, int height, int width) => new(height, width, counts);
}
