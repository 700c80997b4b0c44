using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Rendering;

/// <summary>
/// Applies lens distortion to a pinhole render. The pinhole image is rendered with a margin (so rays that the lens
/// bends in from outside the pinhole field of view exist), then every delivered pixel centre is undistorted and
/// looks up its source: ids, depth and each object's unoccluded coverage by the same nearest-pixel rule, RGB
/// bilinearly. Labels computed from the result are therefore labels of the distorted images.
/// </summary>
public static class LensWarp
{
    /// <summary>Pixels of margin the pinhole render needs around the image for this lens (at focal scale ≥ minScale).</summary>
    public static int Margin(LensDistortion lens, int width, int height, double fx, double fy, double cx, double cy, double minFocalScale)
    {
        double worst = 0;
        for (int k = 0; k <= 16; k++)
        {
            double t = k / 16.0;
            foreach (var (u, v) in new[] { (t * width, 0.0), (t * width, (double)height), (0.0, t * height), ((double)width, t * height) })
            {
                var (x, y) = lens.Undistort((u - cx) / (fx * minFocalScale), (v - cy) / (fy * minFocalScale));
                double pu = fx * minFocalScale * x + cx, pv = fy * minFocalScale * y + cy;
                worst = Math.Max(worst, Math.Max(Math.Max(-pu, pu - width), Math.Max(-pv, pv - height)));
            }
        }
        return (int)Math.Min(Math.Ceiling(worst * 1.1) + 2, Math.Max(width, height));
    }

    /// <summary>The pinhole camera to render: the delivered camera widened by <paramref name="margin"/> on each side.</summary>
    public static CameraModel PinholeWithMargin(CameraModel c, int margin) =>
        c with { Width = c.Width + 2 * margin, Height = c.Height + 2 * margin, Cx = c.Cx + margin, Cy = c.Cy + margin, Lens = default };

    /// <summary>
    /// Fills <paramref name="output"/> (the delivered size) from <paramref name="pinhole"/> rendered with
    /// <see cref="PinholeWithMargin"/>, including per-instance unoccluded pixel counts and extents.
    /// </summary>
    public static void Apply(CameraModel camera, RenderTarget pinhole, int margin, RenderTarget output, int instanceCount)
    {
        int w = output.Width, h = output.Height, pw = pinhole.Width, ph = pinhole.Height;
        output.EnsureInstanceCapacity(instanceCount);
        Array.Clear(output.UnoccludedPixels);
        Array.Fill(output.AmodalExtent, PixelExtent.Empty);
        LensDistortion lens = camera.Lens;
        byte[] src = pinhole.Rgb, dst = output.Rgb;
        for (int v = 0, i = 0; v < h; v++)
            for (int u = 0; u < w; u++, i++)
            {
                var (x, y) = lens.Undistort((u + 0.5 - camera.Cx) / camera.Fx, (v + 0.5 - camera.Cy) / camera.Fy);
                double su = camera.Fx * x + camera.Cx + margin, sv = camera.Fy * y + camera.Cy + margin; // continuous pinhole pixel coords
                int nu = (int)Math.Floor(su), nv = (int)Math.Floor(sv);
                if (nu < 0 || nv < 0 || nu >= pw || nv >= ph)
                {
                    output.InstanceIds[i] = 0; output.DepthMetres[i] = 0;
                    if (output.Normals is float[] none) { none[i * 3] = 0; none[i * 3 + 1] = 0; none[i * 3 + 2] = 0; }
                    dst[i * 3] = 0; dst[i * 3 + 1] = 0; dst[i * 3 + 2] = 0;
                    continue;
                }
                int s = nv * pw + nu;
                output.InstanceIds[i] = pinhole.InstanceIds[s];
                output.DepthMetres[i] = pinhole.DepthMetres[s];
                if (output.Normals is float[] on && pinhole.Normals is float[] pn)
                {
                    on[i * 3] = pn[s * 3]; on[i * 3 + 1] = pn[s * 3 + 1]; on[i * 3 + 2] = pn[s * 3 + 2];
                }
                for (int id = 1; id <= instanceCount; id++)
                    if (pinhole.Covers(id, s))
                    {
                        output.UnoccludedPixels[id]++;
                        output.AmodalExtent[id].Include(u, v);
                    }
                // Bilinear RGB between the four pinhole pixel centres around (su, sv).
                double fu = su - 0.5, fv = sv - 0.5;
                int x0 = Math.Clamp((int)Math.Floor(fu), 0, pw - 1), y0 = Math.Clamp((int)Math.Floor(fv), 0, ph - 1);
                int x1 = Math.Min(x0 + 1, pw - 1), y1 = Math.Min(y0 + 1, ph - 1);
                double ax = Math.Clamp(fu - x0, 0, 1), ay = Math.Clamp(fv - y0, 0, 1);
                for (int c = 0; c < 3; c++)
                {
                    double top = src[(y0 * pw + x0) * 3 + c] * (1 - ax) + src[(y0 * pw + x1) * 3 + c] * ax;
                    double bottom = src[(y1 * pw + x0) * 3 + c] * (1 - ax) + src[(y1 * pw + x1) * 3 + c] * ax;
                    dst[i * 3 + c] = (byte)Math.Round(top * (1 - ay) + bottom * ay);
                }
            }
    }
}
