using System.Numerics;
using System.Runtime.InteropServices;
using SharpGLTF.Schema2;
using SynthBuild.Core.Config;
using SynthBuild.TestSupport;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Tests.Assets;

/// <summary>glTF 2.0 mesh categories, on files written here with SharpGLTF (nothing downloaded).</summary>
public class GltfMeshTests
{
    // The leaning prism of UserMeshTests (cm): 2×2 base at z = 0, top shifted 10 along x at z = 20.
    private static readonly Vector3[] Prism =
    [
        new(0, 0, 0), new(2, 0, 0), new(2, 2, 0), new(0, 2, 0),
        new(10, 0, 20), new(12, 0, 20), new(12, 2, 20), new(10, 2, 20),
    ];

    // Outward, counter-clockwise triangles: caps in one primitive, sides in another.
    private static readonly int[] Caps = [0, 3, 2, 0, 2, 1, 4, 5, 6, 4, 6, 7];
    private static readonly int[] Sides = [0, 1, 5, 0, 5, 4, 1, 2, 6, 1, 6, 5, 2, 3, 7, 2, 7, 6, 3, 0, 4, 3, 4, 7];

    /// <summary>
    /// The prism as a glTF scene: a parent node scaling by 2 and translating, a child rotating +90° about x holding
    /// the mesh (two primitives, no normals). Net effect on a point p: 2 · Rx(90°) · p + t.
    /// </summary>
    private static ModelRoot Model()
    {
        var model = ModelRoot.CreateModel();
        var mesh = model.CreateMesh("prism");
        foreach (int[] tris in new[] { Caps, Sides })
        {
            var prim = mesh.CreatePrimitive();
            var positions = model.CreateAccessor();
            positions.SetData(model.UseBufferView(MemoryMarshal.AsBytes(Prism.AsSpan()).ToArray()), 0, Prism.Length, DimensionType.VEC3, EncodingType.FLOAT, false);
            prim.SetVertexAccessor("POSITION", positions);
            var indices = model.CreateAccessor();
            indices.SetIndexData(model.UseBufferView(MemoryMarshal.AsBytes(tris.Select(i => (uint)i).ToArray().AsSpan()).ToArray()), 0, tris.Length, IndexEncodingType.UNSIGNED_INT);
            prim.SetIndexAccessor(indices);
        }
        var scene = model.UseScene("s");
        var parent = scene.CreateNode("parent");
        parent.LocalTransform = new SharpGLTF.Transforms.AffineTransform(new Vector3(2, 2, 2), System.Numerics.Quaternion.Identity, new Vector3(5, -3, 1));
        var child = parent.CreateNode("child");
        child.LocalTransform = new SharpGLTF.Transforms.AffineTransform(Vector3.One, System.Numerics.Quaternion.CreateFromAxisAngle(Vector3.UnitX, MathF.PI / 2), Vector3.Zero);
        child.Mesh = mesh;
        return model;
    }

    /// <summary>The same prism as an OBJ with the node transforms applied by hand: (x, y, z) → 2·(x, −z, y).</summary>
    private static string TransformedObj()
    {
        var lines = Prism.Select(p => FormattableString.Invariant($"v {2 * p.X} {-2 * p.Z} {2 * p.Y}")).ToList();
        foreach (int[] tris in new[] { Caps, Sides })
            for (int k = 0; k < tris.Length; k += 3) lines.Add($"f {tris[k] + 1} {tris[k + 1] + 1} {tris[k + 2] + 1}");
        return string.Join("\n", lines);
    }

    private static double SignedVolume(SynthBuild.Core.Geometry.Mesh m)
    {
        double v = 0;
        for (int k = 0; k < m.Indices.Length; k += 3)
        {
            Vec3 a = m.Vertices[m.Indices[k]].Position, b = m.Vertices[m.Indices[k + 1]].Position, c = m.Vertices[m.Indices[k + 2]].Position;
            v += Vec3.Dot(a, Vec3.Cross(b, c)) / 6;
        }
        return v;
    }

    [Fact]
    public void Gltf_and_glb_load_every_primitive_with_node_transforms_and_match_the_same_obj()
    {
        string dir = SmallDataset.TempDir();
        string glb = Path.Combine(dir, "prism.glb"), gltf = Path.Combine(dir, "prism.gltf"), obj = Path.Combine(dir, "prism.obj");
        Model().SaveGLB(glb);
        Model().SaveGLTF(gltf);
        File.WriteAllText(obj, TransformedObj());
        var reference = ObjMesh.Load(obj, 0.005);
        foreach (string file in new[] { glb, gltf })
        {
            var user = GltfMesh.Load(file, 0.005);
            string sha = AssetHash.Mesh(file);
            Assert.Matches("^[0-9a-f]{64}$", sha);
            Assert.Equal(12, user.Mesh.TriangleCount); // both primitives
            // Scale 2 (node) × 0.005 (config) = 1 cm → 1 cm units; x stays, y = −z, z = y.
            Assert.Equal(0.12, user.Dimensions.X, 9); Assert.Equal(0.2, user.Dimensions.Y, 9); Assert.Equal(0.02, user.Dimensions.Z, 9);
            // Closed and outward-facing after the transforms: the prism's volume, 2·2·20 cm³.
            Assert.Equal(80e-6, SignedVolume(user.Mesh), 9);
            Assert.Equal(reference.RestingPoses, user.RestingPoses);
            Assert.Equal(reference.Dimensions.X, user.Dimensions.X, 9);
        }
    }

