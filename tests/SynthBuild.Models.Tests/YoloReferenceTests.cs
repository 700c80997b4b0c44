using System.Text.Json;
using SynthBuild.Models.Onnx;
using static SynthBuild.Models.Tests.ModelFixtures;

namespace SynthBuild.Models.Tests;

/// <summary>YOLOv8-layout decoding and class-wise NMS against a reference written in the test with
/// torchvision.ops.batched_nms (the call Ultralytics makes), on 400 seeded, clustered candidates.</summary>
public class YoloReferenceTests
{
    [Theory]
    [InlineData(0.5, 0.5)]
    [InlineData(0.25, 0.7)]
    public void Decoded_detections_equal_torchvision_batched_nms(double scoreThreshold, double nmsIou)
    {
        string dir = TempDir();
        string gt = CocoSet(dir, [(96, 64)], [(1, "a"), (2, "b"), (3, "c")], [(0, 1, [10, 10, 20, 20])]);
        string model = Path.Combine(dir, "yolo.onnx"), reference = Path.Combine(dir, "reference.json");
        RunPython("yolo_reference.py", model, reference,
            scoreThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture), nmsIou.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var result = ModelEvaluation.Run(new ModelEvalOptions
        {
            ModelPath = model, Dataset = gt, Layout = DetectionLayout.Yolo,
            Decode = new DecodeOptions { ScoreThreshold = (float)scoreThreshold, NmsIou = (float)nmsIou },
        });

        using var expectedDoc = JsonDocument.Parse(File.ReadAllBytes(reference));
        using var actualDoc = JsonDocument.Parse(result.DetectionsJson);
        var expected = expectedDoc.RootElement.EnumerateArray().ToList();
        var actual = actualDoc.RootElement.EnumerateArray().ToList();
        Assert.InRange(expected.Count, 50, 100);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].GetProperty("class").GetInt32() + 1, actual[i].GetProperty("category_id").GetInt32());
            Assert.Equal(expected[i].GetProperty("score").GetDouble(), actual[i].GetProperty("score").GetDouble(), 1e-7);
            var eb = expected[i].GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var ab = actual[i].GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int k = 0; k < 4; k++) Assert.Equal(eb[k], ab[k], 1e-4); // float32 (PyTorch) vs float64 corner arithmetic
        }
    }
}
