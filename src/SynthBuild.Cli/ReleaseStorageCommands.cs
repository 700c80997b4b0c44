using System.CommandLine;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Lineage;
using SynthBuild.Releases.Storage;

namespace SynthBuild.Cli;

/// <summary>synth release push / pull: releases on Azure Blob Storage and S3-compatible stores (docs/lineage.md).</summary>
internal static class ReleaseStorageCommands
{
    /// <summary>The store used when --store is not given.</summary>
    public const string StoreVariable = "SYNTH_RELEASE_STORE";

    private static Option<string> StoreOption() => new("--store")
    {
        HelpName = "URL",
        Description = $"The release store, az://CONTAINER[/PREFIX] or s3://BUCKET[/PREFIX] (default: ${StoreVariable}). Credentials from AZURE_STORAGE_CONNECTION_STRING, or AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and AWS_ENDPOINT_URL_S3.",
    };

    private static Option<bool> JsonOption(string shape) => new("--json")
    {
        Description = $"Print the result as one JSON object on stdout: {shape}; diagnostics still go to stderr, exit codes are the same.",
    };

    public static Command Push(TextWriter stdout, TextWriter stderr, Func<string, string?> env)
    {
        var archive = SynthCli.PathArgument("ARCHIVE.tar.gz", "A release archive with its .sha256 beside it (dotnet build -t:Release writes both).");
        var store = StoreOption();
        var json = JsonOption("{\"ok\", \"archive\", \"location\", \"filesVerified\", \"problems\": [{\"code\", \"severity\", \"message\", \"file\"}]}");
        var command = new Command("push", "Verify a release archive, then upload it and its .sha256 to NAME/VERSION/ in the store; an existing version is refused. Exit code 1 if the archive does not verify, 2 on any other problem.")
        {
            archive, store, json,
        };
        command.SetAction(p =>
        {
            string path = p.GetRequiredValue(archive), storeUrl = StoreOf(p.GetValue(store), env);
            bool asJson = p.GetValue(json);
            var result = Attempt(() => ReleaseStorage.Push(path, storeUrl, env), asJson, path);
            int? failed = Report(result, stderr);
            if (asJson)
                SynthCli.WriteJsonLine(stdout, w =>
                {
                    w.WriteBoolean("ok", failed is null);
                    w.WriteString("archive", result.Archive ?? path);
                    WriteNullable(w, "location", result.Location);
                    w.WriteNumber("filesVerified", result.FilesVerified);
                    SynthCli.WriteProblems(w, result.Diagnostics, severity: true);
                });
            else if (failed is null) stdout.WriteLine($"pushed {result.Archive} to {result.Location} (verified, {result.FilesVerified} files)");
            return failed ?? SynthCli.ExitOk;
        });
        return command;
    }

