using System.Diagnostics;
using System.Text;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Lineage.Tests;

/// <summary>Servers that hang or echo credentials: the build waits a bounded time and never prints a secret.</summary>
public class MlflowFaultTests
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
        Assert.True(optional.Succeeded, string.Join("\n", optional.Diagnostics));
        var w = Assert.Single(optional.Diagnostics, d => d.Code == SynCodes.MlflowFailed);
        Assert.False(w.IsError);
        Assert.Contains("no answer within", w.Message);
        Assert.Contains("limit 2 s", w.Message);
        // Bounded by the 2 s total (the old per-attempt 30 s × 4 attempts took ~130 s), with slack for a busy machine.
        Assert.InRange(elapsed.TotalSeconds, 1.8, 5);
        Assert.True(server.Accepted >= 1);
        Assert.Null(Assert.Single(LineageLog.Read(f.LogFile)).Mlflow); // the record still went to the local log

        // The project property wins over the variable; required lineage turns the give-up into an error.
        env[MlflowSettings.TimeoutVariable] = "600";
        clock.Restart();
        var required = Record(f, env, required: true, timeoutProperty: "1.5");
        elapsed = clock.Elapsed;
        var e = Assert.Single(required.Diagnostics, d => d.Code == SynCodes.MlflowRequiredFailed);
        Assert.True(e.IsError);
        Assert.False(required.Succeeded);
        // One attempt (2/3 of the limit), then no retry fits: given up on within the limit.
        Assert.InRange(elapsed.TotalSeconds, 0.9, 4);
        Assert.Contains("limit 1.5 s", e.Message);
        Assert.Equal(2, LineageLog.Read(f.LogFile).Count);
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
        Assert.Single(LineageLog.Read(f.LogFile));
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
    }
}
