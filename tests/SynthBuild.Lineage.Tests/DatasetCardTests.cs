using System.Text.Json;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Lineage.Cards;
using SynthBuild.Quality;
using SynthBuild.TestSupport;

namespace SynthBuild.Lineage.Tests;

public class DatasetCardTests
{
    /// <summary>A real small dataset with its real quality report, and a project file that sets a license.</summary>
    private static (string Root, DatasetSpec Spec, string Project) Built(int samples = 12)
    {
        DatasetSpec spec = SmallDataset.Spec(samples: samples);
        string root = SmallDataset.TempDirWith(spec);
        var quality = QualityStage.Run(root, [], gatesEnabled: true, new QualitySettings(ContactSheetSamples: 0));
        Assert.True(quality.Succeeded, string.Join("\n", quality.Diagnostics));
        string project = Path.Combine(SmallDataset.TempDir(), "demo.synthproj");
        File.WriteAllText(project, "<Project>\n  <PropertyGroup>\n    <SynthLicense>cc-by-sa-4.0</SynthLicense>\n  </PropertyGroup>\n</Project>\n");
        return (root, spec, project);
    }

    [Fact]
    public void Card_states_the_datasets_real_numbers_and_rewrites_nothing_when_unchanged()
    {
        var (root, spec, project) = Built();
        string digest = DatasetReader.Open(root).Info.Digest;
        var result = DatasetCard.Write(new DatasetCardRequest(root, project, spec, "cc-by-sa-4.0", "A test set.", "1.2.0", "https://example.org/demo", ["Ada Lovelace"]));
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Equal(2, result.FilesChanged);

        var fm = CardChecks.FrontMatter(result.Readme!);
        Assert.Equal("cc-by-sa-4.0", fm["license"]);
        Assert.Equal(["machine-generated"], CardChecks.Strings(fm, "annotations_creators"));
        Assert.Equal(["n<1K"], CardChecks.Strings(fm, "size_categories"));
        Assert.Contains("synthetic", CardChecks.Strings(fm, "tags"));
        Assert.Contains("object-detection", CardChecks.Strings(fm, "task_categories"));
        Assert.DoesNotContain("image-segmentation", CardChecks.Strings(fm, "task_categories")); // no export carries masks
        Assert.False(fm.ContainsKey("configs")); // no export to point at
        var manifestSplits = CardChecks.ManifestSplits(root);
        var cardSplits = CardChecks.Splits(fm);
        Assert.Equal(12, cardSplits.Values.Sum(s => s.Examples));
        foreach (var (name, counts) in manifestSplits) Assert.Equal(counts, cardSplits[name]);
        Assert.All(cardSplits.Where(s => !manifestSplits.ContainsKey(s.Key)), s => Assert.Equal(0, s.Value.Examples));

        // The prose: class counts per split from the quality report, ranges from the config.
        string text = File.ReadAllText(result.Readme!);
        var report = QualityReport.Read(Path.Combine(root, "reports", "quality.json"));
        foreach (var split in report.Splits)
            Assert.Contains($"| {split.Name} | {split.Samples} | {string.Join(" | ", split.ClassInstances)} |", text);
        Assert.Contains($"{spec.ObjectsPerScene.Min}–{spec.ObjectsPerScene.Max} per scene", text);
        Assert.Contains(FormattableString.Invariant($"intensity {spec.Lighting.Intensity.Min}–{spec.Lighting.Intensity.Max}"), text);
        Assert.Contains(FormattableString.Invariant($"roughness {spec.Materials.Roughness.Min}–{spec.Materials.Roughness.Max}"), text);
        Assert.Contains(FormattableString.Invariant($"σ = {spec.Sensor.GaussianNoiseStd}"), text);
        Assert.Contains(digest, text);
        Assert.Contains("| version | 1.2.0 |", text);
        Assert.Contains("## Known limitations", text);

        using var croissant = CardChecks.CheckCroissant(root);
        JsonElement d = croissant.RootElement;
        Assert.Equal("https://spdx.org/licenses/CC-BY-SA-4.0.html", d.GetProperty("license").GetString());
        Assert.Equal("1.2.0", d.GetProperty("version").GetString());
        Assert.Equal("https://example.org/demo", d.GetProperty("url").GetString());
        Assert.Equal("Ada Lovelace", d.GetProperty("creator")[0].GetProperty("name").GetString());
        Assert.False(d.TryGetProperty("datePublished", out _)); // outside git there is no commit time, and never the clock

        // Same inputs: same bytes, nothing rewritten (timestamps), and the card is not part of the dataset.
        var before = SmallDataset.Snapshot(root);
        Thread.Sleep(20);
        var again = DatasetCard.Write(new DatasetCardRequest(root, project, spec, "cc-by-sa-4.0", "A test set.", "1.2.0", "https://example.org/demo", ["Ada Lovelace"]));
        Assert.True(again.Succeeded);
        Assert.Equal(0, again.FilesChanged);
        Assert.Equal(before, SmallDataset.Snapshot(root));
        Assert.Equal(digest, DatasetReader.Open(root).Info.Digest);
        Assert.Equal(digest, Manifest.ComputeDigest(DatasetReader.Open(root).Manifest.Samples));
        Assert.DoesNotContain("README.md", File.ReadAllText(Path.Combine(root, Manifest.FileName)));
    }

