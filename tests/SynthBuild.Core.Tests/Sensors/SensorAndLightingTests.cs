using SynthBuild.Core.Tests.Scene;
using SynthBuild.Core.Config;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Randomness;
using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Sensors;
using static SynthBuild.Core.Tests.Rendering.TestScenes;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;
using SynthBuild.TestSupport;

namespace SynthBuild.Core.Tests.Sensors;

public class SensorAndLightingTests
{
    private static double DepthStd(SensorModel sensor, float z, double quantStepMm = 1)
    {
        var metres = new float[200 * 200];
        Array.Fill(metres, z);
        var mm = new ushort[metres.Length];
        sensor.ToDepth(metres, mm, 200, RandomStream.For(1, 0, "t"), dropout: 0);
        double mean = mm.Average(v => (double)v);
        Assert.All(mm, v => Assert.Equal(0, v % quantStepMm));
        return Math.Sqrt(mm.Average(v => (v - mean) * (v - mean)));
    }

    [Fact]
    public void Depth_noise_grows_with_the_square_of_the_distance()
    {
        var sensor = new SensorModel(new SensorSpec(0, 0, DepthNoise: 0.002, DepthQuantization: 1));
        double at1 = DepthStd(sensor, 1f), at2 = DepthStd(sensor, 2f);
        Assert.InRange(at1, 1.9, 2.1);          // 0.002 m · 1² = 2 mm
        Assert.InRange(at2 / at1, 3.8, 4.2);    // (2/1)²
    }

    [Fact]
    public void Depth_is_quantized_to_the_step()
    {
        var sensor = new SensorModel(new SensorSpec(0, 0, DepthNoise: 0.004, DepthQuantization: 5));
        Assert.True(DepthStd(sensor, 1.5f, 5) > 5);
    }

