using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;

namespace SynthBuild.Lineage.Tests;

/// <summary>Hostile archives and consistently edited releases: verify and extract refuse the same things.</summary>
public class ReleaseTamperingTests
{
    private const string Top = "small-1.2.0/";

    public static TheoryData<string, string, string> HostileEntries => new()
    {
        { "dot-dot directory", Top + "../outside/", "'..'" },
        { "absolute directory", "/tmp/synth-hostile-dir/", "absolute" },
        { "dot-dot file", Top + "../../outside.txt", "'..'" },
        { "absolute file", "/tmp/synth-hostile-file.txt", "absolute" },
        { "symbolic link", Top + "rgb/link.png", "SymbolicLink" },
        { "symbolic link to ../", Top + "rgb/up.png", "SymbolicLink" },
        { "dot-dot symbolic link", Top + "../../outside-link.png", "SymbolicLink" },
        { "absolute symbolic link", "/tmp/synth-hostile-link.png", "SymbolicLink" },
        { "hard link", Top + "rgb/hard.png", "HardLink" },
        { "hard link to ../", Top + "rgb/hard-up.png", "HardLink" },
        { "hard link to an absolute path", Top + "rgb/hard-abs.png", "HardLink" },
        { "dot-dot hard link", Top + "../../outside-hard.png", "HardLink" },
        { "absolute hard link", "/tmp/synth-hostile-hard.png", "HardLink" },
        { "character device", Top + "rgb/null", "CharacterDevice" },
        { "duplicate file", Top + "rgb/000000.png", "appears twice" },
        { "file under a file", Top + "rgb/000000.png/inner.png", "under a file" },
    };

