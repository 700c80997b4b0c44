using SynthBuild.Core.Tests.Scene;
using SynthBuild.Core.Scene;
using static SynthBuild.Core.Tests.Rendering.TestScenes;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;
using SynthBuild.TestSupport;

namespace SynthBuild.Core.Tests.Rendering;

/// <summary>Colour temperature, point lights and the lit background, each against values computed without the renderer.</summary>
public class LightingTests
{
    private static double Luminance(Vec3 c) => 0.2126 * c.X + 0.7152 * c.Y + 0.0722 * c.Z;

    [Fact]
    public void Colour_temperature_is_warm_below_daylight_blue_above_and_keeps_luminance()
    {
        Vec3 candle = ColorTemperature.ToLinearRgb(1900), tungsten = ColorTemperature.ToLinearRgb(2700);
        Vec3 daylight = ColorTemperature.ToLinearRgb(6504), sky = ColorTemperature.ToLinearRgb(12000);
        Assert.True(tungsten.X > tungsten.Y && tungsten.Y > tungsten.Z && tungsten.Z / tungsten.X < 0.5, $"2700 K = {tungsten}");
        Assert.True(sky.Z > sky.Y && sky.Y > sky.X, $"12000 K = {sky}");
        // The Planckian locus passes close to D65 (sRGB's white) near 6500 K.
        Assert.All(daylight.ToArray(), c => Assert.InRange(c, 0.9, 1.1));
        foreach (var c in new[] { candle, tungsten, daylight, sky }) Assert.Equal(1, Luminance(c), 9);
        // Blue falls steadily relative to red as the temperature drops.
        double previous = double.MaxValue;
        for (int k = 20000; k >= 2000; k -= 500)
        {
            Vec3 c = ColorTemperature.ToLinearRgb(k);
            Assert.True(c.Z / c.X < previous, $"B/R not decreasing at {k} K");
            previous = c.Z / c.X;
        }
    }

    [Fact]
    public void Sampled_light_colour_is_the_temperature_times_the_jitter_and_moves_nothing_else()
    {
        const string baseJson = """{ "image": { "width": 160, "height": 120 }, "camera": { "intrinsics": { "fx": 125, "fy": 125 } }, "lighting": { "colorVariation": 0 %T% } }""";
        var plain = SmallDataset.Sampler(PlacementTests.Parse(baseJson.Replace("%T%", "")));
        var warm = SmallDataset.Sampler(PlacementTests.Parse(baseJson.Replace("%T%", """, "colorTemperature": { "min": 2500, "max": 2500 }""")));
        for (int i = 0; i < 5; i++)
        {
            SceneDescription a = plain.Sample(i), b = warm.Sample(i);
            Assert.Equal(new Vec3(1, 1, 1), a.Light.Color);
            Vec3 expected = ColorTemperature.ToLinearRgb(2500);
            Assert.Equal(expected.X, b.Light.Color.X, 12); Assert.Equal(expected.Y, b.Light.Color.Y, 12); Assert.Equal(expected.Z, b.Light.Color.Z, 12);
            Assert.Equal(a.Light with { Color = b.Light.Color }, b.Light);
            Assert.Equal(a.Objects.Select(o => o.Pose), b.Objects.Select(o => o.Pose));
        }
    }

    /// <summary>Camera above the table looking down; the world point under pixel (x, y) on z = 0.</summary>
    private static Vec3 TablePoint(CameraModel cam, int x, int y)
    {
        Vec3 dirWorld = cam.WorldToCamera.Rotation.Transposed() * new Vec3((x + 0.5 - cam.Cx) / cam.Fx, (y + 0.5 - cam.Cy) / cam.Fy, 1);
        Vec3 eye = cam.Position;
        return eye + dirWorld * (-eye.Z / dirWorld.Z);
    }

