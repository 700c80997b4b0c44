using System.Formats.Tar;
using System.IO.Compression;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Lineage;

/// <summary>
/// The one reader of release archives (the .tar.gz that <see cref="DatasetRelease"/> writes): entries in archive
/// order, the rules an entry must pass to be extracted, all-or-nothing extraction, and reading one member.
/// </summary>
public static class ReleaseArchive
{
    /// <summary>The entries of <paramref name="archive"/> in order, streamed: an entry's data can be read only
    /// until the next one is requested.</summary>
    /// <exception cref="InvalidDataException">and the other exceptions <see cref="IsUnreadable"/> accepts, when
    /// the file is not a readable gzip-compressed tar.</exception>
    public static IEnumerable<TarEntry> Entries(string archive)
    {
        using var fs = File.OpenRead(archive);
        using var gz = new GZipStream(fs, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry) yield return entry;
    }

    /// <summary>The entry's path with '/' separators, as the rules and callers compare it.</summary>
    public static string PathOf(TarEntry entry) => entry.Name.Replace('\\', '/');

    /// <summary>Why an entry must not be extracted (absolute path, "..", link, device), or null when it is safe.</summary>
    public static string? Problem(TarEntry entry)
    {
        if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.Directory))
            return $"is a {entry.EntryType} (only regular files and folders are allowed)";
        string name = PathOf(entry);
        if (name.Length == 0 || name.StartsWith('/') || (name.Length > 1 && name[1] == ':'))
            return "has an absolute path";
        if (name.Split('/').Any(s => s == ".."))
            return "points outside the release folder ('..')";
        return null;
    }

    /// <summary>True for the exceptions that mean "this is not a readable gzip-compressed tar".</summary>
    public static bool IsUnreadable(Exception ex) => ex is InvalidDataException or FormatException or IOException or EndOfStreamException;

    /// <summary>SYN6025 for an archive that <see cref="IsUnreadable"/> rejected.</summary>
    public static Diagnostic Unreadable(string archive, Exception ex) =>
        Diagnostic.Error(SynCodes.NotARelease, $"Expected a gzip-compressed tar release archive; it cannot be read: {ex.Message}", archive);

    /// <summary>
    /// The bytes of the first safe regular file whose path (see <see cref="PathOf"/>) <paramref name="match"/>
    /// accepts, or null when there is none. Read without extracting anything.
    /// </summary>
    public static byte[]? ReadMember(string archive, Func<string, bool> match)
    {
        foreach (TarEntry entry in Entries(archive))
        {
            if (entry.EntryType == TarEntryType.Directory || Problem(entry) is not null || !match(PathOf(entry))) continue;
            using var ms = new MemoryStream();
            entry.DataStream?.CopyTo(ms);
            return ms.ToArray();
        }
        return null;
    }

    /// <summary>
    /// The rules every entry of one archive must pass, whatever its type (file, folder, link, device): those of
    /// <see cref="Problem"/>, plus the ones that need the other entries: it must resolve inside
    /// <paramref name="destination"/>, no path may appear twice, and no entry may lie under a file entry or be a file
    /// where another entry needs a folder. Verify and extract both check every entry with one instance, so an
    /// archive verify passes is one extract accepts.
    /// </summary>
    public sealed class Rules(string destination)
    {
        private readonly string _dest = Path.GetFullPath(destination);
        private readonly Dictionary<string, bool> _seen = new(StringComparer.Ordinal); // target → is a folder
        private readonly HashSet<string> _parents = new(StringComparer.Ordinal);        // folders some entry needs

        /// <summary>Why <paramref name="entry"/> must not be extracted, or null; <paramref name="target"/> is where it would go.</summary>
        public string? Check(TarEntry entry, out string target)
        {
            target = "";
            if (Problem(entry) is { } why) return why;
            string prefix = _dest.EndsWith(Path.DirectorySeparatorChar) ? _dest : _dest + Path.DirectorySeparatorChar;
            target = Path.GetFullPath(Path.Combine(_dest, PathOf(entry)));
            if (!target.StartsWith(prefix, StringComparison.Ordinal) && target != _dest) return "resolves outside the destination";
            bool isDir = entry.EntryType == TarEntryType.Directory;
            if (target == _dest && !isDir) return "is a file named like the destination folder itself";
            if (_seen.TryGetValue(target, out bool wasDir) && !(isDir && wasDir)) return "appears twice";
            if (!isDir && _parents.Contains(target)) return "is a file where another entry needs a folder";
            for (string? up = Path.GetDirectoryName(target); up is not null && up.Length > _dest.Length; up = Path.GetDirectoryName(up))
            {
                if (_seen.TryGetValue(up, out bool upIsDir) && !upIsDir) return "lies under a file entry";
                _parents.Add(up);
            }
            _seen[target] = isDir;
            return null;
        }
    }

    /// <summary>
    /// Extracts <paramref name="archive"/> into <paramref name="destination"/> (created; must be empty). The whole
    /// archive is checked first with <see cref="Rules"/>: if any entry is unsafe, nothing at all is written and the
    /// problems are returned.
    /// </summary>
    public static IReadOnlyList<Diagnostic> Extract(string archive, string destination)
    {
        string dest = Path.GetFullPath(destination);
        if (Directory.Exists(dest) && Directory.EnumerateFileSystemEntries(dest).Any())
            return [Diagnostic.Error(SynCodes.ExtractDestinationNotEmpty, "Expected an empty destination folder; it already holds files (nothing is overwritten).", dest)];

        var problems = new List<Diagnostic>();
        var rules = new Rules(dest);
        try
        {
            foreach (TarEntry entry in Entries(archive))
                if (rules.Check(entry, out _) is { } why)
                    problems.Add(Diagnostic.Error(SynCodes.UnsafeArchiveEntry, $"Archive entry '{entry.Name}' {why}; nothing was extracted.", archive));
        }
        catch (Exception ex) when (IsUnreadable(ex))
        {
            return [Unreadable(archive, ex)];
        }
        if (problems.Count > 0) return problems;

        Directory.CreateDirectory(dest);
        foreach (TarEntry entry in Entries(archive))
        {
            string target = Path.GetFullPath(Path.Combine(dest, PathOf(entry)));
            if (entry.EntryType == TarEntryType.Directory) { Directory.CreateDirectory(target); continue; }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
            entry.DataStream?.CopyTo(output);
        }
        return [];
    }
}