    [Theory]
    [MemberData(nameof(HostileEntries))]
    public void A_release_with_one_hostile_entry_is_refused_by_verify_and_by_extract_with_SYN6023(string kind, string name, string why)
    {
        var f = new LineageFixture();
        var r = DatasetRelease.Create(f.Release());
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        string dir = SmallDataset.TempDir();
        string hostile = Path.Combine(dir, "small-1.2.0.tar.gz");
        Copy(r.Archive!, hostile, _ => true, extra: kind switch
        {
            "symbolic link" or "absolute symbolic link" => new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = "/etc/passwd" },
            "symbolic link to ../" => new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = "../../../outside.txt" },
            "dot-dot symbolic link" => new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = "rgb/000000.png" },
            "hard link" or "dot-dot hard link" or "absolute hard link" => new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = Top + "rgb/000000.png" },
            "hard link to ../" => new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = Top + "../../outside.txt" },
            "hard link to an absolute path" => new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = "/etc/passwd" },
            "character device" => new PaxTarEntry(TarEntryType.CharacterDevice, name) { DeviceMajor = 1, DeviceMinor = 3 },
            "duplicate file" or "file under a file" or "dot-dot file" or "absolute file"
                => new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream([7]) },
            _ => new PaxTarEntry(TarEntryType.Directory, name),
        });

        var verify = ReleaseVerifier.Verify(hostile);
        var unsafeEntry = Assert.Single(verify.Problems, p => p.Code == SynCodes.UnsafeArchiveEntry);
        Assert.Contains(name, unsafeEntry.Message);
        Assert.Contains(why, unsafeEntry.Message);
        Assert.False(verify.Ok);

        // Extracting into an empty folder that is already there: refused, and the folder stays empty.
        string dest = Path.Combine(dir, "out");
        Directory.CreateDirectory(dest);
        var extract = ReleaseArchive.Extract(hostile, dest);
        var refused = Assert.Single(extract);
        Assert.Equal(SynCodes.UnsafeArchiveEntry, refused.Code);
        Assert.Contains(name, refused.Message);
        Assert.Contains(why, refused.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dest)); // nothing at all was written
        Assert.Equal(["out", "small-1.2.0.tar.gz"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order());
        Assert.False(Directory.Exists("/tmp/synth-hostile-dir"));
        foreach (string leaf in new[] { "file.txt", "link.png", "hard.png" }) Assert.False(File.Exists("/tmp/synth-hostile-" + leaf));
    }

    [Fact]
    public void A_safe_directory_entry_is_accepted_by_both_so_the_rules_refuse_only_what_is_unsafe()
    {
        var f = new LineageFixture();
        var r = DatasetRelease.Create(f.Release());
        string dir = SmallDataset.TempDir();
        string withDirs = Path.Combine(dir, "small-1.2.0.tar.gz");
        Copy(r.Archive!, withDirs, _ => true, extra: new PaxTarEntry(TarEntryType.Directory, Top + "rgb/"));
        var report = ReleaseVerifier.Verify(withDirs);
        Assert.True(report.Ok, string.Join("\n", report.Problems));
        Assert.Empty(ReleaseArchive.Extract(withDirs, Path.Combine(dir, "out")));
    }

    [Fact]
    public void Links_in_an_extracted_release_folder_are_refused_with_SYN6023_and_never_followed()
    {
        var f = new LineageFixture();
        var r = DatasetRelease.Create(f.Release());
        string dest = SmallDataset.TempDir();
        Assert.Empty(ReleaseArchive.Extract(r.Archive!, dest));
        string root = Path.Combine(dest, "small-1.2.0");
        string outside = Path.Combine(SmallDataset.TempDir(), "secret.txt");
        File.WriteAllText(outside, "not part of the release");
        File.CreateSymbolicLink(Path.Combine(root, "rgb", "link.png"), outside);
        Directory.CreateSymbolicLink(Path.Combine(root, "linked-dir"), Path.GetDirectoryName(outside)!);
        var report = ReleaseVerifier.Verify(dest);
        Assert.Equal(2, report.Problems.Count); // the linked folder's file is not hashed as an extra file either
        Assert.All(report.Problems, p => Assert.Equal(SynCodes.UnsafeArchiveEntry, p.Code));
        Assert.Contains(report.Problems, p => p.Message.Contains("'rgb/link.png' is a link"));
        Assert.Contains(report.Problems, p => p.Message.Contains("'linked-dir' is a link"));
    }

    [Fact]
    public void Files_manifest_and_release_json_edited_consistently_are_caught_by_the_dataset_json_digest_then_by_the_git_tag()
    {
        var f = new LineageFixture();
        var r = DatasetRelease.Create(f.Release());
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        // The untouched release, verified where its tag lives, is checked against the tag.
        var clean = ReleaseVerifier.Verify(r.Archive!);
        Assert.True(clean.Ok, string.Join("\n", clean.Problems));
        Assert.Equal("small/v1.2.0", clean.Tag);

        string dest = SmallDataset.TempDir();
        Assert.Empty(ReleaseArchive.Extract(r.Archive!, dest));
        string root = Path.Combine(dest, "small-1.2.0");
        Assert.Null(ReleaseVerifier.Verify(dest).Tag); // outside any repository: no tag at hand

        // Replace one image and make the manifest and release.json agree with it.
        File.WriteAllBytes(Path.Combine(root, "rgb", "000000.png"), File.ReadAllBytes(Path.Combine(root, "rgb", "000001.png")));
        string forged = ForgeManifest(root);
        SetDigest(root, DatasetRelease.ReleaseFile, forged);
        RehashInRelease(root, Manifest.FileName);
        var first = ReleaseVerifier.Verify(dest);
        var caught = Assert.Single(first.Problems);
        Assert.Equal(SynCodes.ReleaseFileAltered, caught.Code);
        Assert.Contains("dataset.json says", caught.Message);

        // Also edit dataset.json and its hash in release.json: nothing inside the folder disagrees any more, but the
        // annotated tag the release made still records the digest that was released.
        SetDigest(root, DatasetLayout.DatasetFile, forged);
        RehashInRelease(root, DatasetLayout.DatasetFile);
        Assert.True(ReleaseVerifier.Verify(dest).Ok); // the documented limit without the repository
        var inRepo = ReleaseVerifier.Verify(dest, repository: f.Dir);
        var tagged = Assert.Single(inRepo.Problems);
        Assert.Equal(SynCodes.ReleaseTagMismatch, tagged.Code);
        Assert.Contains("small/v1.2.0", tagged.Message);
        Assert.Contains("dataset digest", tagged.Message);
        Assert.Equal("small/v1.2.0", inRepo.Tag);
    }

    [Fact]
    public void A_release_record_naming_another_tag_or_commit_is_SYN_tag_mismatch()
    {
        var f = new LineageFixture();
        var r = DatasetRelease.Create(f.Release());
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        File.WriteAllText(Path.Combine(f.Dir, "later.txt"), "later");
        string other = f.Commit("a later commit"); // a real commit of the repository, not the released one
        string released;
        using (var repo = new LibGit2Sharp.Repository(f.Dir)) released = repo.Tags["small/v1.2.0"].PeeledTarget.Sha;
        Assert.NotEqual(released, other);

        string dest = SmallDataset.TempDir();
        Assert.Empty(ReleaseArchive.Extract(r.Archive!, dest));
        string root = Path.Combine(dest, "small-1.2.0");
        Assert.True(ReleaseVerifier.Verify(dest, repository: f.Dir).Ok);

        Edit(root, json => json["git"]!["commit"] = other);
        var commit = Assert.Single(ReleaseVerifier.Verify(dest, repository: f.Dir).Problems);
        Assert.Equal(SynCodes.ReleaseTagMismatch, commit.Code);
        Assert.Contains($"the tag points at commit {released[..12]}", commit.Message);
        Assert.Contains($"says {other[..12]}", commit.Message);

        Edit(root, json => { json["git"]!["commit"] = released; json["tag"] = "small/v9.9.9"; });
        var tag = Assert.Single(ReleaseVerifier.Verify(dest, repository: f.Dir).Problems);
        Assert.Equal(SynCodes.ReleaseTagMismatch, tag.Code);
        Assert.Contains("names tag 'small/v9.9.9'", tag.Message);
    }

    [Fact]
    public void A_lightweight_tag_in_place_of_the_release_tag_is_SYN_tag_mismatch()
    {
        var f = new LineageFixture();
        var r = DatasetRelease.Create(f.Release());
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        using (var repo = new LibGit2Sharp.Repository(f.Dir))
        {
            // Same name, same commit, but no annotation recording the digest and archive hash a release writes.
            var commit = repo.Tags["small/v1.2.0"].PeeledTarget;
            repo.Tags.Remove("small/v1.2.0");
            repo.Tags.Add("small/v1.2.0", commit);
            Assert.False(repo.Tags["small/v1.2.0"].IsAnnotated);
        }
        var report = ReleaseVerifier.Verify(r.Archive!);
        var d = Assert.Single(report.Problems);
        Assert.Equal(SynCodes.ReleaseTagMismatch, d.Code);
        Assert.Contains("not the annotated tag a release creates", d.Message);
        Assert.False(report.Ok);
    }

    private static void Edit(string root, Action<JsonNode> edit)
    {
        string path = Path.Combine(root, DatasetRelease.ReleaseFile);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    [Fact]
    public void An_archive_rewritten_with_a_matching_sha256_file_is_caught_by_the_archive_hash_in_the_tag()
    {
        var f = new LineageFixture();
        var r = DatasetRelease.Create(f.Release());
        // Same entries, recompressed, with a new .sha256 beside it: only the tag still knows the released bytes.
        string copy = Path.Combine(f.Dir, "bin", "copy", "small-1.2.0.tar.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        Copy(r.Archive!, copy, _ => true, extra: null, level: CompressionLevel.NoCompression);
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(copy)));
        File.WriteAllText(copy + ".sha256", $"{sha}  small-1.2.0.tar.gz\n");
        var report = ReleaseVerifier.Verify(copy);
        var d = Assert.Single(report.Problems);
        Assert.Equal(SynCodes.ReleaseTagMismatch, d.Code);
        Assert.Contains("archive SHA-256", d.Message);
    }

    private static string ForgeManifest(string root)
    {
        string file = Path.Combine(root, Manifest.FileName);
        var m = Manifest.TryRead(file, out _)!;
        var samples = m.Samples.Select(s => s with
        {
            Files = s.Files.Select(x => x with
            {
                Sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, x.Path)))),
                Size = new FileInfo(Path.Combine(root, x.Path)).Length,
            }).ToList(),
        }).ToList();
        string digest = Manifest.ComputeDigest(samples);
        Assert.NotEqual(m.Digest, digest);
        File.WriteAllBytes(file, (m with { Samples = samples, Digest = digest }).ToJsonBytes());
        return digest;
    }

    private static void SetDigest(string root, string file, string digest)
    {
        string path = Path.Combine(root, file);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["digest"] = digest;
        File.WriteAllText(path, json.ToJsonString());
    }

    private static void RehashInRelease(string root, string rel)
    {
        string path = Path.Combine(root, DatasetRelease.ReleaseFile);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        var entry = json["files"]!.AsArray().Single(e => (string?)e!["path"] == rel)!;
        byte[] bytes = File.ReadAllBytes(Path.Combine(root, rel));
        entry["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes));
        entry["size"] = bytes.Length;
        File.WriteAllText(path, json.ToJsonString());
    }

    private static void Copy(string from, string to, Func<TarEntry, bool> keep, TarEntry? extra,
        CompressionLevel level = CompressionLevel.Fastest)
    {
        using var input = File.OpenRead(from);
        using var gzIn = new GZipStream(input, CompressionMode.Decompress);
        using var reader = new TarReader(gzIn);
        using var output = File.Create(to);
        using var gzOut = new GZipStream(output, level);
        using var writer = new TarWriter(gzOut, TarEntryFormat.Pax);
        while (reader.GetNextEntry(copyData: true) is { } e)
            if (keep(e)) writer.WriteEntry(e);
        if (extra is not null) writer.WriteEntry(extra);
    }
}
