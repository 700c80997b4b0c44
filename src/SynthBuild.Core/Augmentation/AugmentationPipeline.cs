using OpenCvSharp;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Randomness;

namespace SynthBuild.Core.Augmentation;

/// <summary>One sample's pixels: 8-bit RGB (interleaved), depth in mm (0 = no measurement), instance ids (0 = background).</summary>
public sealed record SampleImages(int Width, int Height, byte[] Rgb, ushort[] Depth, ushort[] Ids);

/// <param name="Homography">Row-major 3×3 map from source to output pixel coordinates (pixel centres at +0.5).</param>
/// <param name="LowVisibility">Output ids of kept objects below the visibility threshold (only when not dropping).</param>
public sealed record AugmentedSample(SampleImages Images, SampleAnnotation Annotation, double[] Homography, IReadOnlyList<int> LowVisibility,
    IReadOnlyList<string> Applied);

/// <summary>
/// Applies an <see cref="AugmentationSpec"/> to one sample. RGB, depth and the instance mask move in lockstep
/// (bilinear for RGB, nearest neighbour for ids and depth, the same sampling grid); after the geometric steps
/// every label is recomputed from the transformed mask: tight box and area exactly, visibility as visible pixels ÷
/// (the object's pre-transform unoccluded area × the transform's local area scale at the object's centroid).
/// Randomness comes only from (seed, sample index, pass, step index), so results are reproducible and do not depend on
/// which thread runs them. Stateless and thread-safe.
/// </summary>
public sealed class AugmentationPipeline(AugmentationSpec spec)
{
    /// <summary>Augmentation runtime codes: SYN2100–2199.</summary>
    public const string CropTooLarge = "SYN2101";
    public const string SampleUnreadable = "SYN2102";
    public const string AugmentationFailed = "SYN2103";

    public AugmentationSpec Spec { get; } = spec;

    public (int Width, int Height) OutputSize(int width, int height)
    {
        foreach (var t in Spec.Pipeline)
            if (t is GeometricTransform g) (width, height) = g.OutputSize(width, height);
        return (width, height);
    }

    /// <summary>The random stream of step <paramref name="step"/> for (seed, sample, pass).</summary>
    public static RandomStream StepStream(ulong seed, long sampleIndex, int pass, int step) =>
        RandomStream.For(seed, sampleIndex, "augment").Derive("pass", pass).Derive("step", step);

    public unsafe AugmentedSample Apply(SampleImages input, SampleAnnotation annotation, ulong seed, long sampleIndex, int pass)
    {
        int w = input.Width, h = input.Height;
        Mat rgb = Wrap(input.Rgb, h, w, MatType.CV_8UC3).Clone();
        Mat depth = Wrap(input.Depth, h, w, MatType.CV_16UC1).Clone();
        Mat ids = Wrap(input.Ids, h, w, MatType.CV_16UC1).Clone();
        var objects = annotation.Objects;
        // Per object (by input id): centroid and expected full area, carried through the geometric steps.
        var track = new ObjectTrack[objects.Count + 1];
        var applied = new List<string>(Spec.Pipeline.Count);
        Homography total = Homography.Identity;
        bool geometric = false;
        try
        {
            for (int s = 0; s < Spec.Pipeline.Count; s++)
            {
                AugmentTransform step = Spec.Pipeline[s];
                RandomStream rng = StepStream(seed, sampleIndex, pass, s);
                if (step.Probability < 1 && !rng.Chance(step.Probability)) continue;
                applied.Add(step.Type);
                switch (step)
                {
                    case PhotometricTransform p:
                        p.Apply(rgb, ref rng);
                        break;
                    case DepthTransform d:
                        d.Apply(new Span<ushort>((void*)depth.Data, w * h), ref rng);
                        break;
                    case GeometricTransform g:
                        if (!geometric) { InitTrack(input.Ids, w, h, objects, track); geometric = true; }
                        WarpPlan plan = g.Plan(w, h, ref rng);
                        Warp(ref rgb, plan, InterpolationFlags.Linear);
                        Warp(ref depth, plan, InterpolationFlags.Nearest);
                        Warp(ref ids, plan, InterpolationFlags.Nearest);
                        for (int k = 1; k < track.Length; k++)
                        {
                            ref ObjectTrack t = ref track[k];
                            t.ExpectedArea *= plan.Map.AreaScaleAt(t.X, t.Y);
                            (t.X, t.Y) = plan.Map.Apply(t.X, t.Y);
                        }
                        total = plan.Map.After(total);
                        (w, h) = (plan.Width, plan.Height);
                        break;
                }
            }

            var outIds = new ushort[w * h];
            new ReadOnlySpan<ushort>((void*)ids.Data, w * h).CopyTo(outIds);
            Homography map = total.ToCentreHalf();
            var (kept, low) = geometric ? Relabel(outIds, w, h, objects, track, map) : Filter(outIds, objects);

            var outRgb = new byte[w * h * 3];
            new ReadOnlySpan<byte>((void*)rgb.Data, outRgb.Length).CopyTo(outRgb);
            var outDepth = new ushort[w * h];
            new ReadOnlySpan<ushort>((void*)depth.Data, outDepth.Length).CopyTo(outDepth);
            return new AugmentedSample(new SampleImages(w, h, outRgb, outDepth, outIds),
                annotation with { Width = w, Height = h, Objects = kept }, map.ToArray(), low, applied);
        }
        finally
        {
            rgb.Dispose();
            depth.Dispose();
            ids.Dispose();
        }
    }

