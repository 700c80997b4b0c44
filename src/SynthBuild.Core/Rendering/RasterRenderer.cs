using System.Runtime.CompilerServices;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;

namespace SynthBuild.Core.Rendering;

/// <summary>
/// CPU z-buffer rasterizer. Single-threaded per call and deterministic (plain scalar double arithmetic, integer
/// coverage); safe to call from several threads at once (scratch memory is per thread).
/// </summary>
public sealed class RasterRenderer
{
    /// <summary>Near clipping plane, camera z in metres.</summary>
    public const double NearPlane = 0.01;

    // Triangles are clipped to the image plus this margin so fixed-point coordinates stay small; the clip
    // edges lie outside the image, so they never change which pixels are covered.
    private const double GuardBandPixels = 1024;

    // The table is pushed back by this relative depth in the z-test so objects resting on it win at the contact.
    private const float TableDepthScale = 1.00001f;

    [ThreadStatic] private static Scratch? t_scratch;


    /// <summary>Renders <paramref name="scene"/> into <paramref name="target"/> (same size as the camera).</summary>
    public void Render(SceneDescription scene, RenderTarget target)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(target);
        CameraModel cam = scene.Camera;
        if (cam.Width != target.Width || cam.Height != target.Height)
            throw new ArgumentException(
                $"Render target is {target.Width}x{target.Height} but the camera is {cam.Width}x{cam.Height}.", nameof(target));

        int maxId = 0;
        for (int k = 0; k < scene.Objects.Count; k++)
        {
            int id = scene.Objects[k].InstanceId;
            if (id < 1 || id > ushort.MaxValue)
                throw new ArgumentException($"Instance id {id} is outside 1..{ushort.MaxValue}.", nameof(scene));
            if (id > maxId) maxId = id;
        }
        target.EnsureInstanceCapacity(maxId);
        Array.Clear(target.UnoccludedPixels);
        Array.Fill(target.AmodalExtent, PixelExtent.Empty);

        Scratch s = t_scratch ??= new Scratch();
        s.Prepare(cam);
        RigidTransform w2c = cam.WorldToCamera;
        Vec3 l = (w2c.Rotation * scene.Light.DirectionToLight).Normalized();
        Vec3 radiance = scene.Light.Color * (scene.Light.Intensity / 1000.0);
        double ambient = scene.Light.Ambient;
        Vec3 wallLight = WallLight(l, radiance, ambient);
        ClearToBackground(scene.Background, wallLight, target);

        var sink = new ShadeSink
        {
            Depth = target.DepthMetres,
            Ids = target.InstanceIds,
            Rgb = target.Rgb,
            Stamps = s.Stamps,
            Width = target.Width,
            ColA = s.ColA,
            RowB = s.RowB,
            HitX = s.HitX,
            HitZ = s.HitZ,
            HitR = s.HitR,
            HitG = s.HitG,
            HitB = s.HitB,
            UvScaleU = 1,
            UvScaleV = 1,
            Normals = target.Normals,
        };
        if (target.Normals is float[] normals) Array.Clear(normals);
        sink.Lx = l.X; sink.Ly = l.Y; sink.Lz = l.Z;
        double specPeak = Math.Max(radiance.X, Math.Max(radiance.Y, radiance.Z));
        sink.PointCount = scene.Light.PointLightCount;
        if (sink.PointCount > 0)
        {
            // Per light: camera-frame position, then radiance at 1 m (colour · intensity / 1000).
            sink.Points = s.EnsurePoints(sink.PointCount);
            for (int j = 0; j < sink.PointCount; j++)
            {
                PointLight pl = scene.Light.PointLights![j];
                Vec3 pc = w2c.Apply(pl.Position), e = pl.Color * (pl.Intensity / 1000.0);
                sink.Points[6 * j] = pc.X; sink.Points[6 * j + 1] = pc.Y; sink.Points[6 * j + 2] = pc.Z;
                sink.Points[6 * j + 3] = e.X; sink.Points[6 * j + 4] = e.Y; sink.Points[6 * j + 5] = e.Z;
                specPeak = Math.Max(specPeak, Math.Max(e.X, Math.Max(e.Y, e.Z)));
            }
        }
        sink.ShadowMap = null;
        if (scene.Light.Shadows && scene.Objects.Count + scene.DistractorsOrEmpty.Count > 0)
        {
            s.Shadows.Build(scene, cam);
            sink.ShadowMap = s.Shadows.Map;
            sink.ShadowTiles = s.Shadows.TileUsed;
            s.Shadows.CopyLookupTo(ref sink);
        }

        // Nearest objects first so the z-test rejects hidden pixels before they are shaded.
        int n = scene.Objects.Count;
        s.EnsureOrder(n);
        for (int k = 0; k < n; k++)
        {
            s.Order[k] = k;
            Vec3 t = scene.Objects[k].Pose.Translation;
            s.OrderKey[k] = (w2c.Rotation * t).Z + w2c.Translation.Z;
        }
        for (int k = 1; k < n; k++) // insertion sort: stable, allocation-free, ties keep list order
        {
            int o = s.Order[k];
            double key = s.OrderKey[o];
            int m = k - 1;
            while (m >= 0 && s.OrderKey[s.Order[m]] > key) { s.Order[m + 1] = s.Order[m]; m--; }
            s.Order[m + 1] = o;
        }

