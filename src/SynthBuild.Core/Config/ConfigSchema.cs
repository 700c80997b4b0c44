using System.Globalization;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Core.Config;

/// <summary>
/// The shipped JSON Schema and the mapping of its validation errors to positioned SYN1xxx diagnostics. The validator
/// (NJsonSchema) works on Newtonsoft tokens; this is the only place that uses them: its error paths are mapped back
/// to positions through the <see cref="JsonPositionIndex"/> and to values through the <see cref="ConfigNode"/>.
/// </summary>
public static class ConfigSchema
{
    /// <summary>The JSON Schema shipped with the SDK (the same file editors use for completion).</summary>
    public static string Text { get; } = ReadResource();

    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromJsonAsync(Text).GetAwaiter().GetResult());

    /// <summary>
    /// Checks <paramref name="node"/> against the whole schema, or against one of its definitions (e.g. "augment.rotate"
    /// for an augmentation step, a union the validator cannot select by itself). Diagnostics name absolute paths.
    /// </summary>
    public static IReadOnlyList<Diagnostic> Validate(ConfigNode node, JsonPositionIndex positions, string? definition = null)
    {
        JsonSchema schema = definition is null ? Schema.Value : Schema.Value.Definitions[definition];
        JToken token = JToken.Parse(node.Json.GetRawText(), new JsonLoadSettings { LineInfoHandling = LineInfoHandling.Ignore });
        return Flatten(schema.Validate(token)).Select(e => ToDiagnostic(e, node, positions)).Distinct().ToList();
    }

    private static IEnumerable<ValidationError> Flatten(IEnumerable<ValidationError> errors)
    {
        foreach (ValidationError e in errors)
        {
            if (e is ChildSchemaValidationError child && child.Errors.Count > 0)
            {
                foreach (var inner in Flatten(child.Errors.SelectMany(kv => kv.Value)))
                    yield return inner;
            }
            else
            {
                yield return e;
            }
        }
    }

    private static Diagnostic ToDiagnostic(ValidationError e, ConfigNode node, JsonPositionIndex positions)
    {
        string relative = (e.Path ?? "").TrimStart('#').TrimStart('/');
        string path = relative.Length == 0 ? node.Path
            : node.Path.Length == 0 ? relative
            : relative[0] == '[' ? node.Path + relative : node.Path + "." + relative;
        string where = path.Length == 0 ? "(root)" : path;
        // An unknown key is shown at the key; a missing one at the object that lacks it; anything else at its value.
        SourcePosition at = e.Kind switch
        {
            ValidationErrorKind.NoAdditionalPropertiesAllowed => positions.Key(path),
            ValidationErrorKind.PropertyRequired => positions.Value(ParentPath(path)),
            _ => positions.Value(path),
        };
        JsonSchema? s = e.Schema;
        string found = Resolve(node, relative)?.Describe() ?? "";
        (string code, string message) = e.Kind switch
        {
            ValidationErrorKind.NoAdditionalPropertiesAllowed =>
                (SynCodes.ConfigUnknownKey, $"Unknown key '{e.Property}' in {ParentOf(where)}. {SuggestKey(e)}"),
            ValidationErrorKind.PropertyRequired =>
                (SynCodes.ConfigMissingKey, $"Missing required key '{e.Property}' in {ParentOf(where)}."),
            ValidationErrorKind.IntegerExpected => (SynCodes.ConfigWrongType, $"{where}: expected an integer, found {found}."),
            ValidationErrorKind.NumberExpected => (SynCodes.ConfigWrongType, $"{where}: expected a number, found {found}."),
            ValidationErrorKind.StringExpected => (SynCodes.ConfigWrongType, $"{where}: expected a string, found {found}."),
            ValidationErrorKind.BooleanExpected => (SynCodes.ConfigWrongType, $"{where}: expected true or false, found {found}."),
            ValidationErrorKind.ArrayExpected => (SynCodes.ConfigWrongType, $"{where}: expected an array, found {found}."),
            ValidationErrorKind.ObjectExpected => (SynCodes.ConfigWrongType, $"{where}: expected an object, found {found}."),
            ValidationErrorKind.NumberTooSmall => (SynCodes.ConfigOutOfRange,
                $"{where}: {found} is too small; expected {(s?.IsExclusiveMinimum == true || s?.ExclusiveMinimum is not null ? "> " : ">= ")}{Num(s?.ExclusiveMinimum ?? s?.Minimum)}."),
            ValidationErrorKind.NumberTooBig => (SynCodes.ConfigOutOfRange,
                $"{where}: {found} is too large; expected {(s?.IsExclusiveMaximum == true || s?.ExclusiveMaximum is not null ? "< " : "<= ")}{Num(s?.ExclusiveMaximum ?? s?.Maximum)}."),
            ValidationErrorKind.TooFewItems => (SynCodes.ConfigOutOfRange, $"{where}: expected at least {s?.MinItems} item(s), found {found}."),
            ValidationErrorKind.TooManyItems => (SynCodes.ConfigOutOfRange, $"{where}: expected at most {s?.MaxItems} item(s), found {found}."),
            ValidationErrorKind.StringTooShort => (SynCodes.ConfigOutOfRange, $"{where}: expected at least {s?.MinLength} character(s)."),
            ValidationErrorKind.StringTooLong => (SynCodes.ConfigOutOfRange, $"{where}: expected at most {s?.MaxLength} character(s)."),
            ValidationErrorKind.PatternMismatch => (SynCodes.ConfigOutOfRange, $"{where}: {found} does not match {s?.Pattern}."),
            ValidationErrorKind.NotInEnumeration => (SynCodes.ConfigOutOfRange,
                $"{where}: {found} is not allowed; expected one of {string.Join(", ", s?.Enumeration.Select(v => $"'{v}'") ?? [])}."),
            _ => (SynCodes.ConfigOutOfRange, $"{where}: invalid value {found} ({e.Kind}).")
        };
        return Diagnostic.Error(code, message, at.File, at.Line, at.Column);
    }

    /// <summary>The value at a validator path relative to <paramref name="node"/> ("a.b[2][0]"); null when there is none.</summary>
    private static ConfigNode? Resolve(ConfigNode node, string relative)
    {
        ConfigNode? current = node;
        int i = 0;
        while (current is { } c && i < relative.Length)
        {
            if (relative[i] == '.') { i++; continue; }
            if (relative[i] == '[')
            {
                int close = relative.IndexOf(']', i);
                int index = int.Parse(relative.AsSpan(i + 1, close - i - 1), CultureInfo.InvariantCulture);
                current = c.IsArray && index < c.Count ? c[index] : null;
                i = close + 1;
                continue;
            }
            int end = relative.IndexOfAny(['.', '['], i);
            if (end < 0) end = relative.Length;
            current = c[relative[i..end]];
            i = end;
        }
        return current;
    }

    private static string ParentPath(string path)
    {
        int dot = path.LastIndexOf('.');
        return dot < 0 ? "" : path[..dot];
    }

    private static string SuggestKey(ValidationError e)
    {
        JsonSchema? s = e.Schema;
        if (s is null || e.Property is null) return "";
        var known = s.ActualSchema.ActualProperties.Keys.Where(k => k != "$schema").ToList();
        string? best = known.OrderBy(k => Levenshtein(k.ToLowerInvariant(), e.Property.ToLowerInvariant())).FirstOrDefault();
        string list = $"Expected one of: {string.Join(", ", known)}.";
        return best is not null && Levenshtein(best.ToLowerInvariant(), e.Property.ToLowerInvariant()) <= 3
            ? $"Did you mean '{best}'? {list}" : list;
    }

    private static int Levenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }

    private static string ParentOf(string path)
    {
        int dot = path.LastIndexOfAny(['.', '[']);
        return dot <= 0 ? "the top-level object" : $"'{path[..dot]}'";
    }

    private static string Num(decimal? d) => d?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static string ReadResource()
    {
        using Stream s = typeof(ConfigSchema).Assembly.GetManifestResourceStream("SynthBuild.Core.Config.synth.schema.json")
                         ?? throw new InvalidOperationException("Embedded schema missing.");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
