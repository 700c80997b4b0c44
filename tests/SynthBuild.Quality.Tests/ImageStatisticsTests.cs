using System.Text;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;
using static SynthBuild.TestSupport.CraftedDataset;

namespace SynthBuild.Quality.Tests;

/// <summary>Per-image statistics stored by the generator, and the analysis that reads them instead of the PNGs.</summary>
public class ImageStatisticsTests
{
    [Fact]
    public void Statistics_of_crafted_buffers_have_the_known_answers()
    {
        byte[] rgb = FallingGradient();
        rgb[0] = 255; rgb[1] = 0; rgb[2] = 10; // one coloured pixel
        ushort[] depth = Depth(1000, invalidRows: 12);
        depth[^1] = 7000; // beyond the last bin's start
        var ids = new ushort[Width * Height];
        Paint(ids, 1, 2, 20, 10, 8);
        Paint(ids, 2, 20, 14, 40, 32);
        Paint(ids, 5, 0, 47, 3, 1); // no such instance

        var s = ImageStatistics.Compute(rgb, depth, ids, Width, Height, instances: 2);

        long r = 0, g = 0, b = 0, rr = 0, luma = 0, lumaSq = 0;
        for (int p = 0; p < Width * Height; p++)
        {
            int R = rgb[3 * p], G = rgb[3 * p + 1], B = rgb[3 * p + 2];
            r += R; g += G; b += B; rr += R * R;
            long l = 299 * R + 587 * G + 114 * B;
            luma += l; lumaSq += l * l;
        }
        Assert.Equal(Width * Height, s.Pixels);
        Assert.Equal([r, g, b], s.ChannelSum);
        Assert.Equal(rr, s.ChannelSumSquares[0]);
        Assert.Equal((luma, lumaSq), (s.LumaSum, s.LumaSumSquares));
        Assert.Equal(luma / 1000.0 / (Width * Height), s.Brightness, 12);
        Assert.Equal(PerceptualHash.Of(rgb, Width, Height), s.Hash);

        long valid = (Height - 12) * Width;
        Assert.Equal(valid, s.DepthValid);
        Assert.Equal((valid - 1) * 1000 + 7000, s.DepthSum);
        Assert.Equal((valid - 1) * 1000L * 1000 + 7000L * 7000, s.DepthSumSquares);
        Assert.Equal((1000, 7000), (s.DepthMin, s.DepthMax));
        Assert.Equal(valid - 1, s.DepthHistogram[10]);
        Assert.Equal(1, s.DepthHistogram[ImageStatistics.DepthBins - 1]);
        Assert.Equal(valid, s.DepthHistogram.Sum()); // no-measurement pixels are in no bin

        Assert.Equal([new InstancePixels(80, 2, 20, 11, 27), new InstancePixels(1280, 20, 14, 59, 45)], s.Instances);
        Assert.Equal((3L, 5), (s.UnknownIdPixels, s.UnknownId));
    }

    [Theory]
    [InlineData(37, 23)]  // narrower than one vector of pixels
    [InlineData(641, 9)]  // vectors and a scalar tail in every row
    public void Statistics_of_random_buffers_equal_their_per_pixel_definitions(int width, int height)
    {
        var random = new Random(width);
        var rgb = new byte[width * height * 3];
        random.NextBytes(rgb);
        var depth = new ushort[width * height];
        var ids = new ushort[width * height];
        for (int p = 0; p < depth.Length; p++)
        {
            depth[p] = (ushort)(random.Next(10) == 0 ? 0 : random.Next(1, 9000));
            ids[p] = (ushort)(p % width / 7);
        }

        var s = ImageStatistics.Compute(rgb, depth, ids, width, height, instances: 3);

        var sum = new long[3];
        var squares = new long[3];
        long luma = 0, lumaSq = 0;
        for (int p = 0; p < width * height; p++)
        {
            long l = 0;
            for (int c = 0; c < 3; c++)
            {
                int v = rgb[3 * p + c];
                sum[c] += v;
                squares[c] += v * v;
                l += new[] { 299, 587, 114 }[c] * v;
            }
            luma += l;
            lumaSq += l * l;
        }
        Assert.Equal(sum, s.ChannelSum);
        Assert.Equal(squares, s.ChannelSumSquares);
        Assert.Equal((luma, lumaSq), (s.LumaSum, s.LumaSumSquares));
        Assert.Equal(PerceptualHash.Of(rgb, width, height), s.Hash);
        Assert.Equal(depth.Count(d => d != 0), s.DepthValid);
        Assert.Equal(depth.Sum(d => (long)d), s.DepthSum);
        Assert.Equal(depth.Sum(d => (long)d * d), s.DepthSumSquares);
        Assert.Equal(depth.Where(d => d != 0).Min(), s.DepthMin);
        Assert.Equal(depth.Max(), s.DepthMax);
        Assert.Equal(ids.Count(i => i == 2), s.Instances[1].Pixels);
        Assert.Equal(ids.Count(i => i > 3), s.UnknownIdPixels);
    }

