using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Tests.Rendering;

public class ScalarMathTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(1 / 2.4)]
    [InlineData(13.4)]
    [InlineData(2048.0)]
    public void Pow_matches_Math_Pow(double s)
    {
        for (int i = 1; i <= 20000; i++)
        {
            double x = i / 20000.0;
            double expected = Math.Pow(x, s);
            if (expected < 1e-300) continue;
            Assert.InRange(ScalarMath.Pow(x, s), expected * (1 - 1e-11), expected * (1 + 1e-11));
        }
        Assert.Equal(0, ScalarMath.Pow(0, s));
    }

    [Fact]
    public void Srgb_lookup_matches_the_transfer_function_within_one_code()
    {
        for (int i = 0; i <= 100000; i++)
        {
            double c = i / 100000.0;
            Assert.InRange(Srgb.Encode(c), Srgb.EncodeExact(c) - 1, Srgb.EncodeExact(c) + 1);
        }
        Assert.Equal(0, Srgb.Encode(double.NaN));
        Assert.Equal(255, Srgb.Encode(7.0));
        // Out of range and extreme values clamp (the table index is clamped after a saturating conversion).
        foreach (double below in new[] { 0.0, -1e-12, -0.5, -1e300, double.NegativeInfinity }) Assert.Equal(0, Srgb.Encode(below));
        foreach (double above in new[] { 1.0, 1 + 1e-12, 1e300, double.PositiveInfinity }) Assert.Equal(255, Srgb.Encode(above));
        Assert.Equal(188, Srgb.EncodeExact(0.5)); // 1.055·0.5^(1/2.4) − 0.055 = 0.7354 → 187.5 rounds up
    }
}
