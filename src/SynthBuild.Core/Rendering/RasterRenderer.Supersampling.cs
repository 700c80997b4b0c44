using SynthBuild.Core.Scene;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Rendering;

public sealed partial class RasterRenderer
{
    private RenderTarget? _highRes;

    /// <summary>One pinhole render into <paramref name="target"/>, supersampled as the options ask.</summary>
    private void RenderPinhole(SceneDescription scene, RenderTarget target)
    {
        int factor = _options.Supersampling;
        if (factor <= 1) { Render(scene, target); return; }
        RenderTarget highRes = Reuse(ref _highRes, target.Width * factor, target.Height * factor, coverageMasks: false, normals: false);
        RenderSupersampled(scene, target, factor, highRes);
    }

    /// <summary>
    /// Renders RGB at <paramref name="factor"/>× the resolution into <paramref name="highRes"/> and box-filters it (in
    /// linear light) into <paramref name="target"/>'s RGB. Depth, ids and coverage in <paramref name="target"/> come
    /// from a native-resolution render, so labels stay exact per native pixel.
    /// </summary>
    public void RenderSupersampled(SceneDescription scene, RenderTarget target, int factor, RenderTarget highRes)
    {
        Render(scene, target);
        if (factor <= 1) return;
        CameraModel c = scene.Camera;
        var hiCam = c with { Width = c.Width * factor, Height = c.Height * factor, Fx = c.Fx * factor, Fy = c.Fy * factor, Cx = c.Cx * factor, Cy = c.Cy * factor };
        Render(scene with { Camera = hiCam }, highRes);
        Srgb.BoxDownsample(highRes.Rgb, highRes.Width, target.Rgb, target.Width, target.Height, factor);
    }
}
