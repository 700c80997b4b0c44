using System.Text.Json;
using SynthBuild.Cli;
using SynthBuild.Evaluation;
using SynthBuild.Export;
using SynthBuild.TestSupport;
using static SynthBuild.Models.Tests.ModelFixtures;

namespace SynthBuild.Models.Tests;

/// <summary>
/// A real torchvision detector (Faster R-CNN MobileNetV3-Large 320 FPN, seeded random weights, no download) exported
/// to ONNX by Debian's python3-torch: its PyTorch detections evaluated by `synth eval` and its ONNX Runtime
/// detections evaluated by `synth model-eval` agree.
/// </summary>
public class TorchvisionOnnxTests
{
    /// <summary>Inference numerics differ between PyTorch and ONNX Runtime in the last float digits; statistics may
    /// move by a tie flipped at most.</summary>
    private const double Tolerance = 1e-3;

    [Fact]
    public void Pytorch_and_onnx_runtime_detections_of_the_same_model_score_alike()
    {
        string data = SmallDataset.TempDirWith(SmallDataset.Spec(samples: 12));
        string dir = TempDir();
        Assert.True(DatasetExporter.Run(data, Path.Combine(dir, "exports"),
            [new ExportRequest(ExportFormat.Coco, new Dictionary<string, string> { ["Segmentation"] = "rle", ["Keypoints"] = "false" })]).Succeeded);
        string gt = Path.Combine(dir, "exports", "coco", "instances_train.json");
        string model = Path.Combine(dir, "frcnn.onnx"), torchDt = Path.Combine(dir, "torch-dt.json"), mixedGt = Path.Combine(dir, "mixed-gt.json");
        RunPython("torchvision_model.py", gt, data, model, torchDt, mixedGt);

        string report = Path.Combine(dir, "report.json"), onnxDt = Path.Combine(dir, "onnx-dt.json");
        var o = new StringWriter();
        var e = new StringWriter();
        int code = SynthCli.Run(["model-eval", "--model", model, "--dataset", mixedGt, "--images", data, "--out", report, "--detections", onnxDt], o, e);
        Assert.True(code == 0, e.ToString());

        var truth = CocoGroundTruth.Load(mixedGt);
        double[] torchStats = new CocoEvaluator(truth, CocoDetections.Load(torchDt, truth), IouType.Bbox).Run();
        using var doc = JsonDocument.Parse(File.ReadAllBytes(report));
        double[] onnxStats = CocoEvaluator.StatNames.Select(n => doc.RootElement.GetProperty("stats").GetProperty(n).GetDouble()).ToArray();
        for (int s = 0; s < 12; s++) Assert.True(Math.Abs(torchStats[s] - onnxStats[s]) <= Tolerance, $"{CocoEvaluator.StatNames[s]}: torch {torchStats[s]}, onnx {onnxStats[s]}");
        Assert.InRange(onnxStats[1], 0.01, 0.99); // AP50: it finds its own boxes among ~100 tied guesses per image, not the objects

        // Detection by detection: the same count, and nearly every PyTorch box found again by ONNX Runtime.
        var torch = CocoDetections.Load(torchDt, truth).Detections;
        var onnx = CocoDetections.Load(onnxDt, truth).Detections;
        Assert.Equal(torch.Count, onnx.Count);
        int found = torch.Count(t => onnx.Any(x => x.ImageId == t.ImageId && x.CategoryId == t.CategoryId && Math.Abs(x.Score - t.Score) < 1e-3
                                                   && Iou(x.Bbox!, t.Bbox!) > 0.99));
        Assert.True(found >= torch.Count * 0.98, $"{found} of {torch.Count} PyTorch detections found in the ONNX Runtime ones");

        // The dataset folder itself (its train split) gives the same detections.
        var direct = ModelEvaluation.Run(new ModelEvalOptions { ModelPath = model, Dataset = data, Split = "train" });
        Assert.Equal(onnx.Count, direct.Detections);
        File.Delete(model); // 76 MB of weights
    }

    private static double Iou(double[] a, double[] b)
    {
        double iw = Math.Min(a[0] + a[2], b[0] + b[2]) - Math.Max(a[0], b[0]);
        double ih = Math.Min(a[1] + a[3], b[1] + b[3]) - Math.Max(a[1], b[1]);
        if (iw <= 0 || ih <= 0) return 0;
        return iw * ih / (a[2] * a[3] + b[2] * b[3] - iw * ih);
    }
}
