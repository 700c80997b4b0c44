using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Rendering;

/// <summary>
/// CPU z-buffer rasterizer. Single-threaded per call and deterministic (plain scalar double arithmetic, integer
/// coverage); safe to call from several threads at once (scratch memory is per thread). As an
/// <see cref="IRenderer"/> it owns supersampling and lens distortion, and one instance serves one thread (it
/// reuses its output buffers).
/// </summary>
public sealed partial class RasterRenderer : IRenderer
{
    /// <summary>Near clipping plane, camera z in metres.</summary>
    public const double NearPlane = 0.01;

    // The table is pushed back by this relative depth in the z-test so objects resting on it win at the contact.
    private const float TableDepthScale = 1.00001f;

    [ThreadStatic] private static Scratch? t_scratch;

    private readonly RasterOptions _options;
    // The delivered image and, with a distorting lens, the pinhole render with a margin that it is resampled from.
    private RenderTarget? _output, _pinhole;

    public RasterRenderer() : this(new RasterOptions()) { }

    public RasterRenderer(RasterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Supersampling < 1) throw new ArgumentOutOfRangeException(nameof(options), $"Supersampling is {options.Supersampling}; it must be at least 1.");
        if (options.LensMargin < 0) throw new ArgumentOutOfRangeException(nameof(options), $"Lens margin is {options.LensMargin}; it must not be negative.");
        _options = options;
    }

    /// <summary>
    /// Renders one sample at the camera's size. With a distorting lens the pinhole image is rendered with a margin
    /// and resampled through the lens (<see cref="LensWarp"/>); with supersampling its RGB comes from a render at
    /// that factor (<see cref="RenderSupersampled(SceneDescription, RenderTarget, int, RenderTarget)"/>).
    /// </summary>
    public RenderResult Render(SceneDescription scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        CameraModel cam = scene.Camera;
        RenderTarget output = Reuse(ref _output, cam.Width, cam.Height, coverageMasks: false, _options.Normals);
        if (cam.Lens.IsZero)
        {
            RenderPinhole(scene, output);
            return new RenderResult(output);
        }
        int margin = _options.LensMargin ?? LensWarp.Margin(cam.Lens, cam.Width, cam.Height, cam.Fx, cam.Fy, cam.Cx, cam.Cy, 1);
        var pinholeScene = scene with { Camera = LensWarp.PinholeWithMargin(cam, margin) };
        RenderTarget pinhole = Reuse(ref _pinhole, pinholeScene.Camera.Width, pinholeScene.Camera.Height, coverageMasks: true, _options.Normals);
        RenderPinhole(pinholeScene, pinhole);
        LensWarp.Apply(cam, pinhole, margin, output, scene.Objects.Count);
        return new RenderResult(output);
    }

    /// <summary>The buffers in <paramref name="target"/>, replaced when they are not <paramref name="width"/> × <paramref name="height"/>.</summary>
    private static RenderTarget Reuse(ref RenderTarget? target, int width, int height, bool coverageMasks, bool normals)
    {
        if (target is null || target.Width != width || target.Height != height)
        {
            target = new RenderTarget(width, height);
            if (coverageMasks) target.EnableCoverageMasks();
            if (normals) target.EnableNormals();
        }
        return target;
    }

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


    private static readonly Mesh UnitQuad = new(
        [
            new MeshVertex(new Vec3(-0.5, -0.5, 0), Vec3.UnitZ, -0.5, -0.5),
            new MeshVertex(new Vec3(0.5, -0.5, 0), Vec3.UnitZ, 0.5, -0.5),
            new MeshVertex(new Vec3(0.5, 0.5, 0), Vec3.UnitZ, 0.5, 0.5),
            new MeshVertex(new Vec3(-0.5, 0.5, 0), Vec3.UnitZ, -0.5, 0.5),
        ],
        [0, 1, 2, 0, 2, 3]);

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
}
