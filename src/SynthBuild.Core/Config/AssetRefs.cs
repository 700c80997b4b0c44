using System.Security.Cryptography;
using System.Text.Json;

namespace SynthBuild.Core.Config;

/// <summary>
/// A user mesh named by the config: the file, its content hash (for glTF, the file plus every buffer it uses),
/// which goes into the spec fingerprint, the scale, and where the config named it. Decoded by the Assets stage.
/// </summary>
public sealed record MeshRef(string Path, string Sha256, double Scale, SourcePosition At)
{
    public string FileName => System.IO.Path.GetFileName(Path);
}

/// <summary>An image file of a folder: its name in the folder and its file's SHA-256.</summary>
public sealed record ImageRef(string Name, string Sha256);

/// <summary>
/// The PNG and JPEG images of a user folder (backgrounds or textures), in ordinal file-name order so a sample's draw
/// never depends on the file system's listing order, each with its content hash; decoded by the Assets stage.
/// </summary>
/// <param name="MaxSide">Images larger than this on a side are averaged down at decode (textures); 0 keeps them as they are.</param>
public sealed record ImageFolderRef(string Folder, IReadOnlyList<ImageRef> Images, int MaxSide, SourcePosition At)
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Image files directly in <paramref name="folder"/> (not recursive), sorted by name.</summary>
    public static IReadOnlyList<string> Files(string folder) =>
        Directory.EnumerateFiles(folder)
            .Where(f => Extensions.Contains(System.IO.Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => System.IO.Path.GetFileName(f), StringComparer.Ordinal)
            .ToList();

    /// <summary>The folder's images, hashed (not decoded).</summary>
    public static ImageFolderRef Scan(string folder, int maxSide, SourcePosition at) =>
        new(folder, Files(folder).Select(f => new ImageRef(System.IO.Path.GetFileName(f), AssetHash.File(f))).ToList(), maxSide, at);

    public string PathOf(ImageRef image) => System.IO.Path.Combine(Folder, image.Name);

    // By content, not list reference: two loads of the same config name the same folder.
    public bool Equals(ImageFolderRef? other) =>
        other is not null && Folder == other.Folder && MaxSide == other.MaxSide && At == other.At && Images.SequenceEqual(other.Images);

    public override int GetHashCode() => HashCode.Combine(Folder, MaxSide, At, Images.Count);
}

/// <summary>Content hashes of asset files, computed without decoding them.</summary>
public static class AssetHash
{
    /// <summary>SHA-256 (hex) of the file's bytes.</summary>
    public static string File(string path) => Convert.ToHexStringLower(SHA256.HashData(System.IO.File.ReadAllBytes(path)));

    /// <summary>
    /// A mesh file's hash: the file's bytes, and for glTF (.gltf/.glb) also every buffer it uses in order (a .glb's
    /// binary chunk, embedded base64 data, external .bin files), so editing a buffer changes it. A glTF whose
    /// structure cannot be read hashes as its bytes alone; the Assets stage then reports it as unreadable.
    /// </summary>
    public static string Mesh(string path)
    {
        byte[] file = System.IO.File.ReadAllBytes(path);
        string ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".gltf" or ".glb")) return Convert.ToHexStringLower(SHA256.HashData(file));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(file);
        try
        {
            foreach (byte[] buffer in GltfBuffers(file, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? "."))
                sha.AppendData(buffer);
        }
        catch (Exception ex) when (ex is JsonException or IOException or FormatException or InvalidOperationException
                                       or UnauthorizedAccessException or ArgumentException or IndexOutOfRangeException)
        {
            sha.GetHashAndReset();
            sha.AppendData(file);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private const uint GlbMagic = 0x46546C67, ChunkJson = 0x4E4F534A, ChunkBin = 0x004E4942;

    /// <summary>The content of each buffer of the glTF's "buffers" list, the way a glTF reader resolves it.</summary>
    private static IEnumerable<byte[]> GltfBuffers(byte[] file, string directory)
    {
        ReadOnlyMemory<byte> json = file;
        byte[]? bin = null;
        if (file.Length >= 12 && BitConverter.ToUInt32(file, 0) == GlbMagic)
        {
            json = default;
            for (int at = 12; at + 8 <= file.Length;)
            {
                int length = checked((int)BitConverter.ToUInt32(file, at));
                uint type = BitConverter.ToUInt32(file, at + 4);
                var data = new ReadOnlyMemory<byte>(file, at + 8, length);
                if (type == ChunkJson && json.IsEmpty) json = data;
                else if (type == ChunkBin && bin is null) bin = data.ToArray();
                at += 8 + length;
            }
        }
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("buffers", out JsonElement buffers)) yield break;
        foreach (JsonElement buffer in buffers.EnumerateArray())
        {
            string? uri = buffer.TryGetProperty("uri", out JsonElement u) ? u.GetString() : null;
            if (string.IsNullOrEmpty(uri)) { if (bin is not null) yield return bin; continue; }
            byte[]? embedded = null;
            foreach (string prefix in new[] { "data:application/gltf-buffer;base64,", "data:application/octet-stream;base64," })
                if (uri.StartsWith(prefix, StringComparison.Ordinal)) embedded = Convert.FromBase64String(uri[prefix.Length..]);
            yield return embedded ?? System.IO.File.ReadAllBytes(System.IO.Path.Combine(directory, Uri.UnescapeDataString(uri)));
        }
    }
}
