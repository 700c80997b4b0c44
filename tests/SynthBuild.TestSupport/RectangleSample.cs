using SynthBuild.Core.Config;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Randomness;
using SynthBuild.Core.Scene;

namespace SynthBuild.TestSupport;

/// <summary>A synthetic sample with known content (images and labels derived independently of the generator).</summary>
public sealed record RectangleSample(int Width, int Height, byte[] Rgb, ushort[] Depth, ushort[] Ids, SampleAnnotation Annotation, int SentinelId)
{
    public const ushort SentinelDepth = 4321;
    public static readonly byte[] SentinelColor = [250, 3, 129];

    /// <summary>
    /// A W×H sample with a noisy background, a few overlapping rectangles (later ones occlude earlier ones) and, on top,
    /// a 15×15 sentinel square with a unique colour, depth and id near the centre.
    /// </summary>
    public static RectangleSample Make(int seed, int w = 96, int h = 72)
    {
        var rng = RandomStream.For((ulong)seed, 0, "fixture");
        var rgb = new byte[w * h * 3];
        var depth = new ushort[w * h];
        var ids = new ushort[w * h];
        for (int i = 0; i < w * h; i++)
        {
            rgb[i * 3] = (byte)rng.NextInt(0, 200); rgb[i * 3 + 1] = (byte)rng.NextInt(0, 200); rgb[i * 3 + 2] = (byte)rng.NextInt(0, 200);
            depth[i] = (ushort)(2000 + rng.NextInt(0, 50));
        }
        var rects = new List<(int X, int Y, int W, int H)>();
        int n = rng.NextInt(2, 4);
        for (int k = 0; k < n; k++)
        {
            int rw = rng.NextInt(8, w / 2), rh = rng.NextInt(8, h / 2);
            rects.Add((rng.NextInt(0, w - rw), rng.NextInt(0, h - rh), rw, rh));
        }
        rects.Add((w / 2 - 7 + rng.NextInt(-6, 6), h / 2 - 7 + rng.NextInt(-6, 6), 15, 15)); // sentinel, id n+1
        for (int k = 0; k < rects.Count; k++)
        {
            var r = rects[k];
            bool sentinel = k == rects.Count - 1;
            for (int y = r.Y; y < r.Y + r.H; y++)
                for (int x = r.X; x < r.X + r.W; x++)
                {
                    int i = y * w + x;
                    ids[i] = (ushort)(k + 1);
                    depth[i] = sentinel ? SentinelDepth : (ushort)(1000 + 100 * k);
                    if (sentinel) { rgb[i * 3] = SentinelColor[0]; rgb[i * 3 + 1] = SentinelColor[1]; rgb[i * 3 + 2] = SentinelColor[2]; }
                    else { rgb[i * 3] = (byte)(20 + 40 * k); rgb[i * 3 + 1] = 60; rgb[i * 3 + 2] = 90; }
                }
        }
        // Dense ids: an object fully hidden by later ones is removed (as the generator does).
        var labels = LabelsFromMask(ids, w, h);
        var remap = new ushort[rects.Count + 1];
        var objects = new List<ObjectAnnotation>();
        for (int k = 1; k <= rects.Count; k++)
        {
            if (!labels.TryGetValue(k, out var l)) continue;
            remap[k] = (ushort)(objects.Count + 1);
            var r = rects[k - 1];
            int full = r.W * r.H;
            objects.Add(new ObjectAnnotation(remap[k], 1 + k % 2, k % 2 == 0 ? "box" : "cylinder", ShapeKind.Box, l.Box, l.Area,
                [r.X, r.Y, r.W, r.H], full, (double)l.Area / full, new Vec3(0.1, 0.1, 0.1),
                new Pose(Vec3.Zero, new Quaternion(1, 0, 0, 0)), new Pose(Vec3.Zero, new Quaternion(1, 0, 0, 0))));
        }
        for (int i = 0; i < ids.Length; i++) ids[i] = remap[ids[i]];
        var annotation = new SampleAnnotation(0, w, h, new CameraAnnotation(100, 100, w / 2.0, h / 2.0, RigidTransform.Identity, Vec3.Zero),
            new Lighting(new Vec3(0, 0, 1), new Vec3(1, 1, 1), 500, 0.2), objects);
        return new RectangleSample(w, h, rgb, depth, ids, annotation, remap[rects.Count]);
    }

    /// <summary>Tight box and pixel count per id, computed directly from a mask.</summary>
    public static Dictionary<int, (double[] Box, int Area)> LabelsFromMask(ushort[] ids, int w, int h)
    {
        var result = new Dictionary<int, (int X0, int Y0, int X1, int Y1, int Area)>();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int id = ids[y * w + x];
                if (id == 0) continue;
                result[id] = result.TryGetValue(id, out var e)
                    ? (Math.Min(e.X0, x), Math.Min(e.Y0, y), Math.Max(e.X1, x), Math.Max(e.Y1, y), e.Area + 1)
                    : (x, y, x, y, 1);
            }
        return result.ToDictionary(kv => kv.Key, kv => (new double[] { kv.Value.X0, kv.Value.Y0, kv.Value.X1 - kv.Value.X0 + 1, kv.Value.Y1 - kv.Value.Y0 + 1 }, kv.Value.Area));
    }
}
