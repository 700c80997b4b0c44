using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;

namespace SynthBuild.Models;

/// <summary>One declared model (a SynthModel item): what to run, on which split, and the real set to compare with.</summary>
public sealed record ModelEvalJob(string Name, ModelEvalOptions Options, string? RealGroundTruth, string? RealImages, double MaxGap);

/// <summary>What the stage did for one model. <see cref="Gap"/> is null without a real set.</summary>
public sealed record ModelEvalOutcome(
    ModelEvalJob Job, bool UpToDate, double[] SyntheticStats, double[]? RealStats, string ReportFile, string? SimToRealFile,
    double Seconds, double ImagesPerSecond)
{
    public double? Gap => RealStats is null ? null : SyntheticStats[0] - RealStats[0];
    public bool Passed => Gap is not double g || g <= Job.MaxGap;

    /// <summary>SYN7010 when the gap exceeds the job's maximum, in the words `synth sim2real` uses.</summary>
    public Diagnostic? GateDiagnostic(string? file) => RealStats is null
        ? null
        : new SimToRealReport(IouType.Bbox, SyntheticStats, RealStats, [], [], Job.MaxGap).GateDiagnostic(file ?? Job.Options.ModelPath)?.ToDiagnostic();
}

/// <summary>
/// The build's model stage (docs/models.md): each declared ONNX model is evaluated on the dataset's split and, with a
/// real set, on it too, writing reports/models/NAME.json (+ .detections.json, and .real.json, .real.detections.json,
/// .sim2real.json). Incremental: keyed on the dataset digest, the model's bytes, the settings and the real set's
/// files, so an unchanged build does not run the model again.
/// </summary>
public static class ModelEvalStage
{
    public const string ReportsFolder = "models";
    /// <summary>Bump when the stage's outputs change for the same inputs.</summary>
    private const string StageVersion = "model-eval-1";

    public static ModelEvalOutcome Run(string datasetDirectory, ModelEvalJob job)
    {
        string folder = Path.Combine(datasetDirectory, DatasetLayout.ReportsDir, ReportsFolder);
        string Out(string suffix) => Path.Combine(folder, job.Name + suffix);
        string report = Out(".json"), keyFile = Out(".key.json");
        string? simToReal = job.RealGroundTruth is null ? null : Out(".sim2real.json");

        CheckFiles(job);
        string key = Key(datasetDirectory, job);
        if (Stored(keyFile, key) is { } stored && File.Exists(report) && (simToReal is null || File.Exists(simToReal)))
            return new ModelEvalOutcome(job, true, stored.Synthetic, stored.Real, report, simToReal, 0, 0);

        var options = job.Options with { Dataset = datasetDirectory };
        ModelEvalResult synthetic;
        double[]? realStats = null;
        var files = new List<(string Path, byte[] Bytes)>();
        if (job.RealGroundTruth is null)
            synthetic = ModelEvaluation.Run(options);
        else
        {
            var both = ModelSimToReal.Run(options, job.RealGroundTruth, job.RealImages, job.MaxGap);
            synthetic = both.Synthetic;
            realStats = both.Real.Stats;
            files.Add((Out(".real.json"), both.Real.ToJson()));
            files.Add((Out(".real.detections.json"), both.Real.DetectionsJson));
            files.Add((simToReal!, both.Report.ToJson()));
        }
        files.Add((Out(".detections.json"), synthetic.DetectionsJson));
        files.Add((report, synthetic.ToJson()));

        // The key goes last: a build killed before it re-runs the model rather than trusting a partial set of files.
        Directory.CreateDirectory(folder);
        if (File.Exists(keyFile)) File.Delete(keyFile);
        foreach (var (path, bytes) in files) AtomicFile.Write(path, bytes);
        AtomicFile.Write(keyFile, KeyJson(key, synthetic.Stats, realStats));
        return new ModelEvalOutcome(job, false, synthetic.Stats, realStats, report, simToReal, synthetic.Seconds, synthetic.ImagesPerSecond);
    }

