using SynthBuild.Core.Diagnostics;
using SynthBuild.Models.Onnx;

namespace SynthBuild.Models.Tests;

/// <summary>Decoders on hand-made tensors whose boxes are known.</summary>
public class DetectionDecoderTests
{
    private static readonly BoxTransform Identity = new(1, 1, 0, 0, 100, 100, 100, 100);
    private static readonly DecodeOptions Defaults = new();

    private static OutputTensor T(string name, int[] shape, float[] data, bool integer = false) => new(name, shape, data, integer);

    [Fact]
    public void Torchvision_boxes_become_xywh_scaled_back_and_sorted_by_score()
    {
        // Input 50x50 stretched from a 100x200 image: x scale 0.5, y scale 0.25.
        var t = new BoxTransform(0.5, 0.25, 0, 0, 50, 50, 100, 200);
        var dets = DetectionDecoders.Decode(DetectionLayout.Torchvision,
        [
            T("boxes", [3, 4], [10, 10, 20, 30, 0, 0, 50, 50, 1, 1, 2, 2]),
            T("labels", [3], [4, 7, 1], integer: true),
            T("scores", [3], [0.5f, 0.9f, 0.0001f]),
        ], t, Defaults, "m.onnx");
        Assert.Equal(2, dets.Count); // the third is below 0.001
        Assert.Equal((7, 0.9f), (dets[0].ModelClass, dets[0].Score));
        Assert.Equal(new double[] { 0, 0, 100, 200 }, dets[0].Bbox);
        Assert.Equal(4, dets[1].ModelClass);
        Assert.Equal(new double[] { 20, 40, 20, 80 }, dets[1].Bbox);
    }

    [Fact]
    public void Torchvision_outputs_without_names_are_told_apart_by_shape_and_type()
    {
        var dets = DetectionDecoders.Decode(DetectionLayout.Torchvision,
        [
            T("3021", [1], [0.8f]),
            T("3020", [1], [2], integer: true),
            T("3019", [1, 4], [5, 5, 15, 25]),
        ], Identity, Defaults, "m.onnx");
        Assert.Equal(new Detection(2, 0.8f, [5, 5, 10, 20]).ToString(), dets.Single().ToString());
        Assert.Equal(new double[] { 5, 5, 10, 20 }, dets.Single().Bbox);
    }