    [Fact]
    public void Statistics_round_trip_through_the_annotation_json()
    {
        var ids = new ushort[Width * Height];
        Paint(ids, 1, 0, 0, 5, 5);
        var stats = ImageStatistics.Compute(FallingGradient(), Depth(1500, 3), ids, Width, Height, 1);
        var a = new SampleAnnotation(3, Width, Height,
            new CameraAnnotation(50, 50, 32, 24, SynthBuild.Core.Geometry.RigidTransform.Identity, SynthBuild.Core.Geometry.Vec3.Zero),
            new SynthBuild.Core.Scene.Lighting(SynthBuild.Core.Geometry.Vec3.UnitZ, new SynthBuild.Core.Geometry.Vec3(1, 1, 1), 500, 0.3),
            [Object(1, 1, [0, 0, 5, 5], 25, 1)], Stats: stats);
        byte[] json = AnnotationJson.Sample(a, "003");
        Assert.Contains("\"imageStats\"", Encoding.UTF8.GetString(json));
        SampleAnnotation back = AnnotationJson.ReadSample(json);
        Assert.NotNull(back.Stats);
        Assert.Null(stats.FirstDifference(back.Stats!));
        Assert.Equal(json, AnnotationJson.Sample(back, "003"));

        // Malformed statistics are a clear error, not silently wrong numbers.
        string broken = Encoding.UTF8.GetString(json).Replace("\"dHash\": \"", "\"dHash\": \"zz");
        var ex = Assert.Throws<InvalidDataException>(() => AnnotationJson.ReadSample(Encoding.UTF8.GetBytes(broken)));
        Assert.Contains("dHash", ex.Message);
    }

    [Fact]
    public void Analysis_from_stored_statistics_equals_the_analysis_of_the_decoded_images()
    {
        // Same crafted samples: one dataset as an old engine wrote it (no stats: every PNG is decoded), one with
        // stats read from the JSON only (audit 0).
        QualityReport decoded = QualityAnalyzer.Analyze(DatasetReader.Open(QualityAnalyzerTests.ThreeSamples()), new QualitySettings(AuditSamples: 0));
        QualityReport stored = QualityAnalyzer.Analyze(DatasetReader.Open(QualityAnalyzerTests.ThreeSamples(withStats: true)), new QualitySettings(AuditSamples: 0));
        Assert.Equal(new AuditStats(false, 0, 0, 3), decoded.Audit);
        Assert.Equal(new AuditStats(false, 3, 0, 0), stored.Audit);
        // Everything but the dataset identity (annotation bytes differ) and the audit record is the same.
        QualityReport Comparable(QualityReport r) => r with { Digest = "", AnalysisKey = "", SampleHashes = [], Audit = null };
        Assert.Equal(Encoding.UTF8.GetString(Comparable(decoded).ToJsonBytes()), Encoding.UTF8.GetString(Comparable(stored).ToJsonBytes()));
        Assert.Equal(1, stored.Labels.Errors); // the one-pixel-too-wide box is found from the stored mask extents
    }

    [Fact]
    public void The_audit_decodes_a_deterministic_subset_and_catches_statistics_that_disagree_with_the_pixels()
    {
        string root = QualityAnalyzerTests.ThreeSamples(withStats: true);
        // Tamper with sample 1's stored brightness: the images stay as they are.
        string annotation = Path.Combine(root, DatasetLayout.Annotation(DatasetLayout.Stem(1, 3)));
        var a = AnnotationJson.ReadSample(File.ReadAllBytes(annotation));
        var tampered = a with { Stats = a.Stats! with { LumaSum = a.Stats.LumaSum + 1000 * Width * Height } };
        File.WriteAllBytes(annotation, AnnotationJson.Sample(tampered, DatasetLayout.Stem(1, 3)));
        var reader = DatasetReader.Open(root);

        QualityReport unaudited = QualityAnalyzer.Analyze(reader, new QualitySettings(AuditSamples: 0));
        Assert.Equal(1, unaudited.Labels.Errors); // only the crafted box error: the JSON is trusted
        Assert.Equal(156.5, unaudited.Images.BrightnessMax, 9);

        QualityReport full = QualityAnalyzer.Analyze(reader, new QualitySettings(AuditSamples: QualitySettings.AuditAll));
        Assert.Equal(new AuditStats(true, 0, 3, 0), full.Audit);
        Assert.Equal(2, full.Labels.Errors);
        Assert.Contains(full.Labels.Examples, e => e.StartsWith("000001: imageStats in the annotation do not match the decoded images (luma sum", StringComparison.Ordinal));
        Assert.Equal(155.5, full.Images.BrightnessMax, 9); // measured from the pixels, not the claim

        // The subset: as many as asked, the same for the same dataset, another one for another digest.
        long[] indices = Enumerable.Range(0, 1000).Select(i => (long)i).ToArray();
        bool[] one = QualityAnalyzer.AuditSelection(new string('a', 64), indices, 100);
        Assert.Equal(100, one.Count(x => x));
        Assert.Equal(one, QualityAnalyzer.AuditSelection(new string('a', 64), indices, 100));
        Assert.NotEqual(one, QualityAnalyzer.AuditSelection(new string('b', 64), indices, 100));
        Assert.All(QualityAnalyzer.AuditSelection("x", indices, 5000), Assert.True);
    }

    [Fact]
    public void Generated_samples_store_statistics_equal_to_those_of_their_written_files()
    {
        string root = SmallDataset.TempDir();
        var built = new DatasetBuilder(SmallDataset.Spec(samples: 6), root).Build();
        Assert.True(built.Succeeded);
        var reader = DatasetReader.Open(root);
        Assert.All(reader.Indices, i => Assert.NotNull(reader.ReadAnnotation(i).Stats));
        QualityReport r = QualityAnalyzer.Analyze(reader, new QualitySettings(AuditSamples: QualitySettings.AuditAll));
        Assert.Equal(new AuditStats(true, 0, 6, 0), r.Audit);
        Assert.Equal(0, r.Labels.Errors);
        Assert.Equal(6, r.SampleHashes!.Distinct().Count());
    }
}