        for (int k = 0; k < n; k++)
        {
            SceneObject obj = scene.Objects[s.Order[k]];
            sink.SetMaterial(obj.Material, radiance, ambient, specPeak, s.SpecLut);
            sink.Id = (ushort)obj.InstanceId;
            sink.Stamp = s.NextStamp();
            sink.Coverage = target.CoverageFor(obj.InstanceId);
            sink.Unoccluded = 0;
            sink.Extent = PixelExtent.Empty;
            sink.DepthScale = 1f;
            if (obj.Mesh is Mesh own)
                DrawMesh(own, new Vec3(1, 1, 1), w2c.Compose(obj.Pose), doubleSided: false, cam, s, ref sink);
            else
                DrawMesh(MeshBuilder.Unit(obj.Shape), MeshBuilder.Scale(obj.Shape, obj.Dimensions),
                    w2c.Compose(obj.Pose), doubleSided: false, cam, s, ref sink);

            // Ids may repeat in malformed scenes; accumulate rather than overwrite.
            target.UnoccludedPixels[obj.InstanceId] += sink.Unoccluded;
            ref PixelExtent ext = ref target.AmodalExtent[obj.InstanceId];
            if (!sink.Extent.IsEmpty)
            {
                ext.Include(sink.Extent.MinX, sink.Extent.MinY);
                ext.Include(sink.Extent.MaxX, sink.Extent.MaxY);
            }
        }

        // Distractors write id 0 and record no coverage: they hide labelled objects like any surface would.
        foreach (SceneObject d in scene.DistractorsOrEmpty)
        {
            sink.SetMaterial(d.Material, radiance, ambient, specPeak, s.SpecLut);
            sink.Id = 0;
            sink.Stamp = 0;
            sink.Coverage = null;
            sink.DepthScale = 1f;
            if (d.Mesh is Mesh own)
                DrawMesh(own, new Vec3(1, 1, 1), w2c.Compose(d.Pose), doubleSided: false, cam, s, ref sink);
            else
                DrawMesh(MeshBuilder.Unit(d.Shape), MeshBuilder.Scale(d.Shape, d.Dimensions), w2c.Compose(d.Pose), doubleSided: false, cam, s, ref sink);
        }

        Table table = scene.Table;
        if (table.SizeX > 0 && table.SizeY > 0)
        {
            sink.SetMaterial(table.Material, radiance, ambient, specPeak, s.SpecLut);
            sink.Id = 0;
            sink.Stamp = 0;
            sink.Coverage = null;
            // Ties at the contact go to the objects when seen from above, to the table when seen from below.
            sink.DepthScale = cam.Position.Z >= 0 ? TableDepthScale : 1 / TableDepthScale;
            // Table UVs are world metres: the unit quad's UVs are scaled by the table size below.
            sink.UvScaleU = table.SizeX; sink.UvScaleV = table.SizeY;
            DrawMesh(UnitQuad, new Vec3(table.SizeX, table.SizeY, 1), w2c, doubleSided: true, cam, s, ref sink);
            sink.UvScaleU = 1; sink.UvScaleV = 1;
        }

