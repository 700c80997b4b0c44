using System.Text.Json;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Storage;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Export;

/// <summary>
/// COCO instances per split: <c>instances_{split}.json</c>, <c>file_name</c> relative to the dataset folder (the
/// image root). Ids: image = sample index + 1, annotation = 1.. in (sample, instance) order, category = the
/// config's ids (1..N). Annotations stream to a side file, so memory holds only the image list.
/// </summary>
internal sealed class CocoWriter : IExportWriter
{
    public static readonly string[] CornerNames = ["x-y-z-", "x+y-z-", "x-y+z-", "x+y+z-", "x-y-z+", "x+y-z+", "x-y+z+", "x+y+z+"];
    // Edges of the cuboid between the corners above (1-based, as COCO's skeleton).
    private static readonly int[][] Skeleton = [[1, 2], [3, 4], [5, 6], [7, 8], [1, 3], [2, 4], [5, 7], [6, 8], [1, 5], [2, 6], [3, 7], [4, 8]];

    private readonly ExportContext _ctx;
    private readonly bool _polygons, _keypoints;
    private readonly Dictionary<Split, SplitState> _splits = new();
    private readonly double[] _keypointBuffer = new double[24];

    private sealed class SplitState(string annotationsPath)
    {
        public readonly string AnnotationsPath = annotationsPath;
        public readonly FileStream AnnotationStream = new(annotationsPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        public readonly MemoryStream Images = new();
        public long NextAnnotationId = 1;
        public int ImageCount;
    }

    public CocoWriter(ExportContext ctx)
    {
        _ctx = ctx;
        _polygons = ctx.Request.Get("Segmentation") == "polygons";
        _keypoints = ctx.Request.Flag("Keypoints");
        foreach (var s in ExportContext.Splits)
            _splits[s] = new SplitState(Path.Combine(ctx.Folder, $".annotations_{DatasetSplits.Name(s)}.part"));
    }

