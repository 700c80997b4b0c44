using System.Buffers.Binary;
using System.Text.Json;
using SynthBuild.Core.Storage;

namespace SynthBuild.Export;

/// <summary>
/// Validation inputs for an ONNX model: the first <c>Samples</c> samples of a split (index order) as one float32
/// NCHW tensor in <c>inputs.npy</c>, RGB channel order, resized bilinearly with half-pixel centres and no
/// antialiasing (OpenCV's INTER_LINEAR on float images, PyTorch's align_corners=False), scaled to [0, 1], then
/// normalized as (x - mean) / std per channel. <c>inputs.json</c> describes exactly that.
/// </summary>
internal sealed class OnnxInputsWriter : IExportWriter
{
    private readonly ExportContext _ctx;
    private readonly int _count, _width, _height;
    private readonly float[] _mean, _std;
    private readonly Split _split;
    private readonly NpyWriter _npy;
    private readonly List<long> _indices = new();
    private readonly byte[] _row;

    public OnnxInputsWriter(ExportContext ctx)
    {
        _ctx = ctx;
        _split = ExportOptions.ParseSplit(ctx.Request.Get("Split"));
        _count = Math.Min(ctx.Request.Int("Samples"), ctx.SplitIndices[_split].Count);
        _width = ctx.Request.Int("Width");
        _height = ctx.Request.Int("Height");
        _mean = ctx.Request.Floats("Mean");
        _std = ctx.Request.Floats("Std");
        _row = new byte[3 * _width * _height * 4];
        _npy = new NpyWriter(Path.Combine(ctx.Folder, "inputs.npy"), "'<f4'", [3, _height, _width], _row.Length);
    }

    public void Write(PreparedSample s)
    {
        if (s.Split != _split || _indices.Count >= _count) return;
        byte[] rgb = s.Rgb ?? _ctx.Reader.ReadRgb(s.Index);
        var chw = Preprocess(rgb, s.Annotation.Width, s.Annotation.Height, _width, _height, _mean, _std);
        for (int i = 0; i < chw.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(_row.AsSpan(4 * i), chw[i]);
        _npy.WriteRow(_row);
        _indices.Add(s.Index);
    }

    /// <summary>RGB8 HWC → normalized float CHW at the target size.</summary>
    internal static float[] Preprocess(byte[] rgb, int srcW, int srcH, int dstW, int dstH, float[] mean, float[] std)
    {
        var result = new float[3 * dstW * dstH];
        float sx = (float)srcW / dstW, sy = (float)srcH / dstH;
        var x0s = new int[dstW];
        var x1s = new int[dstW];
        var fxs = new float[dstW];
        for (int x = 0; x < dstW; x++) Taps(x, sx, srcW, out x0s[x], out x1s[x], out fxs[x]);
        int plane = dstW * dstH;
        for (int y = 0; y < dstH; y++)
        {
            Taps(y, sy, srcH, out int y0, out int y1, out float fy);
            for (int x = 0; x < dstW; x++)
            {
                int x0 = x0s[x], x1 = x1s[x];
                float fx = fxs[x];
                for (int c = 0; c < 3; c++)
                {
                    float top = rgb[(y0 * srcW + x0) * 3 + c] * (1 - fx) + rgb[(y0 * srcW + x1) * 3 + c] * fx;
                    float bottom = rgb[(y1 * srcW + x0) * 3 + c] * (1 - fx) + rgb[(y1 * srcW + x1) * 3 + c] * fx;
                    float v = (top * (1 - fy) + bottom * fy) / 255f;
                    result[c * plane + y * dstW + x] = (v - mean[c]) / std[c];
                }
            }
        }
        return result;
    }

    /// <summary>Source taps of a destination coordinate: half-pixel centres, clamped at the borders.</summary>
    private static void Taps(int d, float scale, int size, out int i0, out int i1, out float frac)
    {
        float src = (d + 0.5f) * scale - 0.5f;
        if (src < 0) src = 0;
        i0 = (int)MathF.Floor(src);
        if (i0 > size - 1) i0 = size - 1;
        frac = src - i0;
        i1 = Math.Min(i0 + 1, size - 1);
        if (i1 == i0) frac = 0;
    }

    public void Complete()
    {
        _npy.Dispose();
        var info = _ctx.Reader.Info;
        using var file = new FileStream(Path.Combine(_ctx.Folder, "inputs.json"), FileMode.Create, FileAccess.Write);
        using var w = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("file", "inputs.npy");
        w.WriteStartArray("shape");
        foreach (int d in new[] { _indices.Count, 3, _height, _width }) w.WriteNumberValue(d);
        w.WriteEndArray();
        w.WriteString("dtype", "float32");
        w.WriteString("layout", "NCHW");
        w.WriteString("channels", "RGB");
        w.WriteStartObject("resize");
        w.WriteString("method", "bilinear");
        w.WriteString("coordinates", "half_pixel");
        w.WriteBoolean("antialias", false);
        w.WriteNumber("from_width", info.Width);
        w.WriteNumber("from_height", info.Height);
        w.WriteEndObject();
        w.WriteNumber("scale", 1.0 / 255);
        w.WriteStartArray("mean");
        foreach (var m in _mean) w.WriteNumberValue(m);
        w.WriteEndArray();
        w.WriteStartArray("std");
        foreach (var s in _std) w.WriteNumberValue(s);
        w.WriteEndArray();
        w.WriteString("formula", "((pixel / 255) - mean[c]) / std[c]");
        w.WriteString("split", DatasetSplits.Name(_split));
        w.WriteStartArray("samples");
        foreach (long i in _indices)
        {
            w.WriteStartObject();
            w.WriteNumber("index", i);
            w.WriteString("file", DatasetLayout.Rgb(_ctx.Reader.Stem(i)));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public void Dispose() => _npy.Dispose();
}
