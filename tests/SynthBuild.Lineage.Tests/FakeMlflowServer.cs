using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace SynthBuild.Lineage.Tests;

/// <summary>
/// An in-process MLflow tracking server that behaves as shared/reference/mlflow-rest.md describes: JSON error bodies,
/// 401 in plain text with WWW-Authenticate, immutable params, batch and size limits, the 36-character dataset digest
/// limit, unknown statuses ignored, artifacts PUT under /api/2.0/mlflow-artifacts/artifacts/&lt;exp&gt;/&lt;run&gt;/artifacts/.
/// </summary>
internal sealed partial class FakeMlflowServer : IDisposable
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^[/\w.\- ]*$")]
    private static partial System.Text.RegularExpressions.Regex ValidName();

    private readonly HttpListener _listener = new();
    private readonly object _gate = new();
    private int _nextExperiment = 1;

    public FakeMlflowServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Uri = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Uri + "/");
        _listener.Start();
        _ = Task.Run(Loop);
    }

    public string Uri { get; }
    public (string User, string Password)? RequireBasic { get; set; }
    public string? RequireBearer { get; set; }
    /// <summary>The next N requests answer 503 (a server restarting behind a proxy).</summary>
    public int FailNext;
    /// <summary>Every request answered 200 with an HTML page (a single-sign-on proxy in front of the server).</summary>
    public bool LoginPage { get; set; }
    /// <summary>The next N requests are carried out, then answered 503 (the answer lost on the way back).</summary>
    public int FailAfterProcessingNext;
    /// <summary>Every request answered 500 with a plain-text body that echoes the request's Authorization header
    /// (as some proxies' error pages do), URL-encoded as well.</summary>
    public bool EchoAuthorization { get; set; }
    /// <summary>Delay before answering experiments/get-by-name (widens the create race).</summary>
    public TimeSpan GetByNameDelay { get; set; }
    /// <summary>Delay before answering every request (a slow server or proxy that does answer, each time within a request's limit).</summary>
    public TimeSpan AnswerDelay { get; set; }

    public ConcurrentQueue<(string Method, string Path, string? Authorization, DateTime At)> Requests { get; } = new();
    public Dictionary<string, (string Id, string Name)> Experiments { get; } = new();
    public Dictionary<string, Run> Runs { get; } = new();
    public ConcurrentDictionary<string, byte[]> Artifacts { get; } = new();

    public sealed class Run
    {
        public required string Id, ExperimentId, Name, User;
        public string Status = "RUNNING";
        public Dictionary<string, string> Params { get; } = new();
        public Dictionary<string, double> Metrics { get; } = new();
        public Dictionary<string, string> Tags { get; } = new();
        public List<JsonObject> Inputs { get; } = new();
        public int Batches;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }

    private async Task Loop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => Handle(ctx));
        }
    }

    private async Task Handle(HttpListenerContext ctx)
    {
        var req = ctx.Request;
        string path = req.Url!.AbsolutePath;
        Requests.Enqueue((req.HttpMethod, path, req.Headers["Authorization"], DateTime.UtcNow));
        if (AnswerDelay > TimeSpan.Zero) await Task.Delay(AnswerDelay);
        byte[] body;
        using (var ms = new MemoryStream()) { await req.InputStream.CopyToAsync(ms); body = ms.ToArray(); }
        int status = 200;
        string answer = "{}";
        string contentType = "application/json";
        try
        {
            if (EchoAuthorization)
            {
                string auth = req.Headers["Authorization"] ?? "";
                status = 500;
                answer = $"Upstream error. Request headers: Authorization: {auth} (escaped: {System.Uri.EscapeDataString(auth)})";
                contentType = "text/plain";
            }
            else if (LoginPage) { answer = "<!DOCTYPE html><html><body>Sign in</body></html>"; contentType = "text/html"; }
            else if (Interlocked.Decrement(ref FailNext) >= 0) { status = 503; answer = "<html>503 Service Unavailable</html>"; contentType = "text/html"; }
            else if (!Authorized(req.Headers["Authorization"]))
            {
                status = 401;
                answer = "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.";
                contentType = "text/plain";
                ctx.Response.AddHeader("WWW-Authenticate", "Basic realm=\"mlflow\"");
            }
            else if (path.StartsWith("/api/2.0/mlflow-artifacts/artifacts/", StringComparison.Ordinal) && req.HttpMethod == "PUT")
                Artifacts[System.Uri.UnescapeDataString(path["/api/2.0/mlflow-artifacts/artifacts/".Length..])] = body;
            else if (req.HttpMethod == "GET" && path == "/api/2.0/mlflow/experiments/get-by-name")
            {
                await Task.Delay(GetByNameDelay);
                string name = req.QueryString["experiment_name"] ?? "";
                lock (_gate)
                    answer = Experiments.TryGetValue(name, out var e)
                        ? new JsonObject { ["experiment"] = new JsonObject { ["experiment_id"] = e.Id, ["name"] = name, ["lifecycle_stage"] = "active", ["artifact_location"] = "mlflow-artifacts:/" + e.Id } }.ToJsonString()
                        : throw new Error(404, "RESOURCE_DOES_NOT_EXIST", $"Could not find experiment with name '{name}'");
            }
            else if (req.HttpMethod == "GET" && path == "/api/2.0/mlflow/runs/get")
            {
                lock (_gate)
                {
                    var run = Runs.GetValueOrDefault(req.QueryString["run_id"] ?? "") ?? throw new Error(404, "RESOURCE_DOES_NOT_EXIST", "Run not found");
                    answer = new JsonObject { ["run"] = new JsonObject { ["info"] = new JsonObject { ["run_id"] = run.Id, ["status"] = run.Status,
                        ["artifact_uri"] = $"mlflow-artifacts:/{run.ExperimentId}/{run.Id}/artifacts" } } }.ToJsonString();
                }
            }
            else if (req.HttpMethod == "POST")
            {
                if (req.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
                    throw new Error(400, "BAD_REQUEST", "Content-Type must be one of ['application/json']");
                var json = JsonNode.Parse(body)!.AsObject();
                lock (_gate) answer = Post(path["/api/2.0/mlflow/".Length..], json);
            }
            else throw new Error(404, "ENDPOINT_NOT_FOUND", "No such endpoint " + path);
        }
        catch (Error e)
        {
            status = e.Status;
            answer = new JsonObject { ["error_code"] = e.Code, ["message"] = e.Message }.ToJsonString();
        }
        if (status == 200 && Interlocked.Decrement(ref FailAfterProcessingNext) >= 0)
        {
            status = 503;
            answer = "<html>503 Service Unavailable</html>";
            contentType = "text/html";
        }
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        byte[] bytes = Encoding.UTF8.GetBytes(answer);
        await ctx.Response.OutputStream.WriteAsync(bytes);
        ctx.Response.Close();
    }

    private bool Authorized(string? header)
    {
        if (RequireBasic is { } b) return header == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(b.User + ":" + b.Password));
        if (RequireBearer is { } t) return header == "Bearer " + t;
        return true;
    }

    private string Post(string call, JsonObject j)
    {
        switch (call)
        {
            case "experiments/create":
            {
                string name = (string)j["name"]!;
                if (Experiments.ContainsKey(name)) throw new Error(400, "RESOURCE_ALREADY_EXISTS", $"Experiment(name={name}) already exists.");
                string id = (_nextExperiment++).ToString(System.Globalization.CultureInfo.InvariantCulture);
                Experiments[name] = (id, name);
                return new JsonObject { ["experiment_id"] = id }.ToJsonString();
            }
            case "runs/create":
            {
                string exp = (string)j["experiment_id"]!;
                string id = Guid.NewGuid().ToString("N");
                var run = new Run { Id = id, ExperimentId = exp, Name = (string?)j["run_name"] ?? "", User = (string?)j["user_id"] ?? "" };
                foreach (var t in j["tags"]?.AsArray() ?? []) run.Tags[(string)t!["key"]!] = (string)t["value"]!;
                Runs[id] = run;
                // start_time as a string: int64s may come back either way.
                return new JsonObject { ["run"] = new JsonObject { ["info"] = new JsonObject
                {
                    ["run_id"] = id, ["experiment_id"] = exp, ["status"] = "RUNNING", ["start_time"] = j["start_time"]!.ToJsonString(),
                    ["artifact_uri"] = $"mlflow-artifacts:/{exp}/{id}/artifacts",
                } } }.ToJsonString();
            }
            case "runs/log-batch":
            {
                var run = RunOf(j);
                if (System.Text.Encoding.UTF8.GetByteCount(j.ToJsonString()) > 1_000_000)
                    throw Invalid("Batched logging API requests must be at most 1000000 bytes");
                var ps = j["params"]?.AsArray() ?? []; var ms = j["metrics"]?.AsArray() ?? []; var ts = j["tags"]?.AsArray() ?? [];
                if (ps.Count > 100) throw Invalid($"A batch logging request can contain at most 100 params. Got {ps.Count} params.");
                if (ts.Count > 100) throw Invalid($"A batch logging request can contain at most 100 tags. Got {ts.Count} tags.");
                if (ms.Count > 1000 || ps.Count + ms.Count + ts.Count > 1000) throw Invalid("A batch logging request can contain at most 1000 metrics/params/tags in total.");
                foreach (var e in ps.Concat(ms).Concat(ts))
                {
                    // mlflow/utils/validation.py: a name of [/\w.\- ] that is a normalised relative path.
                    string k = (string)e!["key"]!;
                    if (!ValidName().IsMatch(k) || System.IO.Path.GetFullPath("/x/" + k) != "/x/" + k.TrimEnd('/') || k.StartsWith("..", StringComparison.Ordinal) || k is "." or "" || k.Contains("//"))
                        throw Invalid($"Invalid name: '{k}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/), and must be unique paths.");
                }
                foreach (var p in ps)
                {
                    string k = (string)p!["key"]!, v = (string)p["value"]!;
                    if (k.Length > 250) throw Invalid($"Param key '{k[..20]}...' had length {k.Length}, which exceeded length limit of 250");
                    if (v.Length > 6000) throw Invalid($"Param value '{v[..20]}...' had length {v.Length}, which exceeded length limit of 6000");
                    if (run.Params.TryGetValue(k, out var old) && old != v)
                        throw Invalid($"Changing param values is not allowed. Param with key='{k}' was already logged with value='{old}' for run ID='{run.Id}'. Attempted logging new value '{v}'.");
                }
                foreach (var t in ts)
                    if (((string)t!["value"]!).Length > 5000) throw Invalid("Tag value exceeded length limit of 5000");
                foreach (var p in ps) run.Params[(string)p!["key"]!] = (string)p["value"]!;
                foreach (var m in ms) run.Metrics[(string)m!["key"]!] = (double)m["value"]!;
                foreach (var t in ts) run.Tags[(string)t!["key"]!] = (string)t["value"]!;
                run.Batches++;
                return "{}";
            }
            case "runs/log-inputs":
            {
                var run = RunOf(j);
                foreach (var d in j["datasets"]!.AsArray())
                {
                    var ds = d!["dataset"]!.AsObject();
                    if (((string?)ds["digest"])?.Length > 36) throw Invalid($"Dataset digest '{ds["digest"]}' had length {((string)ds["digest"]!).Length}, which exceeded length limit of 36");
                    if (ds["name"] is null || ds["digest"] is null) throw Invalid("Missing value for required parameter 'name' or 'digest'");
                    run.Inputs.Add(d.AsObject().DeepClone().AsObject());
                }
                return "{}";
            }
            case "runs/update":
            {
                var run = RunOf(j);
                string s = (string)j["status"]!;
                if (s is "RUNNING" or "SCHEDULED" or "FINISHED" or "FAILED" or "KILLED") run.Status = s; // anything else: 200, no change
                return new JsonObject { ["run_info"] = new JsonObject { ["run_id"] = run.Id, ["status"] = run.Status } }.ToJsonString();
            }
            default:
                throw new Error(404, "ENDPOINT_NOT_FOUND", "No such endpoint " + call);
        }
    }

    private Run RunOf(JsonObject j) =>
        Runs.GetValueOrDefault((string?)j["run_id"] ?? "") ?? throw new Error(404, "RESOURCE_DOES_NOT_EXIST", $"Run '{j["run_id"]}' not found");

    private static Error Invalid(string message) => new(400, "INVALID_PARAMETER_VALUE", message);

    private sealed class Error(int status, string code, string message) : Exception(message)
    {
        public int Status { get; } = status;
        public string Code { get; } = code;
    }
}

/// <summary>Accepts every connection and never answers (a wedged server or a proxy with a dead upstream).</summary>
internal sealed class HangingMlflowServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _held = [];

    public HangingMlflowServer()
    {
        _listener.Start();
        Uri = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _ = Task.Run(async () =>
        {
            while (true)
            {
                TcpClient c;
                try { c = await _listener.AcceptTcpClientAsync(); }
                catch (Exception) { return; }
                lock (_held) _held.Add(c); // kept open, never read, never answered
            }
        });
    }

    public string Uri { get; }
    public int Accepted { get { lock (_held) return _held.Count; } }

    public void Dispose()
    {
        _listener.Stop();
        lock (_held) foreach (var c in _held) c.Dispose();
    }
}
