using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Lineage;

public sealed record VerifyReport(string Path, int FilesChecked, IReadOnlyList<Diagnostic> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// Checks a release, archived (.tar.gz) or extracted (a folder holding release.json), against its manifest and
/// release.json: reports every missing, extra or altered file, a digest that does not match, an archive whose SHA-256
/// differs from its .sha256 file, and archive entries that would escape the folder they are extracted into.
/// </summary>
public static class ReleaseVerifier
{
    public static VerifyReport Verify(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (File.Exists(path)) return VerifyArchive(path);
        if (Directory.Exists(path)) return VerifyFolder(path);
        return new VerifyReport(path, 0, [Diagnostic.Error(SynCodes.NotARelease, "No release here: expected a .tar.gz release archive or an extracted release folder; found nothing.", path)]);
    }

    private static VerifyReport VerifyFolder(string folder)
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
        foreach (string f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            actual[System.IO.Path.GetRelativePath(root, f).Replace('\\', '/')] = (DatasetRelease.Sha256File(f), new FileInfo(f).Length);
        byte[] release = File.ReadAllBytes(System.IO.Path.Combine(root, DatasetRelease.ReleaseFile));
        string manifestFile = System.IO.Path.Combine(root, Manifest.FileName);
        byte[]? manifest = File.Exists(manifestFile) ? File.ReadAllBytes(manifestFile) : null;
        return Compare(root, release, manifest, actual, []);
    }

    private static VerifyReport VerifyArchive(string archive)
    {
        var problems = new List<Diagnostic>();
        string sidecar = archive + ".sha256";
        if (File.Exists(sidecar))
        {
            string expected = File.ReadAllText(sidecar).Split(' ', 2)[0].Trim();
            string found = DatasetRelease.Sha256File(archive);
            if (!string.Equals(expected, found, StringComparison.OrdinalIgnoreCase))
                problems.Add(Diagnostic.Error(SynCodes.ArchiveChecksumMismatch, $"Archive SHA-256 differs from {System.IO.Path.GetFileName(sidecar)}: expected {expected}, found {found}.", archive));
        }

        var actual = new Dictionary<string, (string Sha, long Size)>(StringComparer.Ordinal);
        byte[]? release = null, manifest = null;
        string? top = null;
        try
        {
            foreach (TarEntry entry in ReleaseArchive.Entries(archive))
            {
                if (entry.EntryType is TarEntryType.Directory) continue;
                if (ReleaseArchive.Problem(entry) is { } unsafeWhy)
                {
                    problems.Add(Diagnostic.Error(SynCodes.UnsafeArchiveEntry, $"Archive entry '{entry.Name}' {unsafeWhy}; it is never extracted.", archive));
                    continue;
                }
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
        return Compare(archive, release, manifest, actual, problems);
    }

    private static VerifyReport Compare(string where, byte[] releaseBytes, byte[]? manifestBytes,
        Dictionary<string, (string Sha, long Size)> actual, List<Diagnostic> problems)
    {
        var expected = new Dictionary<string, (string Sha, long Size)>(StringComparer.Ordinal);
        string digest;
        try
        {
            using var doc = JsonDocument.Parse(releaseBytes);
            digest = doc.RootElement.GetProperty("digest").GetString()!;
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
        return new VerifyReport(where, actual.Count, problems);
    }
}
