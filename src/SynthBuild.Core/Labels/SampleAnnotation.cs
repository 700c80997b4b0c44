using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Labels;

/// <summary>A pose as position (m) and unit quaternion (w, x, y, z).</summary>
public sealed record Pose(Vec3 Position, Quaternion Rotation);

/// <summary>
/// One labelled object. <see cref="Bbox"/> is the tight COCO box [x, y, w, h] of the visible pixels in the instance
/// mask (pixel (u, v) covers [u, u+1) × [v, v+1)); <see cref="AmodalBbox"/> is the box of the whole silhouette
/// with no occluders, clipped to the image. Visibility = visible ÷ unoccluded pixels.
/// <see cref="Truncation"/> is the fraction of the projected mesh's box (unclipped) that lies outside the image.
/// <see cref="Cuboid"/> holds the 8 corners of the 3D box (object frame corner i at ((i&amp;1 ? +:−) x, (i&amp;2 ? +:−) y,
/// (i&amp;4 ? +:−) z) · dimensions/2) then its centre, each [u, v, v-flag] in pixels with the COCO flag: 2 visible, 1 in
/// the image but hidden by a nearer surface (for the centre: the pixel shows something else), 0 outside the image.
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
    Pose PoseCamera,
    double Truncation = 0,
    double[][]? Cuboid = null,
    string? Kind = null);

/// <param name="Distortion">Brown–Conrady [k1, k2, p1, p2, k3] (OpenCV order); zeros = pinhole.</param>
/// <param name="Projection">Row-major 3×3 map from (distorted) normalized camera coordinates [x/z, y/z, 1] to pixels,
/// set on augmented samples: H·K_source, exact for every geometric augmentation (docs/augmentation.md). Null: K itself.</param>
public sealed record CameraAnnotation(double Fx, double Fy, double Cx, double Cy, RigidTransform WorldToCamera, Vec3 Position,
    double[]? Distortion = null, double[]? Projection = null)
{
    /// <summary>Pixel position (centres at +0.5) of a camera-frame point in front of the camera, ignoring lens distortion.</summary>
    public (double U, double V) Project(Vec3 pc)
    {
        double x = pc.X / pc.Z, y = pc.Y / pc.Z;
        if (Projection is not double[] p) return (Fx * x + Cx, Fy * y + Cy);
        double w = p[6] * x + p[7] * y + p[8];
        return ((p[0] * x + p[1] * y + p[2]) / w, (p[3] * x + p[4] * y + p[5]) / w);
    }
}

/// <param name="ExtraFiles">Optional outputs of this sample beyond rgb/depth/segmentation: (key, relative path),
/// e.g. ("semantic", "semantic/000001.png").</param>
/// <param name="Stats">Pixel statistics of the written images (for the quality analysis); null in samples written by
/// engines before 0.4 and by tools that do not compute them.</param>
public sealed record SampleAnnotation(
    long Index,
    int Width,
    int Height,
    CameraAnnotation Camera,
    Lighting Light,
    IReadOnlyList<ObjectAnnotation> Objects,
    IReadOnlyList<KeyValuePair<string, string>>? ExtraFiles = null,
    ImageStatistics? Stats = null);