    [Fact]
    public void Pixels_at_depth_discontinuities_read_zero_and_others_keep_their_depth()
    {
        var sensor = new SensorModel(new SensorSpec(0, 0, DepthEdgeThreshold: 0.05, DepthQuantization: 1));
        int w = 20, h = 10;
        var metres = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) metres[y * w + x] = x < 10 ? 1.0f : 1.2f; // a 20 cm step at x = 10
        var mm = new ushort[w * h];
        sensor.ToDepth(metres, mm, w, RandomStream.For(1, 0, "t"), 0);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                Assert.Equal(x is 9 or 10 ? 0 : x < 10 ? 1000 : 1200, mm[y * w + x]);
    }

    [Fact]
    public void Dead_pixels_are_black_and_the_same_in_every_sample()
    {
        var sensor = new SensorModel(new SensorSpec(0, 0, DeadPixels: 0.01));
        byte[] a = Enumerable.Repeat((byte)200, 100 * 100 * 3).ToArray(), b = (byte[])a.Clone();
        sensor.ApplyDeadPixels(a, 100, 100, seed: 5);
        sensor.ApplyDeadPixels(b, 100, 100, seed: 5);
        Assert.Equal(a, b);
        int dead = 0;
        for (int p = 0; p < a.Length; p += 3) if (a[p] == 0 && a[p + 1] == 0 && a[p + 2] == 0) dead++;
        Assert.InRange(dead, 95, 100); // 1% of 10,000, a few may coincide
    }

    [Fact]
    public void A_box_casts_a_shadow_where_the_light_ray_from_the_table_hits_it()
    {
        var cam = Camera(new Vec3(0, -0.01, 1.2), new Vec3(0, 0, 0), width: 200, height: 200, f: 200);
        var dims = new Vec3(0.2, 0.2, 0.2);
        var box = new SceneObject(1, 1, "box", ShapeKind.Box, dims, new RigidTransform(Mat3.Identity, new Vec3(0, 0, 0.1)), Matte, ProceduralMeshes.Box(dims).Mesh);
        var toLight = new Vec3(1, 0, 1).Normalized(); // 45° from +x: the shadow falls towards −x, 0.2 m long
        SceneDescription Scene(bool shadows) => new(cam, [box], new Lighting(toLight, new Vec3(1, 1, 1), 800, 0.2, shadows), Table(), DefaultBackground);
        var lit = Render(Scene(false));
        var shaded = Render(Scene(true));
        int darker = 0, same = 0, total = 0;
        for (int y = 0; y < 200; y++)
            for (int x = 0; x < 200; x++)
            {
                int p = y * 200 + x;
                if (shaded.InstanceIds[p] != 0 || shaded.DepthMetres[p] == 0) continue;
                // Table point under this pixel (independently: ray from the camera to z = 0).
                double a = (x + 0.5 - 100) / 200, b = (y + 0.5 - 100) / 200;
                Vec3 dirCam = new(a, b, 1);
                Vec3 dirWorld = cam.WorldToCamera.Rotation.Transposed() * dirCam;
                Vec3 eye = cam.Position;
                double t = -eye.Z / dirWorld.Z;
                Vec3 q = eye + dirWorld * t;
                // In shadow iff the ray towards the light passes through the box: q + s·(1, 0, 1)/√2 enters
                // |x| ≤ 0.1, |y| ≤ 0.1, z ≤ 0.2.
                bool inShadow = Math.Abs(q.Y) < 0.1 - 0.01 && q.X < -0.1 + 0.01 && q.X > -0.3 + 0.01;
                bool clearlyLit = Math.Abs(q.Y) > 0.1 + 0.01 || q.X > -0.1 + 0.01 || q.X < -0.3 - 0.01;
                if (!inShadow && !clearlyLit) continue;
                total++;
                if (inShadow) { Assert.True(shaded.Rgb[p * 3] < lit.Rgb[p * 3] - 20, $"({x},{y}) should be in shadow"); darker++; }
                else if (shaded.Rgb[p * 3] == lit.Rgb[p * 3]) same++;
            }
        Assert.True(darker > 200, $"{darker} shadow pixels");
        Assert.True(same > 0.95 * (total - darker), $"{same} of {total - darker} lit pixels unchanged");
    }

    [Fact]
    public void Supersampling_changes_rgb_only_and_labels_stay_those_of_the_native_render()
    {
        var spec = PlacementTests.AllCategories();
        var sampler = SmallDataset.Sampler(spec);
        var scene = sampler.Sample(3);
        var native = new RenderTarget(160, 120);
        new RasterRenderer().Render(scene, native);
        var ss = new RenderTarget(160, 120);
        new RasterRenderer().RenderSupersampled(scene, ss, 3, new RenderTarget(480, 360));
        Assert.Equal(native.InstanceIds, ss.InstanceIds);
        Assert.Equal(native.DepthMetres, ss.DepthMetres);
        var la = LabelExtractor.Extract(3, scene, native);
        var lb = LabelExtractor.Extract(3, scene, ss);
        Assert.Equal(la.Objects.Select(o => (o.Bbox[0], o.Bbox[1], o.Bbox[2], o.Bbox[3], o.Area, o.Visibility)),
                     lb.Objects.Select(o => (o.Bbox[0], o.Bbox[1], o.Bbox[2], o.Bbox[3], o.Area, o.Visibility)));
        int differ = 0;
        for (int i = 0; i < native.Rgb.Length; i++) if (Math.Abs(native.Rgb[i] - ss.Rgb[i]) > 8) differ++;
        Assert.True(differ > 50, "anti-aliasing softens edges");
        Assert.True(differ < native.Rgb.Length / 10, "but leaves flat regions alone");
    }

    [Fact]
    public void Curriculum_moves_light_dropout_and_object_count_with_the_index_only()
    {
        var spec = PlacementTests.Parse("""
            { "image": { "width": 160, "height": 120 }, "camera": { "intrinsics": { "fx": 125, "fy": 125 } },
              "objectsPerScene": { "min": 1, "max": 8 },
              "curriculum": { "schedule": "linear", "length": 101, "lightIntensityMin": { "start": 900, "end": 200 },
                              "objectsMax": { "start": 2, "end": 8 } } }
            """);
        var c = spec.CurriculumOrDefault;
        Assert.Equal(0, c.Difficulty(0));
        Assert.Equal(0.5, c.Difficulty(50));
        Assert.Equal(1, c.Difficulty(100));
        Assert.Equal(1, c.Difficulty(5000));
        var sampler = SmallDataset.Sampler(spec);
        for (int i = 0; i < 10; i++)
        {
            var early = sampler.Sample(i);
            Assert.True(early.Light.Intensity >= 900 - 7 * i - 1e-9);
            Assert.True(early.Objects.Count <= 2);
        }
        Assert.Contains(Enumerable.Range(200, 40), i => sampler.Sample(i).Objects.Count > 4);
        Assert.Contains(Enumerable.Range(200, 40), i => sampler.Sample(i).Light.Intensity < 600);

        var stepped = c with { Schedule = CurriculumSchedule.Stepped, Steps = 4 };
        Assert.Equal([0, 0, 1.0 / 3, 2.0 / 3, 1], new[] { 0, 20, 30, 60, 100 }.Select(i => stepped.Difficulty(i)));
    }
}
