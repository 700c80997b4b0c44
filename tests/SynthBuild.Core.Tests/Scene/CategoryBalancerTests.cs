using SynthBuild.TestSupport;
using SynthBuild.Core.Config;
using SynthBuild.Core.Scene;

namespace SynthBuild.Core.Tests.Scene;

public class CategoryBalancerTests
{
    [Fact]
    public void Every_full_block_uses_each_category_once_per_slot()
    {
        var balancer = new CategoryBalancer(seed: 99, categoryCount: 5);
        for (long block = 0; block < 40; block++)
            for (int slot = 0; slot < 8; slot++)
            {
                var seen = Enumerable.Range(0, 5).Select(r => balancer.CategoryFor(block * 5 + r, slot)).Order().ToArray();
                Assert.Equal([0, 1, 2, 3, 4], seen);
            }
        // A function of (seed, index, slot) only: a fresh instance, asked in another order, agrees.
        var again = new CategoryBalancer(99, 5);
        for (long i = 199; i >= 0; i--) Assert.Equal(balancer.CategoryFor(i, 3), again.CategoryFor(i, 3));
        // The permutation is seeded: blocks do not all share one order.
        Assert.True(Enumerable.Range(0, 40).Select(b => balancer.CategoryFor(b * 5L, 0)).Distinct().Count() > 1);
    }

    /// <summary>The balanced exercise's own config, sampled at the scene level over all 5,000 samples: the class
    /// counts of placed objects stay well within the 10% its class-balance gate allows.</summary>
    [Fact]
    public void The_balanced_exercise_is_within_tolerance_by_construction()
    {
        string config = Path.Combine(TestPaths.RepoRoot, "datasets", "balanced", "synth.json");
        var loaded = ConfigLoader.Load(config, new ConfigOverrides());
        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Diagnostics));
        DatasetSpec spec = loaded.Spec!;
        Assert.Equal((5000, CategoryBalance.Balanced), (spec.Samples, spec.CategoryBalance));

        long[] Counts(DatasetSpec s)
        {
            var sampler = SmallDataset.Sampler(s);
            var counts = new long[s.Categories.Count + 1];
            var perSample = new int[s.Samples][];
            Parallel.For(0, s.Samples, i => perSample[i] = sampler.Sample(i).Objects.Select(o => o.CategoryId).ToArray());
            foreach (int[] ids in perSample) foreach (int id in ids) counts[id]++;
            return counts[1..];
        }

        long[] balanced = Counts(spec);
        double ratio = (double)balanced.Max() / balanced.Min();
        Assert.True(ratio <= 1.03, $"balanced counts {string.Join(", ", balanced)}: ratio {ratio}");

        // The same config drawing by weight is measurably less even: the test can tell the modes apart.
        long[] weighted = Counts(spec with { CategoryBalance = CategoryBalance.Weighted });
        double weightedRatio = (double)weighted.Max() / weighted.Min();
        Assert.True(weightedRatio > ratio, $"weighted {string.Join(", ", weighted)} ({weightedRatio}) vs balanced ({ratio})");
    }

    [Fact]
    public void Balanced_mode_changes_the_fingerprint_and_weighted_keeps_it()
    {
        var weighted = SmallDataset.Spec();
        Assert.DoesNotContain("categoryBalance", SpecFingerprint.CanonicalJson(weighted));
        Assert.Contains("\"categoryBalance\":\"balanced\"", SpecFingerprint.CanonicalJson(weighted with { CategoryBalance = CategoryBalance.Balanced }));
        var parsed = ConfigLoader.Parse("""{ "categoryBalance": "balanced" }""", "b.json");
        Assert.Equal(CategoryBalance.Balanced, parsed.Spec!.CategoryBalance);
        var bad = ConfigLoader.Parse("""{ "categoryBalance": "even" }""", "b.json");
        Assert.False(bad.Succeeded);
    }
}
