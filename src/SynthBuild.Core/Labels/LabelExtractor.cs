using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;

namespace SynthBuild.Core.Labels;

/// <summary>
/// Derives every label from the renderer's instance-id buffer, so boxes and areas are exact by construction.
/// Objects that ended up with no visible pixel are dropped and the remaining ids renumbered densely 1..N in the
/// buffer and the annotations alike (a fully hidden object contributes nothing to the image, so this is exact).
/// </summary>
public static class LabelExtractor
{
    public static SampleAnnotation Extract(long index, SceneDescription scene, RenderTarget target)
    {
        int n = scene.Objects.Count;
        Span<int> visible = n <= 256 ? stackalloc int[n + 1] : new int[n + 1];
        var extents = new PixelExtent[n + 1];
        for (int i = 0; i <= n; i++) extents[i] = PixelExtent.Empty;

        int w = target.Width, h = target.Height;
        ushort[] ids = target.InstanceIds;
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
        if (renumber)
            for (int i = 0; i < ids.Length; i++) ids[i] = remap[ids[i]];

        var camera = scene.Camera;
        var objects = new List<ObjectAnnotation>(next);
        foreach (SceneObject o in scene.Objects)
        {
            int id = o.InstanceId;
            if (visible[id] == 0) continue;
            PixelExtent e = extents[id], a = target.AmodalExtent[id];
            int unoccluded = target.UnoccludedPixels[id];
            RigidTransform inCamera = camera.WorldToCamera.Compose(o.Pose);
            objects.Add(new ObjectAnnotation(
                remap[id], o.CategoryId, o.CategoryName, o.Shape,
                [e.MinX, e.MinY, e.MaxX - e.MinX + 1, e.MaxY - e.MinY + 1],
                visible[id],
                a.IsEmpty ? [0, 0, 0, 0] : [a.MinX, a.MinY, a.MaxX - a.MinX + 1, a.MaxY - a.MinY + 1],
                unoccluded,
                unoccluded > 0 ? Math.Min(1.0, (double)visible[id] / unoccluded) : 0,
                o.Dimensions,
                new Pose(o.Pose.Translation, o.Pose.Rotation.ToQuaternion()),
                new Pose(inCamera.Translation, inCamera.Rotation.ToQuaternion())));
        }

        return new SampleAnnotation(index, w, h,
            new CameraAnnotation(camera.Fx, camera.Fy, camera.Cx, camera.Cy, camera.WorldToCamera, camera.Position),
            scene.Light, objects);
    }
}
