using SynthBuild.Core.Diagnostics;
using SynthBuild.TestSupport;

namespace SynthBuild.Models.Probe.Tests;

public class ProbeDetectorTests
{
    private static readonly Lazy<string> Tiny = new(() => SmallDataset.TempDirWith(SmallDataset.Spec(samples: 16, seed: 3)));
    private static readonly ProbeOptions Quick = new() { InputWidth = 64, InputHeight = 48, Epochs = 3, BatchSize = 4, Threads = 1, Seed = 5 };

    [Fact]
    public void Same_seed_and_threads_give_identical_curves_and_metrics_and_the_loss_falls()
    {
        var a = ProbeDetector.Run(Tiny.Value, Quick);
        var b = ProbeDetector.Run(Tiny.Value, Quick);
        Assert.Equal(3, a.Curve.Count);
        Assert.Equal(a.Curve.Select(e => e.Loss), b.Curve.Select(e => e.Loss));
        Assert.Equal(a.Metrics.Select(m => m.Split), b.Metrics.Select(m => m.Split));
        for (int i = 0; i < a.Metrics.Count; i++)
        {
            Assert.Equal(a.Metrics[i].Stats, b.Metrics[i].Stats);
            Assert.Equal(a.Metrics[i].Detections, b.Metrics[i].Detections);
        }
        Assert.True(a.Curve[^1].Loss < a.Curve[0].Loss, $"loss {a.Curve[0].Loss} -> {a.Curve[^1].Loss}");
        Assert.InRange(a.Parameters, 250_000, 400_000);
        Assert.NotEmpty(a.Metrics); // 16 samples: the val split may be empty, test is not
        Assert.All(a.Metrics, m => Assert.Equal(12, m.Stats.Length));

        // A different seed trains different weights (the seed is really used).
        var c = ProbeDetector.Run(Tiny.Value, Quick with { Seed = 6 });
        Assert.NotEqual(a.Curve[0].Loss, c.Curve[0].Loss);

        var json = System.Text.Json.JsonDocument.Parse(a.ToJson()).RootElement;
        Assert.Equal(3, json.GetProperty("training").GetProperty("curve").GetArrayLength());
        Assert.Equal(a.Metrics[0].AP50, json.GetProperty("metrics").GetProperty(a.Metrics[0].Split).GetProperty("stats").GetProperty("AP50").GetDouble());
    }

    [Fact]
    public void Probes_started_at_once_in_one_process_keep_their_seeds()
    {
        // libtorch's generator is process-wide: without turn-taking, two runs interleave their draws.
        var one = Quick with { Epochs = 1 };
        var alone = ProbeDetector.Run(Tiny.Value, one);
        var runs = Enumerable.Range(0, 3).Select(i => Task.Run(() => ProbeDetector.Run(Tiny.Value, one with { Seed = 5 + (ulong)(i % 2) }))).ToArray();
        Task.WaitAll(runs);
        Assert.Equal(alone.Curve[0].Loss, runs[0].Result.Curve[0].Loss);
        Assert.Equal(alone.Curve[0].Loss, runs[2].Result.Curve[0].Loss);
        Assert.NotEqual(alone.Curve[0].Loss, runs[1].Result.Curve[0].Loss);
    }

    [Theory]
    [InlineData(60, 48, 3, 4)]
    [InlineData(64, 48, 0, 4)]
    [InlineData(64, 48, 3, 0)]
    public void Bad_settings_are_SYN8104(int w, int h, int epochs, int batch)
    {
        var ex = Assert.Throws<DiagnosticException>(() => ProbeDetector.Run(Tiny.Value, Quick with { InputWidth = w, InputHeight = h, Epochs = epochs, BatchSize = batch }));
        Assert.Equal(SynCodes.ProbeOptionInvalid, ex.Diagnostic.Code);
    }

    [Fact]
    public void A_folder_that_is_no_dataset_is_SYN8103()
    {
        var ex = Assert.Throws<DiagnosticException>(() => ProbeDetector.Run(SmallDataset.TempDir(), Quick));
        Assert.Equal(SynCodes.ProbeDatasetInvalid, ex.Diagnostic.Code);
    }
}
