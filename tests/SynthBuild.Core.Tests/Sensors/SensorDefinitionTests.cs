using SynthBuild.Core.Config;
using SynthBuild.Core.Randomness;
using SynthBuild.Core.Sensors;

namespace SynthBuild.Core.Tests.Sensors;

/// <summary>
/// The sensor model draws its random numbers in blocks and vectorises what it can; these tests hold it to the plain
/// per-pixel definition (one draw per pixel or per four RGB bytes, in order), written out here without any of that.
/// </summary>
public class SensorDefinitionTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(37)]
    [InlineData(1000)]
    public void Fill_gives_the_same_numbers_as_successive_draws_and_leaves_the_stream_where_they_would(int count)
    {
        var filled = RandomStream.For(3, 9, "fill");
        var drawn = filled;
        var block = new ulong[count];
        filled.Fill(block);
        for (int i = 0; i < count; i++) Assert.Equal(drawn.NextUInt64(), block[i]);
        Assert.Equal(drawn.NextUInt64(), filled.NextUInt64());
    }

    [Theory]
    [InlineData(640 * 480 * 3)] // whole noise blocks
    [InlineData(4097 * 3)]      // a partial block and a length that is not a multiple of four
    [InlineData(5)]
    public void Rgb_noise_is_one_draw_per_four_bytes_added_with_clamping(int length)
    {
        var sensor = new SensorModel(new SensorSpec(GaussianNoiseStd: 40, DepthDropout: 0));
        sbyte[] table = SensorModel.BuildRoundedGaussianTable(40);
        var pixels = new byte[length];
        var fill = new Random(5);
        for (int i = 0; i < length; i++) pixels[i] = ((length < 997 ? i : i / 997) % 3) switch { 0 => 0, 1 => 255, _ => (byte)fill.Next(256) };

        var expected = (byte[])pixels.Clone();
        var rng = RandomStream.For(1, 2, "sensor.rgb");
        int whole = length & ~3;
        for (int i = 0; i < whole; i += 4)
        {
            ulong r = rng.NextUInt64();
            for (int k = 0; k < 4; k++) expected[i + k] = Clamp(expected[i + k] + table[(int)((r >> (16 * k)) & 0xFFFF)]);
        }
        for (int i = whole; i < length; i++) expected[i] = Clamp(expected[i] + table[(int)(rng.NextUInt64() & 0xFFFF)]);

        sensor.ApplyRgbNoise(pixels, RandomStream.For(1, 2, "sensor.rgb"));
        Assert.Equal(expected, pixels);
        Assert.Contains(expected, v => v == 0);   // clamping was exercised at both ends
        Assert.Contains(expected, v => v == 255);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(5.0)]
    public void Depth_is_one_draw_per_pixel_with_dropout_edges_noise_and_quantization(double step)
    {
        const int width = 97, height = 61;
        const double dropout = 0.05, edge = 0.05, noise = 0.01;
        var spec = new SensorSpec(0, dropout, DepthNoise: noise, DepthQuantization: step, DepthEdgeThreshold: edge);
        var metres = new float[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                // A slanted floor, a nearer block (depth discontinuities), a hole with no hit, and a band raised by
                // about the edge threshold itself (float differences on either side of 0.05 m).
                metres[y * width + x] = x is > 60 and < 70 && y is > 20 and < 30 ? 0f
                    : x is > 20 and < 45 && y is > 10 and < 50 ? 0.6f
                    : x is >= 80 and < 86 ? 1.2f + 0.004f * y + (0.05f + 1e-7f * (y % 3 - 1)) : 1.2f + 0.004f * y;

        var expected = new ushort[metres.Length];
        var rng = RandomStream.For(4, 4, "sensor.depth");
        uint threshold = (uint)Math.Round(dropout * 4294967296.0);
        double[] normal = NormalQuantiles();
        for (int y = 0, i = 0; y < height; y++)
            for (int x = 0; x < width; x++, i++)
            {
                ulong r = rng.NextUInt64();
                float z = metres[i];
                bool Jump(int j) => metres[j] <= 0 || Math.Abs(z - metres[j]) > edge;
                if (z <= 0 || (uint)r < threshold) continue;
                if ((x > 0 && Jump(i - 1)) || (x < width - 1 && Jump(i + 1)) || (y > 0 && Jump(i - width)) || (y < height - 1 && Jump(i + width))) continue;
                double noisy = z + noise * z * z * normal[(int)(r >> 48)];
                double v = Math.Round(noisy * 1000.0 / step) * step;
                expected[i] = v >= 1 && v <= ushort.MaxValue ? (ushort)v : (ushort)0;
            }

        var actual = new ushort[metres.Length];
        new SensorModel(spec).ToDepth(metres, actual, width, RandomStream.For(4, 4, "sensor.depth"), dropout);
        Assert.Equal(expected, actual);
        Assert.Contains(expected, v => v == 0);
        Assert.True(expected.Count(v => v != 0) > metres.Length / 2);
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);

    /// <summary>The sensor's N(0, 1) quantile table at 65,536 equiprobable slots, rebuilt from its definition.</summary>
    private static double[] NormalQuantiles()
    {
        var t = new double[65536];
        for (int k = 0; k < t.Length; k++)
        {
            double u = (k + 0.5) / t.Length, lo = -6, hi = 6;
            for (int it = 0; it < 60; it++) { double mid = 0.5 * (lo + hi); if (SensorModel.NormalCdf(mid) < u) lo = mid; else hi = mid; }
            t[k] = 0.5 * (lo + hi);
        }
        return t;
    }
}
