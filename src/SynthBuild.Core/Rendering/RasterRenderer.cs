using SynthBuild.Core.Scene;

namespace SynthBuild.Core.Rendering;

/// <summary>CPU z-buffer rasterizer. Placeholder: implemented by the rendering work.</summary>
public sealed class RasterRenderer
{
    /// <summary>Renders <paramref name="scene"/> into <paramref name="target"/> (same size as the camera).</summary>
    public void Render(SceneDescription scene, RenderTarget target) => throw new NotImplementedException();
}
