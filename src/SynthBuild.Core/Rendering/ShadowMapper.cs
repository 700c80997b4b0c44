using SynthBuild.Core.Assets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Rendering;

/// <summary>
/// Shadow map for the directional light: an orthographic depth render of every object (and distractor) seen from the light,
/// fitted to the objects' bounds. Receivers (objects and table) test their depth along the light against it.
/// Per-thread scratch, reused across samples.
/// </summary>
internal sealed class ShadowMapper
{
    // 768² over the casters' extent: texels well under a camera pixel where shadows fall in the examples (a table
    // 0.6–1 m away at f ≈ 500 px is 1.2–2 mm per pixel; the map spans ~0.5 m, 0.7 mm per texel). 1024² cost
    // 2.6 ms per sample to fill and rasterize for no visible change.
    public const int Size = 768;
    private const int TileBits = 3, TileMask = (1 << TileBits) - 1, TilesPerRow = Size >> TileBits;

    /// <summary>
    /// Where texel (x, y) is stored: the map is laid out in 8 × 8 tiles, so the lookups of neighbouring pixels,
    /// which walk the map diagonally, stay in a few cache lines instead of touching a new 4 KiB row each time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Index(int x, int y) => Tile(x, y) << (2 * TileBits) | (y & TileMask) << TileBits | (x & TileMask);

    /// <summary>Tile t of the map is t·64 … t·64 + 63 in <see cref="Map"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Tile(int x, int y) => (y >> TileBits) * TilesPerRow + (x >> TileBits);

    public float[] Map { get; } = NewMap();

    /// <summary>
    /// Non-zero for the tiles some caster covers; the others hold only "nothing" (float.MaxValue). Receivers read
    /// this 9 KiB table first and the 2.3 MiB map only where a shadow can be; the next build clears these tiles alone.
    /// </summary>
    public byte[] TileUsed { get; } = new byte[TilesPerRow * TilesPerRow];

    private static float[] NewMap()
    {
        var map = new float[Size * Size];
        Array.Fill(map, float.MaxValue);
        return map;
    }
    private Vec3 _right, _up, _forward;
    private double _minX, _minY, _texel;
    private RigidTransform _cameraToWorld;
    private long[] _lightX = [], _lightY = [];
    private double[] _lightD = []; // one caster's vertices in light space (texel x, texel y, depth), reused

    public void Build(SceneDescription scene, CameraModel cam)
    {
        _forward = -scene.Light.DirectionToLight.Normalized();
        Vec3 helper = Math.Abs(_forward.Z) < 0.9 ? Vec3.UnitZ : new Vec3(1, 0, 0);
        _right = Vec3.Cross(helper, _forward).Normalized();
        _up = Vec3.Cross(_forward, _right);
        _cameraToWorld = cam.WorldToCamera.Inverse();

        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (SceneObject o in Casters(scene))
            for (int i = 0; i < 8; i++)
            {
                Vec3 local = ObjectBox.Corner(o.Dimensions, i);
                Vec3 w = o.Pose.Apply(local);
                double x = Vec3.Dot(w, _right), y = Vec3.Dot(w, _up);
                minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
            }
        double extent = Math.Max(maxX - minX, maxY - minY) * 1.02 + 1e-3;
        _texel = extent / Size;
        _minX = minX - 0.01 * extent;
        _minY = minY - 0.01 * extent;
        for (int t = 0; t < TileUsed.Length; t++)
        {
            if (TileUsed[t] == 0) continue;
            Map.AsSpan(t << (2 * TileBits), 1 << (2 * TileBits)).Fill(float.MaxValue);
            TileUsed[t] = 0;
        }

        var sink = new DepthSink { Map = Map, TileUsed = TileUsed };
        foreach (SceneObject o in Casters(scene))
        {
            Mesh mesh = o.Mesh ?? MeshBuilder.Unit(o.Shape);
            Vec3 scale = o.Mesh is null ? MeshBuilder.Scale(o.Shape, o.Dimensions) : new Vec3(1, 1, 1);
            MeshVertex[] v = mesh.Vertices;
            if (_lightX.Length < v.Length) { _lightX = new long[v.Length]; _lightY = new long[v.Length]; _lightD = new double[v.Length]; }
            for (int i = 0; i < v.Length; i++) (_lightX[i], _lightY[i], _lightD[i]) = ToLight(o.Pose, v[i].Position, scale);
            int[] idx = mesh.Indices;
            for (int k = 0; k < idx.Length; k += 3)
            {
                int a = idx[k], b = idx[k + 1], c = idx[k + 2];
                // Only faces towards the light (negative area here): on a closed mesh every ray enters through one,
                // so the nearest depth is the same as with all faces, for half the rasterization. Swapping b and c
                // gives the rasterizer its clockwise order.
                long area = -TriangleRasterizer.Area2(_lightX[a], _lightY[a], _lightX[b], _lightY[b], _lightX[c], _lightY[c]);
                if (area <= 0) continue;
                double inv = 1.0 / area;
                sink.K0 = _lightD[a] * inv; sink.K1 = _lightD[c] * inv; sink.K2 = _lightD[b] * inv;
                TriangleRasterizer.Rasterize(_lightX[a], _lightY[a], _lightX[c], _lightY[c], _lightX[b], _lightY[b], Size, Size, ref sink);
            }
        }
    }

