using System.Formats.Tar;
using System.IO.Compression;
using LibGit2Sharp;
using SynthBuild.Core.Diagnostics;
using SynthBuild.TestSupport;

namespace SynthBuild.Lineage.Tests;

public class DatasetReleaseTests
{
    [Fact]
    public void Release_writes_archive_checksum_and_tag_and_verifies()
    {
        var f = new LineageFixture();
        File.WriteAllText(f.LogFile, "{}\n");
        var r = DatasetRelease.Create(f.Release());
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        Assert.Equal(Path.Combine(f.ReleaseDir, "small-1.2.0.tar.gz"), r.Archive);
        Assert.Equal($"{r.Sha256}  small-1.2.0.tar.gz\n", File.ReadAllText(r.Archive + ".sha256"));
        Assert.Equal("small/v1.2.0", r.Tag);
        using (var repo = new Repository(f.Dir)) Assert.Equal(repo.Head.Tip.Sha, repo.Tags["small/v1.2.0"].PeeledTarget.Sha);
        Assert.False(File.GetUnixFileMode(r.Archive!).HasFlag(UnixFileMode.UserWrite));

        var names = Entries(r.Archive!).Select(e => e.Name).ToList();
        Assert.Contains("small-1.2.0/release.json", names);
        Assert.Contains("small-1.2.0/manifest.json", names);
        Assert.Contains("small-1.2.0/dataset.json", names);
        Assert.Contains("small-1.2.0/rgb/000000.png", names);
        Assert.Contains("small-1.2.0/lineage/lineage.jsonl", names);

        var report = ReleaseVerifier.Verify(r.Archive!);
        Assert.True(report.Ok, string.Join("\n", report.Problems));
        string dest = SmallDataset.TempDir();
        Assert.Empty(ReleaseArchive.Extract(r.Archive!, dest));
        Assert.True(ReleaseVerifier.Verify(dest).Ok);
    }

    [Fact]
    public void Dirty_tree_is_refused_with_SYN6012_and_nothing_is_written()
    {
        var f = new LineageFixture();
        File.AppendAllText(f.ConfigFile, "\n");
        var r = DatasetRelease.Create(f.Release());
        var d = Assert.Single(r.Diagnostics);
        Assert.Equal(SynCodes.ReleaseDirtyTree, d.Code);
        Assert.Contains("synth.json", d.Message);
        Assert.False(Directory.Exists(f.ReleaseDir));
        using var repo = new Repository(f.Dir);
        Assert.Empty(repo.Tags);
    }

    [Fact]
    public void Existing_version_is_refused_with_SYN6013_and_existing_tag_with_SYN6014()
    {
        var f = new LineageFixture();
        Assert.True(DatasetRelease.Create(f.Release()).Succeeded);
        var again = DatasetRelease.Create(f.Release());
        Assert.Equal([SynCodes.ReleaseVersionExists, SynCodes.ReleaseTagExists], again.Diagnostics.Select(d => d.Code).Order());

        using (var repo = new Repository(f.Dir)) repo.ApplyTag("small/v2.0.0");
        var tagOnly = DatasetRelease.Create(f.Release("2.0.0"));
        Assert.Equal(SynCodes.ReleaseTagExists, Assert.Single(tagOnly.Diagnostics).Code);
        Assert.False(File.Exists(Path.Combine(f.ReleaseDir, "small-2.0.0.tar.gz")));
    }

    [Fact]
    public void Failing_gates_are_refused_with_SYN6015()
    {
        var f = new LineageFixture();
        Assert.Equal(SynCodes.ReleaseGatesFailed, Assert.Single(DatasetRelease.Create(f.Release(buildSucceeded: false)).Diagnostics).Code);
        Directory.CreateDirectory(Path.Combine(f.DatasetRoot, "reports"));
        File.WriteAllText(Path.Combine(f.DatasetRoot, "reports", "quality.json"), """{ "passed": false }""");
        var d = Assert.Single(DatasetRelease.Create(f.Release()).Diagnostics);
        Assert.Equal(SynCodes.ReleaseGatesFailed, d.Code);
        Assert.EndsWith("quality.json", d.File);
    }

    [Fact]
    public void Bad_semver_is_refused_with_SYN6010_at_the_DatasetVersion_line()
    {
        var f = new LineageFixture(version: "1.2");
        var d = Assert.Single(DatasetRelease.Create(f.Release("1.2")).Diagnostics);
        Assert.Equal(SynCodes.BadDatasetVersion, d.Code);
        Assert.Equal(f.ProjectFile, d.File);
        Assert.Equal(3, d.Line);
        Assert.Equal(5, d.Column);
        Assert.Contains("found '1.2'", d.Message);
        Assert.True(DatasetVersion.IsValid("1.0.0-rc.1+build.5"));
        Assert.False(DatasetVersion.IsValid("01.0.0"));
    }

    [Fact]
    public void Outside_a_repository_release_is_refused_with_SYN6011()
    {
        var f = new LineageFixture(git: false);
        Assert.Equal(SynCodes.ReleaseNotInRepository, Assert.Single(DatasetRelease.Create(f.Release()).Diagnostics).Code);
    }

