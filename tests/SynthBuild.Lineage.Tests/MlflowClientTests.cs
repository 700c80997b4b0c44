using SynthBuild.Core;
using System.Text;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Lineage.Tests;

public class MlflowClientTests
{
    private static MlflowSettings Fast(string uri, int attempts = 3) =>
        new(uri, MaxAttempts: attempts, InitialBackoff: TimeSpan.FromMilliseconds(20), RequestTimeout: TimeSpan.FromSeconds(5));

    [Fact]
    public void A_record_becomes_one_finished_run_with_params_metrics_tags_input_and_artifacts()
    {
        var f = new LineageFixture();
        Directory.CreateDirectory(Path.Combine(f.DatasetRoot, "reports"));
        File.WriteAllText(Path.Combine(f.DatasetRoot, "reports", "quality.json"),
            """{ "passed": true, "visibility": { "mean": 0.75 }, "categories": [ { "name": "box", "count": 7 } ] }""");
        using var server = new FakeMlflowServer();
        var outcome = LineageRecorder.Record(new LineageRequest(f.ProjectFile, f.ConfigFile, f.DatasetRoot, new(), "1.2.0",
            new GenerationFigures(3, 0, 0, 1.5), LineageRecord.Finished, f.LogFile, [f.ProjectFile, f.ConfigFile],
            SettingsOverride: Fast(server.Uri)));
        Assert.True(outcome.Succeeded, string.Join("\n", outcome.Diagnostics));

        var run = Assert.Single(server.Runs.Values);
        Assert.Equal("FINISHED", run.Status);
        Assert.Equal("small-v1.2.0", run.Name);
        Assert.Equal("small", server.Experiments.Keys.Single());
        Assert.Equal("7", run.Params["seed"]);
        Assert.Equal("[0.05,0.3]", run.Params["categories.box.size"]);
        Assert.Equal(3, run.Metrics["samples"]);
        Assert.Equal(2, run.Metrics["samples_per_second"]);
        Assert.Equal(0.75, run.Metrics["quality.visibility.mean"]);
        Assert.Equal(7, run.Metrics["quality.categories.box.count"]);
        using (var repo = new LibGit2Sharp.Repository(f.Dir)) Assert.Equal(repo.Head.Tip.Sha, run.Tags["mlflow.source.git.commit"]);
        Assert.Equal("1.2.0", run.Tags["synth.dataset.version"]);
        Assert.Equal(outcome.Record!.Dataset.Digest, run.Tags["synth.dataset.digest"]);
        Assert.Equal(EngineInfo.Version, run.Tags["synth.engine.version"]);
        Assert.Equal(f.ProjectFile, run.Tags["mlflow.source.name"]);
        var input = Assert.Single(run.Inputs);
        Assert.Equal(outcome.Record.Dataset.Digest[..12], (string)input["dataset"]!["digest"]!);
        Assert.Contains("\"num_rows\":3", (string)input["dataset"]!["profile"]!);
        Assert.StartsWith("{\"uri\":\"file://", (string)input["dataset"]!["source"]!);
        Assert.Equal("training", (string)input["tags"]![0]!["value"]!);
        string prefix = $"{run.ExperimentId}/{run.Id}/artifacts/";
        Assert.Contains(prefix + "dataset/manifest.json", server.Artifacts.Keys);
        Assert.Contains(prefix + "config/effective-config.json", server.Artifacts.Keys);
        Assert.Contains(prefix + "config/synth.json", server.Artifacts.Keys);
        Assert.Contains(prefix + "reports/quality.json", server.Artifacts.Keys);
        Assert.Equal(File.ReadAllBytes(Path.Combine(f.DatasetRoot, "manifest.json")), server.Artifacts[prefix + "dataset/manifest.json"]);

        // The same content, offline, with the run it went to.
        var logged = Assert.Single(LineageLog.Read(f.LogFile));
        Assert.Equal(run.Id, logged.Mlflow!.RunId);
        Assert.Equal(0.75, logged.Metrics["quality.visibility.mean"]);
        Assert.Contains("small v1.2.0 FINISHED", LineageLog.Format([logged]));
    }

