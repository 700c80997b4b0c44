using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;

namespace SynthBuild.Core.Tests.Storage;

public class DatasetReaderTests
{
    [Fact]
    public void Reads_back_what_the_builder_wrote()
    {
        string dir = SmallDataset.TempDir();
        var spec = SmallDataset.Spec(samples: 5);
        var result = new DatasetBuilder(spec, dir).Build();
        var reader = DatasetReader.Open(dir);
        Assert.Equal(result.Digest, reader.Info.Digest);
        Assert.Equal(["box", "cylinder", "sphere"], reader.Info.Categories.Select(c => c.Name));
        Assert.Equal([0L, 1, 2, 3, 4], reader.Indices);
        Assert.Equal((160, 120), (reader.Info.Width, reader.Info.Height));
        for (int i = 0; i < 5; i++)
        {
            var a = reader.ReadAnnotation(i);
            var seg = reader.ReadSegmentation(i);
            Assert.Equal(160 * 120, seg.Length);
            Assert.Equal(160 * 120 * 3, reader.ReadRgb(i).Length);
            Assert.Equal(a.Objects.Count, seg.Where(v => v != 0).Distinct().Count());
            Assert.All(a.Objects, o => Assert.Equal(o.Area, seg.Count(v => v == o.InstanceId)));
            // Re-serializing what was read gives the same bytes: nothing is lost in the round trip.
            Assert.Equal(File.ReadAllBytes(reader.AnnotationPath(i)), AnnotationJson.Sample(a, reader.Stem(i)));
        }
    }

    [Fact]
    public void Splits_follow_the_fractions_and_do_not_depend_on_the_sample_count()
    {
        var fractions = new SynthBuild.Core.Config.SplitSpec(0.7, 0.2, 0.1);
        var splits = Enumerable.Range(0, 20000).Select(i => DatasetSplits.Of(5, i, fractions)).ToList();
        Assert.InRange(splits.Count(s => s == Split.Train) / 20000.0, 0.69, 0.71);
        Assert.InRange(splits.Count(s => s == Split.Val) / 20000.0, 0.19, 0.21);
        Assert.InRange(splits.Count(s => s == Split.Test) / 20000.0, 0.09, 0.11);
    }

    [Fact]
    public void Opening_a_folder_without_a_dataset_is_SYN3003()
    {
        var ex = Assert.Throws<DiagnosticException>(() => DatasetReader.Open(SmallDataset.TempDir()));
        Assert.Equal("SYN3003", ex.Diagnostic.Code);
    }
}
