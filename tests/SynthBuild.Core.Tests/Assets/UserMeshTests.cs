using SynthBuild.Core.Config;
using SynthBuild.Core.Scene;
using SynthBuild.TestSupport;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Tests.Assets;

public class UserMeshTests
{
    /// <summary>A slanted prism (in cm): 2×2 base at z = 0, the 2×2 top shifted 10 along x at z = 20.</summary>
    private const string LeaningPrism = """
        # leaning prism
        v 0 0 0
        v 2 0 0
        v 2 2 0
        v 0 2 0
        v 10 0 20
        v 12 0 20
        v 12 2 20
        v 10 2 20
        f 1 4 3 2
        f 5 6 7 8
        f 1 2 6 5
        f 2 3 7 6
        f 3 4 8 7
        f 4 1 5 8
        """;

    private static string Write(string dir, string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Obj_mesh_loads_scaled_and_closed_and_only_stable_poses_are_kept()
    {
        string dir = SmallDataset.TempDir();
        var user = ObjMesh.Load(Write(dir, "lean.obj", LeaningPrism), 0.01);
        Assert.Equal(new Vec3(0.12, 0.02, 0.2), new Vec3(Math.Round(user.Dimensions.X, 12), Math.Round(user.Dimensions.Y, 12), Math.Round(user.Dimensions.Z, 12)));
        // Standing on its small base the centre of mass (x = 6 cm) is far outside the 2 cm support: not a resting pose.
        Assert.DoesNotContain(Mat3.Identity, user.RestingPoses);
        Assert.NotEmpty(user.RestingPoses);
        // Every kept pose: centre of mass over the support polygon, checked here by the support's x/y extent.
        foreach (Mat3 r in user.RestingPoses)
        {
            var pts = user.Mesh.Vertices.Select(v => r * v.Position).ToList();
            double low = pts.Min(p => p.Z);
            var contact = pts.Where(p => p.Z < low + 1e-9).ToList();
            Vec3 com = r * new Vec3(0, 0, 0); // the prism's volume centroid is its bounding-box centre
            Assert.InRange(com.X, contact.Min(p => p.X), contact.Max(p => p.X));
            Assert.InRange(com.Y, contact.Min(p => p.Y), contact.Max(p => p.Y));
        }
    }

    [Fact]
    public void Mesh_category_from_config_rests_on_the_table_and_its_content_is_in_the_fingerprint()
    {
        string dir = SmallDataset.TempDir();
        Write(dir, "lean.obj", LeaningPrism);
        string config = Write(dir, "synth.json", """
            { "image": { "width": 160, "height": 120 }, "camera": { "intrinsics": { "fx": 125, "fy": 125 } },
              "categories": [ { "name": "lean", "shape": "mesh", "file": "lean.obj", "scale": 0.01 } ] }
            """);
        var r = ConfigLoader.Load(config);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        var sampler = SmallDataset.Sampler(r.Spec!);
        int placed = 0;
        for (int i = 0; i < 5; i++)
            foreach (var o in sampler.Sample(i).Objects)
            {
                placed++;
                Assert.Equal(ShapeKind.Mesh, o.Shape);
                Assert.Equal(0, o.Mesh!.Vertices.Min(v => o.Pose.Apply(v.Position).Z), 9);
                Assert.True(Math.Abs(o.Pose.Rotation.M22) < 1e-9, "the prism never stands on its small base");
            }
        Assert.True(placed > 5);

        string before = SpecFingerprint.Hash(r.Spec!);
        File.AppendAllText(Path.Combine(dir, "lean.obj"), "\n# edited\n");
        Assert.NotEqual(before, SpecFingerprint.Hash(ConfigLoader.Load(config).Spec!));
    }

    [Fact]
    public void Missing_or_broken_mesh_files_are_positioned_diagnostics()
    {
        string dir = SmallDataset.TempDir();
        Write(dir, "bad.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 9\n");
        string json = "{\n  \"categories\": [ { \"name\": \"m\", \"shape\": \"mesh\", \"file\": \"FILE\" } ]\n}";
        var missing = ConfigLoader.Parse(json.Replace("FILE", "nope.obj"), Path.Combine(dir, "synth.json"));
        var e = Assert.Single(missing.Diagnostics);
        Assert.Equal(("SYN1000", 2, 59), (e.Code, e.Line, e.Column));
        Assert.Contains("mesh file 'nope.obj' not found", e.Message);

        // A file that exists is hashed at config load and decoded when the build loads the assets.
        var broken = ConfigLoader.Parse(json.Replace("FILE", "bad.obj"), Path.Combine(dir, "synth.json"));
        Assert.True(broken.Succeeded, string.Join("\n", broken.Diagnostics));
        e = Assert.Single(AssetLibrary.Load(broken.Spec!).Diagnostics);
        Assert.Equal(("SYN1008", 2, 59), (e.Code, e.Line, e.Column));
        Assert.Contains("bad.obj(5)", e.Message);
        Assert.Contains("index 9 is outside 1..4", e.Message);

        var noFile = ConfigLoader.Parse("{ \"categories\": [ { \"name\": \"m\", \"shape\": \"mesh\" } ] }", Path.Combine(dir, "synth.json"));
        Assert.Equal("SYN1004", Assert.Single(noFile.Diagnostics).Code);
    }

    [Fact]
    public void A_file_named_by_two_categories_is_decoded_once_and_the_library_holds_only_its_specs_assets()
    {
        string dir = SmallDataset.TempDir();
        Write(dir, "lean.obj", LeaningPrism);
        string config = Write(dir, "synth.json", """
            { "categories": [ { "name": "a", "shape": "mesh", "file": "lean.obj", "scale": 0.01 },
                              { "name": "b", "shape": "mesh", "file": "lean.obj", "scale": 0.01 } ] }
            """);
        DatasetSpec spec = ConfigLoader.Load(config).Spec!;
        AssetLibrary library = AssetLibrary.LoadOrThrow(spec);
        Assert.Same(library.Mesh(spec.Categories[0].Mesh!), library.Mesh(spec.Categories[1].Mesh!));
        Assert.Throws<ArgumentException>(() => new SceneSampler(spec, AssetLibrary.Empty));
    }
}
