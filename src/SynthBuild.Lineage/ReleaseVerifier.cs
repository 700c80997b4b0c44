using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using LibGit2Sharp;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Lineage;

/// <param name="Tag">The git tag the release was checked against; null when no repository at hand holds it.</param>
public sealed record VerifyReport(string Path, int FilesChecked, IReadOnlyList<Diagnostic> Problems, string? Tag = null)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// Checks a release, archived (.tar.gz) or extracted (a folder holding release.json), against its manifest and
/// release.json: reports every missing, extra or altered file, a digest that does not match, an archive whose SHA-256
/// differs from its .sha256 file, and archive entries that extraction would refuse (the same
/// <see cref="ReleaseArchive.Rules"/>, for every entry type). The release is tied to its dataset and its tag: the
/// digest recomputed from the manifest's entries must equal the manifest's, dataset.json's and release.json's, and
/// in a repository holding the tag &lt;dataset&gt;/v&lt;version&gt;, the tag's recorded digest, archive SHA-256 and
/// commit must match, so files, manifest and release.json edited consistently are still caught.
/// </summary>
public static class ReleaseVerifier
{
    /// <param name="repository">A folder inside the git repository whose release tag to check against; default:
    /// the repository holding <paramref name="path"/>, if any.</param>
    public static VerifyReport Verify(string path, string? repository = null)
    {
        path = System.IO.Path.GetFullPath(path);
        repository = repository is null ? null : System.IO.Path.GetFullPath(repository);
        if (File.Exists(path)) return VerifyArchive(path, repository ?? System.IO.Path.GetDirectoryName(path)!);
        if (Directory.Exists(path)) return VerifyFolder(path, repository ?? path);
        return new VerifyReport(path, 0, [Diagnostic.Error(SynCodes.NotARelease, "No release here: expected a .tar.gz release archive or an extracted release folder; found nothing.", path)]);
    }

    private static VerifyReport VerifyFolder(string folder, string repository)
    {
        string root = folder;
        if (!File.Exists(System.IO.Path.Combine(root, DatasetRelease.ReleaseFile)))
        {
            // The folder an archive was extracted into holds one <name>-<version>/ folder.
            var subs = Directory.GetDirectories(folder).Where(d => File.Exists(System.IO.Path.Combine(d, DatasetRelease.ReleaseFile))).ToList();
            if (subs.Count != 1)
                return new VerifyReport(folder, 0, [Diagnostic.Error(SynCodes.NotARelease, $"Not a release: expected {DatasetRelease.ReleaseFile} in this folder or in its one release folder; found none.", folder)]);
            root = subs[0];
        }
        var actual = new Dictionary<string, (string Sha, long Size)>(StringComparer.Ordinal);
        var problems = new List<Diagnostic>();
        // The folder rule of extraction: only regular files and folders. A link is reported, never followed or hashed
        // (its target could be any file on the machine).
        void Walk(DirectoryInfo dir)
        {
            foreach (var e in dir.EnumerateFileSystemInfos())
            {
                string rel = System.IO.Path.GetRelativePath(root, e.FullName).Replace('\\', '/');
                if (e.LinkTarget is not null)
                    problems.Add(Diagnostic.Error(SynCodes.UnsafeArchiveEntry, $"'{rel}' is a link to '{e.LinkTarget}' (a release holds only regular files and folders).", root));
                else if (e is DirectoryInfo sub) Walk(sub);
                else actual[rel] = (DatasetRelease.Sha256File(e.FullName), ((FileInfo)e).Length);
            }
        }
        Walk(new DirectoryInfo(root));
        byte[] release = File.ReadAllBytes(System.IO.Path.Combine(root, DatasetRelease.ReleaseFile));
        string manifestFile = System.IO.Path.Combine(root, Manifest.FileName);
        byte[]? manifest = File.Exists(manifestFile) ? File.ReadAllBytes(manifestFile) : null;
        string datasetFile = System.IO.Path.Combine(root, DatasetLayout.DatasetFile);
        byte[]? dataset = File.Exists(datasetFile) ? File.ReadAllBytes(datasetFile) : null;
        return Compare(root, new Contents(release, manifest, dataset, actual), problems, null, repository);
    }

    /// <summary>What verification reads of a release: release.json, manifest.json, dataset.json and every file's hash.</summary>
    private sealed record Contents(byte[] Release, byte[]? Manifest, byte[]? Dataset, Dictionary<string, (string Sha, long Size)> Actual);

