using System.Security.Cryptography;
using System.Text.Json;
using LibGit2Sharp;
using SynthBuild.Core.Config;
using SynthBuild.Core.Storage;
using SynthBuild.Quality;

namespace SynthBuild.Lineage.Cards;

/// <summary>One split as the card states it: sample count, bytes of its sample files, instances per category (config order).</summary>
public sealed record CardSplit(string Name, int Samples, long Bytes, IReadOnlyList<long>? ClassInstances);

/// <summary>A file the card lists with its hash (Croissant FileObject): path relative to the dataset folder.</summary>
public sealed record CardFile(string Path, string Sha256, long Size, string EncodingFormat);

/// <summary>One export folder that exists (exports/&lt;format&gt;/, stamped by the exporter).</summary>
public sealed record CardExport(string Format, IReadOnlyList<CardFile> Files);

/// <summary>
/// Everything the two cards say, gathered once from the built dataset (dataset.json, manifest.json), the quality
/// report, the export folders, the config and the project. Both renderers are pure functions of this.
/// </summary>
public sealed record CardFacts(
    DatasetInfo Info,
    DatasetSpec Spec,
    DatasetLicense License,
    string Description,
    string? Version,
    string? Url,
    IReadOnlyList<string> Creators,
    DateTimeOffset? Published,
    IReadOnlyList<CardSplit> Splits,
    IReadOnlyList<CardExport> Exports,
    IReadOnlyList<CardFile> Metadata,
    QualityReport? Quality,
    bool MasksExported)
{
    public int TotalSamples => Splits.Sum(s => s.Samples);
    public long TotalBytes => Splits.Sum(s => s.Bytes);
    public CardExport? Export(string format) => Exports.FirstOrDefault(e => e.Format == format);

    /// <summary>Hugging Face's size bucket for <paramref name="n"/> examples.</summary>
    public static string SizeCategory(long n) => n switch
    {
        < 1_000 => "n<1K",
        < 10_000 => "1K<n<10K",
        < 100_000 => "10K<n<100K",
        < 1_000_000 => "100K<n<1M",
        < 10_000_000 => "1M<n<10M",
        < 100_000_000 => "10M<n<100M",
        < 1_000_000_000 => "100M<n<1B",
        _ => "n>1B",
    };

    internal static CardFacts Gather(DatasetReader reader, DatasetCardRequest req, DatasetLicense license)
    {
        var splits = new List<CardSplit>();
        QualityReport? quality = ReadQuality(reader);
        foreach (Split split in new[] { Split.Train, Split.Val, Split.Test })
        {
            string name = DatasetSplits.Name(split);
            var samples = reader.Manifest.Samples.Where(s => reader.SplitOf(s.Index) == split).ToList();
            long[]? classes = quality?.Splits.FirstOrDefault(q => q.Name == name)?.ClassInstances;
            splits.Add(new CardSplit(name, samples.Count, samples.Sum(s => s.Files.Sum(f => f.Size)), classes));
        }

        var exports = new List<CardExport>();
        bool masks = false;
        string exportRoot = Path.Combine(reader.Root, DatasetLayout.ExportsDir);
        if (Directory.Exists(exportRoot))
            foreach (string dir in Directory.EnumerateDirectories(exportRoot).Order(StringComparer.Ordinal))
            {
                if (!File.Exists(Path.Combine(dir, DatasetLayout.ExportStampFile))) continue; // only folders the exporter finished
                string format = Path.GetFileName(dir);
                var files = new List<CardFile>();
                if (format == "coco")
                    foreach (string split in splits.Select(s => s.Name))
                    {
                        string file = Path.Combine(dir, $"instances_{split}.json");
                        if (!File.Exists(file)) continue;
                        files.Add(Describe(reader.Root, file, "application/json"));
                        masks |= HasSegmentation(file);
                    }
                if (format == "yolo-seg") masks = true;
                if (format == "numpy" && Directory.EnumerateFiles(dir, "masks.npy", SearchOption.AllDirectories).Any()) masks = true;
                exports.Add(new CardExport(format, files));
            }

        var metadata = new List<CardFile>
        {
            Describe(reader.Root, Path.Combine(reader.Root, DatasetLayout.DatasetFile), "application/json"),
            Describe(reader.Root, Path.Combine(reader.Root, Manifest.FileName), "application/json"),
        };
        var (published, remote) = GitFacts(req.ProjectFile);
        string description = string.IsNullOrWhiteSpace(req.Description)
            ? $"Synthetic RGB-D images of {string.Join(", ", reader.Info.Categories.Select(c => c.Name))} with exact boxes, instance masks and depth."
            : req.Description.Trim();
        return new CardFacts(reader.Info, req.Spec, license, description, Blank(req.Version), Blank(req.Url) ?? remote,
            req.Creators.Where(c => !string.IsNullOrWhiteSpace(c)).Select(c => c.Trim()).ToList(), published,
            splits, exports, metadata, quality, masks);
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>The quality report when it describes this very dataset (same digest), else null.</summary>
    private static QualityReport? ReadQuality(DatasetReader reader)
    {
        string path = Path.Combine(reader.Root, DatasetLayout.ReportsDir, DatasetLayout.QualityJson);
        if (!File.Exists(path)) return null;
        QualityReport report = QualityReport.Read(path);
        return report.Digest == reader.Info.Digest ? report : null;
    }

    private static bool HasSegmentation(string cocoFile)
    {
        using var stream = File.OpenRead(cocoFile);
        using var doc = JsonDocument.Parse(stream);
        return doc.RootElement.TryGetProperty("annotations", out var anns) && anns.ValueKind == JsonValueKind.Array
            && anns.EnumerateArray().Any(a => a.TryGetProperty("segmentation", out _));
    }

    internal static CardFile Describe(string root, string file, string format)
    {
        using var s = File.OpenRead(file);
        string sha = Convert.ToHexStringLower(SHA256.HashData(s));
        return new CardFile(Path.GetRelativePath(root, file).Replace('\\', '/'), sha, s.Length, format);
    }

    /// <summary>
    /// The time of the commit the project is built from (a fixed point in time: the card stays byte-identical across
    /// rebuilds of one commit) and the origin remote's URL; nulls outside git.
    /// </summary>
    private static (DateTimeOffset? Published, string? Remote) GitFacts(string projectFile)
    {
        try
        {
            string? gitDir = Repository.Discover(Path.GetDirectoryName(Path.GetFullPath(projectFile)));
            if (gitDir is null) return (null, null);
            using var repo = new Repository(gitDir);
            DateTimeOffset? when = repo.Head.Tip?.Committer.When;
            Remote? remote = repo.Network.Remotes["origin"] ?? repo.Network.Remotes.FirstOrDefault();
            return (when, remote is null ? null : GitProvenance.StripCredentials(remote.Url));
        }
        catch (LibGit2SharpException) { return (null, null); }
    }
}
