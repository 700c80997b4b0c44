using System.Text.Json;
using System.Text.Json.Nodes;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Config;

/// <summary>
/// Where a dataset derived from an overlay came from: the parent dataset's digest, a name and the reason (e.g. the
/// failure modes <c>synth target</c> aimed at), and the overlay file that said so. Lineage only: it is not part of
/// the spec's fingerprint, so it changes no sample.
/// </summary>
public sealed record DerivedFrom(string? Dataset, string? Name, string? Reason, string Overlay);

/// <summary>
/// Config overlays: JSON files applied over the dataset config in order as a JSON merge patch (RFC 7396: objects
/// merge, arrays and scalars replace, null removes). The merged document is validated like any config; each value's
/// position is the file it came from (<see cref="JsonPositionIndex.WithOverlays"/>). An overlay's top-level
/// <see cref="ProvenanceKey"/> member is metadata, stripped before the merge.
/// </summary>
public static class ConfigOverlay
{
    /// <summary>The provenance block of an overlay. Config keys are camelCase identifiers; a '$' name cannot be one.</summary>
    public const string ProvenanceKey = "$derivedFrom";

    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip };

    internal sealed record Merged(string Text, JsonPositionIndex Positions, DerivedFrom? DerivedFrom);

    /// <summary>
    /// <paramref name="baseText"/> (already known to be syntactically valid JSON) with the overlay files merged over
    /// it, or the diagnostics that stop it (each naming the overlay file).
    /// </summary>
    internal static (Merged? Result, IReadOnlyList<Diagnostic> Diagnostics) Apply(string baseText, JsonPositionIndex basePositions, IReadOnlyList<string> overlays)
    {
        JsonNode? merged = JsonNode.Parse(baseText, documentOptions: Options);
        var indices = new List<JsonPositionIndex>();
        var diagnostics = new List<Diagnostic>();
        DerivedFrom? derived = null;
        foreach (string file in overlays)
        {
            string text;
            try { text = File.ReadAllText(file); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                diagnostics.Add(Diagnostic.Error(SynCodes.OverlayNotFound,
                    File.Exists(file) ? $"Cannot read config overlay: {ex.Message}" : $"Config overlay not found: '{file}'. Check SynthConfigOverlay (or --overlay).", file));
                continue;
            }
            var (index, syntax) = JsonPositionIndex.Build(text, file);
            if (syntax is not null) { diagnostics.Add(syntax); continue; }
            JsonNode? patch = JsonNode.Parse(text, documentOptions: Options);
            if (patch is not JsonObject patchObject)
            {
                var p = index!.Value("");
                diagnostics.Add(Diagnostic.Error(SynCodes.OverlayNotObject,
                    $"A config overlay must be a JSON object (a merge patch of the config), found {Describe(patch)}.", file, p.Line, p.Column));
                continue;
            }
            if (patchObject.ContainsKey(ProvenanceKey))
            {
                var (d, error) = ReadProvenance(patchObject[ProvenanceKey], index!, file);
                if (error is not null) diagnostics.Add(error);
                else if (derived is not null)
                {
                    var p = index!.Key(ProvenanceKey);
                    diagnostics.Add(Diagnostic.Error(SynCodes.OverlayProvenanceInvalid,
                        $"{ProvenanceKey}: '{derived.Overlay}' already says where this dataset derives from; only one overlay of a build may.", file, p.Line, p.Column));
                }
                else derived = d;
                patchObject.Remove(ProvenanceKey);
            }
            indices.Add(index!);
            merged = MergePatch(merged, patchObject);
        }
        if (diagnostics.Count > 0) return (null, diagnostics);
        return (new Merged(merged!.ToJsonString(), basePositions.WithOverlays(indices), derived), []);
    }

    /// <summary>RFC 7396 MergePatch(target, patch).</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p) return patch?.DeepClone();
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in p.ToList())
        {
            if (value is null) { result.Remove(key); continue; }
            JsonNode? existing = result.TryGetPropertyValue(key, out var e) ? e : null;
            result.Remove(key);
            result[key] = MergePatch(existing, value);
        }
        return result;
    }

    private static (DerivedFrom? Value, Diagnostic? Error) ReadProvenance(JsonNode? node, JsonPositionIndex index, string file)
    {
        Diagnostic Bad(string path, string message)
        {
            var p = index.Value(path);
            return Diagnostic.Error(SynCodes.OverlayProvenanceInvalid, $"{path}: {message}", file, p.Line, p.Column);
        }
        if (node is not JsonObject o) return (null, Bad(ProvenanceKey, $"expected an object with dataset, name and reason, found {Describe(node)}."));
        string?[] values = new string?[3];
        string[] names = ["dataset", "name", "reason"];
        foreach (var (key, value) in o)
        {
            int at = Array.IndexOf(names, key);
            if (at < 0) return (null, Bad($"{ProvenanceKey}.{key}", $"unknown member '{key}'; expected dataset, name or reason."));
            if (value is null) continue;
            if (value.GetValueKind() != JsonValueKind.String) return (null, Bad($"{ProvenanceKey}.{key}", $"expected a string, found {Describe(value)}."));
            values[at] = value.GetValue<string>();
        }
        return (new DerivedFrom(values[0], values[1], values[2], file), null);
    }

    private static string Describe(JsonNode? n) => n is null ? "null" : n.GetValueKind() switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => n.ToJsonString(),
    };
}