    [Fact]
    public void Gltf_category_rests_on_the_table_and_its_buffers_are_in_the_fingerprint()
    {
        string dir = SmallDataset.TempDir();
        Model().SaveGLTF(Path.Combine(dir, "prism.gltf"));
        string config = Path.Combine(dir, "synth.json");
        File.WriteAllText(config, """
            { "image": { "width": 160, "height": 120 }, "camera": { "intrinsics": { "fx": 125, "fy": 125 } },
              "categories": [ { "name": "prism", "shape": "mesh", "file": "prism.gltf", "scale": 0.005 } ] }
            """);
        var r = ConfigLoader.Load(config);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        var sampler = SmallDataset.Sampler(r.Spec!);
        int placed = 0;
        for (int i = 0; i < 5; i++)
            foreach (var o in sampler.Sample(i).Objects)
            {
                placed++;
                Assert.Equal(0, o.Mesh!.Vertices.Min(v => o.Pose.Apply(v.Position).Z), 9);
            }
        Assert.True(placed > 5);

        // The external buffer holds the geometry: changing it (not the .gltf) must change every sample's key.
        string before = SpecFingerprint.Hash(r.Spec!);
        string bin = Directory.GetFiles(dir, "*.bin").Single();
        byte[] bytes = File.ReadAllBytes(bin);
        bytes[4] ^= 0x01; // a low mantissa bit of a vertex coordinate
        File.WriteAllBytes(bin, bytes);
        var changed = ConfigLoader.Load(config);
        Assert.True(changed.Succeeded, string.Join("\n", changed.Diagnostics));
        Assert.NotEqual(before, SpecFingerprint.Hash(changed.Spec!));
    }

    [Fact]
    public void A_broken_gltf_is_a_positioned_mesh_error()
    {
        string dir = SmallDataset.TempDir();
        File.WriteAllText(Path.Combine(dir, "bad.glb"), "this is not a glb file");
        string config = Path.Combine(dir, "synth.json");
        File.WriteAllText(config, "{\n  \"categories\": [\n    { \"name\": \"m\", \"shape\": \"mesh\", \"file\": \"bad.glb\" }\n  ]\n}\n");
        var r = ConfigLoader.Load(config);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics)); // found and hashed; decoding is the Assets stage's
        var d = Assert.Single(AssetLibrary.Load(r.Spec!).Diagnostics);
        Assert.Equal(config, d.File);
        Assert.Equal(("SYN1008", 3, 45), (d.Code, d.Line, d.Column));
        Assert.Contains("bad.glb", d.Message);
        Assert.Contains("glTF", d.Message);
    }

    [Fact]
    public void Mesh_hash_covers_the_file_and_every_buffer_as_a_gltf_reader_resolves_them()
    {
        // The hash the spec fingerprint has always held: the file's bytes, then each buffer's content as SharpGLTF loads
        // it. Computed here without decoding, it must not change, or every mesh dataset's sample keys would.
        string dir = SmallDataset.TempDir();
        string glb = Path.Combine(dir, "prism.glb"), gltf = Path.Combine(dir, "prism.gltf"), embedded = Path.Combine(dir, "embedded.gltf");
        Model().SaveGLB(glb);
        Model().SaveGLTF(gltf);
        string bin = Directory.GetFiles(dir, "*.bin").Single();
        File.WriteAllText(embedded, File.ReadAllText(gltf).Replace($"\"{Path.GetFileName(bin)}\"",
            $"\"data:application/octet-stream;base64,{Convert.ToBase64String(File.ReadAllBytes(bin))}\""));
        foreach (string file in new[] { glb, gltf, embedded })
        {
            using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            sha.AppendData(File.ReadAllBytes(file));
            foreach (var buffer in ModelRoot.Load(file).LogicalBuffers) sha.AppendData(buffer.Content);
            Assert.Equal(Convert.ToHexStringLower(sha.GetHashAndReset()), AssetHash.Mesh(file));
        }
        Assert.NotEqual(AssetHash.File(gltf), AssetHash.Mesh(gltf)); // the external buffer is in it
    }
}
