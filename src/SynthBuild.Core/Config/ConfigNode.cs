using System.Globalization;
using System.Text.Json;
using SynthBuild.Core.Geometry;

namespace SynthBuild.Core.Config;

/// <summary>
/// A value of the config with its path (the key under which <see cref="JsonPositionIndex"/> knows its position).
/// The accessors assume the schema has checked the value's type.
/// </summary>
public readonly struct ConfigNode
{
    // The path is built only when asked for (diagnostics): binding reads many values and reports few.
    private readonly string _parent;
    private readonly string? _key;
    private readonly int _index;

    public ConfigNode(JsonElement json, string path) : this(json, path, null, -1) { }

    private ConfigNode(JsonElement json, string parent, string? key, int index) => (Json, _parent, _key, _index) = (json, parent, key, index);

    public JsonElement Json { get; }
    /// <summary>"camera.intrinsics.fx", "categories[0].name"; "" for the document's root.</summary>
    public string Path => _key is not null ? (_parent.Length == 0 ? _key : _parent + "." + _key)
        : _index >= 0 ? $"{_parent}[{_index}]" : _parent;

    public JsonValueKind Kind => Json.ValueKind;
    public bool IsObject => Json.ValueKind == JsonValueKind.Object;
    public bool IsArray => Json.ValueKind == JsonValueKind.Array;

    /// <summary>The member <paramref name="key"/> of an object; null when absent or when this is not an object.</summary>
    public ConfigNode? this[string key] =>
        IsObject && Json.TryGetProperty(key, out JsonElement v) ? new ConfigNode(v, Path, key, -1) : null;

    public ConfigNode this[int index] => new(Json[index], Path, null, index);
    public int Count => Json.GetArrayLength();
    public IEnumerable<ConfigNode> Items
    {
        get { string path = Path; return Json.EnumerateArray().Select((e, i) => new ConfigNode(e, path, null, i)); }
    }

    /// <summary>The member <paramref name="key"/> when it is an object.</summary>
    public ConfigNode? Object(string key) => this[key] is { IsObject: true } o ? o : null;
    /// <summary>The member <paramref name="key"/> when it is an array.</summary>
    public ConfigNode? Array(string key) => this[key] is { IsArray: true } a ? a : null;

    public string AsString => Json.GetString()!;
    public double AsDouble => Json.GetDouble();
    public long AsLong => Json.GetInt64();
    public bool AsBool => Json.GetBoolean();

    public string? Str(string key) => this[key]?.AsString;
    public long? Long(string key) => this[key]?.AsLong;
    public double? Dbl(string key) => this[key]?.AsDouble;
    public bool? Bool(string key) => this[key]?.AsBool;
    public Vec3? Vec(string key) => Array(key) is { } a ? ToVec(a) : null;
    public IReadOnlyList<Vec3>? Vecs(string key) => Array(key) is { } a ? a.Items.Select(ToVec).ToList() : null;

    private static Vec3 ToVec(ConfigNode a) => new(a[0].AsDouble, a[1].AsDouble, a[2].AsDouble);

    /// <summary>Every object and array below this value, depth first in document order.</summary>
    public IEnumerable<ConfigNode> Descendants()
    {
        if (IsObject)
            foreach (JsonProperty p in Json.EnumerateObject())
            {
                var child = this[p.Name]!.Value;
                yield return child;
                foreach (var d in child.Descendants()) yield return d;
            }
        else if (IsArray)
            foreach (var child in Items)
            {
                yield return child;
                foreach (var d in child.Descendants()) yield return d;
            }
    }

    /// <summary>The value as a diagnostic shows it: strings quoted, numbers as written by the schema validator.</summary>
    public string Describe() => Json.ValueKind switch
    {
        JsonValueKind.String => $"\"{Json.GetString()}\"",
        JsonValueKind.Number => Number(Json),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => $"an array of {Json.GetArrayLength()}",
        JsonValueKind.Object => "an object",
        _ => Json.ValueKind.ToString(),
    };

    /// <summary>An integer as its value, a fraction or exponent form as the shortest round-trip double (with ".0" when
    /// integral), which is how the schema validator's tokens print numbers.</summary>
    private static string Number(JsonElement e)
    {
        string raw = e.GetRawText();
        if (raw.IndexOfAny(['.', 'e', 'E']) < 0)
            return e.TryGetInt64(out long l) ? l.ToString(CultureInfo.InvariantCulture) : raw;
        string r = e.GetDouble().ToString("R", CultureInfo.InvariantCulture);
        return double.IsFinite(e.GetDouble()) && r.IndexOfAny(['.', 'E', 'e']) < 0 ? r + ".0" : r;
    }

    public override string ToString() => Path;
}
