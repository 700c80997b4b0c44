using System.Globalization;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Evaluation;

public enum IouType { Bbox, Segm }

/// <summary>pycocotools' default Params for bbox/segm.</summary>
public static class CocoParams
{
    /// <summary>np.linspace(.5, 0.95, 10): i * step + start, last = stop (e.g. 0.7000000000000001 at i = 4).</summary>
    public static readonly double[] IouThresholds = Linspace(0.5, 0.95, 10);
    /// <summary>np.linspace(0, 1, 101).</summary>
    public static readonly double[] RecallThresholds = Linspace(0.0, 1.0, 101);
    public static readonly int[] MaxDets = [1, 10, 100];
    /// <summary>[0², 1e5²], [0², 32²], [32², 96²], [96², 1e5²], inclusive at both ends.</summary>
    public static readonly (double Lo, double Hi)[] AreaRanges = [(0, 1e10), (0, 1024), (1024, 9216), (9216, 1e10)];
    public static readonly string[] AreaLabels = ["all", "small", "medium", "large"];

    /// <summary>numpy.linspace with endpoint=True, as numpy ≥ 1.16 computes it.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        int div = num - 1;
        double delta = stop - start;
        double step = delta / div;
        for (int i = 0; i < num; i++)
            y[i] = step == 0 ? i / (double)div * delta + start : i * step + start;
        if (num > 1) y[num - 1] = stop;
        return y;
    }
}

/// <summary>
/// COCO detection evaluation with pycocotools 2.0.x semantics (COCOeval evaluate → accumulate → summarize).
/// See docs/evaluation.md for the reproduced behaviours.
/// </summary>
public sealed class CocoEvaluator
{
    private readonly CocoGroundTruth _gt;
    private readonly CocoDetections _dt;
    public IouType IouType { get; }

    public long[] ImageIds { get; }
    public long[] CategoryIds { get; }

    /// <summary>
    /// Ground truths this predicate selects are ignored like a crowd or an out-of-range area (slice analysis: the
    /// objects outside the slice): not counted in recall, and a detection matched to one is dropped; a detection
    /// matched to none stays a false positive. Null (the default) ignores nothing beyond pycocotools' rules.
    /// </summary>
    public Func<CocoAnnotation, bool>? IgnoreGroundTruth { get; init; }

    // Prepared cells, cell index = k * I + i.
    private readonly CocoAnnotation[][] _cellGts;
    private readonly CocoAnnotation[][] _cellDts; // sorted by score (stable), truncated to maxDets[-1]

    // Per-annotation geometry, computed once.
    private readonly Dictionary<CocoAnnotation, (Rle Rle, double[] Box)> _masks = new(ReferenceEqualityComparer.Instance);

    // evaluate() results, per category k: the detections of all images in image order (each image's list sorted
    // and truncated), with their per-image rank, score, and per (area, threshold) outcome.
    private EvalCategory[]? _evals;

    public const int T = 10, R = 101, A = 4, M = 3;

    /// <summary>Short names of the twelve statistics of <see cref="Summarize"/>, in order.</summary>
    public static readonly IReadOnlyList<string> StatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    /// <summary>The statistics as a JSON object keyed by <see cref="StatNames"/>, as the model and probe reports write them.</summary>
    public static void WriteStats(Utf8JsonWriter w, string property, IReadOnlyList<double> stats)
    {
        w.WriteStartObject(property);
        for (int i = 0; i < stats.Count; i++) w.WriteNumber(StatNames[i], stats[i]);
        w.WriteEndObject();
    }

