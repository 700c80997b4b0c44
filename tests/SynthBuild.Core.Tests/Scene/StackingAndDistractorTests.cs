using SynthBuild.Core.Labels;
using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using static SynthBuild.Core.Tests.Scene.PlacementTests;
using static SynthBuild.Core.Tests.Rendering.TestScenes;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.TestSupport;

namespace SynthBuild.Core.Tests.Scene;

public class StackingAndDistractorTests
{
    private const string Small = """ "image": { "width": 160, "height": 120 }, "camera": { "intrinsics": { "fx": 125, "fy": 125 } } """;

    [Fact]
    public void Stacked_objects_rest_on_a_box_top_inside_its_face_one_per_box_without_interpenetration()
    {
        var spec = Parse($$"""
            { {{Small}}, "objectsPerScene": { "min": 4, "max": 8 }, "placement": { "stacking": 1 },
              "categories": [ { "name": "box", "shape": "box", "size": { "min": 0.12, "max": 0.3 } }, { "name": "mug", "shape": "mug" },
                              { "name": "part", "shape": "part" } ] }
            """);
        var sampler = SmallDataset.Sampler(spec);
        int stacked = 0;
        for (int i = 0; i < 30; i++)
        {
            var objects = sampler.Sample(i).Objects;
            var used = new HashSet<SceneObject>();
            foreach (SceneObject o in objects)
            {
                var vertices = WorldVertices(o).ToList();
                double lowest = vertices.Min(p => p.Z);
                if (lowest < 1e-9) { Assert.Equal(0, lowest, 9); continue; }
                stacked++;
                // The support: a box whose highest vertex is exactly at this object's lowest, and whose top face
                // (found in the box's own frame) holds every vertex of this object when dropped vertically.
                SceneObject support = Assert.Single(objects, s => s != o && s.Shape == ShapeKind.Box && Math.Abs(WorldVertices(s).Max(p => p.Z) - lowest) < 1e-9);
                Assert.True(used.Add(support), $"sample {i}: two objects on box {support.InstanceId}");
                RigidTransform toBox = support.Pose.Inverse();
                Vec3 half = support.Dimensions * 0.5;
                foreach (Vec3 p in vertices)
                {
                    Vec3 dropped = toBox.Apply(new Vec3(p.X, p.Y, lowest));
                    Assert.True(Math.Abs(dropped.X) <= half.X + 1e-9 && Math.Abs(dropped.Y) <= half.Y + 1e-9 && Math.Abs(dropped.Z) <= half.Z + 1e-9,
                        $"sample {i}: object {o.InstanceId} overhangs box {support.InstanceId}");
                }
            }
            if (i < 8)
                foreach (var a in objects)
                    foreach (var b in objects)
                    {
                        if (a == b) continue;
                        var tris = WorldTriangles(b);
                        foreach (Vec3 p in WorldVertices(a).Where((_, k) => k % 5 == 0))
                            Assert.False(Inside(p, tris), $"sample {i}: object {a.InstanceId} penetrates object {b.InstanceId}");
                    }
        }
        Assert.True(stacked >= 10, $"only {stacked} stacked objects with stacking = 1");

        // Off by default: everything on the table.
        var flat = SmallDataset.Sampler(Parse($$"""{ {{Small}}, "categories": [ { "name": "box", "shape": "box" } ] }"""));
        Assert.All(Enumerable.Range(0, 10).SelectMany(i => flat.Sample(i).Objects), o => Assert.Equal(0, WorldVertices(o).Min(p => p.Z), 9));
    }

    [Fact]
    public void Distractors_rest_on_the_table_clear_of_objects_and_get_no_label()
    {
        var spec = Parse($$"""{ {{Small}}, "distractors": { "count": { "min": 2, "max": 3 }, "size": { "min": 0.05, "max": 0.1 } } }""");
        var sampler = SmallDataset.Sampler(spec);
        int total = 0, drawnPixels = 0;
        for (int i = 0; i < 8; i++)
        {
            SceneDescription scene = sampler.Sample(i);
            var distractors = scene.DistractorsOrEmpty;
            Assert.InRange(distractors.Count, 0, 3);
            total += distractors.Count;
            foreach (SceneObject d in distractors)
            {
                Assert.Equal(0, d.InstanceId);
                Assert.Equal(0, WorldVertices(d).Min(p => p.Z), 9);
                Assert.InRange(d.Dimensions.X, 0.025 - 1e-9, 0.1 + 1e-9);
                foreach (SceneObject o in scene.Objects)
                {
                    var tris = WorldTriangles(o);
                    Assert.DoesNotContain(WorldVertices(d).Where((_, k) => k % 7 == 0), p => Inside(p, tris));
                }
            }
            var target = new RenderTarget(160, 120);
            new RasterRenderer().Render(scene, target);
            var labels = LabelExtractor.Extract(i, scene, target);
            Assert.True(labels.Objects.Count <= scene.Objects.Count);
            Assert.All(labels.Objects, o => Assert.NotEqual("distractor", o.Category));
            var bare = new RenderTarget(160, 120);
            new RasterRenderer().Render(scene with { Distractors = null }, bare);
            for (int p = 0; p < 160 * 120; p++)
                if (target.DepthMetres[p] < bare.DepthMetres[p] - 1e-4f || (bare.DepthMetres[p] == 0 && target.DepthMetres[p] != 0))
                {
                    drawnPixels++;
                    Assert.Equal(0, target.InstanceIds[p]); // a distractor in front: no instance
                }
        }
        Assert.True(total >= 12, $"{total} distractors in 8 scenes");
        Assert.True(drawnPixels > 200, $"distractors drawn on {drawnPixels} pixels");
    }

