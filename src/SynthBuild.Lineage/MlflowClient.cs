using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SynthBuild.Lineage;

/// <summary>Where the tracking server is and how to authenticate; read from the MLFLOW_* environment variables.</summary>
/// <param name="RequestTimeout">The longest one attempt may take; default two thirds of <paramref name="TotalTimeout"/>,
/// so a hung attempt leaves time for a retry.</param>
/// <param name="TotalTimeout">The longest all MLflow requests of one client (one build's lineage step) may take together,
/// every attempt, wait and the final FAILED mark included (default <see cref="DefaultTotalTimeout"/>; SynthMlflowTimeout
/// or SYNTH_MLFLOW_TIMEOUT).</param>
public sealed record MlflowSettings(
    string TrackingUri,
    string? Token = null,
    string? Username = null,
    string? Password = null,
    bool InsecureTls = false,
    int MaxAttempts = 4,
    TimeSpan? InitialBackoff = null,
    TimeSpan? RequestTimeout = null,
    string? ServerCertPath = null,
    string? ClientCertPath = null,
    TimeSpan? TotalTimeout = null)
{
    /// <summary>Seconds: the environment variable bounding the MLflow requests of a build (the project property SynthMlflowTimeout wins).</summary>
    public const string TimeoutVariable = "SYNTH_MLFLOW_TIMEOUT";
    public const string TimeoutProperty = "SynthMlflowTimeout";
    /// <summary>A user waits this long at most for a server that accepts connections and never answers.</summary>
    public static readonly TimeSpan DefaultTotalTimeout = TimeSpan.FromSeconds(30);

    public TimeSpan Total => TotalTimeout ?? DefaultTotalTimeout;
    public TimeSpan Attempt => RequestTimeout is { } r ? (r < Total ? r : Total) : Total * 2 / 3;
    /// <summary>Kept out of the other requests' share of <see cref="Total"/> so that a run whose logging broke off can
    /// still be marked FAILED within the total: 5 s, or a quarter of the total when that is shorter.</summary>
    public TimeSpan FailedMarkReserve => Total / 4 < TimeSpan.FromSeconds(5) ? Total / 4 : TimeSpan.FromSeconds(5);

    /// <summary>
    /// Settings when a server is named: <paramref name="trackingUriOverride"/> (a project property) wins over
    /// MLFLOW_TRACKING_URI. Null when neither names an http(s) server.
    /// </summary>
    /// <param name="timeoutOverride">Seconds from the project property <see cref="TimeoutProperty"/>; wins over <see cref="TimeoutVariable"/>.</param>
    /// <exception cref="FormatException">the timeout is not a positive number of seconds; the message names its source.</exception>
    public static MlflowSettings? FromEnvironment(string? trackingUriOverride, Func<string, string?>? env = null, string? timeoutOverride = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        string? uri = string.IsNullOrWhiteSpace(trackingUriOverride) ? env("MLFLOW_TRACKING_URI") : trackingUriOverride;
        if (string.IsNullOrWhiteSpace(uri)) return null;
        TimeSpan? total = ParseTimeout(timeoutOverride, TimeoutProperty) ?? ParseTimeout(env(TimeoutVariable), TimeoutVariable);
        return new MlflowSettings(uri.Trim(), NullIfEmpty(env("MLFLOW_TRACKING_TOKEN")), NullIfEmpty(env("MLFLOW_TRACKING_USERNAME")),
            NullIfEmpty(env("MLFLOW_TRACKING_PASSWORD")),
            env("MLFLOW_TRACKING_INSECURE_TLS") is { } insecure && insecure.Trim().ToLowerInvariant() is "true" or "1",
            ServerCertPath: NullIfEmpty(env("MLFLOW_TRACKING_SERVER_CERT_PATH")),
            ClientCertPath: NullIfEmpty(env("MLFLOW_TRACKING_CLIENT_CERT_PATH")), TotalTimeout: total);
    }

    /// <summary>Seconds (e.g. "30", "2.5") as a time span; null when empty.</summary>
    /// <exception cref="FormatException">not a positive number of seconds up to a day; the message names <paramref name="source"/>.</exception>
    public static TimeSpan? ParseTimeout(string? text, string source)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds <= 86400)
            return TimeSpan.FromSeconds(seconds);
        throw new FormatException($"{source} must be a number of seconds greater than 0 (at most 86400), e.g. 30; found '{text.Trim()}'.");
    }

    /// <summary>The tracking URI without any user:password part, for messages and records.</summary>
    public string SafeUri => MlflowClient.WithoutCredentials(TrackingUri);

    // Keep credentials out of any ToString (records print every member by default).
    public override string ToString() => $"MlflowSettings {{ TrackingUri = {SafeUri} }}";

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

