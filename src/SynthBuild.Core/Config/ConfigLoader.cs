using System.Text.Json;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Config;

/// <summary>Overrides that come from outside the config file (MSBuild properties such as -p:SynthSamples=N).</summary>
/// <param name="Overlays">Config overlay files (<see cref="ConfigOverlay"/>) merged over the config in order.</param>
public sealed record ConfigOverrides(string? Samples = null, string? Seed = null, string? DefaultName = null, string? OverridesSource = null,
    IReadOnlyList<string>? Overlays = null)
{
    public IReadOnlyList<string> OverlayFiles => Overlays ?? [];
}

public sealed record ConfigLoadResult(DatasetSpec? Spec, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => Spec is not null && !Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Reads a dataset config (JSON with comments), validates it against the shipped JSON Schema, checks the rules a
/// schema cannot express (min ≤ max, unique names, ...), and binds it to a <see cref="DatasetSpec"/>. Asset files
/// (meshes, image folders) are found and hashed here, not decoded: the Assets stage does that once per build.
/// Every problem becomes a diagnostic with the file, 1-based line and column, and what was expected.
/// </summary>
public static class ConfigLoader
{

    /// <summary>The JSON Schema shipped with the SDK (the same file editors use for completion).</summary>
    public static string SchemaText => ConfigSchema.Text;

    public static ConfigLoadResult Load(string path, ConfigOverrides? overrides = null)
    {
        overrides ??= new ConfigOverrides();
        if (!File.Exists(path))
            return Fail(Diagnostic.Error(SynCodes.ConfigFileNotFound,
                $"Dataset config not found: '{path}'. Create it or point SynthConfig at it.", path));
        string text;
        try { text = File.ReadAllText(path); }
        catch (IOException ex) { return Fail(Diagnostic.Error(SynCodes.ConfigFileNotFound, $"Cannot read dataset config: {ex.Message}", path)); }
        return Parse(text, path, overrides);
    }

    public static ConfigLoadResult Parse(string text, string path, ConfigOverrides? overrides = null)
    {
        overrides ??= new ConfigOverrides();
        var (positions, syntax) = JsonPositionIndex.Build(text, path);
        if (syntax is not null) return Fail(syntax);

        DerivedFrom? derivedFrom = null;
        if (overrides.OverlayFiles.Count > 0)
        {
            using (JsonDocument bare = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }))
                if (bare.RootElement.ValueKind != JsonValueKind.Object)
                    return Fail(positions!.Error(SynCodes.ConfigWrongType, new ConfigNode(bare.RootElement, ""),
                        $"Expected a JSON object at the top level, found {new ConfigNode(bare.RootElement, "").Describe()}."));
            var (merged, errors) = ConfigOverlay.Apply(text, positions!, overrides.OverlayFiles);
            if (merged is null) return new ConfigLoadResult(null, errors);
            (text, positions, derivedFrom) = (merged.Text, merged.Positions, merged.DerivedFrom);
        }

        using JsonDocument document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var root = new ConfigNode(document.RootElement, "");
        if (!root.IsObject)
            return Fail(positions!.Error(SynCodes.ConfigWrongType, root, $"Expected a JSON object at the top level, found {root.Describe()}."));

        var diagnostics = ConfigSchema.Validate(root, positions!).OrderBy(d => d.Line).ThenBy(d => d.Column).ToList();
        if (diagnostics.Count > 0) return new ConfigLoadResult(null, diagnostics);

        var binder = new ConfigBinder(root, positions!, overrides);
        DatasetSpec spec = binder.Bind();
        if (derivedFrom is not null) spec = spec with { DerivedFrom = derivedFrom };
        return binder.Diagnostics.Any(d => d.IsError)
            ? new ConfigLoadResult(null, binder.Diagnostics)
            : new ConfigLoadResult(spec, binder.Diagnostics);
    }

    private static ConfigLoadResult Fail(Diagnostic d) => new(null, [d]);
}