    [Fact]
    public void Altered_dataset_is_refused_with_SYN6016()
    {
        var f = new LineageFixture();
        File.WriteAllBytes(Path.Combine(f.DatasetRoot, "rgb", "000001.png"), [0]);
        var d = Assert.Single(DatasetRelease.Create(f.Release()).Diagnostics);
        Assert.Equal(SynCodes.ReleaseDatasetNotIntact, d.Code);
        Assert.Contains("rgb/000001.png", d.Message);
    }

    [Fact]
    public void Verify_reports_every_altered_missing_and_extra_file_of_a_tampered_archive()
    {
        var f = new LineageFixture();
        var r = DatasetRelease.Create(f.Release());
        Assert.True(r.Succeeded);
        string tampered = Path.Combine(SmallDataset.TempDir(), "small-1.2.0.tar.gz");
        Rewrite(r.Archive!, tampered, e => e.Name switch
        {
            "small-1.2.0/rgb/000000.png" => (e.Name, new byte[] { 1, 2, 3 }),
            "small-1.2.0/dataset.json" => (e.Name, "{}"u8.ToArray()),
            "small-1.2.0/depth/000002.png" => null,
            _ => (e.Name, Read(e)),
        }, extra: ("small-1.2.0/rgb/extra.png", [9]));
        File.Copy(r.Archive + ".sha256", tampered + ".sha256");

        var report = ReleaseVerifier.Verify(tampered);
        string all = string.Join("\n", report.Problems);
        Assert.Contains(report.Problems, p => p.Code == SynCodes.ReleaseFileAltered && p.Message.Contains("rgb/000000.png"));
        Assert.Contains(report.Problems, p => p.Code == SynCodes.ReleaseFileAltered && p.Message.Contains("dataset.json"));
        Assert.Contains(report.Problems, p => p.Code == SynCodes.ReleaseFileMissing && p.Message.Contains("depth/000002.png"));
        Assert.Contains(report.Problems, p => p.Code == SynCodes.ReleaseFileExtra && p.Message.Contains("rgb/extra.png"));
        Assert.Contains(report.Problems, p => p.Code == SynCodes.ArchiveChecksumMismatch);
        // The replaced dataset.json names no digest, so nothing ties the release to the dataset that was built.
        Assert.Contains(report.Problems, p => p.Code == SynCodes.ReleaseFileMissing && p.Message.Contains("dataset.json is missing or names no digest"));
        Assert.Equal(6, report.Problems.Count);
    }

