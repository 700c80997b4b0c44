namespace SynthBuild.Core.Scene;

using SynthBuild.Core.Rendering;

/// <summary>The shapes the generator knows how to build meshes for (append only: names are written to annotations).</summary>
public enum ShapeKind { Box, Cylinder, Sphere, Mug, Bottle, Tool, Part, Mesh }

/// <summary>Procedural texture patterns (append only).</summary>
public enum TexturePattern { None, Checker, Stripes, Noise, Wood }

/// <summary>
/// A procedural texture: the albedo is mixed from the material's albedo towards <see cref="Color"/> by the
/// pattern's value at the surface's UV (metres) times <see cref="Scale"/> (cycles per metre).
/// </summary>
public readonly record struct Texture(TexturePattern Pattern, Vec3 Color, double Scale, int Seed);

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
/// <param name="Shadows">Objects cast shadows from the directional light (shadow mapping).</param>
public sealed record Lighting(Vec3 DirectionToLight, Vec3 Color, double Intensity, double Ambient, bool Shadows = false);

/// <summary>
/// What fills pixels where nothing is rendered: a vertical gradient from <see cref="Top"/> to
/// <see cref="Bottom"/> (linear RGB), optionally modulated by a procedural <see cref="Pattern"/> over the image
/// (UV = pixel / height); <see cref="Blend"/> &gt; 0 lays the background over the rendered image with that opacity
/// (the original tool's look; labels are unaffected).
/// </summary>
public sealed record Background(Vec3 Top, Vec3 Bottom, Texture Pattern = default, double Blend = 0);

/// <summary>The support plane z = 0, a rectangle centred at the origin.</summary>
public sealed record Table(double SizeX, double SizeY, Material Material);

/// <summary>Everything needed to render one sample: pure data, no behaviour.</summary>
public sealed record SceneDescription(
    CameraModel Camera,
    IReadOnlyList<SceneObject> Objects,
    Lighting Light,
    Table Table,
    Background Background);
