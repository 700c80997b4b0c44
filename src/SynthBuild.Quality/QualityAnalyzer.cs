using System.Globalization;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Randomness;
using SynthBuild.Core.Storage;

namespace SynthBuild.Quality;

/// <summary>
/// Computes a <see cref="QualityReport"/> (without gate results) from a built dataset. One pass over the samples,
/// parallel across samples; per-sample results are reduced in index order so the report is identical for any
/// thread count.
/// </summary>
public static class QualityAnalyzer
{
    public const int MaxExamples = 20;

    /// <summary>What one sample contributes; small, so a 10,000-sample dataset stays a few megabytes.</summary>
    private sealed class SampleMeasure
    {
        public int Objects;
        public int[] ClassInstances = [];
        public long Small, Medium, Large;
        public double VisibilitySum;
        public readonly List<double> Visibility = [], Truncation = [], SqrtArea = [];
        public readonly List<int> CentreCells = [];
        public ImageStatistics Stats = null!;
        public readonly List<string> LabelErrors = [];
        public StatsSource Source;
        public string RgbSha = "";
        public string Key = "", ContentHash = "";
        public Split Split;
    }

    /// <summary>Where a sample's pixel statistics came from.</summary>
    private enum StatsSource { Stored, Audited, DecodedWithoutStats }

    public static QualityReport Analyze(DatasetReader reader, QualitySettings settings, CancellationToken cancel = default)
    {
        DatasetInfo info = reader.Info;
        IReadOnlyList<long> indices = reader.Indices;
        var manifestByIndex = reader.Manifest.Samples.ToDictionary(s => s.Index);
        bool[] audit = AuditSelection(info.Digest, indices, settings.AuditSamples);
        var measures = new SampleMeasure[indices.Count];
        var options = new ParallelOptions
        {
            CancellationToken = cancel,
            MaxDegreeOfParallelism = settings.Threads > 0 ? settings.Threads : Environment.ProcessorCount,
        };
        Parallel.For(0, indices.Count, options, k =>
        {
            long index = indices[k];
            var m = Measure(reader, index, audit[k], settings);
            var entry = manifestByIndex[index];
            m.Key = entry.Key.Length > 16 ? entry.Key[..16] : entry.Key;
            m.ContentHash = ContentHash(entry);
            m.RgbSha = entry.Files.FirstOrDefault(f => f.Path.StartsWith(DatasetLayout.RgbDir + "/", StringComparison.Ordinal))?.Sha256 ?? "";
            m.Split = reader.SplitOf(index);
            measures[k] = m;
        });
        return Reduce(info, indices, measures, settings);
    }

    /// <summary>
    /// The samples whose PNGs are decoded and checked against their stored statistics: the <paramref name="count"/>
    /// samples with the smallest hash of (dataset digest, index). Deterministic for a dataset, and a changed dataset
    /// audits another subset.
    /// </summary>
    internal static bool[] AuditSelection(string digest, IReadOnlyList<long> indices, int count)
    {
        var audit = new bool[indices.Count];
        if (count >= indices.Count) { Array.Fill(audit, true); return audit; }
        if (count <= 0) return audit;
        ulong seed = digest.Length >= 16 && ulong.TryParse(digest.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong d) ? d : 0;
        var order = new (ulong Score, int K)[indices.Count];
        for (int k = 0; k < indices.Count; k++) order[k] = (RandomStream.Mix(seed ^ (ulong)indices[k] * RandomStream.Golden), k);
        Array.Sort(order);
        for (int i = 0; i < count; i++) audit[order[i].K] = true;
        return audit;
    }

