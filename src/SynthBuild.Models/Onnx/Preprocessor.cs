using System.Globalization;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Models.Onnx;

/// <summary>How an image is brought to the model's input size.</summary>
public enum ResizeMode
{
    /// <summary>Fed at its own size (models with a dynamic input, e.g. torchvision detectors that resize inside).</summary>
    None,
    /// <summary>Scaled to the input size on each axis independently.</summary>
    Stretch,
    /// <summary>Scaled keeping the aspect ratio and padded (centred) with <see cref="PreprocessOptions.PadValue"/>, as Ultralytics does.</summary>
    Letterbox,
}

public enum ChannelOrder { Rgb, Bgr }

/// <summary>Input normalisation: value = (pixel × Scale − Mean[c]) / Std[c], channel c in <see cref="Order"/>.</summary>
public sealed record PreprocessOptions
{
    /// <summary>Null: letterbox for YOLO (trained so); for other layouts none when the input is dynamic and no
    /// <see cref="InputSize"/> is given (torchvision detectors resize inside the graph), else stretch.</summary>
    public ResizeMode? Resize { get; init; }
    /// <summary>Input width and height when the model's are dynamic; must agree with fixed ones.</summary>
    public (int Width, int Height)? InputSize { get; init; }
    public float Scale { get; init; } = 1f / 255f;
    public float[] Mean { get; init; } = [0, 0, 0];
    public float[] Std { get; init; } = [1, 1, 1];
    public ChannelOrder Order { get; init; } = ChannelOrder.Rgb;
    /// <summary>Letterbox padding, as a pixel value (0..255) before normalisation.</summary>
    public byte PadValue { get; init; } = 114;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"resize={Resize?.ToString().ToLowerInvariant() ?? "auto"} scale={Scale:R} mean={string.Join(',', Mean)} std={string.Join(',', Std)} order={Order.ToString().ToLowerInvariant()}");
}

/// <summary>Maps a box in model-input pixels back to the original image: x = (x' − PadX) / ScaleX.</summary>
public sealed record BoxTransform(double ScaleX, double ScaleY, double PadX, double PadY, int InputWidth, int InputHeight, int ImageWidth, int ImageHeight)
{
    /// <summary>[x1, y1, x2, y2] in input pixels → [x, y, w, h] in image pixels, clipped to the image.</summary>
    public double[] ToImageXywh(double x1, double y1, double x2, double y2)
    {
        double ax = Math.Clamp((x1 - PadX) / ScaleX, 0, ImageWidth), bx = Math.Clamp((x2 - PadX) / ScaleX, 0, ImageWidth);
        double ay = Math.Clamp((y1 - PadY) / ScaleY, 0, ImageHeight), by = Math.Clamp((y2 - PadY) / ScaleY, 0, ImageHeight);
        return [ax, ay, Math.Max(0, bx - ax), Math.Max(0, by - ay)];
    }
}

/// <summary>A model-ready tensor (float32 or uint8) and the transform back to the image.</summary>
public sealed record PreparedImage(float[]? Floats, byte[]? Bytes, int[] TensorShape, BoxTransform Transform);

/// <summary>Turns 8-bit RGB images into the detector's input tensor.</summary>
public sealed class Preprocessor
{
    private readonly ImageInput _input;
    private readonly PreprocessOptions _options;
    private readonly float[] _mul = new float[3], _add = new float[3];

    /// <exception cref="DiagnosticException">SYN8005 when the size is dynamic and not given, or contradicts the model;
    /// SYN8011 for a zero std or a mean/std without 3 values.</exception>
    public Preprocessor(ImageInput input, PreprocessOptions options, DetectionLayout layout, string modelPath)
    {
        _input = input;
        options = options with
        {
            Resize = options.Resize ?? (layout == DetectionLayout.Yolo ? ResizeMode.Letterbox
                : input.DynamicSize && options.InputSize is null ? ResizeMode.None : ResizeMode.Stretch),
        };
        _options = options;
        if (options.Mean.Length != 3 || options.Std.Length != 3 || options.Std.Any(s => s == 0 || !float.IsFinite(s)))
            throw ModelErrors.Error(SynCodes.ModelEvalOptionInvalid, "--mean and --std need three numbers each, and std may not be 0.");
        for (int c = 0; c < 3; c++)
        {
            _mul[c] = options.Scale / options.Std[c];
            _add[c] = -options.Mean[c] / options.Std[c];
        }
        if (options.InputSize is (int w, int h) && !input.DynamicSize && (w != input.Width || h != input.Height))
            throw ModelErrors.Error(SynCodes.ModelInputSizeUnknown,
                $"--input-size {w}x{h} contradicts the model's input '{input.Name}', fixed at {input.Width}x{input.Height}.", modelPath);
        if (input.DynamicSize && options.InputSize is null && options.Resize != ResizeMode.None)
            throw ModelErrors.Error(SynCodes.ModelInputSizeUnknown,
                $"The model's input '{input.Name}' has a dynamic size; give --input-size WxH (or --resize none to feed images at their own size).", modelPath);
        if (!input.DynamicSize && options.Resize == ResizeMode.None)
            _options = options with { Resize = ResizeMode.Stretch }; // a fixed input takes what fits it; images of that size pass unchanged
    }

