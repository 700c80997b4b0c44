using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using static SynthBuild.Core.Tests.Rendering.TestScenes;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Tests.Rendering;

public class RasterRendererTests
{
    public static TheoryData<double, double, double> SphereViews => new()
    {
        { 0, 0, 1 },        // from above: silhouette is the equator ring
        { 1, -2, 1.5 },     // oblique
        { 0, -1, 0.05 },    // from the side
    };

    [Theory]
    [MemberData(nameof(SphereViews))]
    public void Sphere_on_optical_axis_covers_the_analytic_disc(double dx, double dy, double dz)
    {
        const double r = 0.06, d = 0.8, f = 600;
        var centre = new Vec3(0.1, 0.2, 0.3);
        Vec3 eye = centre + new Vec3(dx, dy, dz).Normalized() * d;
        // Principal point at a pixel centre so the optical axis passes through pixel (319, 239).
        var cam = Camera(eye, centre, f: f, cx: 319.5, cy: 239.5);
        var target = Render(MakeScene(cam, null, Object(1, ShapeKind.Sphere, new Vec3(2 * r, 2 * r, 2 * r), centre)));

        double rho = f * r / Math.Sqrt(d * d - r * r);
        double expected = Math.PI * rho * rho;
        int count = Count(target, 1);
        Assert.InRange(count, expected * 0.99, expected * 1.01);
        Assert.Equal(count, target.UnoccludedPixels[1]);

        float depth = target.DepthMetres[239 * 640 + 319];
        Assert.InRange(depth, d - r - 0.001, d - r + 0.001);
    }

    [Fact]
    public void Box_face_on_projects_to_the_expected_rectangle_and_depth()
    {
        // Top face 0.1234 × 0.0777 at z = 0.1, camera straight above at a non-aligned offset.
        var dims = new Vec3(0.1234, 0.0777, 0.1);
        var pos = new Vec3(0.031, -0.017, 0.05);
        var eye = new Vec3(0.0, 0.0, 0.95);
        var cam = Camera(eye, new Vec3(0, 0, 0), f: 550, cx: 321.3, cy: 238.7);
        var target = Render(MakeScene(cam, Table(), Object(3, ShapeKind.Box, dims, pos)));

        // Expected rectangle: project the top face's corners with K, take pixels whose centre lies inside.
        double uMin = double.MaxValue, uMax = double.MinValue, vMin = double.MaxValue, vMax = double.MinValue;
        foreach (int sx in new[] { -1, 1 })
            foreach (int sy in new[] { -1, 1 })
            {
                Vec3 corner = pos + new Vec3(sx * dims.X / 2, sy * dims.Y / 2, dims.Z / 2);
                (double u, double v) = cam.Project(cam.WorldToCamera.Apply(corner));
                uMin = Math.Min(uMin, u); uMax = Math.Max(uMax, u); vMin = Math.Min(vMin, v); vMax = Math.Max(vMax, v);
            }
        PixelExtent e = Extent(target, 3);
        Assert.InRange(e.MinX, Math.Ceiling(uMin - 0.5) - 1, Math.Ceiling(uMin - 0.5) + 1);
        Assert.InRange(e.MaxX, Math.Ceiling(uMax - 0.5) - 2, Math.Ceiling(uMax - 0.5));
        Assert.InRange(e.MinY, Math.Ceiling(vMin - 0.5) - 1, Math.Ceiling(vMin - 0.5) + 1);
        Assert.InRange(e.MaxY, Math.Ceiling(vMax - 0.5) - 2, Math.Ceiling(vMax - 0.5));
        // Face-on the silhouette is exactly the rectangle: no holes.
        Assert.Equal((e.MaxX - e.MinX + 1) * (e.MaxY - e.MinY + 1), Count(target, 3));

        double faceDistance = eye.Z - (pos.Z + dims.Z / 2);
        for (int y = e.MinY; y <= e.MaxY; y++)
            for (int x = e.MinX; x <= e.MaxX; x++)
                Assert.InRange(target.DepthMetres[y * 640 + x], faceDistance - 0.001, faceDistance + 0.001);
        Assert.Equal(e.MinX, target.AmodalExtent[3].MinX);
        Assert.Equal(e.MaxY, target.AmodalExtent[3].MaxY);
    }

