using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace SynthBuild.Releases.Storage;

/// <summary>Amazon S3 and S3-compatible servers (MinIO, Ceph, s3rver...): one bucket, path-style addressing.</summary>
internal sealed class S3ReleaseStore(AmazonS3Client client, string bucket, string endpoint) : IReleaseStore
{
    public static S3ReleaseStore Create(ReleaseStoreLocation location, StoreCredentials.S3 credentials, TimeSpan timeout)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = true,
            MaxErrorRetry = 2,
            Timeout = timeout,
            // S3-compatible servers differ in what they do with the SDK's default CRC checksums (aws-chunked
            // uploads with trailers); send and check them only where the operation requires them.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (credentials.Endpoint is { } url)
        {
            config.ServiceURL = url;
            config.AuthenticationRegion = credentials.Region;
        }
        else config.RegionEndpoint = RegionEndpoint.GetBySystemName(credentials.Region);
        AWSCredentials creds = credentials.SessionToken is { } token
            ? new SessionAWSCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, token)
            : new BasicAWSCredentials(credentials.AccessKeyId, credentials.SecretAccessKey);
        return new S3ReleaseStore(new AmazonS3Client(creds, config), location.Container,
            credentials.Endpoint ?? $"S3 region {credentials.Region}");
    }

    public async Task<long?> SizeAsync(string key, CancellationToken ct)
    {
        try
        {
            var meta = await client.GetObjectMetadataAsync(bucket, key, ct);
            return meta.ContentLength;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is null or "NotFound" or "NoSuchKey")
        {
            return null;
        }
        catch (Exception ex) when (IsRequestFailure(ex)) { throw Failure("read", key, ex); }
    }

    public async Task UploadNewAsync(string key, string file, CancellationToken ct)
    {
        try
        {
            await client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket, Key = key, FilePath = file,
                // S3 conditional write; a server that ignores it is covered by the check before the upload.
                IfNoneMatch = "*",
                // A plain signed body: servers without aws-chunked support store the chunk framing as content.
                UseChunkEncoding = false,
                ContentType = file.EndsWith(".sha256", StringComparison.Ordinal) ? "text/plain" : "application/gzip",
            }, ct);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
        {
            throw new StoreConflictException(key);
        }
        catch (Exception ex) when (IsRequestFailure(ex)) { throw Failure("upload", key, ex); }
    }

    public async Task DownloadAsync(string key, string file, CancellationToken ct)
    {
        try
        {
            using var response = await client.GetObjectAsync(bucket, key, ct);
            await using var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write);
            await response.ResponseStream.CopyToAsync(output, ct);
        }
        catch (Exception ex) when (IsRequestFailure(ex)) { throw Failure("download", key, ex); }
    }

    public async Task DeleteAsync(string key, CancellationToken ct)
    {
        try { await client.DeleteObjectAsync(bucket, key, ct); }
        catch (Exception ex) when (IsRequestFailure(ex)) { throw Failure("delete", key, ex); }
    }

    private static bool IsRequestFailure(Exception ex) =>
        ex is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or TaskCanceledException;

    private StoreRequestException Failure(string what, string key, Exception ex)
    {
        string why = ex switch
        {
            AmazonS3Exception s => $"HTTP {(int)s.StatusCode} {s.ErrorCode ?? ""} {AzureBlobReleaseStore.FirstLine(s.Message)}".Replace("  ", " "),
            _ => AzureBlobReleaseStore.FirstLine(ex.InnerException is HttpRequestException h ? h.Message : ex.Message),
        };
        return new StoreRequestException($"Could not {what} s3://{bucket}/{key} at {endpoint}: {why}", ex);
    }

    public void Dispose() => client.Dispose();
}
