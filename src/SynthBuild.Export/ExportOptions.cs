using System.Globalization;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;

namespace SynthBuild.Export;

public enum ExportFormat { Coco, Yolo, YoloSeg, TfRecord, NumPy, Onnx }

/// <summary>
/// One selected export: its format and its options, each already validated and defaulted. <see cref="Canonical"/>
/// spells the options in a fixed order; it is part of the export's stamp, so changing an option reruns the export.
/// </summary>
public sealed record ExportRequest(ExportFormat Format, IReadOnlyDictionary<string, string> Options)
{
    public string Name => ExportOptions.NameOf(Format);
    public string Canonical => Name + "?" + string.Join("&", Options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => o.Key + "=" + o.Value));

    public string Get(string key) => Options[key];
    public bool Flag(string key) => Options[key] == "true";
    public int Int(string key) => int.Parse(Options[key], CultureInfo.InvariantCulture);
    public float[] Floats(string key) => Options[key].Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}

/// <summary>Parses export selections (name + options, e.g. from MSBuild item metadata) into <see cref="ExportRequest"/>s.</summary>
public static class ExportOptions
{
    private sealed record OptionSpec(string Default, Func<string, string?> Validate, string Expected);

    private static readonly OptionSpec Bool = new("true", v => v.ToLowerInvariant() is "true" or "false" ? v.ToLowerInvariant() : null, "true or false");
    private static OptionSpec BoolDefault(bool d) => Bool with { Default = d ? "true" : "false" };
    private static OptionSpec IntRange(int d, int min, int max) => new(d.ToString(CultureInfo.InvariantCulture),
        v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) && i >= min && i <= max ? i.ToString(CultureInfo.InvariantCulture) : null,
        $"an integer from {min} to {max}");
    private static OptionSpec OneOf(string d, params string[] values) => new(d,
        v => values.FirstOrDefault(x => string.Equals(x, v, StringComparison.OrdinalIgnoreCase)), "one of " + string.Join(", ", values));
    private static OptionSpec FloatTriple(string d, bool positive) => new(d, v =>
        {
            var parts = v.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length != 3) return null;
            var f = new float[3];
            for (int i = 0; i < 3; i++)
                if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out f[i]) || !float.IsFinite(f[i]) || (positive && f[i] <= 0)) return null;
            return string.Join(",", f.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        }, positive ? "three positive numbers separated by commas (R,G,B)" : "three numbers separated by commas (R,G,B)");

    private static readonly Dictionary<ExportFormat, Dictionary<string, OptionSpec>> Specs = new()
    {
        [ExportFormat.Coco] = new(StringComparer.OrdinalIgnoreCase)
        {
            ["Segmentation"] = OneOf("polygons", "polygons", "rle"),
            ["Keypoints"] = BoolDefault(true),
        },
        [ExportFormat.Yolo] = new(StringComparer.OrdinalIgnoreCase),
        [ExportFormat.YoloSeg] = new(StringComparer.OrdinalIgnoreCase),
        [ExportFormat.TfRecord] = new(StringComparer.OrdinalIgnoreCase)
        {
            ["Shards"] = IntRange(4, 1, 1024),
            ["Masks"] = BoolDefault(true),
            ["Depth"] = BoolDefault(true),
        },
        [ExportFormat.NumPy] = new(StringComparer.OrdinalIgnoreCase)
        {
            ["Depth"] = BoolDefault(true),
            ["Masks"] = BoolDefault(true),
        },
        [ExportFormat.Onnx] = new(StringComparer.OrdinalIgnoreCase)
        {
            ["Samples"] = IntRange(16, 1, 100_000),
            ["Width"] = IntRange(224, 1, 8192),
            ["Height"] = IntRange(224, 1, 8192),
            ["Mean"] = FloatTriple("0.485,0.456,0.406", positive: false),
            ["Std"] = FloatTriple("0.229,0.224,0.225", positive: true),
            ["Split"] = OneOf("val", "train", "val", "test"),
        },
    };

    public static readonly IReadOnlyList<string> FormatNames = ["coco", "yolo", "yolo-seg", "tfrecord", "numpy", "onnx"];

    public static string NameOf(ExportFormat f) => FormatNames[(int)f];

    /// <summary>
    /// Validates the selected exports. <paramref name="file"/> is where they were declared (the project), for the
    /// diagnostics, <paramref name="itemType"/> the item that declares them. Returns null requests when any selection is invalid.
    /// </summary>
    public static IReadOnlyList<ExportRequest>? Parse(IEnumerable<(string Name, IReadOnlyDictionary<string, string> Options)> selections, string? file,
        List<Diagnostic> diagnostics, string itemType = "SynthExport")
    {
        var requests = new List<ExportRequest>();
        bool ok = true;
        foreach (var (rawName, options) in selections)
        {
            string name = rawName.Trim();
            var (line, column) = ProjectItemLocator.Locate(file, itemType, name);
            int formatIndex = FormatNames.ToList().FindIndex(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
            if (formatIndex < 0)
            {
                diagnostics.Add(Diagnostic.Error(SynCodes.UnknownExportFormat, $"Unknown export format '{name}': expected one of {string.Join(", ", FormatNames)}.", file, line, column));
                ok = false;
                continue;
            }
            var format = (ExportFormat)formatIndex;
            if (requests.Any(r => r.Format == format))
            {
                diagnostics.Add(Diagnostic.Error(SynCodes.DuplicateExport, $"Export '{NameOf(format)}' is selected twice: select each format once.", file, line, column));
                ok = false;
                continue;
            }
            var spec = Specs[format];
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in options)
            {
                if (!spec.TryGetValue(key, out var o))
                {
                    string known = spec.Count == 0 ? "it takes no options" : "expected one of " + string.Join(", ", spec.Keys);
                    diagnostics.Add(Diagnostic.Error(SynCodes.BadExportOption, $"Export '{NameOf(format)}' has no option '{key}': {known}.", file, line, column));
                    ok = false;
                    continue;
                }
                string? normal = o.Validate(value.Trim());
                if (normal is null)
                {
                    diagnostics.Add(Diagnostic.Error(SynCodes.BadExportOption, $"Export '{NameOf(format)}' option {CanonicalKey(spec, key)}='{value}': expected {o.Expected}.", file, line, column));
                    ok = false;
                    continue;
                }
                values[CanonicalKey(spec, key)] = normal;
            }
            foreach (var (key, o) in spec)
                values.TryAdd(key, o.Default);
            requests.Add(new ExportRequest(format, values));
        }
        return ok ? requests : null;
    }

    private static string CanonicalKey(Dictionary<string, OptionSpec> spec, string key) => spec.Keys.First(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every format with its default options (the example dataset's selection).</summary>
    public static IReadOnlyList<ExportRequest> AllDefaults()
    {
        var d = new List<Diagnostic>();
        return Parse(FormatNames.Select(n => (n, (IReadOnlyDictionary<string, string>)new Dictionary<string, string>())), null, d)!;
    }

    public static Split ParseSplit(string s) => s switch { "train" => Split.Train, "val" => Split.Val, _ => Split.Test };
}