    private struct ObjectTrack
    {
        public double X, Y, ExpectedArea;
    }

    private static Mat Wrap(Array data, int rows, int cols, MatType type) => Mat.FromPixelData(rows, cols, type, data);

    private static void Warp(ref Mat image, WarpPlan plan, InterpolationFlags interpolation)
    {
        var output = new Mat();
        switch (plan.Kind)
        {
            case WarpKind.FlipHorizontal: Cv2.Flip(image, output, FlipMode.Y); break;
            case WarpKind.FlipVertical: Cv2.Flip(image, output, FlipMode.X); break;
            case WarpKind.Crop:
                using (var window = new Mat(image, new Rect(plan.CropX, plan.CropY, plan.Width, plan.Height))) window.CopyTo(output);
                break;
            case WarpKind.Resize:
                // INTER_NEAREST_EXACT (6) samples at the same pixel centres as INTER_LINEAR; plain INTER_NEAREST is shifted by half a pixel.
                Cv2.Resize(image, output, new Size(plan.Width, plan.Height), 0, 0,
                    interpolation == InterpolationFlags.Nearest ? (InterpolationFlags)6 : InterpolationFlags.Linear);
                break;
            case WarpKind.Affine:
                using (var m = Mat.FromPixelData(2, 3, MatType.CV_64FC1, plan.Map.AffineRows()))
                    Cv2.WarpAffine(image, output, m, new Size(plan.Width, plan.Height), interpolation, BorderTypes.Constant, Scalar.All(0));
                break;
            case WarpKind.Perspective:
                using (var m = Mat.FromPixelData(3, 3, MatType.CV_64FC1, plan.Map.ToArray()))
                    Cv2.WarpPerspective(image, output, m, new Size(plan.Width, plan.Height), interpolation, BorderTypes.Constant, Scalar.All(0));
                break;
        }
        image.Dispose();
        image = output;
    }

