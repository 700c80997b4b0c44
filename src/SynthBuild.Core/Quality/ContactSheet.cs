using SynthBuild.Core.Assets;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Storage;

namespace SynthBuild.Core.Quality;

/// <summary>
/// Thumbnails of samples with each object's mask tinted in its category colour and its tight box outlined, drawn
/// directly on the decoded RGB (no graphics library, so the pixels are exact and deterministic).
/// </summary>
public static class ContactSheet
{
    /// <summary>Distinct, colour-blind-friendly (Okabe–Ito) category colours; category id k uses entry (k−1) mod 8.</summary>
    public static readonly (byte R, byte G, byte B)[] Palette =
    [
        (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178), (213, 94, 0), (204, 121, 167), (255, 255, 255),
    ];

    public static (byte R, byte G, byte B) ColorOf(int categoryId) => Palette[(Math.Max(1, categoryId) - 1) % Palette.Length];

    /// <summary>One overlaid thumbnail as PNG, at most <paramref name="maxWidth"/> pixels wide.</summary>
    public static byte[] Thumbnail(DatasetReader reader, long index, int maxWidth = 320)
    {
        int w = reader.Info.Width, h = reader.Info.Height;
        byte[] rgb = reader.ReadRgb(index);
        ushort[] ids = reader.ReadSegmentation(index);
        SampleAnnotation a = reader.ReadAnnotation(index);
        Overlay(rgb, ids, a, w, h);
        int step = Math.Max(1, (w + maxWidth - 1) / maxWidth);
        int tw = w / step, th = h / step;
        var small = new byte[tw * th * 3];
        for (int y = 0; y < th; y++)
            for (int x = 0; x < tw; x++)
            {
                int src = ((y * step) * w + x * step) * 3, dst = (y * tw + x) * 3;
                small[dst] = rgb[src]; small[dst + 1] = rgb[src + 1]; small[dst + 2] = rgb[src + 2];
            }
        return Png.EncodeRgb8(small, tw, th);
    }

    /// <summary>Blends 45% of the category colour into each object's mask pixels, then draws its box outline
    /// (width scaled so it survives the thumbnail's downsampling).</summary>
    public static void Overlay(byte[] rgb, ushort[] ids, SampleAnnotation a, int w, int h)
    {
        int n = a.Objects.Count;
        var colors = new (byte R, byte G, byte B)[n + 1];
        for (int k = 0; k < n; k++) colors[a.Objects[k].InstanceId <= n ? a.Objects[k].InstanceId : 0] = ColorOf(a.Objects[k].CategoryId);
        for (int p = 0; p < ids.Length; p++)
        {
            int id = ids[p];
            if (id == 0 || id > n) continue;
            var c = colors[id];
            rgb[3 * p] = (byte)((rgb[3 * p] * 55 + c.R * 45) / 100);
            rgb[3 * p + 1] = (byte)((rgb[3 * p + 1] * 55 + c.G * 45) / 100);
            rgb[3 * p + 2] = (byte)((rgb[3 * p + 2] * 55 + c.B * 45) / 100);
        }
        int thickness = Math.Max(1, w / 320);
        foreach (ObjectAnnotation o in a.Objects)
        {
            var c = ColorOf(o.CategoryId);
            int x0 = (int)Math.Floor(o.Bbox[0]), y0 = (int)Math.Floor(o.Bbox[1]);
            int x1 = (int)Math.Ceiling(o.Bbox[0] + o.Bbox[2]) - 1, y1 = (int)Math.Ceiling(o.Bbox[1] + o.Bbox[3]) - 1;
            for (int t = 0; t < thickness; t++)
            {
                HorizontalLine(rgb, w, h, x0, x1, y0 + t, c);
                HorizontalLine(rgb, w, h, x0, x1, y1 - t, c);
                VerticalLine(rgb, w, h, x0 + t, y0, y1, c);
                VerticalLine(rgb, w, h, x1 - t, y0, y1, c);
            }
        }
    }

    private static void HorizontalLine(byte[] rgb, int w, int h, int x0, int x1, int y, (byte R, byte G, byte B) c)
    {
        if (y < 0 || y >= h) return;
        for (int x = Math.Max(0, x0); x <= Math.Min(w - 1, x1); x++) Put(rgb, (y * w + x) * 3, c);
    }

    private static void VerticalLine(byte[] rgb, int w, int h, int x, int y0, int y1, (byte R, byte G, byte B) c)
    {
        if (x < 0 || x >= w) return;
        for (int y = Math.Max(0, y0); y <= Math.Min(h - 1, y1); y++) Put(rgb, (y * w + x) * 3, c);
    }

    private static void Put(byte[] rgb, int o, (byte R, byte G, byte B) c) { rgb[o] = c.R; rgb[o + 1] = c.G; rgb[o + 2] = c.B; }
}
