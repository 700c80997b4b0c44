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

    public static Command Push(TextWriter stdout, TextWriter stderr, Func<string, string?> env)
    {
        var archive = SynthCli.PathArgument("ARCHIVE.tar.gz", "A release archive with its .sha256 beside it (dotnet build -t:Release writes both).");
        var store = StoreOption();
        var command = new Command("push", "Verify a release archive, then upload it and its .sha256 to NAME/VERSION/ in the store; an existing version is refused. Exit code 1 if the archive does not verify, 2 on any other problem.")
        {
            archive, store,
        };
        command.SetAction(p =>
        {
            var result = ReleaseStorage.Push(p.GetRequiredValue(archive), StoreOf(p.GetValue(store), env), env);
            if (Report(result, stderr) is int failed) return failed;
            stdout.WriteLine($"pushed {result.Archive} to {result.Location} (verified, {result.FilesVerified} files)");
            return SynthCli.ExitOk;
        });
        return command;
    }

    public static Command Pull(TextWriter stdout, TextWriter stderr, Func<string, string?> env)
    {
        var reference = SynthCli.RejectOptionLike(new Argument<string>("NAME@VERSION") { Description = "The release to fetch, e.g. tabletop@1.2.0." });
        var store = StoreOption();
        var outDir = SynthCli.OptionalPath("--out", "DIR", "Folder to put NAME-VERSION.tar.gz and its .sha256 in (default: the current folder).");
        var extractDir = SynthCli.OptionalPath("--extract", "DIR", "Also extract the verified archive into DIR (empty or new), as 'synth release extract' does.");
        var command = new Command("pull", "Download a release archive and its .sha256, verify every file against the manifest, then move them into --out; a tampered or partial download is refused and nothing is written. Exit code 1 if verification fails, 2 on any other problem.")
        {
            reference, store, outDir, extractDir,
        };
        command.SetAction(p =>
        {
            var result = ReleaseStorage.Pull(p.GetRequiredValue(reference), StoreOf(p.GetValue(store), env), p.GetValue(outDir) ?? ".", env);
            if (Report(result, stderr) is int failed) return failed;
            stdout.WriteLine($"pulled {result.Location} into {result.Archive}: verified, {result.FilesVerified} files intact");
            if (p.GetValue(extractDir) is not { } dest) return SynthCli.ExitOk;
            var problems = ReleaseArchive.Extract(result.Archive!, dest);
            foreach (var d in problems) stderr.WriteLine(d.ToString());
            if (problems.Count > 0) return problems.Any(d => d.Code == SynCodes.ExtractDestinationNotEmpty) ? SynthCli.ExitBadInput : SynthCli.ExitGateFailed;
            var report = ReleaseVerifier.Verify(dest);
            foreach (var d in report.Problems) stderr.WriteLine(d.ToString());
            stdout.WriteLine(report.Ok ? $"extracted into {dest}: verified, {report.FilesChecked} files intact" : $"extracted into {dest}: {report.Problems.Count} problem(s)");
            return report.Ok ? SynthCli.ExitOk : SynthCli.ExitGateFailed;
        });
        return command;
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
