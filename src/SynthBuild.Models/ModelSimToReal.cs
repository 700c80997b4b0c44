using SynthBuild.Core.Diagnostics;
using SynthBuild.Evaluation;
using SynthBuild.Models.Onnx;

namespace SynthBuild.Models;

/// <summary>What <see cref="ModelSimToReal.Run"/> measured: both evaluations and the gap report built from them.</summary>
public sealed record ModelSimToRealResult(ModelEvalResult Synthetic, ModelEvalResult Real, SimToRealReport Report);

/// <summary>
/// The sim-to-real gap of one detector: the same ONNX model, with the same pre-processing and decoding, run on a
/// split of the dataset and on a labelled real set, and the two evaluations compared as `synth sim2real` compares
/// detection files (<see cref="SimToRealValidator"/>).
/// </summary>
public static class ModelSimToReal
{
    /// <param name="synthetic">The model and settings, with the dataset folder and split to measure on.</param>
    /// <exception cref="DiagnosticException">SYN8xxx, as <see cref="ModelEvaluation.Run"/>; SYN8012 when the real
    /// set names a category the dataset does not have.</exception>
    public static ModelSimToRealResult Run(ModelEvalOptions synthetic, string realGroundTruth, string? realImages, double maxGap)
    {
        var s = ModelEvaluation.Run(synthetic);
        CheckCategories(s.GroundTruth, CocoGroundTruth.Load(realGroundTruth), realGroundTruth);
        var r = ModelEvaluation.Run(synthetic with { Dataset = realGroundTruth, Images = realImages });
        var report = SimToRealValidator.Validate(s.GroundTruth, s.DetectionSet, r.GroundTruth, r.DetectionSet, IouType.Bbox, maxGap);
        return new ModelSimToRealResult(s, r, report);
    }

    /// <summary>Category ids are how detections meet ground truth on both sides: a real category that is not the
    /// dataset's category of the same id and name would be scored against the wrong class without any error.</summary>
    public static void CheckCategories(CocoGroundTruth dataset, CocoGroundTruth real, string realFile)
    {
        var names = dataset.Categories.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.Last().Name);
        var wrong = real.Categories
            .Where(c => !names.TryGetValue(c.Id, out var n) || !string.Equals(n, c.Name, StringComparison.Ordinal))
            .Select(c => names.TryGetValue(c.Id, out var n) ? $"{c.Id} '{c.Name}' (the dataset's {c.Id} is '{n}')" : $"{c.Id} '{c.Name}' (no such id in the dataset)")
            .ToList();
        if (wrong.Count > 0)
            throw ModelErrors.Error(SynCodes.RealSetCategoriesMismatch,
                $"The real set's categories do not match the dataset's: {string.Join(", ", wrong)}. Dataset categories: "
                + string.Join(", ", names.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} '{kv.Value}'")) + ".", realFile);
    }
}
