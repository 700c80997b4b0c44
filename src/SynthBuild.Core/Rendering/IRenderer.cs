using SynthBuild.Core.Scene;

namespace SynthBuild.Core.Rendering;

/// <summary>
/// A rendering backend (the rasterizer today; a photoreal one can sit beside it): one scene in, the ideal images
/// of one sample out, at the camera's resolution and through the camera's lens. Labels are derived from the result
/// downstream, so a backend only has to fill its buffers. An instance serves one thread: the result's buffers
/// belong to the renderer and are overwritten by its next call, so rendering a sample allocates nothing.
/// </summary>
public interface IRenderer
{
    RenderResult Render(SceneDescription scene);
}