    /// <summary>Everything the outputs depend on. The thread count is not in it: results do not depend on it. MaxGap
    /// is not either: the gate is applied again from the stored statistics.</summary>
    internal static string Key(string datasetDirectory, ModelEvalJob job)
    {
        var o = job.Options;
        var p = o.Preprocess;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        void Line(string name, string? value) => sb.Append(name).Append('=').Append(value ?? "").Append('\n');
        Line("stage", StageVersion);
        Line("dataset", DatasetReader.Open(datasetDirectory).Info.Digest);
        Line("split", o.Split);
        Line("model", FileSha(o.ModelPath));
        Line("layout", o.Layout.ToString());
        Line("resize", p.Resize?.ToString());
        Line("inputSize", p.InputSize is (int w, int h) ? string.Create(inv, $"{w}x{h}") : null);
        Line("scale", p.Scale.ToString("R", inv));
        Line("mean", string.Join(",", p.Mean.Select(v => v.ToString("R", inv))));
        Line("std", string.Join(",", p.Std.Select(v => v.ToString("R", inv))));
        Line("order", p.Order.ToString());
        Line("pad", p.PadValue.ToString(inv));
        Line("score", o.Decode.ScoreThreshold.ToString("R", inv));
        Line("nms", o.Decode.NmsIou.ToString("R", inv));
        Line("max", o.Decode.MaxDetections.ToString(inv));
        Line("classMap", o.ClassMapFile is null ? null : FileSha(o.ClassMapFile));
        if (job.RealGroundTruth is not null)
        {
            string root = job.RealImages ?? Path.GetDirectoryName(Path.GetFullPath(job.RealGroundTruth))!;
            Line("realSet", LabelledSetHash.Compute(job.RealGroundTruth, root));
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()))).ToLowerInvariant();
    }

    /// <summary>The files the key hashes, checked first so that a missing one is its SYN error, not an I/O exception.</summary>
    private static void CheckFiles(ModelEvalJob job)
    {
        if (!File.Exists(job.Options.ModelPath))
            throw Onnx.ModelErrors.Error(SynCodes.ModelNotFound, $"Model file not found: '{job.Options.ModelPath}' (SynthModel '{job.Name}').", job.Options.ModelPath);
        if (job.Options.ClassMapFile is { } map && !File.Exists(map))
            throw Onnx.ModelErrors.Error(SynCodes.ModelClassMapInvalid, $"Class map file not found: '{map}' (SynthModel '{job.Name}').", map);
        if (job.RealGroundTruth is { } gt && !File.Exists(gt))
            throw Onnx.ModelErrors.Error(SynCodes.ModelEvalDatasetInvalid, $"Real set ground truth not found: '{gt}' (SynthModel '{job.Name}', RealGroundTruth).", gt);
        if (job.RealImages is { } images && !Directory.Exists(images))
            throw Onnx.ModelErrors.Error(SynCodes.ModelEvalDatasetInvalid, $"Real set image folder not found: '{images}' (SynthModel '{job.Name}', RealImages).", images);
    }

    private static string FileSha(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();
    }

    private static byte[] KeyJson(string key, double[] synthetic, double[]? real)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("key", key);
            Stats(w, "syntheticStats", synthetic);
            if (real is not null) Stats(w, "realStats", real);
            w.WriteEndObject();
        }
        return ms.ToArray();

        static void Stats(Utf8JsonWriter w, string name, double[] stats)
        {
            w.WriteStartArray(name);
            foreach (double v in stats) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
    }

    /// <summary>The stored statistics when the key file holds <paramref name="key"/>; null when it is missing, another
    /// key or unreadable (then the model simply runs again).</summary>
    private static (double[] Synthetic, double[]? Real)? Stored(string keyFile, string key)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(keyFile));
            var root = doc.RootElement;
            if (root.GetProperty("key").GetString() != key) return null;
            double[] Read(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
            return (Read(root.GetProperty("syntheticStats")), root.TryGetProperty("realStats", out var r) ? Read(r) : null);
        }
        catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException or InvalidOperationException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
