using System.Globalization;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Quality;

/// <summary>
/// Computes a <see cref="QualityReport"/> (without gate results) from a built dataset. One pass over the samples,
/// parallel across samples; per-sample results are reduced in index order so the report is identical for any
/// thread count.
/// </summary>
public static class QualityAnalyzer
{
    public const int MaxExamples = 20;
    private const int DepthBinMillimetres = 100, DepthBins = 60; // 0–6 m; farther lands in the last bin

    /// <summary>What one sample contributes; small, so a 10,000-sample dataset stays a few megabytes.</summary>
    private sealed class SampleMeasure
    {
        public int Objects;
        public int[] ClassInstances = [];
        public long Small, Medium, Large;
        public double VisibilitySum;
        public readonly List<double> Visibility = [], Truncation = [], SqrtArea = [];
        public readonly List<int> CentreCells = [];
        public double Brightness, Contrast;
        public readonly double[] ChannelMean = new double[3], ChannelStd = new double[3];
        public long DepthValid, DepthPixels;
        public double DepthSum, DepthSumSquares;
        public int DepthMin = int.MaxValue, DepthMax;
        public long[] DepthHistogram = [];
        public readonly List<string> LabelErrors = [];
        public PerceptualHash Hash;
        public string RgbSha = "";
        public string Key = "";
        public Split Split;
    }

    public static QualityReport Analyze(DatasetReader reader, QualitySettings settings, CancellationToken cancel = default)
    {
        DatasetInfo info = reader.Info;
        IReadOnlyList<long> indices = reader.Indices;
        var manifestByIndex = reader.Manifest.Samples.ToDictionary(s => s.Index);
        var measures = new SampleMeasure[indices.Count];
        var options = new ParallelOptions
        {
            CancellationToken = cancel,
            MaxDegreeOfParallelism = settings.Threads > 0 ? settings.Threads : Environment.ProcessorCount,
        };
        Parallel.For(0, indices.Count, options, k =>
        {
            long index = indices[k];
            var m = Measure(reader, index, settings);
            var entry = manifestByIndex[index];
            m.Key = entry.Key.Length > 16 ? entry.Key[..16] : entry.Key;
            m.RgbSha = entry.Files.FirstOrDefault(f => f.Path.StartsWith(DatasetLayout.RgbDir + "/", StringComparison.Ordinal))?.Sha256 ?? "";
            m.Split = reader.SplitOf(index);
            measures[k] = m;
        });
        return Reduce(info, indices, measures, settings);
    }

    private static SampleMeasure Measure(DatasetReader reader, long index, QualitySettings settings)
    {
        DatasetInfo info = reader.Info;
        int width = info.Width, height = info.Height, categories = info.Categories.Count;
        var m = new SampleMeasure { ClassInstances = new int[categories + 1], DepthHistogram = new long[DepthBins] };
        SampleAnnotation a = reader.ReadAnnotation(index);
        byte[] rgb = reader.ReadRgb(index);
        ushort[] depth = reader.ReadDepth(index);
        ushort[] ids = reader.ReadSegmentation(index);
        string stem = reader.Stem(index);

        // --- labels
        m.Objects = a.Objects.Count;
        foreach (ObjectAnnotation o in a.Objects)
        {
            if (o.CategoryId >= 1 && o.CategoryId <= categories) m.ClassInstances[o.CategoryId]++;
            if (o.Area < 32 * 32) m.Small++; else if (o.Area < 96 * 96) m.Medium++; else m.Large++;
            m.SqrtArea.Add(Math.Sqrt(o.Area));
            m.Visibility.Add(o.Visibility);
            m.VisibilitySum += o.Visibility;
            m.Truncation.Add(Truncation(o, a.Camera, width, height));
            double cx = o.Bbox[0] + o.Bbox[2] / 2, cy = o.Bbox[1] + o.Bbox[3] / 2;
            int col = Math.Clamp((int)(cx / width * settings.HeatmapColumns), 0, settings.HeatmapColumns - 1);
            int row = Math.Clamp((int)(cy / height * settings.HeatmapRows), 0, settings.HeatmapRows - 1);
            m.CentreCells.Add(row * settings.HeatmapColumns + col);
        }
        CheckLabels(a, ids, width, height, categories, stem, m.LabelErrors);

        // --- image statistics: one pass, integer sums per channel
        long pixels = (long)width * height;
        Span<long> sum = stackalloc long[3], sumSq = stackalloc long[3];
        sum.Clear(); sumSq.Clear();
        double lumaSum = 0, lumaSumSq = 0;
        for (int p = 0; p < pixels; p++)
        {
            int r = rgb[3 * p], g = rgb[3 * p + 1], b = rgb[3 * p + 2];
            sum[0] += r; sum[1] += g; sum[2] += b;
            sumSq[0] += r * r; sumSq[1] += g * g; sumSq[2] += b * b;
            double luma = 0.299 * r + 0.587 * g + 0.114 * b;
            lumaSum += luma;
            lumaSumSq += luma * luma;
        }
        for (int c = 0; c < 3; c++)
        {
            double mean = (double)sum[c] / pixels;
            m.ChannelMean[c] = mean;
            m.ChannelStd[c] = Math.Sqrt(Math.Max(0, (double)sumSq[c] / pixels - mean * mean));
        }
        m.Brightness = lumaSum / pixels;
        m.Contrast = Math.Sqrt(Math.Max(0, lumaSumSq / pixels - m.Brightness * m.Brightness));
        m.Hash = PerceptualHash.Of(rgb, width, height);

        // --- depth
        m.DepthPixels = pixels;
        long depthSum = 0, depthSumSq = 0;
        foreach (ushort d in depth)
        {
            if (d == 0) continue;
            m.DepthValid++;
            depthSum += d;
            depthSumSq += (long)d * d;
            if (d < m.DepthMin) m.DepthMin = d;
            if (d > m.DepthMax) m.DepthMax = d;
            m.DepthHistogram[Math.Min(DepthBins - 1, d / DepthBinMillimetres)]++;
        }
        m.DepthSum = depthSum;
        m.DepthSumSquares = depthSumSq;
        return m;
    }