    /// <summary>Ray–box slab test (axis-aligned box of half extents h at c): entry distance, or +∞.</summary>
    private static double Hit(Vec3 o, Vec3 d, Vec3 c, Vec3 h)
    {
        double tmin = 0, tmax = double.MaxValue;
        double[] oo = [o.X - c.X, o.Y - c.Y, o.Z - c.Z], dd = [d.X, d.Y, d.Z], hh = [h.X, h.Y, h.Z];
        for (int k = 0; k < 3; k++)
        {
            double t1 = (-hh[k] - oo[k]) / dd[k], t2 = (hh[k] - oo[k]) / dd[k];
            tmin = Math.Max(tmin, Math.Min(t1, t2));
            tmax = Math.Min(tmax, Math.Max(t1, t2));
        }
        return tmin <= tmax ? tmin : double.PositiveInfinity;
    }

    [Fact]
    public void A_distractor_in_front_has_id_0_and_lowers_the_objects_visibility_as_ray_casting_predicts()
    {
        var cam = Camera(new Vec3(0, -1, 0.4), new Vec3(0, 0, 0.1), width: 200, height: 150, f: 220);
        Vec3 objCentre = new(0, 0, 0.1), objHalf = new(0.1, 0.1, 0.1);
        Vec3 disCentre = new(0.04, -0.35, 0.07), disHalf = new(0.07, 0.07, 0.07);
        var obj = new SceneObject(1, 1, "box", ShapeKind.Box, objHalf * 2, new RigidTransform(Mat3.Identity, objCentre), Matte, ProceduralMeshes.Box(objHalf * 2).Mesh);
        var dis = new SceneObject(0, 0, "distractor", ShapeKind.Box, disHalf * 2, new RigidTransform(Mat3.Identity, disCentre), Matte, ProceduralMeshes.Box(disHalf * 2).Mesh);
        var scene = new SceneDescription(cam, [obj], DefaultLight, new Table(0, 0, Matte), DefaultBackground, [dis]);
        var target = Render(scene);
        var labels = LabelExtractor.Extract(0, scene, target);

        Mat3 c2w = cam.WorldToCamera.Rotation.Transposed();
        Vec3 eye = cam.Position;
        int objectRays = 0, visibleRays = 0, hiddenByDistractor = 0, mismatches = 0;
        for (int y = 0; y < 150; y++)
            for (int x = 0; x < 200; x++)
            {
                Vec3 dir = c2w * new Vec3((x + 0.5 - cam.Cx) / cam.Fx, (y + 0.5 - cam.Cy) / cam.Fy, 1);
                double tObj = Hit(eye, dir, objCentre, objHalf), tDis = Hit(eye, dir, disCentre, disHalf);
                int expected = tObj < tDis ? 1 : 0;
                if (!double.IsInfinity(tObj)) objectRays++;
                if (expected == 1) visibleRays++;
                if (!double.IsInfinity(tObj) && tDis < tObj) hiddenByDistractor++;
                if (target.InstanceIds[y * 200 + x] != expected) mismatches++;
            }
        Assert.True(hiddenByDistractor > 150, $"the distractor should hide part of the box ({hiddenByDistractor} rays)");
        Assert.True(mismatches <= 0.02 * objectRays, $"{mismatches} pixels disagree with ray casting");
        var o = Assert.Single(labels.Objects);
        Assert.Equal((double)visibleRays / objectRays, o.Visibility, 2);
        Assert.True(o.Visibility < 0.9, $"visibility {o.Visibility}");
        Assert.Equal(visibleRays, o.Area, visibleRays * 0.02);
        Assert.Equal(objectRays, o.UnoccludedArea, objectRays * 0.02);
    }
}
