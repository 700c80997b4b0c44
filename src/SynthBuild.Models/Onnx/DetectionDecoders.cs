using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Models.Onnx;

/// <summary>The output conventions of exported detectors.</summary>
public enum DetectionLayout
{
    /// <summary>torchvision detection models: boxes [N, 4] (x1, y1, x2, y2 in input pixels), labels [N] int64, scores [N].</summary>
    Torchvision,
    /// <summary>YOLO: one tensor [1, 4+C, N] (v8/YOLO11: cx, cy, w, h, class scores) or [1, N, 5+C] (v5: cx, cy, w, h,
    /// objectness, class probabilities), in input pixels; decoded with a score threshold and class-wise NMS.</summary>
    Yolo,
    /// <summary>TF Object Detection API: detection_boxes [1, N, 4] normalised (ymin, xmin, ymax, xmax), detection_classes
    /// [1, N], detection_scores [1, N], num_detections [1].</summary>
    Tfod,
}

/// <summary>A decoded detection: the model's class, its score and the box in original image pixels [x, y, w, h].</summary>
public readonly record struct Detection(int ModelClass, float Score, double[] Bbox);

public sealed record DecodeOptions
{
    /// <summary>Detections scoring below this are dropped (COCO evaluation wants a low one: 0.001 as Ultralytics' val).</summary>
    public float ScoreThreshold { get; init; } = 0.001f;
    /// <summary>YOLO class-wise NMS IoU (Ultralytics' val uses 0.7).</summary>
    public float NmsIou { get; init; } = 0.7f;
    /// <summary>Kept per image after decoding, best first (COCO evaluates 100).</summary>
    public int MaxDetections { get; init; } = 100;
}

/// <summary>Output decoders: raw output tensors → detections in image coordinates, best score first.</summary>
public static class DetectionDecoders
{
    public static List<Detection> Decode(DetectionLayout layout, IReadOnlyList<OutputTensor> outputs, BoxTransform t, DecodeOptions o, string modelPath)
    {
        var dets = layout switch
        {
            DetectionLayout.Torchvision => Torchvision(outputs, t, o, modelPath),
            DetectionLayout.Yolo => Yolo(outputs, t, o, modelPath),
            _ => Tfod(outputs, t, o, modelPath),
        };
        // Stable: equal scores keep the model's order.
        var sorted = dets.Select((d, i) => (d, i)).OrderByDescending(p => p.d.Score).ThenBy(p => p.i).Select(p => p.d);
        return sorted.Take(o.MaxDetections).ToList();
    }

    /// <summary>Checks that the declared outputs fit the layout before any image runs (SYN8004 otherwise).</summary>
    public static void CheckDeclared(DetectionLayout layout, IReadOnlyList<(string Name, int[] Shape, bool IsInteger)> outputs, string modelPath)
    {
        var declared = outputs.Select(o => new OutputTensor(o.Name, o.Shape, [], o.IsInteger)).ToList();
        switch (layout)
        {
            case DetectionLayout.Torchvision: FindTorchvision(declared, modelPath, declared: true); break;
            case DetectionLayout.Yolo: FindYolo(declared, modelPath); break;
            default: FindTfod(declared, modelPath); break;
        }
    }

    private static DiagnosticException NoMatch(DetectionLayout layout, IReadOnlyList<OutputTensor> outputs, string modelPath, string why) =>
        ModelErrors.Error(SynCodes.ModelOutputsMatchNoLayout,
            $"The model's outputs ({string.Join("; ", outputs.Select(o => $"{o.Name} [{string.Join(", ", o.Shape)}]"))}) do not match --layout {layout.ToString().ToLowerInvariant()}: {why}", modelPath);

    // ---- torchvision -------------------------------------------------------------------------------------------

