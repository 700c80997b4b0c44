using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Geometry;
using SynthBuild.Core.Assets;

namespace SynthBuild.Core.Config;

/// <summary>Overrides that come from outside the config file (MSBuild properties such as -p:SynthSamples=N).</summary>
public sealed record ConfigOverrides(string? Samples = null, string? Seed = null, string? DefaultName = null, string? OverridesSource = null);

public sealed record ConfigLoadResult(DatasetSpec? Spec, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => Spec is not null && !Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Reads a dataset config (JSON with comments), validates it against the shipped JSON Schema, checks the rules a
/// schema cannot express (min ≤ max, unique names, ...), and binds it to a <see cref="DatasetSpec"/>.
/// Every problem becomes a diagnostic with the file, 1-based line and column, and what was expected.
/// </summary>
public static class ConfigLoader
{
    internal static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromJsonAsync(SchemaText!).GetAwaiter().GetResult());

    /// <summary>The JSON Schema shipped with the SDK (the same file editors use for completion).</summary>
    public static string SchemaText { get; } = ReadSchemaResource();

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
        var source = new SourceText(text, path);
        // System.Text.Json first: it is strict about syntax (Newtonsoft accepts e.g. a missing value as undefined).
        if (StrictSyntaxError(text, path) is Diagnostic syntax) return Fail(syntax);
        JToken root;
        try
        {
            root = JToken.Parse(text, new JsonLoadSettings
            {
                LineInfoHandling = LineInfoHandling.Load,
                CommentHandling = CommentHandling.Ignore,
                DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error,
            });
        }
        catch (JsonReaderException ex)
        {
            // Newtonsoft appends "Path 'x', line n, position m." to the message; the position is in the diagnostic.
            string message = ex.Message;
            int cut = message.IndexOf(" Path '", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
            return Fail(Diagnostic.Error(SynCodes.ConfigSyntax, $"Invalid JSON: {message}", path,
                Math.Max(1, ex.LineNumber), Math.Max(1, ex.LinePosition)));
        }

        if (root is not JObject obj)
        {
            var (l, c) = source.Start(root);
            return Fail(Diagnostic.Error(SynCodes.ConfigWrongType, $"Expected a JSON object at the top level, found {Describe(root)}.", path, l, c));
        }

        var diagnostics = new List<Diagnostic>();
        foreach (ValidationError error in Flatten(Schema.Value.Validate(root)))
            diagnostics.Add(ToDiagnostic(error, source));
        diagnostics = diagnostics.Distinct().OrderBy(d => d.Line).ThenBy(d => d.Column).ToList();
        if (diagnostics.Count > 0) return new ConfigLoadResult(null, diagnostics);

        var binder = new Binder(obj, source, overrides);
        DatasetSpec spec = binder.Bind();
        return binder.Diagnostics.Any(d => d.IsError)
            ? new ConfigLoadResult(null, binder.Diagnostics)
            : new ConfigLoadResult(spec, binder.Diagnostics);
    }

    private static ConfigLoadResult Fail(Diagnostic d) => new(null, [d]);

    private static Diagnostic? StrictSyntaxError(string text, string path)
    {
        try
        {
            using var _ = System.Text.Json.JsonDocument.Parse(text, new System.Text.Json.JsonDocumentOptions
            {
                CommentHandling = System.Text.Json.JsonCommentHandling.Skip,
                AllowTrailingCommas = false,
            });
            return null;
        }
        catch (System.Text.Json.JsonException ex)
        {
            // Positions are 0-based, and the column is in UTF-8 bytes: convert to a 1-based character column.
            int line = (int)(ex.LineNumber ?? 0);
            int bytes = (int)(ex.BytePositionInLine ?? 0);
            string[] lines = text.Split('\n');
            int column = bytes + 1;
            if (line < lines.Length)
            {
                byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(lines[line]);
                column = System.Text.Encoding.UTF8.GetCharCount(utf8, 0, Math.Min(bytes, utf8.Length)) + 1;
            }
            string message = ex.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut].TrimEnd('.', ' ') + ".";
            return Diagnostic.Error(SynCodes.ConfigSyntax, $"Invalid JSON: {message}", path, line + 1, column);
        }
    }

    internal static IEnumerable<ValidationError> Flatten(IEnumerable<ValidationError> errors)
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

    internal static Diagnostic ToDiagnostic(ValidationError e, SourceText source)
    {
        string where = JsonPath(e.Path);
        var (line, col) = e.Token is null ? (e.LineNumber, e.LinePosition) : source.Start(e.Token);
        JsonSchema? s = e.Schema;
        string found = e.Token is null ? "" : Describe(e.Token is JProperty p ? p.Value : e.Token);
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
        return Diagnostic.Error(code, message, source.Path, line, col);
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

    /// <summary>"#/camera.intrinsics.fx" → "camera.intrinsics.fx"; "#/" → "(root)".</summary>
    private static string JsonPath(string? njsPath)
    {
        string p = (njsPath ?? "").TrimStart('#').TrimStart('/');
        return p.Length == 0 ? "(root)" : p;
    }

    private static string ParentOf(string path)
    {
        int dot = path.LastIndexOfAny(['.', '[']);
        return dot <= 0 ? "the top-level object" : $"'{path[..dot]}'";
    }

    internal static string Describe(JToken t) => t.Type switch
    {
        JTokenType.String => $"\"{t.Value<string>()}\"",
        JTokenType.Integer or JTokenType.Float => t.ToString(Formatting.None),
        JTokenType.Boolean => t.ToString(Formatting.None).ToLowerInvariant(),
        JTokenType.Null => "null",
        JTokenType.Array => $"an array of {((JArray)t).Count}",
        JTokenType.Object => "an object",
        _ => t.Type.ToString()
    };

    internal static string Num(decimal? d) => d?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static string ReadSchemaResource()
    {
        using Stream s = typeof(ConfigLoader).Assembly.GetManifestResourceStream("SynthBuild.Core.Config.synth.schema.json")
                         ?? throw new InvalidOperationException("Embedded schema missing.");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>Binds a schema-valid document to a spec, checking cross-field rules.</summary>
    private sealed class Binder(JObject root, SourceText source, ConfigOverrides overrides)
    {
        public List<Diagnostic> Diagnostics { get; } = [];

        public DatasetSpec Bind()
        {
            string name = Str(root, "name") ?? overrides.DefaultName ?? "dataset";
            int samples = (int?)Long(root, "samples") ?? DatasetSpec.Defaults.Samples;
            ulong seed = (ulong?)Long(root, "seed") ?? DatasetSpec.Defaults.Seed;
            ApplyOverrides(ref samples, ref seed);

            JObject? image = root["image"] as JObject;
            int width = (int?)Long(image, "width") ?? DatasetSpec.Defaults.Width;
            int height = (int?)Long(image, "height") ?? DatasetSpec.Defaults.Height;
            if ((long)width * height > 16_777_216)
                Error(SynCodes.ConfigContradictory, image!, $"image: {width}×{height} is {(long)width * height} pixels; at most 16,777,216 (e.g. 4096×4096) are supported.");

            IntRange objects = IntRangeOf(root, "objectsPerScene", DatasetSpec.Defaults.ObjectsPerScene);
            if (root["objectsPerScene"] is JObject opsObj && objects.Max < 1)
                Error(SynCodes.ConfigContradictory, opsObj, "objectsPerScene.max must be at least 1: a scene with no labelled object is not a sample.");

            var categories = BindCategories();

            JObject? camera = root["camera"] as JObject;
            JObject? intr = camera?["intrinsics"] as JObject;
            Vec3 position = Vec(camera, "position") ?? DatasetSpec.Defaults.CameraPosition;
            Vec3 lookAt = Vec(camera, "lookAt") ?? DatasetSpec.Defaults.CameraLookAt;
            if ((position - lookAt).Length < 1e-6)
                Error(SynCodes.ConfigContradictory, camera!["lookAt"] ?? camera!, "camera.lookAt must differ from camera.position.");
            else if (position.Z <= 0)
                Error(SynCodes.ConfigContradictory, camera!["position"]!, "camera.position must be above the table (z > 0).");
            var cameraSpec = new CameraSpec(
                Dbl(intr, "fx") ?? DatasetSpec.Defaults.Fx, Dbl(intr, "fy") ?? DatasetSpec.Defaults.Fy,
                Dbl(intr, "cx") ?? width / 2.0, Dbl(intr, "cy") ?? height / 2.0,
                position, lookAt,
                Dbl(camera, "positionNoise") ?? DatasetSpec.Defaults.PositionNoise,
                Dbl(camera, "orientationNoise") ?? DatasetSpec.Defaults.OrientationNoise,
                Dbl(camera, "focalLengthVariation") ?? DatasetSpec.Defaults.FocalLengthVariation,
                camera?["distortion"] is JObject dist
                    ? new LensDistortion(Dbl(dist, "k1") ?? 0, Dbl(dist, "k2") ?? 0, Dbl(dist, "p1") ?? 0, Dbl(dist, "p2") ?? 0, Dbl(dist, "k3") ?? 0)
                    : default);
            if (intr is not null)
            {
                if (intr["cx"] is JToken cx && (cameraSpec.Cx < 0 || cameraSpec.Cx > width))
                    Error(SynCodes.ConfigContradictory, cx, $"camera.intrinsics.cx = {Fmt(cameraSpec.Cx)} lies outside the image width 0–{width}.");
                if (intr["cy"] is JToken cy && (cameraSpec.Cy < 0 || cameraSpec.Cy > height))
                    Error(SynCodes.ConfigContradictory, cy, $"camera.intrinsics.cy = {Fmt(cameraSpec.Cy)} lies outside the image height 0–{height}.");
            }

            JObject? lighting = root["lighting"] as JObject;
            var lightingSpec = new LightingSpec(
                RangeOf(lighting, "intensity", DatasetSpec.Defaults.LightIntensity),
                Dbl(lighting, "colorVariation") ?? DatasetSpec.Defaults.LightColorVariation,
                RangeOf(lighting, "ambient", DatasetSpec.Defaults.Ambient),
                RangeOf(lighting, "elevation", DatasetSpec.Defaults.LightElevation),
                Bool(lighting, "shadows") ?? true,
                lighting?["colorTemperature"] is JObject ? RangeOf(lighting, "colorTemperature", default) : null,
                BindPointLights(lighting?["pointLights"] as JObject));

            JObject? materials = root["materials"] as JObject;
            var materialSpec = new MaterialSpec(
                RangeOf(materials, "roughness", DatasetSpec.Defaults.Roughness),
                RangeOf(materials, "metallic", DatasetSpec.Defaults.Metallic),
                Dbl(materials, "colorJitter") ?? DatasetSpec.Defaults.ColorJitter,
                BindTextures(materials?["textures"] as JObject));
            ImageFolder? textureImages = materialSpec.Textures?.Folder;

            JObject? sensor = root["sensor"] as JObject;
            var sensorSpec = new SensorSpec(
                Dbl(sensor, "gaussianNoiseStd") ?? DatasetSpec.Defaults.GaussianNoiseStd,
                Dbl(sensor, "depthDropout") ?? DatasetSpec.Defaults.DepthDropout,
                Dbl(sensor, "deadPixels") ?? DatasetSpec.Defaults.DeadPixels,
                Dbl(sensor, "depthNoise") ?? DatasetSpec.Defaults.DepthNoise,
                Dbl(sensor, "depthQuantization") ?? DatasetSpec.Defaults.DepthQuantization,
                Dbl(sensor, "depthEdgeThreshold") ?? DatasetSpec.Defaults.DepthEdgeThreshold);

            JObject? bg = root["background"] as JObject;
            var tableSize = bg?["tableSize"] is JArray ts ? ts.Select(t => (double)t).ToArray() : null;
            var backgroundSpec = new BackgroundSpec(
                Colors(bg, "colors") ?? DatasetSpec.Defaults.BackgroundColors,
                Colors(bg, "tableColors") ?? DatasetSpec.Defaults.TableColors,
                tableSize?[0] ?? DatasetSpec.Defaults.TableSizeX,
                tableSize?[1] ?? DatasetSpec.Defaults.TableSizeY,
                Str(bg, "mode") ?? "gradient",
                bg?["tablePatterns"] is JArray tp ? tp.Select(t => Enum.Parse<TexturePattern>((string)t!, ignoreCase: true)).ToList() : DatasetSpec.Defaults.TablePatterns,
                Dbl(bg, "blend") ?? 0,
                bg?["images"] is JValue bgFolder ? LoadImages(bgFolder, "background.images", 0) : null,
                RangeOf(bg, "imageZoom", DatasetSpec.Defaults.ImageZoom),
                RangeOf(bg, "tableImageScale", DatasetSpec.Defaults.TableImageScale));
            if (bg?["tablePatterns"] is JArray tableArr && textureImages is null)
                foreach (JToken t in tableArr)
                    if ((string)t! == "image")
                        Error(SynCodes.ConfigContradictory, t, "background.tablePatterns: 'image' needs a texture folder; set materials.textures.folder.");

            JObject? placement = root["placement"] as JObject;
            var placementSpec = new PlacementSpec(Dbl(placement, "truncation") ?? 0, Dbl(placement, "stacking") ?? 0);
            var distractorSpec = BindDistractors(root["distractors"] as JObject);
            var renderSpec = new RenderSpec((int?)Long(root["render"] as JObject, "supersampling") ?? 1);
            if ((long)width * height * renderSpec.Supersampling * renderSpec.Supersampling > 67_108_864)
                Error(SynCodes.ConfigContradictory, root["render"]!, $"render.supersampling: {width}×{height} at {renderSpec.Supersampling}× per axis exceeds 67,108,864 rendered pixels.");
            JObject? outputs = root["outputs"] as JObject;
            var outputSpec = new OutputSpec(Bool(outputs, "semantic") ?? true, Bool(outputs, "pointCloud") ?? false, Bool(outputs, "normals") ?? false);
            var curriculumSpec = BindCurriculum(root["curriculum"] as JObject);

            JObject? splits = root["splits"] as JObject;
            var splitSpec = new SplitSpec(
                Dbl(splits, "train") ?? (splits is null ? DatasetSpec.Defaults.Splits.Train : 0),
                Dbl(splits, "val") ?? (splits is null ? DatasetSpec.Defaults.Splits.Val : 0),
                Dbl(splits, "test") ?? (splits is null ? DatasetSpec.Defaults.Splits.Test : 0));
            if (splits is not null && Math.Abs(splitSpec.Train + splitSpec.Val + splitSpec.Test - 1) > 1e-9)
                Error(SynCodes.ConfigContradictory, splits, $"splits: train + val + test must add up to 1, found {Fmt(splitSpec.Train + splitSpec.Val + splitSpec.Test)}.");

            // Bound by the augmentation stage (SynthBuild.Augmentation), which owns its meaning.
            ConfigSection? augmentation = root["augmentation"] is JObject aug ? new ConfigSection("augmentation", aug, source) : null;
            // The schema restricts the value to "weighted" | "balanced".
            var balance = Str(root, "categoryBalance") == "balanced" ? CategoryBalance.Balanced : CategoryBalance.Weighted;

            return new DatasetSpec(name, samples, seed, width, height, objects, categories, cameraSpec,
                lightingSpec, materialSpec, sensorSpec, backgroundSpec, splitSpec,
                Augmentation: augmentation, CategoryBalance: balance,
                Placement: placementSpec, Render: renderSpec, Outputs: outputSpec, Curriculum: curriculumSpec,
                Distractors: distractorSpec);
        }

        private TextureSpec BindTextures(JObject? t)
        {
            var d = DatasetSpec.Defaults.Textures;
            if (t is null) return d;
            ImageFolder? folder = t["folder"] is JValue f ? LoadImages(f, "materials.textures.folder", DatasetSpec.Defaults.TextureImageMaxSide) : null;
            // A folder without a pattern list means: texture with the folder's images.
            IReadOnlyList<TexturePattern> patterns = t["patterns"] is JArray p
                ? p.Select(x => Enum.Parse<TexturePattern>((string)x!, ignoreCase: true)).ToList()
                : t["folder"] is not null ? [TexturePattern.Image] : d.Patterns;
            if (t["patterns"] is JArray listed && t["folder"] is null)
                foreach (JToken x in listed)
                    if ((string)x! == "image")
                        Error(SynCodes.ConfigContradictory, x, "materials.textures.patterns: 'image' needs materials.textures.folder (a folder of PNG/JPEG textures).");
            return new TextureSpec(
                Dbl(t, "probability") ?? d.Probability,
                patterns,
                RangeOf(t, "scale", d.Scale),
                folder,
                RangeOf(t, "imageScale", DatasetSpec.Defaults.TextureImageScale));
        }

        /// <summary>Images of a folder relative to the config: SYN1000 when it does not exist, SYN1009 when it holds no readable PNG/JPEG.</summary>
        private ImageFolder? LoadImages(JValue token, string key, int maxSide)
        {
            string relative = (string)token!;
            string baseDir = Path.GetDirectoryName(Path.GetFullPath(source.Path)) ?? ".";
            string folder = Path.GetFullPath(Path.Combine(baseDir, relative));
            if (!Directory.Exists(folder))
            {
                Error(SynCodes.ConfigFileNotFound, token, $"{key}: folder '{relative}' not found (looked for '{folder}').");
                return null;
            }
            try
            {
                if (ImageFolder.Files(folder).Count == 0)
                {
                    Error(SynCodes.BadImages, token, $"{key}: folder '{relative}' holds no images; expected .png, .jpg or .jpeg files.");
                    return null;
                }
                return ImageFolder.Load(folder, maxSide);
            }
            catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
            {
                Error(SynCodes.BadImages, token, $"{key}: {ex.Message}");
                return null;
            }
        }

        private PointLightSpec? BindPointLights(JObject? p)
        {
            if (p is null) return null;
            var d = PointLightSpec.None;
            Vec3 min = d.PositionMin, max = d.PositionMax;
            if (p["position"] is JObject pos)
            {
                min = Vec(pos, "min")!.Value;
                max = Vec(pos, "max")!.Value;
                if (min.X > max.X || min.Y > max.Y || min.Z > max.Z)
                    Error(SynCodes.ConfigContradictory, pos.Property("min")!, "lighting.pointLights.position: min must be ≤ max on every axis.");
                if (min.Z <= 0)
                    Error(SynCodes.ConfigContradictory, pos.Property("min")!, "lighting.pointLights.position: lights must be above the table (min z > 0).");
            }
            return new PointLightSpec(IntRangeOf(p, "count", new IntRange(1, 1)), RangeOf(p, "intensity", d.Intensity), min, max);
        }

        private DistractorSpec? BindDistractors(JObject? o)
        {
            if (o is null) return null;
            var d = DistractorSpec.None;
            return new DistractorSpec(
                IntRangeOf(o, "count", new IntRange(1, 3)),
                RangeOf(o, "size", d.Size),
                o["shapes"] is JArray a ? a.Select(x => Enum.Parse<ShapeKind>((string)x!, ignoreCase: true)).ToList() : d.Shapes);
        }

        private CurriculumSpec BindCurriculum(JObject? c)
        {
            if (c is null) return CurriculumSpec.None;
            var schedule = Enum.Parse<CurriculumSchedule>(Str(c, "schedule")!, ignoreCase: true);
            ValueRange? StartEnd(string key) =>
                c[key] is JObject o ? new ValueRange((double)o["start"]!, (double)o["end"]!) : null;
            var spec = new CurriculumSpec(schedule, (int?)Long(c, "length") ?? 1000, (int?)Long(c, "steps") ?? 4,
                StartEnd("lightIntensityMin"), StartEnd("depthDropout"), StartEnd("objectsMax"), StartEnd("truncation"));
            foreach (var key in new[] { "depthDropout", "truncation" })
                if (c[key] is JObject o && ((double)o["start"]! > 1 || (double)o["end"]! > 1))
                    Error(SynCodes.ConfigOutOfRange, o, $"curriculum.{key}: start and end are probabilities; expected values from 0 to 1.");
            if (c["objectsMax"] is JObject om && ((double)om["start"]! < 1 || (double)om["end"]! < 1))
                Error(SynCodes.ConfigOutOfRange, om, "curriculum.objectsMax: start and end must be at least 1.");
            if (schedule != CurriculumSchedule.None && spec.LightIntensityMin is null && spec.DepthDropout is null && spec.ObjectsMax is null && spec.Truncation is null)
                Error(SynCodes.ConfigContradictory, c, "curriculum: a schedule needs at least one parameter to move (lightIntensityMin, depthDropout, objectsMax, truncation).");
            return spec;
        }

        private void ApplyOverrides(ref int samples, ref ulong seed)
        {
            string origin = overrides.OverridesSource ?? source.Path;
            if (!string.IsNullOrWhiteSpace(overrides.Samples))
            {
                if (int.TryParse(overrides.Samples.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= 10_000_000)
                    samples = n;
                else
                    Diagnostics.Add(Diagnostic.Error(SynCodes.BadOverride,
                        $"SynthSamples must be an integer from 1 to 10000000, found '{overrides.Samples}'.", origin));
            }
            if (!string.IsNullOrWhiteSpace(overrides.Seed))
            {
                if (ulong.TryParse(overrides.Seed.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) && s <= 9007199254740991UL)
                    seed = s;
                else
                    Diagnostics.Add(Diagnostic.Error(SynCodes.BadOverride,
                        $"SynthSeed must be an integer from 0 to 9007199254740991, found '{overrides.Seed}'.", origin));
            }
        }

        private List<CategorySpec> BindCategories()
        {
            var result = new List<CategorySpec>();
            if (root["categories"] is not JArray arr)
            {
                // The original tool's three primitive categories.
                result.Add(new CategorySpec(1, "box", ShapeKind.Box, 1, DatasetSpec.Defaults.BoxSize, default, default, null));
                result.Add(new CategorySpec(2, "cylinder", ShapeKind.Cylinder, 1, default, DatasetSpec.Defaults.Radius, DatasetSpec.Defaults.CylinderHeight, null,
                    OnSideProbability: DatasetSpec.Defaults.CylinderOnSide));
                result.Add(new CategorySpec(3, "sphere", ShapeKind.Sphere, 1, default, DatasetSpec.Defaults.Radius, default, null));
                return result;
            }

            var seen = new Dictionary<string, JToken>(StringComparer.Ordinal);
            double totalWeight = 0;
            for (int i = 0; i < arr.Count; i++)
            {
                var c = (JObject)arr[i];
                string name = Str(c, "name")!;
                if (seen.ContainsKey(name))
                    Error(SynCodes.ConfigContradictory, c["name"]!, $"categories[{i}].name '{name}' is already used by an earlier category; names must be unique.");
                seen[name] = c;
                var shape = Enum.Parse<ShapeKind>(Str(c, "shape")!, ignoreCase: true);
                foreach (var (key, shapes) in KeysByShape)
                    if (!shapes.Contains(shape) && c.Property(key) is JProperty stray)
                        Error(SynCodes.ConfigUnknownKey, stray, $"categories[{i}].{key} does not apply to shape '{Str(c, "shape")}'. {ShapeKeys(shape)}");
                IReadOnlyList<string>? kinds = null;
                if (shape is ShapeKind.Tool or ShapeKind.Part)
                {
                    var allowedKinds = shape == ShapeKind.Tool ? DatasetSpec.Defaults.ToolKinds : DatasetSpec.Defaults.PartKinds;
                    kinds = allowedKinds;
                    if (c["kinds"] is JArray ka)
                    {
                        kinds = ka.Select(k => (string)k!).ToList();
                        foreach (JToken k in ka)
                            if (!allowedKinds.Contains((string)k!))
                                Error(SynCodes.ConfigContradictory, k, $"categories[{i}].kinds: '{(string)k!}' is not a kind of {Str(c, "shape")}; expected one of {string.Join(", ", allowedKinds.Select(a => $"'{a}'"))}.");
                    }
                }
                double weight = Dbl(c, "weight") ?? 1;
                totalWeight += weight;
                UserMesh? userMesh = null;
                string? meshFile = null, meshSha = null;
                double scale = Dbl(c, "scale") ?? 1;
                if (shape == ShapeKind.Mesh)
                {
                    if (c["file"] is not JValue fileToken)
                    {
                        Error(SynCodes.ConfigMissingKey, c, $"Missing required key 'file' in categories[{i}]: a mesh category needs a Wavefront OBJ or glTF 2.0 (.gltf/.glb) file.");
                    }
                    else
                    {
                        string relative = (string)fileToken!;
                        string baseDir = Path.GetDirectoryName(Path.GetFullPath(source.Path)) ?? ".";
                        meshFile = Path.GetFullPath(Path.Combine(baseDir, relative));
                        if (!File.Exists(meshFile))
                            Error(SynCodes.ConfigFileNotFound, fileToken, $"categories[{i}].file: mesh file '{relative}' not found (looked for '{meshFile}').");
                        else
                        {
                            try
                            {
                                if (GltfMesh.IsGltf(meshFile))
                                {
                                    (userMesh, meshSha) = GltfMesh.Load(meshFile, scale);
                                }
                                else
                                {
                                    userMesh = ObjMesh.Load(meshFile, scale);
                                    meshSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(meshFile)));
                                }
                            }
                            catch (Exception ex) when (ex is FormatException or IOException)
                            {
                                Error(SynCodes.BadMesh, fileToken, $"categories[{i}].file: {ex.Message}");
                            }
                        }
                    }
                }
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
                    Vec(c, "color"),
                    shape == ShapeKind.Tool ? RangeOf(c, "length", DatasetSpec.Defaults.ToolLength) : default,
                    kinds,
                    Dbl(c, "onSideProbability") ?? shape switch
                    {
                        ShapeKind.Cylinder => DatasetSpec.Defaults.CylinderOnSide,
                        ShapeKind.Bottle => DatasetSpec.Defaults.BottleOnSide,
                        _ => 0,
                    },
                    userMesh, meshFile is null ? null : Path.GetFileName(meshFile), meshSha, scale));
            }
            if (totalWeight <= 0)
                Error(SynCodes.ConfigContradictory, arr, "categories: the weights add up to 0; at least one category needs a positive weight.");
            return result;
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

        private ValueRange RangeOf(JObject? parent, string key, ValueRange fallback)
        {
            if (parent?[key] is not JObject r) return fallback;
            double min = (double)r["min"]!, max = (double)r["max"]!;
            if (min > max)
                Error(SynCodes.ConfigContradictory, r.Property("min")!, $"{r.Path}: min ({Fmt(min)}) is greater than max ({Fmt(max)}).");
            return new ValueRange(min, max);
        }

        private IntRange IntRangeOf(JObject? parent, string key, IntRange fallback)
        {
            if (parent?[key] is not JObject r) return fallback;
            int min = (int)r["min"]!, max = (int)r["max"]!;
            if (min > max)
                Error(SynCodes.ConfigContradictory, r.Property("min")!, $"{r.Path}: min ({min}) is greater than max ({max}).");
            return new IntRange(min, max);
        }

        private void Error(string code, JToken at, string message)
        {
            var (line, col) = source.Start(at);
            Diagnostics.Add(Diagnostic.Error(code, message, source.Path, line, col));
        }

        private static string? Str(JObject? o, string key) => o?[key]?.Value<string>();
        private static long? Long(JObject? o, string key) => o?[key] is JValue v ? v.Value<long>() : null;
        private static double? Dbl(JObject? o, string key) => o?[key] is JValue v ? v.Value<double>() : null;
        private static bool? Bool(JObject? o, string key) => o?[key] is JValue v ? v.Value<bool>() : null;
        private static Vec3? Vec(JObject? o, string key) =>
            o?[key] is JArray a ? new Vec3((double)a[0], (double)a[1], (double)a[2]) : null;
        private static IReadOnlyList<Vec3>? Colors(JObject? o, string key) =>
            o?[key] is JArray a ? a.Select(c => new Vec3((double)c[0]!, (double)c[1]!, (double)c[2]!)).ToList() : null;
        private static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Maps tokens back to 1-based start positions in the source text.</summary>
    internal sealed class SourceText(string text, string path)
    {
        private readonly string[] _lines = text.Split('\n');
        public string Path { get; } = path;

        /// <summary>Newtonsoft records where a token ends (a property: its colon); walk back to where it starts.</summary>
        public (int Line, int Column) Start(JToken token)
        {
            if (token is not IJsonLineInfo info || !info.HasLineInfo()) return (1, 1);
            int line = info.LineNumber, pos = info.LinePosition;
            if (line < 1 || line > _lines.Length) return (line, pos);
            string s = _lines[line - 1];
            int i = Math.Min(pos, s.Length) - 1; // 0-based index of the last character
            switch (token)
            {
                case JProperty prop:
                    return (line, Math.Max(1, pos - prop.Name.Length - 2)); // position is the colon after "name"
                case JObject or JArray:
                    return (line, pos);
                default:
                    if (i >= 0 && s[i] == '"')
                    {
                        int j = i - 1;
                        while (j >= 0 && !(s[j] == '"' && (j == 0 || s[j - 1] != '\\'))) j--;
                        return (line, Math.Max(1, j + 1));
                    }
                    int k = i;
                    while (k > 0 && " \t,:[{".IndexOf(s[k - 1]) < 0) k--;
                    return (line, k + 1);
            }
        }
    }
}
