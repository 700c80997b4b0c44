using SynthBuild.Core.Diagnostics;
namespace SynthBuild.Core.Config;

internal sealed partial class ConfigBinder
{
    private List<CategorySpec> BindCategories()
    {
        var result = new List<CategorySpec>();
        if (root.Array("categories") is not { } arr)
        {
            // The original tool's three primitive categories.
            result.Add(new CategorySpec(1, "box", ShapeKind.Box, 1, DatasetSpec.Defaults.BoxSize, default, default, null));
            result.Add(new CategorySpec(2, "cylinder", ShapeKind.Cylinder, 1, default, DatasetSpec.Defaults.Radius, DatasetSpec.Defaults.CylinderHeight, null,
                OnSideProbability: DatasetSpec.Defaults.CylinderOnSide));
            result.Add(new CategorySpec(3, "sphere", ShapeKind.Sphere, 1, default, DatasetSpec.Defaults.Radius, default, null));
            return result;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        double totalWeight = 0;
        for (int i = 0; i < arr.Count; i++)
        {
            ConfigNode c = arr[i];
            string name = c.Str("name")!;
            if (!seen.Add(name))
                Error(SynCodes.ConfigContradictory, c["name"]!.Value, $"categories[{i}].name '{name}' is already used by an earlier category; names must be unique.");
            var shape = Enum.Parse<ShapeKind>(c.Str("shape")!, ignoreCase: true);
            foreach (var (key, shapes) in KeysByShape)
                if (!shapes.Contains(shape) && c[key] is { } stray)
                    Error(SynCodes.ConfigUnknownKey, stray, $"categories[{i}].{key} does not apply to shape '{c.Str("shape")}'. {ShapeKeys(shape)}", atKey: true);
            IReadOnlyList<string>? kinds = null;
            if (shape is ShapeKind.Tool or ShapeKind.Part)
            {
                var allowedKinds = shape == ShapeKind.Tool ? DatasetSpec.Defaults.ToolKinds : DatasetSpec.Defaults.PartKinds;
                kinds = allowedKinds;
                if (c.Array("kinds") is { } ka)
                {
                    kinds = ka.Items.Select(k => k.AsString).ToList();
                    foreach (ConfigNode k in ka.Items)
                        if (!allowedKinds.Contains(k.AsString))
                            Error(SynCodes.ConfigContradictory, k, $"categories[{i}].kinds: '{k.AsString}' is not a kind of {c.Str("shape")}; expected one of {string.Join(", ", allowedKinds.Select(a => $"'{a}'"))}.");
                }
            }
            double weight = c.Dbl("weight") ?? 1;
            totalWeight += weight;
            MeshRef? mesh = shape == ShapeKind.Mesh ? BindMesh(c, i) : null;
            (ValueRange radius, ValueRange height) = shape switch
            {
                ShapeKind.Mug => (DatasetSpec.Defaults.MugRadius, DatasetSpec.Defaults.MugHeight),
                ShapeKind.Bottle => (DatasetSpec.Defaults.BottleRadius, DatasetSpec.Defaults.BottleHeight),
                ShapeKind.Cylinder => (DatasetSpec.Defaults.Radius, DatasetSpec.Defaults.CylinderHeight),
                ShapeKind.Sphere => (DatasetSpec.Defaults.Radius, default),
                _ => (default(ValueRange), default(ValueRange)),
            };
            result.Add(new CategorySpec(
                i + 1, name, shape, weight,
                shape == ShapeKind.Box ? RangeOf(c, "size", DatasetSpec.Defaults.BoxSize)
                    : shape == ShapeKind.Part ? RangeOf(c, "size", DatasetSpec.Defaults.PartSize) : default,
                radius == default ? default : RangeOf(c, "radius", radius),
                height == default ? default : RangeOf(c, "height", height),
                c.Vec("color"),
                shape == ShapeKind.Tool ? RangeOf(c, "length", DatasetSpec.Defaults.ToolLength) : default,
                kinds,
                c.Dbl("onSideProbability") ?? shape switch
                {
                    ShapeKind.Cylinder => DatasetSpec.Defaults.CylinderOnSide,
                    ShapeKind.Bottle => DatasetSpec.Defaults.BottleOnSide,
                    _ => 0,
                },
                mesh));
        }
        if (totalWeight <= 0)
            Error(SynCodes.ConfigContradictory, arr, "categories: the weights add up to 0; at least one category needs a positive weight.");
        return result;
    }

    /// <summary>A mesh category's file, found and hashed (SYN1000 when missing); whether it decodes is the Assets stage's check.</summary>
    private MeshRef? BindMesh(ConfigNode c, int i)
    {
        double scale = c.Dbl("scale") ?? 1;
        if (c["file"] is not { } fileToken)
        {
            Error(SynCodes.ConfigMissingKey, c, $"Missing required key 'file' in categories[{i}]: a mesh category needs a Wavefront OBJ or glTF 2.0 (.gltf/.glb) file.");
            return null;
        }
        string relative = fileToken.AsString;
        string meshFile = Resolve(relative);
        if (!File.Exists(meshFile))
        {
            Error(SynCodes.ConfigFileNotFound, fileToken, $"categories[{i}].file: mesh file '{relative}' not found (looked for '{meshFile}').");
            return null;
        }
        try
        {
            return new MeshRef(meshFile, AssetHash.Mesh(meshFile), scale, positions.Value(fileToken.Path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Error(SynCodes.BadMesh, fileToken, $"categories[{i}].file: {ex.Message}");
            return null;
        }
    }

    private static readonly (string Key, ShapeKind[] Shapes)[] KeysByShape =
    [
        ("size", [ShapeKind.Box, ShapeKind.Part]),
        ("radius", [ShapeKind.Cylinder, ShapeKind.Sphere, ShapeKind.Mug, ShapeKind.Bottle]),
        ("height", [ShapeKind.Cylinder, ShapeKind.Mug, ShapeKind.Bottle]),
        ("length", [ShapeKind.Tool]),
        ("kinds", [ShapeKind.Tool, ShapeKind.Part]),
        ("onSideProbability", [ShapeKind.Cylinder, ShapeKind.Bottle]),
        ("file", [ShapeKind.Mesh]),
        ("scale", [ShapeKind.Mesh]),
    ];

    private static string ShapeKeys(ShapeKind shape)
    {
        var keys = KeysByShape.Where(k => k.Shapes.Contains(shape)).Select(k => $"'{k.Key}'").ToList();
        string article = $"A {shape.ToString().ToLowerInvariant()}";
        return $"{article} takes {string.Join(", ", keys.Take(keys.Count - 1))}{(keys.Count > 1 ? " and " : "")}{keys[^1]}.";
    }
}
