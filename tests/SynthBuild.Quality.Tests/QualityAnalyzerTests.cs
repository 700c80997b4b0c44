using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using SynthBuild.TestSupport;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Storage;
using static SynthBuild.TestSupport.CraftedDataset;

namespace SynthBuild.Quality.Tests;

public class QualityAnalyzerTests
{
    /// <summary>
    /// 0: uniform gray 100, top 12 rows without depth, a small box (cat 1) and a medium cylinder (cat 2).
    /// 1: falling gray gradient (mean 155.5), depth 2000 everywhere, one small box (cat 1) at the top-left corner.
    /// 2: the same RGB bytes as 0 (an exact duplicate), one sphere (cat 3) whose box is one pixel too wide.
    /// </summary>
    internal static string ThreeSamples(bool withStats = false)
    {
        var ids0 = new ushort[Width * Height];
        Paint(ids0, 1, 2, 20, 10, 8);
        Paint(ids0, 2, 20, 14, 40, 32);
        var ids1 = new ushort[Width * Height];
        Paint(ids1, 1, 0, 0, 10, 10);
        var ids2 = new ushort[Width * Height];
        Paint(ids2, 1, 30, 30, 10, 10);
        return Write(
        [
            new CraftedSample(Uniform(100, 100, 100), Depth(1000, invalidRows: 12), ids0,
                [Object(1, 1, [2, 20, 10, 8], 80, 1.0), Object(2, 2, [20, 14, 40, 32], 1280, 0.5)]),
            new CraftedSample(FallingGradient(), Depth(2000), ids1, [Object(1, 1, [0, 0, 10, 10], 100, 0.8)]),
            new CraftedSample(Uniform(100, 100, 100), Depth(1000), ids2, [Object(1, 3, [30, 30, 11, 10], 100, 0.6)]),
        ], withStats);
    }