    /// <summary>Per-category AP as a JSON array of {id, name, ap}.</summary>
    public static void WriteCategoryAps(Utf8JsonWriter w, string property, IEnumerable<(long Id, string Name, double Ap)> categories)
    {
        w.WriteStartArray(property);
        foreach (var (id, name, ap) in categories)
        {
            w.WriteStartObject();
            w.WriteNumber("id", id);
            w.WriteString("name", name);
            w.WriteNumber("ap", ap);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>precision[t, r, k, a, m] flattened in that (C) order; -1 where there is no ground truth.</summary>
    public double[]? Precision { get; private set; }
    /// <summary>recall[t, k, a, m] flattened in that order.</summary>
    public double[]? Recall { get; private set; }
    public double[]? Stats { get; private set; }

    private sealed class EvalCategory
    {
        public int N;                 // detections in the concatenation
        public double[] Scores = [];
        public int[] Rank = [];       // position inside its image's sorted list
        public byte[] Outcome = [];   // [a][t][n]: 0 = false positive, 1 = true positive, 2 = ignored
        public int[] Npig = new int[A];
        public int[] Image = [];      // image index of each detection (for weighted resamples)
        public int[] NpigAll = [];    // per image: ground truths not ignored in area range "all"
        public bool[] AnyEval = new bool[A];
    }

    public CocoEvaluator(CocoGroundTruth gt, CocoDetections dt, IouType iouType)
    {
        _gt = gt;
        _dt = dt;
        IouType = iouType;

        ImageIds = SortedUnique(gt.Images.Select(im => im.Id));
        CategoryIds = SortedUnique(gt.Categories.Select(c => c.Id));
        int I = ImageIds.Length, K = CategoryIds.Length;
        var imgIndex = new Dictionary<long, int>(I);
        for (int i = 0; i < I; i++) imgIndex[ImageIds[i]] = i;
        var catIndex = new Dictionary<long, int>(K);
        for (int k = 0; k < K; k++) catIndex[CategoryIds[k]] = k;

        var gtLists = new List<CocoAnnotation>?[K * I];
        var dtLists = new List<CocoAnnotation>?[K * I];

        // getAnnIds(imgIds, catIds) + loadAnns: images in ascending id order, annotations in file order, filtered
        // by category; loadAnns looks ids up in a dict, so a repeated annotation id yields its last annotation.
        var lastById = new Dictionary<long, CocoAnnotation>();
        foreach (var a in gt.Annotations) lastById[a.Id] = a;
        Distribute(gt.Annotations, a => lastById[a.Id], gtLists, imgIndex, catIndex, I);
        Distribute(dt.Detections, a => a, dtLists, imgIndex, catIndex, I);

        int maxDet = CocoParams.MaxDets[^1];
        _cellGts = new CocoAnnotation[K * I][];
        _cellDts = new CocoAnnotation[K * I][];
        for (int c = 0; c < K * I; c++)
        {
            _cellGts[c] = gtLists[c]?.ToArray() ?? [];
            var dts = dtLists[c]?.ToArray() ?? [];
            if (dts.Length > 1) StableSortByScoreDesc(dts);
            if (dts.Length > maxDet) Array.Resize(ref dts, maxDet);
            _cellDts[c] = dts;
        }
    }

    private static void Distribute(IReadOnlyList<CocoAnnotation> anns, Func<CocoAnnotation, CocoAnnotation> resolve,
        List<CocoAnnotation>?[] lists, Dictionary<long, int> imgIndex, Dictionary<long, int> catIndex, int I)
    {
        // Group by image first (file order inside an image), then visit images in ascending id order.
        var perImage = new List<CocoAnnotation>?[I];
        foreach (var a in anns)
        {
            if (!imgIndex.TryGetValue(a.ImageId, out int i)) continue;
            (perImage[i] ??= []).Add(a);
        }
        for (int i = 0; i < I; i++)
        {
            var list = perImage[i];
            if (list is null) continue;
            foreach (var a0 in list)
            {
                if (!catIndex.ContainsKey(a0.CategoryId)) continue; // categories not in the ground truth are dropped
                var a = resolve(a0);
                if (!imgIndex.TryGetValue(a.ImageId, out int ii) || !catIndex.TryGetValue(a.CategoryId, out int k)) continue;
                (lists[k * I + ii] ??= []).Add(a);
            }
        }
    }

    private static long[] SortedUnique(IEnumerable<long> ids)
    {
        var set = new SortedSet<long>(ids);
        return [.. set];
    }

    /// <summary>np.argsort(-score, kind='mergesort'): descending score, ties keep their order.</summary>
    internal static void StableSortByScoreDesc(CocoAnnotation[] dts)
    {
        var keys = new (double NegScore, int Index)[dts.Length];
        for (int i = 0; i < dts.Length; i++) keys[i] = (-dts[i].Score, i);
        var copy = (CocoAnnotation[])dts.Clone();
        Array.Sort(keys, static (x, y) =>
        {
            int c = x.NegScore.CompareTo(y.NegScore);
            return c != 0 ? c : x.Index.CompareTo(y.Index);
        });
        for (int i = 0; i < dts.Length; i++) dts[i] = copy[keys[i].Index];
    }

    private (Rle Rle, double[] Box) Mask(CocoAnnotation a)
    {
        if (_masks.TryGetValue(a, out var m)) return m;
        var seg = a.Segmentation;
        string file = a.IsDetection ? _dt.File : _gt.File;
        string loc = a.IsDetection ? $"entry {a.Index}" : $"annotations[{a.Index}]";
        if (seg is null)
            throw new CocoFormatException(new EvaluationDiagnostic(SynCodes.CocoWrongShape, file, loc, "missing field 'segmentation' (needed for --iou-type segm)"));
        if (seg.Problem is not null) throw new CocoFormatException(seg.Problem);
        Rle rle;
        if (seg.Rle is not null) rle = seg.Rle;
        else
        {
            var img = _gt.ImagesById[a.ImageId];
            if (img.Height <= 0 || img.Width <= 0)
                throw new CocoFormatException(new EvaluationDiagnostic(SynCodes.CocoMissingImageSize, _gt.File, loc,
                    $"a polygon needs the size of image {a.ImageId}, which the ground truth does not give ('height' and 'width')"));
            rle = seg.ToRle(img.Height, img.Width);
        }
        m = (rle, rle.ToBbox());
        _masks[a] = m;
        return m;
    }

    /// <summary>Validates that every annotation that will be compared has what the IoU type needs, and prepares masks.</summary>
    private void PrepareGeometry()
    {
        for (int c = 0; c < _cellGts.Length; c++)
        {
            var gts = _cellGts[c];
            var dts = _cellDts[c];
            if (IouType == IouType.Bbox)
            {
                foreach (var g in gts)
                    if (g.Bbox is null)
                        throw new CocoFormatException(new EvaluationDiagnostic(SynCodes.CocoWrongShape, _gt.File, $"annotations[{g.Index}]", "missing field 'bbox' (needed for --iou-type bbox)"));
            }
            else
            {
                // Like pycocotools' _prepare, every selected annotation is converted, so every bad mask is reported.
                foreach (var g in gts) Mask(g);
                foreach (var d in dts) Mask(d);
            }
        }
    }

    /// <summary>COCOeval.evaluate: IoUs per image and category, then greedy matching per area range and threshold.</summary>
    public void Evaluate()
    {
        PrepareGeometry();
        int I = ImageIds.Length, K = CategoryIds.Length;
        var thr = CocoParams.IouThresholds;
        var areas = CocoParams.AreaRanges;
        _evals = new EvalCategory[K];

        double[] ious = new double[16];
        int[] gtOrder = new int[16];
        bool[] gtIgSorted = new bool[16];
        bool[] crowdSorted = new bool[16];
        long[] gtIdSorted = new long[16];
        bool[] gtMatched = new bool[16];

        for (int k = 0; k < K; k++)
        {
            int n = 0;
            for (int i = 0; i < I; i++) n += _cellDts[k * I + i].Length;
            var ev = new EvalCategory
            {
                N = n,
                Scores = new double[n],
                Rank = new int[n],
                Outcome = new byte[A * T * n],
                Image = new int[n],
                NpigAll = new int[I],
            };
            int offset = 0;
            for (int i = 0; i < I; i++)
            {
                var gts = _cellGts[k * I + i];
                var dts = _cellDts[k * I + i];
                int G = gts.Length, D = dts.Length;
                if (G == 0 && D == 0) continue;
                for (int d = 0; d < D; d++)
                {
                    ev.Scores[offset + d] = dts[d].Score;
                    ev.Rank[offset + d] = d;
                    ev.Image[offset + d] = i;
                }

                // computeIoU: ious[d, g] with ground truths in their original order.
                if (ious.Length < D * G) ious = new double[D * G * 2];
                bool haveIous = G > 0 && D > 0;
                if (haveIous) ComputeIous(gts, dts, ious);

                if (gtOrder.Length < G)
                {
                    gtOrder = new int[G * 2];
                    gtIgSorted = new bool[G * 2];
                    crowdSorted = new bool[G * 2];
                    gtIdSorted = new long[G * 2];
                    gtMatched = new bool[G * 2];
                }

                for (int a = 0; a < A; a++)
                {
                    var (lo, hi) = areas[a];
                    ev.AnyEval[a] = true;
                    // _ignore = iscrowd (pycocotools overwrites 'ignore' with 'iscrowd') or area outside the range;
                    // then a stable sort puts ignored ground truths last.
                    int p = 0;
                    for (int g = 0; g < G; g++)
                        if (!GtIgnored(gts[g], lo, hi)) gtOrder[p++] = g;
                    int npig = p;
                    for (int g = 0; g < G; g++)
                        if (GtIgnored(gts[g], lo, hi)) gtOrder[p++] = g;
                    for (int g = 0; g < G; g++)
                    {
                        var gg = gts[gtOrder[g]];
                        gtIgSorted[g] = g >= npig;
                        crowdSorted[g] = gg.IsCrowd;
                        gtIdSorted[g] = gg.Id;
                    }
                    ev.Npig[a] += npig;
                    if (a == 0) ev.NpigAll[i] = npig;

                    for (int t = 0; t < T; t++)
                    {
                        int outBase = (a * T + t) * n + offset;
                        Array.Clear(gtMatched, 0, G);
                        double thrT = Math.Min(thr[t], 1 - 1e-10);
                        for (int d = 0; d < D; d++)
                        {
                            var det = dts[d];
                            bool dtIgnored = false;
                            long matchedGtId = 0;
                            if (haveIous)
                            {
                                double iou = thrT;
                                int m = -1;
                                int row = d * G;
                                for (int g = 0; g < G; g++)
                                {
                                    if (gtMatched[g] && !crowdSorted[g]) continue;
                                    if (m > -1 && !gtIgSorted[m] && gtIgSorted[g]) break;
                                    double v = ious[row + gtOrder[g]];
                                    if (v < iou) continue;
                                    iou = v;
                                    m = g;
                                }
                                if (m != -1)
                                {
                                    dtIgnored = gtIgSorted[m];
                                    matchedGtId = gtIdSorted[m];
                                    gtMatched[m] = true; // gtm stores the detection id, which is always >= 1
                                }
                            }
                            // Unmatched (or matched to a ground truth with id 0) detections outside the area range are ignored.
                            if (matchedGtId == 0 && (det.Area < lo || det.Area > hi)) dtIgnored = true;
                            ev.Outcome[outBase + d] = dtIgnored ? (byte)2 : matchedGtId != 0 ? (byte)1 : (byte)0;
                        }
                    }
                }
                offset += D;
            }
            _evals[k] = ev;
        }
    }

    private bool GtIgnored(CocoAnnotation g, double lo, double hi) => g.IsCrowd || g.Area < lo || g.Area > hi || (IgnoreGroundTruth?.Invoke(g) ?? false);

    private void ComputeIous(CocoAnnotation[] gts, CocoAnnotation[] dts, double[] ious)
    {
        int G = gts.Length, D = dts.Length;
        if (IouType == IouType.Bbox)
        {
            for (int d = 0; d < D; d++)
            {
                var db = dts[d].Bbox!;
                for (int g = 0; g < G; g++)
                    ious[d * G + g] = Rle.BoxIou(db, gts[g].Bbox!, gts[g].IsCrowd);
            }
        }
        else
        {
            for (int d = 0; d < D; d++)
            {
                var (dr, dbox) = _masks[dts[d]];
                for (int g = 0; g < G; g++)
                {
                    var (gr, gbox) = _masks[gts[g]];
                    ious[d * G + g] = Rle.MaskIou(dr, dbox, gr, gbox, gts[g].IsCrowd);
                }
            }
        }
    }

    // Per category: detection indices (rank < 100) in descending-score stable order, for WeightedAp.
    private int[][]? _weightedOrder;

    /// <summary>
    /// AP and AP50 (area "all", 100 detections per image) of a resample of the images: image i counts
    /// <paramref name="imageWeights"/>[i] times (index into <see cref="ImageIds"/>). Equivalent to evaluating a ground
    /// truth in which each image is repeated that many times (matching is per image, so a copy's outcomes are the
    /// original's) up to the order of exactly tied scores; the bootstrap of experiments (docs/experiments.md) uses it
    /// to re-evaluate thousands of resamples without re-matching, and so do the slices' intervals. Needs
    /// <see cref="Evaluate"/> first; honours <see cref="IgnoreGroundTruth"/>.
    /// </summary>
    /// <returns>AP, AP50, and recall at IoU 0.5 pooled over categories (matched ground truths over all, as
    /// <see cref="PooledRecall50"/>); -1 where there is no ground truth.</returns>
    public (double Ap, double Ap50, double Recall50) WeightedAp(ReadOnlySpan<int> imageWeights)
    {
        if (_evals is null) throw new InvalidOperationException("Evaluate() must run before WeightedAp()");
        if (imageWeights.Length != ImageIds.Length) throw new ArgumentException($"expected {ImageIds.Length} weights, got {imageWeights.Length}", nameof(imageWeights));
        int K = CategoryIds.Length, maxDet = CocoParams.MaxDets[^1];
        if (_weightedOrder is null)
        {
            var orders = new int[K][];
            for (int k = 0; k < K; k++)
            {
                var ev = _evals[k];
                var order = new int[ev.N];
                var keys = new double[ev.N];
                for (int j = 0; j < ev.N; j++) { order[j] = j; keys[j] = -ev.Scores[j]; }
                StableSortIndices(keys, order, ev.N);
                orders[k] = order.Where(j => ev.Rank[j] < maxDet).ToArray();
            }
            _weightedOrder = orders;
        }
        var recThrs = CocoParams.RecallThresholds;
        double eps = Math.BitIncrement(1.0) - 1.0;
        var q = new double[T * R * K];
        var has = new bool[K];
        double[] rc = [], pr = [];
        long matched50 = 0, truths = 0;
        for (int k = 0; k < K; k++)
        {
            var ev = _evals[k];
            long npig = 0;
            for (int i = 0; i < ev.NpigAll.Length; i++) npig += (long)ev.NpigAll[i] * imageWeights[i];
            if (npig == 0) continue; // as Accumulate: a category without ground truth has no precision (-1)
            has[k] = true;
            truths += npig;
            var order = _weightedOrder[k];
            int total = 0;
            foreach (int j in order) total += imageWeights[ev.Image[j]];
            if (rc.Length < total) { rc = new double[total]; pr = new double[total]; }
            for (int t = 0; t < T; t++)
            {
                var outc = ev.Outcome.AsSpan(t * ev.N, ev.N); // area index 0 ("all")
                long tp = 0, fp = 0;
                int nd = 0;
                // An image drawn w times is w copies in a row: among detections of equal score from one image, the
                // first copy's all come before the second copy's, as in a ground truth that lists the copies.
                for (int start = 0; start < order.Length;)
                {
                    int img = ev.Image[order[start]], end = start + 1;
                    while (end < order.Length && ev.Image[order[end]] == img && ev.Scores[order[end]] == ev.Scores[order[start]]) end++;
                    int w = imageWeights[img];
                    for (int c = 0; c < w; c++)
                        for (int x = start; x < end; x++)
                        {
                            byte o = outc[order[x]];
                            if (o == 1) tp++;
                            else if (o == 0) fp++;
                            rc[nd] = (double)tp / npig;
                            pr[nd++] = tp / (fp + tp + eps);
                        }
                    start = end;
                }
                if (t == 0) matched50 += tp;
                for (int j = nd - 1; j > 0; j--)
                    if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
                int pi = 0;
                for (int ri = 0; ri < R; ri++)
                {
                    while (pi < nd && rc[pi] < recThrs[ri]) pi++;
                    q[(t * R + ri) * K + k] = pi < nd ? pr[pi] : 0;
                }
            }
        }
        // Summarize's order and summation (thresholds, recall thresholds, categories; entries without ground truth
        // left out), so the identity resample gives the evaluator's own AP and AP50 bit for bit.
        double Mean(int thresholds)
        {
            var buf = new double[thresholds * R * K];
            int m = 0;
            for (int t = 0; t < thresholds; t++)
                for (int r = 0; r < R; r++)
                    for (int k = 0; k < K; k++)
                        if (has[k]) buf[m++] = q[(t * R + r) * K + k];
            return m == 0 ? -1 : NumpyMath.PairwiseSum(buf.AsSpan(0, m)) / m;
        }
        return (Mean(T), Mean(1), truths == 0 ? -1 : (double)matched50 / truths);
    }

    /// <summary>COCOeval.accumulate: precision/recall curves per threshold, category, area range and maxDets.</summary>
    public void Accumulate()
    {
        if (_evals is null) throw new InvalidOperationException("Evaluate() must run before Accumulate()");
        int K = CategoryIds.Length;
        var precision = new double[T * R * K * A * M];
        var recall = new double[T * K * A * M];
        Array.Fill(precision, -1.0);
        Array.Fill(recall, -1.0);
        var recThrs = CocoParams.RecallThresholds;
        double eps = Math.BitIncrement(1.0) - 1.0; // np.spacing(1)

        int maxN = 0;
        foreach (var ev in _evals) maxN = Math.Max(maxN, ev.N);
        var order = new int[maxN];
        var keys = new double[maxN];
        var sel = new int[maxN];
        var tpc = new double[maxN];
        var fpc = new double[maxN];
        var rc = new double[maxN];
        var pr = new double[maxN];

        for (int k = 0; k < K; k++)
        {
            var ev = _evals[k];
            int n = ev.N;
            // Stable sort of the concatenation by descending score. For a given maxDets the concatenation is a
            // subsequence of this one, so filtering this order gives exactly its stable sort.
            for (int j = 0; j < n; j++)
            {
                order[j] = j;
                keys[j] = -ev.Scores[j];
            }
            StableSortIndices(keys, order, n);

            for (int a = 0; a < A; a++)
            {
                if (!ev.AnyEval[a]) continue;
                int npig = ev.Npig[a];
                if (npig == 0) continue;
                for (int mi = 0; mi < M; mi++)
                {
                    int maxDet = CocoParams.MaxDets[mi];
                    int nd = 0;
                    for (int j = 0; j < n; j++)
                        if (ev.Rank[order[j]] < maxDet) sel[nd++] = order[j];

                    for (int t = 0; t < T; t++)
                    {
                        var outc = ev.Outcome.AsSpan((a * T + t) * n, n);
                        long tp = 0, fp = 0;
                        for (int j = 0; j < nd; j++)
                        {
                            byte o = outc[sel[j]];
                            if (o == 1) tp++;
                            else if (o == 0) fp++;
                            tpc[j] = tp;
                            fpc[j] = fp;
                        }
                        for (int j = 0; j < nd; j++)
                        {
                            rc[j] = tpc[j] / npig;
                            pr[j] = tpc[j] / (fpc[j] + tpc[j] + eps);
                        }
                        recall[((t * K + k) * A + a) * M + mi] = nd > 0 ? rc[nd - 1] : 0;
                        for (int j = nd - 1; j > 0; j--)
                            if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];

                        // q[ri] = pr[searchsorted(rc, recThrs[ri], 'left')]; stops (leaving zeros) at the first out of range.
                        int pi = 0;
                        for (int ri = 0; ri < R; ri++)
                        {
                            double thr = recThrs[ri];
                            while (pi < nd && rc[pi] < thr) pi++;
                            precision[(((t * R + ri) * K + k) * A + a) * M + mi] = pi < nd ? pr[pi] : 0;
                        }
                    }
                }
            }
        }
        Precision = precision;
        Recall = recall;
    }

    /// <summary>Stable ascending sort of <paramref name="order"/>[0..n) by key (a merge sort, like numpy's mergesort).</summary>
    private static void StableSortIndices(double[] keys, int[] order, int n)
    {
        if (n < 2) return;
        var tmp = new int[n];
        MergeSort(keys, order, tmp, 0, n);
    }

    private static void MergeSort(double[] keys, int[] a, int[] tmp, int lo, int hi)
    {
        if (hi - lo <= 16)
        {
            for (int i = lo + 1; i < hi; i++)
            {
                int v = a[i];
                double kv = keys[v];
                int j = i - 1;
                while (j >= lo && keys[a[j]] > kv) { a[j + 1] = a[j]; j--; }
                a[j + 1] = v;
            }
            return;
        }
        int mid = (lo + hi) >>> 1;
        MergeSort(keys, a, tmp, lo, mid);
        MergeSort(keys, a, tmp, mid, hi);
        if (!(keys[a[mid]] < keys[a[mid - 1]])) return; // already ordered
        Array.Copy(a, lo, tmp, lo, hi - lo);
        int p = lo, q = mid, o = lo;
        while (p < mid && q < hi) a[o++] = keys[tmp[q]] < keys[tmp[p]] ? tmp[q++] : tmp[p++];
        while (p < mid) a[o++] = tmp[p++];
        while (q < hi) a[o++] = tmp[q++];
    }

    private static readonly (bool Ap, double? IouThr, int Area, int MaxDet)[] StatDefs =
    [
        (true, null, 0, 100), (true, 0.5, 0, 100), (true, 0.75, 0, 100),
        (true, null, 1, 100), (true, null, 2, 100), (true, null, 3, 100),
        (false, null, 0, 1), (false, null, 0, 10), (false, null, 0, 100),
        (false, null, 1, 100), (false, null, 2, 100), (false, null, 3, 100),
    ];

    /// <summary>COCOeval.summarize: the 12 standard numbers (means over entries > -1, numpy's pairwise summation).</summary>
    public double[] Summarize()
    {
        if (Precision is null || Recall is null) throw new InvalidOperationException("Accumulate() must run before Summarize()");
        int K = CategoryIds.Length;
        var stats = new double[12];
        var buf = new double[T * R * Math.Max(K, 1)];
        for (int s = 0; s < 12; s++)
        {
            var (ap, iouThr, a, maxDet) = StatDefs[s];
            int m = Array.IndexOf(CocoParams.MaxDets, maxDet);
            int n = 0;
            for (int t = 0; t < T; t++)
            {
                if (iouThr is double th && CocoParams.IouThresholds[t] != th) continue;
                if (ap)
                {
                    for (int r = 0; r < R; r++)
                        for (int k = 0; k < K; k++)
                        {
                            double v = Precision[(((t * R + r) * K + k) * A + a) * M + m];
                            if (v > -1) buf[n++] = v;
                        }
                }
                else
                {
                    for (int k = 0; k < K; k++)
                    {
                        double v = Recall[((t * K + k) * A + a) * M + m];
                        if (v > -1) buf[n++] = v;
                    }
                }
            }
            stats[s] = n == 0 ? -1 : NumpyMath.PairwiseSum(buf.AsSpan(0, n)) / n;
        }
        Stats = stats;
        return stats;
    }

    /// <summary>Evaluate, accumulate and summarize.</summary>
    public double[] Run()
    {
        Evaluate();
        Accumulate();
        return Summarize();
    }

    /// <summary>
    /// AP of one category at IoU .50:.95, area all, maxDets 100 (mean of its precision entries > -1, as Detectron
    /// reports per-class AP); -1 when the category has no ground truth.
    /// </summary>
    public double CategoryAp(int k)
    {
        if (Precision is null) throw new InvalidOperationException("Accumulate() must run first");
        int K = CategoryIds.Length;
        var buf = new double[T * R];
        int n = 0;
        for (int t = 0; t < T; t++)
            for (int r = 0; r < R; r++)
            {
                double v = Precision[(((t * R + r) * K + k) * A + 0) * M + 2];
                if (v > -1) buf[n++] = v;
            }
        return n == 0 ? -1 : NumpyMath.PairwiseSum(buf.AsSpan(0, n)) / n;
    }

    /// <summary>
    /// Matched ground truths over all non-ignored ones at IoU 0.5, area all, maxDets 100, pooled over categories
    /// (recall[k] · npig[k] summed, over Σ npig); -1 when there is no ground truth.
    /// </summary>
    public double PooledRecall50()
    {
        if (Recall is null || _evals is null) throw new InvalidOperationException("Accumulate() must run first");
        int K = CategoryIds.Length;
        double matched = 0;
        long total = 0;
        for (int k = 0; k < K; k++)
        {
            int npig = _evals[k].Npig[0];
            if (npig == 0) continue;
            matched += Math.Round(Recall[((0 * K + k) * A + 0) * M + 2] * npig);
            total += npig;
        }
        return total == 0 ? -1 : matched / total;
    }

    /// <summary>The 12 lines pycocotools' summarize() prints.</summary>
    public static string FormatSummary(IReadOnlyList<double> stats)
    {
        var sb = new StringBuilder();
        for (int s = 0; s < 12; s++)
        {
            var (ap, iouThr, a, maxDet) = StatDefs[s];
            string title = ap ? "Average Precision" : "Average Recall";
            string type = ap ? "(AP)" : "(AR)";
            string iou = iouThr is double th
                ? th.ToString("0.00", CultureInfo.InvariantCulture)
                : CocoParams.IouThresholds[0].ToString("0.00", CultureInfo.InvariantCulture) + ":" + CocoParams.IouThresholds[^1].ToString("0.00", CultureInfo.InvariantCulture);
            sb.Append(' ')
              .Append(title.PadRight(18)).Append(' ').Append(type)
              .Append(" @[ IoU=").Append(iou.PadRight(9))
              .Append(" | area=").Append(CocoParams.AreaLabels[a].PadLeft(6))
              .Append(" | maxDets=").Append(maxDet.ToString(CultureInfo.InvariantCulture).PadLeft(3))
              .Append(" ] = ").Append(NumpyMath.PythonFixed3(stats[s]))
              .Append('\n');
        }
        return sb.ToString();
    }
}

internal static class NumpyMath
{
    /// <summary>
    /// Python's '{:0.3f}'.format(v): the exact binary value rounded to 3 decimals, ties to even.
    /// </summary>
    public static string PythonFixed3(double v)
    {
        if (!double.IsFinite(v)) return v.ToString(CultureInfo.InvariantCulture);
        bool neg = double.IsNegative(v);
        long bits = BitConverter.DoubleToInt64Bits(Math.Abs(v));
        int exp = (int)((bits >> 52) & 0x7FF);
        long man = bits & 0xFFFFFFFFFFFFFL;
        if (exp == 0) exp = 1; else man |= 1L << 52;
        int e = exp - 1075; // |v| = man * 2^e
        var n = new System.Numerics.BigInteger(man) * 1000;
        System.Numerics.BigInteger q;
        if (e >= 0) q = n << e;
        else
        {
            q = n >> -e;
            var rem = n - (q << -e);
            var twice = rem << 1;
            var den = System.Numerics.BigInteger.One << -e;
            int cmp = twice.CompareTo(den);
            if (cmp > 0 || (cmp == 0 && !q.IsEven)) q += 1;
        }
        var whole = System.Numerics.BigInteger.DivRem(q, 1000, out var frac);
        string sign = neg ? "-" : "";
        return sign + whole.ToString(CultureInfo.InvariantCulture) + "." + ((int)frac).ToString("D3", CultureInfo.InvariantCulture);
    }

    /// <summary>numpy's pairwise summation of float64 (blocks of 8 partial sums up to 128 elements, halves above).</summary>
    public static double PairwiseSum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double res = 0.0;
            for (int i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= 128)
        {
            double r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7];
            int i;
            for (i = 8; i < n - n % 8; i += 8)
            {
                r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3];
                r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7];
            }
            double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += a[i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return PairwiseSum(a[..n2]) + PairwiseSum(a[n2..]);
    }
}
