using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SynthBuild.Core.Sharding;

namespace SynthBuild.Lineage;

public sealed record MlflowLogResult(MlflowRunRef Run, IReadOnlyList<string> Warnings);

/// <summary>Turns one <see cref="LineageRecord"/> into one MLflow run, which never stays RUNNING.</summary>
public static class MlflowTracker
{
    /// <summary>The dataset input's digest: 12 hex of the dataset digest (MLflow allows 36; the UI shows it beside the name).</summary>
    public const int InputDigestLength = 12;

    /// <param name="artifacts">(path inside the run's artifacts, file on disk); missing files are skipped.</param>
    public static async Task<MlflowLogResult> LogAsync(MlflowClient client, string trackingUri, string experiment, LineageRecord record,
        IReadOnlyList<(string ArtifactPath, string File)> artifacts, CancellationToken ct = default)
    {
        var warnings = new List<string>();
        string experimentId = await client.GetOrCreateExperimentAsync(experiment, ct);
        var run = await client.CreateRunAsync(experimentId, record.RunName, record.User, record.TimeUtc, Tags(record), ct);
        try
        {
            await client.LogBatchAsync(run.RunId, Params(record), record.Metrics, [], record.TimeUtc, ct);
            await client.LogInputsAsync(run.RunId, DatasetInput(record), ct);
            var uploads = Files(artifacts, ct);
            if (record.Shards is not null) uploads.Add((ShardsArtifact, () => Task.FromResult(ShardsJson(record))));
            await UploadAsync(client, run.ArtifactUri, uploads, warnings, ct);
            await client.UpdateRunAsync(run.RunId, record.Status, DateTimeOffset.UtcNow, ct);
        }
        catch
        {
            // No run is left RUNNING: a run whose logging broke off is marked FAILED (best effort: the server may be
            // gone, so this try gets the reserve the other requests left it within the total, not another full limit).
            try { await client.MarkRunFailedAsync(run.RunId, ct); }
            catch (Exception e) when (e is MlflowException or OperationCanceledException) { }
            throw;
        }
        // Ids come from the server and go into records: stored only without the credentials.
        return new MlflowLogResult(new MlflowRunRef(trackingUri, client.Redact(experimentId), client.Redact(run.RunId)), warnings);
    }

    /// <summary>
    /// Adds to a run that already exists (the dataset's run, found in the lineage log): metrics, tags and artifacts
    /// of a later stage, such as an external trainer's results. The run's status is left as it is; MLflow accepts
    /// metrics and tags on an ended run. Tags rather than params: params are immutable, and a retrained model of the
    /// same dataset logs new values.
    /// </summary>
    /// <returns>Warnings (artifacts not uploaded to a store the server does not proxy).</returns>
    public static async Task<IReadOnlyList<string>> AddToRunAsync(MlflowClient client, string runId, IReadOnlyDictionary<string, double> metrics,
        IReadOnlyList<KeyValuePair<string, string>> tags, IReadOnlyList<(string ArtifactPath, string File)> artifacts, CancellationToken ct = default)
    {
        var warnings = new List<string>();
        var run = await client.GetRunAsync(runId, ct);
        string artifactUri = (string?)run["info"]?["artifact_uri"]
            ?? throw new MlflowException(0, null, $"The server's answer for run {client.Redact(runId)} names no artifact_uri.");
        await client.LogBatchAsync(runId, [], metrics, tags, DateTimeOffset.UtcNow, ct);
        await UploadAsync(client, artifactUri, Files(artifacts, ct), warnings, ct);
        return warnings;
    }

    private static List<(string Path, Func<Task<byte[]>> Bytes)> Files(IReadOnlyList<(string ArtifactPath, string File)> artifacts, CancellationToken ct) =>
        artifacts.Where(a => File.Exists(a.File))
            .Select(a => (a.ArtifactPath, (Func<Task<byte[]>>)(() => File.ReadAllBytesAsync(a.File, ct)))).ToList();

    private static async Task UploadAsync(MlflowClient client, string artifactUri, List<(string Path, Func<Task<byte[]>> Bytes)> uploads,
        List<string> warnings, CancellationToken ct)
    {
        foreach (var (path, bytes) in uploads)
        {
            try { await client.UploadArtifactAsync(artifactUri, path, await bytes(), ct); }
            catch (NotSupportedException ex)
            {
                warnings.Add(client.Redact(ex.Message)); // names the server's artifact URI
                break;
            }
        }
    }

    /// <summary>The run's param for a merged dataset: how many shards it was assembled from.</summary>
    public const string ShardsParam = "synth.shards";
    /// <summary>The run's artifact for a merged dataset: the shards it was assembled from (<see cref="ShardsJson"/>).</summary>
    public const string ShardsArtifact = "lineage/shards.json";

