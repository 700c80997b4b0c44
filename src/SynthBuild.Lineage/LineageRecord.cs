using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SynthBuild.Core.Config;
using SynthBuild.Core.Sharding;
using SynthBuild.Core.Storage;

namespace SynthBuild.Lineage;

/// <summary>What one build did to the dataset: the numbers a generation reported.</summary>
public sealed record GenerationFigures(int Generated, int Reused, int Removed, double Seconds)
{
    public double SamplesPerSecond => Seconds > 0 ? Generated / Seconds : 0;
}

/// <summary>Counts over the whole dataset (the dataset input's profile in MLflow).</summary>
public sealed record DatasetProfile(int Samples, long Objects, int Width, int Height, int Categories, int Train, int Val, int Test);

public sealed record DatasetIdentity(string Name, string? Version, string Digest, string Engine, string Root);

public sealed record MlflowRunRef(string TrackingUri, string ExperimentId, string RunId);

/// <summary>
/// One lineage record: one build that created or changed a dataset. <see cref="Failure"/> says why a FAILED build failed. The same content goes to the offline lineage
/// log (one JSON line) and to an MLflow run. May hold times, hosts and users; none of it reaches sample files or the digest.
/// <see cref="Shards"/> lists the shards a merge assembled the dataset from; null (and absent from the JSON, so records
/// of single builds keep their bytes) otherwise. <see cref="DerivedFrom"/> is the parent dataset and the reason an
/// overlay's "$derivedFrom" block gave (null and absent otherwise).
/// </summary>
public sealed record LineageRecord(
    int Format,
    DateTimeOffset TimeUtc,
    string Status,
    string User,
    string Host,
    string ProjectFile,
    DatasetIdentity Dataset,
    GitProvenance Git,
    GenerationFigures Generation,
    DatasetProfile Profile,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, double> Metrics,
    MlflowRunRef? Mlflow = null,
    string? Failure = null,
    IReadOnlyList<MergedShard>? Shards = null,
    DerivedFrom? DerivedFrom = null)
{
    public const int CurrentFormat = 1;
    public const string Finished = "FINISHED", Failed = "FAILED";

    /// <summary>Gathers a record from a built dataset folder: its description, the effective config, quality metrics.</summary>
    public static LineageRecord Create(DatasetSpec spec, string datasetRoot, string projectFile, string? version,
        GitProvenance git, GenerationFigures generation, string status, DateTimeOffset now)
    {
        DatasetReader reader = DatasetReader.Open(datasetRoot);
        DatasetProfile profile = ProfileOf(reader);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["samples"] = reader.Info.Samples,
            ["objects"] = profile.Objects,
            ["generated_samples"] = generation.Generated,
            ["reused_samples"] = generation.Reused,
            ["removed_samples"] = generation.Removed,
            ["generation_seconds"] = Math.Round(generation.Seconds, 3),
            ["samples_per_second"] = Math.Round(generation.SamplesPerSecond, 3),
        };
        foreach (var (k, v) in QualityMetrics.Read(datasetRoot, reader.Info.Digest)) metrics.TryAdd(k, v);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in EffectiveConfig.Flatten(EffectiveConfig.Json(spec))) parameters.TryAdd(k, v);
        var (probeMetrics, probeParams) = ProbeMetrics.Read(datasetRoot, reader.Info.Digest);
        foreach (var (k, v) in probeMetrics) metrics.TryAdd(k, v);
        foreach (var (k, v) in probeParams) parameters.TryAdd(k, v);
        return new LineageRecord(CurrentFormat, now.ToUniversalTime(), status, Environment.UserName, Environment.MachineName,
            Path.GetFullPath(projectFile),
            new DatasetIdentity(reader.Info.Name, string.IsNullOrEmpty(version) ? null : version, reader.Info.Digest, reader.Info.Engine, reader.Root),
            git, generation, profile, parameters, metrics, Failure: status == Failed ? FailureOf(datasetRoot, reader.Info.Digest) : null,
            DerivedFrom: spec.DerivedFrom);
    }

    /// <summary>Why a FAILED build failed, as far as its outputs say: the error gates the quality report lists as failed.</summary>
    private static string FailureOf(string datasetRoot, string digest)
    {
        var failed = QualityMetrics.FailedGates(datasetRoot, digest);
        return failed.Count > 0
            ? $"quality gate(s) failed: {string.Join(", ", failed)}"
            : "a build stage after generation failed (see the build log)";
    }

    public static DatasetProfile ProfileOf(DatasetReader reader)
    {
        long objects = 0;
        int[] splits = new int[3];
        foreach (long i in reader.Indices)
        {
            objects += reader.ReadAnnotation(i).Objects.Count;
            splits[(int)reader.SplitOf(i)]++;
        }
        return new DatasetProfile(reader.Indices.Count, objects, reader.Info.Width, reader.Info.Height, reader.Info.Categories.Count,
            splits[0], splits[1], splits[2]);
    }

    /// <summary>One line of JSON, no trailing newline.</summary>
    public string ToJsonLine() => JsonSerializer.Serialize(this, LineageJsonContext.Default.LineageRecord);

    public static LineageRecord FromJson(string json) =>
        JsonSerializer.Deserialize(json, LineageJsonContext.Default.LineageRecord) ?? throw new JsonException("empty lineage record");

    [JsonIgnore]
    public string RunName => Dataset.Version is { } v ? $"{Dataset.Name}-v{v}" : $"{Dataset.Name}-{Dataset.Digest[..Math.Min(12, Dataset.Digest.Length)]}";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{TimeUtc:yyyy-MM-ddTHH:mm:ssZ} {Status} {Dataset.Name} {Dataset.Version ?? "-"} {Dataset.Digest[..Math.Min(12, Dataset.Digest.Length)]}");
}

/// <summary>
/// Lineage JSON (log lines, pending notes), generated at compile time so that Native AOT builds (the `synth` tool) need
/// no reflection. The options are those the reflection serializer used, so the bytes are unchanged (tested).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(LineageRecord))]
[JsonSerializable(typeof(PendingLineage.Note))]
internal sealed partial class LineageJsonContext : JsonSerializerContext;

/// <summary>The same options, indented: the MLflow shards artifact (<see cref="MlflowTracker.ShardsJson"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(MlflowTracker.ShardsFile))]
internal sealed partial class LineageIndentedJsonContext : JsonSerializerContext;
