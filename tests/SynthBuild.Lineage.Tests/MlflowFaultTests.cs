using System.Diagnostics;
using System.Text;
using SynthBuild.Core.Diagnostics;
using Xunit.Abstractions;

namespace SynthBuild.Lineage.Tests;

/// <summary>Servers that refuse, hang, answer slowly or echo credentials: the build waits a bounded time and never prints a secret.
/// Each prints its time to give up (docs/faults.md, Fault suite).</summary>
public class MlflowFaultTests(ITestOutputHelper output)
{
    private static LineageOutcome Record(LineageFixture f, Dictionary<string, string?> env, bool required = false, string? timeoutProperty = null) =>
        LineageRecorder.Record(new LineageRequest(f.ProjectFile, f.ConfigFile, f.DatasetRoot, new(), null,
            new GenerationFigures(3, 0, 0, 1), LineageRecord.Finished, f.LogFile, [], Required: required,
            Environment: k => env.GetValueOrDefault(k), MlflowTimeout: timeoutProperty));

    [Fact]
    public void A_server_that_accepts_and_never_answers_is_given_up_on_after_the_configured_total_with_SYN6002_or_SYN6003()
    {
        using var server = new HangingMlflowServer();
        var f = new LineageFixture();
        var env = new Dictionary<string, string?> { ["MLFLOW_TRACKING_URI"] = server.Uri, [MlflowSettings.TimeoutVariable] = "2" };

        var clock = Stopwatch.StartNew();
        var optional = Record(f, env);
        TimeSpan elapsed = clock.Elapsed;
        output.WriteLine($"hanging server, SynthMlflowTimeout 2 s (variable): gave up after {elapsed.TotalSeconds:F2} s");
        Assert.True(optional.Succeeded, string.Join("\n", optional.Diagnostics));
        var w = Assert.Single(optional.Diagnostics, d => d.Code == SynCodes.MlflowFailed);
        Assert.False(w.IsError);
        Assert.Contains("no answer within", w.Message);
        Assert.Contains("limit 2 s for all its requests", w.Message);
        // Bounded by the 2 s total (the old per-attempt 30 s × 4 attempts took ~130 s), with slack for a busy machine:
        // one attempt of 2/3 of the total, then no retry fits before the FAILED-mark reserve.
        Assert.InRange(elapsed.TotalSeconds, 1.2, 3);
        Assert.True(server.Accepted >= 1);
        Assert.Null(Assert.Single(LineageLog.Read(f.LogFile)).Mlflow); // the record still went to the local log

        // The project property wins over the variable; required lineage turns the give-up into an error.
        env[MlflowSettings.TimeoutVariable] = "600";
        clock.Restart();
        var required = Record(f, env, required: true, timeoutProperty: "1.5");
        elapsed = clock.Elapsed;
        output.WriteLine($"hanging server, SynthMlflowTimeout 1.5 s (property), required: gave up after {elapsed.TotalSeconds:F2} s");
        var e = Assert.Single(required.Diagnostics, d => d.Code == SynCodes.MlflowRequiredFailed);
        Assert.True(e.IsError);
        Assert.False(required.Succeeded);
        // One attempt (2/3 of the limit), then no retry fits: given up on within the limit.
        Assert.InRange(elapsed.TotalSeconds, 0.9, 2.5);
        Assert.Contains("limit 1.5 s", e.Message);
        // Required lineage that failed records nothing locally: the digest stays unrecorded for the next build.
        Assert.Single(LineageLog.Read(f.LogFile));
    }

    [Fact]
    public void The_default_limit_is_30_seconds_per_request_and_an_attempt_leaves_room_for_a_retry()
    {
        var s = MlflowSettings.FromEnvironment("http://x", _ => null)!;
        Assert.Equal(TimeSpan.FromSeconds(30), s.Total);
        Assert.Equal(TimeSpan.FromSeconds(20), s.Attempt);
        Assert.Equal(TimeSpan.FromSeconds(2.5), MlflowSettings.FromEnvironment("http://x", k => k == MlflowSettings.TimeoutVariable ? "2.5" : null)!.Total);
        Assert.Equal(TimeSpan.FromSeconds(3), (s with { RequestTimeout = TimeSpan.FromSeconds(60), TotalTimeout = TimeSpan.FromSeconds(3) }).Attempt);
    }

