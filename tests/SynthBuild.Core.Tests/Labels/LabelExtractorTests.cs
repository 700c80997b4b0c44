using SynthBuild.Core.Labels;
using SynthBuild.Core.Rendering;
using SynthBuild.Core.Scene;
using static SynthBuild.Core.Tests.Rendering.TestScenes;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Tests.Labels;

public class LabelExtractorTests
{
    private static SceneDescription TwoBoxes(double firstX) => MakeScene(
        Camera(new Vec3(0, -0.6, 0.5), new Vec3(0, 0, 0), width: 160, height: 120, f: 150), Table(),
        Object(1, ShapeKind.Box, new Vec3(0.1, 0.1, 0.1), new Vec3(firstX, 0, 0.05)),
        Object(2, ShapeKind.Box, new Vec3(0.1, 0.1, 0.1), new Vec3(0.1, 0, 0.05)));

    [Fact]
    public void Renumbered_ids_go_into_the_callers_buffer_and_the_render_is_left_as_it_was()
    {
        var scene = TwoBoxes(firstX: 5); // box 1 is far outside the view: no pixel, so box 2 becomes id 1
        RenderResult render = new RasterRenderer().Render(scene);
        ushort[] rendered = render.InstanceIds.ToArray();
        Assert.Contains((ushort)2, rendered);
        var renumbered = new ushort[rendered.Length];

        var annotation = LabelExtractor.Extract(0, scene, render, renumbered, out ReadOnlySpan<ushort> ids);

        Assert.Equal(rendered, render.InstanceIds.ToArray());
        Assert.True(ids.Overlaps(renumbered), "the labels refer to the renumbered image");
        for (int i = 0; i < rendered.Length; i++) Assert.Equal(rendered[i] == 2 ? 1 : 0, renumbered[i]);
        var o = Assert.Single(annotation.Objects);
        Assert.Equal(1, o.InstanceId);
        Assert.Equal(rendered.Count(v => v == 2), o.Area);
    }

    [Fact]
    public void When_every_object_is_visible_the_labels_refer_to_the_render_itself()
    {
        var scene = TwoBoxes(firstX: -0.1);
        RenderResult render = new RasterRenderer().Render(scene);
        var renumbered = new ushort[render.Width * render.Height];
        Array.Fill(renumbered, (ushort)77);

        var annotation = LabelExtractor.Extract(0, scene, render, renumbered, out ReadOnlySpan<ushort> ids);

        Assert.Equal(2, annotation.Objects.Count);
        Assert.True(ids.Overlaps(render.InstanceIds), "no copy");
        Assert.All(renumbered, v => Assert.Equal(77, v));
    }
}
