namespace SynthBuild.Core.Scene;

/// <summary>The primitive shapes the generator knows how to build meshes for.</summary>
public enum ShapeKind { Box, Cylinder, Sphere }

/// <summary>Surface appearance. Colours are linear RGB in [0, 1].</summary>
public readonly record struct Material(Vec3 Albedo, double Roughness, double Metallic);

/// <summary>
/// One labelled object. <see cref="Dimensions"/> is the full extent of the object's axis-aligned box in its own
/// frame (box: edge lengths; cylinder: 2r, 2r, h; sphere: 2r, 2r, 2r). The object frame has its origin at the
/// centre of that box; <see cref="Pose"/> maps object coordinates to world coordinates.
/// </summary>
public sealed record SceneObject(
    int InstanceId,
    int CategoryId,
    string CategoryName,
    ShapeKind Shape,
    Vec3 Dimensions,
    RigidTransform Pose,
    Material Material);

/// <summary>A directional light (direction points from the scene towards the light) plus ambient light.</summary>
public sealed record Lighting(Vec3 DirectionToLight, Vec3 Color, double Intensity, double Ambient);

/// <summary>
/// What fills pixels where nothing is rendered: a vertical gradient from <see cref="Top"/> to
/// <see cref="Bottom"/> (linear RGB).
/// </summary>
public sealed record Background(Vec3 Top, Vec3 Bottom);

/// <summary>The support plane z = 0, a rectangle centred at the origin.</summary>
public sealed record Table(double SizeX, double SizeY, Material Material);

/// <summary>Everything needed to render one sample: pure data, no behaviour.</summary>
public sealed record SceneDescription(
    CameraModel Camera,
    IReadOnlyList<SceneObject> Objects,
    Lighting Light,
    Table Table,
    Background Background);
