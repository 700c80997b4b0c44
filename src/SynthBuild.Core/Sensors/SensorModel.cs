using SynthBuild.Core.Config;
using SynthBuild.Core.Randomness;

namespace SynthBuild.Core.Sensors;

/// <summary>
/// Turns the ideal render into what a sensor reports: gaussian read noise on RGB, depth in uint16 millimetres
/// with random dropout (0 = no measurement). Labels are never touched: they come from the ideal id buffer.
/// </summary>
public sealed class SensorModel
{
    private readonly SensorSpec _spec;
    private readonly sbyte[] _noiseTable;
    private readonly uint _dropoutThreshold;

    public SensorModel(SensorSpec spec)
    {
        _spec = spec;
        _noiseTable = BuildRoundedGaussianTable(spec.GaussianNoiseStd);
        _dropoutThreshold = (uint)Math.Min(uint.MaxValue, Math.Round(spec.DepthDropout * 4294967296.0));
    }

    /// <summary>Adds read noise to 8-bit RGB in place.</summary>
    public void ApplyRgbNoise(Span<byte> rgb, RandomStream rng)
    {
        if (_spec.GaussianNoiseStd <= 0) return;
        int i = 0;
        // Four 16-bit table lookups per 64-bit draw: noise is rounded to whole 8-bit levels anyway.
        for (; i + 4 <= rgb.Length; i += 4)
        {
            ulong r = rng.NextUInt64();
            rgb[i] = AddClamped(rgb[i], _noiseTable[(int)(r & 0xFFFF)]);
            rgb[i + 1] = AddClamped(rgb[i + 1], _noiseTable[(int)((r >> 16) & 0xFFFF)]);
            rgb[i + 2] = AddClamped(rgb[i + 2], _noiseTable[(int)((r >> 32) & 0xFFFF)]);
            rgb[i + 3] = AddClamped(rgb[i + 3], _noiseTable[(int)(r >> 48)]);
        }
        for (; i < rgb.Length; i++)
            rgb[i] = AddClamped(rgb[i], _noiseTable[(int)(rng.NextUInt64() & 0xFFFF)]);
    }

    /// <summary>Metres → uint16 millimetres (rounded; beyond 65.535 m or no hit → 0), then dropout.</summary>
    public void ToDepthMillimetres(ReadOnlySpan<float> metres, Span<ushort> mm, RandomStream rng)
    {
        for (int i = 0; i < metres.Length; i++)
        {
            double v = Math.Round(metres[i] * 1000.0);
            mm[i] = v >= 1 && v <= ushort.MaxValue ? (ushort)v : (ushort)0;
        }
        if (_dropoutThreshold == 0) return;
        int p = 0;
        for (; p + 2 <= mm.Length; p += 2)
        {
            ulong r = rng.NextUInt64();
            if ((uint)r < _dropoutThreshold) mm[p] = 0;
            if ((uint)(r >> 32) < _dropoutThreshold) mm[p + 1] = 0;
        }
        if (p < mm.Length && (uint)rng.NextUInt64() < _dropoutThreshold) mm[p] = 0;
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