    [Fact]
    public void A_point_light_lights_the_table_with_inverse_square_falloff_and_a_highlight()
    {
        var cam = Camera(new Vec3(0, -0.01, 1.0), new Vec3(0, 0, 0), width: 160, height: 160, f: 120);
        const double albedo = 0.5, roughness = 0.5, intensity = 60;
        var lamp = new Vec3(0.05, 0.02, 0.3);
        var table = new Table(3, 3, new Material(new Vec3(albedo, albedo, albedo), roughness, 0));
        var light = new Lighting(new Vec3(0, 0, 1), new Vec3(1, 1, 1), 0, 0, PointLights: [new PointLight(lamp, new Vec3(1, 1, 1), intensity)]);
        var target = Render(new SceneDescription(cam, [], light, table, DefaultBackground));

        // Blinn–Phong as documented: diffuse albedo·E·cosθ/d², specular F0·(s+8)/8·(n·h)^s·E·cosθ/d² with
        // s = 2/r⁴ − 2 and F0 = 0.04 for a dielectric; n = +z, h = (l + v)/|l + v|.
        double shin = 2 / Math.Pow(roughness, 4) - 2, norm = (shin + 8) / 8;
        Vec3 eye = cam.Position;
        int checkedPixels = 0, worst = 0;
        double centre = 0, edge = 0;
        for (int y = 0; y < 160; y++)
            for (int x = 0; x < 160; x++)
            {
                Vec3 q = TablePoint(cam, x, y);
                Vec3 toLamp = lamp - q, toEye = (eye - q).Normalized();
                double d2 = Vec3.Dot(toLamp, toLamp);
                Vec3 l = toLamp.Normalized();
                double cos = l.Z, e = intensity / 1000 * cos / d2;
                Vec3 h = (l + toEye).Normalized();
                double expected = albedo * e + 0.04 * norm * Math.Pow(h.Z, shin) * e;
                int p = (y * 160 + x) * 3;
                worst = Math.Max(worst, Math.Abs(target.Rgb[p] - Srgb.EncodeExact(expected)));
                checkedPixels++;
                if (x == 80 && y == 80) centre = expected;
                if (x == 0 && y == 80) edge = expected;
            }
        Assert.True(worst <= 1, $"largest difference {worst} codes");
        Assert.Equal(160 * 160, checkedPixels);
        Assert.True(centre > 3 * edge, "light falls off away from the lamp");
    }

    [Fact]
    public void Point_lights_add_light_and_default_to_none()
    {
        var spec = PlacementTests.Parse("""{ "image": { "width": 160, "height": 120 }, "camera": { "intrinsics": { "fx": 125, "fy": 125 } } }""");
        Assert.Null(SmallDataset.Sampler(spec).Sample(0).Light.PointLights);
        var lit = PlacementTests.Parse("""
            { "image": { "width": 160, "height": 120 }, "camera": { "intrinsics": { "fx": 125, "fy": 125 } },
              "lighting": { "pointLights": { "count": { "min": 2, "max": 2 }, "intensity": { "min": 100, "max": 200 },
                                              "position": { "min": [-0.3, -0.3, 0.4], "max": [0.3, 0.3, 0.6] } } } }
            """);
        var scene = SmallDataset.Sampler(lit).Sample(0);
        Assert.Equal(2, scene.Light.PointLightCount);
        Assert.All(scene.Light.PointLights!, p =>
        {
            Assert.InRange(p.Intensity, 100, 200);
            Assert.InRange(p.Position.X, -0.3, 0.3); Assert.InRange(p.Position.Z, 0.4, 0.6);
        });
        var without = Render(scene with { Light = scene.Light with { PointLights = null } });
        var with = Render(scene);
        long sumWith = 0, sumWithout = 0;
        for (int i = 0; i < with.Rgb.Length; i++) { sumWith += with.Rgb[i]; sumWithout += without.Rgb[i]; Assert.True(with.Rgb[i] >= without.Rgb[i]); }
        Assert.True(sumWith > sumWithout * 1.05);
        Assert.Equal(without.InstanceIds, with.InstanceIds);
    }

    [Fact]
    public void The_background_is_lit_by_ambient_and_the_directional_light_on_a_wall_facing_the_camera()
    {
        var cam = Camera(new Vec3(0, -1, 0.5), new Vec3(0, 0, 0.3), width: 64, height: 48, f: 60);
        var wall = new Vec3(0.6, 0.5, 0.4);
        var bg = new Background(wall, wall);
        Vec3 forward = cam.WorldToCamera.Rotation.Transposed() * new Vec3(0, 0, 1);
        foreach (var (toLight, intensity, ambient) in new[] { (new Vec3(0, -1, 1), 800.0, 0.1), (new Vec3(0, -1, 1), 200.0, 0.1), (new Vec3(0, 1, 0.2), 800.0, 0.3) })
        {
            var tint = new Vec3(1.1, 1.0, 0.8);
            var scene = new SceneDescription(cam, [], new Lighting(toLight, tint, intensity, ambient), new Table(0, 0, Matte), bg);
            var target = Render(scene);
            double cos = Math.Max(0, -Vec3.Dot(forward, toLight.Normalized()));
            byte[] expected =
            [
                Srgb.EncodeExact(wall.X * (ambient + tint.X * intensity / 1000 * cos)),
                Srgb.EncodeExact(wall.Y * (ambient + tint.Y * intensity / 1000 * cos)),
                Srgb.EncodeExact(wall.Z * (ambient + tint.Z * intensity / 1000 * cos)),
            ];
            for (int p = 0; p < 64 * 48; p++)
                for (int c = 0; c < 3; c++)
                    Assert.InRange(target.Rgb[p * 3 + c], expected[c] - 1, expected[c] + 1);
        }
    }
}
