using System.Numerics;
using System.Runtime.InteropServices;
using SynthBuild.Core.Config;
using SynthBuild.Core.Randomness;

namespace SynthBuild.Core.Sensors;

/// <summary>
/// Turns the ideal render into what a sensor reports: gaussian read noise and dead pixels on RGB; depth in uint16
/// millimetres with distance-dependent noise, quantization, missing values at discontinuities and random dropout
/// (0 = no measurement). Labels are never touched: they come from the ideal id buffer.
/// </summary>
public sealed class SensorModel
{
    private readonly SensorSpec _spec;
    private readonly sbyte[] _noiseTable;

    public SensorModel(SensorSpec spec)
    {
        _spec = spec;
        _noiseTable = BuildRoundedGaussianTable(spec.GaussianNoiseStd);
    }

    /// <summary>
    /// The RGB image this sensor reports for sample <paramref name="index"/> of a dataset with seed
    /// <paramref name="seed"/>: read noise, then dead pixels, written into <paramref name="output"/> (the ideal image
    /// is not changed). Returns the image to use: <paramref name="output"/>, or <paramref name="ideal"/> itself when
    /// the sensor adds nothing (no copy).
    /// </summary>
    public ReadOnlySpan<byte> CaptureRgb(ReadOnlySpan<byte> ideal, int width, int height, ulong seed, long index, Span<byte> output)
    {
        if (_spec.GaussianNoiseStd <= 0 && DeadPixelCount(width, height) == 0) return ideal;
        output = output[..ideal.Length];
        if (_spec.GaussianNoiseStd > 0) AddRgbNoise(ideal, output, RandomStream.For(seed, index, "sensor.rgb"));
        else ideal.CopyTo(output);
        ApplyDeadPixels(output, width, height, seed);
        return output;
    }

    /// <summary>
    /// The depth image this sensor reports for sample <paramref name="index"/>, in millimetres (see
    /// <see cref="ToDepth"/>), written into <paramref name="millimetres"/>.
    /// </summary>
    public void CaptureDepth(ReadOnlySpan<float> metres, int width, ulong seed, long index, double dropout, Span<ushort> millimetres) =>
        ToDepth(metres, millimetres, width, RandomStream.For(seed, index, "sensor.depth"), dropout);

    /// <summary>Adds read noise to 8-bit RGB in place.</summary>
    public void ApplyRgbNoise(Span<byte> rgb, RandomStream rng)
    {
        if (_spec.GaussianNoiseStd <= 0) return;
        AddRgbNoise(rgb, rgb, rng);
    }

    /// <summary>noisy = ideal plus read noise; the two may be the same buffer.</summary>
    private void AddRgbNoise(ReadOnlySpan<byte> ideal, Span<byte> noisy, RandomStream rng)
    {
        // Four 16-bit table lookups per 64-bit draw (noise is rounded to whole 8-bit levels anyway): byte i takes
        // bits 16·(i mod 4) of draw i / 4. Draws come in blocks; the clamped addition is vectorised.
        int whole = BitConverter.IsLittleEndian ? ideal.Length & ~3 : 0;
        Span<ulong> draws = stackalloc ulong[NoiseBlock / 4];
        Span<sbyte> noise = stackalloc sbyte[NoiseBlock];
        for (int start = 0; start < whole; start += NoiseBlock)
        {
            int n = Math.Min(NoiseBlock, whole - start);
            rng.Fill(draws[..(n / 4)]);
            ReadOnlySpan<ushort> slots = MemoryMarshal.Cast<ulong, ushort>(draws); // little-endian: low bits first
            for (int j = 0; j < n; j++) noise[j] = _noiseTable[slots[j]];
            AddClamped(ideal.Slice(start, n), noise[..n], noisy.Slice(start, n));
        }
        for (int i = whole; i < ideal.Length; i++)
            noisy[i] = AddClamped(ideal[i], _noiseTable[(int)(rng.NextUInt64() & 0xFFFF)]);
    }

    private const int NoiseBlock = 4096;

