using FsCheck.Xunit;
using static SynthBuild.Augmentation.Tests.AugmentationFixtures;

namespace SynthBuild.Augmentation.Tests;

/// <summary>
/// For every geometric transform: the labels the pipeline reports equal the labels derived from the transformed
/// mask, boxes lie inside the image, and RGB, depth and mask stay pixel-aligned (the sentinel square keeps its
/// colour, depth and id at the same pixels).
/// </summary>
public class GeometricPropertyTests
{
    [Property(MaxTest = 25)] public void HorizontalFlip(int seed) => Check("""{ "type": "horizontalFlip" }""", seed);
    [Property(MaxTest = 25)] public void VerticalFlip(int seed) => Check("""{ "type": "verticalFlip" }""", seed);
    [Property(MaxTest = 25)] public void Rotate(int seed) => Check("""{ "type": "rotate", "degrees": { "min": -180, "max": 180 } }""", seed);
    [Property(MaxTest = 25)] public void Scale(int seed) => Check("""{ "type": "scale", "factor": { "min": 0.5, "max": 2 } }""", seed);
    [Property(MaxTest = 25)] public void Translate(int seed) => Check("""{ "type": "translate", "x": { "min": -0.3, "max": 0.3 }, "y": { "min": -0.3, "max": 0.3 } }""", seed);
    [Property(MaxTest = 25)] public void RandomCrop(int seed) => Check("""{ "type": "randomCrop", "width": 64, "height": 48 }""", seed);
    [Property(MaxTest = 25)] public void Resize(int seed) => Check("""{ "type": "resize", "width": 131, "height": 50 }""", seed);
    [Property(MaxTest = 25)] public void Affine(int seed) => Check("""
        { "type": "affine", "degrees": { "min": -30, "max": 30 }, "scale": { "min": 0.7, "max": 1.5 },
          "translateX": { "min": -0.1, "max": 0.1 }, "translateY": { "min": -0.1, "max": 0.1 }, "shear": { "min": -15, "max": 15 } }
        """, seed);
    [Property(MaxTest = 25)] public void Perspective(int seed) => Check("""{ "type": "perspective", "distortion": { "min": 0, "max": 0.2 } }""", seed);
    [Property(MaxTest = 25)] public void Composed_with_visibility_threshold(int seed) => Check("""
        { "type": "horizontalFlip", "p": 0.5 }, { "type": "rotate", "p": 0.7, "degrees": { "min": -25, "max": 25 } },
        { "type": "randomCrop", "width": 70, "height": 50 }, { "type": "scale", "p": 0.5, "factor": { "min": 0.8, "max": 1.3 } }
        """, seed, minVisibility: 0.3);

    // Geometric runs split by photometric and depth steps: each run is warped on its own, alignment still exact.
    // (Steps that keep the sentinel's colour and depth, so the check below still applies.)
    [Property(MaxTest = 25)] public void Runs_split_by_photometric_steps(int seed) => Check("""
        { "type": "rotate", "degrees": { "min": -30, "max": 30 } }, { "type": "brightness", "delta": { "min": 0, "max": 0 } },
        { "type": "horizontalFlip", "p": 0.5 }, { "type": "randomCrop", "width": 80, "height": 60 }, { "type": "depthScale", "factor": { "min": 1, "max": 1 } },
        { "type": "scale", "factor": { "min": 0.8, "max": 1.2 } }
        """, seed);

    private static void Check(string pipelineJson, int seed, double minVisibility = 0)
    {
        var (input, annotation, sentinelId) = Sample(seed);
        var spec = Spec(pipelineJson, minVisibility);
        AugmentedSample result = new AugmentationPipeline(spec).Apply(input, annotation, 11, seed, 0);
        var im = result.Images;
        int w = im.Width, h = im.Height;
        Assert.Equal((w, h), new AugmentationPipeline(spec).OutputSize(input.Width, input.Height));

        // Labels = labels of the transformed mask; ids dense 1..N.
        var fromMask = LabelsFromMask(im.Ids, w, h);
        var objects = result.Annotation.Objects;
        Assert.Equal(objects.Count, fromMask.Count);
        for (int k = 0; k < objects.Count; k++)
        {
            var o = objects[k];
            Assert.Equal(k + 1, o.InstanceId);
            Assert.Equal(fromMask[k + 1].Box, o.Bbox);
            Assert.Equal(fromMask[k + 1].Area, o.Area);
            Assert.True(o.Bbox[0] >= 0 && o.Bbox[1] >= 0 && o.Bbox[0] + o.Bbox[2] <= w && o.Bbox[1] + o.Bbox[3] <= h);
            Assert.InRange(o.Visibility, minVisibility, 1.0);
        }

        // Pixel alignment. Depth and ids use the same nearest-neighbour grid: the sentinel depth marks exactly the sentinel's pixels.
        int sentinelOut = -1;
        for (int i = 0; i < w * h; i++)
        {
            if (im.Depth[i] != SentinelDepth) continue;
            Assert.NotEqual(0, im.Ids[i]);
            if (sentinelOut < 0) sentinelOut = im.Ids[i];
            Assert.Equal(sentinelOut, im.Ids[i]);
        }
        if (sentinelOut < 0) return; // the sentinel left the frame (or was dropped): nothing to align
        int deepInterior = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                Assert.Equal(im.Ids[i] == sentinelOut, im.Depth[i] == SentinelDepth);
                // Bilinear RGB is the sentinel colour exactly where every source pixel it blends is sentinel:
                // guaranteed at mask pixels whose 5-pixel neighbourhood is all sentinel (zoom ≤ 2).
                if (!Interior(im.Ids, w, h, x, y, sentinelOut, 4)) continue;
                deepInterior++;
                for (int c = 0; c < 3; c++) Assert.Equal(SentinelColor[c], im.Rgb[i * 3 + c]);
            }
        // The sentinel's colour never appears away from its mask region.
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (im.Rgb[i * 3] == SentinelColor[0] && im.Rgb[i * 3 + 1] == SentinelColor[1] && im.Rgb[i * 3 + 2] == SentinelColor[2])
                    Assert.True(Near(im.Ids, w, h, x, y, sentinelOut, 2), $"sentinel colour at ({x},{y}) away from its mask");
            }
        if (fromMask[sentinelOut].Area >= 150) Assert.True(deepInterior > 0, "a large visible sentinel has interior pixels");
    }

    private static bool Interior(ushort[] ids, int w, int h, int x, int y, int id, int r)
    {
        for (int dy = -r; dy <= r; dy++)
            for (int dx = -r; dx <= r; dx++)
            {
                int xx = x + dx, yy = y + dy;
                if (xx < 0 || yy < 0 || xx >= w || yy >= h || ids[yy * w + xx] != id) return false;
            }
        return true;
    }

    private static bool Near(ushort[] ids, int w, int h, int x, int y, int id, int r)
    {
        for (int dy = -r; dy <= r; dy++)
            for (int dx = -r; dx <= r; dx++)
            {
                int xx = x + dx, yy = y + dy;
                if (xx >= 0 && yy >= 0 && xx < w && yy < h && ids[yy * w + xx] == id) return true;
            }
        return false;
    }
}