    private static void InitTrack(ushort[] ids, int w, int h, IReadOnlyList<ObjectAnnotation> objects, ObjectTrack[] track)
    {
        int n = objects.Count;
        Span<long> sumX = n < 512 ? stackalloc long[n + 1] : new long[n + 1];
        Span<long> sumY = n < 512 ? stackalloc long[n + 1] : new long[n + 1];
        Span<int> count = n < 512 ? stackalloc int[n + 1] : new int[n + 1];
        for (int y = 0; y < h; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                int id = ids[row + x];
                if (id == 0 || id > n) continue;
                sumX[id] += x; sumY[id] += y; count[id]++;
            }
        }
        foreach (ObjectAnnotation o in objects)
        {
            int id = o.InstanceId, c = Math.Max(1, count[id]);
            track[id] = new ObjectTrack { X = (double)sumX[id] / c, Y = (double)sumY[id] / c, ExpectedArea = Math.Max(o.UnoccludedArea, o.Area) };
        }
    }

    /// <summary>Labels from the transformed mask; drops empty objects (and those below the threshold when dropping); renumbers ids 1..N.</summary>
    private (List<ObjectAnnotation> Kept, List<int> Low) Relabel(ushort[] ids, int w, int h, IReadOnlyList<ObjectAnnotation> objects, ObjectTrack[] track, Homography map)
    {
        int n = objects.Count;
        var area = new int[n + 1];
        var minX = new int[n + 1]; var minY = new int[n + 1]; var maxX = new int[n + 1]; var maxY = new int[n + 1];
        Array.Fill(minX, int.MaxValue); Array.Fill(minY, int.MaxValue); Array.Fill(maxX, -1); Array.Fill(maxY, -1);
        for (int y = 0; y < h; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                int id = ids[row + x];
                if (id == 0) continue;
                area[id]++;
                if (x < minX[id]) minX[id] = x;
                if (x > maxX[id]) maxX[id] = x;
                if (y < minY[id]) minY[id] = y;
                if (y > maxY[id]) maxY[id] = y;
            }
        }

        var kept = new List<ObjectAnnotation>(n);
        var low = new List<int>();
        var remap = new ushort[Math.Max(n + 1, 65536)];
        foreach (ObjectAnnotation o in objects)
        {
            int id = o.InstanceId;
            if (area[id] == 0) continue;
            double expected = track[id].ExpectedArea;
            double visibility = expected > 0 ? Math.Min(1.0, area[id] / expected) : 0;
            bool below = visibility < Spec.MinVisibility;
            if (below && Spec.DropBelow) continue;
            ushort newId = (ushort)(kept.Count + 1);
            remap[id] = newId;
            if (below) low.Add(newId);
            kept.Add(o with
            {
                InstanceId = newId,
                Bbox = [minX[id], minY[id], maxX[id] - minX[id] + 1, maxY[id] - minY[id] + 1],
                Area = area[id],
                AmodalBbox = MapBox(o.AmodalBbox, map, w, h),
                UnoccludedArea = (int)Math.Round(expected),
                Visibility = visibility,
            });
        }
        for (int i = 0; i < ids.Length; i++) ids[i] = remap[ids[i]];
        return (kept, low);
    }

    /// <summary>No geometric step ran: labels stay as they are, except the visibility threshold.</summary>
    private (List<ObjectAnnotation> Kept, List<int> Low) Filter(ushort[] ids, IReadOnlyList<ObjectAnnotation> objects)
    {
        var kept = new List<ObjectAnnotation>(objects.Count);
        var low = new List<int>();
        var remap = new ushort[65536];
        bool renumber = false;
        foreach (ObjectAnnotation o in objects)
        {
            bool below = o.Visibility < Spec.MinVisibility;
            if (below && Spec.DropBelow) { renumber = true; continue; }
            ushort newId = (ushort)(kept.Count + 1);
            remap[o.InstanceId] = newId;
            if (below) low.Add(newId);
            kept.Add(newId == o.InstanceId ? o : o with { InstanceId = newId });
        }
        if (renumber)
            for (int i = 0; i < ids.Length; i++) ids[i] = remap[ids[i]];
        return (kept, low);
    }

    /// <summary>The box around the mapped corners of the amodal box, clipped to the image (an enclosing box, not exact under rotation).</summary>
    private static double[] MapBox(double[] box, Homography map, int w, int h)
    {
        if (box.Length != 4 || box[2] <= 0 || box[3] <= 0) return [0, 0, 0, 0];
        double x0 = double.MaxValue, y0 = double.MaxValue, x1 = double.MinValue, y1 = double.MinValue;
        for (int c = 0; c < 4; c++)
        {
            var (x, y) = map.Apply(box[0] + (c & 1) * box[2], box[1] + (c >> 1) * box[3]);
            x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x); y1 = Math.Max(y1, y);
        }
        x0 = Math.Clamp(Math.Floor(x0), 0, w); y0 = Math.Clamp(Math.Floor(y0), 0, h);
        x1 = Math.Clamp(Math.Ceiling(x1), 0, w); y1 = Math.Clamp(Math.Ceiling(y1), 0, h);
        return x1 > x0 && y1 > y0 ? [x0, y0, x1 - x0, y1 - y0] : [0, 0, 0, 0];
    }
}
