using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Rendering;

public sealed partial class RasterRenderer
{
    /// <summary>
    /// Light on the background, treated as a diffuse wall facing the camera (normal −forward): ambient plus the
    /// directional light by Lambert's cosine. Walls are far from point lights and outside the shadow map, so
    /// neither reaches them.
    /// </summary>
    internal static Vec3 WallLight(Vec3 toLightCamera, Vec3 radiance, double ambient)
    {
        double cos = Math.Max(0, -toLightCamera.Z);
        return new Vec3(ambient + radiance.X * cos, ambient + radiance.Y * cos, ambient + radiance.Z * cos);
    }

    private static bool FilledAfterRendering(Background bg) => bg.Pattern.Pattern != TexturePattern.None || bg.Image is not null;

    /// <summary>Pixels nothing was rendered into take the patterned (lit) background or the image crop.</summary>
    private static void FillBackgroundWhereEmpty(Background bg, Vec3 wallLight, RenderTarget target)
    {
        int w = target.Width, h = target.Height;
        byte[] rgb = target.Rgb;
        float[] depth = target.DepthMetres;
        var pattern = new TextureSampler(bg.Pattern);
        for (int y = 0, i = 0; y < h; y++)
            for (int x = 0; x < w; x++, i++)
            {
                if (depth[i] != 0) continue;
                if (bg.Image is BackgroundCrop crop)
                {
                    SampleCrop(crop, x, y, w, h, rgb, i * 3);
                    continue;
                }
                Vec3 c = BackgroundAt(bg, ref pattern, wallLight, x, y, h);
                rgb[i * 3] = Srgb.Encode(c.X); rgb[i * 3 + 1] = Srgb.Encode(c.Y); rgb[i * 3 + 2] = Srgb.Encode(c.Z);
            }
    }

    /// <summary>Bilinear sample (in 8-bit sRGB, edge-clamped) of the crop at output pixel (x, y) of a w × h image.</summary>
    private static void SampleCrop(BackgroundCrop crop, int x, int y, int w, int h, byte[] dst, int o)
    {
        ImageData img = crop.Picture;
        double fu = crop.OffsetX + (x + 0.5) / w * crop.SpanX - 0.5, fv = crop.OffsetY + (y + 0.5) / h * crop.SpanY - 0.5;
        int pw = img.Width, ph = img.Height;
        int x0 = Math.Clamp((int)Math.Floor(fu), 0, pw - 1), y0 = Math.Clamp((int)Math.Floor(fv), 0, ph - 1);
        int x1 = Math.Min(x0 + 1, pw - 1), y1 = Math.Min(y0 + 1, ph - 1);
        double ax = Math.Clamp(fu - x0, 0, 1), ay = Math.Clamp(fv - y0, 0, 1);
        byte[] src = img.Rgb;
        for (int c = 0; c < 3; c++)
        {
            double top = src[(y0 * pw + x0) * 3 + c] * (1 - ax) + src[(y0 * pw + x1) * 3 + c] * ax;
            double bottom = src[(y1 * pw + x0) * 3 + c] * (1 - ax) + src[(y1 * pw + x1) * 3 + c] * ax;
            dst[o + c] = (byte)Math.Round(top * (1 - ay) + bottom * ay);
        }
    }

    private static void ClearToBackground(Background bg, Vec3 light, RenderTarget target)
    {
        int w = target.Width, h = target.Height;
        byte[] rgb = target.Rgb;
        if (FilledAfterRendering(bg))
        {
            // Patterned and image backgrounds are filled after rendering, only where nothing was drawn.
            Array.Clear(target.DepthMetres);
            Array.Clear(target.InstanceIds);
            return;
        }
        for (int y = 0; y < h; y++)
        {
            double t = (y + 0.5) / h;
            byte r = Srgb.Encode((bg.Top.X + (bg.Bottom.X - bg.Top.X) * t) * light.X);
            byte g = Srgb.Encode((bg.Top.Y + (bg.Bottom.Y - bg.Top.Y) * t) * light.Y);
            byte b = Srgb.Encode((bg.Top.Z + (bg.Bottom.Z - bg.Top.Z) * t) * light.Z);
            int o = y * w * 3;
            for (int x = 0; x < w; x++, o += 3)
            {
                rgb[o] = r; rgb[o + 1] = g; rgb[o + 2] = b;
            }
        }
        Array.Clear(target.DepthMetres);
        Array.Clear(target.InstanceIds);
    }

    /// <summary>Lit background colour (linear) at pixel (x, y): the gradient mixed towards the pattern colour, times the wall light.</summary>
    private static Vec3 BackgroundAt(Background bg, ref TextureSampler pattern, Vec3 light, int x, int y, int h)
    {
        double t = (y + 0.5) / h;
        Vec3 c = bg.Top + (bg.Bottom - bg.Top) * t;
        if (bg.Pattern.Pattern != TexturePattern.None)
        {
            double p = pattern.Sample((x + 0.5) / h, t);
            c += (bg.Pattern.Color - c) * p;
        }
        return new Vec3(c.X * light.X, c.Y * light.Y, c.Z * light.Z);
    }

    /// <summary>The original tool's look: the background laid over the whole image with opacity Blend.</summary>
    private static void BlendBackground(Background bg, Vec3 light, RenderTarget target)
    {
        int w = target.Width, h = target.Height;
        byte[] rgb = target.Rgb;
        double a = Math.Clamp(bg.Blend, 0, 1);
        byte[] one = new byte[3];
        var pattern = new TextureSampler(bg.Pattern);
        for (int y = 0, o = 0; y < h; y++)
            for (int x = 0; x < w; x++, o += 3)
            {
                Vec3 c;
                if (bg.Image is BackgroundCrop crop)
                {
                    SampleCrop(crop, x, y, w, h, one, 0);
                    c = new Vec3(Srgb.Decode(one[0]), Srgb.Decode(one[1]), Srgb.Decode(one[2]));
                }
                else c = BackgroundAt(bg, ref pattern, light, x, y, h);
                rgb[o] = Srgb.Encode(Srgb.Decode(rgb[o]) * (1 - a) + c.X * a);
                rgb[o + 1] = Srgb.Encode(Srgb.Decode(rgb[o + 1]) * (1 - a) + c.Y * a);
                rgb[o + 2] = Srgb.Encode(Srgb.Decode(rgb[o + 2]) * (1 - a) + c.Z * a);
            }
    }
}
