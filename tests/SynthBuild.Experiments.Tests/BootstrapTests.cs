using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SynthBuild.Evaluation;

namespace SynthBuild.Experiments.Tests;

/// <summary>The bootstrap of experiments: weighted re-evaluation and the intervals built on it.</summary>
public class BootstrapTests
{
    private static readonly CocoFixtureGenerator.Fixture Fixture = CocoFixtureGenerator.Generate(images: 40, seed: 7, categories: 3, detectionsPerImage: 6);
    private static readonly CocoGroundTruth Gt = CocoGroundTruth.Parse(Fixture.GroundTruthJson, "gt.json");

    /// <summary>The fixture's detections with every box shifted by <paramref name="shift"/> of its width for a share
    /// <paramref name="share"/> of them (a worse model), and scores nudged by <paramref name="jitter"/> (another seed).</summary>
    private static CocoEvaluator Model(double share, double shift, int jitter)
    {
        var dets = JsonNode.Parse(Fixture.DetectionsJson)!.AsArray();
        int i = 0;
        foreach (var d in dets)
        {
            var box = d!["bbox"]!.AsArray();
            if ((i * 0.618034) % 1 < share) box[0] = box[0]!.GetValue<double>() + shift * box[2]!.GetValue<double>();
            d["score"] = Math.Clamp(d["score"]!.GetValue<double>() + 0.01 * Math.Sin(i * 1.3 + jitter), 0, 1);
            i++;
        }
        var ev = new CocoEvaluator(Gt, CocoDetections.Parse(dets.ToJsonString(), "dt.json", Gt), IouType.Bbox);
        ev.Run();
        return ev;
    }

    [Fact]
    public void Unit_weights_give_the_evaluators_own_AP_and_zero_weights_drop_images()
    {
        var ev = new CocoEvaluator(Gt, CocoDetections.Parse(Fixture.DetectionsJson, "dt.json", Gt), IouType.Bbox);
        ev.Run();
        var (ap, ap50, _) = ev.WeightedAp(Enumerable.Repeat(1, ev.ImageIds.Length).ToArray());
        Assert.Equal(ev.Stats![0], ap, 12);
        Assert.Equal(ev.Stats[1], ap50, 12);

        // Weight 0 for every third image equals evaluating a ground truth without those images.
        var weights = ev.ImageIds.Select((_, i) => i % 3 == 0 ? 0 : 1).ToArray();
        var keep = ev.ImageIds.Where((_, i) => weights[i] == 1).ToHashSet();
        var gt = JsonNode.Parse(Fixture.GroundTruthJson)!.AsObject();
        var images = new JsonArray(gt["images"]!.AsArray().Where(im => keep.Contains(im!["id"]!.GetValue<long>())).Select(im => im!.DeepClone()).ToArray());
        var anns = new JsonArray(gt["annotations"]!.AsArray().Where(a => keep.Contains(a!["image_id"]!.GetValue<long>())).Select(a => a!.DeepClone()).ToArray());
        gt["images"] = images;
        gt["annotations"] = anns;
        var subGt = CocoGroundTruth.Parse(gt.ToJsonString(), "sub.json");
        var subDt = new JsonArray(JsonNode.Parse(Fixture.DetectionsJson)!.AsArray().Where(d => keep.Contains(d!["image_id"]!.GetValue<long>())).Select(d => d!.DeepClone()).ToArray());
        var sub = new CocoEvaluator(subGt, CocoDetections.Parse(subDt.ToJsonString(), "dt.json", subGt), IouType.Bbox);
        double[] stats = sub.Run();
        var (wap, wap50, _) = ev.WeightedAp(weights);
        Assert.Equal(stats[0], wap, 12);
        Assert.Equal(stats[1], wap50, 12);
        Assert.NotEqual(ap, wap);
    }

    private static (IReadOnlyList<VariantEstimate>, IReadOnlyList<PairedDifference>) Run(ulong seed)
    {
        var good = new[] { Model(0.05, 0.6, 0), Model(0.05, 0.6, 1) };
        var bad = new[] { Model(0.5, 0.6, 0), Model(0.5, 0.6, 1) };
        var points = new[] { good, bad }.Select(v => (IReadOnlyList<(double, double)>)v.Select(e => (e.Stats![0], e.Stats[1])).ToList()).ToList();
        return Bootstrap.Run(["good", "bad"], [good, bad], points, 300, seed);
    }

    [Fact]
    public void Intervals_are_deterministic_contain_the_means_and_the_paired_difference_is_the_difference_of_means()
    {
        var (variants, diffs) = Run(11);
        var (again, againDiffs) = Run(11);
        Assert.Equal(variants, again);
        Assert.Equal(diffs, againDiffs);
        var (other, _) = Run(12);
        Assert.NotEqual(variants[0].Ap.Low, other[0].Ap.Low); // the seed drives the resamples

        foreach (var v in variants)
        {
            Assert.InRange(v.Ap.Value, v.Ap.Low, v.Ap.High);
            Assert.InRange(v.Ap50.Value, v.Ap50.Low, v.Ap50.High);
            Assert.True(v.Ap.High > v.Ap.Low);
        }
        var d = Assert.Single(diffs);
        Assert.Equal(variants[0].Ap.Value - variants[1].Ap.Value, d.Ap.Value, 12);
        Assert.Equal(variants[0].Ap50.Value - variants[1].Ap50.Value, d.Ap50.Value, 12);
        Assert.InRange(d.Ap.Value, d.Ap.Low, d.Ap.High);
        Assert.True(d.Ap.Low > 0, $"the shifted boxes must lose clearly: {d.Ap}");
        Assert.Equal("good better", d.Verdict);
        Assert.Equal(variants[0].Ap.Value / variants[1].Ap.Value, d.ApRatio, 12);
    }

    [Fact]
    public void A_model_against_itself_is_no_significant_difference()
    {
        var a = new[] { Model(0.2, 0.6, 0), Model(0.2, 0.6, 1) };
        var points = (IReadOnlyList<(double, double)>)a.Select(e => (e.Stats![0], e.Stats[1])).ToList();
        var (_, diffs) = Bootstrap.Run(["a", "b"], [a, a], [points, points], 200, 3);
        var d = Assert.Single(diffs);
        Assert.Equal(0, d.Ap.Value);
        Assert.Equal(0, d.Ap.Low);
        Assert.Equal(0, d.Ap.High);
        Assert.Equal("no significant difference", d.Verdict);
    }

    [Fact]
    public void Percentile_interpolates_like_numpy()
    {
        double[] v = [5, 1, 4, 2, 3];
        Assert.Equal(1, Bootstrap.Percentile(v, 0));
        Assert.Equal(3, Bootstrap.Percentile(v, 0.5));
        Assert.Equal(4.6, Bootstrap.Percentile(v, 0.9), 12);
        Assert.Equal(5, Bootstrap.Percentile(v, 1));
    }
}
