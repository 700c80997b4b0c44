using SynthBuild.TestSupport;
using SynthBuild.Core.Config;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Tests.Scene;

public class PlacementTests
{
    internal static DatasetSpec AllCategories(double truncation = 0, string extra = "") =>
        Parse($$"""
        {
          "image": { "width": 160, "height": 120 },
          "camera": { "intrinsics": { "fx": 125, "fy": 125, "cx": 80, "cy": 60 } },
          "categories": [
            { "name": "box", "shape": "box" }, { "name": "cylinder", "shape": "cylinder", "onSideProbability": 0.5 },
            { "name": "sphere", "shape": "sphere" }, { "name": "mug", "shape": "mug" },
            { "name": "bottle", "shape": "bottle", "onSideProbability": 0.5 }, { "name": "tool", "shape": "tool" },
            { "name": "part", "shape": "part" }
          ],
          "placement": { "truncation": {{truncation.ToString(System.Globalization.CultureInfo.InvariantCulture)}} }
          {{extra}}
        }
        """);

    internal static DatasetSpec Parse(string json)
    {
        var r = ConfigLoader.Parse(json, "gen.json");
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return r.Spec!;
    }

    internal static IEnumerable<Vec3> WorldVertices(SceneObject o) => o.Mesh!.Vertices.Select(v => o.Pose.Apply(v.Position));

    [Fact]
    public void Every_object_rests_on_the_table_and_all_seven_categories_and_both_kinds_occur()
    {
        var sampler = SmallDataset.Sampler(AllCategories());
        var seen = new HashSet<string>();
        bool cylinderOnSide = false, cylinderUpright = false;
        for (int i = 0; i < 60; i++)
            foreach (var o in sampler.Sample(i).Objects)
            {
                seen.Add(o.Kind ?? o.CategoryName);
                double lowest = WorldVertices(o).Min(p => p.Z);
                Assert.Equal(0, lowest, 9);
                if (o.Shape == ShapeKind.Cylinder)
                {
                    // Axis (object z) horizontal or vertical: the two stable poses of a cylinder.
                    double axisZ = Math.Abs(o.Pose.Rotation.M22);
                    Assert.True(axisZ < 1e-9 || axisZ > 1 - 1e-9, $"cylinder axis z = {axisZ}");
                    if (axisZ < 1e-9) cylinderOnSide = true; else cylinderUpright = true;
                }
            }
        Assert.Superset(new HashSet<string> { "box", "cylinder", "sphere", "mug", "bottle", "wrench", "screwdriver", "hexNut", "lBracket" }, seen);
        Assert.True(cylinderOnSide && cylinderUpright);
    }

    [Fact]
    public void Objects_never_interpenetrate()
    {
        // Independent of the sampler's footprint test: no vertex of one object lies inside another's mesh
        // (ray-casting parity along +x against the other mesh's world triangles).
        var sampler = SmallDataset.Sampler(AllCategories());
        for (int i = 0; i < 6; i++)
        {
            var objects = sampler.Sample(i).Objects;
            foreach (var a in objects)
                foreach (var b in objects)
                {
                    if (a == b) continue;
                    var tris = WorldTriangles(b);
                    foreach (Vec3 p in WorldVertices(a).Where((_, k) => k % 5 == 0))
                        Assert.False(Inside(p, tris), $"sample {i}: a vertex of object {a.InstanceId} is inside object {b.InstanceId}");
                }
        }
    }