    /// <summary>Where archive entries are resolved for the path rules; only compared as text, never created.</summary>
    private static readonly string RulesRoot = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "synth-release-verify");

    private static VerifyReport VerifyArchive(string archive, string repository)
    {
        var problems = new List<Diagnostic>();
        string sidecar = archive + ".sha256";
        string archiveSha = DatasetRelease.Sha256File(archive);
        if (File.Exists(sidecar))
        {
            string expected = File.ReadAllText(sidecar).Split(' ', 2)[0].Trim();
            string found = archiveSha;
            if (!string.Equals(expected, found, StringComparison.OrdinalIgnoreCase))
                problems.Add(Diagnostic.Error(SynCodes.ArchiveChecksumMismatch, $"Archive SHA-256 differs from {System.IO.Path.GetFileName(sidecar)}: expected {expected}, found {found}.", archive));
        }

        var actual = new Dictionary<string, (string Sha, long Size)>(StringComparer.Ordinal);
        byte[]? release = null, manifest = null, dataset = null;
        string? top = null;
        var rules = new ReleaseArchive.Rules(RulesRoot);
        try
        {
            foreach (TarEntry entry in ReleaseArchive.Entries(archive))
            {
                // Every entry, folders and links included, passes the rules extraction applies.
                if (rules.Check(entry, out _) is { } unsafeWhy)
                {
                    problems.Add(Diagnostic.Error(SynCodes.UnsafeArchiveEntry, $"Archive entry '{entry.Name}' {unsafeWhy}; it is never extracted.", archive));
                    continue;
                }
                if (entry.EntryType is TarEntryType.Directory) continue;
                string name = ReleaseArchive.PathOf(entry);
                int slash = name.IndexOf('/');
                string entryTop = slash < 0 ? "" : name[..slash];
                top ??= entryTop;
                string rel = slash < 0 || entryTop != top ? name : name[(slash + 1)..];
                using var ms = new MemoryStream();
                entry.DataStream?.CopyTo(ms);
                byte[] bytes = ms.ToArray();
                actual[rel] = (Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length);
                if (rel == DatasetRelease.ReleaseFile) release = bytes;
                else if (rel == Manifest.FileName) manifest = bytes;
                else if (rel == DatasetLayout.DatasetFile) dataset = bytes;
            }
        }
        catch (Exception ex) when (ReleaseArchive.IsUnreadable(ex))
        {
            problems.Add(ReleaseArchive.Unreadable(archive, ex));
            return new VerifyReport(archive, actual.Count, problems);
        }
        if (release is null)
        {
            problems.Add(Diagnostic.Error(SynCodes.NotARelease, $"Not a release: the archive holds no {DatasetRelease.ReleaseFile}.", archive));
            return new VerifyReport(archive, actual.Count, problems);
        }
        return Compare(archive, new Contents(release, manifest, dataset, actual), problems, archiveSha, repository);
    }

    private static VerifyReport Compare(string where, Contents contents, List<Diagnostic> problems, string? archiveSha, string repository)
    {
        var (releaseBytes, manifestBytes, datasetBytes, actual) = contents;
        var expected = new Dictionary<string, (string Sha, long Size)>(StringComparer.Ordinal);
        string digest;
        ReleaseRecord record;
        try
        {
            using var doc = JsonDocument.Parse(releaseBytes);
            digest = doc.RootElement.GetProperty("digest").GetString()!;
            record = new ReleaseRecord(doc.RootElement.GetProperty("name").GetString()!, doc.RootElement.GetProperty("version").GetString()!,
                doc.RootElement.GetProperty("tag").GetString()!, digest,
                doc.RootElement.TryGetProperty("git", out var g) && g.TryGetProperty("commit", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null);
            foreach (var f in doc.RootElement.GetProperty("files").EnumerateArray())
                expected[f.GetProperty("path").GetString()!] = (f.GetProperty("sha256").GetString()!, f.GetProperty("size").GetInt64());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            problems.Add(Diagnostic.Error(SynCodes.NotARelease, $"{DatasetRelease.ReleaseFile} is not a release description: {ex.Message}", where));
            return new VerifyReport(where, actual.Count, problems);
        }

        // manifest.json is checked like any other file first, so its sample list can be trusted below.
        Manifest? manifest = null;
        if (manifestBytes is not null)
        {
            string temp = System.IO.Path.GetTempFileName();
            try
            {
                File.WriteAllBytes(temp, manifestBytes);
                manifest = Manifest.TryRead(temp, out _);
            }
            finally { File.Delete(temp); }
        }
        if (manifest is not null)
        {
            foreach (var f in manifest.Samples.SelectMany(s => s.Files)) expected.TryAdd(f.Path, (f.Sha256, f.Size));
            string recomputed = Manifest.ComputeDigest(manifest.Samples);
            if (recomputed != digest || manifest.Digest != digest)
                problems.Add(Diagnostic.Error(SynCodes.ReleaseFileAltered, $"Dataset digest mismatch: {DatasetRelease.ReleaseFile} says {digest}, the manifest's files give {recomputed}.", where));
            // dataset.json is written by the build, not by the release: editing the files, the manifest and
            // release.json together still leaves it naming the digest that was built.
            if (DatasetJsonDigest(datasetBytes) is not { } built)
                problems.Add(Diagnostic.Error(SynCodes.ReleaseFileMissing, $"{DatasetLayout.DatasetFile} is missing or names no digest: the release cannot be tied to the dataset that was built.", where));
            else if (built != recomputed)
                problems.Add(Diagnostic.Error(SynCodes.ReleaseFileAltered, $"Dataset digest mismatch: {DatasetLayout.DatasetFile} says {built}, the manifest's files give {recomputed}.", where));
        }
        else if (!problems.Any(p => p.Code == SynCodes.ReleaseFileMissing))
            problems.Add(Diagnostic.Error(SynCodes.ReleaseFileMissing, $"{Manifest.FileName} is missing or unreadable: the sample files cannot be checked.", where));

        foreach (var (path, (sha, size)) in expected.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!actual.TryGetValue(path, out var found))
                problems.Add(Diagnostic.Error(SynCodes.ReleaseFileMissing, $"Missing file {path} (expected SHA-256 {sha}).", where));
            else if (found.Sha != sha || found.Size != size)
                problems.Add(Diagnostic.Error(SynCodes.ReleaseFileAltered, $"Altered file {path}: expected SHA-256 {sha} ({size} bytes), found {found.Sha} ({found.Size} bytes).", where));
        }
        foreach (var path in actual.Keys.Where(k => k != DatasetRelease.ReleaseFile && !expected.ContainsKey(k)).Order(StringComparer.Ordinal))
            problems.Add(Diagnostic.Error(SynCodes.ReleaseFileExtra, $"Extra file {path}: not listed in the manifest or {DatasetRelease.ReleaseFile}.", where));
        string? tag = CheckTag(where, record, archiveSha, repository, problems);
        return new VerifyReport(where, actual.Count, problems, tag);
    }

    private sealed record ReleaseRecord(string Name, string Version, string Tag, string Digest, string? Commit);

    private static string? DatasetJsonDigest(byte[]? bytes)
    {
        if (bytes is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>
    /// Checks release.json against the annotated tag &lt;dataset&gt;/v&lt;version&gt; that <see cref="DatasetRelease"/>
    /// created: its message records the dataset digest and the archive's SHA-256, and it points at the released
    /// commit. Only in a repository that holds the tag (a release copied elsewhere has none to compare with).
    /// Returns the tag checked, or null.
    /// </summary>
    private static string? CheckTag(string where, ReleaseRecord r, string? archiveSha, string repository, List<Diagnostic> problems)
    {
        string expectedTag = DatasetRelease.TagName(r.Name, r.Version);
        if (r.Tag != expectedTag)
            problems.Add(Diagnostic.Error(SynCodes.ReleaseTagMismatch, $"{DatasetRelease.ReleaseFile} names tag '{r.Tag}', but version {r.Version} of '{r.Name}' is tagged '{expectedTag}'.", where));
        string? gitDir = Directory.Exists(repository) ? Repository.Discover(repository) : null;
        if (gitDir is null) return null;
        using var repo = new Repository(gitDir);
        if (repo.Tags[expectedTag] is not { } tag) return null;
        var found = new List<string>();
        string message = tag.Annotation?.Message ?? "";
        var digest = Regex.Match(message, @"^dataset digest (\S+)$", RegexOptions.Multiline);
        if (!digest.Success) found.Add("it is not the annotated tag a release creates (no dataset digest in its message)");
        else if (digest.Groups[1].Value != r.Digest) found.Add($"the tag records dataset digest {digest.Groups[1].Value}, {DatasetRelease.ReleaseFile} says {r.Digest}");
        var sha = Regex.Match(message, @"^archive (\S+) sha256 ([0-9a-fA-F]{64})$", RegexOptions.Multiline);
        if (archiveSha is not null && sha.Success && !string.Equals(sha.Groups[2].Value, archiveSha, StringComparison.OrdinalIgnoreCase))
            found.Add($"the tag records archive SHA-256 {sha.Groups[2].Value}, this archive has {archiveSha}");
        if (r.Commit is not null && tag.PeeledTarget.Sha != r.Commit)
            found.Add($"the tag points at commit {tag.PeeledTarget.Sha[..12]}, {DatasetRelease.ReleaseFile} says {r.Commit[..Math.Min(12, r.Commit.Length)]}");
        foreach (string why in found)
            problems.Add(Diagnostic.Error(SynCodes.ReleaseTagMismatch, $"Release disagrees with git tag '{expectedTag}': {why}.", where));
        return expectedTag;
    }
}
