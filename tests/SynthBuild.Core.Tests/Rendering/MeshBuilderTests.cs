using static SynthBuild.Core.Tests.Rendering.TestScenes;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Tests.Rendering;

public class MeshBuilderTests
{
    [Theory]
    [InlineData(ShapeKind.Box)]
    [InlineData(ShapeKind.Cylinder)]
    [InlineData(ShapeKind.Sphere)]
    public void Meshes_are_closed_outward_wound_and_have_the_right_volume(ShapeKind kind)
    {
        var dims = new Vec3(0.2, 0.2, 0.3);
        Mesh mesh = MeshBuilder.Build(kind, dims);
        var edges = new Dictionary<(Vec3, Vec3), int>();
        double volume = 0;
        for (int k = 0; k < mesh.Indices.Length; k += 3)
        {
            MeshVertex a = mesh.Vertices[mesh.Indices[k]], b = mesh.Vertices[mesh.Indices[k + 1]], c = mesh.Vertices[mesh.Indices[k + 2]];
            volume += Vec3.Dot(a.Position, Vec3.Cross(b.Position, c.Position)) / 6;
            Vec3 face = Vec3.Cross(b.Position - a.Position, c.Position - a.Position);
            foreach (var v in new[] { a, b, c })
                Assert.True(Vec3.Dot(face, v.Normal) > 0, "vertex normal disagrees with the winding");
            foreach (var (p, q) in new[] { (a, b), (b, c), (c, a) })
                edges[(p.Position, q.Position)] = edges.GetValueOrDefault((p.Position, q.Position)) + 1;
        }
        // Closed and consistently wound: every directed edge occurs once, and its reverse once.
        foreach (var ((p, q), n) in edges)
        {
            Assert.Equal(1, n);
            Assert.True(edges.ContainsKey((q, p)), "open edge");
        }
        double expected = kind switch
        {
            ShapeKind.Box => 0.2 * 0.2 * 0.3,
            ShapeKind.Cylinder => Math.PI * 0.1 * 0.1 * 0.3,
            _ => 4.0 / 3 * Math.PI * 0.1 * 0.1 * 0.1,
        };
        Assert.InRange(volume, expected * 0.99, expected * 1.0000001);
    }

    [Fact]
    public void Flat_plate_renders_its_rectangle_with_finite_shading()
    {
        var cam = Camera(new Vec3(0, 0, 1), new Vec3(0, 0, 0), f: 500);
        var target = Render(MakeScene(cam, null, Object(1, ShapeKind.Box, new Vec3(0.2, 0.1, 0), Vec3.Zero)));
        Assert.Equal(100 * 50, Count(target, 1)); // 0.2 × 0.1 m at 1 m with f = 500
        int o = (240 * 640 + 320) * 3;
        // Lit from above-ish: brighter than the ambient-only colour (NaN normals would give black).
        Assert.True(target.Rgb[o] > Srgb.EncodeExact(Matte.Albedo.X * DefaultLight.Ambient));
    }

    [Fact]
    public void Meshes_built_one_after_another_on_a_thread_stay_independent()
    {
        // Assemblers hand their working lists on to the next one: a finished mesh must not see the next build.
        var (first, firstDims) = ProceduralMeshes.Box(new Vec3(0.1, 0.2, 0.3));
        MeshVertex[] vertices = first.Vertices.ToArray();
        int[] indices = first.Indices.ToArray();
        var (second, _) = ProceduralMeshes.Sphere(0.05);
        var (third, _) = ProceduralMeshes.Mug(0.04, 0.1);

        Assert.Equal(vertices, first.Vertices);
        Assert.Equal(indices, first.Indices);
        Assert.Equal(new Vec3(0.1, 0.2, 0.3), firstDims);
        Assert.NotSame(first.Vertices, second.Vertices);
        Assert.NotSame(second.Indices, third.Indices);
        Assert.Equal(ProceduralMeshes.Sphere(0.05).Mesh.Vertices, second.Vertices); // the same mesh again, bit for bit
    }

    [Fact]
    public void An_assembler_cannot_be_used_after_it_has_built_its_mesh()
    {
        var m = new MeshAssembler();
        m.FlatQuad(new Vec3(0, 0, 0), new Vec3(1, 0, 0), new Vec3(1, 1, 0), new Vec3(0, 1, 0), new Vec3(0, 0, 1));
        m.Build();
        Assert.Throws<ObjectDisposedException>(() => m.Add(Vec3.Zero, new Vec3(0, 0, 1), 0, 0));
        Assert.Throws<ObjectDisposedException>(() => m.Triangle(0, 1, 2));
    }
}
