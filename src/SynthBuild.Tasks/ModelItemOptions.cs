using Microsoft.Build.Framework;
using SynthBuild.Models;
using SynthBuild.Models.Onnx;

namespace SynthBuild.Tasks;

/// <summary>The model-eval settings an item carries as metadata (SynthModel, and SynthTrainer for the model it
/// produces): one reading, through <see cref="ModelEvalSettings"/>, so both items accept the same values.</summary>
internal static class ModelItemOptions
{
    /// <param name="kind">The item type, for messages ("Layout on SynthModel 'det.onnx'").</param>
    /// <param name="pathOf">Resolves a path metadata (ClassMap) to a full path; null for an empty value.</param>
    public static ModelEvalOptions From(ITaskItem item, string kind, string model, string dataset, Func<string, string?> pathOf,
        int threads, string defaultSplit)
    {
        string What(string metadata) => $"{metadata} on {kind} '{item.ItemSpec}'";
        string? Meta(string metadata) => item.GetMetadata(metadata) is { Length: > 0 } v ? v : null;
        return new ModelEvalOptions
        {
            ModelPath = model,
            Dataset = dataset,
            Split = ModelEvalSettings.Split(Meta("Split") ?? defaultSplit, What("Split")),
            Layout = ModelEvalSettings.Layout(Meta("Layout") ?? "torchvision", What("Layout")),
            ClassMapFile = pathOf(item.GetMetadata("ClassMap")),
            Threads = Math.Max(0, threads),
            Preprocess = new PreprocessOptions
            {
                Resize = Meta("Resize") is { } r ? ModelEvalSettings.Resize(r, What("Resize")) : null,
                InputSize = Meta("InputSize") is { } size ? ModelEvalSettings.InputSize(size, What("InputSize")) : null,
                Scale = Meta("Scale") is { } sc ? ModelEvalSettings.Number(sc, What("Scale"), 0, float.MaxValue) : 1f / 255f,
                Mean = Meta("Mean") is { } m ? ModelEvalSettings.Three(m, What("Mean")) : [0, 0, 0],
                Std = Meta("Std") is { } sd ? ModelEvalSettings.Three(sd, What("Std")) : [1, 1, 1],
                Order = Meta("Bgr") is { } bgr && bool.TryParse(bgr, out bool b) && b ? ChannelOrder.Bgr : ChannelOrder.Rgb,
            },
            Decode = new DecodeOptions
            {
                ScoreThreshold = Meta("ScoreThreshold") is { } st ? ModelEvalSettings.Number(st, What("ScoreThreshold"), 0, 1) : 0.001f,
                NmsIou = Meta("NmsIou") is { } ni ? ModelEvalSettings.Number(ni, What("NmsIou"), 0, 1) : 0.7f,
            },
        };
    }
}
