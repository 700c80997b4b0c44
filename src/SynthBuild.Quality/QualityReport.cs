using System.Text.Json;
using System.Text.Json.Serialization;

namespace SynthBuild.Quality;

/// <summary>Equal-width bins from <see cref="Min"/>; the last bin also takes everything above its upper edge.</summary>
public sealed record Histogram(double Min, double BinWidth, long[] Counts)
{
    public static Histogram Empty(double min, double binWidth, int bins) => new(min, binWidth, new long[bins]);

    /// <summary>The tiny epsilon puts values on a bin edge into the bin they start (0.6 / 0.1 is 5.999…).</summary>
    public int BinOf(double value) => Math.Clamp((int)Math.Floor((value - Min) / BinWidth + 1e-9), 0, Counts.Length - 1);

    public void Add(double value, long count = 1) => Counts[BinOf(value)] += count;

    public void AddFrom(Histogram other)
    {
        for (int i = 0; i < Counts.Length; i++) Counts[i] += other.Counts[i];
    }

    public long Total => Counts.Sum();
}

public sealed record ClassStats(int Id, string Name, long Instances, long Images);

/// <summary>COCO area classes of the visible mask area: small &lt; 32², medium &lt; 96², large otherwise.</summary>
public sealed record BoxSizeStats(long Small, long Medium, long Large, Histogram SqrtArea)
{
    public long Total => Small + Medium + Large;
    /// <summary>Share of the most common size class (1 when every box falls in one class).</summary>
    public double LargestShare => Total == 0 ? 0 : (double)Math.Max(Small, Math.Max(Medium, Large)) / Total;
}

public sealed record ObjectCountStats(int Min, double Mean, int Max, Histogram PerImage);

public sealed record VisibilityStats(double Mean, Histogram Visibility, double TruncatedShare, Histogram Truncation);

/// <summary>Brightness is the mean Rec. 601 luma of an image, contrast its standard deviation (0–255).</summary>
public sealed record ImageStats(
    double BrightnessMean, double BrightnessStd, double BrightnessMin, double BrightnessMax,
    double ContrastMean, double ContrastStd,
    double[] ChannelMean, double[] ChannelStd,
    Histogram Brightness);

/// <summary>Over valid (non-zero) depth pixels, in millimetres.</summary>
public sealed record DepthStats(double ValidRatio, double MinValidRatio, double Mean, double Std, int Min, int Max, Histogram Millimetres);

/// <summary>Object-centre counts on a Columns × Rows grid over the image, row-major from the top-left.</summary>
public sealed record CentreHeatmap(int Columns, int Rows, long[] Counts);

public sealed record LabelSanity(long Errors, long SamplesWithErrors, IReadOnlyList<string> Examples);

public sealed record DuplicatePair(long A, long B, int Distance);

/// <summary>Near duplicates: image pairs whose perceptual hashes differ in at most <see cref="MaxDistance"/> bits.</summary>
public sealed record NearDuplicateStats(int HashBits, int MaxDistance, long Pairs, long ImagesWithEarlierDuplicate, double Rate, IReadOnlyList<DuplicatePair> Examples);

public sealed record SplitStats(string Name, long Samples, long Instances, long[] ClassInstances, double MeanBrightness, double MeanObjectsPerImage);

/// <summary>Samples that appear (identically or nearly) in two different splits.</summary>
public sealed record LeakageStats(long IdenticalPairs, long NearIdenticalPairs, IReadOnlyList<DuplicatePair> Examples)
{
    public long Total => IdenticalPairs + NearIdenticalPairs;
}

/// <summary>
/// Where the per-image statistics came from: read from the annotations (<see cref="Stored"/>), decoded from the PNGs
/// and checked against the stored values (<see cref="Audited"/>), or decoded because the sample has none (written by
/// an engine before 0.4: <see cref="DecodedWithoutStats"/>).
/// </summary>
public sealed record AuditStats(bool Full, long Stored, long Audited, long DecodedWithoutStats);

public enum GateSeverity { Error, Warning }

