using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Tests.Rendering;

/// <summary>Builds small scenes for renderer tests and measures the resulting buffers.</summary>
internal static class TestScenes
{
    public static readonly Material Matte = new(new Vec3(0.6, 0.5, 0.4), 0.7, 0.0);
    public static readonly Lighting DefaultLight = new(new Vec3(0.3, -0.4, 1.0), new Vec3(1, 1, 1), 800, 0.3);
    public static readonly Background DefaultBackground = new(new Vec3(0.2, 0.3, 0.5), new Vec3(0.05, 0.05, 0.05));

    public static CameraModel Camera(Vec3 eye, Vec3 target, int width = 640, int height = 480, double f = 600,
        double? cx = null, double? cy = null) =>
        new(width, height, f, f, cx ?? width / 2.0, cy ?? height / 2.0, CameraModel.LookAt(eye, target));

    public static SceneObject Object(int id, ShapeKind shape, Vec3 dims, Vec3 position, Mat3? rotation = null,
        Material? material = null) =>
        new(id, 1, shape.ToString().ToLowerInvariant(), shape, dims,
            new RigidTransform(rotation ?? Mat3.Identity, position), material ?? Matte);

    public static SceneDescription MakeScene(CameraModel camera, Table? table, params SceneObject[] objects) =>
        new(camera, objects, DefaultLight, table ?? new Table(0, 0, Matte), DefaultBackground);

    public static Table Table(double size = 1.2) => new(size, size, new Material(new Vec3(0.4, 0.35, 0.3), 0.5, 0.0));

    public static RenderTarget Render(SceneDescription scene)
    {
        var target = new RenderTarget(scene.Camera.Width, scene.Camera.Height);
        new RasterRenderer().Render(scene, target);
        return target;
    }

    public static int Count(RenderTarget t, int id)
    {
        int n = 0;
        foreach (ushort v in t.InstanceIds) if (v == id) n++;
        return n;
    }

    public static PixelExtent Extent(RenderTarget t, int id)
    {
        var e = PixelExtent.Empty;
        for (int y = 0; y < t.Height; y++)
            for (int x = 0; x < t.Width; x++)
                if (t.InstanceIds[y * t.Width + x] == id) e.Include(x, y);
        return e;
    }
}
