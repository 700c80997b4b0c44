using SynthBuild.Core.Geometry;
namespace SynthBuild.Core.Scene;

/// <summary>
/// The colour of a black-body light source in linear sRGB: the Planckian locus in CIE 1931 xy (Kim et al.'s cubic
/// approximation, 1667–25000 K), to XYZ at luminance Y = 1, to linear sRGB (D65 primaries). Negative channels (outside
/// the sRGB gamut, e.g. blue below ~1900 K) are clipped and the result rescaled to luminance 1, so the temperature
/// changes the light's colour and not its brightness.
/// </summary>
public static class ColorTemperature
{
    public const double MinKelvin = 1667, MaxKelvin = 25000;

    public static Vec3 ToLinearRgb(double kelvin)
    {
        double t = Math.Clamp(kelvin, MinKelvin, MaxKelvin);
        double t2 = t * t, t3 = t2 * t;
        double x = t <= 4000
            ? -0.2661239e9 / t3 - 0.2343589e6 / t2 + 0.8776956e3 / t + 0.179910
            : -3.0258469e9 / t3 + 2.1070379e6 / t2 + 0.2226347e3 / t + 0.240390;
        double x2 = x * x, x3 = x2 * x;
        double y = t <= 2222 ? -1.1063814 * x3 - 1.34811020 * x2 + 2.18555832 * x - 0.20219683
            : t <= 4000 ? -0.9549476 * x3 - 1.37418593 * x2 + 2.09137015 * x - 0.16748867
            : 3.0817580 * x3 - 5.87338670 * x2 + 3.75112997 * x - 0.37001483;
        double bigX = x / y, bigZ = (1 - x - y) / y;
        double r = Math.Max(0, 3.2404542 * bigX - 1.5371385 - 0.4985314 * bigZ);
        double g = Math.Max(0, -0.9692660 * bigX + 1.8760108 + 0.0415560 * bigZ);
        double b = Math.Max(0, 0.0556434 * bigX - 0.2040259 + 1.0572252 * bigZ);
        double luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        return new Vec3(r, g, b) / luminance;
    }
}
