using System.Text.RegularExpressions;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Storage;

/// <summary>What a build or clean does with sample files the manifest does not list (SynthUnlistedFiles).</summary>
public enum UnlistedFilePolicy { Remove, Report }

/// <summary>
/// Sample files in a dataset's sample folders that no manifest entry lists: left by an interrupted build of another
/// seed or a larger count, or by a killed writer (temporary files). Only names the generator writes are considered
/// (a zero-padded index with the layout's extension, or a temporary file), so a user's own file in the folder is
/// never touched.
/// </summary>
public static partial class UnlistedFiles
{
    [GeneratedRegex(@"^\d{6,}\.(png|json|npy)$", RegexOptions.CultureInvariant)]
    private static partial Regex SampleFileName();

    /// <summary>Full paths of the unlisted sample files under <paramref name="root"/>, sorted.</summary>
    public static List<string> Find(string root, IEnumerable<ManifestSample> listed)
    {
        var keep = new HashSet<string>(listed.SelectMany(s => s.Files).Select(f => DatasetLayout.FullPath(root, f.Path)), StringComparer.Ordinal);
        var found = new List<string>();
        foreach (string dir in DatasetLayout.SampleDirs.Select(d => Path.Combine(root, d)))
        {
            if (!Directory.Exists(dir)) continue;
            foreach (string f in Directory.EnumerateFiles(dir))
            {
                string name = Path.GetFileName(f);
                if ((SampleFileName().IsMatch(name) || AtomicFile.IsTemporary(name)) && !keep.Contains(f)) found.Add(f);
            }
        }
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    /// <summary>Removes (or only reports) the unlisted sample files; returns the diagnostic to show, null when there were none.</summary>
    public static Diagnostic? Sweep(string root, IEnumerable<ManifestSample> listed, UnlistedFilePolicy policy)
    {
        var found = Find(root, listed);
        if (found.Count == 0) return null;
        string examples = string.Join(", ", found.Take(5).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))) + (found.Count > 5 ? ", ..." : "");
        if (policy == UnlistedFilePolicy.Report)
            return Diagnostic.Warning(SynCodes.UnlistedFiles,
                $"{found.Count} sample file(s) in the dataset folder are not in its manifest and were kept (SynthUnlistedFiles=report): {examples}.", root);
        foreach (string f in found)
        {
            try { File.Delete(f); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw new DatasetWriteException(f, ex); }
        }
        return Diagnostic.Warning(SynCodes.UnlistedFiles,
            $"Removed {found.Count} sample file(s) the manifest does not list (left by an interrupted or larger build): {examples}.", root);
    }

    /// <summary>Parses SynthUnlistedFiles ("" = remove); null when it is neither remove nor report.</summary>
    public static UnlistedFilePolicy? ParsePolicy(string? value) => (value ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "remove" => UnlistedFilePolicy.Remove,
        "report" => UnlistedFilePolicy.Report,
        _ => null,
    };
}