    public static Command Pull(TextWriter stdout, TextWriter stderr, Func<string, string?> env)
    {
        var reference = SynthCli.RejectOptionLike(new Argument<string>("NAME@VERSION") { Description = "The release to fetch, e.g. tabletop@1.2.0." });
        var store = StoreOption();
        var outDir = SynthCli.OptionalPath("--out", "DIR", "Folder to put NAME-VERSION.tar.gz and its .sha256 in (default: the current folder).");
        var extractDir = SynthCli.OptionalPath("--extract", "DIR", "Also extract the verified archive into DIR (empty or new), as 'synth release extract' does.");
        var json = JsonOption("{\"ok\", \"release\", \"location\", \"archive\", \"filesVerified\", \"extracted\": null or {\"path\", \"ok\", \"filesChecked\"}, \"problems\": [{\"code\", \"severity\", \"message\", \"file\"}]}");
        var command = new Command("pull", "Download a release archive and its .sha256, verify every file against the manifest, then move them into --out; a tampered or partial download is refused and nothing is written. Exit code 1 if verification fails, 2 on any other problem.")
        {
            reference, store, outDir, extractDir, json,
        };
        command.SetAction(p =>
        {
            string release = p.GetRequiredValue(reference), storeUrl = StoreOf(p.GetValue(store), env);
            bool asJson = p.GetValue(json);
            var result = Attempt(() => ReleaseStorage.Pull(release, storeUrl, p.GetValue(outDir) ?? ".", env), asJson, null);
            int? failed = Report(result, stderr);
            var problems = new List<Diagnostic>(result.Diagnostics);
            string? dest = failed is null ? p.GetValue(extractDir) : null;
            VerifyReport? extracted = null;
            if (failed is null && !asJson) stdout.WriteLine($"pulled {result.Location} into {result.Archive}: verified, {result.FilesVerified} files intact");
            if (dest is not null)
            {
                var extractProblems = ReleaseArchive.Extract(result.Archive!, dest);
                foreach (var d in extractProblems) stderr.WriteLine(d.ToString());
                problems.AddRange(extractProblems);
                if (extractProblems.Count > 0)
                    failed = extractProblems.Any(d => d.Code == SynCodes.ExtractDestinationNotEmpty) ? SynthCli.ExitBadInput : SynthCli.ExitGateFailed;
                else
                {
                    extracted = ReleaseVerifier.Verify(dest);
                    foreach (var d in extracted.Problems) stderr.WriteLine(d.ToString());
                    problems.AddRange(extracted.Problems);
                    if (!asJson) stdout.WriteLine(extracted.Ok ? $"extracted into {dest}: verified, {extracted.FilesChecked} files intact" : $"extracted into {dest}: {extracted.Problems.Count} problem(s)");
                    if (!extracted.Ok) failed = SynthCli.ExitGateFailed;
                }
            }
            if (asJson)
                SynthCli.WriteJsonLine(stdout, w =>
                {
                    w.WriteBoolean("ok", failed is null);
                    w.WriteString("release", release);
                    WriteNullable(w, "location", result.Location);
                    WriteNullable(w, "archive", result.Archive);
                    w.WriteNumber("filesVerified", result.FilesVerified);
                    if (dest is null) w.WriteNull("extracted");
                    else
                    {
                        w.WriteStartObject("extracted");
                        w.WriteString("path", dest);
                        w.WriteBoolean("ok", extracted is { Ok: true });
                        w.WriteNumber("filesChecked", extracted?.FilesChecked ?? 0);
                        w.WriteEndObject();
                    }
                    SynthCli.WriteProblems(w, problems, severity: true);
                });
            return failed ?? SynthCli.ExitOk;
        });
        return command;
    }

    /// <summary>
    /// Runs a push or pull; with --json a SYN error it throws (a missing archive, a malformed store URL) becomes a failed
    /// result, so that the script still gets its one JSON object (exit code 2 as without --json).
    /// </summary>
    private static StoreResult Attempt(Func<StoreResult> run, bool asJson, string? archive)
    {
        try { return run(); }
        catch (DiagnosticException ex) when (asJson) { return new StoreResult(null, archive, 0, [ex.Diagnostic]); }
    }

    private static void WriteNullable(System.Text.Json.Utf8JsonWriter w, string key, string? value)
    {
        if (value is null) w.WriteNull(key); else w.WriteString(key, value);
    }

    private static string StoreOf(string? given, Func<string, string?> env) =>
        !string.IsNullOrWhiteSpace(given) ? given
        : env(StoreVariable) is { Length: > 0 } fromEnv ? fromEnv
        : throw new UsageException($"no release store: give --store az://CONTAINER[/PREFIX] or s3://BUCKET[/PREFIX], or set {StoreVariable}");

    /// <summary>Prints the diagnostics; the exit code when the command failed, else null.</summary>
    private static int? Report(StoreResult result, TextWriter stderr)
    {
        foreach (var d in result.Diagnostics) stderr.WriteLine(d.ToString());
        if (result.Succeeded) return null;
        // Exit 1 as `synth release verify`: the release was read and failed verification (its problems follow).
        bool verifyFailed = result.Diagnostics.Any(d => d.Code == SynCodes.PulledReleaseRejected)
            || result.Diagnostics is [{ Code: SynCodes.PushArchiveInvalid }, _, ..];
        return verifyFailed ? SynthCli.ExitGateFailed : SynthCli.ExitBadInput;
    }
}
