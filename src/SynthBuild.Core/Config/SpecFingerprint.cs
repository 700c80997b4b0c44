using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Config;

/// <summary>
/// The canonical, order-fixed JSON of everything in a spec that determines a sample's content, and its hash.
/// Leaves out what does not (the dataset name and the sample count), so renaming a dataset or adding samples
/// keeps every existing sample's key.
/// </summary>
public static class SpecFingerprint
{
    public static string CanonicalJson(DatasetSpec s)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("seed", s.Seed);
            w.WriteNumber("width", s.Width);
            w.WriteNumber("height", s.Height);
            w.WriteStartArray("objectsPerScene"); w.WriteNumberValue(s.ObjectsPerScene.Min); w.WriteNumberValue(s.ObjectsPerScene.Max); w.WriteEndArray();
            // Written only when not the default, so adding the option kept every existing dataset's sample keys.
            if (s.CategoryBalance != CategoryBalance.Weighted) w.WriteString("categoryBalance", "balanced");
            w.WriteStartArray("categories");
            foreach (var c in s.Categories)
            {
                w.WriteStartObject();
                w.WriteNumber("id", c.Id);
                w.WriteString("name", c.Name);
                w.WriteString("shape", c.Shape.ToString());
                w.WriteNumber("weight", c.Weight);
                Range(w, "size", c.Size); Range(w, "radius", c.Radius); Range(w, "height", c.Height);
                if (c.Color is Vec3 col) Vec(w, "color", col);
                Range(w, "length", c.Length);
                if (c.Kinds is { } kinds) { w.WriteStartArray("kinds"); foreach (var k in kinds) w.WriteStringValue(k); w.WriteEndArray(); }
                w.WriteNumber("onSideProbability", c.OnSideProbability);
                if (c.Mesh is MeshRef mesh)
                {
                    // The file's content, not its path: moving the dataset keeps its keys, editing the mesh does not.
                    w.WriteString("meshSha256", mesh.Sha256);
                    w.WriteNumber("scale", mesh.Scale);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            var cam = s.Camera;
            w.WriteStartObject("camera");
            w.WriteNumber("fx", cam.Fx); w.WriteNumber("fy", cam.Fy); w.WriteNumber("cx", cam.Cx); w.WriteNumber("cy", cam.Cy);
            Vec(w, "position", cam.Position); Vec(w, "lookAt", cam.LookAt);
            w.WriteNumber("positionNoise", cam.PositionNoise); w.WriteNumber("orientationNoise", cam.OrientationNoise);
            w.WriteNumber("focalLengthVariation", cam.FocalLengthVariation);
            w.WriteStartArray("distortion"); foreach (double k in cam.Distortion.ToArray()) w.WriteNumberValue(k); w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("lighting");
            Range(w, "intensity", s.Lighting.Intensity); w.WriteNumber("colorVariation", s.Lighting.ColorVariation);
            Range(w, "ambient", s.Lighting.Ambient); Range(w, "elevation", s.Lighting.Elevation);
            w.WriteBoolean("shadows", s.Lighting.Shadows);
            if (s.Lighting.ColorTemperature is ValueRange kelvin) Range(w, "colorTemperature", kelvin);
            var pl = s.Lighting.PointLightsOrNone;
            w.WriteStartObject("pointLights");
            w.WriteStartArray("count"); w.WriteNumberValue(pl.Count.Min); w.WriteNumberValue(pl.Count.Max); w.WriteEndArray();
            Range(w, "intensity", pl.Intensity); Vec(w, "positionMin", pl.PositionMin); Vec(w, "positionMax", pl.PositionMax);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("materials");
            Range(w, "roughness", s.Materials.Roughness); Range(w, "metallic", s.Materials.Metallic);
            w.WriteNumber("colorJitter", s.Materials.ColorJitter);
            var tex = s.Materials.Textures ?? TextureSpec.None;
            w.WriteStartObject("textures");
            w.WriteNumber("probability", tex.Probability);
            Patterns(w, "patterns", tex.Patterns);
            Range(w, "scale", tex.Scale);
            Images(w, "images", tex.Folder);
            Range(w, "imageScale", tex.ImageScale);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("sensor");
            w.WriteNumber("gaussianNoiseStd", s.Sensor.GaussianNoiseStd); w.WriteNumber("depthDropout", s.Sensor.DepthDropout);
            w.WriteNumber("deadPixels", s.Sensor.DeadPixels); w.WriteNumber("depthNoise", s.Sensor.DepthNoise);
            w.WriteNumber("depthQuantization", s.Sensor.DepthQuantization); w.WriteNumber("depthEdgeThreshold", s.Sensor.DepthEdgeThreshold);
            w.WriteEndObject();
            w.WriteStartObject("background");
            w.WriteStartArray("colors"); foreach (var c in s.Background.Colors) VecValue(w, c); w.WriteEndArray();
            w.WriteStartArray("tableColors"); foreach (var c in s.Background.TableColors) VecValue(w, c); w.WriteEndArray();
            w.WriteNumber("tableSizeX", s.Background.TableSizeX); w.WriteNumber("tableSizeY", s.Background.TableSizeY);
            w.WriteString("mode", s.Background.Mode);
            w.WriteNumber("blend", s.Background.Blend);
            Patterns(w, "tablePatterns", s.Background.TablePatterns ?? DatasetSpec.Defaults.TablePatterns);
            Images(w, "images", s.Background.Images);
            Range(w, "imageZoom", s.Background.ImageZoom); Range(w, "tableImageScale", s.Background.TableImageScale);
            w.WriteEndObject();
            w.WriteStartObject("placement");
            w.WriteNumber("truncation", s.PlacementOrDefault.Truncation);
            w.WriteNumber("stacking", s.PlacementOrDefault.Stacking);
            w.WriteEndObject();
            var dis = s.DistractorsOrNone;
            w.WriteStartObject("distractors");
            w.WriteStartArray("count"); w.WriteNumberValue(dis.Count.Min); w.WriteNumberValue(dis.Count.Max); w.WriteEndArray();
            Range(w, "size", dis.Size);
            w.WriteStartArray("shapes"); foreach (var k in dis.Shapes) w.WriteStringValue(k.ToString()); w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("render");
            w.WriteNumber("supersampling", s.RenderOrDefault.Supersampling);
            w.WriteEndObject();
            var o = s.OutputsOrDefault;
            w.WriteStartObject("outputs");
            w.WriteBoolean("semantic", o.Semantic); w.WriteBoolean("pointCloud", o.PointCloud); w.WriteBoolean("normals", o.Normals);
            w.WriteEndObject();
            var cur = s.CurriculumOrDefault;
            w.WriteStartObject("curriculum");
            w.WriteString("schedule", cur.Schedule.ToString());
            w.WriteNumber("length", cur.Length); w.WriteNumber("steps", cur.Steps);
            foreach (var (name, r) in new[] { ("lightIntensityMin", cur.LightIntensityMin), ("depthDropout", cur.DepthDropout), ("objectsMax", cur.ObjectsMax), ("truncation", cur.Truncation) })
                if (r is ValueRange range) Range(w, name, range);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>SHA-256 (hex) of the canonical JSON plus the engine version.</summary>
    public static string Hash(DatasetSpec spec) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(EngineInfo.Version + "\n" + CanonicalJson(spec))));

