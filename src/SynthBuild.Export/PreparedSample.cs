using SynthBuild.Core.Assets;
using SynthBuild.Evaluation;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Storage;

namespace SynthBuild.Export;

/// <summary>What the writers need from the dataset, decided once from the selected exports.</summary>
internal sealed record SampleNeeds(bool Rgb, bool RgbPng, bool Depth, bool DepthPng, bool Segmentation,
    bool Rle, bool Polygons, bool SinglePolygon, bool MaskPng);

/// <summary>One object's mask in the forms the writers use; computed once per sample, in parallel.</summary>
internal sealed class PreparedObject(ObjectAnnotation annotation)
{
    public ObjectAnnotation Annotation { get; } = annotation;
    public Rle? Rle { get; set; }
    public List<int[]>? Polygons { get; set; }
    public int[]? SinglePolygon { get; set; }
    public byte[]? MaskPng { get; set; }
}

/// <summary>One sample, read and converted once and handed to every writer in dataset order.</summary>
internal sealed class PreparedSample
{
    public required long Index { get; init; }
    public required Split Split { get; init; }
    public required string Stem { get; init; }
    public required SampleAnnotation Annotation { get; init; }
    public required IReadOnlyList<PreparedObject> Objects { get; init; }
    public byte[]? Rgb { get; init; }
    public byte[]? RgbPng { get; init; }
    public ushort[]? Depth { get; init; }
    public byte[]? DepthPng { get; init; }
    public ushort[]? Segmentation { get; init; }

    public static PreparedSample Prepare(DatasetReader reader, long index, SampleNeeds needs)
    {
        var ann = reader.ReadAnnotation(index);
        int w = ann.Width, h = ann.Height;
        byte[]? rgbPng = needs.RgbPng || needs.Rgb ? File.ReadAllBytes(reader.RgbPath(index)) : null;
        byte[]? depthPng = needs.DepthPng || needs.Depth ? File.ReadAllBytes(reader.DepthPath(index)) : null;
        ushort[]? seg = needs.Segmentation ? reader.ReadSegmentation(index) : null;

        var objects = new List<PreparedObject>(ann.Objects.Count);
        byte[]? crop = null;
        foreach (var o in ann.Objects)
        {
            var p = new PreparedObject(o);
            objects.Add(p);
            if (seg is null || o.Area == 0) continue;
            int x0 = (int)o.Bbox[0], y0 = (int)o.Bbox[1], bw = (int)o.Bbox[2], bh = (int)o.Bbox[3];
            ushort id = (ushort)o.InstanceId;
            if (needs.Rle) p.Rle = RleOf(seg, id, w, h, x0, bw);
            if (needs.Polygons || needs.SinglePolygon)
            {
                if (crop is null || crop.Length < bw * bh) crop = new byte[Math.Max(bw * bh, 1024)];
                for (int y = 0; y < bh; y++)
                {
                    int src = (y0 + y) * w + x0, dst = y * bw;
                    for (int x = 0; x < bw; x++) crop[dst + x] = seg[src + x] == id ? (byte)1 : (byte)0;
                }
                if (needs.Polygons) p.Polygons = MaskPolygons.Polygons(crop.AsSpan(0, bw * bh), bw, bh, x0, y0);
                if (needs.SinglePolygon) p.SinglePolygon = MaskPolygons.SinglePolygon(crop.AsSpan(0, bw * bh), bw, bh, x0, y0);
            }
            if (needs.MaskPng)
            {
                var full = new byte[w * h];
                for (int i = 0; i < full.Length; i++) full[i] = seg[i] == id ? (byte)1 : (byte)0;
                p.MaskPng = Png.EncodeGray8(full, w, h);
            }
        }
        return new PreparedSample
        {
            Index = index,
            Split = reader.SplitOf(index),
            Stem = reader.Stem(index),
            Annotation = ann,
            Objects = objects,
            Rgb = needs.Rgb ? Png.Decode(rgbPng!).Bytes : null,
            RgbPng = needs.RgbPng ? rgbPng : null,
            Depth = needs.Depth ? Png.Decode(depthPng!).Words : null,
            DepthPng = needs.DepthPng ? depthPng : null,
            Segmentation = seg,
        };
    }

    /// <summary>Column-major COCO runs of one instance id; only the box's columns are scanned.</summary>
    internal static Rle RleOf(ushort[] seg, ushort id, int width, int height, int x0, int boxWidth)
    {
        var counts = new List<uint>();
        long last = 0;
        bool inside = false;
        for (int x = x0; x < x0 + boxWidth; x++)
            for (int y = 0; y < height; y++)
            {
                bool fg = seg[y * width + x] == id;
                if (fg == inside) continue;
                long pos = (long)x * height + y;
                counts.Add((uint)(pos - last));
                last = pos;
                inside = fg;
            }
        if (inside)
        {
            long pos = (long)(x0 + boxWidth) * height;
            counts.Add((uint)(pos - last));
            last = pos;
        }
        long total = (long)width * height;
        if (last < total || counts.Count == 0) counts.Add((uint)(total - last)); // no empty last run, as pycocotools
        return new Rle(height, width, counts.ToArray());
    }
}