    private static (OutputTensor Boxes, OutputTensor Labels, OutputTensor Scores) FindTorchvision(IReadOnlyList<OutputTensor> outs, string modelPath, bool declared = false)
    {
        OutputTensor? Named(string part) => outs.FirstOrDefault(o => o.Name.Contains(part, StringComparison.OrdinalIgnoreCase));
        var boxes = Named("box");
        var labels = Named("label");
        var scores = Named("score");
        // Exports without output_names have numeric names: tell them apart by shape and type.
        boxes ??= outs.FirstOrDefault(o => o.Rank == 2 && o.Shape[1] == 4);
        labels ??= outs.FirstOrDefault(o => o.Rank == 1 && o.IsInteger);
        scores ??= outs.FirstOrDefault(o => o.Rank == 1 && !o.IsInteger && !ReferenceEquals(o, labels));
        if (boxes is null || labels is null || scores is null || boxes.Rank != 2 || boxes.Shape[1] != 4 || labels.Rank != 1 || scores.Rank != 1)
            throw NoMatch(DetectionLayout.Torchvision, outs, modelPath, "expected boxes [N, 4], labels [N] and scores [N]");
        if (!declared && (labels.Shape[0] != boxes.Shape[0] || scores.Shape[0] != boxes.Shape[0]))
            throw NoMatch(DetectionLayout.Torchvision, outs, modelPath, "boxes, labels and scores have different lengths");
        return (boxes, labels, scores);
    }

    private static List<Detection> Torchvision(IReadOnlyList<OutputTensor> outs, BoxTransform t, DecodeOptions o, string modelPath)
    {
        var (boxes, labels, scores) = FindTorchvision(outs, modelPath);
        var dets = new List<Detection>();
        for (int i = 0; i < scores.Shape[0]; i++)
        {
            float s = scores.Data[i];
            if (!(s >= o.ScoreThreshold)) continue;
            var b = boxes.Data.AsSpan(i * 4, 4);
            dets.Add(new Detection((int)labels.Data[i], s, t.ToImageXywh(b[0], b[1], b[2], b[3])));
        }
        return dets;
    }

    // ---- YOLO --------------------------------------------------------------------------------------------------

    /// <summary>The one YOLO output and whether it is channels-first ([1, 4+C, N], v8) or rows ([1, N, 5+C], v5).
    /// A tensor is channels-first when its second axis is the shorter one (N anchors outnumber 4+C channels), unless
    /// one axis is too short to hold a box.</summary>
    private static (OutputTensor Output, bool ChannelsFirst) FindYolo(IReadOnlyList<OutputTensor> outs, string modelPath)
    {
        var candidates = outs.Where(x => x.Rank == 3).ToList();
        if (candidates.Count == 0 && outs.Count > 0)
            throw NoMatch(DetectionLayout.Yolo, outs, modelPath, "expected one tensor [1, 4+C, N] or [1, N, 5+C]");
        var y = candidates.Count > 0 ? candidates[0] : throw NoMatch(DetectionLayout.Yolo, outs, modelPath, "the model has no outputs");
        int a = y.Shape[1], b = y.Shape[2];
        // Known sizes: an axis too short to hold a box is the anchors' (few candidates), else the longer one is;
        // a dynamic axis is the anchors'.
        bool channelsFirst = a > 0 && b > 0 ? (a < 5 ? false : b < 6 || a < b) : a > 0;
        int channels = channelsFirst ? a : b;
        if (channels > 0 && channels < (channelsFirst ? 5 : 6))
            throw NoMatch(DetectionLayout.Yolo, outs, modelPath, $"a YOLO tensor needs at least {(channelsFirst ? "4+1" : "5+1")} values per box, found {channels}");
        return (y, channelsFirst);
    }