    /// <summary>The record's params (the effective config), plus <see cref="ShardsParam"/> for a merged dataset.</summary>
    public static IReadOnlyDictionary<string, string> Params(LineageRecord r)
    {
        if (r.Shards is null) return r.Params;
        var all = new Dictionary<string, string>(r.Params, StringComparer.Ordinal);
        all.TryAdd(ShardsParam, r.Shards.Count.ToString(CultureInfo.InvariantCulture));
        return all;
    }

    /// <summary>lineage/shards.json: the dataset and its shards, each as the record lists it (range, shard manifest, its SHA-256).</summary>
    public static byte[] ShardsJson(LineageRecord r) => JsonSerializer.SerializeToUtf8Bytes(
        new ShardsFile(r.Dataset.Name, r.Dataset.Digest, r.Shards), LineageIndentedJsonContext.Default.ShardsFile);

    /// <summary>lineage/shards.json (a named record, not an anonymous type: source generation needs a name).</summary>
    internal sealed record ShardsFile(string Dataset, string Digest, IReadOnlyList<MergedShard>? Shards);

    public static IReadOnlyList<KeyValuePair<string, string>> Tags(LineageRecord r)
    {
        var tags = new List<KeyValuePair<string, string>>
        {
            new("mlflow.runName", r.RunName),
            new("mlflow.user", r.User),
            new("mlflow.source.name", r.ProjectFile),
            new("mlflow.source.type", "LOCAL"),
            new("synth.dataset.name", r.Dataset.Name),
            new("synth.dataset.digest", r.Dataset.Digest),
            new("synth.engine.version", r.Dataset.Engine),
            new("synth.build.host", r.Host),
            new("synth.git.dirty", r.Git.Dirty ? "true" : "false"),
        };
        if (r.Dataset.Version is { } v) tags.Add(new("synth.dataset.version", v));
        if (r.Git.Commit is { } c) tags.Add(new("mlflow.source.git.commit", c));
        if (r.Git.Branch is { } b) tags.Add(new("mlflow.source.git.branch", b));
        if (r.Git.RemoteUrl is { } u) tags.Add(new("mlflow.source.git.repoURL", u));
        if (r.Failure is { } why) tags.Add(new("synth.failure", why));
        // A dataset built with an overlay's $derivedFrom block (e.g. from synth target): its parent and why it exists.
        if (r.DerivedFrom?.Dataset is { } parent) tags.Add(new("synth.parent", parent));
        if (r.DerivedFrom?.Name is { } parentName) tags.Add(new("synth.parent.name", parentName));
        if (r.DerivedFrom?.Reason is { } reason) tags.Add(new("synth.reason", reason.Length <= 5000 ? reason : reason[..4997] + "..."));
        if (r.Git.ModifiedInputs.Count > 0) tags.Add(new("synth.git.modifiedInputs", string.Join(", ", r.Git.ModifiedInputs)));
        tags.Add(new("mlflow.note.content", string.Create(CultureInfo.InvariantCulture,
            $"SynthBuild dataset **{r.Dataset.Name}**{(r.Dataset.Version is null ? "" : " v" + r.Dataset.Version)}: {r.Profile.Samples} samples " +
            $"({r.Generation.Generated} generated, {r.Generation.Reused} reused, {r.Generation.Removed} removed), digest `{r.Dataset.Digest}`.")));
        return tags;
    }

    public static MlflowClient.DatasetInput DatasetInput(LineageRecord r)
    {
        var p = r.Profile;
        var profile = new JsonObject
        {
            ["num_rows"] = p.Samples, ["num_objects"] = p.Objects, ["width"] = p.Width, ["height"] = p.Height,
            ["num_categories"] = p.Categories, ["train"] = p.Train, ["val"] = p.Val, ["test"] = p.Test,
            ["dataset_digest"] = r.Dataset.Digest,
        };
        // One row per sample: the files it consists of and its annotation.
        var columns = new JsonArray(
            Col("long", "index"), Col("string", "split"), Col("string", "rgb"), Col("string", "depth"),
            Col("string", "segmentation"), Col("string", "annotation"));
        string uri = new Uri(Path.GetFullPath(r.Dataset.Root)).AbsoluteUri;
        return new MlflowClient.DatasetInput(
            r.Dataset.Name, r.Dataset.Digest[..Math.Min(InputDigestLength, r.Dataset.Digest.Length)], "local",
            new JsonObject { ["uri"] = uri }.ToJsonString(),
            new JsonObject { ["mlflow_colspec"] = columns }.ToJsonString(),
            profile.ToJsonString());

        static JsonNode Col(string type, string name) => new JsonObject { ["type"] = type, ["name"] = name };
    }
}
