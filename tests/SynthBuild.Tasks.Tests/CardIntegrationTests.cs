using System.Text.Json;
using System.Text.RegularExpressions;
using LibGit2Sharp;
using SynthBuild.Lineage;
using SynthBuild.Lineage.Tests;

namespace SynthBuild.Tasks.Tests;

[Collection("dotnet build")]
public class CardIntegrationTests
{
    private static readonly Dictionary<string, string> NoServer = new() { ["MLFLOW_TRACKING_URI"] = "" };

    private const string Items = """
          <PropertyGroup>
            <SynthLicense>CC-BY-4.0</SynthLicense>
            <Description>Card test objects.</Description>
          </PropertyGroup>
          <ItemGroup>
            <SynthExport Include="coco" />
            <SynthExport Include="yolo" />
          </ItemGroup>
        """;

    [Fact]
    public void Build_writes_a_card_that_matches_the_exports_rebuild_keeps_it_and_release_carries_it()
    {
        var p = LineageIntegrationTests.InRepository("0.3.0", Items);
        var build = p.Build("", NoServer);
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("Dataset card:", build.Output);
        string readme = Path.Combine(p.OutputDir, "README.md");

        var fm = CardChecks.FrontMatter(readme);
        Assert.Equal("cc-by-4.0", fm["license"]);
        Assert.Contains("image-segmentation", CardChecks.Strings(fm, "task_categories")); // COCO carries polygons by default
        var configs = ((List<object>)fm["configs"]).Cast<Dictionary<object, object>>().ToList();
        Assert.Equal(["coco", "yolo"], configs.Select(c => (string)c["config_name"]));
        foreach (var file in ((List<object>)configs[0]["data_files"]).Cast<Dictionary<object, object>>())
            Assert.True(File.Exists(Path.Combine(p.OutputDir, (string)file["path"])), (string)file["path"]);
        foreach (var file in ((List<object>)configs[1]["data_files"]).Cast<Dictionary<object, object>>())
            Assert.NotEmpty(CardChecks.Glob(p.OutputDir, (string)file["path"]));
        var splits = CardChecks.Splits(fm);
        foreach (var (name, counts) in CardChecks.ManifestSplits(p.OutputDir)) Assert.Equal(counts, splits[name]);

        // Class counts per split in the prose equal the COCO export's annotations per category.
        string text = File.ReadAllText(readme);
        foreach (string split in splits.Keys.Where(s => splits[s].Examples > 0))
        {
            using var coco = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(p.OutputDir, "exports", "coco", $"instances_{split}.json")));
            var perCategory = coco.RootElement.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("id").GetInt32())
                .Select(id => coco.RootElement.GetProperty("annotations").EnumerateArray().Count(a => a.GetProperty("category_id").GetInt32() == id));
            Assert.Contains($"| {split} | {splits[split].Examples} | {string.Join(" | ", perCategory)} |", text);
        }
        Assert.Contains("Card test objects.", text);

        using (var croissant = CardChecks.CheckCroissant(p.OutputDir))
        {
            var d = croissant.RootElement;
            Assert.Equal("0.3.0", d.GetProperty("version").GetString());
            Assert.Equal("Card test objects.", d.GetProperty("description").GetString());
            DateTimeOffset commitTime;
            using (var repo = new Repository(p.Directory)) commitTime = repo.Head.Tip.Committer.When;
            Assert.Equal(commitTime.ToUniversalTime(), DateTimeOffset.Parse(d.GetProperty("datePublished").GetString()!));
            var files = d.GetProperty("distribution").EnumerateArray().Select(e => e.GetProperty("@id").GetString()).ToList();
            Assert.Contains("exports/coco/instances_train.json", files);
            Assert.Contains("yolo-labels", files);
        }

        // An unchanged rebuild rewrites nothing, card included, and the digest stays.
        string digest = p.Digest();
        var before = p.Snapshot();
        var noop = p.Build("", NoServer);
        Assert.True(noop.ExitCode == 0, noop.ToString());
        Assert.Contains("croissant.json (up to date)", noop.Output);
        Assert.Equal(before, p.Snapshot());
        Assert.Equal(digest, p.Digest());

        // The release archive carries the card; release.json hashes it, so verify catches an edited card.
        var release = p.Build("-t:Release", NoServer);
        Assert.True(release.ExitCode == 0, release.ToString());
        string archive = Path.Combine(p.Directory, "releases", "demo-0.3.0.tar.gz");
        string dest = Path.Combine(p.Directory, "extracted");
        Assert.Empty(ReleaseArchive.Extract(archive, dest));
        string top = Path.Combine(dest, "demo-0.3.0");
        using (var rel = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(top, "release.json"))))
        {
            var listed = rel.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()).ToList();
            Assert.Contains("README.md", listed);
            Assert.Contains("croissant.json", listed);
        }
        Assert.Equal(File.ReadAllText(readme), File.ReadAllText(Path.Combine(top, "README.md")));
        CardChecks.CheckCroissant(top).Dispose(); // the hashes hold inside the release too
        Assert.True(ReleaseVerifier.Verify(top).Ok);
        File.AppendAllText(Path.Combine(top, "README.md"), "edited\n");
        var tampered = ReleaseVerifier.Verify(top);
        Assert.False(tampered.Ok);
        Assert.Contains(tampered.Problems, d => d.Message.Contains("README.md"));

        // Clean removes the card with the dataset.
        var clean = DotnetCli.Run(p.Directory, "clean -nologo -v:n -tl:off --disable-build-servers -nodeReuse:false");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.False(Directory.Exists(p.OutputDir), "dataset folder should be gone");
    }

    [Fact]
    public void Unknown_license_fails_the_build_at_the_property_with_SYN6070()
    {
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 3), projectItems: """
              <PropertyGroup>
                <SynthLicense>whatever-1.0</SynthLicense>
              </PropertyGroup>
            """);
        var r = p.Build();
        Assert.Equal(1, r.ExitCode);
        int line = File.ReadAllLines(p.ProjectFile).ToList().FindIndex(l => l.Contains("<SynthLicense>")) + 1;
        Assert.Matches(new Regex($@"demo\.synthproj\({line},\d+\): error SYN6070: SynthLicense: expected a license id .* found 'whatever-1\.0'"), r.Output);
        Assert.False(File.Exists(Path.Combine(p.OutputDir, "README.md")));
        Assert.False(File.Exists(Path.Combine(p.OutputDir, "croissant.json")));
    }
}
