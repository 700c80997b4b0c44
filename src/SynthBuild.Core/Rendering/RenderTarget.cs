namespace SynthBuild.Core.Rendering;

/// <summary>
/// The buffers one render writes, row-major, top-left origin. Allocated once per worker thread and reused across
/// samples of the same size (no per-sample allocations on the hot path).
/// </summary>
public sealed class RenderTarget
{
    public RenderTarget(int width, int height, int maxInstances = 64)
    {
        Width = width;
        Height = height;
        Rgb = new byte[width * height * 3];
        DepthMetres = new float[width * height];
        InstanceIds = new ushort[width * height];
        UnoccludedPixels = new int[maxInstances + 1];
        AmodalExtent = new PixelExtent[maxInstances + 1];
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>8-bit sRGB, 3 bytes per pixel in R, G, B order.</summary>
    public byte[] Rgb { get; }

    /// <summary>Camera-frame z of the nearest surface (table or object) in metres; 0 where nothing was hit.</summary>
    public float[] DepthMetres { get; }

    /// <summary>Camera-frame unit normal (x, y, z per pixel) of the nearest surface when enabled; null otherwise.</summary>
    public float[]? Normals { get; private set; }

    private ulong[][]? _coverage;

    /// <summary>
    /// Makes the renderer also record each object's unoccluded silhouette as a bit mask (one bit per pixel), so
    /// coverage can be resampled (lens distortion) exactly like the id buffer.
    /// </summary>
    public void EnableCoverageMasks() => _coverage ??= [];

    /// <summary>The cleared coverage mask of an instance for a new render, or null when not recording.</summary>
    internal ulong[]? CoverageFor(int instanceId)
    {
        if (_coverage is null) return null;
        if (_coverage.Length <= instanceId) Array.Resize(ref _coverage, instanceId + 1);
        ulong[] mask = _coverage[instanceId] ??= new ulong[(Width * Height + 63) / 64];
        Array.Clear(mask);
        return mask;
    }

    /// <summary>Whether pixel <paramref name="index"/> is inside the unoccluded silhouette of an instance (last render).</summary>
    public bool Covers(int instanceId, int index) =>
        _coverage is not null && instanceId < _coverage.Length && _coverage[instanceId] is ulong[] m && (m[index >> 6] >> (index & 63) & 1) != 0;

    /// <summary>Makes the renderer also write <see cref="Normals"/>.</summary>
    public void EnableNormals() => Normals ??= new float[Width * Height * 3];

    /// <summary>Instance id of the nearest object per pixel; 0 = background or table.</summary>
    public ushort[] InstanceIds { get; }

    /// <summary>
    /// Per instance id: how many pixels the object covers when rendered with no occluders (its silhouette
    /// inside the image). Index 0 is unused.
    /// </summary>
    public int[] UnoccludedPixels { get; private set; }

    /// <summary>Per instance id: the extent of the unoccluded silhouette inside the image (amodal box).</summary>
    public PixelExtent[] AmodalExtent { get; private set; }

    /// <summary>Makes room for <paramref name="instanceCount"/> instances (ids 1..count).</summary>
    public void EnsureInstanceCapacity(int instanceCount)
    {
        if (UnoccludedPixels.Length < instanceCount + 1)
        {
            UnoccludedPixels = new int[instanceCount + 1];
            AmodalExtent = new PixelExtent[instanceCount + 1];
        }
    }
}

/// <summary>Inclusive pixel bounds; empty when <see cref="MaxX"/> &lt; <see cref="MinX"/>.</summary>
public struct PixelExtent
{
    public int MinX, MinY, MaxX, MaxY;

    public static PixelExtent Empty => new() { MinX = int.MaxValue, MinY = int.MaxValue, MaxX = int.MinValue, MaxY = int.MinValue };
    public readonly bool IsEmpty => MaxX < MinX;

    public void Include(int x, int y)
    {
        if (x < MinX) MinX = x;
        if (x > MaxX) MaxX = x;
        if (y < MinY) MinY = y;
        if (y > MaxY) MaxY = y;
    }
}