    [Fact]
    public void Truncation_label_matches_the_projected_corners_of_boxes()
    {
        var spec = AllCategories(truncation: 1);
        var sampler = SmallDataset.Sampler(spec);
        int truncated = 0, boxes = 0;
        for (int i = 0; i < 20; i++)
        {
            var scene = sampler.Sample(i);
            var target = new RenderTarget(160, 120);
            new RasterRenderer().Render(scene, target);
            var a = LabelExtractor.Extract(i, scene, target);
            foreach (var o in a.Objects)
            {
                Assert.InRange(o.Truncation, 0, 1);
                if (o.Truncation > 0.01) truncated++;
                if (o.Shape != ShapeKind.Box) continue;
                boxes++;
                // A box mesh's vertices are its 8 corners: project them with plain pinhole math.
                var so = scene.Objects.Single(s => s.Pose == ToWorld(o, scene));
                double minU = double.MaxValue, maxU = double.MinValue, minV = double.MaxValue, maxV = double.MinValue;
                for (int c = 0; c < 8; c++)
                {
                    Vec3 local = new(((c & 1) == 0 ? -0.5 : 0.5) * so.Dimensions.X, ((c & 2) == 0 ? -0.5 : 0.5) * so.Dimensions.Y, ((c & 4) == 0 ? -0.5 : 0.5) * so.Dimensions.Z);
                    Vec3 pc = scene.Camera.WorldToCamera.Apply(so.Pose.Apply(local));
                    double u = scene.Camera.Fx * pc.X / pc.Z + scene.Camera.Cx, v = scene.Camera.Fy * pc.Y / pc.Z + scene.Camera.Cy;
                    minU = Math.Min(minU, u); maxU = Math.Max(maxU, u); minV = Math.Min(minV, v); maxV = Math.Max(maxV, v);
                }
                double inside = Math.Max(0, Math.Min(maxU, 160) - Math.Max(minU, 0)) * Math.Max(0, Math.Min(maxV, 120) - Math.Max(minV, 0));
                Assert.Equal(1 - inside / ((maxU - minU) * (maxV - minV)), o.Truncation, 9);
            }
        }
        Assert.True(boxes > 3);
        Assert.True(truncated > 10, $"only {truncated} truncated objects with truncation = 1");

        // Without truncation every object is fully inside.
        var strict = SmallDataset.Sampler(AllCategories(truncation: 0));
        for (int i = 0; i < 10; i++)
        {
            var scene = strict.Sample(i);
            var target = new RenderTarget(160, 120);
            new RasterRenderer().Render(scene, target);
            Assert.All(LabelExtractor.Extract(i, scene, target).Objects, o => Assert.Equal(0, o.Truncation));
        }
    }

    private static RigidTransform ToWorld(ObjectAnnotation o, SceneDescription scene) =>
        scene.Objects.First(s => s.Pose.Translation == o.PoseWorld.Position).Pose;

    internal static List<(Vec3, Vec3, Vec3)> WorldTriangles(SceneObject o)
    {
        var m = o.Mesh!;
        var list = new List<(Vec3, Vec3, Vec3)>();
        for (int k = 0; k < m.Indices.Length; k += 3)
            list.Add((o.Pose.Apply(m.Vertices[m.Indices[k]].Position), o.Pose.Apply(m.Vertices[m.Indices[k + 1]].Position), o.Pose.Apply(m.Vertices[m.Indices[k + 2]].Position)));
        return list;
    }

    /// <summary>Parity of crossings of a slightly skewed ray (avoids edges and vertices) with the triangles.</summary>
    internal static bool Inside(Vec3 p, List<(Vec3 A, Vec3 B, Vec3 C)> tris)
    {
        Vec3 dir = new Vec3(1, 0.000123, 0.000317).Normalized();
        int hits = 0;
        foreach (var (a, b, c) in tris)
        {
            Vec3 e1 = b - a, e2 = c - a, h = Vec3.Cross(dir, e2);
            double det = Vec3.Dot(e1, h);
            if (Math.Abs(det) < 1e-18) continue;
            double f = 1 / det;
            Vec3 s = p - a;
            double u = f * Vec3.Dot(s, h);
            if (u < 0 || u > 1) continue;
            Vec3 q = Vec3.Cross(s, e1);
            double v = f * Vec3.Dot(dir, q);
            if (v < 0 || u + v > 1) continue;
            if (f * Vec3.Dot(e2, q) > 1e-12) hits++;
        }
        return hits % 2 == 1;
    }
}
