using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SynthBuild.Core.Storage;

/// <summary>One output file: path relative to the dataset root ('/' separators), SHA-256 (hex) and size.</summary>
public sealed record ManifestFile(string Path, string Sha256, long Size);

/// <summary>One sample: its input key (hash of everything that determines it) and its files.</summary>
public sealed record ManifestSample(long Index, string Key, IReadOnlyList<ManifestFile> Files);

/// <summary>
/// manifest.json: per sample its input key and each file's hash and size, plus the dataset digest (SHA-256 over the
/// sorted list of every file's path, hash and size). Contains nothing that varies between machines or runs.
/// </summary>
public sealed record Manifest(string Engine, string SpecHash, IReadOnlyList<ManifestSample> Samples, string Digest)
{
    public const string FileName = "manifest.json";
    public const int FormatVersion = 1;

    public static string ComputeDigest(IEnumerable<ManifestSample> samples)
    {
        var lines = samples.SelectMany(s => s.Files).Select(f => $"{f.Path}\t{f.Sha256}\t{f.Size}\n").ToList();
        lines.Sort(StringComparer.Ordinal);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string l in lines) sha.AppendData(Encoding.UTF8.GetBytes(l));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public byte[] ToJsonBytes()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("format", FormatVersion);
            w.WriteString("engine", Engine);
            w.WriteString("specHash", SpecHash);
            w.WriteString("digest", Digest);
            w.WriteNumber("sampleCount", Samples.Count);
            w.WriteStartArray("samples");
            foreach (var s in Samples) WriteSample(w, s);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    /// <summary>One sample entry; shared with the shard manifest so a merge copies entries in exactly this form.</summary>
    internal static void WriteSample(Utf8JsonWriter w, ManifestSample s)
    {
        w.WriteStartObject();
        w.WriteNumber("index", s.Index);
        w.WriteString("key", s.Key);
        w.WriteStartArray("files");
        foreach (var f in s.Files)
        {
            w.WriteStartObject();
            w.WriteString("path", f.Path);
            w.WriteString("sha256", f.Sha256);
            w.WriteNumber("size", f.Size);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    internal static List<ManifestSample> ReadSamples(JsonElement array)
    {
        var samples = new List<ManifestSample>();
        foreach (var s in array.EnumerateArray())
        {
            var files = s.GetProperty("files").EnumerateArray()
                .Select(f => new ManifestFile(f.GetProperty("path").GetString()!, f.GetProperty("sha256").GetString()!, f.GetProperty("size").GetInt64()))
                .ToList();
            samples.Add(new ManifestSample(s.GetProperty("index").GetInt64(), s.GetProperty("key").GetString()!, files));
        }
        return samples;
    }

    /// <summary>Reads a manifest; null when missing or unreadable (the build then verifies nothing and regenerates).</summary>
    public static Manifest? TryRead(string path, out string? problem)
    {
        problem = null;
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.GetProperty("format").GetInt32() != FormatVersion) { problem = "unknown manifest format"; return null; }
            var samples = ReadSamples(root.GetProperty("samples"));
            return new Manifest(root.GetProperty("engine").GetString()!, root.GetProperty("specHash").GetString()!, samples,
                root.GetProperty("digest").GetString()!);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            problem = ex.Message;
            return null;
        }
    }
}