    public void Write(PreparedSample s)
    {
        var st = _splits[s.Split];
        long imageId = s.Index + 1;
        using (var w = new Utf8JsonWriter(st.Images))
        {
            if (st.ImageCount++ > 0) { w.Flush(); st.Images.WriteByte((byte)','); }
            w.WriteStartObject();
            w.WriteNumber("id", imageId);
            w.WriteString("file_name", DatasetLayout.Rgb(s.Stem));
            w.WriteNumber("width", s.Annotation.Width);
            w.WriteNumber("height", s.Annotation.Height);
            w.WriteNumber("license", 1);
            w.WriteString("depth_file_name", DatasetLayout.Depth(s.Stem));
            w.WriteString("segmentation_file_name", DatasetLayout.Segmentation(s.Stem));
            w.WriteEndObject();
        }
        foreach (var o in s.Objects)
        {
            var a = o.Annotation;
            if (a.Area == 0) continue;
            if (st.NextAnnotationId > 1) st.AnnotationStream.WriteByte((byte)',');
            using var w = new Utf8JsonWriter(st.AnnotationStream);
            w.WriteStartObject();
            w.WriteNumber("id", st.NextAnnotationId++);
            w.WriteNumber("image_id", imageId);
            w.WriteNumber("category_id", a.CategoryId);
            w.WriteStartArray("bbox");
            foreach (double v in a.Bbox) w.WriteNumberValue(v);
            w.WriteEndArray();
            w.WriteNumber("area", a.Area);
            w.WriteNumber("iscrowd", 0);
            if (_polygons)
            {
                w.WriteStartArray("segmentation");
                foreach (var poly in o.Polygons!)
                {
                    w.WriteStartArray();
                    foreach (int v in poly) w.WriteNumberValue(v);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            else
            {
                w.WriteStartObject("segmentation");
                w.WriteStartArray("size");
                w.WriteNumberValue(o.Rle!.Height);
                w.WriteNumberValue(o.Rle.Width);
                w.WriteEndArray();
                w.WriteString("counts", o.Rle.ToCompressedString());
                w.WriteEndObject();
            }
            w.WriteNumber("instance_id", a.InstanceId);
            w.WriteNumber("visibility", a.Visibility);
            if (_keypoints)
            {
                var kp = _keypointBuffer;
                int visible = ProjectCorners(a, s.Annotation, kp);
                w.WriteStartArray("keypoints");
                foreach (double v in kp) w.WriteNumberValue(v);
                w.WriteEndArray();
                w.WriteNumber("num_keypoints", visible);
            }
            w.WriteEndObject();
        }
    }

    /// <summary>
    /// The 8 corners of the object's box projected with the sample's camera, as COCO keypoints (x, y, v):
    /// v = 2 inside the image (self-occlusion is not checked), else 0 with x = y = 0. Returns how many have v &gt; 0.
    /// </summary>
    internal static int ProjectCorners(ObjectAnnotation a, SampleAnnotation s, Span<double> kp)
    {
        Mat3 r = a.PoseCamera.Rotation.ToMatrix();
        int visible = 0;
        for (int i = 0; i < 8; i++)
        {
            Vec3 local = ObjectBox.Corner(a.Dimensions, i);
            Vec3 pc = r * local + a.PoseCamera.Position;
            double u = 0, v = 0;
            bool inImage = false;
            if (pc.Z > 0)
            {
                (u, v) = s.Camera.Project(pc); // an augmented sample's camera carries its image-plane homography
                inImage = u >= 0 && v >= 0 && u < s.Width && v < s.Height;
            }
            kp[3 * i] = inImage ? Math.Round(u, 3) : 0;
            kp[3 * i + 1] = inImage ? Math.Round(v, 3) : 0;
            kp[3 * i + 2] = inImage ? 2 : 0;
            if (inImage) visible++;
        }
        return visible;
    }


    public void Complete()
    {
        var info = _ctx.Reader.Info;
        foreach (var (split, st) in _splits)
        {
            string path = Path.Combine(_ctx.Folder, $"instances_{DatasetSplits.Name(split)}.json");
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            using (var w = new Utf8JsonWriter(file))
            {
                w.WriteStartObject();
                w.WriteStartObject("info");
                w.WriteString("description", $"{info.Name} ({DatasetSplits.Name(split)} split), images relative to the dataset folder");
                w.WriteString("version", info.Digest);
                w.WriteString("contributor", info.Engine);
                w.WriteNumber("seed", info.Seed);
                w.WriteEndObject();
                w.WriteStartArray("licenses");
                w.WriteStartObject();
                w.WriteNumber("id", 1);
                w.WriteString("name", "Synthetic data generated by SynthBuild");
                w.WriteString("url", "");
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteStartArray("categories");
                foreach (var c in info.Categories)
                {
                    w.WriteStartObject();
                    w.WriteNumber("id", c.Id);
                    w.WriteString("name", c.Name);
                    w.WriteString("supercategory", c.Shape);
                    if (_keypoints)
                    {
                        w.WriteStartArray("keypoints");
                        foreach (var n in CornerNames) w.WriteStringValue(n);
                        w.WriteEndArray();
                        w.WriteStartArray("skeleton");
                        foreach (var e in Skeleton) { w.WriteStartArray(); w.WriteNumberValue(e[0]); w.WriteNumberValue(e[1]); w.WriteEndArray(); }
                        w.WriteEndArray();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WritePropertyName("images");
                w.Flush();
            }
            file.Write("["u8);
            st.Images.Position = 0;
            st.Images.CopyTo(file);
            file.Write("],\"annotations\":["u8);
            st.AnnotationStream.Flush();
            st.AnnotationStream.Position = 0;
            st.AnnotationStream.CopyTo(file);
            file.Write("]}"u8);
        }
    }

    public void Dispose()
    {
        foreach (var st in _splits.Values) st.AnnotationStream.Dispose();
    }
}
