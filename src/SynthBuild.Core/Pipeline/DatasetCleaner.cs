using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Pipeline;

/// <summary>
/// Deletes a generated dataset: the files its manifest lists, manifest.json, dataset.json and leftover temporary
/// files, then the folders that became empty. Files the generator did not write are left alone, so pointing the
/// output at a folder that holds other things never loses them.
/// </summary>
public static class DatasetCleaner
{
    public static int Clean(string outputDirectory)
    {
        string root = Path.GetFullPath(outputDirectory);
        if (!Directory.Exists(root)) return 0;
        int removed = 0;
        string manifestPath = Path.Combine(root, Manifest.FileName);
        var manifest = Manifest.TryRead(manifestPath, out _);
        var paths = (manifest?.Samples ?? []).SelectMany(s => s.Files).Select(f => DatasetLayout.FullPath(root, f.Path)).ToList();
        paths.Add(Path.Combine(root, DatasetLayout.DatasetFile));
        paths.Add(manifestPath);
        foreach (string p in paths)
        {
            if (!File.Exists(p)) continue;
            File.Delete(p);
            removed++;
        }
        AtomicFile.RemoveLeftovers(root);
        foreach (string dir in DatasetLayout.SampleDirs.Select(d => Path.Combine(root, d)).Append(root))
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any())
                Directory.Delete(dir);
        return removed;
    }
}
