using OpenCvSharp;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Randomness;

namespace SynthBuild.Augmentation;

/// <summary>One sample's pixels: 8-bit RGB (interleaved), depth in mm (0 = no measurement), instance ids (0 = background).</summary>
public sealed record SampleImages(int Width, int Height, byte[] Rgb, ushort[] Depth, ushort[] Ids);

/// <param name="Homography">Row-major 3×3 map from source to output pixel coordinates (pixel centres at +0.5).</param>
/// <param name="LowVisibility">Output ids of kept objects below the visibility threshold (only when not dropping).</param>
public sealed record AugmentedSample(SampleImages Images, SampleAnnotation Annotation, double[] Homography, IReadOnlyList<int> LowVisibility,
    IReadOnlyList<string> Applied)
{
    /// <summary>The homography is axis-aligned (flips, scale, shifts, crops, resizes): the annotation's fx, fy, cx, cy
    /// describe the output image. Otherwise only <see cref="CameraAnnotation.Projection"/> does.</summary>
    public bool Pinhole => Homography[1] == 0 && Homography[3] == 0 && Homography[6] == 0 && Homography[7] == 0;
}

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
    public AugmentationSpec Spec { get; } = spec;

    public (int Width, int Height) OutputSize(int width, int height)
    {
        foreach (var t in Spec.Pipeline)
            if (t is GeometricTransform g) (width, height) = g.OutputSize(width, height);
        return (width, height);
    }

    /// <summary>SYN2101 when a randomCrop does not fit the image it receives from a <paramref name="width"/>×<paramref name="height"/>
    /// input (the config checks its own image size; a dataset on disk may differ). Null when every step fits.</summary>
    public Diagnostic? CheckFits(int width, int height, string? file)
    {
        for (int i = 0; i < Spec.Pipeline.Count; i++)
        {
            if (Spec.Pipeline[i] is RandomCrop crop && (crop.Width > width || crop.Height > height))
                return Diagnostic.Error(SynCodes.CropTooLarge,
                    $"augmentation.pipeline[{i}]: randomCrop {crop.Width}×{crop.Height} does not fit the {width}×{height} image it receives from this dataset.", file);
            if (Spec.Pipeline[i] is GeometricTransform g) (width, height) = g.OutputSize(width, height);
        }
        return null;
    }

    /// <summary>The random stream of step <paramref name="step"/> for (seed, sample, pass).</summary>
    public static RandomStream StepStream(ulong seed, long sampleIndex, int pass, int step) =>
        RandomStream.For(seed, sampleIndex, "augment").Derive("pass", pass).Derive("step", step);

    public AugmentedSample Apply(SampleImages input, SampleAnnotation annotation, ulong seed, long sampleIndex, int pass) =>
        Apply(input, annotation, seed, sampleIndex, pass, null);

    /// <param name="scratch">Reusable pixel buffers (one per thread); the result's images then live in them and stay
    /// valid until the next call with the same buffers. Null: the result owns fresh arrays.</param>
    public AugmentedSample Apply(SampleImages input, SampleAnnotation annotation, ulong seed, long sampleIndex, int pass,
        PixelBuffers? scratch)
    {
        var frame = new Frame(input, scratch);
        var objects = annotation.Objects;
        var applied = new List<string>(Spec.Pipeline.Count);
        // Consecutive geometric steps are composed into one map and warped once (one resampling, exact alignment of
        // RGB, depth and ids); a photometric or depth step in between materializes what is pending first.
        Homography pending = Homography.Identity, total = Homography.Identity;
        int pendingW = input.Width, pendingH = input.Height;
        bool geometric = false;
        for (int s = 0; s < Spec.Pipeline.Count; s++)
        {
            AugmentTransform step = Spec.Pipeline[s];
            RandomStream rng = StepStream(seed, sampleIndex, pass, s);
            if (step.Probability < 1 && !rng.Chance(step.Probability)) continue;
            applied.Add(step.Type);
            switch (step)
            {
                case PhotometricTransform p:
                    frame.Warp(ref pending, pendingW, pendingH);
                    frame.OwnRgb();
                    using (Mat rgb = Wrap(frame.Rgb, frame.H, frame.W, MatType.CV_8UC3)) p.Apply(rgb, ref rng);
                    break;
                case DepthTransform d:
                    frame.Warp(ref pending, pendingW, pendingH);
                    frame.OwnDepth();
                    d.Apply(frame.Depth, ref rng);
                    break;
                case GeometricTransform g:
                    geometric = true;
                    WarpPlan plan = g.Plan(pendingW, pendingH, ref rng);
                    pending = plan.Map.After(pending);
                    total = plan.Map.After(total);
                    (pendingW, pendingH) = (plan.Width, plan.Height);
                    break;
            }
        }
        frame.Warp(ref pending, pendingW, pendingH);
        frame.OwnAll(); // labels renumber ids in place, and a result never aliases its input

        int w = frame.W, h = frame.H;
        Homography map = total.ToCentreHalf();
        SampleAnnotation result;
        List<int> low;
        if (geometric)
        {
            List<ObjectAnnotation> kept;
            (kept, low) = Relabel(frame.Ids, w, h, objects, Track(input.Ids, input.Width, input.Height, objects, total), map, input.Width, input.Height);
            result = annotation with { Width = w, Height = h, Objects = kept, Camera = MapCamera(annotation.Camera, map) };
        }
        else
        {
            List<ObjectAnnotation> kept;
            (kept, low) = Filter(frame.Ids, objects);
            result = annotation with { Objects = kept };
        }
        return new AugmentedSample(new SampleImages(w, h, frame.Rgb, frame.Depth, frame.Ids), result, map.ToArray(), low, applied);
    }

    /// <summary>
    /// The camera of the output image. Pixel = H·K·[x/z, y/z, 1] exactly, so <see cref="CameraAnnotation.Projection"/>
    /// = H·K. When H is axis-aligned (flip, scale, translate, crop, resize) that product is again a pinhole K and fx, fy,
    /// cx, cy are updated (fx or fy is negative after a flip: a mirror image); otherwise (rotation, shear, perspective)
    /// no pinhole K describes the output and fx, fy, cx, cy stay the source camera's.
    /// </summary>
    internal static CameraAnnotation MapCamera(CameraAnnotation c, Homography map)
    {
        var k = Homography.Affine(c.Fx, 0, c.Cx, 0, c.Fy, c.Cy);
        double[] projection = map.After(k).ToArray();
        return map.IsAxisAligned
            ? c with { Fx = projection[0], Fy = projection[4], Cx = projection[2], Cy = projection[5], Projection = projection }
            : c with { Projection = projection };
    }

    private static Mat Wrap(Array data, int rows, int cols, MatType type) => Mat.FromPixelData(rows, cols, type, data);

    /// <summary>
    /// The pixels being augmented. Planes start as the caller's arrays and are copied (or warped) into new ones
    /// before anything writes to them, so the input is never modified.
    /// </summary>
    private sealed class Frame(SampleImages input, PixelBuffers? scratch)
    {
        public int W = input.Width, H = input.Height;
        public byte[] Rgb = input.Rgb;
        public ushort[] Depth = input.Depth, Ids = input.Ids;
        private bool _rgbOwned, _depthOwned, _idsOwned;
        private int _rgbNext, _depthNext, _idsNext; // alternate scratch slots: a warp never writes over its source

        private byte[] NewRgb(int length) => scratch?.Rgb(_rgbNext++ & 1, length) ?? new byte[length];
        private ushort[] NewDepth(int length) => scratch?.Depth(_depthNext++ & 1, length) ?? new ushort[length];
        private ushort[] NewIds(int length) => scratch?.Ids(_idsNext++ & 1, length) ?? new ushort[length];

        public void OwnRgb() { if (!_rgbOwned) { Rgb = Copy(Rgb, NewRgb(Rgb.Length)); _rgbOwned = true; } }
        public void OwnDepth() { if (!_depthOwned) { Depth = Copy(Depth, NewDepth(Depth.Length)); _depthOwned = true; } }
        public void OwnAll()
        {
            OwnRgb(); OwnDepth();
            if (!_idsOwned) { Ids = Copy(Ids, NewIds(Ids.Length)); _idsOwned = true; }
        }

        private static T[] Copy<T>(T[] from, T[] to) { from.AsSpan().CopyTo(to); return to; }

        /// <summary>Resamples all three planes through <paramref name="map"/> (OpenCV pixel convention) into a
        /// <paramref name="w"/>×<paramref name="h"/> frame, then resets it to identity.</summary>
        public void Warp(ref Homography map, int w, int h)
        {
            if (map == Homography.Identity && w == W && h == H) return;
            int pixels = w * h;
            byte[] rgb = NewRgb(pixels * 3);
            ushort[] depth = NewDepth(pixels), ids = NewIds(pixels);
            WarpPlane(Rgb, rgb, MatType.CV_8UC3, map, w, h, InterpolationFlags.Linear);
            WarpPlane(Depth, depth, MatType.CV_16UC1, map, w, h, InterpolationFlags.Nearest);
            WarpPlane(Ids, ids, MatType.CV_16UC1, map, w, h, InterpolationFlags.Nearest);
            (Rgb, Depth, Ids, W, H) = (rgb, depth, ids, w, h);
            _rgbOwned = _depthOwned = _idsOwned = true;
            map = Homography.Identity;
        }

        private void WarpPlane(Array source, Array target, MatType type, Homography map, int w, int h, InterpolationFlags interpolation)
        {
            using Mat src = Wrap(source, H, W, type), dst = Wrap(target, h, w, type);
            // Flips, crops and integer shifts whose window lies inside the source: a copy, no resampling arithmetic.
            if (map.IsAxisAligned && Math.Abs(map.M00) == 1 && Math.Abs(map.M11) == 1 && map.M02 == Math.Floor(map.M02) && map.M12 == Math.Floor(map.M12))
            {
                int x0 = (int)(map.M00 > 0 ? -map.M02 : map.M02 - (w - 1)), y0 = (int)(map.M11 > 0 ? -map.M12 : map.M12 - (h - 1));
                if (x0 >= 0 && y0 >= 0 && x0 + w <= W && y0 + h <= H)
                {
                    using var window = new Mat(src, new Rect(x0, y0, w, h));
                    if (map.M00 > 0 && map.M11 > 0) window.CopyTo(dst);
                    else Cv2.Flip(window, dst, map.M00 < 0 && map.M11 < 0 ? FlipMode.XY : map.M00 < 0 ? FlipMode.Y : FlipMode.X);
                    return;
                }
            }
            if (map.IsAffine)
                using (var m = Mat.FromPixelData(2, 3, MatType.CV_64FC1, map.AffineRows()))
                    Cv2.WarpAffine(src, dst, m, new Size(w, h), interpolation, BorderTypes.Constant, Scalar.All(0));
            else
                using (var m = Mat.FromPixelData(3, 3, MatType.CV_64FC1, map.ToArray()))
                    Cv2.WarpPerspective(src, dst, m, new Size(w, h), interpolation, BorderTypes.Constant, Scalar.All(0));
        }
    }

    private struct ObjectTrack
    {
        public double X, Y, ExpectedArea;
    }

    /// <summary>
    /// Per object (by input id): the centroid of its source pixels mapped through <paramref name="total"/>, and its
    /// expected full area there (unoccluded area × the local area scale |det J| at the centroid).
    /// </summary>
    private static ObjectTrack[] Track(ushort[] ids, int w, int h, IReadOnlyList<ObjectAnnotation> objects, Homography total)
    {
        int n = objects.Count;
        var track = new ObjectTrack[n + 1];
        Span<long> sumX = n < 512 ? stackalloc long[n + 1] : new long[n + 1];
        Span<long> sumY = n < 512 ? stackalloc long[n + 1] : new long[n + 1];
        Span<int> count = n < 512 ? stackalloc int[n + 1] : new int[n + 1];
        for (int y = 0; y < h; y++)
        {
            ReadOnlySpan<ushort> row = ids.AsSpan(y * w, w);
            for (int x = 0; x < row.Length; x++)
            {
                int id = row[x];
                if (id == 0 || id > n) continue;
                sumX[id] += x; sumY[id] += y; count[id]++;
            }
        }
        foreach (ObjectAnnotation o in objects)
        {
            int id = o.InstanceId;
            if (id <= 0 || id > n) continue;
            int c = Math.Max(1, count[id]);
            double cx = (double)sumX[id] / c, cy = (double)sumY[id] / c;
            var (x, y) = total.Apply(cx, cy);
            track[id] = new ObjectTrack { X = x, Y = y, ExpectedArea = Math.Max(o.UnoccludedArea, o.Area) * total.AreaScaleAt(cx, cy) };
        }
        return track;
    }

    /// <summary>Labels from the transformed mask; drops empty objects (and those below the threshold when dropping); renumbers ids 1..N.</summary>
    private (List<ObjectAnnotation> Kept, List<int> Low) Relabel(ushort[] ids, int w, int h, IReadOnlyList<ObjectAnnotation> objects,
        ObjectTrack[] track, Homography map, int sourceW, int sourceH)
    {
        int n = objects.Count;
        var area = new int[n + 1];
        var minX = new int[n + 1]; var minY = new int[n + 1]; var maxX = new int[n + 1]; var maxY = new int[n + 1];
        Array.Fill(minX, int.MaxValue); Array.Fill(minY, int.MaxValue); Array.Fill(maxX, -1); Array.Fill(maxY, -1);
        for (int y = 0; y < h; y++)
        {
            ReadOnlySpan<ushort> row = ids.AsSpan(y * w, w);
            for (int x = 0; x < row.Length; x++)
            {
                int id = row[x];
                if (id == 0 || id > n) continue;
                area[id]++;
                if (x < minX[id]) minX[id] = x;
                if (x > maxX[id]) maxX[id] = x;
                if (y < minY[id]) minY[id] = y;
                if (y > maxY[id]) maxY[id] = y;
            }
        }

        var kept = new List<ObjectAnnotation>(n);
        var low = new List<int>();
        var remap = new ushort[n + 1];
        foreach (ObjectAnnotation o in objects)
        {
            int id = o.InstanceId;
            if (id <= 0 || id > n || area[id] == 0) continue;
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
                Cuboid = o.Cuboid is double[][] cuboid ? MapKeypoints(cuboid, map, w, h, sourceW, sourceH) : null,
            });
        }
        Renumber(ids, remap);
        return (kept, low);
    }

    /// <summary>ids[i] ← remap[ids[i]] (ids above the table become background).</summary>
    private static void Renumber(ushort[] ids, ushort[] remap)
    {
        int n = remap.Length - 1;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if (id != 0) ids[i] = id <= n ? remap[id] : (ushort)0;
        }
    }

    /// <summary>
    /// Keypoints [u, v, flag] mapped through the homography (pixel centres at +0.5). A 2D warp changes no occlusion,
    /// only what the frame shows: flag 0 when the point leaves the output image; 1 when it is inside but its output
    /// pixel shows no source pixel (it came from outside the source frame, or was outside it already); else the
    /// source flag (2 visible, 1 hidden by a nearer surface).
    /// </summary>
    internal static double[][] MapKeypoints(double[][] points, Homography map, int w, int h, int sourceW, int sourceH)
    {
        Homography back = map.Inverse();
        var result = new double[points.Length][];
        for (int i = 0; i < points.Length; i++)
        {
            double[] p = points[i];
            double flag = p.Length > 2 ? p[2] : 0;
            if (p.Length < 3 || (flag == 0 && p[0] == 0 && p[1] == 0)) { result[i] = [0, 0, 0]; continue; } // never projected (behind the camera)
            var (u, v) = map.Apply(p[0], p[1]);
            if (!(u >= 0 && v >= 0 && u < w && v < h)) { result[i] = [u, v, 0]; continue; }
            var (su, sv) = back.Apply(Math.Floor(u) + 0.5, Math.Floor(v) + 0.5);
            bool shown = su >= 0 && sv >= 0 && su < sourceW && sv < sourceH;
            result[i] = [u, v, flag == 0 || !shown ? 1 : flag];
        }
        return result;
    }

    /// <summary>No geometric step ran: labels stay as they are, except the visibility threshold.</summary>
    private (List<ObjectAnnotation> Kept, List<int> Low) Filter(ushort[] ids, IReadOnlyList<ObjectAnnotation> objects)
    {
        var kept = new List<ObjectAnnotation>(objects.Count);
        var low = new List<int>();
        var remap = new ushort[objects.Count + 1];
        bool renumber = false;
        foreach (ObjectAnnotation o in objects)
        {
            bool below = o.Visibility < Spec.MinVisibility;
            if (o.InstanceId <= 0 || o.InstanceId >= remap.Length) continue;
            if (below && Spec.DropBelow) { renumber = true; continue; }
            ushort newId = (ushort)(kept.Count + 1);
            remap[o.InstanceId] = newId;
            if (below) low.Add(newId);
            kept.Add(newId == o.InstanceId ? o : o with { InstanceId = newId });
        }
        if (renumber) Renumber(ids, remap);
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

/// <summary>
/// Per-thread pixel buffers reused across samples (two slots per plane so a warp never writes over its source):
/// keeps a loader's allocations flat instead of producing megabytes of large-object garbage per image.
/// </summary>
public sealed class PixelBuffers
{
    private readonly byte[][] _rgb = [[], []];
    private readonly ushort[][] _depth = [[], []], _ids = [[], []];

    public byte[] Rgb(int slot, int length) => _rgb[slot].Length == length ? _rgb[slot] : _rgb[slot] = new byte[length];
    public ushort[] Depth(int slot, int length) => _depth[slot].Length == length ? _depth[slot] : _depth[slot] = new ushort[length];
    public ushort[] Ids(int slot, int length) => _ids[slot].Length == length ? _ids[slot] : _ids[slot] = new ushort[length];
}
