using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Releases.Storage;

/// <summary>
/// Credentials for a release store, read from the variables each cloud's own tools read. Values are never put into
/// messages; <see cref="Secrets"/> lists them so every message can be redacted before anyone sees it.
/// </summary>
public static class StoreCredentials
{
    public sealed record Azure(string? ConnectionString, string? Account, string? Key, string? Endpoint);

    public sealed record S3(string AccessKeyId, string SecretAccessKey, string? SessionToken, string Region, string? Endpoint);

    /// <summary>AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_KEY
    /// (endpoint https://ACCOUNT.blob.core.windows.net, or AZURE_STORAGE_BLOB_ENDPOINT).</summary>
    public static Azure ReadAzure(Func<string, string?> env)
    {
        if (Value(env, "AZURE_STORAGE_CONNECTION_STRING") is { } cs) return new Azure(cs, null, null, null);
        string? account = Value(env, "AZURE_STORAGE_ACCOUNT"), key = Value(env, "AZURE_STORAGE_KEY");
        if (account is not null && key is not null)
            return new Azure(null, account, key, Value(env, "AZURE_STORAGE_BLOB_ENDPOINT") ?? $"https://{account}.blob.core.windows.net");
        throw Missing("az://", "AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY)");
    }

    /// <summary>AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; AWS_REGION or AWS_DEFAULT_REGION;
    /// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for an S3-compatible server (region then defaults to us-east-1).</summary>
    public static S3 ReadS3(Func<string, string?> env)
    {
        string? id = Value(env, "AWS_ACCESS_KEY_ID"), secret = Value(env, "AWS_SECRET_ACCESS_KEY");
        string? endpoint = Value(env, "AWS_ENDPOINT_URL_S3") ?? Value(env, "AWS_ENDPOINT_URL");
        string? region = Value(env, "AWS_REGION") ?? Value(env, "AWS_DEFAULT_REGION") ?? (endpoint is null ? null : "us-east-1");
        var missing = new List<string>();
        if (id is null) missing.Add("AWS_ACCESS_KEY_ID");
        if (secret is null) missing.Add("AWS_SECRET_ACCESS_KEY");
        if (region is null) missing.Add("AWS_REGION (or AWS_ENDPOINT_URL_S3 for an S3-compatible server)");
        if (missing.Count > 0) throw Missing("s3://", string.Join(", ", missing));
        if (endpoint is not null && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
            throw new DiagnosticException(Diagnostic.Error(SynCodes.StoreUrlInvalid,
                $"Expected AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL to be an http(s) URL; found '{endpoint}'."));
        return new S3(id!, secret!, Value(env, "AWS_SESSION_TOKEN"), region!, endpoint);
    }

    /// <summary>Every secret value the environment holds for either store, and the parts of a connection string
    /// that are secret on their own (AccountKey, SharedAccessSignature).</summary>
    public static IReadOnlyList<string> Secrets(Func<string, string?> env)
    {
        var secrets = new List<string>();
        foreach (string name in new[] { "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN" })
            if (Value(env, name) is { } v) secrets.Add(v);
        if (Value(env, "AZURE_STORAGE_CONNECTION_STRING") is { } cs)
            foreach (string part in cs.Split(';'))
                if (part.Split('=', 2) is [var k, var v] && k.Trim() is "AccountKey" or "SharedAccessSignature" && v.Length > 0) secrets.Add(v);
        return secrets.Where(s => s.Length >= 4).OrderByDescending(s => s.Length).ToList();
    }

    /// <summary><paramref name="text"/> with every secret replaced by "***".</summary>
    public static string Redact(string text, IReadOnlyList<string> secrets)
    {
        foreach (string s in secrets) text = text.Replace(s, "***", StringComparison.Ordinal);
        return text;
    }

    private static string? Value(Func<string, string?> env, string name) => env(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    private static DiagnosticException Missing(string scheme, string what) => new(Diagnostic.Error(SynCodes.StoreCredentialsMissing,
        $"A {scheme} release store needs credentials in the environment: expected {what}; found none set."));
}