    [Fact]
    public void Every_statistic_matches_the_crafted_answer()
    {
        var reader = DatasetReader.Open(ThreeSamples());
        QualityReport r = QualityAnalyzer.Analyze(reader, new QualitySettings(HeatmapColumns: 4, HeatmapRows: 4));

        Assert.Equal([("box", 2L, 2L), ("cylinder", 1L, 1L), ("sphere", 1L, 1L)], r.Classes.Select(c => (c.Name, c.Instances, c.Images)));
        Assert.Equal(2.0, r.ClassBalanceRatio);
        Assert.Equal((3L, 1L, 0L), (r.BoxSizes.Small, r.BoxSizes.Medium, r.BoxSizes.Large));
        Assert.Equal(0.75, r.BoxSizes.LargestShare);
        Assert.Equal((1, 2), (r.ObjectsPerImage.Min, r.ObjectsPerImage.Max));
        Assert.Equal(4.0 / 3, r.ObjectsPerImage.Mean, 12);
        Assert.Equal([0L, 2, 1], r.ObjectsPerImage.PerImage.Counts[..3]);
        Assert.Equal((1.0 + 0.5 + 0.8 + 0.6) / 4, r.Visibility.Mean, 12);
        Assert.Equal(1, r.Visibility.Visibility.Counts[5]);  // 0.5
        Assert.Equal(1, r.Visibility.Visibility.Counts[6]);  // 0.6, on a bin edge
        Assert.Equal(1, r.Visibility.Visibility.Counts[9]);  // 1.0 lands in the last bin
        Assert.Equal(0, r.Visibility.TruncatedShare);

        Assert.Equal(100, r.Images.BrightnessMin, 9);
        Assert.Equal(155.5, r.Images.BrightnessMax, 9);
        Assert.Equal((100 + 155.5 + 100) / 3, r.Images.BrightnessMean, 9);
        Assert.Equal(3, r.Images.ChannelMean.Length);
        Assert.Equal(100 * 2 / 3.0 + 155.5 / 3, r.Images.ChannelMean[1], 9);
        double gradientStd = Math.Sqrt(Enumerable.Range(0, Width).Select(x => Math.Pow(250 - 3 * x - 155.5, 2)).Average());
        Assert.Equal(gradientStd / 3, r.Images.ContrastMean, 6);

        long valid = (Height - 12) * Width + 2L * Width * Height;
        Assert.Equal(valid / (3.0 * Width * Height), r.Depth.ValidRatio, 12);
        Assert.Equal(0.75, r.Depth.MinValidRatio, 12);
        Assert.Equal(((Height - 12) * Width * 1000.0 + Width * Height * (2000.0 + 1000.0)) / valid, r.Depth.Mean, 9);
        Assert.Equal((1000, 2000), (r.Depth.Min, r.Depth.Max));

        // Centres on a 4×4 grid of a 64×48 image (16×12 cells): (7,24)→(0,2), (40,30)→(2,2), (5,5)→(0,0), (35.5,35)→(2,2).
        Assert.Equal(1, r.Centres.Counts[0]);
        Assert.Equal(1, r.Centres.Counts[2 * 4 + 0]);
        Assert.Equal(2, r.Centres.Counts[2 * 4 + 2]);
        Assert.Equal(4, r.Centres.Counts.Sum());

        Assert.Equal(1, r.Labels.Errors);
        Assert.Contains("box [30, 30, 11, 10] but the mask spans [30, 30, 10, 10]", Assert.Single(r.Labels.Examples));

        // Samples 0 and 2 are byte-identical; the gradient differs from both in most hash bits.
        Assert.Equal(1, r.NearDuplicates.Pairs);
        Assert.Equal(new DuplicatePair(0, 2, 0), Assert.Single(r.NearDuplicates.Examples));
        Assert.Equal(1 / 3.0, r.NearDuplicates.Rate, 12);
        bool acrossSplits = reader.SplitOf(0) != reader.SplitOf(2);
        Assert.Equal(acrossSplits ? 1 : 0, r.Leakage.IdenticalPairs);
        Assert.Equal(0, r.Leakage.NearIdenticalPairs);
        Assert.Equal(3, r.Splits.Sum(s => s.Samples));
        Assert.Equal(4, r.Splits.Sum(s => s.Instances));
        Assert.True(r.Splits.First(s => s.Name == DatasetSplits.Name(reader.SplitOf(1))).ClassInstances[0] >= 1);
        Assert.Equal(["key0000", "key0001", "key0002"], r.SampleKeys);
    }

    [Fact]
    public void Label_sanity_finds_out_of_image_degenerate_unknown_and_unannotated_ids()
    {
        var ids = new ushort[Width * Height];
        Paint(ids, 1, 0, 0, 4, 4);
        Paint(ids, 3, 10, 10, 2, 2); // id 3 with only two annotated objects
        var a = new SampleAnnotation(0, Width, Height, null!, null!,
        [
            Object(1, 1, [0, 0, 4, 4], 16, 1),
            Object(2, 9, [60, 40, 10, 0], 0, 1), // unknown category, degenerate, leaves the image, area 0
        ]);
        var errors = new List<string>();
        var stats = ImageStatistics.Compute(new byte[Width * Height * 3], new ushort[Width * Height], ids, Width, Height, a.Objects.Count);
        QualityAnalyzer.CheckLabels(a, stats, Width, Height, categories: 3, "000000", errors);
        Assert.Contains(errors, e => e.Contains("segmentation holds id 3 (4 px)"));
        Assert.Contains(errors, e => e.Contains("category id 9 is not in 1..3"));
        Assert.Contains(errors, e => e.Contains("degenerate box"));
        Assert.Contains(errors, e => e.Contains("leaves the 64×48 image"));
        Assert.Contains(errors, e => e.Contains("area 0 is not positive"));
        Assert.DoesNotContain(errors, e => e.Contains("object 1 "));
    }