    [Fact]
    public void Exported_COCO_file_is_listed_with_its_hash_and_a_stale_hash_is_replaced()
    {
        var (root, spec, project) = Built(samples: 6);
        // An export folder as the exporter leaves it: stamped, with COCO files carrying segmentation.
        string coco = Path.Combine(root, "exports", "coco");
        Directory.CreateDirectory(coco);
        File.WriteAllText(Path.Combine(coco, ".synthexport"), "stamp");
        File.WriteAllText(Path.Combine(coco, "instances_train.json"), """{"images":[],"annotations":[{"id":1,"segmentation":[[0,0,1,0,1,1]]}],"categories":[{"id":1,"name":"box"}]}""");
        var first = DatasetCard.Write(new DatasetCardRequest(root, project, spec, "mit"));
        Assert.True(first.Succeeded, string.Join("\n", first.Diagnostics));
        var fm = CardChecks.FrontMatter(first.Readme!);
        Assert.Contains("image-segmentation", CardChecks.Strings(fm, "task_categories"));
        var config = ((List<object>)fm["configs"]).Cast<Dictionary<object, object>>().Single();
        Assert.Equal("coco", config["config_name"]);
        var files = ((List<object>)config["data_files"]).Cast<Dictionary<object, object>>().Single();
        Assert.Equal("exports/coco/instances_train.json", files["path"]);
        CardChecks.CheckCroissant(root).Dispose();

        // The export changes: the card follows (only the card files are written).
        File.WriteAllText(Path.Combine(coco, "instances_train.json"), """{"images":[],"annotations":[],"categories":[{"id":1,"name":"box"}]}""");
        Assert.ThrowsAny<Exception>(() => CardChecks.CheckCroissant(root)); // the check sees the stale hash
        var second = DatasetCard.Write(new DatasetCardRequest(root, project, spec, "mit"));
        Assert.True(second.Succeeded);
        Assert.Equal(2, second.FilesChanged); // the hash in croissant.json; the task list in README.md (no masks now)
        CardChecks.CheckCroissant(root).Dispose();
        Assert.DoesNotContain("image-segmentation", CardChecks.Strings(CardChecks.FrontMatter(second.Readme!), "task_categories"));
    }

    [Fact]
    public void Unknown_license_is_SYN6070_at_the_property_and_leaves_the_card_alone()
    {
        var (root, spec, project) = Built(samples: 4);
        Assert.True(DatasetCard.Write(new DatasetCardRequest(root, project, spec, "CC-BY-SA-4.0")).Succeeded); // SPDX spelling is accepted
        var before = SmallDataset.Snapshot(root);
        File.WriteAllText(project, "<Project>\n  <PropertyGroup>\n    <SynthLicense>free-for-all</SynthLicense>\n  </PropertyGroup>\n</Project>\n");
        var bad = DatasetCard.Write(new DatasetCardRequest(root, project, spec, "free-for-all"));
        Assert.False(bad.Succeeded);
        Diagnostic d = Assert.Single(bad.Diagnostics);
        Assert.Equal(SynCodes.InvalidDatasetLicense, d.Code);
        Assert.Equal(project, d.File);
        Assert.Equal((3, 5), (d.Line, d.Column));
        Assert.Contains("SynthLicense", d.Message);
        Assert.Contains("'free-for-all'", d.Message);
        Assert.Contains("cc-by-4.0", d.Message);
        Assert.Equal(before, SmallDataset.Snapshot(root));
    }

    [Fact]
    public void A_users_own_README_is_never_overwritten()
    {
        var (root, spec, project) = Built(samples: 4);
        string readme = Path.Combine(root, "README.md");
        File.WriteAllText(readme, "# my notes\n");
        var r = DatasetCard.Write(new DatasetCardRequest(root, project, spec));
        Assert.False(r.Succeeded);
        Assert.Equal(SynCodes.DatasetCardFailed, Assert.Single(r.Diagnostics).Code);
        Assert.Equal(readme, r.Diagnostics[0].File);
        Assert.Equal("# my notes\n", File.ReadAllText(readme));
        Assert.False(File.Exists(Path.Combine(root, "croissant.json")));
        Assert.Equal(0, DatasetCard.Clean(root)); // clean leaves it too
        Assert.True(File.Exists(readme));
    }

    [Fact]
    public void No_dataset_is_SYN6071_naming_the_folder()
    {
        string empty = SmallDataset.TempDir();
        var r = DatasetCard.Write(new DatasetCardRequest(empty, Path.Combine(empty, "x.synthproj"), SmallDataset.Spec()));
        Assert.Equal(SynCodes.DatasetCardFailed, Assert.Single(r.Diagnostics).Code);
        Assert.Contains("dataset.json", r.Diagnostics[0].Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty));
    }

    [Theory]
    [InlineData(0, "n<1K")]
    [InlineData(999, "n<1K")]
    [InlineData(1000, "1K<n<10K")]
    [InlineData(99_999, "10K<n<100K")]
    [InlineData(100_000, "100K<n<1M")]
    [InlineData(2_000_000_000, "n>1B")]
    public void Size_category_uses_the_hubs_buckets(long n, string bucket) => Assert.Equal(bucket, CardFacts.SizeCategory(n));
}