    [Theory]
    [InlineData(0.0)]  // edges on pixel boundaries
    [InlineData(0.5)]  // edges and the shared diagonal pass exactly through pixel centres
    [InlineData(0.25)]
    public void Face_made_of_two_triangles_has_no_holes_or_double_coverage(double shift)
    {
        // f = 500 at 1 m: the 0.2 m square top face is exactly 100 × 100 px. With edges through pixel centres the
        // top-left rule keeps one of each pair of opposite edges, so the count is still 100 × 100.
        var dims = new Vec3(0.2, 0.2, 0.1);
        var cam = Camera(new Vec3(0, 0, 1.1), new Vec3(0, 0, 0), f: 500, cx: 320 + shift, cy: 240 + shift);
        var target = Render(MakeScene(cam, null, Object(1, ShapeKind.Box, dims, new Vec3(0, 0, 0.05))));
        Assert.Equal(10000, Count(target, 1));
        Assert.Equal(10000, target.UnoccludedPixels[1]);
        PixelExtent e = Extent(target, 1);
        Assert.Equal(100, e.MaxX - e.MinX + 1);
        Assert.Equal(100, e.MaxY - e.MinY + 1);
    }

    [Fact]
    public void Occlusion_gives_visible_versus_unoccluded_counts()
    {
        var cam = Camera(new Vec3(0, 0, 1.2), new Vec3(0, 0, 0));
        var cover = Object(1, ShapeKind.Box, new Vec3(0.2, 0.2, 0.02), new Vec3(0, 0, 0.4));
        var hidden = Object(2, ShapeKind.Sphere, new Vec3(0.08, 0.08, 0.08), new Vec3(0.01, 0, 0.04));
        var partial = Object(3, ShapeKind.Cylinder, new Vec3(0.1, 0.1, 0.12), new Vec3(0.12, 0.05, 0.06));
        var free = Object(4, ShapeKind.Box, new Vec3(0.1, 0.07, 0.05), new Vec3(-0.3, -0.2, 0.025),
            Mat3.RotationZ(0.4));
        var scene = MakeScene(cam, Table(), cover, hidden, partial, free);
        var target = Render(scene);

        Assert.Equal(Count(target, 1), target.UnoccludedPixels[1]);
        Assert.Equal(Count(target, 4), target.UnoccludedPixels[4]);
        Assert.Equal(0, Count(target, 2));
        Assert.True(target.UnoccludedPixels[2] > 1000);
        int partialVisible = Count(target, 3);
        Assert.True(partialVisible > 0 && partialVisible < target.UnoccludedPixels[3] - 100);

        // Unoccluded coverage equals what each object shows when rendered alone.
        foreach (var obj in scene.Objects)
        {
            var alone = Render(MakeScene(cam, null, obj));
            Assert.Equal(Count(alone, obj.InstanceId), target.UnoccludedPixels[obj.InstanceId]);
            PixelExtent a = Extent(alone, obj.InstanceId), b = target.AmodalExtent[obj.InstanceId];
            Assert.Equal((a.MinX, a.MinY, a.MaxX, a.MaxY), (b.MinX, b.MinY, b.MaxX, b.MaxY));
        }
    }

    [Fact]
    public void Upright_cylinder_seen_from_above_is_a_disc()
    {
        const double r = 0.05, h = 0.12, f = 600, camHeight = 1.0;
        var cam = Camera(new Vec3(0, 0, camHeight), new Vec3(0, 0, 0), f: f);
        var target = Render(MakeScene(cam, Table(), Object(1, ShapeKind.Cylinder, new Vec3(2 * r, 2 * r, h), new Vec3(0, 0, h / 2))));
        double rho = f * r / (camHeight - h);
        double expected = Math.PI * rho * rho;
        Assert.InRange(Count(target, 1), expected * 0.99, expected * 1.01);
        Assert.InRange(target.DepthMetres[240 * 640 + 320], camHeight - h - 0.001, camHeight - h + 0.001);
    }