    private static List<Detection> Yolo(IReadOnlyList<OutputTensor> outs, BoxTransform t, DecodeOptions o, string modelPath)
    {
        var (y, channelsFirst) = FindYolo(outs, modelPath);
        int n = channelsFirst ? y.Shape[2] : y.Shape[1];
        int ch = channelsFirst ? y.Shape[1] : y.Shape[2];
        int classes = channelsFirst ? ch - 4 : ch - 5;
        float[] d = y.Data;
        float At(int box, int c) => channelsFirst ? d[c * n + box] : d[box * ch + c];

        var candidates = new List<(int Class, float Score, double X1, double Y1, double X2, double Y2)>();
        for (int i = 0; i < n; i++)
        {
            float obj = channelsFirst ? 1f : At(i, 4);
            int first = channelsFirst ? 4 : 5;
            int best = 0;
            float bestScore = float.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                float s = At(i, first + c);
                if (s > bestScore) { bestScore = s; best = c; }
            }
            float score = obj * bestScore;
            if (!(score >= o.ScoreThreshold)) continue;
            double cx = At(i, 0), cy = At(i, 1), w = At(i, 2), h = At(i, 3);
            candidates.Add((best, score, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2));
        }
        var dets = new List<Detection>();
        foreach (var k in Nms.ClassWise(candidates.Select(c => (c.Class, c.Score, new[] { c.X1, c.Y1, c.X2, c.Y2 })).ToList(), o.NmsIou))
        {
            var c = candidates[k];
            dets.Add(new Detection(c.Class, c.Score, t.ToImageXywh(c.X1, c.Y1, c.X2, c.Y2)));
        }
        return dets;
    }

    // ---- TF Object Detection API -------------------------------------------------------------------------------

    private static (OutputTensor Boxes, OutputTensor Classes, OutputTensor Scores, OutputTensor? Num) FindTfod(IReadOnlyList<OutputTensor> outs, string modelPath)
    {
        OutputTensor? Named(string name) => outs.FirstOrDefault(o => o.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                                            ?? outs.FirstOrDefault(o => o.Name.Contains(name, StringComparison.OrdinalIgnoreCase));
        var boxes = Named("detection_boxes");
        var classes = Named("detection_classes");
        var scores = Named("detection_scores");
        var num = Named("num_detections");
        if (boxes is null || classes is null || scores is null)
            throw NoMatch(DetectionLayout.Tfod, outs, modelPath, "expected detection_boxes, detection_classes, detection_scores (and num_detections)");
        if (boxes.Rank != 3 || boxes.Shape[2] != 4 || classes.Rank != 2 || scores.Rank != 2)
            throw NoMatch(DetectionLayout.Tfod, outs, modelPath, "expected detection_boxes [1, N, 4], detection_classes [1, N], detection_scores [1, N]");
        return (boxes, classes, scores, num);
    }

    private static List<Detection> Tfod(IReadOnlyList<OutputTensor> outs, BoxTransform t, DecodeOptions o, string modelPath)
    {
        var (boxes, classes, scores, num) = FindTfod(outs, modelPath);
        int n = scores.Shape[1];
        if (num is { Data.Length: > 0 }) n = Math.Min(n, (int)num.Data[0]);
        var dets = new List<Detection>();
        for (int i = 0; i < n; i++)
        {
            float s = scores.Data[i];
            if (!(s >= o.ScoreThreshold)) continue;
            var b = boxes.Data.AsSpan(i * 4, 4); // ymin, xmin, ymax, xmax, normalised to the input tensor
            dets.Add(new Detection((int)classes.Data[i], s,
                t.ToImageXywh((double)b[1] * t.InputWidth, (double)b[0] * t.InputHeight, (double)b[3] * t.InputWidth, (double)b[2] * t.InputHeight)));
        }
        return dets;
    }
}

/// <summary>Greedy non-maximum suppression (torchvision.ops.batched_nms semantics).</summary>
public static class Nms
{
    /// <summary>Indices of the kept boxes, best score first; boxes only suppress boxes of their own class.</summary>
    /// <param name="boxes">(class, score, [x1, y1, x2, y2]).</param>
    public static List<int> ClassWise(IReadOnlyList<(int Class, float Score, double[] Box)> boxes, double iouThreshold)
    {
        var order = Enumerable.Range(0, boxes.Count).OrderByDescending(i => boxes[i].Score).ThenBy(i => i).ToArray();
        var suppressed = new bool[boxes.Count];
        var keep = new List<int>();
        for (int a = 0; a < order.Length; a++)
        {
            int i = order[a];
            if (suppressed[i]) continue;
            keep.Add(i);
            for (int b = a + 1; b < order.Length; b++)
            {
                int j = order[b];
                if (!suppressed[j] && boxes[j].Class == boxes[i].Class && Iou(boxes[i].Box, boxes[j].Box) > iouThreshold) suppressed[j] = true;
            }
        }
        return keep;
    }

    /// <summary>IoU of two [x1, y1, x2, y2] boxes.</summary>
    public static double Iou(double[] a, double[] b)
    {
        double iw = Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]);
        double ih = Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]);
        if (iw <= 0 || ih <= 0) return 0;
        double inter = iw * ih;
        double union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
