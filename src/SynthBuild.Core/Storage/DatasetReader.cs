using System.Text.Json;
using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Labels;

namespace SynthBuild.Core.Storage;

public sealed record CategoryInfo(int Id, string Name, string Shape);

/// <summary>What dataset.json says about a built dataset.</summary>
public sealed record DatasetInfo(
    string Name, string Engine, ulong Seed, int Samples, string Digest, int Width, int Height,
    IReadOnlyList<CategoryInfo> Categories, SplitSpec Splits);

/// <summary>
/// Read access to a built dataset for the stages after generation (export, quality, lineage, augmentation):
/// its description, manifest, per-sample annotations and decoded images. Safe to use from several threads.
/// </summary>
public sealed class DatasetReader
{
    private DatasetReader(string root, DatasetInfo info, Manifest manifest)
    {
        Root = root;
        Info = info;
        Manifest = manifest;
        Indices = manifest.Samples.Select(s => s.Index).Order().ToArray();
    }

    public string Root { get; }
    public DatasetInfo Info { get; }
    public Manifest Manifest { get; }
    /// <summary>Sample indices in ascending order.</summary>
    public IReadOnlyList<long> Indices { get; }

    /// <exception cref="DiagnosticException">SYN3003 when the folder holds no complete dataset.</exception>
    public static DatasetReader Open(string root)
    {
        root = Path.GetFullPath(root);
        string datasetFile = Path.Combine(root, DatasetLayout.DatasetFile);
        string manifestFile = Path.Combine(root, Manifest.FileName);
        if (!File.Exists(datasetFile))
            throw new DiagnosticException(Diagnostic.Error(SynCodes.NotADataset, $"No dataset here: '{datasetFile}' is missing (build the dataset first).", root));
        Manifest manifest = Manifest.TryRead(manifestFile, out string? problem)
            ?? throw new DiagnosticException(Diagnostic.Error(SynCodes.NotADataset, $"Dataset manifest missing or unreadable: {problem ?? "not found"}.", manifestFile));

        using var doc = JsonDocument.Parse(File.ReadAllBytes(datasetFile));
        JsonElement r = doc.RootElement;
        var categories = r.GetProperty("categories").EnumerateArray()
            .Select(c => new CategoryInfo(c.GetProperty("id").GetInt32(), c.GetProperty("name").GetString()!, c.GetProperty("shape").GetString()!))
            .ToList();
        JsonElement splits = r.GetProperty("splits"), image = r.GetProperty("image");
        var info = new DatasetInfo(
            r.GetProperty("name").GetString()!, r.GetProperty("engine").GetString()!, r.GetProperty("seed").GetUInt64(),
            r.GetProperty("samples").GetInt32(), r.GetProperty("digest").GetString()!,
            image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32(), categories,
            new SplitSpec(splits.GetProperty("train").GetDouble(), splits.GetProperty("val").GetDouble(), splits.GetProperty("test").GetDouble()));
        return new DatasetReader(root, info, manifest);
    }

    public string Stem(long index) => DatasetLayout.Stem(index, Info.Samples);
    public string RgbPath(long index) => DatasetLayout.FullPath(Root, DatasetLayout.Rgb(Stem(index)));
    public string DepthPath(long index) => DatasetLayout.FullPath(Root, DatasetLayout.Depth(Stem(index)));
    public string SegmentationPath(long index) => DatasetLayout.FullPath(Root, DatasetLayout.Segmentation(Stem(index)));
    public string SemanticPath(long index) => DatasetLayout.FullPath(Root, DatasetLayout.Semantic(Stem(index)));
    public string AnnotationPath(long index) => DatasetLayout.FullPath(Root, DatasetLayout.Annotation(Stem(index)));

    public Split SplitOf(long index) => DatasetSplits.Of(Info.Seed, index, Info.Splits);

    public SampleAnnotation ReadAnnotation(long index) => AnnotationJson.ReadSample(File.ReadAllBytes(AnnotationPath(index)));

    /// <summary>8-bit RGB, 3 bytes per pixel, row-major.</summary>
    public byte[] ReadRgb(long index) => ReadPng(RgbPath(index)).Bytes!;

    /// <summary>Depth in millimetres, 0 = no measurement.</summary>
    public ushort[] ReadDepth(long index) => ReadPng(DepthPath(index)).Words!;

    /// <summary>Category ids per pixel, 0 = background (when the dataset writes semantic masks).</summary>
    public ushort[] ReadSemantic(long index) => ReadPng(SemanticPath(index)).Words!;

    /// <summary>Instance ids, 0 = background, 1..N = the annotation's objects.</summary>
    public ushort[] ReadSegmentation(long index) => ReadPng(SegmentationPath(index)).Words!;

    /// <exception cref="InvalidDataException">The file is not a PNG of a layout the dataset writes (as other unreadable
    /// dataset files are reported).</exception>
    private static PngImage ReadPng(string path)
    {
        try { return Png.Decode(File.ReadAllBytes(path)); }
        catch (FormatException ex) { throw new InvalidDataException($"'{path}': {ex.Message}", ex); }
    }
}