    [Fact]
    public void Rendering_is_deterministic()
    {
        var cam = Camera(new Vec3(0.4, -0.7, 0.6), new Vec3(0, 0, 0.05));
        var scene = MakeScene(cam, Table(),
            Object(1, ShapeKind.Sphere, new Vec3(0.1, 0.1, 0.1), new Vec3(0.05, 0.02, 0.05),
                material: new Material(new Vec3(0.8, 0.7, 0.2), 0.2, 1.0)),
            Object(2, ShapeKind.Cylinder, new Vec3(0.07, 0.07, 0.15), new Vec3(-0.1, 0.1, 0.075)),
            Object(3, ShapeKind.Box, new Vec3(0.12, 0.08, 0.06), new Vec3(0.1, -0.15, 0.03), Mat3.RotationZ(0.7)));
        var a = Render(scene);
        var other = Render(MakeScene(cam, null, Object(1, ShapeKind.Box, new Vec3(0.3, 0.3, 0.3), Vec3.Zero)));
        var renderer = new RasterRenderer();
        renderer.Render(scene, other); // reused target and scratch must not leak state
        Assert.Equal(a.Rgb, other.Rgb);
        Assert.Equal(a.DepthMetres, other.DepthMetres);
        Assert.Equal(a.InstanceIds, other.InstanceIds);
        Assert.Equal(a.UnoccludedPixels, other.UnoccludedPixels);
    }

    [Fact]
    public void Table_reaching_behind_the_camera_is_clipped_with_correct_depth()
    {
        // Camera 0.3 m above a 10 m table looking horizontally: the table crosses the near plane.
        const double f = 600, hgt = 0.3;
        var cam = Camera(new Vec3(0, 0, hgt), new Vec3(0, 1, hgt), f: f);
        var target = Render(MakeScene(cam, Table(10)));
        double horizonRow = 240 + f * hgt / 5.0; // far table edge at y = 5 m
        for (int y = (int)horizonRow + 2; y < 480; y++)
        {
            double b = (y + 0.5 - 240) / f;
            double expected = hgt / b; // ray (a, b, 1) meets the plane camera-y = hgt
            for (int x = 0; x < 640; x++)
            {
                float z = target.DepthMetres[y * 640 + x];
                Assert.True(Math.Abs(z - expected) <= 1e-4 * expected, $"pixel ({x},{y}): {z} vs {expected}");
                Assert.Equal(0, target.InstanceIds[y * 640 + x]);
            }
        }
        Assert.Equal(0f, target.DepthMetres[0]); // sky
    }

    [Fact]
    public void Background_is_the_vertical_gradient_and_lit_face_matches_the_shading_model()
    {
        var light = new Lighting(new Vec3(0, 0, 1), new Vec3(1, 0.9, 0.8), 600, 0.25);
        var mat = new Material(new Vec3(0.5, 0.4, 0.3), 0.6, 0.2);
        var cam = Camera(new Vec3(0, 0, 1), new Vec3(0, 0, 0), cx: 319.5, cy: 239.5);
        var scene = new SceneDescription(cam, [Object(1, ShapeKind.Box, new Vec3(0.2, 0.2, 0.1), new Vec3(0, 0, 0.05), material: mat)],
            light, new Table(0, 0, Matte), DefaultBackground);
        var t = Render(scene);

        // The background is a wall facing the camera: here the light is straight behind the camera, so it gets the
        // ambient plus the full directional light (per channel).
        var bg = DefaultBackground;
        Assert.Equal(Srgb.EncodeExact((bg.Top.X + (bg.Bottom.X - bg.Top.X) * 0.5 / 480) * (0.25 + 0.6 * 1.0)), t.Rgb[0]);
        Assert.Equal(Srgb.EncodeExact((bg.Top.Z + (bg.Bottom.Z - bg.Top.Z) * 479.5 / 480) * (0.25 + 0.6 * 0.8)), t.Rgb[(479 * 640) * 3 + 2]);

        // Centre pixel: normal, light and view all along +z (world), so N·L = N·H = 1.
        double s = Math.Clamp(2 / Math.Pow(0.6, 4) - 2, 1, 2048);
        double[] alb = [0.5, 0.4, 0.3], col = [1, 0.9, 0.8];
        int o = (239 * 640 + 319) * 3;
        for (int c = 0; c < 3; c++)
        {
            double rad = col[c] * 0.6;
            double f0 = 0.04 + (alb[c] - 0.04) * 0.2;
            double lin = alb[c] * 0.25 + alb[c] * 0.8 * rad + f0 * rad * (s + 8) / 8;
            Assert.InRange(t.Rgb[o + c], Srgb.EncodeExact(lin) - 1, Srgb.EncodeExact(lin) + 1);
        }
    }
}
