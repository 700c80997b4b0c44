using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Labels;

/// <summary>
/// Derives every label from the renderer's instance-id buffer, so boxes and areas are exact by construction.
/// Objects that ended up with no visible pixel are dropped and the remaining ids renumbered densely 1..N in the
/// id image and the annotations alike (a fully hidden object contributes nothing to the image, so this is exact).
/// </summary>
public static class LabelExtractor
{
    /// <summary>
    /// Labels of one rendered sample. The render is not changed: when ids need renumbering, the sample's id image
    /// is written into <paramref name="renumbered"/>; <paramref name="instanceIds"/> is the id image the labels
    /// refer to (<paramref name="renumbered"/>, or the render's own ids when every object is visible).
    /// </summary>
    public static SampleAnnotation Extract(long index, SceneDescription scene, RenderResult render, Span<ushort> renumbered,
        out ReadOnlySpan<ushort> instanceIds)
    {
        int n = scene.Objects.Count;
        Span<int> visible = n <= 256 ? stackalloc int[n + 1] : new int[n + 1];
        var extents = new PixelExtent[n + 1];
        for (int i = 0; i <= n; i++) extents[i] = PixelExtent.Empty;

        int w = render.Width, h = render.Height;
        ReadOnlySpan<ushort> ids = render.InstanceIds;
        for (int y = 0; y < h; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                int id = ids[row + x];
                if (id == 0) continue;
                visible[id]++;
                ref PixelExtent e = ref extents[id];
                if (x < e.MinX) e.MinX = x;
                if (x > e.MaxX) e.MaxX = x;
                if (y < e.MinY) e.MinY = y;
                if (y > e.MaxY) e.MaxY = y;
            }
        }

        // Dense renumbering of the objects that are visible at all.
        Span<ushort> remap = n <= 256 ? stackalloc ushort[n + 1] : new ushort[n + 1];
        ushort next = 0;
        bool renumber = false;
        for (int id = 1; id <= n; id++)
        {
            remap[id] = visible[id] > 0 ? ++next : (ushort)0;
            if (remap[id] != id) renumber = true;
        }
        instanceIds = ids;
        if (renumber)
        {
            Span<ushort> dense = renumbered[..ids.Length];
            for (int i = 0; i < ids.Length; i++) dense[i] = remap[ids[i]];
            instanceIds = dense;
        }

        var camera = scene.Camera;
        var objects = new List<ObjectAnnotation>(next);
        foreach (SceneObject o in scene.Objects)
        {
            int id = o.InstanceId;
            if (visible[id] == 0) continue;
            PixelExtent e = extents[id], a = render.AmodalExtent[id];
            int unoccluded = render.UnoccludedPixels[id];
            RigidTransform inCamera = camera.WorldToCamera.Compose(o.Pose);
            double truncation = Truncation(camera, inCamera, o);
            double[][] cuboid = Cuboid(camera, inCamera, o.Dimensions, render.DepthMetres, instanceIds, remap[id]);
            objects.Add(new ObjectAnnotation(
                remap[id], o.CategoryId, o.CategoryName, o.Shape,
                [e.MinX, e.MinY, e.MaxX - e.MinX + 1, e.MaxY - e.MinY + 1],
                visible[id],
                a.IsEmpty ? [0, 0, 0, 0] : [a.MinX, a.MinY, a.MaxX - a.MinX + 1, a.MaxY - a.MinY + 1],
                unoccluded,
                unoccluded > 0 ? Math.Min(1.0, (double)visible[id] / unoccluded) : 0,
                o.Dimensions,
                new Pose(o.Pose.Translation, o.Pose.Rotation.ToQuaternion()),
                new Pose(inCamera.Translation, inCamera.Rotation.ToQuaternion()),
                truncation, cuboid, o.Kind));
        }

        return new SampleAnnotation(index, w, h,
            new CameraAnnotation(camera.Fx, camera.Fy, camera.Cx, camera.Cy, camera.WorldToCamera, camera.Position, camera.Lens.ToArray()),
            scene.Light, objects);
    }

    /// <summary>Labels of a render the caller owns; ids that need renumbering are renumbered in the target itself.</summary>
    public static SampleAnnotation Extract(long index, SceneDescription scene, RenderTarget target) =>
        Extract(index, scene, new RenderResult(target), target.InstanceIds, out _);

    /// <summary>1 − (area of the projected mesh's box inside the image) ÷ (its whole area).</summary>
    internal static double Truncation(CameraModel camera, RigidTransform objectToCamera, SceneObject o)
    {
        double minU = double.MaxValue, minV = double.MaxValue, maxU = double.MinValue, maxV = double.MinValue;
        void Include(Vec3 local)
        {
            Vec3 pc = objectToCamera.Apply(local);
            if (pc.Z <= RasterRenderer.NearPlane) return;
            var (u, v) = camera.ProjectDistorted(pc);
            minU = Math.Min(minU, u); maxU = Math.Max(maxU, u); minV = Math.Min(minV, v); maxV = Math.Max(maxV, v);
        }
        if (o.Mesh is Mesh mesh)
            foreach (MeshVertex v in mesh.Vertices) Include(v.Position);
        else
            for (int i = 0; i < 8; i++) Include(Corner(o.Dimensions, i));
        double area = (maxU - minU) * (maxV - minV);
        if (!(area > 0)) return 0;
        double inside = Math.Max(0, Math.Min(maxU, camera.Width) - Math.Max(minU, 0)) * Math.Max(0, Math.Min(maxV, camera.Height) - Math.Max(minV, 0));
        return Math.Clamp(1 - inside / area, 0, 1);
    }

    /// <summary>Corner i of the object's box (bit 0: +x, bit 1: +y, bit 2: +z); i = 8 is the centre.</summary>
    public static Vec3 Corner(Vec3 dims, int i) => ObjectBox.Corner(dims, i);

    // A keypoint counts as visible when no surface lies more than this in front of it (the box's corners lie on
    // or just off the surface; the rendered depth is float).
    private const double KeypointDepthTolerance = 0.004;

    private static double[][] Cuboid(CameraModel camera, RigidTransform objectToCamera, Vec3 dims, ReadOnlySpan<float> depth,
        ReadOnlySpan<ushort> ids, int id)
    {
        var result = new double[9][];
        for (int i = 0; i < 9; i++)
        {
            Vec3 pc = objectToCamera.Apply(Corner(dims, i));
            if (pc.Z <= RasterRenderer.NearPlane) { result[i] = [0, 0, 0]; continue; }
            var (u, v) = camera.ProjectDistorted(pc);
            int flag = 0;
            if (u >= 0 && v >= 0 && u < camera.Width && v < camera.Height)
            {
                int p = (int)v * camera.Width + (int)u;
                float surface = depth[p];
                bool clear = i == 8 ? ids[p] == id : surface == 0 || pc.Z <= surface + KeypointDepthTolerance;
                flag = clear ? 2 : 1;
            }
            result[i] = [u, v, flag];
        }
        return result;
    }
}
