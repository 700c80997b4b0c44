using FsCheck.Xunit;
using SynthBuild.Core.Rendering;
using static SynthBuild.Core.Tests.Rendering.TestScenes;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Tests.Rendering;

public class CoveragePropertyTests
{
    /// <summary>
    /// Any single object on a table, at any pose, including partly outside the image or through the near plane,
    /// is seen in full: visible pixels == unoccluded pixels, and the amodal extent is the mask's extent.
    /// </summary>
    [Property(MaxTest = 40)]
    public bool Lone_object_is_fully_visible(byte shape, short px, short py, short yaw, short tilt, byte size, byte camDist)
    {
        var kind = (ShapeKind)(shape % 3);
        double s = 0.02 + size / 255.0 * 0.3;
        var dims = new Vec3(s, s * 0.7, s * 1.3);
        // Lifted by the bounding radius: a tilted object resting at z = dims.Z/2 would dip into the table, which then
        // (correctly) occludes a sliver of it.
        var pos = new Vec3(px / 32768.0 * 0.5, py / 32768.0 * 0.5, dims.Length / 2 + 1e-3);
        Mat3 rot = Mat3.RotationZ(yaw / 5000.0) * Mat3.RotationX(tilt / 20000.0);
        // Camera distance from 0.05 m (inside or touching big objects: near-plane clipping) to 1.5 m.
        double d = 0.05 + camDist / 255.0 * 1.45;
        var cam = Camera(new Vec3(0.3, -0.8, 0.5) * d / 0.99, new Vec3(0, 0, 0.05));
        var target = Render(MakeScene(cam, Table(), Object(7, kind, dims, pos, rot)));
        PixelExtent mask = Extent(target, 7), amodal = target.AmodalExtent[7];
        return Count(target, 7) == target.UnoccludedPixels[7]
               && (mask.IsEmpty ? amodal.IsEmpty
                   : (mask.MinX, mask.MinY, mask.MaxX, mask.MaxY) == (amodal.MinX, amodal.MinY, amodal.MaxX, amodal.MaxY));
    }

    [Fact]
    public void Object_across_the_image_border_counts_only_pixels_inside_the_image()
    {
        var cam = Camera(new Vec3(0, 0, 1), new Vec3(0, 0, 0), f: 500, cx: 320, cy: 240);
        // Top face 0.2 m at 0.9 m (111.1 px) centred on the left image border; the +x side face is also seen and
        // reaches u = 500·(−0.476)/1.0 + 320 = 82 at the bottom edge.
        var box = Object(2, ShapeKind.Box, new Vec3(0.2, 0.2, 0.1), new Vec3(-320 * 0.9 / 500, 0, 0.05));
        var target = Render(MakeScene(cam, null, box));
        PixelExtent e = target.AmodalExtent[2];
        Assert.Equal(0, e.MinX);
        Assert.Equal(81, e.MaxX);
        Assert.Equal(Count(target, 2), target.UnoccludedPixels[2]);
        Assert.InRange(target.UnoccludedPixels[2], 55 * 110, 82 * 112);
    }
}