    [Fact]
    public void A_server_that_answers_every_request_slowly_is_given_up_on_within_the_total_and_the_run_is_marked_FAILED()
    {
        // Each answer comes well within one attempt's limit, so only a deadline shared by all requests bounds the step:
        // the ~11 requests of a run would take ~5 s here (and 11 × 19 s with the defaults).
        using var server = new FakeMlflowServer { AnswerDelay = TimeSpan.FromSeconds(0.4) };
        var f = new LineageFixture();
        var env = new Dictionary<string, string?> { ["MLFLOW_TRACKING_URI"] = server.Uri, [MlflowSettings.TimeoutVariable] = "4" };

        var clock = Stopwatch.StartNew();
        var outcome = Record(f, env);
        TimeSpan elapsed = clock.Elapsed;
        output.WriteLine($"server answering each request in 0.4 s, limit 4 s: gave up after {elapsed.TotalSeconds:F2} s");
        var w = Assert.Single(outcome.Diagnostics, d => d.Code == SynCodes.MlflowFailed);
        Assert.Contains("limit 4 s for all its requests", w.Message);
        Assert.InRange(elapsed.TotalSeconds, 2.5, 4.8);
        // The run was created, then marked FAILED within the reserve the other requests left: never left RUNNING.
        var run = Assert.Single(server.Runs.Values);
        Assert.Equal("FAILED", run.Status);
        Assert.Null(Assert.Single(LineageLog.Read(f.LogFile)).Mlflow);
    }

    [Fact]
    public void A_slow_server_whose_answers_fit_the_total_gets_the_whole_run_logged()
    {
        // The same ~11 requests as above at 0.1 s each: within a 10 s limit the run is logged and FINISHED, so the
        // shared deadline cuts only what cannot fit, never a slow but working server.
        using var server = new FakeMlflowServer { AnswerDelay = TimeSpan.FromSeconds(0.1) };
        var f = new LineageFixture();
        var env = new Dictionary<string, string?> { ["MLFLOW_TRACKING_URI"] = server.Uri, [MlflowSettings.TimeoutVariable] = "10" };
        var clock = Stopwatch.StartNew();
        var outcome = Record(f, env, required: true);
        TimeSpan elapsed = clock.Elapsed;
        output.WriteLine($"server answering each request in 0.1 s, limit 10 s: logged in {elapsed.TotalSeconds:F2} s ({server.Requests.Count} requests)");
        Assert.True(outcome.Succeeded, string.Join("\n", outcome.Diagnostics));
        Assert.DoesNotContain(outcome.Diagnostics, d => d.Code is SynCodes.MlflowFailed or SynCodes.MlflowRequiredFailed);
        Assert.Equal("FINISHED", Assert.Single(server.Runs.Values).Status);
        Assert.True(elapsed.TotalSeconds >= 0.1 * server.Requests.Count * 0.9, "the answers were not slow");
        Assert.NotNull(Assert.Single(LineageLog.Read(f.LogFile)).Mlflow);
    }

