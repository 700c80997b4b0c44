using SynthBuild.Core.Randomness;
using SynthBuild.Evaluation;

namespace SynthBuild.Experiments;

/// <summary>A point estimate with a percentile confidence interval.</summary>
public sealed record Estimate(double Value, double Low, double High)
{
    public bool ExcludesZero => Low > 0 || High < 0;
}

/// <summary>One variant's figures: mean over seeds, with intervals over target images and seeds.</summary>
public sealed record VariantEstimate(string Variant, Estimate Ap, Estimate Ap50);

/// <summary>A − B on the same resamples (paired), and what it says.</summary>
public sealed record PairedDifference(string A, string B, Estimate Ap, Estimate Ap50, double ApRatio)
{
    /// <summary>From the AP difference's interval: "A better", "B better" or "no significant difference".</summary>
    public string Verdict => Ap.Low > 0 ? $"{A} better" : Ap.High < 0 ? $"{B} better" : "no significant difference";
}

/// <summary>
/// The two-level bootstrap of an experiment: each resample draws the target's images with replacement (every model is
/// re-scored on the same resample, <see cref="CocoEvaluator.WeightedAp"/>) and the seeds with replacement (by seed
/// index, the same draw for every variant, so that models trained with the same seed stay paired). A variant's value
/// on a resample is the mean over the drawn seeds; a difference is taken resample by resample. Intervals are the
/// 2.5 and 97.5 percentiles. Deterministic: the draws come from <see cref="RandomStream"/> (seed, resample).
/// </summary>
public static class Bootstrap
{
    /// <param name="models">models[v][s]: variant v's model of seed index s, evaluated (Evaluate called) on one target;
    /// every evaluator must list the same images in the same order.</param>
    /// <param name="points">points[v][s] = (AP, AP50) of the model on the whole target (pycocotools' figures).</param>
    public static (IReadOnlyList<VariantEstimate> Variants, IReadOnlyList<PairedDifference> Differences) Run(
        IReadOnlyList<string> names, IReadOnlyList<IReadOnlyList<CocoEvaluator>> models, IReadOnlyList<IReadOnlyList<(double Ap, double Ap50)>> points,
        int resamples, ulong seed, double level = 0.95)
    {
        int V = names.Count, K = models[0].Count, I = models[0][0].ImageIds.Length;
        // ap[v][b], ap50[v][b]: the variant's mean over the resample's seeds.
        var ap = new double[V][];
        var ap50 = new double[V][];
        for (int v = 0; v < V; v++) { ap[v] = new double[resamples]; ap50[v] = new double[resamples]; }
        Parallel.For(0, resamples, b =>
        {
            var rng = RandomStream.For(seed, b, "experiment-bootstrap");
            var weights = new int[I];
            for (int i = 0; i < I; i++) weights[rng.NextInt(0, I - 1)]++;
            var seedCounts = new int[K];
            for (int k = 0; k < K; k++) seedCounts[rng.NextInt(0, K - 1)]++;
            for (int v = 0; v < V; v++)
            {
                double sum = 0, sum50 = 0;
                for (int k = 0; k < K; k++)
                {
                    if (seedCounts[k] == 0) continue;
                    var (a, a50, _) = models[v][k].WeightedAp(weights);
                    sum += seedCounts[k] * Math.Max(0, a);
                    sum50 += seedCounts[k] * Math.Max(0, a50);
                }
                ap[v][b] = sum / K;
                ap50[v][b] = sum50 / K;
            }
        });

        double alpha = (1 - level) / 2;
        Estimate Est(double point, double[] samples) => new(point, Percentile(samples, alpha), Percentile(samples, 1 - alpha));
        var means = points.Select(p => (Ap: p.Average(x => x.Ap), Ap50: p.Average(x => x.Ap50))).ToArray();
        var variants = Enumerable.Range(0, V).Select(v => new VariantEstimate(names[v], Est(means[v].Ap, ap[v]), Est(means[v].Ap50, ap50[v]))).ToList();
        var diffs = new List<PairedDifference>();
        for (int a = 0; a < V; a++)
            for (int bv = a + 1; bv < V; bv++)
            {
                var d = new double[resamples];
                var d50 = new double[resamples];
                for (int r = 0; r < resamples; r++) { d[r] = ap[a][r] - ap[bv][r]; d50[r] = ap50[a][r] - ap50[bv][r]; }
                diffs.Add(new PairedDifference(names[a], names[bv], Est(means[a].Ap - means[bv].Ap, d), Est(means[a].Ap50 - means[bv].Ap50, d50),
                    means[bv].Ap > 0 ? means[a].Ap / means[bv].Ap : double.NaN));
            }
        return (variants, diffs);
    }

    /// <summary>numpy's default (linear) percentile of the values at quantile q in [0, 1].</summary>
    public static double Percentile(double[] values, double q)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
