using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SynthBuild.Core.Storage;

namespace SynthBuild.Export;

/// <summary>
/// NumPy arrays per split folder, streamed row by row (no pickle anywhere; every file loads with
/// <c>np.load(f, allow_pickle=False)</c>):
/// <c>rgb.npy</c> uint8 (N, H, W, 3); <c>depth.npy</c> uint16 (N, H, W) mm; <c>masks.npy</c> uint16 (N, H, W)
/// instance ids; <c>index.npy</c> int64 (N,) dataset index of each row; <c>objects.npy</c> a structured array
/// (M,) of <see cref="ObjectDescr"/>; <c>object_offsets.npy</c> int64 (N + 1,): the objects of row r are
/// <c>objects[offsets[r]:offsets[r + 1]]</c>.
/// </summary>
internal sealed class NumpyWriter : IExportWriter
{
    public const string ObjectDescr = "[('row', '<i8'), ('instance_id', '<i4'), ('category_id', '<i4'), ('bbox', '<f4', (4,)), ('area', '<i4'), ('visibility', '<f4')]";
    private const int ObjectBytes = 8 + 4 + 4 + 16 + 4 + 4;

    private readonly bool _depth, _masks;
    private readonly Dictionary<Split, Files> _files = new();

    private sealed class Files : IDisposable
    {
        public NpyWriter Rgb = null!, Index = null!, Objects = null!, Offsets = null!;
        public NpyWriter? Depth, Masks;
        public long ObjectCount;
        public void Dispose()
        {
            Rgb.Dispose(); Index.Dispose(); Objects.Dispose(); Offsets.Dispose(); Depth?.Dispose(); Masks?.Dispose();
        }
    }

    public NumpyWriter(ExportContext ctx)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the NumPy export writes little-endian arrays from memory");
        _depth = ctx.Request.Flag("Depth");
        _masks = ctx.Request.Flag("Masks");
        int w = ctx.Reader.Info.Width, h = ctx.Reader.Info.Height;
        foreach (var split in ExportContext.Splits)
        {
            string dir = Path.Combine(ctx.Folder, DatasetSplits.Name(split));
            var f = new Files
            {
                Rgb = new NpyWriter(Path.Combine(dir, "rgb.npy"), "'|u1'", [h, w, 3], (long)h * w * 3),
                Index = new NpyWriter(Path.Combine(dir, "index.npy"), "'<i8'", [], 8),
                Objects = new NpyWriter(Path.Combine(dir, "objects.npy"), ObjectDescr, [], ObjectBytes),
                Offsets = new NpyWriter(Path.Combine(dir, "object_offsets.npy"), "'<i8'", [], 8),
                Depth = _depth ? new NpyWriter(Path.Combine(dir, "depth.npy"), "'<u2'", [h, w], (long)h * w * 2) : null,
                Masks = _masks ? new NpyWriter(Path.Combine(dir, "masks.npy"), "'<u2'", [h, w], (long)h * w * 2) : null,
            };
            f.Offsets.WriteRow(new byte[8]);
            _files[split] = f;
        }
    }

    public void Write(PreparedSample s)
    {
        var f = _files[s.Split];
        long row = f.Index.Rows;
        f.Rgb.WriteRow(s.Rgb!);
        if (f.Depth is not null) f.Depth.WriteRow(MemoryMarshal.AsBytes(s.Depth!.AsSpan()));
        if (f.Masks is not null) f.Masks.WriteRow(MemoryMarshal.AsBytes(s.Segmentation!.AsSpan()));
        Span<byte> buf = stackalloc byte[ObjectBytes];
        BinaryPrimitives.WriteInt64LittleEndian(buf, s.Index);
        f.Index.WriteRow(buf[..8]);
        foreach (var o in s.Objects)
        {
            var a = o.Annotation;
            if (a.Area == 0) continue;
            BinaryPrimitives.WriteInt64LittleEndian(buf, row);
            BinaryPrimitives.WriteInt32LittleEndian(buf[8..], a.InstanceId);
            BinaryPrimitives.WriteInt32LittleEndian(buf[12..], a.CategoryId);
            for (int k = 0; k < 4; k++) BinaryPrimitives.WriteSingleLittleEndian(buf[(16 + 4 * k)..], (float)a.Bbox[k]);
            BinaryPrimitives.WriteInt32LittleEndian(buf[32..], a.Area);
            BinaryPrimitives.WriteSingleLittleEndian(buf[36..], (float)a.Visibility);
            f.Objects.WriteRow(buf);
            f.ObjectCount++;
        }
        BinaryPrimitives.WriteInt64LittleEndian(buf, f.ObjectCount);
        f.Offsets.WriteRow(buf[..8]);
    }

    public void Complete() => Dispose();

    public void Dispose()
    {
        foreach (var f in _files.Values) f.Dispose();
    }
}
