using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SynthBuild.Core.Diagnostics;

namespace SynthBuild.Models.Onnx;

/// <summary>How the image tensor is laid out: [N,]3,H,W (torchvision, YOLO) or N,H,W,3 (TF Object Detection API).</summary>
public enum TensorLayout { Nchw, Chw, Nhwc }

/// <summary>The model's image input as the preprocessor must fill it.</summary>
/// <param name="Height">-1 when the model accepts any height (dynamic axis).</param>
/// <param name="ByteInput">uint8 pixels (0..255, no normalisation) instead of float32.</param>
public sealed record ImageInput(string Name, TensorLayout Layout, int Height, int Width, bool ByteInput)
{
    public bool DynamicSize => Height < 0 || Width < 0;
}

/// <summary>One output of a run, converted to float32 (labels and counts are small integers).</summary>
public sealed record OutputTensor(string Name, int[] Shape, float[] Data, bool IsInteger)
{
    public int Rank => Shape.Length;
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]{(IsInteger ? " int" : "")}";
}

/// <summary>
/// An ONNX detector loaded by ONNX Runtime (CPU). <see cref="Run"/> is thread-safe: one session serves all threads.
/// </summary>
public sealed class OnnxDetector : IDisposable
{
    private readonly InferenceSession _session;
    public string ModelPath { get; }
    public ImageInput Input { get; }
    /// <summary>The declared outputs: name, shape (-1 for dynamic axes) and whether the elements are integers.</summary>
    public IReadOnlyList<(string Name, int[] Shape, bool IsInteger)> Outputs { get; }

    private OnnxDetector(string path, InferenceSession session, ImageInput input, IReadOnlyList<(string, int[], bool)> outputs)
    {
        ModelPath = path;
        _session = session;
        Input = input;
        Outputs = outputs;
    }

    /// <param name="intraOpThreads">Threads ONNX Runtime uses inside one run (0: its default).</param>
    /// <exception cref="DiagnosticException">SYN8001 missing file, SYN8002 not loadable, SYN8003 unsupported input.</exception>
    public static OnnxDetector Load(string path, int intraOpThreads = 0)
    {
        if (!File.Exists(path))
            throw ModelErrors.Error(SynCodes.ModelNotFound, $"Model file not found: '{path}'.", path);
        // ONNX Runtime's own log would print its errors to stderr besides the SYN line: they reach the message instead.
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
        if (intraOpThreads > 0) options.IntraOpNumThreads = intraOpThreads;
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw ModelErrors.Error(SynCodes.ModelUnreadable, $"Not a loadable ONNX model: {FirstLine(ex.Message)}", path);
        }
        try
        {
            var input = InspectInput(path, session);
            var outputs = session.OutputMetadata.Select(kv => (kv.Key, kv.Value.Dimensions.ToArray(),
                kv.Value.IsTensor && (kv.Value.ElementType == typeof(long) || kv.Value.ElementType == typeof(int)))).ToList();
            return new OnnxDetector(path, session, input, outputs);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static ImageInput InspectInput(string path, InferenceSession session)
    {
        var inputs = session.InputMetadata;
        string list = string.Join(", ", inputs.Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.Dimensions)}] {TypeName(kv.Value.ElementType)}"));
        if (inputs.Count != 1)
            throw ModelErrors.Error(SynCodes.ModelInputUnsupported, $"The model has {inputs.Count} inputs ({list}); a detector with one image input is needed.", path);
        var (name, meta) = (inputs.First().Key, inputs.First().Value);
        bool bytes = meta.ElementType == typeof(byte);
        if (!meta.IsTensor || !(bytes || meta.ElementType == typeof(float)))
            throw ModelErrors.Error(SynCodes.ModelInputUnsupported, $"Input {list}: the image input must be a float32 or uint8 tensor.", path);
        int[] d = meta.Dimensions;
        TensorLayout layout;
        int h, w;
        if (d.Length == 4 && d[1] == 3) (layout, h, w) = (TensorLayout.Nchw, d[2], d[3]);
        else if (d.Length == 4 && d[3] == 3) (layout, h, w) = (TensorLayout.Nhwc, d[1], d[2]);
        else if (d.Length == 3 && d[0] == 3) (layout, h, w) = (TensorLayout.Chw, d[1], d[2]);
        else
            throw ModelErrors.Error(SynCodes.ModelInputUnsupported,
                $"Input {list}: expected an image tensor [N, 3, H, W], [3, H, W] or [N, H, W, 3] with 3 colour channels.", path);
        if (d.Length == 4 && d[0] > 1)
            throw ModelErrors.Error(SynCodes.ModelInputUnsupported, $"Input {list}: the batch size is fixed at {d[0]}; export the model with batch 1 or a dynamic batch.", path);
        return new ImageInput(name, layout, h, w, bytes);
    }

    /// <summary>Runs the model on one prepared image tensor (shape as <see cref="Preprocessor"/> gives it).</summary>
    /// <param name="what">The image, for the message if ONNX Runtime fails.</param>
    /// <exception cref="DiagnosticException">SYN8010 when ONNX Runtime rejects the run.</exception>
    public IReadOnlyList<OutputTensor> Run(PreparedImage image, string what)
    {
        NamedOnnxValue value = image.Bytes is not null
            ? NamedOnnxValue.CreateFromTensor(Input.Name, new DenseTensor<byte>(image.Bytes, image.TensorShape))
            : NamedOnnxValue.CreateFromTensor(Input.Name, new DenseTensor<float>(image.Floats!, image.TensorShape));
        try
        {
            using var runOptions = new RunOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
            using var results = _session.Run([value], _session.OutputNames, runOptions);
            var outputs = new List<OutputTensor>(results.Count);
            foreach (var r in results) outputs.Add(Convert(r));
            return outputs;
        }
        catch (OnnxRuntimeException ex)
        {
            throw ModelErrors.Error(SynCodes.ModelRunFailed, $"ONNX Runtime failed on {what}: {FirstLine(ex.Message)}", ModelPath);
        }
    }

    private static OutputTensor Convert(DisposableNamedOnnxValue r)
    {
        switch (r.Value)
        {
            case Tensor<float> t: return new(r.Name, Dims(t.Dimensions), t.ToArray(), false);
            case Tensor<long> t: return new(r.Name, Dims(t.Dimensions), t.ToArray().Select(v => (float)v).ToArray(), true);
            case Tensor<int> t: return new(r.Name, Dims(t.Dimensions), t.ToArray().Select(v => (float)v).ToArray(), true);
            case Tensor<double> t: return new(r.Name, Dims(t.Dimensions), t.ToArray().Select(v => (float)v).ToArray(), false);
            case Tensor<byte> t: return new(r.Name, Dims(t.Dimensions), t.ToArray().Select(v => (float)v).ToArray(), true);
            default: return new(r.Name, [], [], false); // sequences, maps, strings: no layout reads them
        }
    }

    private static string TypeName(Type t) =>
        t == typeof(float) ? "float32" : t == typeof(byte) ? "uint8" : t == typeof(long) ? "int64" : t == typeof(int) ? "int32"
        : t == typeof(double) ? "float64" : t == typeof(Float16) ? "float16" : t.Name;

    private static int[] Dims(ReadOnlySpan<int> d) => d.ToArray();

    private static string FirstLine(string s)
    {
        int i = s.IndexOf('\n');
        return (i < 0 ? s : s[..i]).Trim();
    }

    public void Dispose() => _session.Dispose();
}
