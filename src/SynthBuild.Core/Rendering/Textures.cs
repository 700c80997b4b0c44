using System.Runtime.CompilerServices;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Rendering;

/// <summary>
/// Procedural texture patterns evaluated per pixel from UV coordinates. Only +, ×, floor and integer hashing:
/// no libm calls, so the bits are the same on every machine and with SIMD on or off.
/// </summary>
public static class Textures
{
    /// <summary>The pattern's value in [0, 1] at (u, v) in metres.</summary>
    public static double Evaluate(in Texture t, double u, double v) => new TextureSampler(t).Sample(u, v);

    /// <summary>Smoothly interpolated lattice noise in [0, 1].</summary>
    public static double ValueNoise(double x, double y, int seed)
    {
        var cell = LatticeCell.Empty;
        return cell.Noise(x, y, seed);
    }

    /// <summary>
    /// Linear colour of an image texture at texture coordinates (s, t) in tiles (the image repeats every whole
    /// number), bilinear between texel centres with wrap-around; t grows upwards in the image.
    /// </summary>
    public static void SampleImage(ImageData image, double s, double t, out double r, out double g, out double b)
    {
        int w = image.Width, h = image.Height;
        double fu = (s - Math.Floor(s)) * w - 0.5, fv = (1 - (t - Math.Floor(t))) * h - 0.5;
        double flu = Math.Floor(fu), flv = Math.Floor(fv);
        double ax = fu - flu, ay = fv - flv;
        int x0 = (int)flu, y0 = (int)flv;
        if (x0 < 0) x0 += w;
        if (y0 < 0) y0 += h;
        if (x0 >= w) x0 -= w;
        if (y0 >= h) y0 -= h;
        int x1 = x0 + 1 == w ? 0 : x0 + 1, y1 = y0 + 1 == h ? 0 : y0 + 1;
        float[] lin = image.Linear;
        int i00 = (y0 * w + x0) * 3, i10 = (y0 * w + x1) * 3, i01 = (y1 * w + x0) * 3, i11 = (y1 * w + x1) * 3;
        double w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
        r = lin[i00] * w00 + lin[i10] * w10 + lin[i01] * w01 + lin[i11] * w11;
        g = lin[i00 + 1] * w00 + lin[i10 + 1] * w10 + lin[i01 + 1] * w01 + lin[i11 + 1] * w11;
        b = lin[i00 + 2] * w00 + lin[i10 + 2] * w10 + lin[i01 + 2] * w01 + lin[i11 + 2] * w11;
    }

    /// <summary>The four corner values of one lattice cell, kept while consecutive lookups stay in that cell.</summary>
    internal struct LatticeCell
    {
        private long _ix, _iy;
        private double _a, _b, _c, _d;
        private bool _valid;

        public static LatticeCell Empty => default;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public double Noise(double x, double y, int seed)
        {
            double fx = Math.Floor(x), fy = Math.Floor(y);
            long ix = (long)fx, iy = (long)fy;
            if (!_valid || ix != _ix || iy != _iy)
            {
                _a = Lattice(ix, iy, seed); _b = Lattice(ix + 1, iy, seed);
                _c = Lattice(ix, iy + 1, seed); _d = Lattice(ix + 1, iy + 1, seed);
                _ix = ix; _iy = iy; _valid = true;
            }
            double tx = x - fx, ty = y - fy;
            tx = tx * tx * (3 - 2 * tx);
            ty = ty * ty * (3 - 2 * ty);
            double top = _a + (_b - _a) * tx, bottom = _c + (_d - _c) * tx;
            return top + (bottom - top) * ty;
        }
    }

    internal static double Lattice(long x, long y, int seed)
    {
        ulong h = (ulong)x * 0x9E3779B97F4A7C15UL ^ (ulong)y * 0xC2B2AE3D27D4EB4FUL ^ (ulong)seed * 0x165667B19E3779F9UL;
        h ^= h >> 29; h *= 0xBF58476D1CE4E5B9UL; h ^= h >> 32;
        return (h >> 11) * (1.0 / (1UL << 53));
    }
}

/// <summary>
/// Evaluates one texture at a run of nearby points (a triangle's pixels or the background's, in scan order).
/// Neighbouring pixels mostly fall in the same noise lattice cell, so each noise octave keeps its cell's four
/// corner hashes instead of recomputing them per pixel; the values are exactly those of a fresh evaluation.
/// </summary>
internal struct TextureSampler(Texture texture)
{
    private Textures.LatticeCell _first, _second; // one per noise octave of the pattern

    public readonly Texture Texture => texture;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Sample(double u, double v)
    {
        double x = u * texture.Scale, y = v * texture.Scale;
        switch (texture.Pattern)
        {
            case TexturePattern.Checker:
                return ((long)Math.Floor(x) + (long)Math.Floor(y) & 1) == 0 ? 0 : 1;
            case TexturePattern.Stripes:
            {
                double f = x - Math.Floor(x);
                return f < 0.5 ? 0 : 1;
            }
            case TexturePattern.Noise:
                return 0.65 * _first.Noise(x, y, texture.Seed) + 0.35 * _second.Noise(2.03 * x, 2.03 * y, texture.Seed + 1);
            case TexturePattern.Wood:
            {
                // Grain along v: rings across u, bent by low-frequency noise, with a sharp dark late-wood band.
                double ring = x + 1.5 * _first.Noise(0.35 * x, 0.08 * y, texture.Seed);
                double f = ring - Math.Floor(ring);
                double band = f < 0.8 ? f / 0.8 : (1 - f) / 0.2;
                return 0.75 * band * band + 0.25 * _second.Noise(4 * x, 0.2 * y, texture.Seed + 7);
            }
            default:
                return 0;
        }
    }
}
