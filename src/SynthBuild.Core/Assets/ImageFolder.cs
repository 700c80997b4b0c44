using SynthBuild.Core.Config;

namespace SynthBuild.Core.Assets;

/// <summary>
/// The decoded images of a user folder (backgrounds or textures), in the order of its <see cref="ImageFolderRef"/>
/// (ordinal file names). Each image carries its file's SHA-256, which the spec fingerprint holds: editing, adding or
/// removing an image re-renders the samples.
/// </summary>
public sealed record ImageFolder(string Folder, IReadOnlyList<ImageData> Images)
{
    /// <param name="maxSide">Images larger than this on a side are box-filtered down by an integer factor (textures:
    /// keeps texel density near the pixel density, so minified textures do not sparkle; averaged in linear light); 0 keeps them as they are.</param>
    /// <exception cref="FormatException">A file cannot be decoded as an image (message names the file).</exception>
    public static ImageFolder Load(string folder, int maxSide = 0) => Load(ImageFolderRef.Scan(folder, maxSide, default));

    /// <exception cref="FormatException">A file cannot be decoded as an image (message names the file).</exception>
    public static ImageFolder Load(ImageFolderRef folder) =>
        new(folder.Folder, folder.Images.Select(i => Load(folder.PathOf(i), i.Sha256, folder.MaxSide)).ToList());

    /// <summary>One image file decoded to 8-bit RGB and, when larger than <paramref name="maxSide"/>, averaged down.</summary>
    /// <exception cref="FormatException">The file cannot be decoded as an image (message names the file).</exception>
    public static ImageData Load(string file, string sha, int maxSide)
    {
        var (rgb, w, h) = DecodeRgb(file, File.ReadAllBytes(file));
        if (maxSide > 0 && Math.Max(w, h) > maxSide)
        {
            int f = (Math.Max(w, h) + maxSide - 1) / maxSide;
            (rgb, w, h) = BoxDownsample(rgb, w, h, f);
        }
        return new ImageData(Path.GetFileName(file), sha, rgb, w, h);
    }

    /// <summary>A PNG or JPEG file's bytes as 8-bit RGB, row-major.</summary>
    private static (byte[] Rgb, int W, int H) DecodeRgb(string file, byte[] bytes)
    {
        if (bytes.Length == 0) throw new FormatException($"'{file}' is empty (0 bytes), not a PNG or JPEG image.");
        try
        {
            var (w, h, rgb) = ImageDecoder.DecodeRgb8(bytes);
            return (rgb, w, h);
        }
        // A truncated or hostile file can trip any bounds check of the decoders: each is reported as this file's fault.
        catch (Exception ex) when (AssetDecodeFailure.Is(ex))
        {
            throw new FormatException($"'{file}' is not a readable PNG or JPEG image: {ex.Message}", ex);
        }
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
