using System.Globalization;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Export;

/// <summary>
/// TensorFlow Object Detection API records: <c>{split}-SSSSS-of-NNNNN.tfrecord</c>, samples in index order cut into
/// contiguous shards. Box coordinates are normalized; class labels are the category ids (1-based, as the API's
/// label maps); masks are full-size 0/1 PNGs, one per object; depth is the dataset's 16-bit PNG.
/// </summary>
internal sealed class TfRecordExportWriter : IExportWriter
{
    /// <summary>Protocol buffers cannot parse a message of 2 GiB or more; TensorFlow's readers share the limit.</summary>
    public const long MaxRecordBytes = int.MaxValue;

    private readonly ExportContext _ctx;
    private readonly bool _masks, _depth;
    private readonly int _shards;
    private TfRecordWriter? _current;
    private Split _currentSplit;
    private int _currentShard = -1, _positionInSplit;

    public TfRecordExportWriter(ExportContext ctx)
    {
        _ctx = ctx;
        _masks = ctx.Request.Flag("Masks");
        _depth = ctx.Request.Flag("Depth");
        _shards = ctx.Request.Int("Shards");
    }

    /// <summary>
    /// Checked before anything is written: the largest record an image of this size can give (uncompressed RGB,
    /// depth and one mask per object as the PNG upper bound) must stay under the protobuf limit.
    /// </summary>
    public static Diagnostic? CheckImageSize(int width, int height, int maxObjects, bool masks, bool depth, string? file)
    {
        long pixels = (long)width * height;
        long worst = pixels * 3 + (depth ? pixels * 2 : 0) + (masks ? pixels * maxObjects : 0) + (1 << 20);
        if (worst < MaxRecordBytes) return null;
        return Diagnostic.Error(SynCodes.TfRecordTooLarge, string.Create(CultureInfo.InvariantCulture,
            $"TFRecord export: a {width}×{height} sample with {maxObjects} object masks can make a record of up to {worst} bytes; TensorFlow's protobuf readers take less than 2 GiB per record. Reduce the image size, or disable Masks/Depth for the tfrecord export."), file);
    }

    public static int ShardsFor(int requested, int samples) => Math.Max(1, Math.Min(requested, samples));

    public static string ShardName(Split split, int shard, int shards) =>
        string.Create(CultureInfo.InvariantCulture, $"{DatasetSplits.Name(split)}-{shard:D5}-of-{shards:D5}.tfrecord");

    public void Write(PreparedSample s)
    {
        int n = _ctx.SplitIndices[s.Split].Count;
        if (s.Split != _currentSplit || _current is null) { _currentSplit = s.Split; _positionInSplit = 0; _currentShard = -1; }
        int shards = ShardsFor(_shards, n);
        int shard = (int)((long)_positionInSplit * shards / n);
        if (shard != _currentShard || _current is null)
        {
            _current?.Dispose();
            _currentShard = shard;
            _current = new TfRecordWriter(new FileStream(Path.Combine(_ctx.Folder, ShardName(s.Split, shard, shards)), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16));
        }
        _positionInSplit++;
        byte[] record = Example(s);
        if (record.LongLength >= MaxRecordBytes)
            throw new DiagnosticException(Diagnostic.Error(SynCodes.TfRecordTooLarge, $"TFRecord export: sample {s.Index} gives a record of {record.LongLength} bytes, over the 2 GiB protobuf limit.", _ctx.Reader.AnnotationPath(s.Index)));
        _current.Write(record);
    }

    internal byte[] Example(PreparedSample s)
    {
        double w = s.Annotation.Width, h = s.Annotation.Height;
        var objs = s.Objects.Where(o => o.Annotation.Area > 0).ToList();
        var e = new TfExampleBuilder()
            .Int64("image/height", s.Annotation.Height)
            .Int64("image/width", s.Annotation.Width)
            .Text("image/filename", s.Stem + ".png")
            .Text("image/source_id", s.Index.ToString(CultureInfo.InvariantCulture))
            .Bytes("image/encoded", s.RgbPng!)
            .Text("image/format", "png")
            .Float("image/object/bbox/xmin", objs.Select(o => (float)(o.Annotation.Bbox[0] / w)).ToArray())
            .Float("image/object/bbox/xmax", objs.Select(o => (float)((o.Annotation.Bbox[0] + o.Annotation.Bbox[2]) / w)).ToArray())
            .Float("image/object/bbox/ymin", objs.Select(o => (float)(o.Annotation.Bbox[1] / h)).ToArray())
            .Float("image/object/bbox/ymax", objs.Select(o => (float)((o.Annotation.Bbox[1] + o.Annotation.Bbox[3]) / h)).ToArray())
            .Text("image/object/class/text", objs.Select(o => o.Annotation.Category).ToArray())
            .Int64("image/object/class/label", objs.Select(o => (long)o.Annotation.CategoryId).ToArray());
        if (_masks) e.Bytes("image/object/mask", objs.Select(o => o.MaskPng!).ToArray());
        if (_depth) e.Bytes("image/depth/encoded", s.DepthPng!).Text("image/depth/format", "png");
        return e.ToArray();
    }

    public void Complete()
    {
        _current?.Dispose();
        _current = null;
        // A split without samples still gets one (empty) shard, so readers globbing `{split}-*` find a file.
        foreach (var split in ExportContext.Splits)
            if (_ctx.SplitIndices[split].Count == 0)
                File.WriteAllBytes(Path.Combine(_ctx.Folder, ShardName(split, 0, 1)), []);
    }

    public void Dispose() => _current?.Dispose();
}
