using System.Diagnostics;
using System.Text.Json;
using Amazon.S3.Model;
using Azure;
using Azure.Storage.Blobs.Models;
using SynthBuild.Cli;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Lineage;
using SynthBuild.TestSupport;

namespace SynthBuild.Releases.Storage.Tests;

/// <summary>`synth release push` / `pull` against real Azurite and s3rver servers.</summary>
[Collection(StorageCollection.Name)]
public sealed class ReleaseStorageTests(StorageServers servers, ReleaseFixture release) : IDisposable
{
    private readonly string _dir = SmallDataset.TempDir();
    /// <summary>A prefix of its own per test, so tests share the servers without seeing each other's releases.</summary>
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..12];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Store(string kind) => kind == "az" ? $"az://{StorageServers.Container}/{_prefix}" : $"s3://{StorageServers.Bucket}/{_prefix}";
    private Dictionary<string, string> Env(string kind) => kind == "az" ? servers.AzureEnv() : servers.S3Env();
    private string Key(string file) => $"{_prefix}/{ReleaseFixture.Name}/{ReleaseFixture.Version}/{file}";

    private static (int Code, string Out, string Err) Synth(Dictionary<string, string> env, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = SynthCli.Run(args, o, e, name => env.GetValueOrDefault(name));
        string err = e.ToString();
        // Whatever happened: no stack trace, no secret.
        Assert.DoesNotContain("   at ", o + err);
        Assert.DoesNotContain(StorageServers.AzuriteKey, o + err);
        Assert.DoesNotContain(StorageServers.S3Secret, o + err);
        return (code, o.ToString(), err);
    }

    private (int Code, string Out, string Err) Push(string kind) => Synth(Env(kind), "release", "push", release.Archive, "--store", Store(kind));

    private (int Code, string Out, string Err) Pull(string kind, string dest) =>
        Synth(Env(kind), "release", "pull", ReleaseFixture.Reference, "--store", Store(kind), "--out", dest);

    private byte[] ReadObject(string kind, string key)
    {
        if (kind == "az") return servers.AzureContainer().GetBlobClient(key).DownloadContent().Value.Content.ToArray();
        using var s3 = servers.S3Client();
        using var response = s3.GetObjectAsync(StorageServers.Bucket, key).GetAwaiter().GetResult();
        using var ms = new MemoryStream();
        response.ResponseStream.CopyTo(ms);
        return ms.ToArray();
    }

    private void WriteObject(string kind, string key, byte[] bytes)
    {
        if (kind == "az")
        {
            servers.AzureContainer().GetBlobClient(key).Upload(new BinaryData(bytes), overwrite: true);
            return;
        }
        using var s3 = servers.S3Client();
        s3.PutObjectAsync(new PutObjectRequest { BucketName = StorageServers.Bucket, Key = key, InputStream = new MemoryStream(bytes), UseChunkEncoding = false }).GetAwaiter().GetResult();
    }

    private void DeleteObject(string kind, string key)
    {
        if (kind == "az") servers.AzureContainer().GetBlobClient(key).Delete();
        else
        {
            using var s3 = servers.S3Client();
            s3.DeleteObjectAsync(StorageServers.Bucket, key).GetAwaiter().GetResult();
        }
    }

    [Theory]
    [InlineData("az")]
    [InlineData("s3")]
    public void A_pushed_release_pulled_into_an_empty_folder_is_the_same_archive_and_verifies(string kind)
    {
        var push = Push(kind);
        Assert.True(push.Code == SynthCli.ExitOk, push.Err);
        Assert.Contains($"{kind}://releases/{Key(release.ArchiveName)}", push.Out);
        Assert.Equal(release.Bytes, ReadObject(kind, Key(release.ArchiveName)));
        Assert.Equal(File.ReadAllBytes(release.Archive + ".sha256"), ReadObject(kind, Key(release.ArchiveName + ".sha256")));

        string dest = Path.Combine(_dir, "pulled");
        var pull = Pull(kind, dest);
        Assert.True(pull.Code == SynthCli.ExitOk, pull.Err);
        Assert.Contains("verified", pull.Out);
        Assert.Equal([release.ArchiveName, release.ArchiveName + ".sha256"], Directory.GetFileSystemEntries(dest).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(release.Bytes, File.ReadAllBytes(Path.Combine(dest, release.ArchiveName)));
        var report = ReleaseVerifier.Verify(Path.Combine(dest, release.ArchiveName));
        Assert.True(report.Ok, string.Join("\n", report.Problems));
        Assert.True(report.FilesChecked > 10);

        // --extract: the folder a trainer reads, verified file by file.
        string data = Path.Combine(_dir, "data");
        var extract = Synth(Env(kind), "release", "pull", ReleaseFixture.Reference, "--store", Store(kind), "--out", Path.Combine(_dir, "again"), "--extract", data);
        Assert.True(extract.Code == SynthCli.ExitOk, extract.Err);
        Assert.Contains($"extracted into {data}: verified, {report.FilesChecked} files intact", extract.Out);
        Assert.True(File.Exists(Path.Combine(data, $"{ReleaseFixture.Name}-{ReleaseFixture.Version}", "manifest.json")));
    }

    /// <summary>--json: one JSON object on stdout for push and pull, success or not; diagnostics on stderr; exit codes as without it.</summary>
    [Theory]
    [InlineData("az")]
    [InlineData("s3")]
    public void Push_and_pull_with_json_print_one_object_and_keep_the_exit_codes(string kind)
    {
        var push = Synth(Env(kind), "release", "push", release.Archive, "--store", Store(kind), "--json");
        Assert.True(push.Code == SynthCli.ExitOk, push.Err);
        using (var doc = JsonDocument.Parse(push.Out))
        {
            var o = doc.RootElement;
            Assert.True(o.GetProperty("ok").GetBoolean());
            Assert.Equal(release.Archive, o.GetProperty("archive").GetString());
            Assert.Equal($"{kind}://releases/{Key(release.ArchiveName)}", o.GetProperty("location").GetString());
            Assert.True(o.GetProperty("filesVerified").GetInt32() > 10);
            Assert.Equal(0, o.GetProperty("problems").GetArrayLength());
        }
        Assert.Single(push.Out.TrimEnd('\n').Split('\n'));

        // Pushing the same version again is refused: exit 2, the SYN error on stderr and in the object.
        var again = Synth(Env(kind), "release", "push", release.Archive, "--store", Store(kind), "--json");
        Assert.Equal(SynthCli.ExitBadInput, again.Code);
        using (var doc = JsonDocument.Parse(again.Out))
        {
            Assert.False(doc.RootElement.GetProperty("ok").GetBoolean());
            var problem = doc.RootElement.GetProperty("problems")[0];
            Assert.Equal(SynCodes.StoreVersionExists, problem.GetProperty("code").GetString());
            Assert.Equal("error", problem.GetProperty("severity").GetString());
            Assert.Contains($"error {problem.GetProperty("code").GetString()}: ", again.Err);
        }

        string dest = Path.Combine(_dir, "pulled"), data = Path.Combine(_dir, "data");
        var pull = Synth(Env(kind), "release", "pull", ReleaseFixture.Reference, "--store", Store(kind), "--out", dest, "--extract", data, "--json");
        Assert.True(pull.Code == SynthCli.ExitOk, pull.Err);
        using (var doc = JsonDocument.Parse(pull.Out))
        {
            var o = doc.RootElement;
            Assert.True(o.GetProperty("ok").GetBoolean());
            Assert.Equal(ReleaseFixture.Reference, o.GetProperty("release").GetString());
            Assert.Equal(Path.Combine(Path.GetFullPath(dest), release.ArchiveName), Path.GetFullPath(o.GetProperty("archive").GetString()!));
            int files = o.GetProperty("filesVerified").GetInt32();
            Assert.Equal(ReleaseVerifier.Verify(Path.Combine(dest, release.ArchiveName)).FilesChecked, files);
            var extracted = o.GetProperty("extracted");
            Assert.Equal(data, extracted.GetProperty("path").GetString());
            Assert.True(extracted.GetProperty("ok").GetBoolean());
            Assert.Equal(files, extracted.GetProperty("filesChecked").GetInt32());
        }

        // A tampered archive: exit 1 as without --json, ok false, the checksum problem listed.
        byte[] tampered = ReadObject(kind, Key(release.ArchiveName));
        tampered[tampered.Length / 2] ^= 0x01;
        WriteObject(kind, Key(release.ArchiveName), tampered);
        var bad = Synth(Env(kind), "release", "pull", ReleaseFixture.Reference, "--store", Store(kind), "--out", Path.Combine(_dir, "bad"), "--json");
        Assert.Equal(SynthCli.ExitGateFailed, bad.Code);
        using (var doc = JsonDocument.Parse(bad.Out))
        {
            Assert.False(doc.RootElement.GetProperty("ok").GetBoolean());
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("archive").ValueKind);
            Assert.Contains(doc.RootElement.GetProperty("problems").EnumerateArray(), p => p.GetProperty("code").GetString() == SynCodes.ArchiveChecksumMismatch);
        }
        Assert.Contains($"error {SynCodes.PulledReleaseRejected}", bad.Err);

        // A SYN error thrown before any transfer (a bad store URL) still gives the object, with exit 2.
        var url = Synth(Env(kind), "release", "pull", ReleaseFixture.Reference, "--store", "gs://x", "--json");
        Assert.Equal(SynthCli.ExitBadInput, url.Code);
        using (var doc = JsonDocument.Parse(url.Out))
            Assert.Equal(SynCodes.StoreUrlInvalid, doc.RootElement.GetProperty("problems")[0].GetProperty("code").GetString());
        Assert.Contains($"error {SynCodes.StoreUrlInvalid}", url.Err);
    }

    [Theory]
    [InlineData("az")]
    [InlineData("s3")]
    public void A_byte_flipped_on_the_server_is_refused_and_the_destination_is_untouched(string kind)
    {
        Assert.Equal(SynthCli.ExitOk, Push(kind).Code);
        byte[] tampered = ReadObject(kind, Key(release.ArchiveName));
        tampered[tampered.Length / 2] ^= 0x01;
        WriteObject(kind, Key(release.ArchiveName), tampered);

        string dest = Path.Combine(_dir, "dest");
        Directory.CreateDirectory(dest);
        File.WriteAllText(Path.Combine(dest, "keep.txt"), "mine");
        var pull = Pull(kind, dest);
        Assert.Equal(SynthCli.ExitGateFailed, pull.Code);
        Assert.Contains($"error {SynCodes.PulledReleaseRejected}: Release {ReleaseFixture.Reference}", pull.Err);
        Assert.Contains($"error {SynCodes.ArchiveChecksumMismatch}", pull.Err);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(dest).Select(Path.GetFileName));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dest, "keep.txt")));
    }

    [Theory]
    [InlineData("az")]
    [InlineData("s3")]
    public void A_partial_release_is_refused_missing_checksum_and_truncated_archive_alike(string kind)
    {
        Assert.Equal(SynthCli.ExitOk, Push(kind).Code);
        string sidecar = Key(release.ArchiveName + ".sha256");
        byte[] checksum = ReadObject(kind, sidecar);
        DeleteObject(kind, sidecar);
        string dest = Path.Combine(_dir, "dest");
        var noChecksum = Pull(kind, dest);
        Assert.Equal(SynthCli.ExitBadInput, noChecksum.Code);
        Assert.Contains($"error {SynCodes.StoreReleaseNotFound}", noChecksum.Err);
        Assert.Contains("partial push", noChecksum.Err);

        // A truncated archive with its checksum restored: an interrupted upload or download.
        WriteObject(kind, sidecar, checksum);
        WriteObject(kind, Key(release.ArchiveName), release.Bytes[..(release.Bytes.Length / 2)]);
        var truncated = Pull(kind, dest);
        Assert.Equal(SynthCli.ExitGateFailed, truncated.Code);
        Assert.Contains($"error {SynCodes.PulledReleaseRejected}", truncated.Err);
        Assert.False(Directory.Exists(dest));
    }

    [Theory]
    [InlineData("az")]
    [InlineData("s3")]
    public void Pushing_a_version_the_store_holds_is_refused_and_the_stored_objects_stay(string kind)
    {
        Assert.Equal(SynthCli.ExitOk, Push(kind).Code);
        WriteObject(kind, Key(release.ArchiveName + ".sha256"), "changed\n"u8.ToArray());
        var again = Push(kind);
        Assert.Equal(SynthCli.ExitBadInput, again.Code);
        Assert.Contains($"error {SynCodes.StoreVersionExists}: Release {ReleaseFixture.Reference} is already in {kind}://releases/{_prefix}", again.Err);
        Assert.Equal("changed\n"u8.ToArray(), ReadObject(kind, Key(release.ArchiveName + ".sha256")));
        Assert.Equal(release.Bytes, ReadObject(kind, Key(release.ArchiveName)));
    }

    [Fact]
    public async Task Azure_refuses_a_second_upload_of_an_object_on_the_server_side_too()
    {
        // The check before the upload can race with another push; the conditional put is what the server enforces.
        var location = ReleaseStoreLocation.Parse(Store("az"));
        using var store = ReleaseStorage.Open(location, n => servers.AzureEnv().GetValueOrDefault(n), TimeSpan.FromSeconds(30));
        string key = Key("object");
        await store.UploadNewAsync(key, release.Archive, default);
        await Assert.ThrowsAsync<StoreConflictException>(() => store.UploadNewAsync(key, release.Archive + ".sha256", default));
        Assert.Equal(release.Bytes, ReadObject("az", key));
    }

    [Theory]
    [InlineData("az", "AZURE_STORAGE_CONNECTION_STRING")]
    [InlineData("s3", "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION")]
    public void Missing_credentials_are_a_SYN6051_naming_the_variables(string kind, string named)
    {
        var push = Synth([], "release", "push", release.Archive, "--store", Store(kind));
        Assert.Equal(SynthCli.ExitBadInput, push.Code);
        Assert.Contains($"error {SynCodes.StoreCredentialsMissing}: A {kind}:// release store needs credentials", push.Err);
        Assert.Contains(named, push.Err);
        var pull = Synth([], "release", "pull", ReleaseFixture.Reference, "--store", Store(kind), "--out", Path.Combine(_dir, "d"));
        Assert.Contains($"error {SynCodes.StoreCredentialsMissing}", pull.Err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "d")));
    }

    [Theory]
    [InlineData("gs://bucket/x", "the unknown scheme 'gs://'")]
    [InlineData("releases/x", "no scheme")]
    [InlineData("s3:///x", "no bucket name")]
    public void A_store_URL_that_is_not_az_or_s3_is_a_SYN6050(string url, string why)
    {
        var push = Synth(servers.S3Env(), "release", "push", release.Archive, "--store", url);
        Assert.Equal(SynthCli.ExitBadInput, push.Code);
        Assert.Contains($"error {SynCodes.StoreUrlInvalid}: Expected a release store URL az://CONTAINER[/PREFIX]", push.Err);
        Assert.Contains(why, push.Err);
    }

    [Fact]
    public void A_reference_without_a_version_is_a_SYN6057_and_no_store_is_a_usage_error()
    {
        var pull = Synth(servers.S3Env(), "release", "pull", "small", "--store", Store("s3"), "--out", _dir);
        Assert.Equal(SynthCli.ExitBadInput, pull.Code);
        Assert.Contains($"error {SynCodes.BadReleaseReference}: Expected a release as NAME@VERSION", pull.Err);
        var noStore = Synth(servers.S3Env(), "release", "pull", ReleaseFixture.Reference, "--out", _dir);
        Assert.Equal(SynthCli.ExitBadInput, noStore.Code);
        Assert.Contains("synth: error: no release store: give --store", noStore.Err);
        var emptyArchive = Synth(servers.S3Env(), "release", "push", "", "--store", Store("s3"));
        Assert.Equal(SynthCli.ExitBadInput, emptyArchive.Code);
        Assert.Contains($"error {SynCodes.PushArchiveInvalid}: Expected the path of a release archive", emptyArchive.Err);
    }

    [Theory]
    [InlineData("az")]
    [InlineData("s3")]
    public void An_unreachable_endpoint_is_a_SYN6052_within_seconds_without_secrets(string kind)
    {
        int closed = StorageServers.FreePort();
        var env = kind == "az" ? servers.AzureEnv(closed) : servers.S3Env(closed);
        var watch = Stopwatch.StartNew();
        var push = Synth(env, "release", "push", release.Archive, "--store", Store(kind));
        Assert.Equal(SynthCli.ExitBadInput, push.Code);
        Assert.Contains($"error {SynCodes.StoreRequestFailed}: Could not read {kind}://releases/{Key(release.ArchiveName)} at", push.Err);
        Assert.Contains($"127.0.0.1:{closed}", push.Err);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_wrong_key_is_refused_by_the_server_and_the_key_is_redacted_from_the_message()
    {
        string wrongKey = Convert.ToBase64String("not the azurite account key, 64 bytes long......................"u8);
        var env = new Dictionary<string, string> { ["AZURE_STORAGE_CONNECTION_STRING"] = servers.AzureConnectionString().Replace(StorageServers.AzuriteKey, wrongKey) };
        var pull = Synth(env, "release", "pull", ReleaseFixture.Reference, "--store", Store("az"), "--out", _dir);
        Assert.Equal(SynthCli.ExitBadInput, pull.Code);
        Assert.Contains($"error {SynCodes.StoreRequestFailed}: Could not read az://releases/", pull.Err);
        Assert.Contains("HTTP 403", pull.Err);
        Assert.DoesNotContain(wrongKey, pull.Err);
        Assert.Equal("x-*** and AccountKey=***;", StoreCredentials.Redact($"x-{wrongKey} and AccountKey={StorageServers.S3Secret};",
            StoreCredentials.Secrets(n => n == "AWS_SECRET_ACCESS_KEY" ? StorageServers.S3Secret : env.GetValueOrDefault(n))));
    }

    [Fact]
    public void An_archive_that_does_not_verify_is_not_pushed_and_a_pull_never_overwrites()
    {
        string copy = Path.Combine(_dir, release.ArchiveName);
        byte[] bytes = (byte[])release.Bytes.Clone();
        bytes[bytes.Length / 3] ^= 0x80;
        File.WriteAllBytes(copy, bytes);
        File.Copy(release.Archive + ".sha256", copy + ".sha256");
        var push = Synth(servers.AzureEnv(), "release", "push", copy, "--store", Store("az"));
        Assert.Equal(SynthCli.ExitGateFailed, push.Code);
        Assert.Contains($"error {SynCodes.PushArchiveInvalid}", push.Err);
        Assert.False(servers.AzureContainer().GetBlobClient(Key(release.ArchiveName)).Exists().Value);

        Assert.Equal(SynthCli.ExitOk, Push("az").Code);
        var pull = Pull("az", _dir);
        Assert.Equal(SynthCli.ExitBadInput, pull.Code);
        Assert.Contains($"error {SynCodes.PullDestinationExists}", pull.Err);
        Assert.Equal(bytes, File.ReadAllBytes(copy));
    }
}
