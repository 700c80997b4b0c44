using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
namespace SynthBuild.Core.Scene;
/// <summary>
/// A texture. Procedural: the albedo is mixed from the material's albedo towards <see cref="Color"/> by the
/// pattern's value at the surface's UV (metres) times <see cref="Scale"/> (cycles per metre). Image: the albedo is
/// the <see cref="Picture"/>'s colour, tiled <see cref="Scale"/> times per metre.
/// </summary>
public readonly record struct Texture(TexturePattern Pattern, Vec3 Color, double Scale, int Seed, ImageData? Picture = null);

/// <summary>Surface appearance. Colours are linear RGB in [0, 1].</summary>
public readonly record struct Material(Vec3 Albedo, double Roughness, double Metallic, Texture Texture = default);

/// <summary>
/// One labelled object. <see cref="Dimensions"/> is the full extent of the object's axis-aligned box in its own
/// frame (box: edge lengths; cylinder: 2r, 2r, h; sphere: 2r, 2r, 2r). The object frame has its origin at the
/// centre of that box; <see cref="Pose"/> maps object coordinates to world coordinates. <see cref="Mesh"/> is the
/// object's own mesh in that frame (null: the renderer scales the shape's unit mesh); <see cref="Kind"/> names the
/// variant of a category with several (e.g. "wrench").
/// </summary>
public sealed record SceneObject(
    int InstanceId,
    int CategoryId,
    string CategoryName,
    ShapeKind Shape,
    Vec3 Dimensions,
    RigidTransform Pose,
    Material Material,
    Mesh? Mesh = null,
    string? Kind = null);

/// <summary>A directional light (direction points from the scene towards the light) plus ambient light.</summary>
/// <param name="Color">Linear RGB tint: the colour temperature's colour (luminance 1) times the per-channel jitter.</param>
/// <param name="Shadows">Objects cast shadows from the directional light (shadow mapping).</param>
/// <param name="PointLights">Optional point lights (no shadows), lighting objects and table with inverse-square falloff.</param>
public sealed record Lighting(Vec3 DirectionToLight, Vec3 Color, double Intensity, double Ambient, bool Shadows = false,
    IReadOnlyList<PointLight>? PointLights = null)
{
    public int PointLightCount => PointLights?.Count ?? 0;
}

/// <summary>
/// A point light at <see cref="Position"/> (world metres). Irradiance on a surface facing it at distance d is
/// Color · Intensity / 1000 / d² (so intensity 1000 at 1 m matches the directional light at 1000).
/// </summary>
public readonly record struct PointLight(Vec3 Position, Vec3 Color, double Intensity);

/// <summary>
/// What fills pixels where nothing is rendered: a vertical gradient from <see cref="Top"/> to
/// <see cref="Bottom"/> (linear RGB albedo of walls facing the camera, lit by the scene's ambient and directional
/// light), optionally modulated by a procedural <see cref="Pattern"/> over the image (UV = pixel / height);
/// or, with <see cref="Image"/>, a crop of a user image composited unchanged (a photograph carries its own lighting).
/// <see cref="Blend"/> &gt; 0 lays the background over the rendered image with that opacity (the original tool's
/// look; labels are unaffected).
/// </summary>
public sealed record Background(Vec3 Top, Vec3 Bottom, Texture Pattern = default, double Blend = 0, BackgroundCrop? Image = null);

/// <summary>
/// A crop of <see cref="Picture"/>: output pixel centre (x + 0.5, y + 0.5) of a W × H image maps to source
/// coordinates (OffsetX + (x + 0.5) / W · SpanX, OffsetY + (y + 0.5) / H · SpanY), sampled bilinearly. Resolution-
/// independent, so supersampled and native renders show the same crop.
/// </summary>
public sealed record BackgroundCrop(ImageData Picture, double OffsetX, double OffsetY, double SpanX, double SpanY);

/// <summary>The support plane z = 0, a rectangle centred at the origin.</summary>
public sealed record Table(double SizeX, double SizeY, Material Material);

/// <summary>Everything needed to render one sample: pure data, no behaviour.</summary>
/// <param name="Distractors">Unlabelled objects: rendered and casting shadows, id 0 in the instance buffer, so they
/// occlude labelled objects (lowering their visibility) without an annotation of their own.</param>
public sealed record SceneDescription(
    CameraModel Camera,
    IReadOnlyList<SceneObject> Objects,
    Lighting Light,
    Table Table,
    Background Background,
    IReadOnlyList<SceneObject>? Distractors = null)
{
    public IReadOnlyList<SceneObject> DistractorsOrEmpty => Distractors ?? [];
}