    [Fact]
    public void A_refusing_server_is_given_up_on_in_well_under_the_total()
    {
        string refusing;
        using (var s = new FakeMlflowServer()) refusing = s.Uri; // closed: connections are refused
        var f = new LineageFixture();
        var clock = Stopwatch.StartNew();
        var outcome = Record(f, new() { ["MLFLOW_TRACKING_URI"] = refusing }, required: true);
        output.WriteLine($"refusing server, default limit 30 s: gave up after {clock.Elapsed.TotalSeconds:F2} s");
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 10); // 4 attempts with 0.5 + 1 + 2 s between them
        var e = Assert.Single(outcome.Diagnostics, d => d.Code == SynCodes.MlflowRequiredFailed);
        Assert.Contains("after 4 attempt(s)", e.Message);
        Assert.False(File.Exists(f.LogFile));
    }

    [Theory]
    [InlineData("abc", null, "SynthMlflowTimeout")]
    [InlineData("0", null, "SynthMlflowTimeout")]
    [InlineData(null, "-1", "SYNTH_MLFLOW_TIMEOUT")]
    public void A_bad_timeout_is_SYN6007_naming_the_property_or_variable_and_the_record_still_goes_to_the_log(string? property, string? variable, string named)
    {
        var f = new LineageFixture();
        var env = new Dictionary<string, string?> { ["MLFLOW_TRACKING_URI"] = "http://127.0.0.1:9", [MlflowSettings.TimeoutVariable] = variable };
        var outcome = Record(f, env, timeoutProperty: property);
        var d = Assert.Single(outcome.Diagnostics, x => x.Code == SynCodes.MlflowTimeoutInvalid);
        Assert.True(d.IsError);
        Assert.StartsWith(named + " must be a number of seconds", d.Message);
        Assert.Equal(f.ProjectFile, d.File);
        Assert.False(outcome.Appended);
        Assert.False(File.Exists(f.LogFile)); // an error leaves the digest unrecorded, so a fixed build records it
    }

    public static TheoryData<string, bool> Credentials => new() { { "token", false }, { "token", true }, { "uri", false }, { "basic", true } };

    [Theory]
    [MemberData(nameof(Credentials))]
    public void A_server_echoing_the_Authorization_header_in_a_500_gets_no_credential_printed_or_stored(string kind, bool required)
    {
        using var server = new FakeMlflowServer { EchoAuthorization = true };
        var f = new LineageFixture();
        const string token = "tok+en/S3cret==", user = "alice", password = "pa ss:w0rd/S3cret";
        var env = new Dictionary<string, string?> { [MlflowSettings.TimeoutVariable] = "3" };
        switch (kind)
        {
            case "token":
                env["MLFLOW_TRACKING_URI"] = server.Uri;
                env["MLFLOW_TRACKING_TOKEN"] = token;
                break;
            case "uri": // credentials in the URI count as Basic
                env["MLFLOW_TRACKING_URI"] = server.Uri.Replace("http://", $"http://{user}:{Uri.EscapeDataString(password)}@");
                break;
            default:
                env["MLFLOW_TRACKING_URI"] = server.Uri;
                env["MLFLOW_TRACKING_USERNAME"] = user;
                env["MLFLOW_TRACKING_PASSWORD"] = password;
                break;
        }
        var outcome = Record(f, env, required);

        // The server did get the credential and echoed it: the test would see it if the client passed it on.
        string sent = Assert.IsType<string>(server.Requests.First().Authorization);
        string[] secrets = kind == "token"
            ? [token, Uri.EscapeDataString(token)]
            : [password, Uri.EscapeDataString(password), Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password))];
        Assert.Contains(secrets, sent.Contains);

        var d = Assert.Single(outcome.Diagnostics, x => x.Code == (required ? SynCodes.MlflowRequiredFailed : SynCodes.MlflowFailed));
        Assert.Contains("HTTP 500", d.Message);
        Assert.Matches(@"Authorization: (Bearer|Basic) \*\*\* \(escaped: (Bearer|Basic)%20\*\*\*\)", d.Message); // the echo arrived, redacted
        foreach (string secret in secrets)
        {
            Assert.All(outcome.Diagnostics, x => Assert.DoesNotContain(secret, x.ToString()));
            foreach (string file in Directory.EnumerateFiles(f.Dir, "*", SearchOption.AllDirectories).Where(p => !p.Contains("/.git/")))
                Assert.DoesNotContain(secret, File.ReadAllText(file, Encoding.Latin1));
        }
    }

    [Fact]
    public void Redact_removes_every_form_of_the_credentials_and_nothing_else()
    {
        using var client = new MlflowClient(new MlflowSettings("http://127.0.0.1:9", Token: "t0k\"en", Username: "u", Password: "p/w"));
        Assert.Equal("a *** b *** c *** d *** e ***", client.Redact("a t0k\"en b t0k\\\"en c p/w d p%2Fw e dTpwL3c="));
        Assert.Equal("plain text", client.Redact("plain text"));
        // Credentials this client never sent, echoed by a proxy: user:password in a URL, any Authorization value.
        Assert.Equal("see https://***@proxy.example/x", client.Redact("see https://bob:hunter2@proxy.example/x"));
        Assert.Equal("Authorization: Bearer *** and \"authorization\": \"Basic ***\"",
            client.Redact("Authorization: Bearer other-token and \"authorization\": \"Basic Ym9iOmh1bnRlcjI=\""));
        Assert.Equal("https://mlflow.example/api", client.Redact("https://mlflow.example/api"));
    }
}
