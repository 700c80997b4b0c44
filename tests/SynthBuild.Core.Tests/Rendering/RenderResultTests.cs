using SynthBuild.TestSupport;
using SynthBuild.Core.Config;
using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Tests.Scene;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Tests.Rendering;

/// <summary>The rasterizer as an <see cref="IRenderer"/>: it owns supersampling and the lens, and equals the passes it is made of.</summary>
public class RenderResultTests
{
    private static readonly LensDistortion Lens = new(-0.25, 0.06, 0.001, -0.0015, 0);

    private static SceneDescription Scene(int index = 3) => SmallDataset.Sampler(PlacementTests.AllCategories()).Sample(index);

    private static void AssertSame(RenderTarget expected, RenderResult actual, bool normals)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        Assert.True(expected.Rgb.AsSpan().SequenceEqual(actual.Rgb), "rgb");
        Assert.True(expected.DepthMetres.AsSpan().SequenceEqual(actual.DepthMetres), "depth");
        Assert.True(expected.InstanceIds.AsSpan().SequenceEqual(actual.InstanceIds), "ids");
        Assert.True(expected.UnoccludedPixels.AsSpan().SequenceEqual(actual.UnoccludedPixels), "unoccluded pixels");
        Assert.Equal(expected.AmodalExtent, actual.AmodalExtent.ToArray());
        if (normals) Assert.True(expected.Normals.AsSpan().SequenceEqual(actual.Normals), "normals");
        else Assert.True(actual.Normals.IsEmpty);
    }

    [Fact]
    public void Supersampled_result_is_the_native_labels_with_rgb_from_the_high_resolution_pass()
    {
        var scene = Scene();
        var expected = new RenderTarget(160, 120);
        expected.EnableNormals();
        new RasterRenderer().RenderSupersampled(scene, expected, 3, new RenderTarget(480, 360));

        IRenderer renderer = new RasterRenderer(new RasterOptions(Supersampling: 3, Normals: true));
        RenderResult result = renderer.Render(scene);
        AssertSame(expected, result, normals: true);

        var native = TestScenes.Render(scene);
        Assert.True(native.InstanceIds.AsSpan().SequenceEqual(result.InstanceIds));
        Assert.False(native.Rgb.AsSpan().SequenceEqual(result.Rgb), "supersampling changes RGB");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void With_a_lens_the_result_is_the_pinhole_render_with_a_margin_resampled_through_it(int supersampling)
    {
        var plain = Scene();
        var cam = plain.Camera with { Lens = Lens };
        var scene = plain with { Camera = cam };
        int margin = LensWarp.Margin(Lens, cam.Width, cam.Height, cam.Fx, cam.Fy, cam.Cx, cam.Cy, 0.9);

        // The passes the rasterizer is made of, composed by hand.
        var pinholeCamera = LensWarp.PinholeWithMargin(cam, margin);
        var pinhole = new RenderTarget(pinholeCamera.Width, pinholeCamera.Height);
        pinhole.EnableCoverageMasks();
        pinhole.EnableNormals();
        new RasterRenderer().RenderSupersampled(scene with { Camera = pinholeCamera }, pinhole, supersampling,
            new RenderTarget(pinholeCamera.Width * supersampling, pinholeCamera.Height * supersampling));
        var expected = new RenderTarget(cam.Width, cam.Height);
        expected.EnableNormals();
        LensWarp.Apply(cam, pinhole, margin, expected, scene.Objects.Count);

        var renderer = new RasterRenderer(new RasterOptions(supersampling, Normals: true, LensMargin: margin));
        AssertSame(expected, renderer.Render(scene), normals: true);
        Assert.False(TestScenes.Render(plain).InstanceIds.AsSpan().SequenceEqual(renderer.Render(scene).InstanceIds), "the lens moves pixels");
    }

    [Fact]
    public void Without_a_margin_in_the_options_the_lens_margin_comes_from_the_camera()
    {
        var plain = Scene();
        var cam = plain.Camera with { Lens = Lens };
        var scene = plain with { Camera = cam };
        int margin = LensWarp.Margin(Lens, cam.Width, cam.Height, cam.Fx, cam.Fy, cam.Cx, cam.Cy, 1);
        var expected = new RasterRenderer(new RasterOptions(LensMargin: margin)).Render(scene).InstanceIds.ToArray();
        Assert.Equal(expected, new RasterRenderer().Render(scene).InstanceIds.ToArray());
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public void A_renderer_reuses_its_buffers_from_sample_to_sample(int supersampling, bool lens)
    {
        SceneDescription Sample(int i)
        {
            var s = Scene(i);
            return lens ? s with { Camera = s.Camera with { Lens = Lens } } : s;
        }
        var renderer = new RasterRenderer(new RasterOptions(supersampling, LensMargin: lens ? 40 : null));
        var first = renderer.Render(Sample(1));
        ushort[] firstIds = first.InstanceIds.ToArray();
        renderer.Render(Sample(2)); // warm: every buffer exists now
        var scene = Sample(3);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var third = renderer.Render(scene);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(first.InstanceIds.Overlaps(third.InstanceIds) && first.Rgb.Overlaps(third.Rgb), "same buffers");
        Assert.False(firstIds.AsSpan().SequenceEqual(third.InstanceIds), "holding the latest sample");
        Assert.True(allocated < 16 * 1024, $"{allocated} bytes allocated for one sample (its RGB alone is {160 * 120 * 3})");
    }

    [Fact]
    public void Options_for_a_dataset_carry_its_supersampling_normals_and_one_lens_margin_for_every_sample()
    {
        var plain = PlacementTests.AllCategories(extra: """, "render": { "supersampling": 2 }, "outputs": { "semantic": true, "pointCloud": false, "normals": true }""");
        var options = RasterOptions.For(plain);
        Assert.Equal(new RasterOptions(2, true, null), options);

        var spec = plain with { Camera = plain.Camera with { Distortion = Lens, FocalLengthVariation = 0.1 } };
        CameraSpec c = spec.Camera;
        int margin = LensWarp.Margin(Lens, spec.Width, spec.Height, c.Fx, c.Fy, c.Cx, c.Cy, 0.9);
        Assert.Equal(margin, RasterOptions.For(spec).LensMargin);
        Assert.True(margin > LensWarp.Margin(Lens, spec.Width, spec.Height, c.Fx, c.Fy, c.Cx, c.Cy, 1), "the shortest focal length needs the widest margin");
    }

    [Fact]
    public void Linear_rgb_decodes_the_stored_srgb()
    {
        var result = new RasterRenderer().Render(Scene());
        int p = 60 * 160 + 80;
        var (r, g, b) = result.LinearRgb(p);
        Assert.Equal((Srgb.Decode(result.Rgb[p * 3]), Srgb.Decode(result.Rgb[p * 3 + 1]), Srgb.Decode(result.Rgb[p * 3 + 2])), (r, g, b));
        Assert.Equal(result.Rgb[p * 3], Srgb.Encode(r));
    }
}