/// <summary>An error answer from the server (HTTP 4xx, or 5xx after retries).</summary>
public class MlflowException(int statusCode, string? errorCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    /// <summary>MLflow's error_code (RESOURCE_ALREADY_EXISTS, ...); null when the body was not MLflow JSON (e.g. a 401).</summary>
    public string? ErrorCode { get; } = errorCode;
}

/// <summary>The server could not be reached (or kept failing) within the bounded retries.</summary>
public sealed class MlflowUnreachableException(string message) : MlflowException(0, null, message);

/// <summary>
/// A small client for the MLflow tracking REST API (2.x), following shared/reference/mlflow-rest.md: JSON bodies,
/// lenient int64s, error bodies, bounded retries with exponential backoff for outages and 5xx, the server's batch
/// and size limits, and artifact upload through the tracking server's artifact proxy.
/// </summary>
public sealed partial class MlflowClient : IDisposable
{
    public const int MaxParamsPerBatch = 100, MaxTagsPerBatch = 100, MaxMetricsPerBatch = 1000, MaxEntitiesPerBatch = 1000;
    /// <summary>The server refuses log-batch bodies over 1,000,000 bytes; this leaves room for the JSON around the entities.</summary>
    public const int MaxBatchBytes = 950_000;
    public const int MaxKeyLength = 250, MaxParamValueLength = 6000, MaxTagValueLength = 5000, MaxDatasetDigestLength = 36;
    public static readonly string[] RunStatuses = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly MlflowSettings _settings;
    /// <summary>The settings in use (credentials from the URI moved into Username/Password).</summary>
    public MlflowSettings Settings => _settings;
    private readonly Uri _base;
    /// <summary>Runs from the client's creation: every request shares <see cref="MlflowSettings.Total"/>.</summary>
    private readonly System.Diagnostics.Stopwatch _budget = System.Diagnostics.Stopwatch.StartNew();

    /// <summary>What is left of <see cref="MlflowSettings.Total"/> for this client's requests.</summary>
    public TimeSpan Remaining => _settings.Total - _budget.Elapsed;

