using SynthBuild.Core.Scene;

namespace SynthBuild.Core.Labels;

/// <summary>A pose as position (m) and unit quaternion (w, x, y, z).</summary>
public sealed record Pose(Vec3 Position, Quaternion Rotation);

/// <summary>
/// One labelled object. <see cref="Bbox"/> is the tight COCO box [x, y, w, h] of the visible pixels in the instance
/// mask (pixel (u, v) covers [u, u+1) × [v, v+1)); <see cref="AmodalBbox"/> is the box of the whole silhouette
/// with no occluders, clipped to the image. Visibility = visible ÷ unoccluded pixels.
/// </summary>
public sealed record ObjectAnnotation(
    int InstanceId,
    int CategoryId,
    string Category,
    ShapeKind Shape,
    double[] Bbox,
    int Area,
    double[] AmodalBbox,
    int UnoccludedArea,
    double Visibility,
    Vec3 Dimensions,
    Pose PoseWorld,
    Pose PoseCamera);

public sealed record CameraAnnotation(double Fx, double Fy, double Cx, double Cy, RigidTransform WorldToCamera, Vec3 Position);

public sealed record SampleAnnotation(
    long Index,
    int Width,
    int Height,
    CameraAnnotation Camera,
    Lighting Light,
    IReadOnlyList<ObjectAnnotation> Objects);
