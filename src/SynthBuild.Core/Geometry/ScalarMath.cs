namespace SynthBuild.Core.Geometry;

/// <summary>
/// Plain-arithmetic replacements for libm calls on the per-pixel path. Math.Pow costs ~45 ns per call here and its
/// last bits depend on the C runtime; these are a few multiplies each and give the same bits everywhere.
/// </summary>
internal static class ScalarMath
{
    private const double Ln2 = 0.69314718055994530942;
    private const double Sqrt2 = 1.41421356237309504880;

    /// <summary>x^y for x &gt; 0 and y ≥ 0 (relative error ~1e-14). Returns 0 for x ≤ 0.</summary>
    public static double Pow(double x, double y)
    {
        if (!(x > 0)) return 0;
        return Exp(y * Log(x));
    }

    /// <summary>Natural logarithm for finite x &gt; 0.</summary>
    public static double Log(double x)
    {
        long bits = BitConverter.DoubleToInt64Bits(x);
        int e = (int)((bits >> 52) & 0x7FF);
        if (e == 0) return Log(x * 4503599627370496.0) - 52 * Ln2; // subnormal: scale by 2^52
        e -= 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L); // [1, 2)
        if (m > Sqrt2) { m *= 0.5; e++; }
        // ln m = 2 atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.172
        double t = (m - 1) / (m + 1), t2 = t * t;
        double p = 1.0 / 17;
        p = p * t2 + 1.0 / 15; p = p * t2 + 1.0 / 13; p = p * t2 + 1.0 / 11; p = p * t2 + 1.0 / 9;
        p = p * t2 + 1.0 / 7; p = p * t2 + 1.0 / 5; p = p * t2 + 1.0 / 3; p = p * t2 + 1;
        return e * Ln2 + 2 * t * p;
    }

    /// <summary>e^y; 0 below −708, +∞ above 709.</summary>
    public static double Exp(double y)
    {
        if (y < -708) return 0;
        if (y > 709) return double.PositiveInfinity;
        double k = Math.Floor(y / Ln2 + 0.5);
        double r = y - k * Ln2; // |r| ≤ ln2/2
        double p = 1.0 / 479001600; // Taylor to r^12
        p = p * r + 1.0 / 39916800; p = p * r + 1.0 / 3628800; p = p * r + 1.0 / 362880; p = p * r + 1.0 / 40320;
        p = p * r + 1.0 / 5040; p = p * r + 1.0 / 720; p = p * r + 1.0 / 120; p = p * r + 1.0 / 24;
        p = p * r + 1.0 / 6; p = p * r + 0.5; p = p * r + 1; p = p * r + 1;
        int ki = (int)k;
        if (ki < -1022) { p *= 2.2250738585072014e-308; ki += 1022; } // 2^-1022, keeps the exponent normal
        return p * BitConverter.Int64BitsToDouble((long)(ki + 1023) << 52);
    }
}
