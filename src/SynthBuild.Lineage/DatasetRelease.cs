using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LibGit2Sharp;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Lineage;

public sealed record ReleaseRequest(
    string ProjectFile,
    string DatasetRoot,
    string? Version,
    string ReleaseDirectory,
    string LogFile,
    IReadOnlyList<string> InputFiles,
    bool BuildSucceeded = true);

public sealed record ReleaseResult(string? Archive, string? Sha256, string? Tag, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => Archive is not null && !Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// An immutable, versioned dataset release: from a clean tree whose build passed its gates, a tar.gz holding the
/// dataset, its manifest, reports, provenance and lineage log plus release.json; the archive's SHA-256 beside it;
/// and an annotated git tag &lt;dataset&gt;/v&lt;version&gt;. Every refusal has its own code and writes nothing.
/// </summary>
public static class DatasetRelease
{
    public const string ReleaseFile = "release.json";
    public const string LineageEntry = "lineage/" + LineageLog.DefaultFileName;

    public static string ArchiveName(string dataset, string version) => $"{dataset}-{version}.tar.gz";
    public static string TagName(string dataset, string version) => $"{dataset}/v{version}";

    public static ReleaseResult Create(ReleaseRequest req)
    {
        var errors = new List<Diagnostic>();
        if (DatasetVersion.Validate(req.Version, req.ProjectFile) is { } bad) errors.Add(bad);

        DatasetReader? reader = null;
        try { reader = DatasetReader.Open(req.DatasetRoot); }
        catch (DiagnosticException ex)
        {
            errors.Add(Diagnostic.Error(SynCodes.ReleaseDatasetNotIntact, $"Nothing to release: {ex.Diagnostic.Message}", ex.Diagnostic.File));
        }

        string projectDir = Path.GetDirectoryName(Path.GetFullPath(req.ProjectFile))!;
        string? gitDir = Repository.Discover(projectDir);
        if (gitDir is null)
            errors.Add(Diagnostic.Error(SynCodes.ReleaseNotInRepository, "A release is tagged in git, but the project is not inside a git repository (run 'git init' and commit the project).", req.ProjectFile));

        if (reader is null || gitDir is null || errors.Count > 0 && !DatasetVersion.IsValid(req.Version))
            return new ReleaseResult(null, null, null, errors);

        string version = req.Version!, name = reader.Info.Name;
        string tag = TagName(name, version);
        string archive = Path.Combine(Path.GetFullPath(req.ReleaseDirectory), ArchiveName(name, version));

        var git = GitProvenance.Read(projectDir, req.InputFiles, [req.LogFile, req.ReleaseDirectory, req.DatasetRoot]);
        if (git.Dirty)
        {
            var all = git.ModifiedInputs.Concat(git.ChangedFiles).Distinct().ToList();
            var named = all.Take(10).ToList();
            errors.Add(Diagnostic.Error(SynCodes.ReleaseDirtyTree,
                $"A release needs a clean tree: expected no uncommitted changes, found changes in {string.Join(", ", named)}{(all.Count > named.Count ? ", ..." : "")}. Commit or stash them.",
                Path.Combine(git.RepositoryRoot!, named.FirstOrDefault() ?? "")));
        }
        if (git.Commit is null)
            errors.Add(Diagnostic.Error(SynCodes.ReleaseNoCommit, "A release needs a commit to tag; the repository has none yet (commit the project first).", req.ProjectFile));
        if (File.Exists(archive))
            errors.Add(Diagnostic.Error(SynCodes.ReleaseVersionExists, $"Version {version} of '{name}' is already released (releases are immutable): bump <DatasetVersion>.", archive));
        using (var repo = new Repository(gitDir))
            if (repo.Tags[tag] is not null)
                errors.Add(Diagnostic.Error(SynCodes.ReleaseTagExists, $"Git tag '{tag}' already exists (at {repo.Tags[tag].Target.Sha[..12]}); a released version is never re-tagged: bump <DatasetVersion>.", req.ProjectFile));
        if (!req.BuildSucceeded)
            errors.Add(Diagnostic.Error(SynCodes.ReleaseGatesFailed, "The build or one of its quality gates failed: a release needs every error gate to pass.", req.ProjectFile));
        else if (!QualityMetrics.GatesPassed(reader.Root, out string? why, countSwitchedOff: true))
            errors.Add(Diagnostic.Error(SynCodes.ReleaseGatesFailed, $"A release needs every quality gate to pass: {why}.", QualityMetrics.ReportFile(reader.Root)));
        errors.AddRange(CheckIntact(reader));
        if (errors.Count > 0) return new ReleaseResult(null, null, null, errors);

        string temp = archive + "." + Environment.ProcessId + AtomicFile.TempSuffix;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
            DateTimeOffset commitTime;
            using (var repo = new Repository(gitDir)) commitTime = repo.Head.Tip.Committer.When;
            WriteArchive(temp, reader, req.LogFile, name, version, tag, git, commitTime);
            File.Move(temp, archive, overwrite: false);
            string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(archive)));
            File.WriteAllText(archive + ".sha256", $"{sha}  {Path.GetFileName(archive)}\n");
            MakeReadOnly(archive);
            MakeReadOnly(archive + ".sha256");
            try { CreateTag(gitDir, tag, $"{name} v{version}\n\ndataset digest {reader.Info.Digest}\narchive {Path.GetFileName(archive)} sha256 {sha}\n"); }
            catch (LibGit2SharpException ex)
            {
                File.Delete(archive);
                File.Delete(archive + ".sha256");
                return new ReleaseResult(null, null, null, [Diagnostic.Error(SynCodes.ReleaseWriteFailed, $"Could not create git tag '{tag}': {ex.Message}; the archive was removed.", req.ProjectFile)]);
            }
            return new ReleaseResult(archive, sha, tag, []);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(temp)) File.Delete(temp);
            return new ReleaseResult(null, null, null, [Diagnostic.Error(SynCodes.ReleaseWriteFailed, $"Could not write the release archive: {ex.Message}", archive)]);
        }
    }

    /// <summary>Every file the manifest lists is present with its size and SHA-256, and the digest matches.</summary>
    private static IEnumerable<Diagnostic> CheckIntact(DatasetReader reader)
    {
        var problems = new List<string>();
        foreach (var f in reader.Manifest.Samples.SelectMany(s => s.Files))
        {
            string full = DatasetLayout.FullPath(reader.Root, f.Path);
            if (!File.Exists(full)) problems.Add($"{f.Path} is missing");
            else if (Sha256File(full) != f.Sha256) problems.Add($"{f.Path} differs from its manifest hash");
            if (problems.Count >= 10) break;
        }
        if (problems.Count == 0 && Manifest.ComputeDigest(reader.Manifest.Samples) != reader.Info.Digest)
            problems.Add($"the manifest's digest does not match dataset.json's ({reader.Info.Digest})");
        if (problems.Count > 0)
            yield return Diagnostic.Error(SynCodes.ReleaseDatasetNotIntact, $"The dataset does not match its manifest ({string.Join("; ", problems)}): rebuild before releasing.",
                Path.Combine(reader.Root, Manifest.FileName));
    }

    private static void WriteArchive(string path, DatasetReader reader, string logFile, string name, string version, string tag,
        GitProvenance git, DateTimeOffset time)
    {
        string top = $"{name}-{version}/";
        var manifestPaths = reader.Manifest.Samples.SelectMany(s => s.Files).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        // Everything in the dataset folder (samples, manifest, dataset.json, provenance, reports, exports), then the log.
        var entries = Directory.EnumerateFiles(reader.Root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(AtomicFile.TempSuffix, StringComparison.Ordinal))
            .Select(f => (Rel: Path.GetRelativePath(reader.Root, f).Replace('\\', '/'), File: f))
            .Where(e => e.Rel != ReleaseFile)
            .ToList();
        if (File.Exists(logFile)) entries.Add((LineageEntry, logFile));
        entries.Sort((a, b) => string.CompareOrdinal(a.Rel, b.Rel));

        var others = new JsonArray();
        foreach (var (rel, file) in entries.Where(e => !manifestPaths.Contains(e.Rel)))
            others.Add((JsonNode)new JsonObject { ["path"] = rel, ["sha256"] = Sha256File(file), ["size"] = new FileInfo(file).Length });
        var release = new JsonObject
        {
            ["format"] = 1,
            ["name"] = name,
            ["version"] = version,
            ["digest"] = reader.Info.Digest,
            ["engine"] = reader.Info.Engine,
            ["samples"] = reader.Info.Samples,
            ["tag"] = tag,
            ["git"] = new JsonObject { ["commit"] = git.Commit, ["branch"] = git.Branch, ["remoteUrl"] = git.RemoteUrl },
            ["createdUtc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            // Sample files are covered by manifest.json (whose own hash is listed here); these are the rest.
            ["files"] = others,
        };
        byte[] releaseBytes = Encoding.UTF8.GetBytes(release.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using var gz = new GZipStream(fs, CompressionLevel.Optimal);
        using var tar = new TarWriter(gz, TarEntryFormat.Pax, leaveOpen: false);
        void Add(string rel, Stream content)
        {
            var e = new PaxTarEntry(TarEntryType.RegularFile, top + rel)
            {
                DataStream = content, ModificationTime = time,
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            };
            tar.WriteEntry(e);
        }
        Add(ReleaseFile, new MemoryStream(releaseBytes));
        foreach (var (rel, file) in entries)
        {
            using var content = File.OpenRead(file);
            Add(rel, content);
        }
    }

    private static void CreateTag(string gitDir, string tag, string message)
    {
        using var repo = new Repository(gitDir);
        Signature who = repo.Config.BuildSignature(DateTimeOffset.Now) ?? new Signature("SynthBuild", "synthbuild@localhost", DateTimeOffset.Now);
        repo.ApplyTag(tag, repo.Head.Tip.Sha, who, message);
    }

    private static void MakeReadOnly(string file)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        else File.SetAttributes(file, FileAttributes.ReadOnly);
    }

    internal static string Sha256File(string file)
    {
        using var s = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
