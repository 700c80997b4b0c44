using System.Diagnostics;
using System.Text.Json;
using SynthBuild.Core.Assets;
using SynthBuild.Evaluation;
using SynthBuild.TestSupport;

namespace SynthBuild.Models.Tests;

/// <summary>Real inputs for the model tests: ONNX graphs written by Debian's python3-onnx, PNG images and COCO files.</summary>
internal static class ModelFixtures
{
    public static string PythonDir => Path.Combine(TestPaths.RepoRoot, "tests", "SynthBuild.Models.Tests", "python");

    /// <summary>Runs a script of python/ with Debian's python3 (its onnx, torch); fails the test with its output.</summary>
    public static string RunPython(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(InteropChecker.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(PythonDir, script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = "2";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{script} failed ({p.ExitCode}):\n{stdout}{stderr.Result}");
        return stdout;
    }

    public sealed record Output(string Name, string Dtype, int[] Shape, double[] Data);

    /// <summary>An ONNX model whose outputs are the given constants for any image of the input shape.</summary>
    public static string ConstantModel(string dir, string name, int[] inputShape, IReadOnlyList<Output> outputs, string inputDtype = "float32", string inputName = "images", int[]? reshape = null)
    {
        string spec = Path.Combine(dir, name + ".spec.json");
        File.WriteAllText(spec, JsonSerializer.Serialize(new
        {
            input = new { name = inputName, shape = inputShape, dtype = inputDtype },
            outputs = outputs.Select(o => new { name = o.Name, dtype = o.Dtype, shape = o.Shape, data = o.Data }),
            reshape,
        }));
        string model = Path.Combine(dir, name + ".onnx");
        RunPython("constant_model.py", spec, model);
        return model;
    }

    /// <summary>A labelled "real" set: PNG images of the given sizes (a gradient, so they are not blank) and a COCO
    /// ground truth with <paramref name="annotations"/> (image index, category id, [x, y, w, h]).</summary>
    public static string CocoSet(string dir, (int W, int H)[] images, (long Id, string Name)[] categories,
        (int Image, long Category, double[] Box)[] annotations)
    {
        Directory.CreateDirectory(Path.Combine(dir, "img"));
        var imgs = new List<object>();
        for (int i = 0; i < images.Length; i++)
        {
            var (w, h) = images[i];
            var rgb = new byte[w * h * 3];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int o = (y * w + x) * 3;
                    rgb[o] = (byte)(x * 255 / w); rgb[o + 1] = (byte)(y * 255 / h); rgb[o + 2] = (byte)(i * 40);
                }
            File.WriteAllBytes(Path.Combine(dir, "img", $"{i}.png"), Png.EncodeRgb8(rgb, w, h));
            imgs.Add(new { id = 100 + i, file_name = $"img/{i}.png", width = w, height = h });
        }
        var anns = annotations.Select((a, k) => new
        {
            id = k + 1, image_id = 100 + a.Image, category_id = a.Category, bbox = a.Box, area = a.Box[2] * a.Box[3], iscrowd = 0,
        });
        string gt = Path.Combine(dir, "gt.json");
        File.WriteAllText(gt, JsonSerializer.Serialize(new { images = imgs, annotations = anns, categories = categories.Select(c => new { id = c.Id, name = c.Name }) }));
        return gt;
    }

    /// <summary>The twelve statistics of a results file evaluated by the project's evaluator (as `synth eval`).</summary>
    public static double[] EvaluateResults(string gtFile, IEnumerable<(long ImageId, long Category, double[] Box, double Score)> detections, string dir)
    {
        string dt = Path.Combine(dir, "expected-dt.json");
        File.WriteAllText(dt, JsonSerializer.Serialize(detections.Select(d => new { image_id = d.ImageId, category_id = d.Category, bbox = d.Box, score = d.Score })));
        var gt = CocoGroundTruth.Load(gtFile);
        return new CocoEvaluator(gt, CocoDetections.Load(dt, gt), IouType.Bbox).Run();
    }

    public static string TempDir() => SmallDataset.TempDir();
}
