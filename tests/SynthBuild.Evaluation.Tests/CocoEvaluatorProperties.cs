using FsCheck;
using FsCheck.Xunit;

namespace SynthBuild.Evaluation.Tests;

/// <summary>Laws of COCO evaluation, checked on random scenes (FsCheck draws the scene seed and shrinks it).</summary>
public class CocoEvaluatorProperties
{
    private sealed record Obj(long Image, long Cat, double[] Box, bool Crowd);

    private static List<Obj> RandomScene(int seed, int images, out int[] imageIds)
    {
        var rnd = new Random(seed);
        var objs = new List<Obj>();
        imageIds = new int[images];
        for (int i = 0; i < images; i++)
        {
            imageIds[i] = 1 + i;
            int n = rnd.Next(0, 6);
            for (int o = 0; o < n; o++)
            {
                double w = 2 + rnd.NextDouble() * 150, h = 2 + rnd.NextDouble() * 150;
                objs.Add(new Obj(i + 1, 1 + rnd.Next(3), [Math.Round(rnd.NextDouble() * 300, 1), Math.Round(rnd.NextDouble() * 300, 1), Math.Round(w, 1), Math.Round(h, 1)], rnd.NextDouble() < 0.1));
            }
        }
        return objs;
    }

    private static CocoBuilder Build(IEnumerable<long> imageOrder, IEnumerable<Obj> gts)
    {
        var b = new CocoBuilder();
        foreach (var id in imageOrder) b.Image(id, 500, 500);
        b.Category(1).Category(2).Category(3);
        foreach (var g in gts) b.Gt(g.Image, g.Cat, g.Box, crowd: g.Crowd);
        return b;
    }

    [Property(MaxTest = 60)]
    public bool Perfect_detections_give_AP_1(PositiveInt seed)
    {
        var objs = RandomScene(seed.Get, 5, out var ids);
        if (!objs.Any(o => !o.Crowd)) return true;
        var b = Build(ids.Select(i => (long)i), objs);
        double score = 1.0;
        foreach (var o in objs.Where(o => !o.Crowd))
        {
            b.Dt(o.Image, o.Cat, o.Box, score);
            score -= 0.001;
        }
        var s = b.Stats();
        return Math.Abs(s[0] - 1) < 1e-9 && Math.Abs(s[8] - 1) < 1e-9;
    }

    [Property(MaxTest = 60)]
    public bool Permuting_images_without_score_ties_changes_nothing(PositiveInt seed)
    {
        var objs = RandomScene(seed.Get, 6, out var ids);
        var rnd = new Random(seed.Get ^ 0x5bd1e995);
        // Noisy detections with distinct scores, plus some false positives.
        var dets = new List<(long Image, long Cat, double[] Box, double Score)>();
        var scores = Enumerable.Range(0, 1000).Select(i => (i + 1) / 1001.0).OrderBy(_ => rnd.Next()).ToArray();
        int si = 0;
        foreach (var o in objs)
            if (rnd.NextDouble() < 0.8)
                dets.Add((o.Image, o.Cat, [o.Box[0] + rnd.Next(-5, 6), o.Box[1] + rnd.Next(-5, 6), o.Box[2], o.Box[3]], scores[si++]));
        for (int f = 0; f < 6; f++)
            dets.Add((1 + rnd.Next(ids.Length), 1 + rnd.Next(3), [rnd.Next(300), rnd.Next(300), 5 + rnd.Next(100), 5 + rnd.Next(100)], scores[si++]));

        double[] Run(Func<long, long> map, bool shuffle)
        {
            var order = ids.Select(i => map(i)).ToList();
            var g = objs.Select(o => o with { Image = map(o.Image) }).ToList();
            var d = dets.Select(x => x with { Image = map(x.Image) }).ToList();
            if (shuffle)
            {
                order = order.OrderBy(_ => rnd.Next()).ToList();
                // Keep each image's annotations in their order (that order is part of the input), move images around.
                g = g.GroupBy(o => o.Image).OrderBy(_ => rnd.Next()).SelectMany(x => x).ToList();
                d = d.OrderBy(_ => rnd.Next()).ToList();
            }
            var b = Build(order, g);
            foreach (var x in d) b.Dt(x.Image, x.Cat, x.Box, x.Score);
            return b.Stats();
        }

        var baseline = Run(i => i, false);
        var perm = ids.Select(i => (long)i).OrderBy(_ => rnd.Next()).ToArray();
        var permuted = Run(i => perm[i - 1] * 7 + 3, true); // relabel and reorder images
        return baseline.SequenceEqual(permuted);
    }

    [Property(MaxTest = 60)]
    public bool Adding_a_detection_on_an_unlabelled_image_never_raises_AP(PositiveInt seed, NormalFloat score)
    {
        var objs = RandomScene(seed.Get, 4, out var ids);
        var rnd = new Random(seed.Get * 31 + 7);
        CocoBuilder Make(bool extra)
        {
            var b = Build(ids.Select(i => (long)i).Append(99), objs);
            foreach (var o in objs)
                if (rnd.NextDouble() < 0.7)
                    b.Dt(o.Image, o.Cat, [o.Box[0] + 2, o.Box[1], o.Box[2], o.Box[3]], Math.Round(rnd.NextDouble(), 3));
            if (extra)
                b.Dt(99, 1 + (seed.Get % 3), [10, 10, 20 + seed.Get % 200, 30], Math.Abs(score.Get) % 1.0);
            return b;
        }
        int state = seed.Get;
        rnd = new Random(state);
        var before = Make(false).Stats();
        rnd = new Random(state);
        var after = Make(true).Stats();
        for (int s = 0; s < 6; s++)
            if (after[s] > before[s]) return false;
        return true;
    }
}