    private static void Range(Utf8JsonWriter w, string name, ValueRange r)
    {
        w.WriteStartArray(name); w.WriteNumberValue(r.Min); w.WriteNumberValue(r.Max); w.WriteEndArray();
        // Written only when weighted (equal weights are normalised away), so adding the option kept every existing
        // dataset's sample keys. Edges and probabilities (weights over their sum) are what the draw uses.
        if (r.Bins is { } bins)
        {
            w.WriteStartObject(name + "Bins");
            w.WriteStartArray("edges"); foreach (double e in bins.Edges) w.WriteNumberValue(e); w.WriteEndArray();
            w.WriteStartArray("probabilities"); foreach (double p in bins.Probabilities) w.WriteNumberValue(p); w.WriteEndArray();
            w.WriteEndObject();
        }
    }

    /// <summary>The images' names and content hashes, not the folder's path: moving the dataset keeps its keys.</summary>
    private static void Images(Utf8JsonWriter w, string name, ImageFolderRef? folder)
    {
        w.WriteStartArray(name);
        foreach (var img in folder?.Images ?? [])
        {
            w.WriteStartArray(); w.WriteStringValue(img.Name); w.WriteStringValue(img.Sha256); w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    private static void Patterns(Utf8JsonWriter w, string name, IReadOnlyList<TexturePattern> patterns)
    {
        w.WriteStartArray(name); foreach (var p in patterns) w.WriteStringValue(p.ToString()); w.WriteEndArray();
    }

    private static void Vec(Utf8JsonWriter w, string name, Vec3 v) { w.WritePropertyName(name); VecValue(w, v); }

    private static void VecValue(Utf8JsonWriter w, Vec3 v)
    {
        w.WriteStartArray(); w.WriteNumberValue(v.X); w.WriteNumberValue(v.Y); w.WriteNumberValue(v.Z); w.WriteEndArray();
    }
}
