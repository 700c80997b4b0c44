using System.Security.Cryptography;
using System.Text;
using LibGit2Sharp;
using SynthBuild.Core;
using SynthBuild.Core.Diagnostics;

using SynthBuild.Quality;

namespace SynthBuild.Lineage;

/// <summary>
/// The project as of a git ref, laid out for a build with today's engine: <see cref="ProjectFile"/> is the ref's copy
/// of the project; the report lands in <see cref="ReportFile"/>. <see cref="Cached"/> when a previous comparison
/// already built this exact project folder (same git tree) with this engine.
/// </summary>
public sealed record GitBaseline(string Ref, string Commit, string ProjectFile, string OutputDirectory, string ReportFile, bool Cached);

/// <summary>
/// The other side of a comparison (docs/quality.md "Comparing versions"): a report file, a built dataset folder, a
/// release (archive or extracted folder, as the lineage Release target writes it), or the dataset project as of a
/// git ref.
/// </summary>
public static class QualityBaseline
{
    /// <summary>
    /// Reads the report at <paramref name="path"/>: a quality.json, a built dataset folder (its reports/quality.json),
    /// a release archive (.tar.gz, read without extracting) or an extracted release folder.
    /// </summary>
    /// <exception cref="DiagnosticException">SYN5007 when there is no readable quality report there.</exception>
    public static QualityReport Load(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            if (File.Exists(full))
                return full.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || full.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase)
                    ? FromArchive(full) : QualityReport.Read(full);
            if (Directory.Exists(full))
            {
                string? file = ReportInFolder(full);
                if (file is not null) return QualityReport.Read(file);
                throw Fail($"No quality report in '{full}': expected reports/{QualityStage.JsonFile} in a built dataset or an extracted release (build the dataset first).", full);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or System.Text.Json.JsonException)
        {
            throw Fail($"Cannot read the quality report at '{full}': {ex.Message}", full);
        }
        throw Fail($"Nothing to compare with at '{full}': expected a quality.json, a dataset folder, a release archive or folder, or a git ref.", full);
    }

    /// <summary>A dataset folder or extracted release (release.json beside reports/), or the folder an archive was
    /// extracted into (one &lt;name&gt;-&lt;version&gt;/ folder inside).</summary>
    private static string? ReportInFolder(string folder)
    {
        string direct = Path.Combine(folder, QualityStage.ReportsDir, QualityStage.JsonFile);
        if (File.Exists(direct)) return direct;
        var releases = Directory.GetDirectories(folder).Where(d => File.Exists(Path.Combine(d, DatasetRelease.ReleaseFile))).ToList();
        if (releases.Count == 1 && File.Exists(Path.Combine(releases[0], QualityStage.ReportsDir, QualityStage.JsonFile)))
            return Path.Combine(releases[0], QualityStage.ReportsDir, QualityStage.JsonFile);
        return null;
    }

    /// <summary>The release's &lt;name&gt;-&lt;version&gt;/reports/quality.json, streamed out of the archive.</summary>
    private static QualityReport FromArchive(string archive)
    {
        string suffix = "/" + QualityStage.ReportsDir + "/" + QualityStage.JsonFile;
        // Exactly <top>/reports/quality.json: not a report of a nested dataset (e.g. augmented/).
        byte[]? bytes = ReleaseArchive.ReadMember(archive, name => name.EndsWith(suffix, StringComparison.Ordinal) && name.Count(c => c == '/') == 2);
        return bytes is not null
            ? QualityReport.Parse(bytes, archive + suffix)
            : throw Fail($"The release archive '{archive}' holds no <name>-<version>{suffix}: it was released without a quality report.", archive);
    }

    /// <summary>
    /// Lays out the project as of <paramref name="gitRef"/> for a build with today's engine and SDK: the project's
    /// folder is written from that commit's tree; everything around it (the SDK, shared imports) is linked to the
    /// working tree as it is now. Keyed by the git tree id of the project folder and the engine version, so a
    /// second comparison against the same ref reuses the built report.
    /// </summary>
    /// <param name="cacheRoot">e.g. the project's obj/synth-compare/.</param>
    /// <param name="variant">Build settings that change the result besides the project (e.g. "samples=300"); part of the cache key.</param>
    /// <exception cref="DiagnosticException">SYN5007: not in a repository, unknown ref, or no such project at the ref.</exception>
    public static GitBaseline PrepareGitRef(string projectFile, string gitRef, string cacheRoot, string variant = "")
    {
        string project = Path.GetFullPath(projectFile), projectDir = Path.GetDirectoryName(project)!;
        string gitDir = Repository.Discover(projectDir)
            ?? throw Fail($"Cannot compare with git ref '{gitRef}': the project is not inside a git repository.", project);
        using var repo = new Repository(gitDir);
        string workdir = Path.GetFullPath(repo.Info.WorkingDirectory ?? throw Fail("Cannot compare with a git ref in a bare repository.", project));
        Commit commit = ResolveCommit(repo, gitRef)
            ?? throw Fail($"Cannot compare with git ref '{gitRef}': no such commit, branch or tag in {workdir}.", project);
        string rel = Path.GetRelativePath(workdir, projectDir).Replace('\\', '/');
        if (rel.StartsWith("..", StringComparison.Ordinal)) throw Fail($"The project is outside the repository's working tree {workdir}.", project);
        Tree? tree = rel == "." ? commit.Tree : commit[rel]?.Target as Tree;
        string projectName = Path.GetFileName(project);
        if (tree is null || tree[projectName] is not { TargetType: TreeEntryTargetType.Blob })
            throw Fail($"The project {(rel == "." ? "" : rel + "/")}{projectName} does not exist at '{gitRef}' ({commit.Sha[..12]}): nothing to compare with.", project);

        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"tree={tree.Sha}\nproject={rel}/{projectName}\nengine={EngineInfo.Version}\nvariant={variant}\n")))[..16];
        string baseDir = Path.Combine(Path.GetFullPath(cacheRoot), key);
        string output = Path.Combine(baseDir, "dataset") + Path.DirectorySeparatorChar;
        string report = Path.Combine(output, QualityStage.ReportsDir, QualityStage.JsonFile);
        string mirror = Path.Combine(baseDir, "tree");
        string copy = rel == "." ? mirror : Path.Combine(mirror, rel);
        if (File.Exists(report)) return new GitBaseline(gitRef, commit.Sha, Path.Combine(copy, projectName), output, report, Cached: true);

        if (Directory.Exists(mirror)) Directory.Delete(mirror, recursive: true);
        Directory.CreateDirectory(mirror);
        // Along the path from the repository root to the project: every sibling is a link to today's working tree,
        // so relative imports (../../src/SynthBuild.Sdk/...) resolve to today's SDK.
        string current = workdir, target = mirror;
        foreach (string part in rel == "." ? [] : rel.Split('/'))
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(current))
            {
                string name = Path.GetFileName(entry);
                if (name == part || name == ".git") continue;
                string link = Path.Combine(target, name);
                if (Directory.Exists(entry)) Directory.CreateSymbolicLink(link, entry); else File.CreateSymbolicLink(link, entry);
            }
            current = Path.Combine(current, part);
            target = Path.Combine(target, part);
            Directory.CreateDirectory(target);
        }
        WriteTree(tree, copy);
        return new GitBaseline(gitRef, commit.Sha, Path.Combine(copy, projectName), output, report, Cached: false);
    }

    private static Commit? ResolveCommit(Repository repo, string gitRef)
    {
        try { return repo.Lookup(gitRef)?.Peel<Commit>(); }
        catch (LibGit2SharpException) { return null; }
    }

    private static void WriteTree(Tree tree, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (TreeEntry e in tree)
        {
            string path = Path.Combine(folder, e.Name);
            if (e.Target is Tree sub) WriteTree(sub, path);
            else if (e.Target is Blob blob)
            {
                using var content = blob.GetContentStream();
                using var file = File.Create(path);
                content.CopyTo(file);
            }
            // Submodules (commits) are not part of a dataset project's inputs.
        }
    }

    private static DiagnosticException Fail(string message, string file) =>
        new(Diagnostic.Error(SynCodes.CompareFailed, message, file));
}
