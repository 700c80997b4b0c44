using SynthBuild.Core.Labels;
using SynthBuild.Core.Storage;
using SynthBuild.TestSupport;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Augmentation.Tests;

/// <summary>
/// What the camera and the projected labels mean after geometric augmentation: the annotation's projection maps every
/// camera-frame point to its output pixel (so the object's 3D box corners, re-projected, land on the mapped cuboid
/// keypoints), K is updated exactly when the map keeps a pinhole model, and keypoint flags follow the output frame.
/// </summary>
public class CameraAfterAugmentationTests
{
    private static readonly Lazy<(DatasetReader Reader, ulong Seed)> Dataset = new(() =>
    {
        var spec = SmallDataset.Spec(samples: 6);
        return (DatasetReader.Open(SmallDataset.TempDirWith(spec)), spec.Seed);
    });

    private static IEnumerable<(SampleAnnotation Source, AugmentedSample Result)> Run(string pipelineJson, int passes = 3)
    {
        var (reader, seed) = Dataset.Value;
        var pipeline = new AugmentationPipeline(AugmentationFixtures.Spec(pipelineJson, w: 160, h: 120));
        foreach (long i in reader.Indices)
            for (int pass = 0; pass < passes; pass++)
            {
                var (images, annotation) = AugmentedDatasetBuilder.LoadSample(reader, i);
                yield return (annotation, pipeline.Apply(images, annotation, seed, i, pass));
            }
    }

    [Theory]
    [InlineData("""{ "type": "horizontalFlip" }""")]
    [InlineData("""{ "type": "verticalFlip" }, { "type": "randomCrop", "width": 120, "height": 90 }""")]
    [InlineData("""{ "type": "scale", "factor": { "min": 0.7, "max": 1.4 } }, { "type": "translate", "x": { "min": -0.2, "max": 0.2 }, "y": { "min": -0.2, "max": 0.2 } }""")]
    [InlineData("""{ "type": "horizontalFlip", "p": 0.5 }, { "type": "resize", "width": 64, "height": 64 }""")]
    public void Axis_aligned_maps_give_an_updated_pinhole_K(string pipelineJson)
    {
        int checkedPoints = 0;
        foreach (var (source, r) in Run(pipelineJson))
        {
            Assert.True(r.Pinhole);
            CameraAnnotation c = r.Annotation.Camera;
            double[] h = r.Homography;
            // K' = H·K for H = [[a, 0, b], [0, d, e], [0, 0, 1]].
            Assert.Equal(h[0] * source.Camera.Fx, c.Fx, 9);
            Assert.Equal(h[4] * source.Camera.Fy, c.Fy, 9);
            Assert.Equal(h[0] * source.Camera.Cx + h[2], c.Cx, 9);
            Assert.Equal(h[4] * source.Camera.Cy + h[5], c.Cy, 9);
            Assert.Equal([c.Fx, 0, c.Cx, 0, c.Fy, c.Cy, 0, 0, 1], c.Projection!);
            checkedPoints += CheckCuboids(r.Annotation, c with { Projection = null }, r);
        }
        Assert.True(checkedPoints > 50, $"only {checkedPoints} keypoints checked");
    }

    [Theory]
    [InlineData("""{ "type": "rotate", "degrees": { "min": -30, "max": 30 } }""")]
    [InlineData("""{ "type": "affine", "degrees": { "min": -20, "max": 20 }, "scale": { "min": 0.8, "max": 1.2 }, "shear": { "min": -10, "max": 10 } }, { "type": "randomCrop", "width": 128, "height": 96 }""")]
    [InlineData("""{ "type": "perspective", "distortion": { "min": 0.05, "max": 0.15 } }""")]
    public void Other_maps_keep_the_source_K_and_record_the_exact_projection(string pipelineJson)
    {
        int checkedPoints = 0;
        foreach (var (source, r) in Run(pipelineJson))
        {
            Assert.False(r.Pinhole);
            CameraAnnotation c = r.Annotation.Camera;
            Assert.Equal((source.Camera.Fx, source.Camera.Fy, source.Camera.Cx, source.Camera.Cy), (c.Fx, c.Fy, c.Cx, c.Cy));
            Assert.NotNull(c.Projection);
            checkedPoints += CheckCuboids(r.Annotation, c, r);
        }
        Assert.True(checkedPoints > 50, $"only {checkedPoints} keypoints checked");
    }

    [Fact]
    public void Projection_round_trips_through_the_annotation_json()
    {
        var (_, r) = Run("""{ "type": "rotate", "degrees": { "min": 10, "max": 10 } }""", passes: 1).First();
        SampleAnnotation back = AnnotationJson.ReadSample(AnnotationJson.Sample(r.Annotation, "000000"));
        Assert.Equal(r.Annotation.Camera.Projection, back.Camera.Projection);
        Assert.Equal(r.Annotation.Objects[0].Cuboid!.SelectMany(p => p), back.Objects[0].Cuboid!.SelectMany(p => p));
    }

    /// <summary>
    /// Every keypoint that was projected in the source equals the object's 3D corner projected with the output camera;
    /// its flag is 0 outside the output image, and 2 only where the source showed it and the output pixel shows source content.
    /// </summary>
    private static int CheckCuboids(SampleAnnotation a, CameraAnnotation camera, AugmentedSample r)
    {
        int n = 0, w = a.Width, h = a.Height;
        var back = new Homography(r.Homography[0], r.Homography[1], r.Homography[2], r.Homography[3], r.Homography[4],
            r.Homography[5], r.Homography[6], r.Homography[7], r.Homography[8]).Inverse();
        foreach (ObjectAnnotation o in a.Objects)
        {
            Mat3 rot = o.PoseCamera.Rotation.ToMatrix();
            for (int i = 0; i < 9; i++)
            {
                double[] k = o.Cuboid![i];
                Vec3 pc = rot * ObjectBox.Corner(o.Dimensions, i) + o.PoseCamera.Position;
                if (k[2] == 0 && k[0] == 0 && k[1] == 0) continue; // behind the camera in the source
                var (u, v) = camera.Project(pc);
                Assert.Equal(u, k[0], 6);
                Assert.Equal(v, k[1], 6);
                bool inside = u >= 0 && v >= 0 && u < w && v < h;
                Assert.Equal(inside, k[2] > 0);
                if (k[2] == 2)
                {
                    var (su, sv) = back.Apply(Math.Floor(u) + 0.5, Math.Floor(v) + 0.5);
                    Assert.True(su >= 0 && sv >= 0 && su < 160 && sv < 120, "a visible keypoint's pixel shows source content");
                }
                n++;
            }
        }
        return n;
    }
}