/// <summary>
/// One gate as evaluated on this build. <see cref="Low"/> is compared with <see cref="Min"/> and <see cref="High"/>
/// with <see cref="Max"/>; they are equal for gates that measure one value (all but brightness-range).
/// </summary>
public sealed record GateResult(string Name, GateSeverity Severity, bool Enabled, double Low, double High, double? Min, double? Max, bool Passed, string Measures);

/// <summary>
/// The machine-readable quality report (<c>reports/quality.json</c>). The schema is documented in docs/quality.md;
/// <see cref="CurrentSchemaVersion"/> changes whenever a field changes meaning or disappears.
/// </summary>
public sealed record QualityReport(
    int SchemaVersion,
    string Dataset,
    string Digest,
    string AnalysisKey,
    int Samples,
    int Width,
    int Height,
    IReadOnlyList<ClassStats> Classes,
    BoxSizeStats BoxSizes,
    ObjectCountStats ObjectsPerImage,
    VisibilityStats Visibility,
    ImageStats Images,
    DepthStats Depth,
    CentreHeatmap Centres,
    LabelSanity Labels,
    NearDuplicateStats NearDuplicates,
    IReadOnlyList<SplitStats> Splits,
    LeakageStats Leakage,
    IReadOnlyList<string> SampleKeys,
    IReadOnlyList<GateResult> Gates,
    IReadOnlyList<string>? SampleHashes = null,
    AuditStats? Audit = null,
    // The probe detector's report for this digest, when SynthProbe ran (read each build: not part of the analysis key).
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ProbeSummary? Probe = null)
{
    public const int CurrentSchemaVersion = 1;

    /// <summary>Largest over smallest instance count across categories (infinity when a category has none).</summary>
    [JsonIgnore]
    public double ClassBalanceRatio
    {
        get
        {
            if (Classes.Count == 0) return 1;
            long max = Classes.Max(c => c.Instances), min = Classes.Min(c => c.Instances);
            return min == 0 ? (max == 0 ? 1 : double.PositiveInfinity) : (double)max / min;
        }
    }

    /// <summary>Indented, camelCase, NaN/Infinity as strings, enums as camelCase strings (<see cref="QualityJsonContext"/>).</summary>
    public static JsonSerializerOptions JsonOptions => QualityJsonContext.Default.Options;

    public byte[] ToJsonBytes()
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(this, QualityJsonContext.Default.QualityReport);
        var withNewline = new byte[body.Length + 1];
        body.CopyTo(withNewline, 0);
        withNewline[^1] = (byte)'\n';
        return withNewline;
    }

    /// <exception cref="InvalidDataException">Not a quality report, or one of another schema version.</exception>
    public static QualityReport Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <param name="path">Where the bytes came from, for the messages (e.g. a member of a release archive).</param>
    /// <exception cref="InvalidDataException">Not a quality report, or one of another schema version.</exception>
    public static QualityReport Parse(byte[] bytes, string path)
    {
        int version;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            version = doc.RootElement.TryGetProperty("schemaVersion", out var v) && v.TryGetInt32(out int n) ? n : 0;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not JSON: {ex.Message}");
        }
        if (version != CurrentSchemaVersion)
            throw new InvalidDataException($"'{path}' is not a quality report of schema version {CurrentSchemaVersion} (found version {version}).");
        return JsonSerializer.Deserialize(bytes, QualityJsonContext.Default.QualityReport)
            ?? throw new InvalidDataException($"'{path}' holds no quality report.");
    }
}

/// <summary>
/// reports/quality.json, generated at compile time so that Native AOT builds (the `synth` tool) need no reflection.
/// The options are those the reflection serializer used, so the bytes are unchanged (tested).
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, Converters = [typeof(CamelCaseEnumConverter<GateSeverity>)])]
[JsonSerializable(typeof(QualityReport))]
public sealed partial class QualityJsonContext : JsonSerializerContext;

/// <summary>An enum as its camelCase name, the AOT-safe form of <c>new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)</c>.</summary>
public sealed class CamelCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.CamelCase)
    where TEnum : struct, Enum;
