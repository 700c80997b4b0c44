using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Releases.Storage;

public enum StoreKind { AzureBlob, S3 }

/// <summary>
/// Where releases live: az://CONTAINER[/PREFIX] (Azure Blob Storage) or s3://BUCKET[/PREFIX] (S3 or an S3-compatible
/// server). A release NAME@VERSION is the objects PREFIX/NAME/VERSION/NAME-VERSION.tar.gz and its .sha256.
/// </summary>
public sealed record ReleaseStoreLocation(StoreKind Kind, string Container, string Prefix, string Url)
{
    public static ReleaseStoreLocation Parse(string? url)
    {
        string given = url?.Trim() ?? "";
        if (given.Length == 0)
            throw new DiagnosticException(Diagnostic.Error(SynCodes.StoreUrlInvalid,
                "Expected a release store URL az://CONTAINER[/PREFIX] or s3://BUCKET[/PREFIX] (--store, SynthReleaseStore or SYNTH_RELEASE_STORE); found none."));
        int sep = given.IndexOf("://", StringComparison.Ordinal);
        string scheme = sep < 0 ? "" : given[..sep].ToLowerInvariant();
        StoreKind? kind = scheme switch { "az" => StoreKind.AzureBlob, "s3" => StoreKind.S3, _ => null };
        if (kind is null)
            throw Bad(given, sep < 0 ? "no scheme" : $"the unknown scheme '{scheme}://'");
        string rest = given[(sep + 3)..].TrimEnd('/');
        int slash = rest.IndexOf('/');
        string container = slash < 0 ? rest : rest[..slash];
        string prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (container.Length == 0) throw Bad(given, $"no {(kind == StoreKind.S3 ? "bucket" : "container")} name");
        if (container.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')) || prefix.Contains("//", StringComparison.Ordinal)
            || prefix.Split('/').Any(s => s is "." or ".."))
            throw Bad(given, "characters a container, bucket or prefix cannot hold");
        return new ReleaseStoreLocation(kind.Value, container, prefix, $"{scheme}://{container}{(prefix.Length > 0 ? "/" + prefix : "")}");
    }

    /// <summary>The object key of <paramref name="file"/> in release <paramref name="name"/>@<paramref name="version"/>.</summary>
    public string Key(string name, string version, string file) =>
        (Prefix.Length > 0 ? Prefix + "/" : "") + $"{name}/{version}/{file}";

    /// <summary>az://container/key: how messages name an object.</summary>
    public string Describe(string key) => $"{Url[..Url.IndexOf("://", StringComparison.Ordinal)]}://{Container}/{key}";

    private static DiagnosticException Bad(string given, string why) => new(Diagnostic.Error(SynCodes.StoreUrlInvalid,
        $"Expected a release store URL az://CONTAINER[/PREFIX] (Azure Blob Storage) or s3://BUCKET[/PREFIX] (S3); found '{given}' with {why}."));
}
