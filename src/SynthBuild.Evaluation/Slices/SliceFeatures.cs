using System.Globalization;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Storage;

namespace SynthBuild.Evaluation.Slices;

/// <summary>What generated one image of the split: from its annotation, and from its re-sampled scene what the
/// annotation does not record (colour temperature, table pattern, distractors, curriculum difficulty).</summary>
public sealed record ImageFeatures(long Index, long ImageId, int Attempt, double Intensity, double Ambient, double? ColorTemperature,
    TexturePattern TablePattern, int Distractors, double Difficulty);

/// <summary>One ground-truth object of the split with its annotation's labels.</summary>
public sealed record ObjectFeatures(long AnnotationId, long ImageId, string Category, double Visibility, double Truncation,
    double Area, double Distance);

/// <summary>
/// Slice features of a built dataset's split, exact and without rendering: the annotation JSON for what it records,
/// <see cref="SceneSampler.Sample"/> for the rest. The builder may have redrawn a scene (attempt 1, 2, …) when too few
/// objects were visible; the attempt whose object poses equal the annotation's poseWorld is the one that was rendered.
/// </summary>
public static class SliceFeatures
{
    /// <summary>DatasetBuilder's redraw limit (attempts 0..MaxAttempt).</summary>
    public const int MaxAttempt = 4;

    /// <exception cref="DiagnosticException">SYN8301: the config is not the dataset's, the ground truth is not its
    /// COCO export of the split, or an annotation matches no re-sampled scene.</exception>
    public static (List<ImageFeatures> Images, List<ObjectFeatures> Objects) Extract(DatasetReader reader, DatasetSpec spec, AssetLibrary assets, CocoGroundTruth gt)
    {
        string hash = SpecFingerprint.Hash(spec);
        if (hash != reader.Manifest.SpecHash)
            throw Bad($"The config is not the one that built this dataset (spec hash {Short(hash)}, the dataset's {Short(reader.Manifest.SpecHash)}): slices re-sample scenes, so they need the same config and seed.", reader.Root);
        var sampler = new SceneSampler(spec, assets);
        var known = new HashSet<long>(reader.Indices);
        var annsByImage = gt.Annotations.GroupBy(a => a.ImageId).ToDictionary(g => g.Key, g => g.ToList());
        var images = new List<ImageFeatures>(gt.Images.Count);
        var objects = new List<ObjectFeatures>(gt.Annotations.Count);
        foreach (var im in gt.Images.OrderBy(i => i.Id))
        {
            long index = im.Id - 1; // the COCO export's image id is the sample index + 1
            if (!known.Contains(index) || (im.FileName is string fn && fn != DatasetLayout.Rgb(reader.Stem(index))))
                throw Bad($"Image {im.Id} of the ground truth is not sample {index} of this dataset: pass the dataset's own COCO export.", gt.File);
            SampleAnnotation a = reader.ReadAnnotation(index);
            var (scene, attempt) = Resample(sampler, index, a)
                ?? throw Bad($"Sample {index}: no re-sampled scene (attempts 0–{MaxAttempt}) has the annotation's object poses; was the dataset built by this engine from this config?", reader.AnnotationPath(index));
            images.Add(new ImageFeatures(index, im.Id, attempt, a.Light.Intensity, a.Light.Ambient, scene.Draws?.ColorTemperature,
                scene.Table.Material.Texture.Pattern, scene.DistractorsOrEmpty.Count, scene.Draws?.Difficulty ?? 0));

            // The export writes the objects with pixels, in annotation order.
            var labelled = a.Objects.Where(o => o.Area != 0).ToList();
            var gts = annsByImage.GetValueOrDefault(im.Id) ?? [];
            if (gts.Count != labelled.Count)
                throw Bad($"Image {im.Id} has {gts.Count} ground-truth boxes, its annotation {labelled.Count} objects: pass the dataset's own COCO export.", gt.File);
            for (int i = 0; i < gts.Count; i++)
            {
                var g = gts[i];
                var o = labelled[i];
                if (g.Bbox is not double[] box || !box.SequenceEqual(o.Bbox))
                    throw Bad($"annotations[{g.Index}] (image {im.Id}) does not have the box of object {o.InstanceId} of its annotation: pass the dataset's own COCO export.", gt.File);
                Vec3 p = o.PoseCamera.Position;
                objects.Add(new ObjectFeatures(g.Id, im.Id, o.Category, o.Visibility, o.Truncation, g.Area, Math.Sqrt(p.X * p.X + p.Y * p.Y + p.Z * p.Z)));
            }
        }
        return (images, objects);
    }

    /// <summary>The scene and attempt whose objects sit where the annotation says (the hidden ones have no label).</summary>
    public static (SceneDescription Scene, int Attempt)? Resample(SceneSampler sampler, long index, SampleAnnotation a)
    {
        for (int attempt = 0; attempt <= MaxAttempt; attempt++)
        {
            SceneDescription s = sampler.Sample(index, attempt);
            if (a.Objects.All(o => s.Objects.Any(so => so.Pose.Translation == o.PoseWorld.Position))) return (s, attempt);
        }
        return null;
    }

    private static string Short(string h) => h[..Math.Min(12, h.Length)];

    internal static DiagnosticException Bad(string message, string? file = null) =>
        new(Diagnostic.Error(SynCodes.SlicesInputInvalid, message, file));

    internal static string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
