using System.Globalization;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Models.Onnx;

namespace SynthBuild.Models;

/// <summary>
/// Model evaluation settings read from text: `synth model-eval` options and SynthModel item metadata parse through
/// here, so both accept the same values and say the same thing (SYN8011) about a bad one. <c>name</c> is what the
/// user wrote (e.g. "--layout" or "Layout on SynthModel 'det.onnx'").
/// </summary>
public static class ModelEvalSettings
{
    public static DetectionLayout Layout(string s, string name) => s.ToLowerInvariant() switch
    {
        "torchvision" => DetectionLayout.Torchvision,
        "yolo" => DetectionLayout.Yolo,
        "tfod" => DetectionLayout.Tfod,
        _ => throw Bad($"{name} must be torchvision, yolo or tfod, found '{s}'."),
    };

    public static ResizeMode Resize(string s, string name) => s.ToLowerInvariant() switch
    {
        "none" => ResizeMode.None,
        "stretch" => ResizeMode.Stretch,
        "letterbox" => ResizeMode.Letterbox,
        _ => throw Bad($"{name} must be none, stretch or letterbox, found '{s}'."),
    };

    public static (int Width, int Height) InputSize(string s, string name)
    {
        var parts = s.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h) && w > 0 && h > 0 && w <= 16384 && h <= 16384)
            return (w, h);
        throw Bad($"{name} must be WxH with positive integers (e.g. 640x640), found '{s}'.");
    }

    public static float Number(string s, string name, float min, float max)
    {
        if (float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v) && v >= min && v <= max) return v;
        throw Bad($"{name} must be a number{(max <= 1 ? " in [0, 1]" : " of at least 0")}, found '{s}'.");
    }

    public static float[] Three(string s, string name)
    {
        var parts = s.Split(',');
        var v = new float[3];
        if (parts.Length == 3 && parts.Select((x, i) => float.TryParse(x.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) && float.IsFinite(v[i])).All(ok => ok))
            return v;
        throw Bad($"{name} needs three numbers R,G,B, found '{s}'.");
    }

    public static string Split(string s, string name) => s is "train" or "val" or "test"
        ? s
        : throw Bad($"{name} must be train, val or test, found '{s}'.");

    private static DiagnosticException Bad(string message) => ModelErrors.Error(SynCodes.ModelEvalOptionInvalid, message);
}
