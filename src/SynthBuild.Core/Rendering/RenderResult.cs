using SynthBuild.Core.Assets;
namespace SynthBuild.Core.Rendering;

/// <summary>
/// One rendered sample at the output resolution, read-only: RGB, depth, instance ids, per-instance coverage of the
/// unoccluded silhouette and (when the renderer was asked for them) normals. A view of the renderer's buffers,
/// valid until the renderer renders again; later stages write what they derive into buffers of their own.
/// </summary>
public readonly struct RenderResult
{
    private readonly RenderTarget _target;

    public RenderResult(RenderTarget target) => _target = target ?? throw new ArgumentNullException(nameof(target));

    public int Width => _target.Width;
    public int Height => _target.Height;

    /// <summary>Linear radiance per pixel, stored with the sRGB transfer curve in 8 bits (R, G, B); see <see cref="LinearRgb"/>.</summary>
    public ReadOnlySpan<byte> Rgb => _target.Rgb;

    /// <summary>Camera-frame z of the nearest surface in metres; 0 where nothing was hit.</summary>
    public ReadOnlySpan<float> DepthMetres => _target.DepthMetres;

    /// <summary>Instance id of the nearest object per pixel (the scene's ids); 0 = background, table or distractor.</summary>
    public ReadOnlySpan<ushort> InstanceIds => _target.InstanceIds;

    /// <summary>Camera-frame unit normal (x, y, z per pixel) of the nearest surface; empty when not rendered.</summary>
    public ReadOnlySpan<float> Normals => _target.Normals;

    /// <summary>Per instance id: pixels the object covers with no occluders (index 0 unused).</summary>
    public ReadOnlySpan<int> UnoccludedPixels => _target.UnoccludedPixels;

    /// <summary>Per instance id: the extent of the unoccluded silhouette inside the image (amodal box).</summary>
    public ReadOnlySpan<PixelExtent> AmodalExtent => _target.AmodalExtent;

    /// <summary>Linear RGB of pixel <paramref name="index"/> (row-major).</summary>
    public (double R, double G, double B) LinearRgb(int index)
    {
        ReadOnlySpan<byte> rgb = _target.Rgb.AsSpan(index * 3, 3);
        return (Srgb.Decode(rgb[0]), Srgb.Decode(rgb[1]), Srgb.Decode(rgb[2]));
    }
}
