using System.Security.Cryptography;

namespace SynthBuild.Core.Assets;

/// <summary>
/// The PNG and JPEG images of a user folder (backgrounds or textures), decoded once at config load, in ordinal file-name
/// order so a sample's draw never depends on the file system's listing order. Each image carries its file's SHA-256,
/// which goes into the spec fingerprint: editing, adding or removing an image re-renders the samples.
/// </summary>
public sealed record ImageFolder(string Folder, IReadOnlyList<ImageData> Images)
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Image files directly in <paramref name="folder"/> (not recursive), sorted by name.</summary>
    public static IReadOnlyList<string> Files(string folder) =>
        Directory.EnumerateFiles(folder)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .ToList();

    /// <param name="maxSide">Images larger than this on a side are box-filtered down by an integer factor (textures:
    /// keeps texel density near the pixel density, so minified textures do not sparkle; averaged in linear light); 0 keeps them as they are.</param>
    /// <exception cref="FormatException">A file cannot be decoded as an image (message names the file).</exception>
    public static ImageFolder Load(string folder, int maxSide = 0)
    {
        var images = new List<ImageData>();
        foreach (string file in Files(folder))
        {
            byte[] bytes = File.ReadAllBytes(file);
            string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            byte[] rgb; int w, h;
            try { (w, h, rgb) = ImageDecoder.DecodeRgb8(bytes); }
            catch (FormatException ex) { throw new FormatException($"'{Path.GetFileName(file)}' is not a readable PNG or JPEG image: {ex.Message}", ex); }
            if (maxSide > 0 && Math.Max(w, h) > maxSide)
            {
                int f = (Math.Max(w, h) + maxSide - 1) / maxSide;
                (rgb, w, h) = BoxDownsample(rgb, w, h, f);
            }
            images.Add(new ImageData(Path.GetFileName(file), sha, rgb, w, h));
        }
        return new ImageFolder(folder, images);
    }

    /// <summary>Averages of f × f blocks in linear light (partial blocks at the right and bottom edges are dropped).</summary>
    private static (byte[] Rgb, int W, int H) BoxDownsample(byte[] src, int w, int h, int f)
    {
        f = Math.Min(f, Math.Min(w, h));
        int nw = w / f, nh = h / f;
        var dst = new byte[nw * nh * 3];
        Srgb.BoxDownsample(src, w, dst, nw, nh, f);
        return (dst, nw, nh);
    }
}
