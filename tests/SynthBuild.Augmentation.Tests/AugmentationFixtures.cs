using SynthBuild.TestSupport;
using SynthBuild.Core.Config;
using SynthBuild.Core.Labels;

namespace SynthBuild.Augmentation.Tests;

/// <summary>Synthetic samples with known content, and labels derived independently of the pipeline.</summary>
internal static class AugmentationFixtures
{
    public const ushort SentinelDepth = RectangleSample.SentinelDepth;
    public static readonly byte[] SentinelColor = RectangleSample.SentinelColor;

    /// <summary><see cref="RectangleSample.Make"/> as the augmentation pipeline's input.</summary>
    public static (SampleImages Images, SampleAnnotation Annotation, int SentinelId) Sample(int seed, int w = 96, int h = 72)
    {
        var s = RectangleSample.Make(seed, w, h);
        return (new SampleImages(s.Width, s.Height, s.Rgb, s.Depth, s.Ids), s.Annotation, s.SentinelId);
    }

    public static Dictionary<int, (double[] Box, int Area)> LabelsFromMask(ushort[] ids, int w, int h) => RectangleSample.LabelsFromMask(ids, w, h);

    public static AugmentationSpec Spec(string pipelineJson, double minVisibility = 0, bool dropBelow = true, int w = 96, int h = 72)
    {
        string json = $$"""
            { "image": { "width": {{w}}, "height": {{h}} },
              "augmentation": { "minVisibility": {{minVisibility.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "dropBelow": {{(dropBelow ? "true" : "false")}},
                "pipeline": [ {{pipelineJson}} ] } }
            """;
        var r = ConfigLoader.Parse(json, "aug.json");
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return AugmentationConfig.Bind(r.Spec!)!;
    }
}
