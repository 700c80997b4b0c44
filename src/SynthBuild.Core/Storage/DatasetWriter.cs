using System.Security.Cryptography;
using System.Text.Json;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Storage;

/// <summary>
/// Writes the samples of a dataset folder for every builder: encodes a sample's images (PNG) and annotation,
/// hashes each file, writes it atomically unless the same bytes are already there (so unchanged files keep their
/// timestamps), and returns the sample's manifest entry. Add a sample's files, then <see cref="Commit"/>. One
/// writer per thread: the encoded files live in buffers reused across the samples it writes.
/// </summary>
public sealed class DatasetWriter(string root)
{
    /// <summary>The dataset folder (full path).</summary>
    public string Root { get; } = Path.GetFullPath(root);

    private readonly List<(string Path, ReadOnlyMemory<byte> Bytes)> _files = new(8);
    // One encode buffer per file slot of a sample: no large per-sample arrays for the GC to churn.
    private readonly List<MemoryStream> _buffers = [];
    private int _buffersUsed;
    private readonly List<KeyValuePair<string, string>> _extraFiles = new(3);

    private MemoryStream NextBuffer()
    {
        if (_buffers.Count == _buffersUsed) _buffers.Add(new MemoryStream());
        return _buffers[_buffersUsed++];
    }

    /// <param name="noisy">Sensor noise on every pixel (picks the faster compression there; see <see cref="Png.EncodeRgb8(ReadOnlySpan{byte}, int, int, MemoryStream, bool)"/>).</param>
    public void AddRgb(string stem, ReadOnlySpan<byte> rgb, int width, int height, bool noisy = false) =>
        _files.Add((DatasetLayout.Rgb(stem), Png.EncodeRgb8(rgb, width, height, NextBuffer(), noisy)));

    /// <summary>Depth in millimetres (uint16, 0 = no measurement).</summary>
    public void AddDepth(string stem, ReadOnlySpan<ushort> millimetres, int width, int height) =>
        _files.Add((DatasetLayout.Depth(stem), Png.EncodeGray16(millimetres, width, height, filter: 1, NextBuffer())));

    /// <summary>Instance ids (uint16, raw, 0 = background).</summary>
    public void AddSegmentation(string stem, ReadOnlySpan<ushort> instanceIds, int width, int height) =>
        _files.Add((DatasetLayout.Segmentation(stem), Png.EncodeGray16(instanceIds, width, height, filter: 0, NextBuffer())));

    /// <summary>Category id per pixel (uint16, 0 = background); listed in the sample's annotation.</summary>
    public void AddSemantic(string stem, ReadOnlySpan<ushort> categories, int width, int height) =>
        AddExtra("semantic", DatasetLayout.Semantic(stem), Png.EncodeGray16(categories, width, height, filter: 0, NextBuffer()));

    /// <summary>An encoded point cloud (.npy); listed in the sample's annotation.</summary>
    public void AddPointCloud(string stem, ReadOnlyMemory<byte> npy) => AddExtra("pointCloud", DatasetLayout.PointCloud(stem), npy);

    /// <summary>Normals as 8-bit RGB; listed in the sample's annotation.</summary>
    public void AddNormals(string stem, ReadOnlySpan<byte> normalsRgb, int width, int height) =>
        AddExtra("normals", DatasetLayout.Normals(stem), Png.EncodeRgb8(normalsRgb, width, height, NextBuffer()));

    private void AddExtra(string key, string path, ReadOnlyMemory<byte> bytes)
    {
        _files.Add((path, bytes));
        _extraFiles.Add(new(key, path));
    }

    /// <summary>The annotation file; its list of optional files is the semantic, point-cloud and normal files added before it.</summary>
    /// <param name="extra">Writes further properties at the end of the sample object (<see cref="AnnotationJson.Sample"/>).</param>
    public void AddAnnotation(string stem, SampleAnnotation annotation, Action<Utf8JsonWriter>? extra = null)
    {
        var listed = annotation with { ExtraFiles = _extraFiles.Count > 0 ? _extraFiles.ToArray() : null };
        _files.Add((DatasetLayout.Annotation(stem), AnnotationJson.Sample(listed, stem, extra)));
    }

