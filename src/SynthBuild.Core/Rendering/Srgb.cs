namespace SynthBuild.Core.Rendering;

/// <summary>Linear → 8-bit sRGB through a 65536-entry table (within one code of the exact curve, usually equal).</summary>
internal static class Srgb
{
    private const int Steps = 65535;
    private static readonly byte[] Lut = BuildLut();

    public static byte Encode(double linear)
    {
        if (!(linear > 0)) return 0; // also maps NaN to black
        if (linear >= 1) return 255;
        return Lut[(int)(linear * Steps + 0.5)];
    }

    /// <summary>Exact sRGB transfer function, rounded.</summary>
    public static byte EncodeExact(double c)
    {
        c = Math.Clamp(c, 0, 1);
        double s = c <= 0.0031308 ? 12.92 * c : 1.055 * ScalarMath.Pow(c, 1 / 2.4) - 0.055;
        return (byte)Math.Floor(s * 255 + 0.5);
    }

    private static byte[] BuildLut()
    {
        var lut = new byte[Steps + 1];
        for (int i = 0; i <= Steps; i++) lut[i] = EncodeExact((double)i / Steps);
        return lut;
    }
}