    [Fact]
    public void Extraction_refuses_path_traversal_absolute_paths_and_links()
    {
        string dir = SmallDataset.TempDir();
        string archive = Path.Combine(dir, "evil.tar.gz");
        using (var fs = File.Create(archive))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gz))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "rel/ok.txt") { DataStream = new MemoryStream([1]) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "rel/../../escaped.txt") { DataStream = new MemoryStream([2]) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "/tmp/absolute-synth.txt") { DataStream = new MemoryStream([3]) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "rel/link") { LinkName = "/etc/passwd" });
        }
        string dest = Path.Combine(dir, "out");
        var problems = ReleaseArchive.Extract(archive, dest);
        Assert.Equal(3, problems.Count);
        Assert.All(problems, p => Assert.Equal(SynCodes.UnsafeArchiveEntry, p.Code));
        Assert.Contains(problems, p => p.Message.Contains("rel/../../escaped.txt") && p.Message.Contains(".."));
        Assert.Contains(problems, p => p.Message.Contains("/tmp/absolute-synth.txt") && p.Message.Contains("absolute"));
        Assert.Contains(problems, p => p.Message.Contains("rel/link") && p.Message.Contains("SymbolicLink"));
        // All or nothing: an archive with one unsafe entry is not extracted at all.
        Assert.False(File.Exists(Path.Combine(dest, "rel", "ok.txt")));
        Assert.False(File.Exists(Path.Combine(dir, "escaped.txt")));
        Assert.False(File.Exists(Path.Combine(dest, "rel", "link")));
        Assert.False(File.Exists("/tmp/absolute-synth.txt"));
        Assert.Contains(ReleaseVerifier.Verify(archive).Problems, p => p.Code == SynCodes.UnsafeArchiveEntry);
    }

    [Fact]
    public void Extraction_refuses_hard_links_duplicates_and_a_destination_that_is_not_empty()
    {
        string dir = SmallDataset.TempDir();
        string archive = Path.Combine(dir, "links.tar.gz");
        using (var fs = File.Create(archive))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gz))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "r/a.txt") { DataStream = new MemoryStream([1]) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "r/hard") { LinkName = "/etc/passwd" });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "r/./a.txt") { DataStream = new MemoryStream([2]) });
        }
        var problems = ReleaseArchive.Extract(archive, Path.Combine(dir, "out"));
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Message.Contains("HardLink"));
        Assert.Contains(problems, p => p.Message.Contains("appears twice"));
        Assert.False(Directory.Exists(Path.Combine(dir, "out", "r")));

        string busy = Path.Combine(dir, "busy");
        Directory.CreateDirectory(busy);
        File.WriteAllText(Path.Combine(busy, "keep.txt"), "mine");
        var f = new LineageFixture();
        var r = DatasetRelease.Create(f.Release());
        var refusal = Assert.Single(ReleaseArchive.Extract(r.Archive!, busy));
        Assert.Equal(SynCodes.ExtractDestinationNotEmpty, refusal.Code);
        Assert.Contains("empty destination", refusal.Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(busy, "keep.txt")));
    }

    [Fact]
    public void Verify_of_an_extracted_folder_lists_every_missing_extra_and_altered_file()
    {
        var f = new LineageFixture();
        Assert.True(LineageRecorder.Record(f.Lineage()).Succeeded);
        var r = DatasetRelease.Create(f.Release());
        string dest = SmallDataset.TempDir();
        Assert.Empty(ReleaseArchive.Extract(r.Archive!, dest));
        string root = Path.Combine(dest, "small-1.2.0");
        File.Delete(Path.Combine(root, "segmentation", "000001.png"));
        File.WriteAllText(Path.Combine(root, "annotations", "000000.json"), "{}");
        File.WriteAllText(Path.Combine(root, "lineage", "lineage.jsonl"), "edited\n");
        File.WriteAllText(Path.Combine(root, "notes.txt"), "extra");
        var report = ReleaseVerifier.Verify(dest);
        Assert.Equal(4, report.Problems.Count);
        Assert.Contains(report.Problems, p => p.Code == SynCodes.ReleaseFileMissing && p.Message.Contains("segmentation/000001.png"));
        Assert.Contains(report.Problems, p => p.Code == SynCodes.ReleaseFileAltered && p.Message.Contains("annotations/000000.json"));
        Assert.Contains(report.Problems, p => p.Code == SynCodes.ReleaseFileAltered && p.Message.Contains("lineage/lineage.jsonl"));
        Assert.Contains(report.Problems, p => p.Code == SynCodes.ReleaseFileExtra && p.Message.Contains("notes.txt"));
    }

    [Fact]
    public void A_repository_without_commits_is_refused_with_SYN6018()
    {
        var f = new LineageFixture(git: false);
        Repository.Init(f.Dir);
        var codes = DatasetRelease.Create(f.Release()).Diagnostics.Select(d => d.Code).ToList();
        Assert.Contains(SynCodes.ReleaseNoCommit, codes);
        Assert.False(Directory.Exists(f.ReleaseDir));
    }

    [Fact]
    public void A_gate_the_build_switched_off_still_blocks_a_release_and_the_report_format_of_the_quality_stage_is_read()
    {
        var f = new LineageFixture();
        Directory.CreateDirectory(Path.Combine(f.DatasetRoot, "reports"));
        string report = Path.Combine(f.DatasetRoot, "reports", "quality.json");
        File.WriteAllText(report, """
            { "schemaVersion": 1, "gates": [
              { "name": "label-errors", "severity": "error", "enabled": true, "passed": true },
              { "name": "class-balance", "severity": "warning", "enabled": true, "passed": false },
              { "name": "min-objects-per-image", "severity": "error", "enabled": false, "passed": false } ] }
            """);
        var d = Assert.Single(DatasetRelease.Create(f.Release()).Diagnostics);
        Assert.Equal(SynCodes.ReleaseGatesFailed, d.Code);
        Assert.Contains("min-objects-per-image", d.Message);
        Assert.DoesNotContain("class-balance", d.Message); // a warning gate never blocks
        Assert.Empty(QualityMetrics.FailedGates(f.DatasetRoot)); // the build itself did not enforce it
    }

    private static List<TarEntry> Entries(string archive)
    {
        using var fs = File.OpenRead(archive);
        using var gz = new GZipStream(fs, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        var list = new List<TarEntry>();
        while (tar.GetNextEntry() is { } e) list.Add(e);
        return list;
    }

    private static byte[] Read(TarEntry e)
    {
        using var ms = new MemoryStream();
        e.DataStream?.CopyTo(ms);
        return ms.ToArray();
    }

    private static void Rewrite(string from, string to, Func<TarEntry, (string Name, byte[] Bytes)?> map, (string Name, byte[] Bytes) extra)
    {
        using var input = File.OpenRead(from);
        using var gzIn = new GZipStream(input, CompressionMode.Decompress);
        using var reader = new TarReader(gzIn);
        using var output = File.Create(to);
        using var gzOut = new GZipStream(output, CompressionLevel.Fastest);
        using var writer = new TarWriter(gzOut, TarEntryFormat.Pax);
        while (reader.GetNextEntry() is { } e)
            if (map(e) is { } m) writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, m.Name) { DataStream = new MemoryStream(m.Bytes) });
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, extra.Name) { DataStream = new MemoryStream(extra.Bytes) });
    }
}
