using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SynthBuild.Core.Config;

namespace SynthBuild.Lineage;

/// <summary>The config a build actually used (after overrides and defaults), as JSON and as flat key/value params.</summary>
public static class EffectiveConfig
{
    /// <summary>The spec's canonical form plus its name and sample count (which the fingerprint leaves out).</summary>
    public static string Json(DatasetSpec spec)
    {
        var canonical = JsonNode.Parse(SpecFingerprint.CanonicalJson(spec))!.AsObject();
        var o = new JsonObject { ["name"] = spec.Name, ["samples"] = spec.Samples };
        foreach (var (k, v) in canonical.ToList())
        {
            canonical.Remove(k);
            o[k] = v;
        }
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>
    /// Flattens JSON into dotted keys: objects by property name, arrays of scalars as one compact JSON value
    /// (a range stays "[0.1,0.9]"), other arrays by element, named by the element's "name" when it has one.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Flatten(string json)
    {
        var result = new List<KeyValuePair<string, string>>();
        using var doc = JsonDocument.Parse(json);
        Walk(doc.RootElement, "", result);
        return result;
    }

    private static void Walk(JsonElement e, string prefix, List<KeyValuePair<string, string>> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Walk(p.Value, Join(prefix, p.Name), into);
                break;
            case JsonValueKind.Array when e.EnumerateArray().All(x => x.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)):
                into.Add(new(prefix, Compact(e)));
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var x in e.EnumerateArray())
                {
                    string segment = x.ValueKind == JsonValueKind.Object && x.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                        ? n.GetString()! : i.ToString(CultureInfo.InvariantCulture);
                    Walk(x, Join(prefix, segment), into);
                    i++;
                }
                break;
            case JsonValueKind.String:
                into.Add(new(prefix, e.GetString()!));
                break;
            default:
                into.Add(new(prefix, e.GetRawText()));
                break;
        }
    }

    private static string Compact(JsonElement e)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) e.WriteTo(w);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}
