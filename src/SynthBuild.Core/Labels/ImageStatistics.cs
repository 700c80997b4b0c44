using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SynthBuild.Core.Labels;

/// <summary>Pixel count and extent (inclusive) of one instance id in the segmentation.</summary>
public readonly record struct InstancePixels(int Pixels, int MinX, int MinY, int MaxX, int MaxY);

/// <summary>
/// What the quality analysis needs from a sample's pixels, computed once by the generator while the pixels are in
/// memory and stored in the annotation (<c>imageStats</c>), so the analysis reads JSON instead of decoding three
/// PNGs per sample. Everything is an exact integer (sums, counts, extents), so a recomputation from the decoded
/// files must match bit for bit: that is how the analysis audits the stored values.
/// Luma is Rec. 601 in thousandths: 299·R + 587·G + 114·B.
/// </summary>
public sealed record ImageStatistics(
    long Pixels,
    long[] ChannelSum,
    long[] ChannelSumSquares,
    long LumaSum,
    long LumaSumSquares,
    PerceptualHash Hash,
    long DepthValid,
    long DepthSum,
    long DepthSumSquares,
    int DepthMin,
    int DepthMax,
    long[] DepthHistogram,
    InstancePixels[] Instances,
    long UnknownIdPixels,
    int UnknownId)
{
    /// <summary>Depth histogram: <see cref="DepthBins"/> bins of 100 mm from 0; farther lands in the last bin.</summary>
    public const int DepthBinMillimetres = 100, DepthBins = 60;

    public double ChannelMean(int c) => Pixels == 0 ? 0 : (double)ChannelSum[c] / Pixels;
    public double ChannelStd(int c) => Std(ChannelSum[c], ChannelSumSquares[c], Pixels, 1);
    /// <summary>Mean luma, 0–255.</summary>
    public double Brightness => Pixels == 0 ? 0 : LumaSum / 1000.0 / Pixels;
    /// <summary>Standard deviation of the luma, 0–255.</summary>
    public double Contrast => Std(LumaSum, LumaSumSquares, Pixels, 1000);
    public double DepthValidRatio => Pixels == 0 ? 0 : (double)DepthValid / Pixels;

    private static double Std(long sum, long sumSquares, long n, double scale)
    {
        if (n == 0) return 0;
        double mean = sum / scale / n;
        return Math.Sqrt(Math.Max(0, sumSquares / (scale * scale) / n - mean * mean));
    }

    /// <param name="rgb">8-bit RGB, row-major, as written to rgb/.</param>
    /// <param name="depthMm">Depth in millimetres, 0 = no measurement, as written to depth/.</param>
    /// <param name="ids">Instance ids, 0 = background, as written to segmentation/.</param>
    /// <param name="instances">Number of annotated objects N: ids 1..N are counted, larger ones are unknown.</param>
    public static ImageStatistics Compute(ReadOnlySpan<byte> rgb, ReadOnlySpan<ushort> depthMm, ReadOnlySpan<ushort> ids, int width, int height, int instances)
    {
        long pixels = (long)width * height;
        if (rgb.Length != pixels * 3 || depthMm.Length != pixels || ids.Length != pixels)
            throw new ArgumentException($"image buffers do not match {width}×{height}");

        // --- RGB and the perceptual hash. Each row is split into planes while each hash cell's channel sums are
        // taken (a cell's luma sum is 299·R + 587·G + 114·B of them); the squares, and the cross products that make
        // up the sum of luma², are then taken over the planes with vectors. All integer, so exact.
        Span<int> columnStart = stackalloc int[PerceptualHash.GridWidth + 1];
        for (int c = 0, x = 0; c <= PerceptualHash.GridWidth; c++)
        {
            while (x < width && PerceptualHash.CellColumn(x, width) < c) x++;
            columnStart[c] = x;
        }
        Span<long> cellSums = stackalloc long[PerceptualHash.Cells];
        Span<int> cellCounts = stackalloc int[PerceptualHash.Cells];
        cellSums.Clear();
        cellCounts.Clear();
        long r1 = 0, g1 = 0, b1 = 0, lumaSum = 0;
        var products = new ChannelProducts();
        byte[]? rented = width > 4096 ? ArrayPool<byte>.Shared.Rent(3 * width) : null;
        Span<byte> planes = rented is null ? stackalloc byte[3 * width] : rented.AsSpan(0, 3 * width);
        Span<byte> red = planes[..width], green = planes.Slice(width, width), blue = planes.Slice(2 * width, width);
        ref byte pixel0 = ref MemoryMarshal.GetReference(rgb);
        for (int y = 0; y < height; y++)
        {
            int cellRow = PerceptualHash.CellRow(y, height);
            ref byte p = ref Unsafe.Add(ref pixel0, (nint)3 * y * width);
            for (int c = 0; c < PerceptualHash.GridWidth; c++)
            {
                int rc = 0, gc = 0, bc = 0, start = columnStart[c], end = columnStart[c + 1];
                for (int x = start; x < end; x++, p = ref Unsafe.Add(ref p, 3))
                {
                    byte r = p, g = Unsafe.Add(ref p, 1), b = Unsafe.Add(ref p, 2);
                    red[x] = r; green[x] = g; blue[x] = b;
                    rc += r; gc += g; bc += b;
                }
                long cell = 299L * rc + 587L * gc + 114L * bc;
                r1 += rc; g1 += gc; b1 += bc;
                cellSums[cellRow + c] += cell;
                cellCounts[cellRow + c] += end - start;
                lumaSum += cell;
            }
            products.AddRow(red, green, blue);
        }
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        long r2 = products.RR, g2 = products.GG, b2 = products.BB;
        long lumaSq = 299L * 299 * r2 + 587L * 587 * g2 + 114L * 114 * b2
                      + 2L * 299 * 587 * products.RG + 2L * 299 * 114 * products.RB + 2L * 587 * 114 * products.GB;

        // --- depth, without branches (dropout scatters zeros at random, which would defeat branch prediction):
        // zeros add nothing to the sums and land in bin 0 of the histogram, from which they are taken out after.
        // Two histograms alternate so neighbouring pixels in the same bin do not wait on each other.
        long valid = 0, depthSum = 0, depthSq = 0;
        int min = int.MaxValue, max = 0;
        Span<int> hist = stackalloc int[2 * DepthBins];
        hist.Clear();
        ref ushort depth0 = ref MemoryMarshal.GetReference(depthMm);
        for (int i = 0; i < depthMm.Length; i++)
        {
            int d = Unsafe.Add(ref depth0, i);
            valid += d != 0 ? 1 : 0;
            depthSum += d;
            depthSq += (long)d * d;
            int forMin = d != 0 ? d : int.MaxValue;
            min = forMin < min ? forMin : min;
            max = d > max ? d : max;
            int bin = d / DepthBinMillimetres;
            hist[(i & 1) * DepthBins + (bin < DepthBins ? bin : DepthBins - 1)]++;
        }
        hist[0] -= (int)(depthMm.Length - valid);
        var histogram = new long[DepthBins];
        for (int b = 0; b < DepthBins; b++) histogram[b] = hist[b] + hist[DepthBins + b];

        // --- instance ids, run by run: objects are contiguous, so most pixels only compare with their neighbour.
        int n = Math.Max(0, instances);
        int[] count = ArrayPool<int>.Shared.Rent(n + 1), minX = ArrayPool<int>.Shared.Rent(n + 1), minY = ArrayPool<int>.Shared.Rent(n + 1),
              maxX = ArrayPool<int>.Shared.Rent(n + 1), maxY = ArrayPool<int>.Shared.Rent(n + 1);
        try
        {
            Array.Clear(count, 0, n + 1);
            Array.Fill(minX, int.MaxValue, 0, n + 1); Array.Fill(minY, int.MaxValue, 0, n + 1);
            Array.Fill(maxX, -1, 0, n + 1); Array.Fill(maxY, -1, 0, n + 1);
            long unknownPixels = 0;
            int unknownId = 0;
            for (int y = 0; y < height; y++)
            {
                ReadOnlySpan<ushort> row = ids.Slice(y * width, width);
                int x = 0;
                while (x < width)
                {
                    int id = row[x], start = x;
                    while (++x < width && row[x] == id) { }
                    if (id == 0) continue;
                    if (id > n) { unknownPixels += x - start; unknownId = Math.Max(unknownId, id); continue; }
                    count[id] += x - start;
                    if (start < minX[id]) minX[id] = start;
                    if (x - 1 > maxX[id]) maxX[id] = x - 1;
                    if (y < minY[id]) minY[id] = y;
                    maxY[id] = y;
                }
            }
            var perInstance = new InstancePixels[n];
            for (int id = 1; id <= n; id++)
                perInstance[id - 1] = count[id] == 0 ? new InstancePixels(0, 0, 0, 0, 0) : new InstancePixels(count[id], minX[id], minY[id], maxX[id], maxY[id]);

            return new ImageStatistics(pixels, [r1, g1, b1], [r2, g2, b2], lumaSum, lumaSq,
                PerceptualHash.FromCells(cellSums, cellCounts),
                valid, depthSum, depthSq, valid == 0 ? 0 : min, max, histogram, perInstance, unknownPixels, unknownId);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(count); ArrayPool<int>.Shared.Return(minX); ArrayPool<int>.Shared.Return(minY);
            ArrayPool<int>.Shared.Return(maxX); ArrayPool<int>.Shared.Return(maxY);
        }
    }

    /// <summary>Sums of the squares and pairwise products of three 8-bit planes, accumulated row by row.</summary>
    private struct ChannelProducts
    {
        public long RR, GG, BB, RG, RB, GB;

        public void AddRow(ReadOnlySpan<byte> r, ReadOnlySpan<byte> g, ReadOnlySpan<byte> b)
        {
            int x = 0, lanes = Vector<byte>.Count;
            if (Vector.IsHardwareAccelerated && r.Length >= lanes)
            {
                // 8-bit × 8-bit fits 16 bits; a 32-bit lane gains four products (≤ 4 · 65025) per step of
                // Vector<byte>.Count pixels, so rows up to 500,000 pixels wide cannot overflow it.
                Vector<uint> rr = default, gg = default, bb = default, rg = default, rb = default, gb = default;
                for (; x + lanes <= r.Length; x += lanes)
                {
                    Vector.Widen(new Vector<byte>(r[x..]), out Vector<ushort> rLo, out Vector<ushort> rHi);
                    Vector.Widen(new Vector<byte>(g[x..]), out Vector<ushort> gLo, out Vector<ushort> gHi);
                    Vector.Widen(new Vector<byte>(b[x..]), out Vector<ushort> bLo, out Vector<ushort> bHi);
                    rr += Pairs(rLo * rLo, rHi * rHi); gg += Pairs(gLo * gLo, gHi * gHi); bb += Pairs(bLo * bLo, bHi * bHi);
                    rg += Pairs(rLo * gLo, rHi * gHi); rb += Pairs(rLo * bLo, rHi * bHi); gb += Pairs(gLo * bLo, gHi * bHi);
                }
                RR += Total(rr); GG += Total(gg); BB += Total(bb);
                RG += Total(rg); RB += Total(rb); GB += Total(gb);
            }
            for (; x < r.Length; x++)
            {
                int rv = r[x], gv = g[x], bv = b[x];
                RR += rv * rv; GG += gv * gv; BB += bv * bv; RG += rv * gv; RB += rv * bv; GB += gv * bv;
            }
        }

        /// <summary>Both halves' 16-bit products widened and added lane-wise into 32 bits.</summary>
        private static Vector<uint> Pairs(Vector<ushort> lo, Vector<ushort> hi)
        {
            Vector.Widen(lo, out Vector<uint> a, out Vector<uint> b);
            Vector.Widen(hi, out Vector<uint> c, out Vector<uint> d);
            return (a + b) + (c + d);
        }

        private static long Total(Vector<uint> v)
        {
            Vector.Widen(v, out Vector<ulong> lo, out Vector<ulong> hi);
            return (long)Vector.Sum(lo + hi);
        }
    }

    /// <summary>The first field in which <paramref name="other"/> differs, or null when they are equal.</summary>
    public string? FirstDifference(ImageStatistics other)
    {
        static string? Diff<T>(string what, T a, T b) => EqualityComparer<T>.Default.Equals(a, b) ? null : $"{what} {a} vs {b}";
        static string? Seq<T>(string what, T[] a, T[] b) where T : IEquatable<T> =>
            a.AsSpan().SequenceEqual(b) ? null : $"{what} [{string.Join(", ", a)}] vs [{string.Join(", ", b)}]";
        return Diff("pixels", Pixels, other.Pixels)
            ?? Seq("channel sums", ChannelSum, other.ChannelSum)
            ?? Seq("channel sums of squares", ChannelSumSquares, other.ChannelSumSquares)
            ?? Diff("luma sum", LumaSum, other.LumaSum)
            ?? Diff("luma sum of squares", LumaSumSquares, other.LumaSumSquares)
            ?? Diff("perceptual hash", Hash.ToHex(), other.Hash.ToHex())
            ?? Diff("valid depth pixels", DepthValid, other.DepthValid)
            ?? Diff("depth sum", DepthSum, other.DepthSum)
            ?? Diff("depth sum of squares", DepthSumSquares, other.DepthSumSquares)
            ?? Diff("depth min", DepthMin, other.DepthMin)
            ?? Diff("depth max", DepthMax, other.DepthMax)
            ?? Seq("depth histogram", DepthHistogram, other.DepthHistogram)
            ?? Seq("instance pixels", Instances, other.Instances)
            ?? Diff("unknown-id pixels", UnknownIdPixels, other.UnknownIdPixels)
            ?? Diff("largest unknown id", UnknownId, other.UnknownId);
    }
}
