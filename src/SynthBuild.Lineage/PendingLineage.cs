using System.Text.Json;
using SynthBuild.Core.Storage;

namespace SynthBuild.Lineage;

/// <summary>
/// A durable note that a dataset digest was generated and not yet recorded: written the moment generation ends,
/// removed only once the lineage stage has appended the record to the local log (and logged the MLflow run when one
/// is required). A build killed in between, or whose required lineage failed, leaves it, and the next build completes
/// it even when nothing is regenerated, so building again never skips a record. One file per digest
/// (<c>&lt;digest&gt;.json</c>) holding the generation figures of the build that made it. The generate and merge tasks write the
/// same format with their own small writer (LineagePending), so that generation does not load this assembly; change both.
/// </summary>
public static class PendingLineage
{
    internal sealed record Note(string Digest, GenerationFigures Generation, DateTimeOffset GeneratedUtc);

    public static string PathFor(string directory, string digest) => Path.Combine(directory, digest + ".json");

    /// <summary>Writes (atomically) the pending record for <paramref name="digest"/>.</summary>
    public static void Write(string directory, string digest, GenerationFigures generation)
    {
        Directory.CreateDirectory(directory);
        var note = new Note(digest, generation, DateTimeOffset.UtcNow);
        AtomicFile.Write(PathFor(directory, digest), JsonSerializer.SerializeToUtf8Bytes(note, LineageJsonContext.Default.Note));
    }

    /// <summary>Whether a pending record exists for <paramref name="digest"/>.</summary>
    public static bool Exists(string? directory, string digest) =>
        !string.IsNullOrEmpty(directory) && File.Exists(PathFor(directory, digest));

    /// <summary>The generation figures the pending record kept; null when there is none or it cannot be read.</summary>
    public static GenerationFigures? Figures(string? directory, string digest)
    {
        if (!Exists(directory, digest)) return null;
        try { return JsonSerializer.Deserialize(File.ReadAllBytes(PathFor(directory!, digest)), LineageJsonContext.Default.Note)?.Generation; }
        catch (Exception ex) when (ex is JsonException or IOException or NotSupportedException) { return null; }
    }

    public static void Remove(string? directory, string digest)
    {
        if (Exists(directory, digest)) File.Delete(PathFor(directory!, digest));
    }

    /// <summary>Digests with a pending record other than <paramref name="digest"/>: datasets generated, never recorded, since overwritten.</summary>
    public static IReadOnlyList<string> Others(string? directory, string digest) =>
        string.IsNullOrEmpty(directory) || !Directory.Exists(directory)
            ? []
            : Directory.EnumerateFiles(directory, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)!)
                .Where(d => d != digest).Order(StringComparer.Ordinal).ToList();
}