    public MlflowClient(MlflowSettings settings, HttpMessageHandler? handler = null)
    {
        _settings = settings;
        if (!Uri.TryCreate(settings.TrackingUri.TrimEnd('/') + "/", UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
            throw new MlflowException(0, null, $"MLflow tracking URI must be an http:// or https:// server address; found '{settings.SafeUri}'.");
        _base = new UriBuilder(baseUri) { UserName = "", Password = "" }.Uri;
        handler ??= CreateHandler(settings);
        // Each attempt and the whole retry sequence are bounded in SendAsync, by the settings' totals.
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _ownsHttp = true;

        // Credentials in the URI itself (http://user:pass@host) count as basic auth, like the Python client.
        if (settings.Username is null && !string.IsNullOrEmpty(baseUri.UserInfo))
        {
            var parts = baseUri.UserInfo.Split(':', 2);
            _settings = settings with { Username = Uri.UnescapeDataString(parts[0]), Password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "" };
        }
    }

    /// <summary>
    /// TLS as the Python client sets it up: MLFLOW_TRACKING_INSECURE_TLS skips certificate checks;
    /// MLFLOW_TRACKING_SERVER_CERT_PATH is a PEM CA bundle that alone is trusted for the server (like requests'
    /// verify=path), host name still checked; MLFLOW_TRACKING_CLIENT_CERT_PATH is a PEM file holding the client
    /// certificate and its private key, presented when the server asks for one.
    /// </summary>
    private static SocketsHttpHandler CreateHandler(MlflowSettings settings)
    {
        // A black-holed server should cost seconds, not the whole request timeout, per attempt.
        var h = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(Math.Min(10, settings.Attempt.TotalSeconds)) };
        if (settings.InsecureTls && settings.ServerCertPath is not null)
            throw new MlflowException(0, null, "MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH are both set: trust the CA bundle or skip verification, not both.");
        if (settings.InsecureTls)
            h.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        else if (settings.ServerCertPath is { } caFile)
        {
            var roots = new X509Certificate2Collection();
            try { roots.ImportFromPemFile(caFile); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new MlflowException(0, null, $"MLFLOW_TRACKING_SERVER_CERT_PATH: cannot read the CA bundle '{caFile}': {ex.Message}");
            }
            if (roots.Count == 0)
                throw new MlflowException(0, null, $"MLFLOW_TRACKING_SERVER_CERT_PATH: expected PEM certificates (-----BEGIN CERTIFICATE-----) in '{caFile}'; found none.");
            h.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
                    return false;
                using var custom = new X509Chain();
                custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                custom.ChainPolicy.CustomTrustStore.AddRange(roots);
                custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                foreach (var element in chain?.ChainElements ?? (IEnumerable<X509ChainElement>)[])
                    custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
        }
        if (settings.ClientCertPath is { } clientFile)
        {
            X509Certificate2 client;
            try
            {
                using var pem = X509Certificate2.CreateFromPemFile(clientFile);
                if (!pem.HasPrivateKey) throw new CryptographicException("the file holds no private key");
                // Through PKCS#12 so the key is usable by the TLS stack on every platform (a PEM key is ephemeral).
                client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new MlflowException(0, null, $"MLFLOW_TRACKING_CLIENT_CERT_PATH: expected a PEM file with the client certificate and its private key in '{clientFile}': {ex.Message}");
            }
            h.SslOptions.ClientCertificates = [client];
        }
        return h;
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    public static string WithoutCredentials(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var u) && !string.IsNullOrEmpty(u.UserInfo)
            ? new UriBuilder(u) { UserName = "", Password = "" }.Uri.ToString().TrimEnd('/')
            : uri;

    /// <summary>The experiment's id; created when missing. Two builds racing to create it both end with the same id.</summary>
    public async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken ct = default)
    {
        if (await TryGetExperimentAsync(name, ct) is { } existing) return existing;
        try
        {
            var created = await PostAsync("experiments/create", new JsonObject { ["name"] = name }, ct);
            return Str(created["experiment_id"]) ?? throw new MlflowException(200, null, "experiments/create answered without experiment_id");
        }
        catch (MlflowException ex) when (ex.ErrorCode == "RESOURCE_ALREADY_EXISTS")
        {
            // Another build created it between our read and our create.
            return await TryGetExperimentAsync(name, ct)
                   ?? throw new MlflowException(ex.StatusCode, ex.ErrorCode, $"Experiment '{name}' exists but cannot be read: {ex.Message}");
        }
    }

    private async Task<string?> TryGetExperimentAsync(string name, CancellationToken ct)
    {
        try
        {
            var r = await GetAsync("experiments/get-by-name?experiment_name=" + Uri.EscapeDataString(name), ct);
            var exp = r["experiment"]!;
            if (Str(exp["lifecycle_stage"]) == "deleted")
                throw new MlflowException(400, "INVALID_STATE", $"Experiment '{name}' is deleted on the server; restore it or choose another experiment name.");
            return Str(exp["experiment_id"]);
        }
        catch (MlflowException ex) when (ex.StatusCode == 404 && ex.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
        {
            return null;
        }
    }

    public sealed record RunInfo(string RunId, string ExperimentId, string ArtifactUri);

    public async Task<RunInfo> CreateRunAsync(string experimentId, string runName, string user, DateTimeOffset start,
        IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["experiment_id"] = experimentId,
            ["user_id"] = user,
            ["run_name"] = runName,
            ["start_time"] = start.ToUnixTimeMilliseconds(),
            ["tags"] = KeyValues(tags.Select(t => FitTag(t.Key, t.Value)).Take(MaxTagsPerBatch)),
        };
        var r = await PostAsync("runs/create", body, ct);
        var info = r["run"]?["info"] ?? throw new MlflowException(200, null, "runs/create answered without run.info");
        return new RunInfo(Str(info["run_id"]) ?? Str(info["run_uuid"])!, Str(info["experiment_id"]) ?? experimentId, Str(info["artifact_uri"]) ?? "");
    }

    /// <summary>
    /// Logs params, metrics and tags in as many runs/log-batch calls as the server's limits need (≤ 100 params,
    /// ≤ 100 tags, ≤ 1000 metrics, ≤ 1000 entities, ≤ 1 MB body per call). Keys and values are fitted to the size limits first
    /// (<see cref="FitParam"/>); a key that still repeats after fitting is sent once, since params are immutable.
    /// </summary>
    public async Task LogBatchAsync(string runId, IEnumerable<KeyValuePair<string, string>> parameters,
        IEnumerable<KeyValuePair<string, double>> metrics, IEnumerable<KeyValuePair<string, string>> tags, DateTimeOffset time,
        CancellationToken ct = default)
    {
        var p = Distinct(parameters.Select(x => FitParam(x.Key, x.Value))).ToList();
        var t = Distinct(tags.Select(x => FitTag(x.Key, x.Value))).ToList();
        var m = metrics.Where(x => double.IsFinite(x.Value)).Select(x => new KeyValuePair<string, double>(FitKey(x.Key), x.Value))
            .DistinctBy(x => x.Key, StringComparer.Ordinal).ToList();
        long ms = time.ToUnixTimeMilliseconds();
        int pi = 0, ti = 0, mi = 0;
        while (pi < p.Count || ti < t.Count || mi < m.Count)
        {
            // Fill one call up to every limit: counts per kind, entities in all, and the body size (100 params of
            // 6000 characters plus 100 tags of 5000 would pass the counts but not the 1 MB body limit).
            var batchParams = new List<KeyValuePair<string, string>>();
            var batchTags = new List<KeyValuePair<string, string>>();
            var batchMetrics = new List<KeyValuePair<string, double>>();
            long bytes = 64 + runId.Length;
            bool Fits(long cost) => batchParams.Count + batchTags.Count + batchMetrics.Count < MaxEntitiesPerBatch
                && (bytes + cost <= MaxBatchBytes || batchParams.Count + batchTags.Count + batchMetrics.Count == 0);
            for (long c; pi < p.Count && batchParams.Count < MaxParamsPerBatch && Fits(c = JsonCost(p[pi])); pi++, bytes += c) batchParams.Add(p[pi]);
            for (long c; ti < t.Count && batchTags.Count < MaxTagsPerBatch && Fits(c = JsonCost(t[ti])); ti++, bytes += c) batchTags.Add(t[ti]);
            for (long c; mi < m.Count && batchMetrics.Count < MaxMetricsPerBatch && Fits(c = JsonCost(m[mi].Key) + 80); mi++, bytes += c) batchMetrics.Add(m[mi]);
            var body = new JsonObject
            {
                ["run_id"] = runId,
                ["params"] = KeyValues(batchParams),
                ["tags"] = KeyValues(batchTags),
                ["metrics"] = new JsonArray(batchMetrics.Select(x => (JsonNode)new JsonObject
                {
                    ["key"] = x.Key, ["value"] = x.Value, ["timestamp"] = ms, ["step"] = 0,
                }).ToArray()),
            };
            await PostAsync("runs/log-batch", body, ct);
        }
    }

    /// <summary>Bytes a key/value pair takes in the request body, escaped as the serializer escapes it.</summary>
    private static long JsonCost(KeyValuePair<string, string> kv) => JsonCost(kv.Key) + JsonCost(kv.Value) + 24;

    private static long JsonCost(string s) => JsonEncodedText.Encode(s).EncodedUtf8Bytes.Length + 2;

    public sealed record DatasetInput(string Name, string Digest, string SourceType, string Source, string? Schema, string? Profile, string Context = "training");

    public async Task LogInputsAsync(string runId, DatasetInput dataset, CancellationToken ct = default)
    {
        if (dataset.Digest.Length > MaxDatasetDigestLength)
            throw new ArgumentException($"An MLflow dataset digest has at most {MaxDatasetDigestLength} characters; found {dataset.Digest.Length}.", nameof(dataset));
        var d = new JsonObject
        {
            ["name"] = dataset.Name, ["digest"] = dataset.Digest, ["source_type"] = dataset.SourceType, ["source"] = dataset.Source,
        };
        if (dataset.Schema is not null) d["schema"] = dataset.Schema;
        if (dataset.Profile is not null) d["profile"] = dataset.Profile;
        var body = new JsonObject
        {
            ["run_id"] = runId,
            ["datasets"] = new JsonArray(new JsonObject
            {
                ["tags"] = KeyValues([new("mlflow.data.context", dataset.Context)]),
                ["dataset"] = d,
            }),
        };
        await PostAsync("runs/log-inputs", body, ct);
    }

    /// <summary>
    /// Uploads one file through the tracking server's artifact proxy. Only <c>mlflow-artifacts:</c> artifact URIs go
    /// through the server; any other store (s3://, file://, ...) would have to be written by the client itself.
    /// </summary>
    public async Task UploadArtifactAsync(string artifactUri, string relativePath, byte[] content, CancellationToken ct = default)
    {
        string basePath = ArtifactProxyPath(artifactUri);
        string rel = string.Join('/', relativePath.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
        var uri = new Uri(_base, "api/2.0/mlflow-artifacts/artifacts/" + basePath + "/" + rel);
        await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, uri) { Content = new ByteArrayContent(content) }, "artifact upload " + relativePath, ct);
    }

