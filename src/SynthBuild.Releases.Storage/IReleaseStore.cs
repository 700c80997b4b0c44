namespace SynthBuild.Releases.Storage;

/// <summary>The few object operations a release needs; one implementation per storage service.</summary>
internal interface IReleaseStore : IDisposable
{
    /// <summary>The object's size in bytes, or null when there is no such object.</summary>
    Task<long?> SizeAsync(string key, CancellationToken ct);

    /// <summary>Uploads <paramref name="file"/> only if no object <paramref name="key"/> exists (If-None-Match: *).</summary>
    /// <exception cref="StoreConflictException">The object already exists.</exception>
    Task UploadNewAsync(string key, string file, CancellationToken ct);

    Task DownloadAsync(string key, string file, CancellationToken ct);

    Task DeleteAsync(string key, CancellationToken ct);
}

/// <summary>A conditional put found the object already there.</summary>
internal sealed class StoreConflictException(string key) : Exception($"'{key}' already exists");

/// <summary>A request failed; <see cref="Exception.Message"/> is one line meant for the user (redacted later).</summary>
internal sealed class StoreRequestException(string message, Exception? inner = null) : Exception(message, inner);
