using Azure;
using Azure.Core;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace SynthBuild.Releases.Storage;

/// <summary>Azure Blob Storage (and Azurite): one container, objects as block blobs.</summary>
internal sealed class AzureBlobReleaseStore(BlobContainerClient container) : IReleaseStore
{
    public static AzureBlobReleaseStore Create(ReleaseStoreLocation location, StoreCredentials.Azure credentials, TimeSpan timeout)
    {
        var options = new BlobClientOptions();
        // A store that is down should cost seconds, not the SDK's default minutes of retries.
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.NetworkTimeout = timeout;
        BlobServiceClient service = credentials.ConnectionString is { } cs
            ? new BlobServiceClient(cs, options)
            : new BlobServiceClient(new Uri(credentials.Endpoint!), new StorageSharedKeyCredential(credentials.Account!, credentials.Key!), options);
        return new AzureBlobReleaseStore(service.GetBlobContainerClient(location.Container));
    }

    public async Task<long?> SizeAsync(string key, CancellationToken ct)
    {
        try
        {
            var props = await container.GetBlobClient(key).GetPropertiesAsync(cancellationToken: ct);
            return props.Value.ContentLength;
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == BlobErrorCode.BlobNotFound)
        {
            return null;
        }
        catch (Exception ex) when (IsRequestFailure(ex)) { throw Failure("read", key, ex); }
    }

    public async Task UploadNewAsync(string key, string file, CancellationToken ct)
    {
        try
        {
            await container.GetBlobClient(key).UploadAsync(file, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            throw new StoreConflictException(key);
        }
        catch (Exception ex) when (IsRequestFailure(ex)) { throw Failure("upload", key, ex); }
    }

    public async Task DownloadAsync(string key, string file, CancellationToken ct)
    {
        try { await container.GetBlobClient(key).DownloadToAsync(file, ct); }
        catch (Exception ex) when (IsRequestFailure(ex)) { throw Failure("download", key, ex); }
    }

    public async Task DeleteAsync(string key, CancellationToken ct)
    {
        try { await container.GetBlobClient(key).DeleteIfExistsAsync(cancellationToken: ct); }
        catch (Exception ex) when (IsRequestFailure(ex)) { throw Failure("delete", key, ex); }
    }

    private static bool IsRequestFailure(Exception ex) =>
        ex is RequestFailedException or AggregateException or HttpRequestException or IOException or TaskCanceledException;

    private StoreRequestException Failure(string what, string key, Exception ex)
    {
        string why = ex switch
        {
            // The full message lists the response headers; status and error code say what went wrong.
            RequestFailedException r => $"HTTP {r.Status} {r.ErrorCode ?? FirstLine(r.Message)}",
            AggregateException a => FirstLine(a.InnerExceptions.LastOrDefault()?.Message ?? a.Message),
            _ => FirstLine(ex.Message),
        };
        return new StoreRequestException($"Could not {what} az://{container.Name}/{key} at {container.Uri.GetLeftPart(UriPartial.Authority)}: {why}", ex);
    }

    internal static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();

    public void Dispose() { }
}