    [Fact]
    public async Task Two_builds_racing_to_create_the_experiment_both_get_its_id()
    {
        using var server = new FakeMlflowServer { GetByNameDelay = TimeSpan.FromMilliseconds(200) };
        // A generous timeout: a retry after a slow answer (a busy machine running the whole suite) would add a
        // third create request and blur what this test counts.
        var patient = Fast(server.Uri) with { RequestTimeout = TimeSpan.FromSeconds(60) };
        using var a = new MlflowClient(patient);
        using var b = new MlflowClient(patient);
        var ids = await Task.WhenAll(a.GetOrCreateExperimentAsync("race"), b.GetOrCreateExperimentAsync("race"));
        Assert.Equal(ids[0], ids[1]);
        Assert.Single(server.Experiments);
        Assert.Equal(2, server.Requests.Count(r => r.Path.EndsWith("experiments/create", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Batches_respect_the_server_limits_and_long_keys_and_values_are_fitted()
    {
        using var server = new FakeMlflowServer();
        using var client = new MlflowClient(Fast(server.Uri));
        string exp = await client.GetOrCreateExperimentAsync("limits");
        var run = await client.CreateRunAsync(exp, "r", "ci", DateTimeOffset.UtcNow, []);
        var ps = Enumerable.Range(0, 250).Select(i => new KeyValuePair<string, string>($"p{i:D3}", "v")).ToList();
        string longKey = new('k', 300), longValue = new string('v', 7000), otherLongValue = new string('v', 6500);
        ps.Add(new(longKey, longValue));
        ps.Add(new("long.a", longValue));
        ps.Add(new("long.b", otherLongValue));
        var ms = Enumerable.Range(0, 1500).Select(i => new KeyValuePair<string, double>($"m{i}", i)).ToList();
        await client.LogBatchAsync(run.RunId, ps, ms, [new("t", new string('t', 6000))], DateTimeOffset.UtcNow);

        var stored = server.Runs[run.RunId];
        Assert.Equal(253, stored.Params.Count);
        Assert.Equal(1500, stored.Metrics.Count);
        Assert.True(stored.Batches >= 3);
        string fittedKey = MlflowClient.FitKey(longKey);
        Assert.Equal(250, fittedKey.Length);
        Assert.Equal(6000, stored.Params[fittedKey].Length);
        Assert.Matches("\\.\\.\\.sha256:[0-9a-f]{16}$", stored.Params["long.a"]);
        Assert.NotEqual(stored.Params["long.a"], stored.Params["long.b"]);
        Assert.Equal(5000, stored.Tags["t"].Length);

        // Params are immutable: the same key with another value is the server's 400, reported with its code.
        var ex = await Assert.ThrowsAsync<MlflowException>(() =>
            client.LogBatchAsync(run.RunId, [new("p000", "other")], [], [], DateTimeOffset.UtcNow));
        Assert.Equal("INVALID_PARAMETER_VALUE", ex.ErrorCode);
        Assert.Contains("Changing param values is not allowed", ex.Message);
    }

    [Fact]
    public async Task Dataset_digest_longer_than_36_characters_is_refused_before_sending()
    {
        using var server = new FakeMlflowServer();
        using var client = new MlflowClient(Fast(server.Uri));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            client.LogInputsAsync("r", new MlflowClient.DatasetInput("d", new string('a', 40), "local", "{}", null, null)));
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task An_unknown_run_status_is_refused_by_the_client_since_the_server_would_silently_ignore_it()
    {
        using var server = new FakeMlflowServer();
        using var client = new MlflowClient(Fast(server.Uri));
        await Assert.ThrowsAsync<ArgumentException>(() => client.UpdateRunAsync("r", "BOGUS", DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Outage_is_retried_with_backoff_and_then_succeeds()
    {
        using var server = new FakeMlflowServer { FailNext = 2 };
        using var client = new MlflowClient(Fast(server.Uri, attempts: 3));
        string id = await client.GetOrCreateExperimentAsync("flaky");
        Assert.Equal("1", id);
        Assert.True(server.Requests.Count >= 4); // 2 × 503, then get-by-name 404, then create
    }

    [Fact]
    public void Unreachable_server_gives_a_warning_after_bounded_retries_and_the_record_still_goes_to_the_log()
    {
        var f = new LineageFixture();
        string deadUri;
        using (var s = new FakeMlflowServer()) deadUri = s.Uri; // now closed: connection refused
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = LineageRecorder.Record(new LineageRequest(f.ProjectFile, f.ConfigFile, f.DatasetRoot, new(), null,
            new GenerationFigures(3, 0, 0, 1), LineageRecord.Finished, f.LogFile, [], SettingsOverride: Fast(deadUri)));
        Assert.True(outcome.Succeeded);
        var w = Assert.Single(outcome.Diagnostics, d => d.Code == SynCodes.MlflowFailed);
        Assert.Contains("after 3 attempt(s)", w.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Null(Assert.Single(LineageLog.Read(f.LogFile)).Mlflow);

        var required = LineageRecorder.Record(new LineageRequest(f.ProjectFile, f.ConfigFile, f.DatasetRoot, new(), null,
            new GenerationFigures(3, 0, 0, 1), LineageRecord.Finished, f.LogFile, [], Required: true, SettingsOverride: Fast(deadUri)));
        Assert.False(required.Succeeded);
        Assert.Contains(required.Diagnostics, d => d.Code == SynCodes.MlflowRequiredFailed && d.IsError);
    }

    [Fact]
    public async Task Basic_auth_wins_over_a_token_and_a_bearer_token_is_sent_otherwise()
    {
        using var server = new FakeMlflowServer { RequireBasic = ("alice", "pa:ss") };
        var env = new Dictionary<string, string?>
        {
            ["MLFLOW_TRACKING_URI"] = server.Uri, ["MLFLOW_TRACKING_USERNAME"] = "alice", ["MLFLOW_TRACKING_PASSWORD"] = "pa:ss",
            ["MLFLOW_TRACKING_TOKEN"] = "tok",
        };
        var settings = MlflowSettings.FromEnvironment(null, k => env.GetValueOrDefault(k))!;
        using (var client = new MlflowClient(settings with { InitialBackoff = TimeSpan.FromMilliseconds(10) }))
            Assert.Equal("1", await client.GetOrCreateExperimentAsync("auth"));
        Assert.All(server.Requests, r => Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:pa:ss")), r.Authorization));
        Assert.DoesNotContain("pa:ss", settings.ToString());

        using var tokenServer = new FakeMlflowServer { RequireBearer = "tok" };
        env["MLFLOW_TRACKING_URI"] = tokenServer.Uri;
        env["MLFLOW_TRACKING_USERNAME"] = null;
        using (var client = new MlflowClient(MlflowSettings.FromEnvironment(null, k => env.GetValueOrDefault(k))!))
            Assert.Equal("1", await client.GetOrCreateExperimentAsync("auth"));
        Assert.All(tokenServer.Requests, r => Assert.Equal("Bearer tok", r.Authorization));
    }

    [Fact]
    public async Task A_401_in_plain_text_is_reported_without_retries_and_without_the_credentials()
    {
        using var server = new FakeMlflowServer { RequireBasic = ("alice", "right") };
        using var client = new MlflowClient(Fast(server.Uri) with { Username = "alice", Password = "wrong-secret" });
        var ex = await Assert.ThrowsAsync<MlflowException>(() => client.GetOrCreateExperimentAsync("x"));
        Assert.Equal(401, ex.StatusCode);
        Assert.Null(ex.ErrorCode);
        Assert.Contains("You are not authenticated", ex.Message);
        Assert.Contains("MLFLOW_TRACKING_USERNAME", ex.Message);
        Assert.DoesNotContain("wrong-secret", ex.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public void Credentials_in_the_tracking_uri_never_reach_records()
    {
        var settings = new MlflowSettings("http://bob:hunter2@mlflow.example.com:5000/");
        Assert.Equal("http://mlflow.example.com:5000", settings.SafeUri);
        Assert.DoesNotContain("hunter2", settings.ToString());
    }

    [Fact]
    public void Artifact_uris_map_to_the_proxy_path_and_other_stores_are_refused_clearly()
    {
        Assert.Equal("1/abc/artifacts", MlflowClient.ArtifactProxyPath("mlflow-artifacts:/1/abc/artifacts"));
        Assert.Equal("1/abc/artifacts", MlflowClient.ArtifactProxyPath("mlflow-artifacts://host:5000/1/abc/artifacts"));
        var ex = Assert.Throws<NotSupportedException>(() => MlflowClient.ArtifactProxyPath("s3://bucket/1/abc/artifacts"));
        Assert.Contains("--serve-artifacts", ex.Message);
    }
    [Fact]
    public async Task A_retried_batch_whose_answer_was_lost_is_accepted_since_its_params_keep_their_values()
    {
        using var server = new FakeMlflowServer();
        using var client = new MlflowClient(Fast(server.Uri));
        string exp = await client.GetOrCreateExperimentAsync("retry");
        var run = await client.CreateRunAsync(exp, "r", "ci", DateTimeOffset.UtcNow, []);
        server.FailAfterProcessingNext = 1; // the server stores the batch, the 200 never arrives, the client sends it again
        await client.LogBatchAsync(run.RunId, [new("a", "1"), new("b", "2")], [new("m", 3)], [], DateTimeOffset.UtcNow);
        Assert.Equal(2, server.Requests.Count(r => r.Path.EndsWith("runs/log-batch", StringComparison.Ordinal)));
        Assert.Equal("1", server.Runs[run.RunId].Params["a"]);
        Assert.Equal(2, server.Runs[run.RunId].Batches);
    }

    [Fact]
    public async Task Retries_back_off_exponentially_and_stop_after_the_configured_attempts()
    {
        using var server = new FakeMlflowServer { FailNext = 100 };
        using var client = new MlflowClient(new MlflowSettings(server.Uri, MaxAttempts: 4, InitialBackoff: TimeSpan.FromMilliseconds(150)));
        var ex = await Assert.ThrowsAsync<MlflowUnreachableException>(() => client.GetOrCreateExperimentAsync("down"));
        Assert.Contains("after 4 attempt(s)", ex.Message);
        Assert.Contains("HTTP 503", ex.Message);
        var at = server.Requests.Select(r => r.At).Order().ToList();
        Assert.Equal(4, at.Count);
        // 150, 300, 600 ms between attempts (lower bounds: a busy machine only makes the gaps longer).
        Assert.True(at[1] - at[0] >= TimeSpan.FromMilliseconds(140), $"{at[1] - at[0]}");
        Assert.True(at[2] - at[1] >= TimeSpan.FromMilliseconds(290), $"{at[2] - at[1]}");
        Assert.True(at[3] - at[2] >= TimeSpan.FromMilliseconds(590), $"{at[3] - at[2]}");
    }

    [Fact]
    public async Task Params_of_the_flattened_config_go_in_batches_of_at_most_100()
    {
        using var server = new FakeMlflowServer();
        using var client = new MlflowClient(Fast(server.Uri));
        string exp = await client.GetOrCreateExperimentAsync("batches");
        var run = await client.CreateRunAsync(exp, "r", "ci", DateTimeOffset.UtcNow, []);
        var ps = Enumerable.Range(0, 201).Select(i => new KeyValuePair<string, string>($"p{i}", "v")).ToList();
        await client.LogBatchAsync(run.RunId, ps, [], [], DateTimeOffset.UtcNow);
        Assert.Equal(201, server.Runs[run.RunId].Params.Count);
        Assert.Equal(3, server.Runs[run.RunId].Batches); // 100 + 100 + 1: the fewest calls the limit allows
    }

    [Fact]
    public void Fitted_keys_and_values_are_exactly_at_the_limits_and_keep_distinct_inputs_distinct()
    {
        string a = new string('x', 6001), b = new string('x', 6000) + "y";
        Assert.Equal(6000, MlflowClient.FitParam("k", a).Value.Length);
        Assert.NotEqual(MlflowClient.FitParam("k", a).Value, MlflowClient.FitParam("k", b).Value);
        Assert.Equal(new string('x', 6000), MlflowClient.FitParam("k", new string('x', 6000)).Value); // at the limit: untouched
        string k1 = new string('k', 251), k2 = new string('k', 250) + "j";
        Assert.Equal(250, MlflowClient.FitKey(k1).Length);
        Assert.NotEqual(MlflowClient.FitKey(k1), MlflowClient.FitKey(k2));
        Assert.Equal(new string('k', 250), MlflowClient.FitKey(new string('k', 250)));
    }

    [Fact]
    public void TLS_and_auth_settings_are_read_from_the_MLflow_environment_variables()
    {
        var env = new Dictionary<string, string?>
        {
            ["MLFLOW_TRACKING_URI"] = "https://mlflow.example.com", ["MLFLOW_TRACKING_INSECURE_TLS"] = "true",
            ["MLFLOW_TRACKING_SERVER_CERT_PATH"] = "/etc/ca.pem", ["MLFLOW_TRACKING_CLIENT_CERT_PATH"] = "/etc/client.pem",
        };
        var s = MlflowSettings.FromEnvironment(null, k => env.GetValueOrDefault(k))!;
        Assert.True(s.InsecureTls);
        Assert.Equal("/etc/ca.pem", s.ServerCertPath);
        Assert.Equal("/etc/client.pem", s.ClientCertPath);
        // As in the Python client, skipping verification and trusting a bundle are exclusive.
        var ex = Assert.Throws<MlflowException>(() => new MlflowClient(s));
        Assert.Contains("MLFLOW_TRACKING_INSECURE_TLS", ex.Message);
        Assert.Null(MlflowSettings.FromEnvironment(null, _ => null));
        Assert.Equal("http://override", MlflowSettings.FromEnvironment("http://override", k => env.GetValueOrDefault(k))!.TrackingUri);
    }
    [Fact]
    public async Task Batches_also_stay_under_the_1_MB_body_limit_with_values_at_the_length_limits()
    {
        using var server = new FakeMlflowServer();
        using var client = new MlflowClient(Fast(server.Uri));
        string exp = await client.GetOrCreateExperimentAsync("bytes");
        var run = await client.CreateRunAsync(exp, "r", "ci", DateTimeOffset.UtcNow, []);
        var ps = Enumerable.Range(0, 150).Select(i => new KeyValuePair<string, string>($"p{i}", new string((char)('a' + i % 26), 6000))).ToList();
        var ts = Enumerable.Range(0, 120).Select(i => new KeyValuePair<string, string>($"t{i}", new string('é', 5000))).ToList(); // escaped: 6 bytes each
        await client.LogBatchAsync(run.RunId, ps, [new("m", 1)], ts, DateTimeOffset.UtcNow);
        var stored = server.Runs[run.RunId];
        Assert.Equal(150, stored.Params.Count);
        Assert.Equal(120, stored.Tags.Count);
        Assert.Equal(new string('é', 5000), stored.Tags["t7"]);
        Assert.True(stored.Batches >= 5, $"{stored.Batches} batches"); // 0.9 MB of params and 3.6 MB of escaped tags
    }
    [Fact]
    public async Task Keys_with_characters_MLflow_refuses_are_made_valid_names()
    {
        using var server = new FakeMlflowServer();
        using var client = new MlflowClient(Fast(server.Uri));
        string exp = await client.GetOrCreateExperimentAsync("names");
        var run = await client.CreateRunAsync(exp, "r", "ci", DateTimeOffset.UtcNow, []);
        string longKey = new string('k', 240) + "(x)" + new string('k', 40);
        await client.LogBatchAsync(run.RunId, [new("categories.mug (red).size", "1"), new("a/../b", "2"), new("..x", "3"), new(longKey, "4"), new("größe", "5")],
            [new("quality.classes.mug:red", 1)], [new("synth.note~", "t")], DateTimeOffset.UtcNow);
        var stored = server.Runs[run.RunId];
        Assert.Equal("1", stored.Params["categories.mug _red_.size"]);
        Assert.Equal("2", stored.Params["a_.._b"]);
        Assert.Equal("3", stored.Params["_..x"]);
        Assert.Equal("5", stored.Params["größe"]);
        Assert.Matches("^k{240}__[0-9a-f]{8}$", MlflowClient.FitKey(longKey));
        Assert.Equal(1, stored.Metrics["quality.classes.mug_red"]);
        Assert.Equal("t", stored.Tags["synth.note_"]);
        // The fake refuses such names as the real server does.
        using var raw = new HttpClient();
        var refused = await raw.PostAsync(server.Uri + "/api/2.0/mlflow/runs/log-batch", new StringContent(
            $$"""{"run_id":"{{run.RunId}}","params":[{"key":"mug (red)","value":"1"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("INVALID_PARAMETER_VALUE", await refused.Content.ReadAsStringAsync());
    }
    [Fact]
    public async Task A_proxy_login_page_answered_with_200_is_a_clear_error_not_a_crash_or_a_retry()
    {
        using var server = new FakeMlflowServer { LoginPage = true };
        using var client = new MlflowClient(Fast(server.Uri));
        var ex = await Assert.ThrowsAsync<MlflowException>(() => client.GetOrCreateExperimentAsync("x"));
        Assert.Contains("not JSON", ex.Message);
        Assert.Contains("<!DOCTYPE html>", ex.Message);
        Assert.Single(server.Requests);
    }
}
