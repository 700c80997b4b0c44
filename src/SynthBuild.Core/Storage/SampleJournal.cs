using System.Text;
using System.Text.Json;

namespace SynthBuild.Core.Storage;

/// <summary>
/// Append-only record of the samples finished since the last manifest checkpoint: one JSON line per sample (its
/// index, input key and each file's hash and size), appended after the sample's files are in place. A build killed
/// at any moment resumes from the manifest plus this journal, so it redoes at most the samples that were in flight.
/// The manifest stays the truth: a checkpoint writes it and empties the journal, a finished build deletes the journal,
/// and every entry is verified against the files on disk before it is reused, like a manifest entry.
/// <para>Durability: each line is one write(2) straight to the kernel (no user-space buffer), which a killed process
/// cannot lose. Lines are not fsynced one by one: the sample files they describe are not either, so an fsync would
/// promise nothing after a power cut; the journal is fsynced at each checkpoint, and after a power cut any entry whose
/// files did not reach the disk fails verification and its sample is regenerated.</para>
/// </summary>
public sealed class SampleJournal : IDisposable
{
    public const string FileName = ".synthjournal";
    private readonly FileStream _stream;
    private readonly Lock _gate = new();

    private SampleJournal(string path, FileStream stream) => (Path, _stream) = (path, stream);

    public string Path { get; }

    public static string PathFor(string root) => System.IO.Path.Combine(System.IO.Path.GetFullPath(root), FileName);

    public static string ShardPathFor(string root, int index, int count) =>
        System.IO.Path.Combine(System.IO.Path.GetFullPath(root), ShardManifest.Folder, $"shard-{index}-of-{count}{FileName}");

    /// <summary>Opens the journal for appending (created when absent). Call under the folder's lock.</summary>
    /// <exception cref="DatasetWriteException">The journal cannot be created.</exception>
    public static SampleJournal Open(string path)
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            // Not FileMode.Append: a checkpoint must be able to truncate what an earlier build appended.
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete, 1, FileOptions.None);
            stream.Seek(0, SeekOrigin.End);
            // A killed build may have left half a line: start ours on a fresh one so it stays parseable.
            if (stream.Length > 0) stream.Write("\n"u8);
            return new SampleJournal(path, stream);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DatasetWriteException(path, ex);
        }
    }

    /// <summary>Records one finished sample (thread-safe; one write per line).</summary>
    /// <exception cref="DatasetWriteException">The line cannot be written (disk full).</exception>
    public void Append(ManifestSample sample)
    {
        byte[] line = Line(sample);
        try
        {
            lock (_gate) _stream.Write(line);
        }
        catch (IOException ex) { throw new DatasetWriteException(Path, ex); }
    }

    /// <summary>Runs <paramref name="checkpoint"/> (which writes the manifest of every sample finished so far) with no
    /// append in between, then empties the journal: what it held is in the manifest now.</summary>
    public void Checkpoint(Action checkpoint)
    {
        lock (_gate)
        {
            checkpoint();
            try
            {
                _stream.SetLength(0);
                _stream.Flush(flushToDisk: true);
            }
            catch (IOException ex) { throw new DatasetWriteException(Path, ex); }
        }
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>Closes and deletes the journal: the manifest now lists everything it recorded.</summary>
    public void Complete()
    {
        Dispose();
        File.Delete(Path);
    }

    private static byte[] Line(ManifestSample sample)
    {
        using var ms = new MemoryStream(512);
        using (var w = new Utf8JsonWriter(ms)) Manifest.WriteSample(w, sample);
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    /// <summary>The samples a journal records, the later line winning per index. A line that does not parse (the
    /// truncated last line of a killed build) is skipped.</summary>
    public static IReadOnlyList<ManifestSample> Read(string path)
    {
        if (!File.Exists(path)) return [];
        var byIndex = new Dictionary<long, ManifestSample>();
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException) { return []; }
        foreach (var raw in Encoding.UTF8.GetString(bytes).Split('\n'))
        {
            if (raw.Length == 0 || raw[^1] != '}') continue;
            try
            {
                using var doc = JsonDocument.Parse(raw);
                var wrapped = Manifest.ReadSamples(JsonArrayOf(doc.RootElement));
                foreach (var s in wrapped) byIndex[s.Index] = s;
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException) { }
        }
        return byIndex.Values.OrderBy(s => s.Index).ToList();
    }

    private static JsonElement JsonArrayOf(JsonElement sample)
    {
        using var doc = JsonDocument.Parse("[" + sample.GetRawText() + "]");
        return doc.RootElement.Clone();
    }
}
