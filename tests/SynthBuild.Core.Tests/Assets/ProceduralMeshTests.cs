using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Tests.Assets;

public class ProceduralMeshTests
{
    public static TheoryData<string> Shapes => ["box", "cylinder", "sphere", "mug", "bottle", "wrench", "screwdriver", "hexNut", "lBracket"];

    private static (Mesh Mesh, Vec3 Dims) Build(string shape) => shape switch
    {
        "box" => ProceduralMeshes.Box(new Vec3(0.1, 0.2, 0.3)),
        "cylinder" => ProceduralMeshes.Cylinder(0.05, 0.2),
        "sphere" => ProceduralMeshes.Sphere(0.07),
        "mug" => ProceduralMeshes.Mug(0.04, 0.1),
        "bottle" => ProceduralMeshes.Bottle(0.035, 0.25),
        "wrench" => ProceduralMeshes.Wrench(0.2),
        "screwdriver" => ProceduralMeshes.Screwdriver(0.2),
        "hexNut" => ProceduralMeshes.HexNut(0.05),
        _ => ProceduralMeshes.LBracket(0.06),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_mesh_is_closed_and_outward_wound(string shape)
    {
        var (mesh, dims) = Build(shape);
        // Weld by exact position: in a closed, consistently wound mesh every directed edge a→b has exactly one
        // partner b→a.
        var ids = new Dictionary<Vec3, int>();
        int Id(int v) { var p = mesh.Vertices[v].Position; if (!ids.TryGetValue(p, out int id)) ids[p] = id = ids.Count; return id; }
        var edges = new Dictionary<(int, int), int>();
        double volume = 0;
        for (int k = 0; k < mesh.Indices.Length; k += 3)
        {
            int a = Id(mesh.Indices[k]), b = Id(mesh.Indices[k + 1]), c = Id(mesh.Indices[k + 2]);
            foreach (var e in new[] { (a, b), (b, c), (c, a) }) edges[e] = edges.GetValueOrDefault(e) + 1;
            Vec3 p0 = mesh.Vertices[mesh.Indices[k]].Position, p1 = mesh.Vertices[mesh.Indices[k + 1]].Position, p2 = mesh.Vertices[mesh.Indices[k + 2]].Position;
            volume += Vec3.Dot(p0, Vec3.Cross(p1, p2)) / 6;
        }
        foreach (var ((a, b), count) in edges)
        {
            Assert.Equal(1, count);
            Assert.True(edges.ContainsKey((b, a)), $"{shape}: edge {a}->{b} has no opposite edge (hole or flipped triangle)");
        }
        // Divergence theorem: outward winding gives a positive volume no larger than the bounding box.
        Assert.InRange(volume, 0.02 * dims.X * dims.Y * dims.Z, dims.X * dims.Y * dims.Z * 1.0001);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Mesh_is_centred_on_its_bounding_box_whose_extent_is_the_dimensions(string shape)
    {
        var (mesh, dims) = Build(shape);
        double[] min = [double.MaxValue, double.MaxValue, double.MaxValue], max = [double.MinValue, double.MinValue, double.MinValue];
        foreach (var v in mesh.Vertices)
        {
            double[] p = v.Position.ToArray();
            for (int i = 0; i < 3; i++) { min[i] = Math.Min(min[i], p[i]); max[i] = Math.Max(max[i], p[i]); }
        }
        double[] d = dims.ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(0, min[i] + max[i], 12);
            Assert.Equal(d[i], max[i] - min[i], 12);
        }
    }

    [Fact]
    public void Mug_is_hollow_and_has_a_handle_beyond_its_body()
    {
        var (mesh, dims) = ProceduralMeshes.Mug(0.04, 0.1);
        Assert.Equal(0.08, dims.Y, 9);           // body diameter across y
        Assert.True(dims.X > 0.08 + 0.015);      // the handle sticks out along x
        // Some vertices lie on the inner wall (radius < r − wall/2) above the bottom: the body is hollow.
        Assert.Contains(mesh.Vertices, v => v.Position.Z > 0 && Math.Sqrt(Sq(v.Position.X + (dims.X / 2 - 0.04)) + Sq(v.Position.Y)) < 0.038);
    }

    private static double Sq(double x) => x * x;
}
