using SynthBuild.Core.Tests.Scene;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Pipeline;
using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;
using static SynthBuild.Core.Tests.Rendering.TestScenes;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Tests.Rendering;

public class LensDistortionTests
{
    private static readonly LensDistortion Lens = new(-0.28, 0.07, 0.0015, -0.001, 0);

    /// <summary>Independent of LensDistortion: the textbook formula, written out again.</summary>
    private static (double X, double Y) Distort(double x, double y)
    {
        double r2 = x * x + y * y, r4 = r2 * r2;
        double f = 1 - 0.28 * r2 + 0.07 * r4;
        return (x * f + 2 * 0.0015 * x * y + -0.001 * (r2 + 2 * x * x), y * f + 0.0015 * (r2 + 2 * y * y) + 2 * -0.001 * x * y);
    }

    /// <summary>Newton's method with a numerical Jacobian (a different inversion from the generator's fixed point).</summary>
    private static (double X, double Y) Undistort(double xd, double yd)
    {
        double x = xd, y = yd, h = 1e-7;
        for (int it = 0; it < 30; it++)
        {
            var (fx, fy) = Distort(x, y);
            var (ax, ay) = Distort(x + h, y);
            var (bx, by) = Distort(x, y + h);
            double j00 = (ax - fx) / h, j10 = (ay - fy) / h, j01 = (bx - fx) / h, j11 = (by - fy) / h;
            double ex = fx - xd, ey = fy - yd, det = j00 * j11 - j01 * j10;
            x -= (j11 * ex - j01 * ey) / det;
            y -= (-j10 * ex + j00 * ey) / det;
        }
        return (x, y);
    }

    [Fact]
    public void Distorted_id_buffer_and_labels_match_rays_through_the_distorted_pixels()
    {
        const int w = 200, h = 150;
        double r = 0.06;
        var centre = new Vec3(0.17, 0.1, r);
        var cam = Camera(new Vec3(0, -0.05, 0.6), new Vec3(0, 0, 0), width: w, height: h, f: 160) with { Lens = Lens };
        var sphere = new SceneObject(1, 1, "sphere", ShapeKind.Sphere, new Vec3(2 * r, 2 * r, 2 * r),
            new RigidTransform(Mat3.Identity, centre), Matte, ProceduralMeshes.Sphere(r).Mesh);
        var scene = MakeScene(cam, Table(), sphere);

        int margin = LensWarp.Margin(Lens, w, h, cam.Fx, cam.Fy, cam.Cx, cam.Cy, 1);
        var pinhole = new RenderTarget(w + 2 * margin, h + 2 * margin);
        pinhole.EnableCoverageMasks();
        new RasterRenderer().Render(scene with { Camera = LensWarp.PinholeWithMargin(cam, margin) }, pinhole);
        var output = new RenderTarget(w, h);
        LensWarp.Apply(cam, pinhole, margin, output, 1);
        var o = Assert.Single(LabelExtractor.Extract(0, scene, output).Objects);

        Vec3 c = cam.WorldToCamera.Apply(centre);
        int checkedIn = 0, checkedOut = 0;
        for (int v = 0; v < h; v++)
            for (int u = 0; u < w; u++)
            {
                var (x, y) = Undistort((u + 0.5 - cam.Cx) / cam.Fx, (v + 0.5 - cam.Cy) / cam.Fy);
                Vec3 d = new Vec3(x, y, 1).Normalized();
                double along = Vec3.Dot(c, d);
                double miss = (c - d * along).Length; // distance of the ray from the sphere's centre
                int id = output.InstanceIds[v * w + u];
                if (miss < 0.97 * r) { Assert.Equal(1, id); checkedIn++; }
                else if (miss > 1.03 * r) { Assert.Equal(0, id); checkedOut++; }
            }
        Assert.True(checkedIn > 300 && checkedOut > 10000);

        // The centre keypoint is the distorted projection of the centre; no occluder: visibility 1, amodal = tight.
        var (xd, yd) = Distort(c.X / c.Z, c.Y / c.Z);
        Assert.Equal(cam.Fx * xd + cam.Cx, o.Cuboid![8][0], 9);
        Assert.Equal(cam.Fy * yd + cam.Cy, o.Cuboid[8][1], 9);
        Assert.Equal(2, o.Cuboid[8][2]);
        Assert.Equal(o.UnoccludedArea, o.Area);
        Assert.Equal(1.0, o.Visibility);
        Assert.Equal(o.Bbox, o.AmodalBbox);
        // Barrel distortion pulls an off-centre object towards the centre compared with the pinhole projection.
        var (pu, _) = cam.Project(c);
        Assert.True(o.Cuboid[8][0] < pu - 1);
    }

    [Fact]
    public void Pipeline_with_distortion_is_deterministic_across_threads_and_writes_the_coefficients()
    {
        var spec = PlacementTests.AllCategories(extra: """, "samples": 4""");
        spec = spec with { Camera = spec.Camera with { Distortion = Lens } };
        string a = SmallDataset.TempDir(), b = SmallDataset.TempDir();
        var ra = new DatasetBuilder(spec, a, new BuildOptions(Threads: 1)).Build();
        var rb = new DatasetBuilder(spec, b, new BuildOptions(Threads: 3)).Build();
        Assert.True(ra.Succeeded);
        Assert.Equal(ra.Digest, rb.Digest);
        var reader = DatasetReader.Open(a);
        var ann = reader.ReadAnnotation(0);
        Assert.Equal(Lens.ToArray(), ann.Camera.Distortion);
        var seg = reader.ReadSegmentation(0);
        Assert.All(ann.Objects, o => Assert.Equal(o.Area, seg.Count(v => v == o.InstanceId)));
        Assert.All(ann.Objects, o => Assert.InRange(o.Visibility, 1e-9, 1));
    }
}
