using System.Text.Json;
using SynthBuild.Core.Config;
using SynthBuild.Core.Labels;
using SynthBuild.Core.Scene;

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
        foreach (JsonElement o in r.GetProperty("objects").EnumerateArray())
        {
            objects.Add(new ObjectAnnotation(
                o.GetProperty("instanceId").GetInt32(), o.GetProperty("categoryId").GetInt32(), o.GetProperty("category").GetString()!,
                Enum.Parse<ShapeKind>(o.GetProperty("shape").GetString()!, ignoreCase: true),
                ArrayOf(o.GetProperty("bbox")), o.GetProperty("area").GetInt32(), ArrayOf(o.GetProperty("amodalBbox")),
                o.GetProperty("unoccludedArea").GetInt32(), o.GetProperty("visibility").GetDouble(), VecOf(o.GetProperty("dimensions")),
                PoseOf(o.GetProperty("poseWorld")), PoseOf(o.GetProperty("poseCamera")),
                o.TryGetProperty("truncation", out var tr) ? tr.GetDouble() : 0,
                o.TryGetProperty("cuboid", out var cu) ? cu.EnumerateArray().Select(ArrayOf).ToArray() : null,
                o.TryGetProperty("kind", out var kd) ? kd.GetString() : null));
        }
        var extra = new List<KeyValuePair<string, string>>();
        foreach (JsonProperty p in image.EnumerateObject())
            if (p.Value.ValueKind == JsonValueKind.String && p.Name is not ("rgb" or "depth" or "segmentation"))
                extra.Add(new(p.Name, p.Value.GetString()!));
        return new SampleAnnotation(r.GetProperty("index").GetInt64(), image.GetProperty("width").GetInt32(),
            image.GetProperty("height").GetInt32(), camera, lighting, objects, extra.Count > 0 ? extra : null);
    }

    private static Vec3 VecOf(JsonElement a) => new(a[0].GetDouble(), a[1].GetDouble(), a[2].GetDouble());
    private static double[] ArrayOf(JsonElement a) => a.EnumerateArray().Select(e => e.GetDouble()).ToArray();
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