    /// <summary>Fraction of the object's projected 3D box that falls outside the image (0 = wholly inside).</summary>
    internal static double Truncation(ObjectAnnotation o, CameraAnnotation camera, int width, int height)
    {
        Mat3 r = o.PoseCamera.Rotation.ToMatrix();
        double minU = double.MaxValue, minV = double.MaxValue, maxU = double.MinValue, maxV = double.MinValue;
        for (int i = 0; i < 8; i++)
        {
            Vec3 local = ObjectBox.Corner(o.Dimensions, i);
            Vec3 p = r * local + o.PoseCamera.Position;
            if (p.Z <= 1e-6) return 1; // behind the camera: the projection is unbounded
            double u = camera.Fx * p.X / p.Z + camera.Cx, v = camera.Fy * p.Y / p.Z + camera.Cy;
            minU = Math.Min(minU, u); maxU = Math.Max(maxU, u); minV = Math.Min(minV, v); maxV = Math.Max(maxV, v);
        }
        double full = (maxU - minU) * (maxV - minV);
        if (full <= 0) return 0;
        double inside = Math.Max(0, Math.Min(maxU, width) - Math.Max(minU, 0)) * Math.Max(0, Math.Min(maxV, height) - Math.Max(minV, 0));
        return Math.Clamp(1 - inside / full, 0, 1);
    }


    /// <summary>Boxes inside the image and non-degenerate, ids dense and known, and each box and area exactly what
    /// the instance mask says.</summary>
    internal static void CheckLabels(SampleAnnotation a, ushort[] ids, int width, int height, int categories, string stem, List<string> errors)
    {
        int n = a.Objects.Count;
        void Error(string what) => errors.Add(stem + ": " + what);
        if (a.Width != width || a.Height != height) Error(FormattableString.Invariant($"annotation says {a.Width}×{a.Height}, dataset is {width}×{height}"));
        if (ids.Length != width * height) { Error("segmentation size does not match the image"); return; }

        // Mask extent and pixel count per id, one pass.
        var minX = new int[n + 1]; var minY = new int[n + 1]; var maxX = new int[n + 1]; var maxY = new int[n + 1]; var count = new int[n + 1];
        Array.Fill(minX, int.MaxValue); Array.Fill(minY, int.MaxValue); Array.Fill(maxX, -1); Array.Fill(maxY, -1);
        int unknownId = 0, unknownPixels = 0;
        for (int y = 0; y < height; y++)
        {
            int row = y * width;
            for (int x = 0; x < width; x++)
            {
                int id = ids[row + x];
                if (id == 0) continue;
                if (id > n) { unknownId = id; unknownPixels++; continue; }
                count[id]++;
                if (x < minX[id]) minX[id] = x;
                if (x > maxX[id]) maxX[id] = x;
                if (y < minY[id]) minY[id] = y;
                if (y > maxY[id]) maxY[id] = y;
            }
        }
        if (unknownPixels > 0) Error(FormattableString.Invariant($"segmentation holds id {unknownId} ({unknownPixels} px) with no annotated object"));

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
            int id = o.InstanceId;
            if (count[id] != o.Area) Error(FormattableString.Invariant($"{who}: area {o.Area} but the mask has {count[id]} px"));
            if (count[id] > 0)
            {
                double mx = minX[id], my = minY[id], mw = maxX[id] + 1 - minX[id], mh = maxY[id] + 1 - minY[id];
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
        var depthHistogram = Histogram.Empty(0, DepthBinMillimetres, DepthBins);
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
            bSum += m.Brightness; bSumSq += m.Brightness * m.Brightness;
            bMin = Math.Min(bMin, m.Brightness); bMax = Math.Max(bMax, m.Brightness);
            brightnessHistogram.Add(m.Brightness);
            cSum += m.Contrast; cSumSq += m.Contrast * m.Contrast;
            for (int c = 0; c < 3; c++) { chSum[c] += m.ChannelMean[c]; chStdSum[c] += m.ChannelStd[c]; }
            depthValid += m.DepthValid; depthPixels += m.DepthPixels;
            depthSum += m.DepthSum; depthSumSq += m.DepthSumSquares;
            minValidRatio = Math.Min(minValidRatio, m.DepthPixels == 0 ? 0 : (double)m.DepthValid / m.DepthPixels);
            if (m.DepthValid > 0) { depthMin = Math.Min(depthMin, m.DepthMin); depthMax = Math.Max(depthMax, m.DepthMax); }
            for (int b = 0; b < DepthBins; b++) depthHistogram.Counts[b] += m.DepthHistogram[b];
            if (m.LabelErrors.Count > 0)
            {
                labelErrors += m.LabelErrors.Count;
                samplesWithErrors++;
                foreach (string e in m.LabelErrors) if (labelExamples.Count < MaxExamples) labelExamples.Add(e);
            }
            int si = (int)m.Split;
            splitSamples[si]++;
            splitInstances[si] += m.Objects;
            splitBrightness[si] += m.Brightness;
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
                int d = PerceptualHash.Distance(measures[i].Hash, measures[j].Hash);
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
            []);
    }

    internal static string Format(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