        if (FilledAfterRendering(scene.Background)) FillBackgroundWhereEmpty(scene.Background, wallLight, target);
        if (scene.Background.Blend > 0) BlendBackground(scene.Background, wallLight, target);
    }

    /// <summary>
    /// Light on the background, treated as a diffuse wall facing the camera (normal −forward): ambient plus the
    /// directional light by Lambert's cosine. Walls are far from point lights and outside the shadow map, so
    /// neither reaches them.
    /// </summary>
    internal static Vec3 WallLight(Vec3 toLightCamera, Vec3 radiance, double ambient)
    {
        double cos = Math.Max(0, -toLightCamera.Z);
        return new Vec3(ambient + radiance.X * cos, ambient + radiance.Y * cos, ambient + radiance.Z * cos);
    }

    private static bool FilledAfterRendering(Background bg) => bg.Pattern.Pattern != TexturePattern.None || bg.Image is not null;

    /// <summary>Pixels nothing was rendered into take the patterned (lit) background or the image crop.</summary>
    private static void FillBackgroundWhereEmpty(Background bg, Vec3 wallLight, RenderTarget target)
    {
        int w = target.Width, h = target.Height;
        byte[] rgb = target.Rgb;
        float[] depth = target.DepthMetres;
        var pattern = new TextureSampler(bg.Pattern);
        for (int y = 0, i = 0; y < h; y++)
            for (int x = 0; x < w; x++, i++)
            {
                if (depth[i] != 0) continue;
                if (bg.Image is BackgroundCrop crop)
                {
                    SampleCrop(crop, x, y, w, h, rgb, i * 3);
                    continue;
                }
                Vec3 c = BackgroundAt(bg, ref pattern, wallLight, x, y, h);
                rgb[i * 3] = Srgb.Encode(c.X); rgb[i * 3 + 1] = Srgb.Encode(c.Y); rgb[i * 3 + 2] = Srgb.Encode(c.Z);
            }
    }

    /// <summary>Bilinear sample (in 8-bit sRGB, edge-clamped) of the crop at output pixel (x, y) of a w × h image.</summary>
    private static void SampleCrop(BackgroundCrop crop, int x, int y, int w, int h, byte[] dst, int o)
    {
        ImageData img = crop.Picture;
        double fu = crop.OffsetX + (x + 0.5) / w * crop.SpanX - 0.5, fv = crop.OffsetY + (y + 0.5) / h * crop.SpanY - 0.5;
        int pw = img.Width, ph = img.Height;
        int x0 = Math.Clamp((int)Math.Floor(fu), 0, pw - 1), y0 = Math.Clamp((int)Math.Floor(fv), 0, ph - 1);
        int x1 = Math.Min(x0 + 1, pw - 1), y1 = Math.Min(y0 + 1, ph - 1);
        double ax = Math.Clamp(fu - x0, 0, 1), ay = Math.Clamp(fv - y0, 0, 1);
        byte[] src = img.Rgb;
        for (int c = 0; c < 3; c++)
        {
            double top = src[(y0 * pw + x0) * 3 + c] * (1 - ax) + src[(y0 * pw + x1) * 3 + c] * ax;
            double bottom = src[(y1 * pw + x0) * 3 + c] * (1 - ax) + src[(y1 * pw + x1) * 3 + c] * ax;
            dst[o + c] = (byte)Math.Round(top * (1 - ay) + bottom * ay);
        }
    }

    /// <summary>
    /// Renders RGB at <paramref name="factor"/>× the resolution into <paramref name="highRes"/> and box-filters it (in
    /// linear light) into <paramref name="target"/>'s RGB. Depth, ids and coverage in <paramref name="target"/> come
    /// from a native-resolution render, so labels stay exact per native pixel.
    /// </summary>
    public void RenderSupersampled(SceneDescription scene, RenderTarget target, int factor, RenderTarget highRes)
    {
        Render(scene, target);
        if (factor <= 1) return;
        CameraModel c = scene.Camera;
        var hiCam = c with { Width = c.Width * factor, Height = c.Height * factor, Fx = c.Fx * factor, Fy = c.Fy * factor, Cx = c.Cx * factor, Cy = c.Cy * factor };
        Render(scene with { Camera = hiCam }, highRes);
        Srgb.BoxDownsample(highRes.Rgb, highRes.Width, target.Rgb, target.Width, target.Height, factor);
    }

    private static readonly Mesh UnitQuad = new(
        [
            new MeshVertex(new Vec3(-0.5, -0.5, 0), Vec3.UnitZ, -0.5, -0.5),
            new MeshVertex(new Vec3(0.5, -0.5, 0), Vec3.UnitZ, 0.5, -0.5),
            new MeshVertex(new Vec3(0.5, 0.5, 0), Vec3.UnitZ, 0.5, 0.5),
            new MeshVertex(new Vec3(-0.5, 0.5, 0), Vec3.UnitZ, -0.5, 0.5),
        ],
        [0, 1, 2, 0, 2, 3]);

    private static void ClearToBackground(Background bg, Vec3 light, RenderTarget target)
    {
        int w = target.Width, h = target.Height;
        byte[] rgb = target.Rgb;
        if (FilledAfterRendering(bg))
        {
            // Patterned and image backgrounds are filled after rendering, only where nothing was drawn.
            Array.Clear(target.DepthMetres);
            Array.Clear(target.InstanceIds);
            return;
        }
        for (int y = 0; y < h; y++)
        {
            double t = (y + 0.5) / h;
            byte r = Srgb.Encode((bg.Top.X + (bg.Bottom.X - bg.Top.X) * t) * light.X);
            byte g = Srgb.Encode((bg.Top.Y + (bg.Bottom.Y - bg.Top.Y) * t) * light.Y);
            byte b = Srgb.Encode((bg.Top.Z + (bg.Bottom.Z - bg.Top.Z) * t) * light.Z);
            int o = y * w * 3;
            for (int x = 0; x < w; x++, o += 3)
            {
                rgb[o] = r; rgb[o + 1] = g; rgb[o + 2] = b;
            }
        }
        Array.Clear(target.DepthMetres);
        Array.Clear(target.InstanceIds);
    }

    /// <summary>Lit background colour (linear) at pixel (x, y): the gradient mixed towards the pattern colour, times the wall light.</summary>
    private static Vec3 BackgroundAt(Background bg, ref TextureSampler pattern, Vec3 light, int x, int y, int h)
    {
        double t = (y + 0.5) / h;
        Vec3 c = bg.Top + (bg.Bottom - bg.Top) * t;
        if (bg.Pattern.Pattern != TexturePattern.None)
        {
            double p = pattern.Sample((x + 0.5) / h, t);
            c += (bg.Pattern.Color - c) * p;
        }
        return new Vec3(c.X * light.X, c.Y * light.Y, c.Z * light.Z);
    }

    /// <summary>The original tool's look: the background laid over the whole image with opacity Blend.</summary>
    private static void BlendBackground(Background bg, Vec3 light, RenderTarget target)
    {
        int w = target.Width, h = target.Height;
        byte[] rgb = target.Rgb;
        double a = Math.Clamp(bg.Blend, 0, 1);
        byte[] one = new byte[3];
        var pattern = new TextureSampler(bg.Pattern);
        for (int y = 0, o = 0; y < h; y++)
            for (int x = 0; x < w; x++, o += 3)
            {
                Vec3 c;
                if (bg.Image is BackgroundCrop crop)
                {
                    SampleCrop(crop, x, y, w, h, one, 0);
                    c = new Vec3(Srgb.Decode(one[0]), Srgb.Decode(one[1]), Srgb.Decode(one[2]));
                }
                else c = BackgroundAt(bg, ref pattern, light, x, y, h);
                rgb[o] = Srgb.Encode(Srgb.Decode(rgb[o]) * (1 - a) + c.X * a);
                rgb[o + 1] = Srgb.Encode(Srgb.Decode(rgb[o + 1]) * (1 - a) + c.Y * a);
                rgb[o + 2] = Srgb.Encode(Srgb.Decode(rgb[o + 2]) * (1 - a) + c.Z * a);
            }
    }

    /// <summary>Transforms, clips, culls and rasterizes one mesh scaled by <paramref name="scale"/> and placed by
    /// <paramref name="objectToCamera"/>.</summary>
    private static void DrawMesh(Mesh mesh, Vec3 scale, RigidTransform objectToCamera, bool doubleSided,
        CameraModel cam, Scratch s, ref ShadeSink sink)
    {
        MeshVertex[] src = mesh.Vertices;
        CamVertex[] cv = s.EnsureVertices(src.Length);
        Mat3 r = objectToCamera.Rotation;
        Vec3 t = objectToCamera.Translation;
        double sx = scale.X, sy = scale.Y, sz = scale.Z;
        // Normals take the inverse transpose of the scale; the adjugate is proportional to it and stays finite for
        // flat objects (a zero dimension).
        double syz = sy * sz, sxz = sx * sz, sxy = sx * sy;
        for (int i = 0; i < src.Length; i++)
        {
            MeshVertex v = src[i];
            ref CamVertex c = ref cv[i];
            c.P = r * new Vec3(v.Position.X * sx, v.Position.Y * sy, v.Position.Z * sz) + t;
            c.N = (r * new Vec3(v.Normal.X * syz, v.Normal.Y * sxz, v.Normal.Z * sxy)).Normalized();
            c.U = v.U * sink.UvScaleU; c.V = v.V * sink.UvScaleV;
            c.Out = s.OutCode(c.P);
            if (c.Out == 0)
            {
                (double u, double w) = Project(cam, c.P);
                c.X = TriangleRasterizer.Snap(u);
                c.Y = TriangleRasterizer.Snap(w);
            }
        }

        int[] idx = mesh.Indices;
        for (int k = 0; k < idx.Length; k += 3)
        {
            ref CamVertex a = ref cv[idx[k]];
            ref CamVertex b = ref cv[idx[k + 1]];
            ref CamVertex c = ref cv[idx[k + 2]];
            if ((a.Out & b.Out & c.Out) != 0) continue;
            if ((a.Out | b.Out | c.Out) == 0)
            {
                DrawTriangle(a.X, a.Y, a.P, a.N, a.U, a.V, b.X, b.Y, b.P, b.N, b.U, b.V, c.X, c.Y, c.P, c.N, c.U, c.V, doubleSided, cam, ref sink);
                continue;
            }
            int count = s.Clip(a, b, c);
            ClipVertex[] poly = s.ClipResult;
            if (count < 3) continue;
            ref ClipVertex p0 = ref poly[0];
            (double u0, double v0) = Project(cam, p0.P);
            long x0 = TriangleRasterizer.Snap(u0), y0 = TriangleRasterizer.Snap(v0);
            (double u1, double v1) = Project(cam, poly[1].P);
            long x1 = TriangleRasterizer.Snap(u1), y1 = TriangleRasterizer.Snap(v1);
            for (int m = 2; m < count; m++)
            {
                ref ClipVertex p1 = ref poly[m - 1];
                ref ClipVertex p2 = ref poly[m];
                (double u2, double v2) = Project(cam, p2.P);
                long x2 = TriangleRasterizer.Snap(u2), y2 = TriangleRasterizer.Snap(v2);
                DrawTriangle(x0, y0, p0.P, p0.N, p0.U, p0.V, x1, y1, p1.P, p1.N, p1.U, p1.V, x2, y2, p2.P, p2.N, p2.U, p2.V, doubleSided, cam, ref sink);
                x1 = x2; y1 = y2;
            }
        }
    }

    private static (double U, double V) Project(CameraModel cam, Vec3 p) =>
        (cam.Fx * p.X / p.Z + cam.Cx, cam.Fy * p.Y / p.Z + cam.Cy);

    private static void DrawTriangle(
        long x0, long y0, Vec3 p0, Vec3 n0, double u0, double v0,
        long x1, long y1, Vec3 p1, Vec3 n1, double u1, double v1,
        long x2, long y2, Vec3 p2, Vec3 n2, double u2, double v2,
        bool doubleSided, CameraModel cam, ref ShadeSink sink)
    {
        long area2 = TriangleRasterizer.Area2(x0, y0, x1, y1, x2, y2);
        if (area2 == 0) return;
        bool flip = false;
        if (area2 > 0)
        {
            // Clockwise on screen = facing away from the camera.
            if (!doubleSided) return;
            flip = true;
        }
        else
        {
            // Rasterizer wants clockwise; swap v1 and v2.
            (x1, x2) = (x2, x1); (y1, y2) = (y2, y1);
            (p1, p2) = (p2, p1); (n1, n2) = (n2, n1);
            (u1, u2) = (u2, u1); (v1, v2) = (v2, v1);
            area2 = -area2;
        }

        double inv = 1.0 / area2;
        double iz0 = 1.0 / p0.Z, iz1 = 1.0 / p1.Z, iz2 = 1.0 / p2.Z;
        sink.Kz0 = iz0 * inv; sink.Kz1 = iz1 * inv; sink.Kz2 = iz2 * inv;
        if (sink.Textured)
        {
            // Perspective-correct: u/z interpolates linearly on screen; dividing by the interpolated 1/z recovers u.
            sink.Ku0 = u0 * sink.Kz0; sink.Ku1 = u1 * sink.Kz1; sink.Ku2 = u2 * sink.Kz2;
            sink.Kv0 = v0 * sink.Kz0; sink.Kv1 = v1 * sink.Kz1; sink.Kv2 = v2 * sink.Kz2;
        }
        if (n0 == n1 && n1 == n2)
        {
            sink.SetFlatNormal(flip ? -n0 : n0);
        }
        else
        {
            // Perspective-correct: interpolate n/z linearly; the common scale drops out when normalising.
            double sgn = flip ? -1 : 1;
            sink.Flat = false;
            sink.N0x = n0.X * iz0 * sgn; sink.N0y = n0.Y * iz0 * sgn; sink.N0z = n0.Z * iz0 * sgn;
            sink.N1x = n1.X * iz1 * sgn; sink.N1y = n1.Y * iz1 * sgn; sink.N1z = n1.Z * iz1 * sgn;
            sink.N2x = n2.X * iz2 * sgn; sink.N2y = n2.Y * iz2 * sgn; sink.N2z = n2.Z * iz2 * sgn;
        }
        TriangleRasterizer.Rasterize(x0, y0, x1, y1, x2, y2, cam.Width, cam.Height, ref sink);
    }

    private struct CamVertex
    {
        public Vec3 P, N;
        public double U, V;
        public long X, Y;
        public int Out;
    }

    private struct ClipVertex
    {
        public Vec3 P, N;
        public double U, V;
    }

    internal struct ShadeSink : ICoverageSink
    {
        public float[] Depth;
        public ushort[] Ids;
        public byte[] Rgb;
        public int[] Stamps;
        public int Width;
        public double[] ColA, RowB;
        public int[] HitX; // per row run: the pixels that passed the depth test and their depth (scratch)
        public double[] HitZ;
        public double[] HitR, HitG, HitB; // per hit of the run: textured albedo (scratch)
        public double Lx, Ly, Lz;

        public ushort Id;
        public int Stamp; // 0 = do not track unoccluded coverage (table)
        public int Unoccluded;
        public PixelExtent Extent;
        public float DepthScale;
        public double AlbR, AlbG, AlbB, Amb, DifR, DifG, DifB, SpeR, SpeG, SpeB, SpecLo, SpecScale;
        public double[] SpecLut;

        // Point lights: 6 doubles each (camera-frame position, radiance at 1 m); Kd and F0·norm scale them per material.
        public int PointCount;
        public double[] Points;
        public double Kd, F0R, F0G, F0B;

        // Texture: the albedo mixes towards TexR/G/B by the pattern's value at the interpolated UV.
        public bool Textured;
        public TextureSampler Tex;
        public double TexR, TexG, TexB, UvScaleU, UvScaleV;
        public double Ku0, Ku1, Ku2, Kv0, Kv1, Kv2;

        // Shadow map lookup: camera point → (texel x, texel y, depth along the light) is an affine map.
        public float[]? ShadowMap;
        public byte[]? ShadowTiles; // which tiles of the map any caster covers
        public float[]? Normals;
        public ulong[]? Coverage; // the current object's unoccluded silhouette, when the target records it
        public int ShadowSize;
        public double S00, S01, S02, S03, S10, S11, S12, S13, S20, S21, S22, S23, ShadowTexel;

        public double Kz0, Kz1, Kz2;
        public bool Flat;
        public double Fx, Fy, Fz, FlatNdl, FlatShadowBias; // a flat triangle's normal, N·L and shadow bias
        public double N0x, N0y, N0z, N1x, N1y, N1z, N2x, N2y, N2z;

        public const int SpecSteps = 512;

        /// <summary>Depth bias of the shadow test, growing at grazing light where one texel spans more depth.</summary>
        public readonly double ShadowBias(double ndl) => ShadowTexel * Math.Min(1.5 + 1.5 / ndl, 12);

        public void SetFlatNormal(Vec3 n)
        {
            Flat = true;
            Fx = n.X; Fy = n.Y; Fz = n.Z;
            FlatNdl = Fx * Lx + Fy * Ly + Fz * Lz;
            FlatShadowBias = FlatNdl > 0 ? ShadowBias(FlatNdl) : 0;
        }

        /// <summary>Per-material constants; <paramref name="specLut"/> (SpecSteps + 2 entries) is reused scratch.</summary>
        /// <param name="specPeak">Largest radiance channel of any light (point lights at 1 m): sets the highlight cut-off.</param>
        public void SetMaterial(Material m, Vec3 radiance, double ambient, double specPeak, double[] specLut)
        {
            double metal = Math.Clamp(m.Metallic, 0, 1);
            Vec3 a = m.Albedo;
            AlbR = a.X; AlbG = a.Y; AlbB = a.Z; Amb = ambient;
            double kd = 1 - metal;
            Kd = kd;
            DifR = kd * radiance.X; DifG = kd * radiance.Y; DifB = kd * radiance.Z;
            Textured = m.Texture.Pattern != TexturePattern.None;
            Tex = new TextureSampler(m.Texture);
            TexR = m.Texture.Color.X; TexG = m.Texture.Color.Y; TexB = m.Texture.Color.Z;
            double rough = Math.Max(m.Roughness, 1e-3);
            double shin = Math.Clamp(2 / (rough * rough * rough * rough) - 2, 1, 2048);
            // (s + 8) / 8 keeps the highlight's energy roughly constant across roughness; without it shiny
            // metals (no diffuse) would render as nearly flat ambient.
            double norm = (shin + 8) / 8;
            F0R = (0.04 + (a.X - 0.04) * metal) * norm;
            F0G = (0.04 + (a.Y - 0.04) * metal) * norm;
            F0B = (0.04 + (a.Z - 0.04) * metal) * norm;
            SpeR = F0R * radiance.X;
            SpeG = F0G * radiance.Y;
            SpeB = F0B * radiance.Z;
            // Where (N·H)² < SpecLo the highlight adds < 1e-6 (invisible after 8-bit encoding). Above it,
            // (N·H)^s = ((N·H)²)^(s/2) comes from a table with linear interpolation (relative error ~1e-4): a
            // per-pixel pow would dominate the render time.
            double maxSpec = Math.Max(F0R, Math.Max(F0G, F0B)) * specPeak;
            SpecLo = maxSpec > 1e-6 ? ScalarMath.Exp(ScalarMath.Log(1e-6 / maxSpec) / (shin / 2)) : 2;
            if (SpecLo < 1)
            {
                SpecScale = SpecSteps / (1 - SpecLo);
                for (int k = 0; k < SpecSteps; k++) specLut[k] = ScalarMath.Pow(SpecLo + k / SpecScale, shin / 2);
                specLut[SpecSteps] = 1;
                specLut[SpecSteps + 1] = 1;
            }
            SpecLut = specLut;
        }

        /// <summary>
        /// Two passes over the run: the depth test and label buffers first, then shading of the pixels that passed.
        /// The first pass is a short loop, so the per-pixel divisions of neighbouring pixels overlap in the CPU
        /// instead of waiting on each other inside one long shading step.
        /// </summary>
        public void CoverRow(int y, int xStart, int xEnd, long w0, long w1, long w2, long dw0, long dw1, long dw2)
        {
            int row = y * Width, hits = 0;
            int[] hitX = HitX;
            double[] hitZ = HitZ;
            long e0 = w0, e1 = w1, e2 = w2;
            for (int x = xStart; x <= xEnd; x++, e0 += dw0, e1 += dw1, e2 += dw2)
            {
                int i = row + x;
                if (Stamp != 0 && Stamps[i] != Stamp)
                {
                    Stamps[i] = Stamp;
                    Unoccluded++;
                    Extent.Include(x, y);
                    if (Coverage is ulong[] cov) cov[i >> 6] |= 1UL << (i & 63);
                }
                double zc = 1.0 / (e0 * Kz0 + e1 * Kz1 + e2 * Kz2); // camera-frame depth (1/z interpolates linearly)
                float z = (float)zc;
                float zb = Depth[i];
                if (zb != 0 && z * DepthScale >= zb) continue;
                Depth[i] = z;
                Ids[i] = Id;
                hitX[hits] = x;
                hitZ[hits] = zc;
                hits++;
            }
            if (hits == 0) return;
            if (Textured)
            {
                // Texture lookups as a pass of their own: short loops keep several pixels in flight at once.
                for (int h = 0; h < hits; h++)
                {
                    long k = hitX[h] - xStart;
                    TextureAt(h, hitZ[h], w0 + k * dw0, w1 + k * dw1, w2 + k * dw2);
                }
            }
            for (int h = 0; h < hits; h++)
            {
                long k = hitX[h] - xStart;
                Shade(h, hitX[h], y, hitZ[h], w0 + k * dw0, w1 + k * dw1, w2 + k * dw2);
            }
        }

        /// <summary>Albedo of hit <paramref name="h"/> of the current run from the material's texture.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void TextureAt(int h, double zc, long w0, long w1, long w2)
        {
            double ar = AlbR, ag = AlbG, ab = AlbB;
            double tu = (w0 * Ku0 + w1 * Ku1 + w2 * Ku2) * zc, tv = (w0 * Kv0 + w1 * Kv1 + w2 * Kv2) * zc;
            if (Tex.Texture.Picture is ImageData picture)
            {
                Textures.SampleImage(picture, tu * Tex.Texture.Scale, tv * Tex.Texture.Scale, out ar, out ag, out ab);
            }
            else
            {
                double t = Tex.Sample(tu, tv);
                ar += (TexR - ar) * t; ag += (TexG - ag) * t; ab += (TexB - ab) * t;
            }
            HitR[h] = ar; HitG[h] = ag; HitB[h] = ab;
        }

        /// <summary>Colour of a visible pixel at camera depth <paramref name="zc"/> with edge functions w0..w2.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Shade(int h, int x, int y, double zc, long w0, long w1, long w2)
        {
            int i = y * Width + x;
            double nx, ny, nz, ndl;
            if (Flat)
            {
                nx = Fx; ny = Fy; nz = Fz; ndl = FlatNdl;
            }
            else
            {
                nx = w0 * N0x + w1 * N1x + w2 * N2x;
                ny = w0 * N0y + w1 * N1y + w2 * N2y;
                nz = w0 * N0z + w1 * N1z + w2 * N2z;
                double nl = Math.Sqrt(nx * nx + ny * ny + nz * nz);
                if (nl > 0) { nl = 1 / nl; nx *= nl; ny *= nl; nz *= nl; }
                ndl = nx * Lx + ny * Ly + nz * Lz;
            }

            if (Normals is float[] nb)
            {
                nb[i * 3] = (float)nx; nb[i * 3 + 1] = (float)ny; nb[i * 3 + 2] = (float)nz;
            }
            double ar = AlbR, ag = AlbG, ab = AlbB;
            if (Textured) { ar = HitR[h]; ag = HitG[h]; ab = HitB[h]; }
            double r = ar * Amb, g = ag * Amb, b = ab * Amb;
            if (ndl > 0 && ShadowMap is float[] map)
            {
                // Reconstruct the camera-frame point from the pixel ray and depth; compare with the light's nearest.
                double px = ColA[x] * zc, py = RowB[y] * zc;
                double sx = S00 * px + S01 * py + S02 * zc + S03, sy = S10 * px + S11 * py + S12 * zc + S13;
                if (sx >= 0 && sy >= 0 && sx < ShadowSize && sy < ShadowSize)
                {
                    // In range, so the CPU's conversion equals C#'s saturating cast. Tiles no caster covers hold
                    // nothing: the map itself (a likely cache miss) is read only where a shadow can be.
                    int tx = double.ConvertToIntegerNative<int>(sx), ty = double.ConvertToIntegerNative<int>(sy);
                    if (ShadowTiles![ShadowMapper.Tile(tx, ty)] != 0)
                    {
                        double sd = S20 * px + S21 * py + S22 * zc + S23;
                        double bias = Flat ? FlatShadowBias : ShadowBias(ndl);
                        if (sd - bias > map[ShadowMapper.Index(tx, ty)]) ndl = 0;
                    }
                }
            }
            if (ndl > 0)
            {
                r += ar * DifR * ndl; g += ag * DifG * ndl; b += ab * DifB * ndl;
                // Unnormalised view vector v = −(a, b, 1) towards the camera, |v| = vl. With h = l + v/|v|:
                // (n·h)² / |h|² = (vl·n·l + n·v)² / (2·vl·(vl + l·v)), so one sqrt and one division per pixel;
                // the table is indexed by (N·H)², i.e. holds t^(s/2).
                double va = ColA[x], vb = RowB[y];
                double vl = Math.Sqrt(va * va + vb * vb + 1);
                double num = ndl * vl - (nx * va + ny * vb + nz);
                double den = 2 * vl * (vl - (Lx * va + Ly * vb + Lz));
                // Most pixels are far from the highlight: compare before dividing (den > 0, so the test is the same).
                if (num > 0 && den > 0 && num * num > SpecLo * den)
                {
                    double sp = Highlight(num * num / den) * ndl;
                    r += SpeR * sp; g += SpeG * sp; b += SpeB * sp;
                }
            }
            // Passed and returned by value: a ref would pin r, g and b to memory for the whole of this method.
            if (PointCount > 0) (r, g, b) = AddPointLights(x, y, zc, nx, ny, nz, ar, ag, ab, r, g, b);
            int o = i * 3;
            Rgb[o] = Srgb.Encode(r);
            Rgb[o + 1] = Srgb.Encode(g);
            Rgb[o + 2] = Srgb.Encode(b);
        }

        /// <summary>
        /// Diffuse and Blinn–Phong specular from each point light at the camera-frame point of pixel (x, y) at depth
        /// zc, with inverse-square falloff. Point lights cast no shadows. Kept out of <see cref="Shade"/> so scenes
        /// without point lights pay one branch.
        /// </summary>
        private readonly (double R, double G, double B) AddPointLights(int x, int y, double zc, double nx, double ny, double nz,
            double ar, double ag, double ab, double r, double g, double b)
        {
            double px = ColA[x] * zc, py = RowB[y] * zc, pz = zc;
            double pl = Math.Sqrt(px * px + py * py + pz * pz);
            double vx = -px / pl, vy = -py / pl, vz = -pz / pl; // towards the camera
            for (int j = 0; j < PointCount; j++)
            {
                int k = 6 * j;
                double lx = Points[k] - px, ly = Points[k + 1] - py, lz = Points[k + 2] - pz;
                double d2 = lx * lx + ly * ly + lz * lz;
                double d = Math.Sqrt(d2);
                lx /= d; ly /= d; lz /= d;
                double ndl = nx * lx + ny * ly + nz * lz;
                if (ndl <= 0) continue;
                double e = ndl / d2;
                double er = Points[k + 3] * e, eg = Points[k + 4] * e, eb = Points[k + 5] * e;
                r += ar * Kd * er; g += ag * Kd * eg; b += ab * Kd * eb;
                double hx = lx + vx, hy = ly + vy, hz = lz + vz;
                double ndh = nx * hx + ny * hy + nz * hz, hh = hx * hx + hy * hy + hz * hz;
                if (ndh <= 0 || hh <= 0) continue;
                double ndh2 = ndh * ndh / hh;
                if (ndh2 <= SpecLo) continue;
                double sp = Highlight(ndh2);
                r += F0R * er * sp; g += F0G * eg * sp; b += F0B * eb * sp;
            }
            return (r, g, b);
        }

        /// <summary>(N·H)^s from the table, for (N·H)² = <paramref name="ndh2"/> above <see cref="SpecLo"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly double Highlight(double ndh2)
        {
            double f = (ndh2 - SpecLo) * SpecScale; // > 0, so in range for the CPU's own conversion below
            int k = SpecSteps;
            if (f < SpecSteps) k = double.ConvertToIntegerNative<int>(f); else f = k; // (N·H)² may round above 1
            double lo = SpecLut[k];
            return lo + (SpecLut[k + 1] - lo) * (f - k);
        }
    }

    private sealed class Scratch
    {
        public double[] Points = [];
        public double[] EnsurePoints(int count)
        {
            if (Points.Length < 6 * count) Points = new double[6 * count];
            return Points;
        }

        public CamVertex[] Vertices = [];
        public int[] Stamps = [];
        private int _stamp;
        public double[] ColA = [], RowB = [];
        public int[] HitX = [];
        public double[] HitZ = [];
        public double[] HitR = [], HitG = [], HitB = [];
        public readonly double[] SpecLut = new double[ShadeSink.SpecSteps + 2];
        public readonly ShadowMapper Shadows = new();
        public int[] Order = new int[16];
        public double[] OrderKey = new double[16];
        private ClipVertex[] _a = new ClipVertex[16], _b = new ClipVertex[16];
        public ClipVertex[] ClipResult = [];
        // Plane i: Pa·x + Pb·y + Pc·z + Pd ≥ 0 is inside. 0 near, 1..4 guard band left/right/top/bottom.
        private readonly double[] _pa = new double[5], _pb = new double[5], _pc = new double[5], _pd = new double[5];

        public void Prepare(CameraModel cam)
        {
            int w = cam.Width, h = cam.Height;
            if (Stamps.Length != w * h) { Stamps = new int[w * h]; _stamp = 0; }
            if (ColA.Length != w) { ColA = new double[w]; HitX = new int[w]; HitZ = new double[w]; HitR = new double[w]; HitG = new double[w]; HitB = new double[w]; }
            if (RowB.Length != h) RowB = new double[h];
            for (int x = 0; x < w; x++) ColA[x] = (x + 0.5 - cam.Cx) / cam.Fx;
            for (int y = 0; y < h; y++) RowB[y] = (y + 0.5 - cam.Cy) / cam.Fy;
            double g = GuardBandPixels;
            SetPlane(0, 0, 0, 1, -NearPlane);
            SetPlane(1, cam.Fx, 0, cam.Cx + g, 0);
            SetPlane(2, -cam.Fx, 0, w + g - cam.Cx, 0);
            SetPlane(3, 0, cam.Fy, cam.Cy + g, 0);
            SetPlane(4, 0, -cam.Fy, h + g - cam.Cy, 0);
        }

        private void SetPlane(int i, double a, double b, double c, double d)
        {
            _pa[i] = a; _pb[i] = b; _pc[i] = c; _pd[i] = d;
        }

        private double Dist(int i, Vec3 p) => _pa[i] * p.X + _pb[i] * p.Y + _pc[i] * p.Z + _pd[i];

        public int OutCode(Vec3 p)
        {
            int code = 0;
            for (int i = 0; i < 5; i++)
                if (Dist(i, p) < 0) code |= 1 << i;
            return code;
        }

        public int NextStamp()
        {
            if (_stamp == int.MaxValue) { Array.Clear(Stamps); _stamp = 0; }
            return ++_stamp;
        }

        public CamVertex[] EnsureVertices(int n)
        {
            if (Vertices.Length < n) Vertices = new CamVertex[n];
            return Vertices;
        }

        public void EnsureOrder(int n)
        {
            if (Order.Length < n) { Order = new int[n]; OrderKey = new double[n]; }
        }

        /// <summary>Sutherland–Hodgman against the planes the triangle crosses; result in <see cref="ClipResult"/>.</summary>
        public int Clip(in CamVertex a, in CamVertex b, in CamVertex c)
        {
            ClipVertex[] src = _a, dst = _b;
            src[0] = new ClipVertex { P = a.P, N = a.N, U = a.U, V = a.V };
            src[1] = new ClipVertex { P = b.P, N = b.N, U = b.U, V = b.V };
            src[2] = new ClipVertex { P = c.P, N = c.N, U = c.U, V = c.V };
            int count = 3;
            int planes = a.Out | b.Out | c.Out;
            for (int i = 0; i < 5 && count >= 3; i++)
            {
                if ((planes & (1 << i)) == 0) continue;
                int m = 0;
                for (int j = 0; j < count; j++)
                {
                    ref ClipVertex cur = ref src[j];
                    ref ClipVertex nxt = ref src[j + 1 == count ? 0 : j + 1];
                    double dc = Dist(i, cur.P), dn = Dist(i, nxt.P);
                    bool cin = dc >= 0, nin = dn >= 0;
                    if (cin) dst[m++] = cur;
                    if (cin != nin)
                    {
                        // Always interpolate from the inside vertex so a shared edge gives the same point in
                        // both triangles.
                        dst[m++] = cin ? Lerp(cur, nxt, dc / (dc - dn)) : Lerp(nxt, cur, dn / (dn - dc));
                    }
                }
                (src, dst) = (dst, src);
                count = m;
            }
            ClipResult = src;
            return count;
        }

        private static ClipVertex Lerp(in ClipVertex a, in ClipVertex b, double t) => new()
        {
            P = a.P + (b.P - a.P) * t,
            N = a.N + (b.N - a.N) * t,
            U = a.U + (b.U - a.U) * t,
            V = a.V + (b.V - a.V) * t,
        };
    }
}
