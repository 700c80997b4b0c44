using System.Diagnostics;

namespace SynthBuild.Core.Pipeline;

/// <summary>The steps of generating one sample, in the order a worker runs them. EncodeMasks covers the
/// segmentation and semantic PNGs and the optional normal map and point cloud.</summary>
public enum GenerationStage { Scene, Render, Labels, Sensor, ImageStats, EncodeRgb, EncodeDepth, EncodeMasks, Annotation, HashAndWrite }

/// <summary>
/// Thread time spent in each <see cref="GenerationStage"/>, summed over all workers of a build (pass one in
/// <see cref="BuildOptions.Timings"/>). Read by the benchmarks to show where a sample's time goes; reading the
/// clock costs ~20 ns, nothing next to a stage.
/// </summary>
public sealed class StageTimings
{
    private readonly long[] _ticks = new long[Enum.GetValues<GenerationStage>().Length];

    /// <summary>Adds the time since <paramref name="start"/> (a <see cref="Stopwatch.GetTimestamp"/>) to a stage and returns now.</summary>
    internal long Lap(GenerationStage stage, long start)
    {
        long now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref _ticks[(int)stage], now - start);
        return now;
    }

    public TimeSpan this[GenerationStage stage] => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks[(int)stage]));

    public TimeSpan Total
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _ticks.Length; i++) sum += Interlocked.Read(ref _ticks[i]);
            return Stopwatch.GetElapsedTime(0, sum);
        }
    }

    public void Reset()
    {
        for (int i = 0; i < _ticks.Length; i++) Interlocked.Exchange(ref _ticks[i], 0);
    }
}
