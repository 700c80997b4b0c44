using System.Security.Cryptography;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Storage;
using SynthBuild.Core.Geometry;
using SynthBuild.Core;

namespace SynthBuild.TestSupport;

/// <summary>One hand-made sample: pixels and labels chosen so every statistic has a known answer.</summary>
public sealed record CraftedSample(byte[] Rgb, ushort[] Depth, ushort[] Ids, IReadOnlyList<ObjectAnnotation> Objects);

/// <summary>Writes a dataset folder (dataset.json, manifest, images, annotations) from crafted samples.</summary>
public static class CraftedDataset
{
    public const int Width = 64, Height = 48;

    public static DatasetSpec Spec(int samples)
    {
        var r = ConfigLoader.Parse($$"""{ "name": "crafted", "samples": {{samples}}, "seed": 5, "image": { "width": {{Width}}, "height": {{Height}} } }""", "crafted.json");
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return r.Spec!;
    }

    /// <param name="withStats">Store each sample's <see cref="ImageStatistics"/> in its annotation, as the generator
    /// does; without them the annotations look like an engine before 0.4 wrote them.</param>
    public static string Write(IReadOnlyList<CraftedSample> samples, bool withStats = false)
    {
        string root = SmallDataset.TempDir();
        var spec = Spec(samples.Count);
        var entries = new List<ManifestSample>();
        for (int i = 0; i < samples.Count; i++)
        {
            CraftedSample s = samples[i];
            string stem = DatasetLayout.Stem(i, samples.Count);
            var annotation = new SampleAnnotation(i, Width, Height,
                new CameraAnnotation(50, 50, Width / 2.0, Height / 2.0, RigidTransform.Identity, Vec3.Zero),
                new Lighting(Vec3.UnitZ, new Vec3(1, 1, 1), 500, 0.3), s.Objects,
                Stats: withStats ? ImageStatistics.Compute(s.Rgb, s.Depth, s.Ids, Width, Height, s.Objects.Count) : null);
            var files = new (string Path, byte[] Bytes)[]
            {
                (DatasetLayout.Rgb(stem), Png.EncodeRgb8(s.Rgb, Width, Height)),
                (DatasetLayout.Depth(stem), Png.EncodeGray16(s.Depth, Width, Height)),
                (DatasetLayout.Segmentation(stem), Png.EncodeGray16(s.Ids, Width, Height, filter: 0)),
                (DatasetLayout.Annotation(stem), AnnotationJson.Sample(annotation, stem)),
            };
            foreach (var f in files) AtomicFile.Write(DatasetLayout.FullPath(root, f.Path), f.Bytes);
            entries.Add(new ManifestSample(i, "key" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture),
                files.Select(f => new ManifestFile(f.Path, Convert.ToHexStringLower(SHA256.HashData(f.Bytes)), f.Bytes.Length)).ToList()));
        }
        var manifest = new Manifest(EngineInfo.Version, "crafted", entries, Manifest.ComputeDigest(entries));
        AtomicFile.Write(Path.Combine(root, Manifest.FileName), manifest.ToJsonBytes());
        AtomicFile.Write(Path.Combine(root, DatasetLayout.DatasetFile), AnnotationJson.Dataset(spec, manifest));
        return root;
    }

    public static byte[] Uniform(byte r, byte g, byte b)
    {
        var rgb = new byte[Width * Height * 3];
        for (int p = 0; p < Width * Height; p++) { rgb[3 * p] = r; rgb[3 * p + 1] = g; rgb[3 * p + 2] = b; }
        return rgb;
    }

    /// <summary>Gray falling from left to right: value 250 − 3x.</summary>
    public static byte[] FallingGradient()
    {
        var rgb = new byte[Width * Height * 3];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++) { int o = 3 * (y * Width + x); rgb[o] = rgb[o + 1] = rgb[o + 2] = (byte)(250 - 3 * x); }
        return rgb;
    }

    public static ushort[] Depth(ushort value, int invalidRows = 0)
    {
        var d = new ushort[Width * Height];
        Array.Fill(d, value);
        Array.Clear(d, 0, invalidRows * Width);
        return d;
    }

    /// <summary>Paints id over [x, x+w) × [y, y+h).</summary>
    public static void Paint(ushort[] ids, ushort id, int x, int y, int w, int h)
    {
        for (int v = y; v < y + h; v++)
            for (int u = x; u < x + w; u++) ids[v * Width + u] = id;
    }

    public static ObjectAnnotation Object(int instance, int category, double[] bbox, int area, double visibility,
        double depthMetres = 1, double size = 0.05, double truncation = 0)
    {
        var pose = new Pose(new Vec3(0, 0, depthMetres), new Quaternion(1, 0, 0, 0));
        string name = category switch { 1 => "box", 2 => "cylinder", _ => "sphere" };
        return new ObjectAnnotation(instance, category, name, (ShapeKind)(category - 1), bbox, area, bbox, area, visibility,
            new Vec3(size, size, size), pose, pose, Truncation: truncation);
    }
}
