using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Assets;

/// <summary>Linear → 8-bit sRGB through a 65536-entry table (within one code of the exact curve, usually equal).</summary>
internal static class Srgb
{
    private const int Steps = 65535;
    private static readonly byte[] Lut = BuildLut();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Encode(double linear)
    {
        // NaN and everything ≤ 0 give code 0, everything ≥ 1 code 255 (the table's ends). Inside the range the CPU's
        // own conversion is exact, without the fix-ups C#'s saturating cast adds for out-of-range values.
        double v = linear * Steps + 0.5;
        int k = v > 0 ? (v < Steps ? double.ConvertToIntegerNative<int>(v) : Steps) : 0;
        return Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Lut), k);
    }

    /// <summary>Exact sRGB transfer function, rounded.</summary>
    public static byte EncodeExact(double c)
    {
        c = Math.Clamp(c, 0, 1);
        double s = c <= 0.0031308 ? 12.92 * c : 1.055 * ScalarMath.Pow(c, 1 / 2.4) - 0.055;
        return (byte)Math.Floor(s * 255 + 0.5);
    }

    private static readonly double[] DecodeLut = BuildDecodeLut();

    /// <summary>8-bit sRGB → linear.</summary>
    public static double Decode(byte value) => DecodeLut[value];

    /// <summary>Averages factor × factor blocks of 8-bit sRGB in linear light.</summary>
    public static void BoxDownsample(byte[] src, int srcWidth, byte[] dst, int width, int height, int factor)
    {
        double norm = 1.0 / (factor * factor);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double r = 0, g = 0, b = 0;
                for (int j = 0; j < factor; j++)
                {
                    int o = ((y * factor + j) * srcWidth + x * factor) * 3;
                    for (int i = 0; i < factor; i++, o += 3)
                    {
                        r += DecodeLut[src[o]]; g += DecodeLut[src[o + 1]]; b += DecodeLut[src[o + 2]];
                    }
                }
                int d = (y * width + x) * 3;
                dst[d] = Encode(r * norm); dst[d + 1] = Encode(g * norm); dst[d + 2] = Encode(b * norm);
            }
    }

    private static double[] BuildDecodeLut()
    {
        var lut = new double[256];
        for (int i = 0; i < 256; i++)
        {
            double s = i / 255.0;
            lut[i] = s <= 0.04045 ? s / 12.92 : ScalarMath.Pow((s + 0.055) / 1.055, 2.4);
        }
        return lut;
    }

    private static byte[] BuildLut()
    {
        var lut = new byte[Steps + 1];
        for (int i = 0; i <= Steps; i++) lut[i] = EncodeExact((double)i / Steps);
        return lut;
    }
}