    /// <summary>The options as applied (the resize mode resolved).</summary>
    public PreprocessOptions Options => _options;

    /// <summary>The input size an image of <paramref name="w"/>×<paramref name="h"/> is fed at.</summary>
    public (int Width, int Height) TargetSize(int w, int h) =>
        _options.Resize == ResizeMode.None ? (w, h)
        : !_input.DynamicSize ? (_input.Width, _input.Height)
        : _options.InputSize!.Value;

    /// <param name="rgb">8-bit RGB, row-major, <paramref name="w"/>×<paramref name="h"/>.</param>
    public PreparedImage Prepare(byte[] rgb, int w, int h)
    {
        var (tw, th) = TargetSize(w, h);
        double sx, sy, px = 0, py = 0;
        int nw, nh;
        if (_options.Resize == ResizeMode.Letterbox)
        {
            double r = Math.Min((double)tw / w, (double)th / h);
            nw = Math.Max(1, (int)Math.Round(w * r));
            nh = Math.Max(1, (int)Math.Round(h * r));
            px = (tw - nw) / 2;
            py = (th - nh) / 2;
        }
        else (nw, nh) = (tw, th);
        sx = (double)nw / w;
        sy = (double)nh / h;

        // The resized image, placed on a canvas of the pad colour.
        var canvas = new byte[tw * th * 3];
        if (nw != tw || nh != th) Array.Fill(canvas, _options.PadValue);
        if (nw == w && nh == h) Blit(rgb, w, h, canvas, tw, (int)px, (int)py);
        else ResizeBilinear(rgb, w, h, canvas, tw, nw, nh, (int)px, (int)py);

        var transform = new BoxTransform(sx, sy, px, py, tw, th, w, h);
        int[] shape = _input.Layout switch
        {
            TensorLayout.Nchw => [1, 3, th, tw],
            TensorLayout.Chw => [3, th, tw],
            _ => [1, th, tw, 3],
        };
        int plane = tw * th;
        if (_input.ByteInput)
        {
            var bytes = new byte[plane * 3];
            for (int i = 0; i < plane; i++)
                for (int c = 0; c < 3; c++)
                {
                    byte v = canvas[i * 3 + Source(c)];
                    if (_input.Layout == TensorLayout.Nhwc) bytes[i * 3 + c] = v; else bytes[c * plane + i] = v;
                }
            return new PreparedImage(null, bytes, shape, transform);
        }
        var floats = new float[plane * 3];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
            {
                float v = canvas[i * 3 + Source(c)] * _mul[c] + _add[c];
                if (_input.Layout == TensorLayout.Nhwc) floats[i * 3 + c] = v; else floats[c * plane + i] = v;
            }
        return new PreparedImage(floats, null, shape, transform);
    }

    private int Source(int c) => _options.Order == ChannelOrder.Bgr ? 2 - c : c;

    private static void Blit(byte[] src, int w, int h, byte[] dst, int dw, int ox, int oy)
    {
        for (int y = 0; y < h; y++)
            Buffer.BlockCopy(src, y * w * 3, dst, ((oy + y) * dw + ox) * 3, w * 3);
    }

    /// <summary>Bilinear with half-pixel centres (cv2.INTER_LINEAR for upscaling; no antialiasing on downscaling).</summary>
    private static void ResizeBilinear(byte[] src, int w, int h, byte[] dst, int dw, int nw, int nh, int ox, int oy)
    {
        double fx = (double)w / nw, fy = (double)h / nh;
        for (int y = 0; y < nh; y++)
        {
            double sy = Math.Clamp((y + 0.5) * fy - 0.5, 0, h - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, h - 1);
            double wy = sy - y0;
            for (int x = 0; x < nw; x++)
            {
                double sx = Math.Clamp((x + 0.5) * fx - 0.5, 0, w - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, w - 1);
                double wx = sx - x0;
                int o = ((oy + y) * dw + ox + x) * 3;
                for (int c = 0; c < 3; c++)
                {
                    double top = src[(y0 * w + x0) * 3 + c] * (1 - wx) + src[(y0 * w + x1) * 3 + c] * wx;
                    double bottom = src[(y1 * w + x0) * 3 + c] * (1 - wx) + src[(y1 * w + x1) * 3 + c] * wx;
                    dst[o + c] = (byte)Math.Clamp(Math.Round(top * (1 - wy) + bottom * wy), 0, 255);
                }
            }
        }
    }
}
