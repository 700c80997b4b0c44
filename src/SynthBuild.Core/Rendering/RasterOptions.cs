using SynthBuild.Core.Config;

namespace SynthBuild.Core.Rendering;

/// <summary>What the rasterizer renders per sample besides the one native-resolution pass.</summary>
/// <param name="Supersampling">RGB is rendered at this factor per axis and box-filtered in linear light; labels come from native pixels.</param>
/// <param name="Normals">Also render camera-frame normals.</param>
/// <param name="LensMargin">Pixels of margin around the pinhole render that a distorting lens resamples from; null:
/// computed from each sample's camera.</param>
public sealed record RasterOptions(int Supersampling = 1, bool Normals = false, int? LensMargin = null)
{
    /// <summary>The options a dataset's samples are rendered with.</summary>
    public static RasterOptions For(DatasetSpec spec)
    {
        CameraSpec c = spec.Camera;
        // One margin for the whole dataset, wide enough for the shortest focal length the camera varies to: the
        // pinhole render's size, and with it the pixels, must not depend on the sample.
        int? margin = c.Distortion.IsZero ? null
            : LensWarp.Margin(c.Distortion, spec.Width, spec.Height, c.Fx, c.Fy, c.Cx, c.Cy, 1 - c.FocalLengthVariation);
        return new RasterOptions(spec.RenderOrDefault.Supersampling, spec.OutputsOrDefault.Normals, margin);
    }
}
