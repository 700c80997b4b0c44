using System.Text.Json;
using System.Text.RegularExpressions;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Lineage;

namespace SynthBuild.Releases.Storage;

public sealed record StoreResult(string? Location, string? Archive, int FilesVerified, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => Location is not null && !Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Pushes release archives to an object store and pulls them back. A release NAME@VERSION is two objects under
/// PREFIX/NAME/VERSION/: the archive DatasetRelease made and its .sha256, uploaded in that order, each only if absent.
/// A pull downloads both into a temporary folder beside the destination, verifies them with
/// <see cref="ReleaseVerifier"/> (checksum, every file against the manifest and release.json) and only then moves
/// them into place. Credentials come from the environment; every message is redacted before it is returned.
/// </summary>
public static partial class ReleaseStorage
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(100);

    public static StoreResult Push(string archive, string storeUrl, Func<string, string?> env, TimeSpan? timeout = null)
    {
        var secrets = StoreCredentials.Secrets(env);
        try
        {
            if (string.IsNullOrWhiteSpace(archive))
                throw new DiagnosticException(Diagnostic.Error(SynCodes.PushArchiveInvalid, "Expected the path of a release archive to push; found an empty path."));
            return PushCore(Path.GetFullPath(archive), storeUrl, env, timeout ?? DefaultTimeout);
        }
        catch (DiagnosticException ex) { return Failed(ex.Diagnostic, secrets); }
        catch (StoreRequestException ex) { return Failed(Diagnostic.Error(SynCodes.StoreRequestFailed, ex.Message + " (nothing was pushed)."), secrets); }
    }

    public static StoreResult Pull(string reference, string storeUrl, string destination, Func<string, string?> env, TimeSpan? timeout = null)
    {
        var secrets = StoreCredentials.Secrets(env);
        try
        {
            return PullCore(reference, storeUrl, Path.GetFullPath(string.IsNullOrWhiteSpace(destination) ? "." : destination), env, timeout ?? DefaultTimeout);
        }
        catch (DiagnosticException ex) { return Failed(ex.Diagnostic, secrets); }
        catch (StoreRequestException ex) { return Failed(Diagnostic.Error(SynCodes.StoreRequestFailed, ex.Message + " (the destination is untouched)."), secrets); }
    }

    /// <summary>NAME@VERSION as a (name, version) pair.</summary>
    public static (string Name, string Version) ParseReference(string? reference)
    {
        var m = ReferencePattern().Match(reference?.Trim() ?? "");
        if (!m.Success || !DatasetVersion.IsValid(m.Groups[2].Value))
            throw new DiagnosticException(Diagnostic.Error(SynCodes.BadReleaseReference,
                $"Expected a release as NAME@VERSION (e.g. tabletop@1.2.0: a dataset name and a semantic version); found '{reference}'."));
        return (m.Groups[1].Value, m.Groups[2].Value);
    }

    [GeneratedRegex(@"^([A-Za-z0-9][A-Za-z0-9._-]*)@(\S+)$")]
    private static partial Regex ReferencePattern();

    internal static IReleaseStore Open(ReleaseStoreLocation location, Func<string, string?> env, TimeSpan timeout) => location.Kind switch
    {
        StoreKind.AzureBlob => OpenAzure(location, env, timeout),
        _ => S3ReleaseStore.Create(location, StoreCredentials.ReadS3(env), timeout),
    };

    private static IReleaseStore OpenAzure(ReleaseStoreLocation location, Func<string, string?> env, TimeSpan timeout)
    {
        var credentials = StoreCredentials.ReadAzure(env);
        try { return AzureBlobReleaseStore.Create(location, credentials, timeout); }
        catch (Exception ex) when (ex is FormatException or ArgumentException or UriFormatException)
        {
            // The SDK's message may quote the connection string; Failed redacts it.
            throw new DiagnosticException(Diagnostic.Error(SynCodes.StoreCredentialsMissing,
                $"AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_ACCOUNT/KEY) is not usable: {AzureBlobReleaseStore.FirstLine(ex.Message)}"));
        }
    }

    private static StoreResult PushCore(string archive, string storeUrl, Func<string, string?> env, TimeSpan timeout)
    {
        var location = ReleaseStoreLocation.Parse(storeUrl);
        string sidecar = archive + ".sha256";
        if (!File.Exists(archive) || !File.Exists(sidecar))
            throw new DiagnosticException(Diagnostic.Error(SynCodes.PushArchiveInvalid,
                $"Expected a release archive with its .sha256 beside it (what 'dotnet build -t:Release' writes); found {(File.Exists(archive) ? "no " + Path.GetFileName(sidecar) : "no archive")}.", archive));
        var report = ReleaseVerifier.Verify(archive);
        if (!report.Ok)
            return new StoreResult(null, archive, report.FilesChecked,
                [Diagnostic.Error(SynCodes.PushArchiveInvalid, $"The archive does not verify ({report.Problems.Count} problem(s) below); nothing was pushed.", archive), .. report.Problems]);
        var (name, version) = ReadIdentity(archive) ?? throw new DiagnosticException(Diagnostic.Error(SynCodes.PushArchiveInvalid,
            $"Expected {DatasetRelease.ReleaseFile} with a name and version in the archive's release folder; found none.", archive));

        string fileName = DatasetRelease.ArchiveName(name, version);
        string archiveKey = location.Key(name, version, fileName), sidecarKey = archiveKey + ".sha256";
        using var store = Open(location, env, timeout);
        var ct = CancellationToken.None;
        // Check first for a clear message; the conditional puts below close the race with a concurrent push.
        foreach (string key in new[] { archiveKey, sidecarKey })
            if (Run(() => store.SizeAsync(key, ct)) is not null) throw Exists(location, key, name, version);
        try { Run(() => store.UploadNewAsync(archiveKey, archive, ct)); }
        catch (StoreConflictException) { throw Exists(location, archiveKey, name, version); }
        try { Run(() => store.UploadNewAsync(sidecarKey, sidecar, ct)); }
        catch (Exception ex) when (ex is StoreConflictException or StoreRequestException)
        {
            // Without its checksum the archive is a partial push that every pull refuses; take it back.
            try { Run(() => store.DeleteAsync(archiveKey, ct)); } catch (StoreRequestException) { }
            if (ex is StoreConflictException) throw Exists(location, sidecarKey, name, version);
            throw;
        }
        return new StoreResult(location.Describe(archiveKey), archive, report.FilesChecked, []);
    }

    private static StoreResult PullCore(string reference, string storeUrl, string destination, Func<string, string?> env, TimeSpan timeout)
    {
        var (name, version) = ParseReference(reference);
        var location = ReleaseStoreLocation.Parse(storeUrl);
        string fileName = DatasetRelease.ArchiveName(name, version);
        string target = Path.Combine(destination, fileName), targetSidecar = target + ".sha256";
        foreach (string existing in new[] { target, targetSidecar })
            if (File.Exists(existing))
                throw new DiagnosticException(Diagnostic.Error(SynCodes.PullDestinationExists,
                    $"Expected no {Path.GetFileName(existing)} in the destination (a pull never overwrites); found one. Remove it or pull into another folder.", existing));

        string archiveKey = location.Key(name, version, fileName), sidecarKey = archiveKey + ".sha256";
        using var store = Open(location, env, timeout);
        var ct = CancellationToken.None;
        long? archiveSize = Run(() => store.SizeAsync(archiveKey, ct));
        long? sidecarSize = Run(() => store.SizeAsync(sidecarKey, ct));
        if (archiveSize is null || sidecarSize is null)
            throw new DiagnosticException(Diagnostic.Error(SynCodes.StoreReleaseNotFound, archiveSize is null
                ? $"Expected release {name}@{version} at {location.Describe(archiveKey)}; found no such object."
                : $"Expected {location.Describe(sidecarKey)} beside the archive; found none (a partial push). The release cannot be verified and is not pulled."));

        bool created = !Directory.Exists(destination);
        Directory.CreateDirectory(destination);
        string temp = Path.Combine(destination, $".synth-pull-{Environment.ProcessId}-{Guid.NewGuid():N}{AtomicFile.TempSuffix}");
        Directory.CreateDirectory(temp);
        try
        {
            string tempArchive = Path.Combine(temp, fileName), tempSidecar = tempArchive + ".sha256";
            Run(() => store.DownloadAsync(archiveKey, tempArchive, ct));
            Run(() => store.DownloadAsync(sidecarKey, tempSidecar, ct));
            var problems = new List<Diagnostic>();
            long gotSize = new FileInfo(tempArchive).Length;
            if (gotSize != archiveSize)
                problems.Add(Diagnostic.Error(SynCodes.PulledReleaseRejected, $"Partial download: expected {archiveSize} bytes of {location.Describe(archiveKey)}, received {gotSize}.", target));
            var report = ReleaseVerifier.Verify(tempArchive);
            problems.AddRange(report.Problems.Select(p => p with { File = p.File == tempArchive ? location.Describe(archiveKey) : p.File }));
            if (report.Ok && ReadIdentity(tempArchive) is var id && id != (name, version))
                problems.Add(Diagnostic.Error(SynCodes.PulledReleaseRejected,
                    $"Expected release {name}@{version}; the archive at {location.Describe(archiveKey)} holds {(id is { } x ? $"{x.Name}@{x.Version}" : "no release.json")}.", target));
            if (problems.Count > 0)
                return new StoreResult(null, null, report.FilesChecked,
                    [Diagnostic.Error(SynCodes.PulledReleaseRejected, $"Release {name}@{version} from {location.Url} failed verification ({problems.Count} problem(s) below); nothing was written to {destination}.", target), .. problems]);
            File.Move(tempArchive, target, overwrite: false);
            File.Move(tempSidecar, targetSidecar, overwrite: false);
            return new StoreResult(location.Describe(archiveKey), target, report.FilesChecked, []);
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
            // A refused pull leaves no trace, not even the folder it made.
            if (created && !File.Exists(target) && !Directory.EnumerateFileSystemEntries(destination).Any()) Directory.Delete(destination);
        }
    }

    /// <summary>(name, version) from NAME-VERSION/release.json, the archive's release record.</summary>
    private static (string Name, string Version)? ReadIdentity(string archive)
    {
        try
        {
            byte[]? bytes = ReleaseArchive.ReadMember(archive, p => p.Count(c => c == '/') == 1 && p.EndsWith("/" + DatasetRelease.ReleaseFile, StringComparison.Ordinal));
            if (bytes is null) return null;
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.TryGetProperty("name", out var n) && doc.RootElement.TryGetProperty("version", out var v)
                   && n.GetString() is { } name && v.GetString() is { } version
                ? (name, version) : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException || ReleaseArchive.IsUnreadable(ex)) { return null; }
    }

    private static DiagnosticException Exists(ReleaseStoreLocation location, string key, string name, string version) => new(Diagnostic.Error(SynCodes.StoreVersionExists,
        $"Release {name}@{version} is already in {location.Url} ({location.Describe(key)} exists); released versions are immutable: bump <DatasetVersion>."));

    private static StoreResult Failed(Diagnostic d, IReadOnlyList<string> secrets) =>
        new(null, null, 0, [d with { Message = StoreCredentials.Redact(d.Message, secrets) }]);

    /// <summary>Synchronous callers (the CLI, MSBuild tasks) over the SDKs' async APIs.</summary>
    private static T Run<T>(Func<Task<T>> f) => Task.Run(f).GetAwaiter().GetResult();
    private static void Run(Func<Task> f) => Task.Run(f).GetAwaiter().GetResult();
}
