using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Scene;

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
                w.WriteEndObject();
            }
            w.WriteEndArray();
            var cam = s.Camera;
            w.WriteStartObject("camera");
            w.WriteNumber("fx", cam.Fx); w.WriteNumber("fy", cam.Fy); w.WriteNumber("cx", cam.Cx); w.WriteNumber("cy", cam.Cy);
            Vec(w, "position", cam.Position); Vec(w, "lookAt", cam.LookAt);
            w.WriteNumber("positionNoise", cam.PositionNoise); w.WriteNumber("orientationNoise", cam.OrientationNoise);
            w.WriteNumber("focalLengthVariation", cam.FocalLengthVariation);
            w.WriteEndObject();
            w.WriteStartObject("lighting");
            Range(w, "intensity", s.Lighting.Intensity); w.WriteNumber("colorVariation", s.Lighting.ColorVariation);
            Range(w, "ambient", s.Lighting.Ambient); Range(w, "elevation", s.Lighting.Elevation);
            w.WriteEndObject();
            w.WriteStartObject("materials");
            Range(w, "roughness", s.Materials.Roughness); Range(w, "metallic", s.Materials.Metallic);
            w.WriteNumber("colorJitter", s.Materials.ColorJitter);
            w.WriteEndObject();
            w.WriteStartObject("sensor");
            w.WriteNumber("gaussianNoiseStd", s.Sensor.GaussianNoiseStd); w.WriteNumber("depthDropout", s.Sensor.DepthDropout);
            w.WriteEndObject();
            w.WriteStartObject("background");
            w.WriteStartArray("colors"); foreach (var c in s.Background.Colors) VecValue(w, c); w.WriteEndArray();
            w.WriteStartArray("tableColors"); foreach (var c in s.Background.TableColors) VecValue(w, c); w.WriteEndArray();
            w.WriteNumber("tableSizeX", s.Background.TableSizeX); w.WriteNumber("tableSizeY", s.Background.TableSizeY);
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
    }

    private static void Vec(Utf8JsonWriter w, string name, Vec3 v) { w.WritePropertyName(name); VecValue(w, v); }

    private static void VecValue(Utf8JsonWriter w, Vec3 v)
    {
        w.WriteStartArray(); w.WriteNumberValue(v.X); w.WriteNumberValue(v.Y); w.WriteNumberValue(v.Z); w.WriteEndArray();
    }
}