    [Fact]
    public void Truncation_statistics_are_the_annotated_truncations()
    {
        var ids = new ushort[Width * Height];
        Paint(ids, 1, 0, 0, 4, 4);
        Paint(ids, 2, 10, 10, 4, 4);
        Paint(ids, 3, 20, 20, 4, 4);
        string dir = Write(
        [
            new CraftedSample(Uniform(100, 100, 100), Depth(1000), ids,
                [Object(1, 1, [0, 0, 4, 4], 16, 1), Object(2, 2, [10, 10, 4, 4], 16, 1, truncation: 0.45),
                 Object(3, 3, [20, 20, 4, 4], 16, 1, truncation: 1)]),
        ]);
        QualityReport r = QualityAnalyzer.Analyze(DatasetReader.Open(dir), new QualitySettings());
        Assert.Equal(2.0 / 3, r.Visibility.TruncatedShare, 12);
        Histogram h = r.Visibility.Truncation;
        Assert.Equal(3, h.Counts.Sum());
        Assert.Equal(1, h.Counts[h.BinOf(0)]);
        Assert.Equal(1, h.Counts[h.BinOf(0.45)]);
        Assert.Equal(1, h.Counts[h.BinOf(1)]);
    }

    [Fact]
    public void Report_is_identical_for_one_thread_and_many()
    {
        var reader = DatasetReader.Open(ThreeSamples());
        byte[] one = QualityAnalyzer.Analyze(reader, new QualitySettings(Threads: 1)).ToJsonBytes();
        byte[] many = QualityAnalyzer.Analyze(reader, new QualitySettings(Threads: 4)).ToJsonBytes();
        Assert.Equal(one, many);
    }

    [Fact]
    public void Json_round_trips_and_rejects_other_schema_versions()
    {
        var reader = DatasetReader.Open(ThreeSamples());
        QualityReport r = QualityAnalyzer.Analyze(reader, new QualitySettings());
        string path = Path.Combine(reader.Root, "q.json");
        File.WriteAllBytes(path, r.ToJsonBytes());
        QualityReport back = QualityReport.Read(path);
        Assert.Equal(r.ToJsonBytes(), back.ToJsonBytes());
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"schemaVersion\": 1", "\"schemaVersion\": 99"));
        var ex = Assert.Throws<InvalidDataException>(() => QualityReport.Read(path));
        Assert.Contains("found version 99", ex.Message);
    }

    /// <summary>
    /// quality.json is written by source-generated JSON (so the Native AOT tool can read it); its bytes must be
    /// those the reflection serializer with the former options wrote, and either reads the other's output.
    /// </summary>
    [Fact]
    public void Json_bytes_are_those_of_the_reflection_serializer()
    {
        var reflection = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        var reader = DatasetReader.Open(ThreeSamples(withStats: true));
        QualityReport r = QualityAnalyzer.Analyze(reader, new QualitySettings(Threads: 1));
        // Every optional part present, a warning gate, and non-finite numbers (written as "NaN", "Infinity").
        r = r with
        {
            Audit = r.Audit ?? new AuditStats(true, 1, 2, 0),
            SampleHashes = r.SampleHashes ?? ["a", "b", "c"],
            Gates = [.. r.Gates, new GateResult("x", GateSeverity.Warning, true, double.NaN, double.PositiveInfinity, null, 2.5, false, "what")],
        };
        byte[] expected = [.. JsonSerializer.SerializeToUtf8Bytes(r, reflection), (byte)'\n'];
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(r.ToJsonBytes()));
        Assert.Contains("\"severity\": \"warning\"", System.Text.Encoding.UTF8.GetString(expected));
        QualityReport back = QualityReport.Parse(expected, "reflection.json");
        Assert.Equal(expected, back.ToJsonBytes());
        byte[] readByReflection = [.. JsonSerializer.SerializeToUtf8Bytes(JsonSerializer.Deserialize<QualityReport>(r.ToJsonBytes(), reflection)!, reflection), (byte)'\n'];
        Assert.Equal(expected, readByReflection);
    }
}
