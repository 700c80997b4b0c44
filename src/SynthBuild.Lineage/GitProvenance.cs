using LibGit2Sharp;

namespace SynthBuild.Lineage;

/// <summary>
/// Where a dataset's inputs came from: the repository holding the project, its commit, branch and remote, whether
/// the working tree is dirty, and which of the project's own inputs differ from the commit. Lineage only: never
/// part of sample files or the dataset digest.
/// </summary>
public sealed record GitProvenance(
    bool InRepository,
    string? RepositoryRoot,
    string? Commit,
    string? Branch,
    string? RemoteUrl,
    bool Detached,
    bool Dirty,
    IReadOnlyList<string> ModifiedInputs,
    IReadOnlyList<string> ChangedFiles)
{
    public static GitProvenance None { get; } = new(false, null, null, null, null, false, false, [], []);

    /// <summary>At most this many changed tracked files are named (a record stays small).</summary>
    public const int MaxChangedFiles = 20;

    /// <summary>
    /// Reads the repository holding <paramref name="projectDirectory"/>. <paramref name="inputFiles"/> are the project's
    /// inputs (project file, config, assets); <paramref name="ignoredPaths"/> are files or folders the build itself
    /// writes into the tree (the lineage log, the release folder), whose changes do not make the tree dirty.
    /// </summary>
    public static GitProvenance Read(string projectDirectory, IEnumerable<string> inputFiles, IEnumerable<string>? ignoredPaths = null)
    {
        string? gitDir = Repository.Discover(Path.GetFullPath(projectDirectory));
        if (gitDir is null) return None;
        using var repo = new Repository(gitDir);
        if (repo.Info.IsBare || repo.Info.WorkingDirectory is null) return None;
        string root = Path.GetFullPath(repo.Info.WorkingDirectory);

        var ignored = (ignoredPaths ?? []).Select(p => RelativeTo(root, p)).Where(p => p is not null).Select(p => p!).ToList();
        bool IsIgnored(string rel) => ignored.Any(i => rel == i || rel.StartsWith(i.TrimEnd('/') + "/", StringComparison.Ordinal));

        // Tracked changes only: untracked files (build outputs, scratch files) do not make a tree dirty, except
        // the project's own inputs, which are checked one by one below.
        var status = repo.RetrieveStatus(new StatusOptions { IncludeUntracked = false, RecurseUntrackedDirs = false, IncludeIgnored = false });
        var changed = status.Where(e => e.State != FileStatus.Unaltered && e.State != FileStatus.Ignored && !IsIgnored(e.FilePath))
            .Select(e => e.FilePath).Order(StringComparer.Ordinal).ToList();

        // Any state but "unaltered" makes an input modified: changed, staged, deleted, untracked, or ignored (an
        // ignored input is not under version control, so the commit does not say what it was).
        var modified = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string input in inputFiles.Where(f => !string.IsNullOrEmpty(f)).Distinct(StringComparer.Ordinal))
        {
            string? rel = RelativeTo(root, input);
            if (rel is null) continue; // outside the repository: nothing git can say about it
            if (Directory.Exists(input))
            {
                // A folder of inputs (e.g. background images): every file in it that differs from the commit.
                var inFolder = repo.RetrieveStatus(new StatusOptions
                {
                    PathSpec = [rel.Length == 0 ? "." : rel + "/"], IncludeUntracked = true, RecurseUntrackedDirs = true,
                    IncludeIgnored = true, RecurseIgnoredDirs = true, DisablePathSpecMatch = false,
                });
                foreach (var e in inFolder)
                    if (e.State != FileStatus.Unaltered) modified.Add(e.FilePath);
                continue;
            }
            if (repo.RetrieveStatus(rel) != FileStatus.Unaltered) modified.Add(rel);
        }

        bool unborn = repo.Info.IsHeadUnborn;
        string? commit = unborn ? null : repo.Head.Tip?.Sha;
        bool detached = repo.Info.IsHeadDetached;
        string? branch = detached || unborn && repo.Head is null ? null : repo.Head.FriendlyName;
        Remote? remote = repo.Network.Remotes["origin"] ?? repo.Network.Remotes.FirstOrDefault();
        return new GitProvenance(true, root, commit, branch, remote is null ? null : StripCredentials(remote.Url), detached,
            changed.Count > 0 || modified.Count > 0, modified.ToList(), changed.Take(MaxChangedFiles).ToList());
    }

    /// <summary>
    /// The part that goes into dataset.json: no absolute paths, times or hosts, so two clean builds of one commit on
    /// different machines write the same bytes.
    /// </summary>
    public System.Text.Json.Nodes.JsonObject ToDatasetJson() => new()
    {
        ["inRepository"] = InRepository,
        ["commit"] = Commit,
        ["branch"] = Branch,
        ["remoteUrl"] = RemoteUrl,
        ["detached"] = Detached,
        ["dirty"] = Dirty,
        ["modifiedInputs"] = new System.Text.Json.Nodes.JsonArray(ModifiedInputs.Select(m => (System.Text.Json.Nodes.JsonNode?)m).ToArray()),
        ["changedFiles"] = new System.Text.Json.Nodes.JsonArray(ChangedFiles.Select(m => (System.Text.Json.Nodes.JsonNode?)m).ToArray()),
    };

    /// <summary>https://user:token@host/x → https://host/x: a remote URL may carry credentials; lineage must not.</summary>
    public static string StripCredentials(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.UserInfo) && uri.Scheme is "http" or "https")
            return new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString();
        return url;
    }

    private static string? RelativeTo(string root, string path)
    {
        string full = Path.GetFullPath(path);
        string rel = Path.GetRelativePath(root, full);
        if (rel == "." ) return "";
        if (rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel)) return null;
        return rel.Replace('\\', '/');
    }
}
