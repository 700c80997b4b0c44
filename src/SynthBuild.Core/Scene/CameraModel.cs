using SynthBuild.Core.Geometry;
namespace SynthBuild.Core.Scene;

/// <summary>
/// Pinhole camera in the OpenCV convention (x right, y down, z forward). Intrinsics in pixels; pixel centres at
/// integer + 0.5, so the pixel (u, v) covers [u, u+1) × [v, v+1). <see cref="WorldToCamera"/> maps world points
/// into the camera frame. <see cref="Lens"/> is the Brown–Conrady distortion of the delivered images; the renderer
/// draws the pinhole image and the pipeline resamples it (see <c>LensWarp</c>).
/// </summary>
public sealed record CameraModel(
    int Width, int Height,
    double Fx, double Fy, double Cx, double Cy,
    RigidTransform WorldToCamera,
    LensDistortion Lens = default)
{
    /// <summary>Camera-frame point → pixel coordinates in the delivered (distorted) image.</summary>
    public (double U, double V) ProjectDistorted(Vec3 pc) => Lens.IsZero ? Project(pc) : Lens.Project(Fx, Fy, Cx, Cy, pc);

    /// <summary>Camera centre in world coordinates.</summary>
    public Vec3 Position => WorldToCamera.Inverse().Translation;

    /// <summary>Projects a camera-frame point to continuous pixel coordinates.</summary>
    public (double U, double V) Project(Vec3 pc) => (Fx * pc.X / pc.Z + Cx, Fy * pc.Y / pc.Z + Cy);

    /// <summary>
    /// A camera at <paramref name="eye"/> looking at <paramref name="target"/>, with world z up appearing
    /// up in the image (camera y points down).
    /// </summary>
    public static RigidTransform LookAt(Vec3 eye, Vec3 target)
    {
        Vec3 forward = (target - eye).Normalized();                    // camera +z
        Vec3 worldUp = Vec3.UnitZ;
        Vec3 right = Vec3.Cross(forward, worldUp);                      // camera +x
        if (right.Length < 1e-9) right = new Vec3(1, 0, 0);             // looking straight down
        right = right.Normalized();
        Vec3 down = Vec3.Cross(forward, right);                         // camera +y
        Mat3 r = Mat3.FromRows(right, down, forward);                   // rows: camera axes in world
        return new RigidTransform(r, -(r * eye));
    }
}
