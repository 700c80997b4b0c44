using System.Text.Json;
using SynthBuild.Core.Config;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Scene;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Storage;

/// <summary>Serializes annotations and dataset.json with a fixed key order (the bytes are content-hashed).</summary>
public static class AnnotationJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = true };

    /// <param name="extra">Writes further properties at the end of the sample object (e.g. an augmented sample's provenance).</param>
    public static byte[] Sample(SampleAnnotation a, string stem, Action<Utf8JsonWriter>? extra = null)
    {
        using var ms = new MemoryStream(4096);
        using (var w = new Utf8JsonWriter(ms, Options))
        {
            w.WriteStartObject();
            w.WriteNumber("index", a.Index);
            w.WriteStartObject("image");
            w.WriteString("rgb", DatasetLayout.Rgb(stem));
            w.WriteString("depth", DatasetLayout.Depth(stem));
            w.WriteString("segmentation", DatasetLayout.Segmentation(stem));
            foreach (var (key, path) in a.ExtraFiles ?? []) w.WriteString(key, path);
            w.WriteNumber("width", a.Width);
            w.WriteNumber("height", a.Height);
            w.WriteEndObject();

            var c = a.Camera;
            w.WriteStartObject("camera");
            w.WriteNumber("fx", c.Fx); w.WriteNumber("fy", c.Fy); w.WriteNumber("cx", c.Cx); w.WriteNumber("cy", c.Cy);
            w.WritePropertyName("K");
            Rows(w, [[c.Fx, 0, c.Cx], [0, c.Fy, c.Cy], [0, 0, 1]]);
            w.WriteStartObject("worldToCamera");
            w.WritePropertyName("rotation"); Rows(w, c.WorldToCamera.Rotation.ToRows());
            Vec(w, "translation", c.WorldToCamera.Translation);
            w.WriteEndObject();
            Vec(w, "position", c.Position);
            if (c.Distortion is double[] dist) Array(w, "distortion", dist);
            if (c.Projection is double[] proj)
            {
                w.WritePropertyName("projection");
                Rows(w, [proj[0..3], proj[3..6], proj[6..9]]);
            }
            w.WriteEndObject();

            w.WriteStartObject("light");
            Vec(w, "directionToLight", a.Light.DirectionToLight);
            Vec(w, "color", a.Light.Color);
            w.WriteNumber("intensity", a.Light.Intensity);
            w.WriteNumber("ambient", a.Light.Ambient);
            w.WriteBoolean("shadows", a.Light.Shadows);
            if (a.Light.PointLightCount > 0)
            {
                w.WriteStartArray("pointLights");
                foreach (PointLight p in a.Light.PointLights!)
                {
                    w.WriteStartObject();
                    Vec(w, "position", p.Position); Vec(w, "color", p.Color); w.WriteNumber("intensity", p.Intensity);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();

            w.WriteStartArray("objects");
            foreach (var o in a.Objects)
            {
                w.WriteStartObject();
                w.WriteNumber("instanceId", o.InstanceId);
                w.WriteNumber("categoryId", o.CategoryId);
                w.WriteString("category", o.Category);
                w.WriteString("shape", o.Shape.ToString().ToLowerInvariant());
                if (o.Kind is string kind) w.WriteString("kind", kind);
                Array(w, "bbox", o.Bbox);
                w.WriteNumber("area", o.Area);
                Array(w, "amodalBbox", o.AmodalBbox);
                w.WriteNumber("unoccludedArea", o.UnoccludedArea);
                w.WriteNumber("visibility", o.Visibility);
                Vec(w, "dimensions", o.Dimensions);
                PoseObj(w, "poseWorld", o.PoseWorld);
                PoseObj(w, "poseCamera", o.PoseCamera);
                w.WriteNumber("truncation", o.Truncation);
                if (o.Cuboid is double[][] cuboid)
                {
                    w.WritePropertyName("cuboid");
                    Rows(w, cuboid);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (a.Stats is ImageStatistics stats) WriteStats(w, stats);
            extra?.Invoke(w);
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    /// <summary>dataset.json: what the dataset is (no timestamps or host data: it must be reproducible).</summary>
    public static byte[] Dataset(DatasetSpec spec, Manifest manifest)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Options))
        {
            w.WriteStartObject();
            w.WriteString("name", spec.Name);
            w.WriteString("engine", manifest.Engine);
            w.WriteNumber("seed", spec.Seed);
            w.WriteNumber("samples", spec.Samples);
            w.WriteString("digest", manifest.Digest);
            w.WriteString("specHash", manifest.SpecHash);
            w.WriteStartObject("image");
            w.WriteNumber("width", spec.Width);
            w.WriteNumber("height", spec.Height);
            w.WriteEndObject();
            w.WriteStartArray("categories");
            foreach (var c in spec.Categories)
            {
                w.WriteStartObject();
                w.WriteNumber("id", c.Id);
                w.WriteString("name", c.Name);
                w.WriteString("shape", c.Shape.ToString().ToLowerInvariant());
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("splits");
            w.WriteNumber("train", spec.Splits.Train);
            w.WriteNumber("val", spec.Splits.Val);
            w.WriteNumber("test", spec.Splits.Test);
            w.WriteEndObject();
            w.WriteStartObject("layout");
            w.WriteString("rgb", "rgb/{index}.png (8-bit RGB)");
            w.WriteString("depth", "depth/{index}.png (16-bit, millimetres, 0 = no measurement)");
            w.WriteString("segmentation", "segmentation/{index}.png (16-bit instance ids, 0 = background)");
            w.WriteString("annotations", "annotations/{index}.json");
            var outputs = spec.OutputsOrDefault;
            if (outputs.Semantic) w.WriteString("semantic", "semantic/{index}.png (16-bit category ids, 0 = background)");
            if (outputs.PointCloud) w.WriteString("pointCloud", "pointcloud/{index}.npy (float32 N×3, camera frame, metres)");
            if (outputs.Normals) w.WriteString("normals", "normals/{index}.png (8-bit RGB camera-frame normals, (n + 1) / 2)");
            w.WriteEndObject();
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    /// <summary>The member of dataset.json that the lineage stage owns (git state of the build that made the dataset).</summary>
    public const string ProvenanceMember = "provenance";

    /// <summary>
    /// dataset.json bytes with the <see cref="ProvenanceMember"/> member replaced by <paramref name="provenance"/> (appended
    /// last) or removed when null. Every other member is copied as written, so the generator and the lineage stage
    /// produce identical bytes for the same description and provenance (and a no-op build rewrites nothing).
    /// </summary>
    public static byte[] WithProvenance(ReadOnlySpan<byte> datasetJson, JsonElement? provenance)
    {
        using var doc = JsonDocument.Parse(datasetJson.ToArray());
        using var ms = new MemoryStream(datasetJson.Length + 512);
        using (var w = new Utf8JsonWriter(ms, Options))
        {
            w.WriteStartObject();
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Name != ProvenanceMember) p.WriteTo(w);
            if (provenance is { } v)
            {
                w.WritePropertyName(ProvenanceMember);
                v.WriteTo(w);
            }
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    /// <summary>
    /// The provenance member of an existing dataset.json when that file still describes <paramref name="digest"/>:
    /// provenance belongs to the build that produced a digest, so it survives rebuilds that leave the digest alone.
    /// </summary>
    public static JsonElement? CarriedProvenance(string datasetJsonPath, string digest)
    {
        if (!File.Exists(datasetJsonPath)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(datasetJsonPath));
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("digest", out var d) || d.ValueKind != JsonValueKind.String || d.GetString() != digest)
                return null;
            return r.TryGetProperty(ProvenanceMember, out var p) && p.ValueKind == JsonValueKind.Object ? p.Clone() : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>Reads back what <see cref="Sample"/> wrote.</summary>
    public static SampleAnnotation ReadSample(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var doc = JsonDocument.ParseValue(ref reader);
        JsonElement r = doc.RootElement;
        JsonElement image = r.GetProperty("image"), cam = r.GetProperty("camera"), light = r.GetProperty("light");
        JsonElement w2c = cam.GetProperty("worldToCamera");
        var rot = w2c.GetProperty("rotation");
        Mat3 rotation = Mat3.FromRows(VecOf(rot[0]), VecOf(rot[1]), VecOf(rot[2]));
        var camera = new CameraAnnotation(cam.GetProperty("fx").GetDouble(), cam.GetProperty("fy").GetDouble(),
            cam.GetProperty("cx").GetDouble(), cam.GetProperty("cy").GetDouble(),
            new RigidTransform(rotation, VecOf(w2c.GetProperty("translation"))), VecOf(cam.GetProperty("position")),
            cam.TryGetProperty("distortion", out var dist) ? ArrayOf(dist) : null,
            cam.TryGetProperty("projection", out var proj) ? proj.EnumerateArray().SelectMany(ArrayOf).ToArray() : null);
        var lighting = new Lighting(VecOf(light.GetProperty("directionToLight")), VecOf(light.GetProperty("color")),
            light.GetProperty("intensity").GetDouble(), light.GetProperty("ambient").GetDouble(),
            light.TryGetProperty("shadows", out var sh) && sh.GetBoolean(),
            light.TryGetProperty("pointLights", out var pls)
                ? pls.EnumerateArray().Select(p => new PointLight(VecOf(p.GetProperty("position")), VecOf(p.GetProperty("color")), p.GetProperty("intensity").GetDouble())).ToList()
                : null);
        var objects = new List<ObjectAnnotation>();
        foreach (JsonElement o in r.GetProperty("objects").EnumerateArray()) objects.Add(ReadObject(o));
        var extra = new List<KeyValuePair<string, string>>();
        foreach (JsonProperty p in image.EnumerateObject())
            if (p.Value.ValueKind == JsonValueKind.String && p.Name is not ("rgb" or "depth" or "segmentation"))
                extra.Add(new(p.Name, p.Value.GetString()!));
        return new SampleAnnotation(r.GetProperty("index").GetInt64(), image.GetProperty("width").GetInt32(),
            image.GetProperty("height").GetInt32(), camera, lighting, objects, extra.Count > 0 ? extra : null,
            r.TryGetProperty("imageStats", out var st) ? ReadStats(st) : null);
    }

    /// <summary>One pass over the object's properties (10,000 annotations are read per quality analysis).</summary>
    private static ObjectAnnotation ReadObject(JsonElement o)
    {
        int instanceId = 0, categoryId = 0, area = 0, unoccluded = 0;
        string? category = null, kind = null;
        ShapeKind? shape = null;
        double[]? bbox = null, amodal = null;
        double visibility = double.NaN, truncation = 0;
        Vec3? dimensions = null;
        Pose? world = null, inCamera = null;
        double[][]? cuboid = null;
        foreach (JsonProperty p in o.EnumerateObject())
        {
            JsonElement v = p.Value;
            switch (p.Name)
            {
                case "instanceId": instanceId = v.GetInt32(); break;
                case "categoryId": categoryId = v.GetInt32(); break;
                case "category": category = v.GetString(); break;
                case "shape": shape = Enum.Parse<ShapeKind>(v.GetString()!, ignoreCase: true); break;
                case "kind": kind = v.GetString(); break;
                case "bbox": bbox = ArrayOf(v); break;
                case "area": area = v.GetInt32(); break;
                case "amodalBbox": amodal = ArrayOf(v); break;
                case "unoccludedArea": unoccluded = v.GetInt32(); break;
                case "visibility": visibility = v.GetDouble(); break;
                case "dimensions": dimensions = VecOf(v); break;
                case "poseWorld": world = PoseOf(v); break;
                case "poseCamera": inCamera = PoseOf(v); break;
                case "truncation": truncation = v.GetDouble(); break;
                case "cuboid":
                    cuboid = new double[v.GetArrayLength()][];
                    int k = 0;
                    foreach (JsonElement corner in v.EnumerateArray()) cuboid[k++] = ArrayOf(corner);
                    break;
            }
        }
        static T Required<T>(T? value, string name) where T : class => value ?? throw new KeyNotFoundException($"object property '{name}' is missing");
        static T RequiredValue<T>(T? value, string name) where T : struct => value ?? throw new KeyNotFoundException($"object property '{name}' is missing");
        if (double.IsNaN(visibility)) throw new KeyNotFoundException("object property 'visibility' is missing");
        return new ObjectAnnotation(instanceId, categoryId, Required(category, "category"), RequiredValue(shape, "shape"),
            Required(bbox, "bbox"), area, Required(amodal, "amodalBbox"), unoccluded, visibility, RequiredValue(dimensions, "dimensions"),
            Required(world, "poseWorld"), Required(inCamera, "poseCamera"), truncation, cuboid, kind);
    }

    /// <summary>
    /// <c>imageStats</c>: exact integer sums of the written images (see <see cref="ImageStatistics"/>), so the
    /// quality analysis needs no PNG decoding. Instances are [pixels, minX, minY, maxX, maxY] per instance id 1..N.
    /// </summary>
    private static void WriteStats(Utf8JsonWriter w, ImageStatistics s)
    {
        w.WriteStartObject("imageStats");
        w.WriteNumber("pixels", s.Pixels);
        w.WriteStartObject("rgb");
        Longs(w, "sum", s.ChannelSum);
        Longs(w, "sumSquares", s.ChannelSumSquares);
        w.WriteNumber("lumaSum", s.LumaSum);
        w.WriteNumber("lumaSumSquares", s.LumaSumSquares);
        w.WriteString("dHash", s.Hash.ToHex());
        w.WriteEndObject();
        w.WriteStartObject("depth");
        w.WriteNumber("valid", s.DepthValid);
        w.WriteNumber("sum", s.DepthSum);
        w.WriteNumber("sumSquares", s.DepthSumSquares);
        w.WriteNumber("min", s.DepthMin);
        w.WriteNumber("max", s.DepthMax);
        w.WriteNumber("binMm", ImageStatistics.DepthBinMillimetres);
        Longs(w, "histogram", s.DepthHistogram);
        w.WriteEndObject();
        w.WriteStartObject("segmentation");
        w.WriteStartArray("instances");
        foreach (InstancePixels p in s.Instances)
        {
            w.WriteStartArray();
            w.WriteNumberValue(p.Pixels); w.WriteNumberValue(p.MinX); w.WriteNumberValue(p.MinY); w.WriteNumberValue(p.MaxX); w.WriteNumberValue(p.MaxY);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteNumber("unknownIdPixels", s.UnknownIdPixels);
        w.WriteNumber("largestUnknownId", s.UnknownId);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <exception cref="InvalidDataException">The object is not what <see cref="WriteStats"/> writes.</exception>
    private static ImageStatistics ReadStats(JsonElement s)
    {
        try
        {
            JsonElement rgb = s.GetProperty("rgb"), depth = s.GetProperty("depth"), seg = s.GetProperty("segmentation");
            if (depth.GetProperty("binMm").GetInt32() != ImageStatistics.DepthBinMillimetres || depth.GetProperty("histogram").GetArrayLength() != ImageStatistics.DepthBins)
                throw new InvalidDataException("imageStats.depth uses another histogram layout");
            if (!PerceptualHash.TryParse(rgb.GetProperty("dHash").GetString(), out PerceptualHash hash))
                throw new InvalidDataException("imageStats.rgb.dHash is not 64 hex digits");
            var instances = new InstancePixels[seg.GetProperty("instances").GetArrayLength()];
            int k = 0;
            foreach (JsonElement p in seg.GetProperty("instances").EnumerateArray())
                instances[k++] = new InstancePixels(p[0].GetInt32(), p[1].GetInt32(), p[2].GetInt32(), p[3].GetInt32(), p[4].GetInt32());
            return new ImageStatistics(s.GetProperty("pixels").GetInt64(), LongsOf(rgb.GetProperty("sum"), 3), LongsOf(rgb.GetProperty("sumSquares"), 3),
                rgb.GetProperty("lumaSum").GetInt64(), rgb.GetProperty("lumaSumSquares").GetInt64(), hash,
                depth.GetProperty("valid").GetInt64(), depth.GetProperty("sum").GetInt64(), depth.GetProperty("sumSquares").GetInt64(),
                depth.GetProperty("min").GetInt32(), depth.GetProperty("max").GetInt32(), LongsOf(depth.GetProperty("histogram"), ImageStatistics.DepthBins),
                instances, seg.GetProperty("unknownIdPixels").GetInt64(), seg.GetProperty("largestUnknownId").GetInt32());
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"imageStats is malformed: {ex.Message}", ex);
        }
    }

    private static long[] LongsOf(JsonElement a, int length)
    {
        if (a.GetArrayLength() != length) throw new FormatException($"expected {length} numbers, found {a.GetArrayLength()}");
        var values = new long[length];
        int i = 0;
        foreach (JsonElement e in a.EnumerateArray()) values[i++] = e.GetInt64();
        return values;
    }

    private static void Longs(Utf8JsonWriter w, string name, long[] values)
    {
        w.WriteStartArray(name);
        foreach (long v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static Vec3 VecOf(JsonElement a) => new(a[0].GetDouble(), a[1].GetDouble(), a[2].GetDouble());
    private static double[] ArrayOf(JsonElement a)
    {
        var values = new double[a.GetArrayLength()];
        int i = 0;
        foreach (JsonElement e in a.EnumerateArray()) values[i++] = e.GetDouble();
        return values;
    }
    private static Pose PoseOf(JsonElement p)
    {
        double[] q = ArrayOf(p.GetProperty("quaternion"));
        return new Pose(VecOf(p.GetProperty("position")), new Quaternion(q[0], q[1], q[2], q[3]));
    }

    private static void PoseObj(Utf8JsonWriter w, string name, Pose p)
    {
        w.WriteStartObject(name);
        Vec(w, "position", p.Position);
        Array(w, "quaternion", p.Rotation.ToArray());
        w.WriteEndObject();
    }

    private static void Vec(Utf8JsonWriter w, string name, Vec3 v) => Array(w, name, v.ToArray());

    private static void Array(Utf8JsonWriter w, string name, double[] values)
    {
        w.WriteStartArray(name);
        foreach (double v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static void Rows(Utf8JsonWriter w, double[][] rows)
    {
        w.WriteStartArray();
        foreach (var r in rows)
        {
            w.WriteStartArray();
            foreach (double v in r) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }
}