    /// <summary>A sample's content identity: hash over its files' manifest hashes (first 16 hex digits).</summary>
    internal static string ContentHash(ManifestSample entry)
    {
        var text = new System.Text.StringBuilder();
        foreach (ManifestFile f in entry.Files.OrderBy(f => f.Path, StringComparer.Ordinal)) text.Append(f.Path).Append('\t').Append(f.Sha256).Append('\n');
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private static SampleMeasure Measure(DatasetReader reader, long index, bool audit, QualitySettings settings)
    {
        DatasetInfo info = reader.Info;
        int width = info.Width, height = info.Height, categories = info.Categories.Count;
        var m = new SampleMeasure { ClassInstances = new int[categories + 1] };
        SampleAnnotation a = reader.ReadAnnotation(index);
        string stem = reader.Stem(index);

        // --- pixel statistics: stored by the generator, or decoded from the PNGs for audited samples and for
        // samples written before the generator stored them (both give the same numbers: one implementation).
        if (a.Stats is ImageStatistics stored && !audit)
        {
            m.Stats = stored;
            m.Source = StatsSource.Stored;
        }
        else
        {
            m.Stats = Decode(reader, index, a, width, height, stem, m.LabelErrors);
            m.Source = a.Stats is null ? StatsSource.DecodedWithoutStats : StatsSource.Audited;
            if (a.Stats is ImageStatistics claimed && claimed.FirstDifference(m.Stats) is string difference)
                m.LabelErrors.Add($"{stem}: imageStats in the annotation do not match the decoded images ({difference})");
        }

        // --- labels
        m.Objects = a.Objects.Count;
        foreach (ObjectAnnotation o in a.Objects)
        {
            if (o.CategoryId >= 1 && o.CategoryId <= categories) m.ClassInstances[o.CategoryId]++;
            if (o.Area < 32 * 32) m.Small++; else if (o.Area < 96 * 96) m.Medium++; else m.Large++;
            m.SqrtArea.Add(Math.Sqrt(o.Area));
            m.Visibility.Add(o.Visibility);
            m.VisibilitySum += o.Visibility;
            m.Truncation.Add(o.Truncation); // the generator's label: the projected mesh's share outside the image
            double cx = o.Bbox[0] + o.Bbox[2] / 2, cy = o.Bbox[1] + o.Bbox[3] / 2;
            int col = Math.Clamp((int)(cx / width * settings.HeatmapColumns), 0, settings.HeatmapColumns - 1);
            int row = Math.Clamp((int)(cy / height * settings.HeatmapRows), 0, settings.HeatmapRows - 1);
            m.CentreCells.Add(row * settings.HeatmapColumns + col);
        }
        CheckLabels(a, m.Stats, width, height, categories, stem, m.LabelErrors);
        return m;
    }

    /// <summary>Statistics recomputed from the sample's three PNGs; a file of the wrong size is a label error.</summary>
    private static ImageStatistics Decode(DatasetReader reader, long index, SampleAnnotation a, int width, int height, string stem, List<string> errors)
    {
        byte[] rgb = reader.ReadRgb(index);
        ushort[] depth = reader.ReadDepth(index), ids = reader.ReadSegmentation(index);
        int pixels = width * height;
        if (rgb.Length == 3 * pixels && depth.Length == pixels && ids.Length == pixels)
            return ImageStatistics.Compute(rgb, depth, ids, width, height, a.Objects.Count);
        errors.Add(FormattableString.Invariant($"{stem}: rgb, depth or segmentation is not {width}×{height} ({rgb.Length / 3}, {depth.Length}, {ids.Length} px)"));
        return ImageStatistics.Compute(new byte[3 * pixels], new ushort[pixels], new ushort[pixels], width, height, a.Objects.Count);
    }

    /// <summary>Boxes inside the image and non-degenerate, ids dense and known, and each box and area exactly what
    /// the instance mask says (its pixel counts and extents, from <paramref name="stats"/>).</summary>
    internal static void CheckLabels(SampleAnnotation a, ImageStatistics stats, int width, int height, int categories, string stem, List<string> errors)
    {
        int n = a.Objects.Count;
        void Error(string what) => errors.Add(stem + ": " + what);
        if (a.Width != width || a.Height != height) Error(FormattableString.Invariant($"annotation says {a.Width}×{a.Height}, dataset is {width}×{height}"));
        if (stats.Pixels != (long)width * height) { Error(FormattableString.Invariant($"imageStats cover {stats.Pixels} px, the image has {(long)width * height}")); return; }
        if (stats.Instances.Length != n) { Error(FormattableString.Invariant($"imageStats count {stats.Instances.Length} instance(s), the annotation has {n}")); return; }
        if (stats.UnknownIdPixels > 0)
            Error(FormattableString.Invariant($"segmentation holds id {stats.UnknownId} ({stats.UnknownIdPixels} px) with no annotated object"));

        for (int k = 0; k < n; k++)
        {
            ObjectAnnotation o = a.Objects[k];
            string who = FormattableString.Invariant($"object {k + 1} (instance {o.InstanceId})");
            if (o.InstanceId != k + 1) Error(FormattableString.Invariant($"{who}: instance ids must be dense 1..{n} in order"));
            if (o.CategoryId < 1 || o.CategoryId > categories) Error(FormattableString.Invariant($"{who}: category id {o.CategoryId} is not in 1..{categories}"));
            double[] b = o.Bbox;
            if (b.Length != 4) { Error($"{who}: bbox must have 4 numbers"); continue; }
            if (!(b[2] > 0 && b[3] > 0)) Error(FormattableString.Invariant($"{who}: degenerate box [{b[0]}, {b[1]}, {b[2]}, {b[3]}]"));
            if (b[0] < 0 || b[1] < 0 || b[0] + b[2] > width + 1e-9 || b[1] + b[3] > height + 1e-9)
                Error(FormattableString.Invariant($"{who}: box [{b[0]}, {b[1]}, {b[2]}, {b[3]}] leaves the {width}×{height} image"));
            if (o.Area <= 0) Error(FormattableString.Invariant($"{who}: area {o.Area} is not positive"));
            if (o.InstanceId < 1 || o.InstanceId > n) continue;
            InstancePixels mask = stats.Instances[o.InstanceId - 1];
            if (mask.Pixels != o.Area) Error(FormattableString.Invariant($"{who}: area {o.Area} but the mask has {mask.Pixels} px"));
            if (mask.Pixels > 0)
            {
                double mx = mask.MinX, my = mask.MinY, mw = mask.MaxX + 1 - mask.MinX, mh = mask.MaxY + 1 - mask.MinY;
                if (Math.Abs(b[0] - mx) > 1e-6 || Math.Abs(b[1] - my) > 1e-6 || Math.Abs(b[2] - mw) > 1e-6 || Math.Abs(b[3] - mh) > 1e-6)
                    Error(FormattableString.Invariant($"{who}: box [{b[0]}, {b[1]}, {b[2]}, {b[3]}] but the mask spans [{mx}, {my}, {mw}, {mh}]"));
            }
        }
    }

    private static QualityReport Reduce(DatasetInfo info, IReadOnlyList<long> indices, SampleMeasure[] measures, QualitySettings settings)
    {
        int categories = info.Categories.Count, n = measures.Length;
        var instances = new long[categories + 1];
        var images = new long[categories + 1];
        long small = 0, medium = 0, large = 0, objects = 0;
        var sqrtArea = Histogram.Empty(0, 8, 40);
        var perImage = Histogram.Empty(0, 1, 16);
        var visibility = Histogram.Empty(0, 0.1, 10);
        var truncation = Histogram.Empty(0, 0.1, 10);
        var brightnessHistogram = Histogram.Empty(0, 8, 32);
        var depthHistogram = Histogram.Empty(0, ImageStatistics.DepthBinMillimetres, ImageStatistics.DepthBins);
        var heat = new long[settings.HeatmapColumns * settings.HeatmapRows];
        double visibilitySum = 0;
        long truncated = 0;
        int minObjects = n == 0 ? 0 : int.MaxValue, maxObjects = 0;
        double bSum = 0, bSumSq = 0, bMin = n == 0 ? 0 : double.MaxValue, bMax = 0, cSum = 0, cSumSq = 0;
        var chSum = new double[3]; var chStdSum = new double[3];
        long depthValid = 0, depthPixels = 0;
        double depthSum = 0, depthSumSq = 0, minValidRatio = n == 0 ? 0 : 1;
        int depthMin = int.MaxValue, depthMax = 0;
        long labelErrors = 0, samplesWithErrors = 0;
        var sources = new long[3];
        var labelExamples = new List<string>();
        var splitNames = new[] { Split.Train, Split.Val, Split.Test };
        var splitSamples = new long[3]; var splitInstances = new long[3]; var splitClass = new long[3][];
        var splitBrightness = new double[3];
        for (int s = 0; s < 3; s++) splitClass[s] = new long[categories];

        foreach (SampleMeasure m in measures)
        {
            for (int c = 1; c <= categories; c++)
            {
                instances[c] += m.ClassInstances[c];
                if (m.ClassInstances[c] > 0) images[c]++;
            }
            small += m.Small; medium += m.Medium; large += m.Large;
            objects += m.Objects;
            foreach (double v in m.SqrtArea) sqrtArea.Add(v);
            perImage.Add(m.Objects);
            minObjects = Math.Min(minObjects, m.Objects);
            maxObjects = Math.Max(maxObjects, m.Objects);
            foreach (double v in m.Visibility) visibility.Add(v);
            foreach (double t in m.Truncation) { truncation.Add(t); if (t > 0) truncated++; }
            visibilitySum += m.VisibilitySum;
            foreach (int cell in m.CentreCells) heat[cell]++;
            ImageStatistics st = m.Stats;
            double brightness = st.Brightness, contrast = st.Contrast;
            bSum += brightness; bSumSq += brightness * brightness;
            bMin = Math.Min(bMin, brightness); bMax = Math.Max(bMax, brightness);
            brightnessHistogram.Add(brightness);
            cSum += contrast; cSumSq += contrast * contrast;
            for (int c = 0; c < 3; c++) { chSum[c] += st.ChannelMean(c); chStdSum[c] += st.ChannelStd(c); }
            depthValid += st.DepthValid; depthPixels += st.Pixels;
            depthSum += st.DepthSum; depthSumSq += (double)st.DepthSumSquares;
            minValidRatio = Math.Min(minValidRatio, st.DepthValidRatio);
            if (st.DepthValid > 0) { depthMin = Math.Min(depthMin, st.DepthMin); depthMax = Math.Max(depthMax, st.DepthMax); }
            for (int b = 0; b < ImageStatistics.DepthBins; b++) depthHistogram.Counts[b] += st.DepthHistogram[b];
            sources[(int)m.Source]++;
            if (m.LabelErrors.Count > 0)
            {
                labelErrors += m.LabelErrors.Count;
                samplesWithErrors++;
                foreach (string e in m.LabelErrors) if (labelExamples.Count < MaxExamples) labelExamples.Add(e);
            }
            int si = (int)m.Split;
            splitSamples[si]++;
            splitInstances[si] += m.Objects;
            splitBrightness[si] += brightness;
            for (int c = 1; c <= categories; c++) splitClass[si][c - 1] += m.ClassInstances[c];
        }

        // Near duplicates and leakage: all pairs, on 256-bit hashes (10,000 samples ≈ 5·10⁷ popcounts).
        long pairs = 0, withEarlier = 0, identicalAcross = 0, nearAcross = 0;
        var dupExamples = new List<DuplicatePair>();
        var leakExamples = new List<DuplicatePair>();
        for (int j = 0; j < n; j++)
        {
            bool hasEarlier = false;
            for (int i = 0; i < j; i++)
            {
                bool identical = measures[i].RgbSha.Length > 0 && measures[i].RgbSha == measures[j].RgbSha;
                int d = PerceptualHash.Distance(measures[i].Stats.Hash, measures[j].Stats.Hash);
                if (!identical && d > settings.NearDuplicateMaxDistance) continue;
                pairs++;
                hasEarlier = true;
                if (dupExamples.Count < MaxExamples) dupExamples.Add(new DuplicatePair(indices[i], indices[j], d));
                if (measures[i].Split != measures[j].Split)
                {
                    if (identical) identicalAcross++; else nearAcross++;
                    if (leakExamples.Count < MaxExamples) leakExamples.Add(new DuplicatePair(indices[i], indices[j], d));
                }
            }
            if (hasEarlier) withEarlier++;
        }

        double Mean(double total) => n == 0 ? 0 : total / n;
        double Std(double total, double totalSq) => n == 0 ? 0 : Math.Sqrt(Math.Max(0, totalSq / n - (total / n) * (total / n)));
        double depthMean = depthValid == 0 ? 0 : depthSum / depthValid;
        var classes = info.Categories.OrderBy(c => c.Id)
            .Select(c => new ClassStats(c.Id, c.Name, c.Id <= categories ? instances[c.Id] : 0, c.Id <= categories ? images[c.Id] : 0)).ToList();
        var splits = splitNames.Select(s => new SplitStats(DatasetSplits.Name(s), splitSamples[(int)s], splitInstances[(int)s], splitClass[(int)s],
            splitSamples[(int)s] == 0 ? 0 : splitBrightness[(int)s] / splitSamples[(int)s],
            splitSamples[(int)s] == 0 ? 0 : (double)splitInstances[(int)s] / splitSamples[(int)s])).ToList();

        return new QualityReport(
            QualityReport.CurrentSchemaVersion, info.Name, info.Digest, settings.AnalysisKey(info), n, info.Width, info.Height,
            classes,
            new BoxSizeStats(small, medium, large, sqrtArea),
            new ObjectCountStats(minObjects, Mean(objects), maxObjects, perImage),
            new VisibilityStats(objects == 0 ? 0 : visibilitySum / objects, visibility, objects == 0 ? 0 : (double)truncated / objects, truncation),
            new ImageStats(Mean(bSum), Std(bSum, bSumSq), bMin, bMax, Mean(cSum), Std(cSum, cSumSq),
                chSum.Select(Mean).ToArray(), chStdSum.Select(Mean).ToArray(), brightnessHistogram),
            new DepthStats(depthPixels == 0 ? 0 : (double)depthValid / depthPixels, minValidRatio, depthMean,
                depthValid == 0 ? 0 : Math.Sqrt(Math.Max(0, depthSumSq / depthValid - depthMean * depthMean)),
                depthValid == 0 ? 0 : depthMin, depthMax, depthHistogram),
            new CentreHeatmap(settings.HeatmapColumns, settings.HeatmapRows, heat),
            new LabelSanity(labelErrors, samplesWithErrors, labelExamples),
            new NearDuplicateStats(PerceptualHash.Bits, settings.NearDuplicateMaxDistance, pairs, withEarlier, n == 0 ? 0 : (double)withEarlier / n, dupExamples),
            splits,
            new LeakageStats(identicalAcross, nearAcross, leakExamples),
            measures.Select(m => m.Key).ToList(),
            [],
            measures.Select(m => m.ContentHash).ToList(),
            new AuditStats(settings.AuditSamples >= n, sources[(int)StatsSource.Stored], sources[(int)StatsSource.Audited], sources[(int)StatsSource.DecodedWithoutStats]));
    }

    internal static string Format(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
