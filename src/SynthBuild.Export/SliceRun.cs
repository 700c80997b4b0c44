using SynthBuild.Core.Assets;
using SynthBuild.Core.Config;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;
using SynthBuild.Evaluation.Slices;

namespace SynthBuild.Export;

/// <summary>
/// Slice analysis of a built dataset from its folder, its config and a detections file: the split's ground truth is
/// the dataset's COCO export (made in a scratch folder, as the probe makes it), so the image and annotation ids are
/// the ones the detector's results use. Shared by <c>synth slices</c> and the probe runner.
/// </summary>
public static class SliceRun
{
    /// <summary>The project's config of a dataset at PROJECT/bin/dataset.</summary>
    public static string DefaultConfig(string dataset) =>
        Path.GetFullPath(Path.Combine(dataset, "..", "..", "synth.json"));

    /// <summary>The config as it built the dataset: the sample count and seed come from dataset.json (a build with
    /// -p:SynthSamples / SynthSeed overrides them), the rest from the file.</summary>
    /// <exception cref="DiagnosticException">SYN8301 when the config is missing or invalid.</exception>
    public static DatasetSpec LoadSpec(string configFile, DatasetReader reader, DatasetSpec? given = null)
    {
        if (given is not null) return given;
        if (!File.Exists(configFile))
            throw new DiagnosticException(Diagnostic.Error(SynCodes.SlicesInputInvalid,
                $"No config at '{configFile}': slices re-sample the dataset's scenes from the config that built it (pass --config).", reader.Root));
        var overrides = new ConfigOverrides(
            Samples: reader.Info.Samples.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Seed: reader.Info.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var loaded = ConfigLoader.Load(configFile, overrides);
        if (!loaded.Succeeded)
            throw new DiagnosticException(loaded.Diagnostics.FirstOrDefault(d => d.IsError)
                ?? Diagnostic.Error(SynCodes.SlicesInputInvalid, "The config could not be loaded.", configFile));
        return loaded.Spec!;
    }

    /// <exception cref="DiagnosticException">SYN83xx, or the exporter's and COCO loader's diagnostics.</exception>
    public static SliceReport Run(string dataset, string configFile, string detectionsFile, string split, SliceOptions? options = null, DatasetSpec? spec = null)
    {
        if (split is not ("train" or "val" or "test"))
            throw new DiagnosticException(Diagnostic.Error(SynCodes.SlicesOptionInvalid, $"--split must be train, val or test, found '{split}'."));
        var reader = DatasetReader.Open(dataset);
        var resolved = LoadSpec(configFile, reader, spec);
        if (!File.Exists(detectionsFile))
            throw new DiagnosticException(Diagnostic.Error(SynCodes.SlicesInputInvalid, $"Detections file '{detectionsFile}' not found.", detectionsFile));
        byte[] detections = File.ReadAllBytes(detectionsFile);
        var assets = AssetLibrary.LoadOrThrow(resolved);
        string scratch = Path.Combine(Path.GetTempPath(), "synth-slices-" + Guid.NewGuid().ToString("N"));
        try
        {
            var request = new ExportRequest(ExportFormat.Coco, new Dictionary<string, string> { ["Segmentation"] = "rle", ["Keypoints"] = "false" });
            var export = DatasetExporter.Run(dataset, scratch, [request]);
            if (!export.Succeeded) throw new DiagnosticException(export.Diagnostics.First(d => d.IsError));
            var gt = CocoGroundTruth.Load(Path.Combine(scratch, ExportOptions.NameOf(ExportFormat.Coco), $"instances_{split}.json"));
            if (gt.Images.Count == 0)
                throw new DiagnosticException(Diagnostic.Error(SynCodes.SlicesInputInvalid, $"The {split} split of the dataset is empty: nothing to slice.", reader.Root));
            return SliceAnalysis.Run(reader, resolved, assets, gt, detections, detectionsFile, split, options);
        }
        catch (CocoFormatException ex)
        {
            throw new DiagnosticException(ex.Diagnostic.ToDiagnostic());
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }
    }
}
