using System.CommandLine;
using System.Globalization;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Evaluation;
using SynthBuild.Models;
using SynthBuild.Models.Onnx;

namespace SynthBuild.Cli;

/// <summary>synth model-eval: an ONNX detector run over a dataset split or a real COCO set (docs/models.md).</summary>
internal static class ModelCommands
{
    public static Command ModelEval(TextWriter stdout)
    {
        var model = SynthCli.RequiredPath("--model", "MODEL.onnx", "The ONNX detector.");
        var dataset = SynthCli.RequiredPath("--dataset", "DIR|GT.json", "A built dataset folder (e.g. bin/dataset) or a COCO ground-truth JSON of a labelled (real) set.");
        var images = SynthCli.OptionalPath("--images", "DIR", "Image folder of a COCO JSON (default: the JSON's folder).");
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "val", HelpName = "train|val|test", Description = "Split of a built dataset." };
        var layout = new Option<string>("--layout") { DefaultValueFactory = _ => "torchvision", HelpName = "torchvision|yolo|tfod", Description = "The model's output layout." };
        var inputSize = new Option<string>("--input-size") { HelpName = "WxH", Description = "Input size for a model with a dynamic input (must match a fixed one)." };
        var resize = new Option<string>("--resize") { HelpName = "none|stretch|letterbox", Description = "How images reach the input size (default: letterbox for yolo, none for a dynamic torchvision input, else stretch)." };
        var scale = new Option<string>("--scale") { HelpName = "S", Description = "Pixel scale before mean/std (default 1/255 = 0.00392156862745098)." };
        var mean = new Option<string>("--mean") { HelpName = "R,G,B", Description = "Subtracted after scaling (default 0,0,0)." };
        var std = new Option<string>("--std") { HelpName = "R,G,B", Description = "Divided by after the mean (default 1,1,1)." };
        var bgr = new Option<bool>("--bgr") { Description = "Feed channels in BGR order." };
        var scoreThreshold = new Option<string>("--score-threshold") { HelpName = "S", Description = "Drop detections scoring below S (default 0.001)." };
        var nmsIou = new Option<string>("--nms-iou") { HelpName = "IOU", Description = "YOLO class-wise NMS IoU (default 0.7)." };
        var classMap = SynthCli.OptionalPath("--class-map", "MAP.json", "Model class → category name or id, e.g. {\"0\": \"box\"} (default: ids as the layout's convention).");
        var threads = new Option<int>("--threads") { HelpName = "N", Description = "Images run at once (default: the core count)." };
        var output = SynthCli.OptionalPath("--out", "REPORT.json", "Write the report (settings, stats, per-category AP, timing) as JSON.");
        var detections = SynthCli.OptionalPath("--detections", "DT.json", "Also write the detections as a COCO results file (what `synth eval --dt` reads).");
        var command = new Command("model-eval", "Run an ONNX detector over a dataset split or a labelled real set and evaluate it (COCO AP/AR).")
        {
            model, dataset, images, split, layout, inputSize, resize, scale, mean, std, bgr, scoreThreshold, nmsIou, classMap, threads, output, detections,
        };
        command.SetAction(p =>
        {
            var lay = ModelEvalSettings.Layout(p.GetValue(layout)!, "--layout");
            var size = p.GetValue(inputSize) is string s ? ModelEvalSettings.InputSize(s, "--input-size") : ((int, int)?)null;
            var options = new ModelEvalOptions
            {
                ModelPath = p.GetRequiredValue(model),
                Dataset = p.GetRequiredValue(dataset),
                Images = p.GetValue(images),
                Split = p.GetValue(split)!,
                Layout = lay,
                ClassMapFile = p.GetValue(classMap),
                Threads = Math.Max(0, p.GetValue(threads)),
                Preprocess = new PreprocessOptions
                {
                    Resize = p.GetValue(resize) is string r ? ModelEvalSettings.Resize(r, "--resize") : null,
                    InputSize = size,
                    Scale = p.GetValue(scale) is string sc ? ModelEvalSettings.Number(sc, "--scale", 0, float.MaxValue) : 1f / 255f,
                    Mean = p.GetValue(mean) is string m ? ModelEvalSettings.Three(m, "--mean") : [0, 0, 0],
                    Std = p.GetValue(std) is string sd ? ModelEvalSettings.Three(sd, "--std") : [1, 1, 1],
                    Order = p.GetValue(bgr) ? ChannelOrder.Bgr : ChannelOrder.Rgb,
                },
                Decode = new DecodeOptions
                {
                    ScoreThreshold = p.GetValue(scoreThreshold) is string st ? ModelEvalSettings.Number(st, "--score-threshold", 0, 1) : 0.001f,
                    NmsIou = p.GetValue(nmsIou) is string ni ? ModelEvalSettings.Number(ni, "--nms-iou", 0, 1) : 0.7f,
                },
            };
            if (p.GetValue(threads) < 0) throw Bad($"--threads must be 0 or more, found {p.GetValue(threads)}.");
            var result = ModelEvaluation.Run(options);
            stdout.Write(CocoEvaluator.FormatSummary(result.Stats));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model-eval: {result.Images} images, {result.Detections} detections, {result.Seconds:F2} s ({result.ImagesPerSecond:F1} images/s, inference {result.InferenceSeconds:F2} s)"));
            if (p.GetValue(detections) is string dtPath) WriteAtomic(dtPath, result.DetectionsJson);
            if (p.GetValue(output) is string outPath)
            {
                WriteAtomic(outPath, result.ToJson());
                stdout.WriteLine($"report: {outPath}");
            }
            return SynthCli.ExitOk;
        });
        return command;
    }

    private static DiagnosticException Bad(string message) => new(Diagnostic.Error(SynCodes.ModelEvalOptionInvalid, message));

    private static void WriteAtomic(string path, byte[] bytes)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path + ".tmp", bytes);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