    /// <summary>The same candidates as a v8 tensor [1, 4+C, N] and as a v5 tensor [1, N, 5+C] with objectness 1.</summary>
    [Fact]
    public void Yolo_v8_and_v5_layouts_decode_the_same_candidates_alike()
    {
        float[][] rows = // cx, cy, w, h, class scores (3 classes)
        [
            [50, 50, 20, 20, 0.9f, 0.1f, 0.0f],
            [52, 50, 20, 20, 0.8f, 0.0f, 0.0f],   // IoU 0.82 with the first, same class: suppressed at 0.7
            [52, 50, 20, 20, 0.0f, 0.0f, 0.6f],   // same place, class 2: kept
            [10, 10, 4, 4, 0.0f, 0.3f, 0.0f],
            [80, 80, 10, 10, 0.0f, 0.0f, 0.0f],
            [20, 80, 10, 10, 0.0f, 0.0f, 0.0f],
            [30, 80, 10, 10, 0.0f, 0.0f, 0.0f],
            [40, 80, 10, 10, 0.0f, 0.0f, 0.0f],
        ];
        int n = rows.Length;
        var v8 = new float[7 * n];
        var v5 = new float[8 * n];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 7; c++) v8[c * n + i] = rows[i][c];
            for (int c = 0; c < 4; c++) v5[i * 8 + c] = rows[i][c];
            v5[i * 8 + 4] = 1;
            for (int c = 0; c < 3; c++) v5[i * 8 + 5 + c] = rows[i][4 + c];
        }
        var a = DetectionDecoders.Decode(DetectionLayout.Yolo, [T("output0", [1, 7, n], v8)], Identity, Defaults, "m.onnx");
        var b = DetectionDecoders.Decode(DetectionLayout.Yolo, [T("output0", [1, n, 8], v5)], Identity, Defaults, "m.onnx");
        Assert.Equal([(0, 0.9f), (2, 0.6f), (1, 0.3f)], a.Select(d => (d.ModelClass, d.Score)));
        Assert.Equal(new double[] { 40, 40, 20, 20 }, a[0].Bbox);
        Assert.Equal(new double[] { 42, 40, 20, 20 }, a[1].Bbox);
        Assert.Equal(new double[] { 8, 8, 4, 4 }, a[2].Bbox);
        Assert.Equal(a.Select(d => (d.ModelClass, d.Score, string.Join(",", d.Bbox))), b.Select(d => (d.ModelClass, d.Score, string.Join(",", d.Bbox))));
    }

    [Fact]
    public void Yolo_v5_score_is_objectness_times_class_probability()
    {
        float[] v5 = [50, 50, 10, 10, 0.5f, 0.2f, 0.8f, /**/ 20, 20, 10, 10, 0.001f, 0.9f, 0.0f];
        var d = DetectionDecoders.Decode(DetectionLayout.Yolo, [T("output", [1, 2, 7], v5)], Identity, new DecodeOptions { ScoreThreshold = 0.01f }, "m.onnx");
        Assert.Equal((1, 0.4f), (d.Single().ModelClass, d.Single().Score));
    }

    [Fact]
    public void Nms_suppresses_only_within_a_class_and_keeps_the_best()
    {
        var keep = Nms.ClassWise(
        [
            (0, 0.5f, [0, 0, 10, 10]), (0, 0.9f, [1, 0, 11, 10]), (1, 0.7f, [0, 0, 10, 10]), (0, 0.4f, [50, 50, 60, 60]),
        ], 0.5);
        Assert.Equal([1, 2, 3], keep);
        Assert.Equal(90.0 / 110.0, Nms.Iou([0, 0, 10, 10], [1, 0, 11, 10]), 12);
    }

    [Fact]
    public void Tfod_reads_normalised_yx_boxes_up_to_num_detections()
    {
        var t = new BoxTransform(1, 1, 0, 0, 200, 100, 200, 100);
        var dets = DetectionDecoders.Decode(DetectionLayout.Tfod,
        [
            T("detection_boxes", [1, 2, 4], [0.1f, 0.25f, 0.5f, 0.75f, 0, 0, 1, 1]),
            T("detection_classes", [1, 2], [3, 1]),
            T("detection_scores", [1, 2], [0.7f, 0.99f]),
            T("num_detections", [1], [1]),
        ], t, Defaults, "m.onnx");
        var d = Assert.Single(dets);
        Assert.Equal(3, d.ModelClass);
        Assert.Equal(50, d.Bbox[0], 4);
        Assert.Equal(10, d.Bbox[1], 4);
        Assert.Equal(100, d.Bbox[2], 4);
        Assert.Equal(40, d.Bbox[3], 4);
    }

    [Theory]
    [InlineData(DetectionLayout.Yolo)]
    [InlineData(DetectionLayout.Tfod)]
    public void Outputs_of_another_layout_are_SYN8004_listing_the_outputs(DetectionLayout layout)
    {
        var ex = Assert.Throws<DiagnosticException>(() => DetectionDecoders.CheckDeclared(layout,
            [("boxes", [-1, 4], false), ("labels", [-1], true), ("scores", [-1], false)], "m.onnx"));
        Assert.Equal(SynCodes.ModelOutputsMatchNoLayout, ex.Diagnostic.Code);
        Assert.Equal("m.onnx", ex.Diagnostic.File);
        Assert.Contains("boxes [-1, 4]", ex.Diagnostic.Message);
    }

    [Fact]
    public void Letterbox_preprocessing_pads_centred_and_normalises()
    {
        var input = new ImageInput("images", TensorLayout.Nchw, 4, 4, false);
        var pre = new Preprocessor(input, new PreprocessOptions { Mean = [0.5f, 0, 0], Std = [0.5f, 1, 1] }, DetectionLayout.Yolo, "m.onnx");
        // A 4x2 image of one colour (R 255, G 0, B 51) → 4x4 input with one padded row above and below.
        var rgb = Enumerable.Repeat(new byte[] { 255, 0, 51 }, 8).SelectMany(p => p).ToArray();
        var p = pre.Prepare(rgb, 4, 2);
        Assert.Equal([1, 3, 4, 4], p.TensorShape);
        Assert.Equal((1.0, 0.0, 1.0), (p.Transform.ScaleX, p.Transform.PadX, p.Transform.PadY));
        float[] f = p.Floats!;
        Assert.Equal((114 / 255f - 0.5f) / 0.5f, f[0], 5);      // R, padded row 0
        Assert.Equal(1f, f[4], 5);                               // R, row 1: (1 - 0.5) / 0.5
        Assert.Equal(0f, f[16 + 4], 5);                          // G, row 1
        Assert.Equal(0.2f, f[32 + 4], 5);                        // B, row 1
        Assert.Equal(114 / 255f, f[32 + 12], 5);                 // B, padded row 3

        var bgr = new Preprocessor(input, new PreprocessOptions { Order = ChannelOrder.Bgr, Resize = ResizeMode.Stretch }, DetectionLayout.Yolo, "m.onnx").Prepare(rgb, 4, 2);
        Assert.Equal(0.2f, bgr.Floats![4], 5);                   // channel 0 is blue
    }
}