    /// <summary>sums[i] = clamp(values[i] + noise[i], 0, 255): shifted into signed bytes, the saturating add clamps.</summary>
    private static void AddClamped(ReadOnlySpan<byte> values, ReadOnlySpan<sbyte> noise, Span<byte> sums)
    {
        int i = 0, lanes = Vector<byte>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var bias = new Vector<byte>(0x80);
            for (; i + lanes <= values.Length; i += lanes)
            {
                var shifted = Vector.AsVectorSByte(new Vector<byte>(values[i..]) ^ bias);
                (Vector.AsVectorByte(Vector.AddSaturate(shifted, new Vector<sbyte>(noise[i..]))) ^ bias).CopyTo(sums[i..]);
            }
        }
        for (; i < values.Length; i++) sums[i] = AddClamped(values[i], noise[i]);
    }

    /// <summary>
    /// The depth sensor: ideal metres → uint16 millimetres with, per pixel, invalidation at depth discontinuities
    /// (a 4-neighbour differs by more than the edge threshold, or shows nothing), gaussian noise with std
    /// depthNoise·z², quantization to the depth step, and dropout. One 64-bit draw per pixel whatever happens,
    /// so the noise at a pixel does not depend on the content elsewhere.
    /// </summary>
    public void ToDepth(ReadOnlySpan<float> metres, Span<ushort> mm, int width, RandomStream rng, double dropout)
    {
        if (_spec.DepthNoise <= 0 && _spec.DepthEdgeThreshold <= 0 && _spec.DepthQuantization == 1)
        {
            ToDepthMillimetres(metres, mm, rng, dropout);
            return;
        }
        uint dropThreshold = (uint)Math.Min(uint.MaxValue, Math.Round(dropout * 4294967296.0));
        double edge = _spec.DepthEdgeThreshold, noise = _spec.DepthNoise, step = _spec.DepthQuantization;
        int height = metres.Length / width;
        // Row scratch: 20 bytes a pixel, on the stack up to 1024 pixels wide (20 KiB).
        bool small = width <= 1024;
        Span<ulong> draws = small ? stackalloc ulong[width] : new ulong[width];
        Span<double> gauss = small ? stackalloc double[width] : new double[width];
        Span<int> jumps = small ? stackalloc int[width] : new int[width];
        for (int y = 0, i = 0; y < height; y++, i += width)
        {
            rng.Fill(draws);
            // Table lookups and the discontinuity test first, in loops without branches (the cache misses of the
            // lookups overlap; the test is vectorised); the per-pixel loop then branches on rare events only.
            for (int x = 0; x < width; x++) gauss[x] = StandardNormal[(int)(draws[x] >> 48)];
            if (edge > 0) MarkJumps(metres, width, height, y, edge, jumps);
            for (int x = 0; x < width; x++)
            {
                double z = metres[i + x];
                if (z <= 0 || (uint)draws[x] < dropThreshold || (edge > 0 && jumps[x] != 0)) { mm[i + x] = 0; continue; }
                z += noise * z * z * gauss[x];
                double v = step == 1 ? Math.Round(z * 1000.0) : Math.Round(z * 1000.0 / step) * step; // same value; no division
                mm[i + x] = v >= 1 && v <= ushort.MaxValue ? (ushort)v : (ushort)0;
            }
        }
    }

    /// <summary>
    /// jumps[x] ≠ 0 where pixel (x, y) has a 4-neighbour with no depth or a depth differing by more than
    /// <paramref name="edge"/> metres; outside the image a neighbour counts as the pixel itself.
    /// </summary>
    private static void MarkJumps(ReadOnlySpan<float> metres, int width, int height, int y, double edge, Span<int> jumps)
    {
        int row = y * width;
        ReadOnlySpan<float> here = metres.Slice(row, width);
        ReadOnlySpan<float> up = y > 0 ? metres.Slice(row - width, width) : here;
        ReadOnlySpan<float> down = y < height - 1 ? metres.Slice(row + width, width) : here;
        // (double)d > edge ⇔ d > limit for floats d, with limit the largest float not above edge.
        float limit = (float)edge;
        if (limit > edge) limit = MathF.BitDecrement(limit);
        int x = 1, lanes = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var zero = Vector<float>.Zero;
            var max = new Vector<float>(limit);
            for (; x + lanes < width; x += lanes)
            {
                var a = new Vector<float>(here[x..]);
                var l = new Vector<float>(here[(x - 1)..]);
                var r = new Vector<float>(here[(x + 1)..]);
                var u = new Vector<float>(up[x..]);
                var d = new Vector<float>(down[x..]);
                Vector<int> bad = Vector.LessThanOrEqual(l, zero) | Vector.LessThanOrEqual(r, zero)
                    | Vector.LessThanOrEqual(u, zero) | Vector.LessThanOrEqual(d, zero)
                    | Vector.GreaterThan(Vector.Abs(a - l), max) | Vector.GreaterThan(Vector.Abs(a - r), max)
                    | Vector.GreaterThan(Vector.Abs(a - u), max) | Vector.GreaterThan(Vector.Abs(a - d), max);
                bad.CopyTo(jumps[x..]);
            }
        }
        for (; x < width - 1; x++) jumps[x] = Jump(here[x], here[x - 1], limit) | Jump(here[x], here[x + 1], limit) | Jump(here[x], up[x], limit) | Jump(here[x], down[x], limit) ? 1 : 0;
        // The image's left and right columns: the missing neighbour is the pixel itself.
        jumps[0] = Jump(here[0], width > 1 ? here[1] : here[0], limit) | Jump(here[0], up[0], limit) | Jump(here[0], down[0], limit) ? 1 : 0;
        int last = width - 1;
        if (last > 0) jumps[last] = Jump(here[last], here[last - 1], limit) | Jump(here[last], up[last], limit) | Jump(here[last], down[last], limit) ? 1 : 0;
    }

    private static bool Jump(float a, float b, float limit) => (b <= 0) | (Math.Abs(a - b) > limit);

    /// <summary>Dead pixels: always black, at the same positions in every sample of a dataset (a sensor property).</summary>
    public void ApplyDeadPixels(Span<byte> rgb, int width, int height, ulong seed)
    {
        int count = DeadPixelCount(width, height);
        var rng = RandomStream.For(seed, 0, "sensor.deadPixels");
        for (int k = 0; k < count; k++)
        {
            int p = (int)(rng.NextUInt64() % (ulong)(width * height)) * 3;
            rgb[p] = 0; rgb[p + 1] = 0; rgb[p + 2] = 0;
        }
    }

    private int DeadPixelCount(int width, int height) => (int)Math.Round(_spec.DeadPixels * width * height);

    // Quantiles of N(0, 1) at 65,536 equiprobable slots.
    private static readonly double[] StandardNormal = BuildStandardNormal();

    private static double[] BuildStandardNormal()
    {
        var t = new double[65536];
        for (int k = 0; k < t.Length; k++)
        {
            double u = (k + 0.5) / t.Length, lo = -6, hi = 6;
            for (int it = 0; it < 60; it++) { double mid = 0.5 * (lo + hi); if (NormalCdf(mid) < u) lo = mid; else hi = mid; }
            t[k] = 0.5 * (lo + hi);
        }
        return t;
    }

    /// <summary>Metres → uint16 millimetres (rounded; beyond 65.535 m or no hit → 0), then dropout.</summary>
    public void ToDepthMillimetres(ReadOnlySpan<float> metres, Span<ushort> mm, RandomStream rng) =>
        ToDepthMillimetres(metres, mm, rng, _spec.DepthDropout);

    private void ToDepthMillimetres(ReadOnlySpan<float> metres, Span<ushort> mm, RandomStream rng, double dropout)
    {
        uint dropThreshold = (uint)Math.Min(uint.MaxValue, Math.Round(dropout * 4294967296.0));
        for (int i = 0; i < metres.Length; i++)
        {
            double v = Math.Round(metres[i] * 1000.0);
            mm[i] = v >= 1 && v <= ushort.MaxValue ? (ushort)v : (ushort)0;
        }
        if (dropThreshold == 0) return;
        int p = 0;
        for (; p + 2 <= mm.Length; p += 2)
        {
            ulong r = rng.NextUInt64();
            if ((uint)r < dropThreshold) mm[p] = 0;
            if ((uint)(r >> 32) < dropThreshold) mm[p + 1] = 0;
        }
        if (p < mm.Length && (uint)rng.NextUInt64() < dropThreshold) mm[p] = 0;
    }

    private static byte AddClamped(byte value, sbyte noise)
    {
        int v = value + noise;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    /// <summary>
    /// Inverse-CDF table of round(N(0, σ)) over 65,536 equiprobable slots: exact to 2^-16 in probability,
    /// so tails rarer than that (|k| beyond ~4.3σ) are not produced.
    /// </summary>
    internal static sbyte[] BuildRoundedGaussianTable(double sigma)
    {
        var table = new sbyte[65536];
        if (sigma <= 0) return table;
        int k = -127;
        for (int slot = 0; slot < table.Length; slot++)
        {
            double u = (slot + 0.5) / table.Length;
            // Smallest k whose cumulative probability P(round(X) <= k) = Φ((k + 0.5)/σ) reaches u.
            while (k < 127 && NormalCdf((k + 0.5) / sigma) < u) k++;
            table[slot] = (sbyte)k;
        }
        return table;
    }

    internal static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>Complementary error function (Numerical Recipes' erfcc, relative error &lt; 1.2e-7).</summary>
    private static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
