using SynthBuild.Core.Config;
using SynthBuild.Core.Randomness;
using SynthBuild.Core.Sensors;

namespace SynthBuild.Core.Tests.Sensors;

/// <summary>The sensor reads the ideal render and writes what it reports into buffers of its own.</summary>
public class SensorCaptureTests
{
    private const int W = 64, H = 48;

    private static byte[] Ideal()
    {
        var rgb = new byte[W * H * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 7 % 256);
        return rgb;
    }

    [Fact]
    public void Rgb_is_the_ideal_image_with_read_noise_then_dead_pixels_and_the_ideal_image_is_not_changed()
    {
        var sensor = new SensorModel(new SensorSpec(GaussianNoiseStd: 6, DepthDropout: 0, DeadPixels: 0.01));
        byte[] ideal = Ideal(), untouched = Ideal();
        var expected = Ideal();
        sensor.ApplyRgbNoise(expected, RandomStream.For(9, 4, "sensor.rgb"));
        sensor.ApplyDeadPixels(expected, W, H, 9);
        var output = new byte[ideal.Length];

        ReadOnlySpan<byte> captured = sensor.CaptureRgb(ideal, W, H, seed: 9, index: 4, output);

        Assert.True(captured.Overlaps(output));
        Assert.Equal(expected, output);
        Assert.Equal(untouched, ideal);
    }

    [Fact]
    public void Dead_pixels_alone_are_applied_to_a_copy()
    {
        var sensor = new SensorModel(new SensorSpec(GaussianNoiseStd: 0, DepthDropout: 0, DeadPixels: 0.02));
        byte[] ideal = Ideal();
        var expected = Ideal();
        sensor.ApplyDeadPixels(expected, W, H, 3);
        var output = new byte[ideal.Length];

        Assert.Equal(expected, sensor.CaptureRgb(ideal, W, H, 3, 0, output).ToArray());
        Assert.Equal(Ideal(), ideal);
        Assert.NotEqual(ideal, output);
    }

    [Fact]
    public void A_sensor_that_adds_nothing_reports_the_ideal_image_itself()
    {
        var sensor = new SensorModel(new SensorSpec(GaussianNoiseStd: 0, DepthDropout: 0.5, DeadPixels: 0));
        byte[] ideal = Ideal();
        var output = new byte[ideal.Length];
        ReadOnlySpan<byte> captured = sensor.CaptureRgb(ideal, W, H, 1, 2, output);
        Assert.True(captured.Overlaps(ideal) && captured.Length == ideal.Length, "no copy");
        Assert.All(output, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Depth_is_written_into_the_callers_buffer_from_the_samples_depth_stream()
    {
        var sensor = new SensorModel(new SensorSpec(0, 0.1, DepthNoise: 0.002, DepthEdgeThreshold: 0.05));
        var metres = new float[W * H];
        for (int i = 0; i < metres.Length; i++) metres[i] = 0.5f + (i % W) * 0.01f;
        var expected = new ushort[metres.Length];
        sensor.ToDepth(metres, expected, W, RandomStream.For(5, 8, "sensor.depth"), 0.1);
        var actual = new ushort[metres.Length];
        sensor.CaptureDepth(metres, W, seed: 5, index: 8, dropout: 0.1, actual);
        Assert.Equal(expected, actual);
        Assert.Contains(actual, v => v == 0);
    }
}