    /// <summary>
    /// Writes the files added since the last commit and returns the sample's manifest entry. A file whose bytes equal
    /// what <paramref name="previous"/> recorded and what is on disk is left as it is.
    /// </summary>
    /// <param name="written">How many files were (re)written.</param>
    public ManifestSample Commit(long index, string key, ManifestSample? previous, out int written)
    {
        try
        {
            return new ManifestSample(index, key, WriteFiles(Root, _files, previous, out written));
        }
        finally
        {
            _files.Clear();
            _buffersUsed = 0;
            _extraFiles.Clear();
        }
    }

    private static List<ManifestFile> WriteFiles(string root, List<(string Path, ReadOnlyMemory<byte> Bytes)> outputs, ManifestSample? previous, out int written)
    {
        var files = new List<ManifestFile>(outputs.Count);
        written = 0;
        foreach (var (path, bytes) in outputs)
        {
            string sha = Sha256Hex(bytes.Span);
            string full = DatasetLayout.FullPath(root, path);
            // Unchanged content keeps its file (and timestamp), e.g. masks when only the lighting changed.
            bool same = previous?.Files.Any(f => f.Path == path && f.Sha256 == sha) == true
                        && File.Exists(full) && File.ReadAllBytes(full).AsSpan().SequenceEqual(bytes.Span);
            if (!same)
            {
                AtomicFile.Write(full, bytes.Span);
                written++;
            }
            files.Add(new ManifestFile(path, sha, bytes.Length));
        }
        return files;
    }

    internal static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Every file the manifest lists for a sample exists under <paramref name="root"/> with its recorded size and hash.</summary>
    public static bool FilesIntact(string root, ManifestSample sample) => FirstDamagedFile(root, sample) is null;

    /// <summary>The first file of a sample that is missing or differs from its recorded size or hash; null when all are intact.</summary>
    public static ManifestFile? FirstDamagedFile(string root, ManifestSample sample)
    {
        foreach (var f in sample.Files)
        {
            string full = DatasetLayout.FullPath(root, f.Path);
            var info = new FileInfo(full);
            if (!info.Exists || info.Length != f.Size) return f;
            // Streamed through a pooled buffer: no large per-file arrays on a no-op build.
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (Convert.ToHexStringLower(SHA256.HashData(stream)) != f.Sha256) return f;
        }
        return null;
    }

    /// <summary>Writes manifest.json for the samples done so far (null entries: not done) and returns it.</summary>
    public static Manifest WriteManifest(string root, string specHash, IEnumerable<ManifestSample?> entries)
    {
        var samples = entries.Where(e => e is not null).Select(e => e!).ToList();
        var manifest = new Manifest(EngineInfo.Version, specHash, samples, Manifest.ComputeDigest(samples));
        AtomicFile.WriteIfChanged(Path.Combine(root, Manifest.FileName), manifest.ToJsonBytes());
        return manifest;
    }

    /// <summary>
    /// Deletes the files an old manifest lists that the new entries no longer do; returns how many old samples at or
    /// beyond <paramref name="sampleCount"/> lost files (samples removed).
    /// </summary>
    public static int RemoveUnlisted(string root, Manifest? old, IEnumerable<ManifestSample?> entries, int sampleCount)
    {
        var keep = new HashSet<string>(entries.Where(e => e is not null).SelectMany(e => e!.Files).Select(f => f.Path), StringComparer.Ordinal);
        int removed = 0;
        foreach (var s in old?.Samples ?? [])
        {
            bool any = false;
            foreach (var f in s.Files)
            {
                if (keep.Contains(f.Path)) continue;
                string full = DatasetLayout.FullPath(root, f.Path);
                if (File.Exists(full)) { File.Delete(full); any = true; }
            }
            if (any && s.Index >= sampleCount) removed++;
        }
        return removed;
    }
}