    /// <summary>"mlflow-artifacts:/1/abc/artifacts" (or mlflow-artifacts://host/1/...) → "1/abc/artifacts".</summary>
    public static string ArtifactProxyPath(string artifactUri)
    {
        const string scheme = "mlflow-artifacts:";
        if (!artifactUri.StartsWith(scheme, StringComparison.Ordinal))
            throw new NotSupportedException($"The run's artifact store '{artifactUri}' is not served by the tracking server (start it with --serve-artifacts); SynthBuild uploads artifacts only through the mlflow-artifacts proxy.");
        string rest = artifactUri[scheme.Length..];
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            int slash = rest.IndexOf('/', 2);
            rest = slash < 0 ? "" : rest[slash..];
        }
        return string.Join('/', rest.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
    }

    /// <summary>Ends a run. The server answers 200 to an unknown status and changes nothing, so the status is checked here.</summary>
    public async Task UpdateRunAsync(string runId, string status, DateTimeOffset end, CancellationToken ct = default)
    {
        if (Array.IndexOf(RunStatuses, status) < 0)
            throw new ArgumentException($"Run status must be one of {string.Join(", ", RunStatuses)}; found '{status}'.", nameof(status));
        await PostAsync("runs/update", new JsonObject { ["run_id"] = runId, ["status"] = status, ["end_time"] = end.ToUnixTimeMilliseconds() }, ct);
    }

