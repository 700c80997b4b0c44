using System.Text.Json;
using System.Text.Json.Nodes;

namespace SynthBuild.Evaluation.Tests;

/// <summary>The bootstrap's fast path (slices, experiments): AP and AP50 of a multiset of images from one evaluation's
/// per-image matches equal evaluating a ground truth built from those images (repeats as copies with their own ids).</summary>
public sealed class WeightedApTests
{
    [Theory]
    [InlineData(1, 40)]
    [InlineData(2, 25)]
    [InlineData(3, 60)]
    public void Equals_evaluating_the_resampled_ground_truth(int seed, int images)
    {
        var f = CocoFixtureGenerator.Generate(images, seed, categories: 4, detectionsPerImage: 6);
        var gt = CocoGroundTruth.Parse(f.GroundTruthJson, "gt.json");
        var dt = CocoDetections.Parse(f.DetectionsJson, "dt.json", gt);
        var ev = new CocoEvaluator(gt, dt, IouType.Bbox);
        ev.Evaluate();
        var rng = new Random(seed);
        for (int trial = 0; trial < 5; trial++)
        {
            // A resample is a multiset; its copies are laid out in image order, as the fast path counts them (the
            // order only matters between exactly tied scores, which the fixture's rounded scores have).
            int[] chosen = Enumerable.Range(0, images).Select(_ => rng.Next(images)).Order().ToArray();
            var (rgt, rdt) = Resampled(f, ev.ImageIds, chosen);
            var directEv = new CocoEvaluator(rgt, rdt, IouType.Bbox);
            double[] direct = directEv.Run();
            var (ap, ap50, recall) = ev.WeightedAp(Weights(chosen, images));
            Assert.Equal(direct[0], ap);
            Assert.Equal(direct[1], ap50);
            Assert.Equal(directEv.PooledRecall50(), recall, 12);
        }
        // The identity resample is the whole evaluation's AP and AP50, bit for bit.
        ev.Accumulate();
        var stats = ev.Summarize();
        Assert.Equal((stats[0], stats[1], ev.PooledRecall50()), ev.WeightedAp(Enumerable.Repeat(1, images).ToArray()));
    }

    [Fact]
    public void Ignored_ground_truth_is_honoured()
    {
        var f = CocoFixtureGenerator.Generate(30, 5, categories: 3, detectionsPerImage: 5);
        var gt = CocoGroundTruth.Parse(f.GroundTruthJson, "gt.json");
        var dt = CocoDetections.Parse(f.DetectionsJson, "dt.json", gt);
        var ev = new CocoEvaluator(gt, dt, IouType.Bbox) { IgnoreGroundTruth = g => g.Id % 3 == 0 };
        var stats = ev.Run();
        Assert.Equal((stats[0], stats[1], ev.PooledRecall50()), ev.WeightedAp(Enumerable.Repeat(1, ev.ImageIds.Length).ToArray()));
        // Ignoring changes the figure (the predicate is used).
        Assert.NotEqual(new CocoEvaluator(gt, dt, IouType.Bbox).Run()[1], stats[1]);
    }

    private static int[] Weights(int[] chosen, int images)
    {
        var w = new int[images];
        foreach (int i in chosen) w[i]++;
        return w;
    }

    private static (CocoGroundTruth, CocoDetections) Resampled(CocoFixtureGenerator.Fixture f, long[] imageIds, int[] chosen)
    {
        var g = JsonNode.Parse(f.GroundTruthJson)!.AsObject();
        var imagesById = g["images"]!.AsArray().ToDictionary(i => i!["id"]!.GetValue<long>(), i => i!);
        var anns = g["annotations"]!.AsArray().GroupBy(a => a!["image_id"]!.GetValue<long>()).ToDictionary(x => x.Key, x => x.ToList());
        var dets = JsonNode.Parse(f.DetectionsJson)!.AsArray().GroupBy(d => d!["image_id"]!.GetValue<long>()).ToDictionary(x => x.Key, x => x.ToList());
        var outImages = new JsonArray();
        var outAnns = new JsonArray();
        var outDets = new JsonArray();
        long nextAnn = 1;
        for (int j = 0; j < chosen.Length; j++)
        {
            long src = imageIds[chosen[j]], id = j + 1;
            var im = imagesById[src].DeepClone();
            im["id"] = id;
            outImages.Add(im);
            foreach (var a in anns.GetValueOrDefault(src) ?? [])
            {
                var c = a!.DeepClone();
                c["id"] = nextAnn++;
                c["image_id"] = id;
                outAnns.Add(c);
            }
            foreach (var d in dets.GetValueOrDefault(src) ?? [])
            {
                var c = d!.DeepClone();
                c["image_id"] = id;
                outDets.Add(c);
            }
        }
        g["images"] = outImages;
        g["annotations"] = outAnns;
        var rgt = CocoGroundTruth.Parse(g.ToJsonString(), "resampled.json");
        return (rgt, CocoDetections.Parse(outDets.ToJsonString(), "resampled-dt.json", rgt));
    }
}
