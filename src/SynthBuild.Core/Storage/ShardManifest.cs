using System.Globalization;
using System.Text.Json;

namespace SynthBuild.Core.Storage;

/// <summary>Which part of a dataset one shard owns: shard <paramref name="Index"/> of <paramref name="Count"/>, the
/// contiguous sample indices [<paramref name="Start"/>, <paramref name="End"/>).</summary>
public sealed record ShardRange(int Index, int Count, int Start, int End);

/// <summary>
/// shards/shard-IIII-of-NNNN.json: what one shard build wrote. Per sample the same input key and file hashes as
/// manifest.json (the merge copies them verbatim), plus the spec fingerprint, the engine version, the dataset's
/// sample count and the shard's range, so a merge can tell a complete, current shard from a stale or partial one.
/// It doubles as the shard's checkpoint: a killed shard resumes from it.
/// </summary>
public sealed record ShardManifest(string Engine, string SpecHash, int DatasetSamples, ShardRange Range, IReadOnlyList<ManifestSample> Samples)
{
    public const string Folder = "shards";
    public const int FormatVersion = 1;

    /// <summary>The file name a shard writes: zero-padded so a listing sorts in shard order.</summary>
    public static string FileName(int index, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"shard-{index:D4}-of-{count:D4}.json");

    public static string PathFor(string root, int index, int count) => Path.Combine(root, Folder, FileName(index, count));

    /// <summary>Every index of the range is listed (a shard killed midway is not).</summary>
    public bool Complete => Samples.Count == Range.End - Range.Start;

    /// <summary>The digest of this shard's files alone (as <see cref="Manifest.ComputeDigest"/> over its samples).</summary>
    public string Digest => Manifest.ComputeDigest(Samples);

    public byte[] ToJsonBytes()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("format", FormatVersion);
            w.WriteString("engine", Engine);
            w.WriteString("specHash", SpecHash);
            w.WriteNumber("datasetSamples", DatasetSamples);
            w.WriteNumber("shard", Range.Index);
            w.WriteNumber("shards", Range.Count);
            w.WriteNumber("start", Range.Start);
            w.WriteNumber("end", Range.End);
            w.WriteStartArray("samples");
            foreach (var s in Samples) Manifest.WriteSample(w, s);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    /// <summary>Reads a shard manifest; null with <paramref name="problem"/> set when it is unreadable, null alone when missing.</summary>
    public static ShardManifest? TryRead(string path, out string? problem) => TryRead(path, out problem, out _);

    /// <summary>As <see cref="TryRead(string, out string?)"/>, with the SHA-256 of the bytes it parsed (lowercase hex; empty when none were read).</summary>
    public static ShardManifest? TryRead(string path, out string? problem, out string fileSha256)
    {
        problem = null;
        fileSha256 = "";
        if (!File.Exists(path)) return null;
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            fileSha256 = DatasetWriter.Sha256Hex(bytes);
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            if (root.GetProperty("format").GetInt32() != FormatVersion) { problem = "unknown shard manifest format"; return null; }
            var range = new ShardRange(root.GetProperty("shard").GetInt32(), root.GetProperty("shards").GetInt32(),
                root.GetProperty("start").GetInt32(), root.GetProperty("end").GetInt32());
            return new ShardManifest(root.GetProperty("engine").GetString()!, root.GetProperty("specHash").GetString()!,
                root.GetProperty("datasetSamples").GetInt32(), range, Manifest.ReadSamples(root.GetProperty("samples")));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException)
        {
            problem = ex.Message;
            return null;
        }
    }
}
