using System.Globalization;

namespace SynthBuild.Core.Storage;

/// <summary>
/// File names of the on-disk dataset (the layout the original tool's users know):
/// rgb/NNNNNN.png, depth/NNNNNN.png (uint16 mm), segmentation/NNNNNN.png (uint16 instance ids, raw),
/// annotations/NNNNNN.json, dataset.json, manifest.json.
/// </summary>
public static class DatasetLayout
{
    public const string RgbDir = "rgb", DepthDir = "depth", SegmentationDir = "segmentation", AnnotationsDir = "annotations";
    public const string SemanticDir = "semantic", PointCloudDir = "pointcloud", NormalsDir = "normals";
    public const string DatasetFile = "dataset.json";
    /// <summary>Default export folder inside the dataset (SynthExportDir).</summary>
    public const string ExportsDir = "exports";
    /// <summary>Marks an export folder as the exporter's own (a clean removes only stamped folders).</summary>
    public const string ExportStampFile = ".synthexport";
    /// <summary>Reports the later stages write beside the samples: quality analysis and sim-to-real.</summary>
    public const string ReportsDir = "reports";
    public const string QualityJson = "quality.json", QualityMarkdown = "quality.md", QualityHtml = "quality.html";
    public const string SimToRealReport = "sim2real.json";
    /// <summary>The probe detector's outputs in reports/ (docs/models.md): the report, the key written last, the weights,
    /// the contact sheet of val detections and each split's detections (COCO results).</summary>
    public const string ProbeJson = "probe.json", ProbeKey = "probe.key.json", ProbeWeights = "probe.weights", ProbeSheet = "probe.contact.png";
    public static string ProbeDetections(string split) => $"probe.{split}.detections.json";
    /// <summary>The COCO ground truth a split's probe detections were scored against (written for sim-to-real).</summary>
    public static string ProbeTruth(string split) => $"probe.{split}.truth.json";
    /// <summary>The probe on a real labelled set (sim-to-real): its detections, and the key of that evaluation.</summary>
    public const string ProbeRealDetections = "probe.real.detections.json", ProbeRealKey = "probe.real.key.json";
    /// <summary>Failure-mode slices of the probe's val (else test) detections (synthbuild.slices/1), written by the probe runner.</summary>
    public const string SlicesJson = "slices.json";
    /// <summary>Git provenance file of engines before 0.5 (now a member of dataset.json); a clean still removes it.</summary>
    public const string LegacyProvenanceFile = "provenance.json";
    public static readonly string[] SampleDirs = [RgbDir, DepthDir, SegmentationDir, AnnotationsDir, SemanticDir, PointCloudDir, NormalsDir];

    /// <summary>Zero-padded to 6 digits, wider only for datasets of a million samples or more.</summary>
    public static string Stem(long index, int sampleCount) =>
        index.ToString(CultureInfo.InvariantCulture).PadLeft(Math.Max(6, (sampleCount - 1).ToString(CultureInfo.InvariantCulture).Length), '0');

    public static string Rgb(string stem) => $"{RgbDir}/{stem}.png";
    public static string Depth(string stem) => $"{DepthDir}/{stem}.png";
    public static string Segmentation(string stem) => $"{SegmentationDir}/{stem}.png";
    public static string Annotation(string stem) => $"{AnnotationsDir}/{stem}.json";
    /// <summary>16-bit category id per pixel (0 = background).</summary>
    public static string Semantic(string stem) => $"{SemanticDir}/{stem}.png";
    /// <summary>NumPy .npy, float32, shape (N, 3): camera-frame points in metres of the valid depth pixels.</summary>
    public static string PointCloud(string stem) => $"{PointCloudDir}/{stem}.npy";
    /// <summary>8-bit RGB camera-frame normals, (n + 1) / 2; black where nothing was hit.</summary>
    public static string Normals(string stem) => $"{NormalsDir}/{stem}.png";

    public static string FullPath(string root, string relative) => Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar));
}
