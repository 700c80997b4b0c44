using System.Globalization;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Evaluation;

namespace SynthBuild.Models.Onnx;

/// <summary>
/// Model class → dataset category id. Without a file: torchvision labels and TF OD API classes are category ids
/// (both count from 1, 0 being background); a YOLO class index c is category c + 1, as the YOLO export writes it.
/// A file maps explicitly: {"0": "box", "1": 3} (values are category names or ids).
/// </summary>
public sealed class ClassMap
{
    private readonly Dictionary<int, long>? _explicit;
    private readonly int _offset;
    private readonly HashSet<long> _categories;
    private readonly string _categoryList;
    public string Description { get; }

    private ClassMap(Dictionary<int, long>? map, int offset, CocoGroundTruth gt, string description)
    {
        _explicit = map;
        _offset = offset;
        _categories = gt.Categories.Select(c => c.Id).ToHashSet();
        _categoryList = string.Join(", ", gt.Categories.Select(c => $"{c.Id} {c.Name}"));
        Description = description;
    }

    public static ClassMap Default(DetectionLayout layout, CocoGroundTruth gt) =>
        layout == DetectionLayout.Yolo
            ? new ClassMap(null, 1, gt, "yolo class c = category id c+1")
            : new ClassMap(null, 0, gt, "model class = category id");

    /// <exception cref="DiagnosticException">SYN8006 for an unreadable or malformed file or a name that is no category.</exception>
    public static ClassMap Load(string file, CocoGroundTruth gt)
    {
        DiagnosticException Bad(string message) => ModelErrors.Error(SynCodes.ModelClassMapInvalid, message, file);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(file)); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw Bad($"Cannot read the class map: {ex.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Bad("A class map is a JSON object from model class index to category name or id, e.g. {\"0\": \"box\"}.");
            var byName = gt.Categories.GroupBy(c => c.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Id, StringComparer.Ordinal);
            var ids = gt.Categories.Select(c => c.Id).ToHashSet();
            var map = new Dictionary<int, long>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!int.TryParse(p.Name, NumberStyles.Integer, CultureInfo.InvariantCulture, out int cls))
                    throw Bad($"Key '{p.Name}': model class indices are integers.");
                long id = p.Value.ValueKind switch
                {
                    JsonValueKind.String when byName.TryGetValue(p.Value.GetString()!, out long byNameId) => byNameId,
                    JsonValueKind.String => throw Bad($"Class {cls}: '{p.Value.GetString()}' is not a category of the dataset (categories: {string.Join(", ", byName.Keys)})."),
                    JsonValueKind.Number when p.Value.TryGetInt64(out long n) && ids.Contains(n) => n,
                    _ => throw Bad($"Class {cls}: {p.Value.GetRawText()} is not a category name or id of the dataset."),
                };
                map[cls] = id;
            }
            return new ClassMap(map, 0, gt, $"from {file}");
        }
    }

    /// <exception cref="DiagnosticException">SYN8007 when the class maps to no category.</exception>
    public long CategoryOf(int modelClass, string modelPath, string image)
    {
        if (_explicit is not null)
        {
            if (_explicit.TryGetValue(modelClass, out long id)) return id;
            throw ModelErrors.Error(SynCodes.ModelClassUnmapped,
                $"The model predicted class {modelClass} on {image}, which the class map ({Description}) does not map to a category.", modelPath);
        }
        long cat = modelClass + _offset;
        if (_categories.Contains(cat)) return cat;
        throw ModelErrors.Error(SynCodes.ModelClassUnmapped,
            $"The model predicted class {modelClass} on {image}: {Description} gives {cat}, which is not a category of the dataset ({_categoryList}). Map the model's classes with --class-map.", modelPath);
    }
}
