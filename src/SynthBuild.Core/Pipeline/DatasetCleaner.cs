using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Pipeline;

/// <summary>
/// Deletes a generated dataset: the files its manifest and any shard manifests list, manifest.json, dataset.json,
/// the shard manifests and leftover temporary files, then the folders that became empty. Files the generator did not write are left alone, so pointing the
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
        // A sharded build's shard manifests, and the files of shards never merged.
        string shards = Path.Combine(root, ShardManifest.Folder);
        if (Directory.Exists(shards))
            foreach (string shard in Directory.EnumerateFiles(shards, "shard-*-of-*.json"))
            {
                paths.AddRange((ShardManifest.TryRead(shard, out _)?.Samples ?? []).SelectMany(s => s.Files).Select(f => DatasetLayout.FullPath(root, f.Path)));
                paths.Add(shard);
            }
        // What the later stages write beside the samples.
        foreach (string report in new[] { DatasetLayout.QualityJson, DatasetLayout.QualityMarkdown, DatasetLayout.QualityHtml, DatasetLayout.SimToRealReport })
            paths.Add(Path.Combine(root, DatasetLayout.ReportsDir, report));
        paths.Add(Path.Combine(root, DatasetLayout.LegacyProvenanceFile));
        foreach (string p in paths)
        {
            if (!File.Exists(p)) continue;
            File.Delete(p);
            removed++;
        }
        AtomicFile.RemoveLeftovers(root);
        removed += CleanExports(Path.Combine(root, DatasetLayout.ExportsDir));
        foreach (string dir in DatasetLayout.SampleDirs.Append(DatasetLayout.ReportsDir).Append(DatasetLayout.ExportsDir).Append(ShardManifest.Folder).Select(d => Path.Combine(root, d)).Append(root))
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any())
                Directory.Delete(dir);
        return removed;
    }

    /// <summary>Removes export folders the exporter stamped (and its staging leftovers), nothing else.</summary>
    public static int CleanExports(string exportRoot)
    {
        if (!Directory.Exists(exportRoot)) return 0;
        int removed = 0;
        foreach (string dir in Directory.EnumerateDirectories(exportRoot))
        {
            string name = Path.GetFileName(dir);
            bool ours = File.Exists(Path.Combine(dir, DatasetLayout.ExportStampFile)) || (name.StartsWith('.') && name.EndsWith(".staging", StringComparison.Ordinal));
            if (!ours) continue;
            removed += Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Count();
            Directory.Delete(dir, recursive: true);
        }
        return removed;
    }
}