    /// <summary>
    /// Marks a run whose logging broke off FAILED, best effort: one attempt within what is left of the total
    /// (at least the <see cref="MlflowSettings.FailedMarkReserve"/> the other requests left for it).
    /// </summary>
    public async Task MarkRunFailedAsync(string runId, CancellationToken ct = default)
    {
        var body = new JsonObject { ["run_id"] = runId, ["status"] = "FAILED", ["end_time"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        string json = body.ToJsonString();
        await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, new Uri(_base, "api/2.0/mlflow/runs/update"))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        }, "runs/update", ct, finalMark: true);
    }

    public async Task<JsonNode> GetRunAsync(string runId, CancellationToken ct = default) =>
        (await GetAsync("runs/get?run_id=" + Uri.EscapeDataString(runId), ct))["run"]!;

    // ----- limits -----

    /// <summary>
    /// Fits a param to the server's limits. The key is made a valid MLflow name (<see cref="FitKey"/>); a key over 250
    /// characters keeps its first 241 and appends "_" and 8 hex of the full key's SHA-256; a value over 6000 keeps its first 5974 and appends "...sha256:" and 16 hex of the
    /// full value's SHA-256, so different long values stay distinguishable and the full text is in the artifacts.
    /// </summary>
    public static KeyValuePair<string, string> FitParam(string key, string value) => new(FitKey(key), FitValue(value, MaxParamValueLength));

    public static KeyValuePair<string, string> FitTag(string key, string value) => new(FitKey(key), FitValue(value, MaxTagValueLength));

    /// <summary>
    /// A key the server accepts. MLflow allows only letters, digits, '_', '-', '.', ' ' and '/' in param, metric and
    /// tag names, and refuses names that are not normalised paths ("a//b", "./a", "..x"); anything else (and '/') becomes
    /// '_', a leading "." or ".." gets a '_' in front, and a key over 250 characters is shortened with a hash suffix.
    /// </summary>
    public static string FitKey(string key)
    {
        var sb = new StringBuilder(key.Length);
        foreach (char c in key) sb.Append(char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or ' ' ? c : '_');
        string safe = sb.ToString();
        if (safe.Length == 0 || safe == "." || safe.StartsWith("..", StringComparison.Ordinal)) safe = "_" + safe;
        return safe.Length <= MaxKeyLength ? safe : safe[..(MaxKeyLength - 9)] + "_" + Hex(key)[..8];
    }

    public static string FitValue(string value, int max)
    {
        if (value.Length <= max) return value;
        string suffix = "...sha256:" + Hex(value)[..16];
        return value[..(max - suffix.Length)] + suffix;
    }

    private static string Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    private static IEnumerable<KeyValuePair<string, string>> Distinct(IEnumerable<KeyValuePair<string, string>> items) =>
        items.DistinctBy(x => x.Key, StringComparer.Ordinal);

    private static JsonArray KeyValues(IEnumerable<KeyValuePair<string, string>> items) =>
        new(items.Select(x => (JsonNode)new JsonObject { ["key"] = x.Key, ["value"] = x.Value }).ToArray());

    /// <summary>int64 and id fields may come back as numbers or strings.</summary>
    private static string? Str(JsonNode? n) => n switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonValue v when v.TryGetValue(out long l) => l.ToString(CultureInfo.InvariantCulture),
        _ => n.ToJsonString(),
    };

    // ----- transport -----

    private Task<JsonNode> GetAsync(string path, CancellationToken ct) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "api/2.0/mlflow/" + path)), path.Split('?')[0], ct);

    private Task<JsonNode> PostAsync(string path, JsonObject body, CancellationToken ct)
    {
        string json = body.ToJsonString();
        return SendAsync(() => new HttpRequestMessage(HttpMethod.Post, new Uri(_base, "api/2.0/mlflow/" + path))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        }, path, ct);
    }

    /// <summary>
    /// Sends with bounded retries: a connection failure, a timeout, 429 or a 5xx is retried after 0.5 s, 1 s, 2 s, ...
    /// (<see cref="MlflowSettings.MaxAttempts"/> attempts in all); any other 4xx is final. Each attempt is bounded by
    /// <see cref="MlflowSettings.Attempt"/>, and every request of this client together by <see cref="MlflowSettings.Total"/>
    /// (less the FAILED-mark reserve, except for that mark, which gets one attempt), so a server that accepts connections
    /// and never answers, or answers each request slowly, costs at most the total. Server text in any message is
    /// redacted of the credentials (<see cref="Redact"/>).
    /// </summary>
    private async Task<JsonNode> SendAsync(Func<HttpRequestMessage> make, string what, CancellationToken ct, bool finalMark = false)
    {
        TimeSpan delay = _settings.InitialBackoff ?? TimeSpan.FromMilliseconds(500);
        TimeSpan total = _settings.Total;
        TimeSpan deadline = finalMark ? total : total - _settings.FailedMarkReserve;
        int attempts = finalMark ? 1 : Math.Max(1, _settings.MaxAttempts);
        string lastProblem = "";
        for (int attempt = 1; ; attempt++)
        {
            TimeSpan limit = deadline - _budget.Elapsed;
            if (finalMark && limit < _settings.FailedMarkReserve) limit = _settings.FailedMarkReserve;
            if (limit > _settings.Attempt) limit = _settings.Attempt;
            if (limit < TimeSpan.FromMilliseconds(1))
                throw GiveUp(what, attempt - 1, total, attempt == 1 ? "no time left of the total" : lastProblem);
            using var request = make();
            Authorize(request);
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bounded.CancelAfter(limit);
            try
            {
                using var response = await _http.SendAsync(request, bounded.Token);
                string text = await response.Content.ReadAsStringAsync(bounded.Token);
                if (response.IsSuccessStatusCode)
                {
                    if (string.IsNullOrWhiteSpace(text)) return new JsonObject();
                    try { return JsonNode.Parse(text) ?? new JsonObject(); }
                    catch (JsonException)
                    {
                        // E.g. a single-sign-on proxy's login page: retrying will not help.
                        string first = text.Split('\n', 2)[0].Trim();
                        throw new MlflowException((int)response.StatusCode, null, Redact(
                            $"MLflow {what}: HTTP {(int)response.StatusCode} but the answer is not JSON (is {_settings.SafeUri} an MLflow tracking server, or a proxy's login page?): {(first.Length > 120 ? first[..120] + "..." : first)}"));
                    }
                }
                int status = (int)response.StatusCode;
                var error = ParseError(status, text, what);
                if (status != 429 && status < 500) throw error;
                lastProblem = error.Message;
            }
            catch (HttpRequestException ex) when (ex.InnerException is System.Security.Authentication.AuthenticationException tls)
            {
                // A certificate problem does not go away by retrying.
                throw new MlflowException(0, null, Redact($"MLflow server {_settings.SafeUri}: TLS handshake failed for {what}: {tls.Message} " +
                    "(a server with a private CA: MLFLOW_TRACKING_SERVER_CERT_PATH=ca.pem; one that wants a client certificate: MLFLOW_TRACKING_CLIENT_CERT_PATH=client.pem)"));
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                lastProblem = Redact(ex.InnerException?.Message ?? ex.Message);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                lastProblem = $"no answer within {limit.TotalSeconds:0.#} s";
            }
            // Give up when the attempts are used, or when waiting for the next one would pass the total.
            if (attempt >= attempts || _budget.Elapsed + delay >= deadline)
                throw GiveUp(what, attempt, total, lastProblem);
            await Task.Delay(delay, ct);
            delay *= 2;
        }
    }

    private MlflowUnreachableException GiveUp(string what, int attempts, TimeSpan total, string problem) => new(
        $"MLflow server {_settings.SafeUri} unreachable for {what} after {attempts} attempt(s), {_budget.Elapsed.TotalSeconds:0.#} s into the MLflow step " +
        $"(limit {total.TotalSeconds:0.#} s for all its requests: {MlflowSettings.TimeoutProperty} or {MlflowSettings.TimeoutVariable}): {Redact(problem)}");

    /// <summary>
    /// <paramref name="text"/> (a server's answer, an exception message) without the credentials this client sends:
    /// the token, the password, user:password and the Basic value, also URL- or JSON-escaped, so a server or proxy
    /// that echoes the Authorization header cannot get them printed or stored.
    /// </summary>
    public string Redact(string text)
    {
        var secrets = new List<string>();
        void Add(string? secret)
        {
            if (string.IsNullOrEmpty(secret)) return;
            secrets.Add(secret);
            secrets.Add(Uri.EscapeDataString(secret));
            secrets.Add(JsonEncodedText.Encode(secret).ToString());
            secrets.Add(JsonEncodedText.Encode(secret, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString());
        }
        Add(_settings.Token);
        Add(_settings.Password);
        if (_settings.Username is not null && _settings.Password is not null)
        {
            Add(_settings.Username + ":" + _settings.Password);
            Add(Convert.ToBase64String(Encoding.UTF8.GetBytes(_settings.Username + ":" + _settings.Password)));
        }
        // Longest first, so a secret containing another is removed whole.
        foreach (string secret in secrets.Distinct().OrderByDescending(x => x.Length))
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        // Credentials this client did not send can still be in server text: another user:password@ in a URL, or an
        // Authorization value a proxy echoes from elsewhere.
        text = UrlUserInfo().Replace(text, "://***@");
        return AuthorizationValue().Replace(text, "$1***");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"://[^/\s@:]+:[^/\s@]*@")]
    private static partial System.Text.RegularExpressions.Regex UrlUserInfo();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?i)(authorization[""']?\s*[:=]\s*[""']?(?:bearer|basic|token)\s+)[^\s""'<>,;]+")]
    private static partial System.Text.RegularExpressions.Regex AuthorizationValue();

    private void Authorize(HttpRequestMessage request)
    {
        if (_settings.Username is not null && _settings.Password is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(_settings.Username + ":" + _settings.Password)));
        else if (_settings.Token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _settings.Token);
    }

    private MlflowException ParseError(int status, string body, string what)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject o && o["error_code"] is not null)
                return new MlflowException(status, Str(o["error_code"]), Redact($"MLflow {what}: HTTP {status} {Str(o["error_code"])}: {Str(o["message"])}"));
        }
        catch (JsonException) { }
        // A basic-auth server answers 401 with plain text; proxies answer with HTML. Keep one short line of it.
        string line = body.Split('\n', 2)[0].Trim();
        if (line.Length > 200) line = line[..200] + "...";
        string hint = status is 401 or 403 ? " (check MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN)" : "";
        return new MlflowException(status, null, Redact($"MLflow {what}: HTTP {status}{hint}: {line}"));
    }
}
