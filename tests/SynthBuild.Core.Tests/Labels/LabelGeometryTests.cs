using SynthBuild.Core.Tests.Scene;
using System.Buffers.Binary;
using System.Text;
using SynthBuild.Core.Config;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;
using static SynthBuild.Core.Tests.Rendering.TestScenes;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Tests.Labels;

public class LabelGeometryTests
{
    [Fact]
    public void Cuboid_corners_project_by_pinhole_and_are_visible_exactly_when_the_ray_misses_the_box()
    {
        var dims = new Vec3(0.2, 0.12, 0.1);
        var pose = new RigidTransform(Mat3.RotationZ(0.4), new Vec3(0.03, -0.02, 0.05));
        var cam = Camera(new Vec3(0.35, -0.6, 0.5), new Vec3(0, 0, 0.03), width: 320, height: 240, f: 300);
        var obj = new SceneObject(1, 1, "box", ShapeKind.Box, dims, pose, Matte, ProceduralMeshes.Box(dims).Mesh);
        var scene = MakeScene(cam, Table(), obj);
        var target = Render(scene);
        var o = Assert.Single(LabelExtractor.Extract(0, scene, target).Objects);
        Assert.NotNull(o.Cuboid);
        Vec3 eye = cam.Position;
        int visible = 0;
        for (int i = 0; i < 9; i++)
        {
            Vec3 local = i == 8 ? Vec3.Zero : new(((i & 1) == 0 ? -0.5 : 0.5) * dims.X, ((i & 2) == 0 ? -0.5 : 0.5) * dims.Y, ((i & 4) == 0 ? -0.5 : 0.5) * dims.Z);
            Vec3 pc = cam.WorldToCamera.Apply(pose.Apply(local));
            Assert.Equal(cam.Fx * pc.X / pc.Z + cam.Cx, o.Cuboid![i][0], 9);
            Assert.Equal(cam.Fy * pc.Y / pc.Z + cam.Cy, o.Cuboid[i][1], 9);
            if (i == 8) { Assert.Equal(2, o.Cuboid[i][2]); continue; } // the centre pixel shows the box itself
            // Independent visibility: does the segment eye → corner pass through the box (slab test in the object
            // frame), stopping just short of the corner?
            Vec3 e = pose.Inverse().Apply(eye), c = local;
            bool blocked = SegmentHitsBox(e, c + (e - c).Normalized() * 1e-4, dims);
            Assert.Equal(blocked ? 1.0 : 2.0, o.Cuboid[i][2]);
            if (!blocked) visible++;
        }
        Assert.InRange(visible, 4, 7); // a box seen from above at an angle shows 6 or 7 of its corners
    }

    private static bool SegmentHitsBox(Vec3 a, Vec3 b, Vec3 dims)
    {
        double t0 = 0, t1 = 1;
        double[] pa = a.ToArray(), pb = b.ToArray(), half = (dims * 0.5).ToArray();
        for (int k = 0; k < 3; k++)
        {
            double d = pb[k] - pa[k];
            if (Math.Abs(d) < 1e-15) { if (Math.Abs(pa[k]) > half[k]) return false; continue; }
            double u = (-half[k] - pa[k]) / d, v = (half[k] - pa[k]) / d;
            if (u > v) (u, v) = (v, u);
            t0 = Math.Max(t0, u); t1 = Math.Min(t1, v);
            if (t0 > t1) return false;
        }
        return true;
    }

    [Fact]
    public void Semantic_mask_is_the_category_of_each_instance_pixel_and_point_cloud_reprojects_to_depth()
    {
        var spec = PlacementTests.AllCategories(extra: """, "outputs": { "semantic": true, "pointCloud": true, "normals": true }, "samples": 3""");
        string dir = SmallDataset.TempDir();
        Assert.True(new DatasetBuilder(spec, dir).Build().Succeeded);
        var reader = DatasetReader.Open(dir);
        foreach (long i in reader.Indices)
        {
            var a = reader.ReadAnnotation(i);
            var ids = reader.ReadSegmentation(i);
            var semantic = reader.ReadSemantic(i);
            var depth = reader.ReadDepth(i);
            for (int p = 0; p < ids.Length; p++)
                Assert.Equal(ids[p] == 0 ? 0 : a.Objects[ids[p] - 1].CategoryId, semantic[p]);

            // .npy: magic, version 1.0, header dict, then float32 triples for every pixel with depth, row-major.
            byte[] npy = File.ReadAllBytes(Path.Combine(dir, DatasetLayout.PointCloud(reader.Stem(i))));
            Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, npy[..8]);
            int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(npy.AsSpan(8));
            Assert.Equal(0, (10 + headerLength) % 64);
            string header = Encoding.ASCII.GetString(npy, 10, headerLength);
            int valid = depth.Count(d => d != 0);
            Assert.Contains($"'descr': '<f4', 'fortran_order': False, 'shape': ({valid}, 3)", header);
            Assert.Equal(10 + headerLength + valid * 12, npy.Length);
            int o = 10 + headerLength;
            for (int p = 0; p < depth.Length; p++)
            {
                if (depth[p] == 0) continue;
                float x = BinaryPrimitives.ReadSingleLittleEndian(npy.AsSpan(o)), y = BinaryPrimitives.ReadSingleLittleEndian(npy.AsSpan(o + 4)), z = BinaryPrimitives.ReadSingleLittleEndian(npy.AsSpan(o + 8));
                o += 12;
                Assert.Equal(depth[p] / 1000.0, z, 6);
                Assert.Equal(p % 160, (int)Math.Floor(a.Camera.Fx * x / z + a.Camera.Cx));
                Assert.Equal(p / 160, (int)Math.Floor(a.Camera.Fy * y / z + a.Camera.Cy));
            }
            Assert.Equal(new double[5], a.Camera.Distortion);
        }
    }

    [Fact]
    public void Normals_of_a_box_face_on_are_minus_z_in_the_camera_frame()
    {
        var cam = Camera(new Vec3(0, 0, 1), new Vec3(0, 0, 0), width: 64, height: 48, f: 60);
        var dims = new Vec3(0.3, 0.3, 0.1);
        var scene = MakeScene(cam, null, new SceneObject(1, 1, "box", ShapeKind.Box, dims, new RigidTransform(Mat3.Identity, new Vec3(0, 0, 0.05)), Matte, ProceduralMeshes.Box(dims).Mesh));
        var target = new RenderTarget(64, 48);
        target.EnableNormals();
        new RasterRenderer().Render(scene, target);
        int centre = (24 * 64 + 32) * 3;
        Assert.Equal((0f, 0f, -1f), (target.Normals![centre], target.Normals[centre + 1], target.Normals[centre + 2]));
        byte[] rgb = SampleOutputs.NormalsRgb(target.Normals);
        Assert.Equal((128, 128, 0), (rgb[centre], rgb[centre + 1], rgb[centre + 2]));
        Assert.Equal((0, 0, 0), (rgb[0], rgb[1], rgb[2])); // nothing there
    }
}
