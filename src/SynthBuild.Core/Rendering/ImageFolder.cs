using System.Security.Cryptography;
using OpenCvSharp;
using SynthBuild.Core.Scene;

namespace SynthBuild.Core.Rendering;

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
    /// keeps texel density near the pixel density, so minified textures do not sparkle); 0 keeps them as they are.</param>
    /// <exception cref="FormatException">A file cannot be decoded as an image (message names the file).</exception>
    public static ImageFolder Load(string folder, int maxSide = 0)
    {
        var images = new List<ImageData>();
        foreach (string file in Files(folder))
        {
            byte[] bytes = File.ReadAllBytes(file);
            string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            using Mat bgr = Cv2.ImDecode(bytes, ImreadModes.Color);
            if (bgr.Empty()) throw new FormatException($"'{Path.GetFileName(file)}' is not a readable PNG or JPEG image.");
            int w = bgr.Width, h = bgr.Height;
            var rgb = new byte[w * h * 3];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    Vec3b p = bgr.At<Vec3b>(y, x);
                    int o = (y * w + x) * 3;
                    rgb[o] = p.Item2; rgb[o + 1] = p.Item1; rgb[o + 2] = p.Item0;
                }
            if (maxSide > 0 && Math.Max(w, h) > maxSide)
            {
                int f = (Math.Max(w, h) + maxSide - 1) / maxSide;
                (rgb, w, h) = BoxDownsample(rgb, w, h, f);
            }
            images.Add(new ImageData(Path.GetFileName(file), sha, rgb, w, h));
        }
        return new ImageFolder(folder, images);
    }

    /// <summary>Integer averages of f × f blocks (partial blocks at the right and bottom edges are dropped).</summary>
    private static (byte[] Rgb, int W, int H) BoxDownsample(byte[] src, int w, int h, int f)
    {
        int nw = Math.Max(1, w / f), nh = Math.Max(1, h / f);
        int fx = Math.Min(f, w), fy = Math.Min(f, h);
        var dst = new byte[nw * nh * 3];
        for (int y = 0; y < nh; y++)
            for (int x = 0; x < nw; x++)
                for (int c = 0; c < 3; c++)
                {
                    int sum = 0;
                    for (int j = 0; j < fy; j++)
                        for (int i = 0; i < fx; i++) sum += src[((y * fy + j) * w + x * fx + i) * 3 + c];
                    int n = fx * fy;
                    dst[(y * nw + x) * 3 + c] = (byte)((sum + n / 2) / n);
                }
        return (dst, nw, nh);
    }
}