    /// <summary>Labelled objects and distractors alike cast shadows.</summary>
    private static IEnumerable<SceneObject> Casters(SceneDescription scene) => scene.Objects.Concat(scene.DistractorsOrEmpty);

    private (long X, long Y, double D) ToLight(RigidTransform pose, Vec3 p, Vec3 scale)
    {
        Vec3 w = pose.Apply(new Vec3(p.X * scale.X, p.Y * scale.Y, p.Z * scale.Z));
        return (TriangleRasterizer.Snap((Vec3.Dot(w, _right) - _minX) / _texel),
                TriangleRasterizer.Snap((Vec3.Dot(w, _up) - _minY) / _texel),
                Vec3.Dot(w, _forward));
    }

    /// <summary>Camera-frame point → (texel x, texel y, depth) as three affine rows.</summary>
    public void CopyLookupTo(ref RasterRenderer.ShadeSink sink)
    {
        Mat3 r = _cameraToWorld.Rotation;
        Vec3 t = _cameraToWorld.Translation;
        double k = 1 / _texel;
        // Row for axis a: dot(a, R p + t) = (Rᵀa)·p + a·t.
        Vec3 rx = r.Transposed() * _right, ry = r.Transposed() * _up, rz = r.Transposed() * _forward;
        sink.S00 = rx.X * k; sink.S01 = rx.Y * k; sink.S02 = rx.Z * k; sink.S03 = (Vec3.Dot(_right, t) - _minX) * k;
        sink.S10 = ry.X * k; sink.S11 = ry.Y * k; sink.S12 = ry.Z * k; sink.S13 = (Vec3.Dot(_up, t) - _minY) * k;
        sink.S20 = rz.X; sink.S21 = rz.Y; sink.S22 = rz.Z; sink.S23 = Vec3.Dot(_forward, t);
        sink.ShadowSize = Size;
        sink.ShadowTexel = _texel;
    }

    private struct DepthSink : ICoverageSink
    {
        public float[] Map;
        public byte[] TileUsed;
        public double K0, K1, K2;

        public void CoverRow(int y, int xStart, int xEnd, long w0, long w1, long w2, long dw0, long dw1, long dw2)
        {
            for (int t = Tile(xStart, y), last = Tile(xEnd, y); t <= last; t++) TileUsed[t] = 1;
            // Depth is affine along the row: start plus steps, without three integer conversions per texel.
            double start = w0 * K0 + w1 * K1 + w2 * K2, step = dw0 * K0 + dw1 * K1 + dw2 * K2;
            ref float map = ref MemoryMarshal.GetArrayDataReference(Map);
            for (int x = xStart; x <= xEnd; x++)
            {
                float d = (float)(start + (x - xStart) * step);
                ref float texel = ref Unsafe.Add(ref map, Index(x, y)); // the rasterizer keeps 0 ≤ x, y < Size
                if (d < texel) texel = d;
            }
        }
    }
}
