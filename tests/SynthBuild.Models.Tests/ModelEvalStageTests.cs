using System.Text.Json;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Core.Storage;
using SynthBuild.Evaluation;
using SynthBuild.Export;
using SynthBuild.Models.Onnx;
using static SynthBuild.Models.Tests.ModelFixtures;

namespace SynthBuild.Models.Tests;

/// <summary>The build's model stage: one ONNX model on a dataset split and on a labelled real set, the gap, and the
/// key that keeps an unchanged build from running the model again.</summary>
public class ModelEvalStageTests
{
    /// <summary>A built dataset, its train split's ground truth, and a model that "detects" the first train image's
    /// objects on every image (torchvision layout, labels = category ids).</summary>
    private sealed record Setup(string Data, string Dir, CocoGroundTruth Truth, List<CocoAnnotation> Objects, double[] Scores, string Model);

    private static Setup MakeSetup()
    {
        string data = SynthBuild.TestSupport.SmallDataset.TempDirWith(SynthBuild.TestSupport.SmallDataset.Spec(samples: 12));
        string dir = TempDir();
        string exports = Path.Combine(dir, "exports");
        Assert.True(DatasetExporter.Run(data, exports,
            [new ExportRequest(ExportFormat.Coco, new Dictionary<string, string> { ["Segmentation"] = "rle", ["Keypoints"] = "false" })]).Succeeded);
        var truth = CocoGroundTruth.Load(Path.Combine(exports, "coco", "instances_train.json"));
        long first = truth.Images[0].Id;
        var objects = truth.Annotations.Where(a => a.ImageId == first).ToList();
        Assert.NotEmpty(objects);
        double[] scores = objects.Select((_, k) => 0.9 - 0.1 * k).ToArray();
        string model = ConstantModel(dir, "det", [3, -1, -1],
        [
            new("boxes", "float32", [objects.Count, 4], objects.SelectMany(a => new[] { a.Bbox![0], a.Bbox[1], a.Bbox[0] + a.Bbox[2], a.Bbox[1] + a.Bbox[3] }).ToArray()),
            new("labels", "int64", [objects.Count], objects.Select(a => (double)a.CategoryId).ToArray()),
            new("scores", "float32", [objects.Count], scores),
        ]);
        return new Setup(data, dir, truth, objects, scores, model);
    }

    /// <summary>Real images as big as the dataset's, so the constant boxes fall inside them: the first holds exactly
    /// the first object (a hit), the second a box elsewhere (a miss), with the dataset's categories.</summary>
    private static string RealSet(Setup s, string folder, (long Id, string Name)[]? categories = null)
    {
        var im = s.Truth.Images[0];
        var o = s.Objects[0];
        categories ??= s.Truth.Categories.Select(c => (c.Id, c.Name)).ToArray();
        return CocoSet(Path.Combine(s.Dir, folder), [(im.Width, im.Height), (im.Width, im.Height)], categories,
            [(0, o.CategoryId, o.Bbox!), (1, o.CategoryId, [1, 1, 10, 10])]);
    }

    private static ModelEvalJob Job(Setup s, string? realGt, double maxGap = 0.2) => new("det",
        new ModelEvalOptions { ModelPath = s.Model, Dataset = s.Data, Split = "train", Layout = DetectionLayout.Torchvision, Threads = 2 },
        realGt, null, maxGap);

    [Fact]
    public void The_gap_is_the_two_evaluations_of_one_model_and_an_unchanged_build_does_not_run_it_again()
    {
        var s = MakeSetup();
        string real = RealSet(s, "real");
        var outcome = ModelEvalStage.Run(s.Data, Job(s, real));

        Assert.False(outcome.UpToDate);
        var alone = ModelEvaluation.Run(Job(s, null).Options);
        Assert.Equal(alone.Stats, outcome.SyntheticStats);
        // On the real set the same boxes are evaluated as a results file: every detection on both images.
        var realTruth = CocoGroundTruth.Load(real);
        double[] expectedReal = EvaluateResults(real,
            from im in realTruth.Images
            from k in Enumerable.Range(0, s.Objects.Count)
            let b = s.Objects[k].Bbox!
            let x1 = (double)(float)b[0]
            let y1 = (double)(float)b[1]
            select (im.Id, s.Objects[k].CategoryId, new[] { x1, y1, (double)(float)(b[0] + b[2]) - x1, (double)(float)(b[1] + b[3]) - y1 }, (double)(float)s.Scores[k]), s.Dir);
        Assert.Equal(expectedReal, outcome.RealStats);
        Assert.InRange(outcome.RealStats![0], 0.01, 0.99);
        Assert.Equal(outcome.SyntheticStats[0] - outcome.RealStats[0], outcome.Gap!.Value, 12);

        string models = Path.Combine(s.Data, "reports", "models");
        foreach (string f in new[] { "det.json", "det.detections.json", "det.real.json", "det.real.detections.json", "det.sim2real.json", "det.key.json" })
            Assert.True(File.Exists(Path.Combine(models, f)), f);
        using (var report = JsonDocument.Parse(File.ReadAllBytes(outcome.SimToRealFile!)))
            Assert.Equal(outcome.Gap.Value, report.RootElement.GetProperty("gap").GetDouble(), 12);
        Assert.Empty(Directory.EnumerateFiles(s.Data, "*" + AtomicFile.TempSuffix, SearchOption.AllDirectories));

        // Same dataset, model, settings and real files: nothing runs, the stored numbers come back.
        var again = ModelEvalStage.Run(s.Data, Job(s, real));
        Assert.True(again.UpToDate);
        Assert.Equal(outcome.SyntheticStats, again.SyntheticStats);
        Assert.Equal(outcome.RealStats, again.RealStats);
        // MaxGap is the gate's, not the key's: the stored gap is judged again.
        var strict = ModelEvalStage.Run(s.Data, Job(s, real, maxGap: outcome.Gap.Value - 0.01));
        Assert.True(strict.UpToDate);
        Assert.False(strict.Passed);
        Assert.Equal(SynCodes.SimToRealGapTooLarge, strict.GateDiagnostic(null)!.Code);
        Assert.Null(ModelEvalStage.Run(s.Data, Job(s, real, maxGap: 1)).GateDiagnostic(null));

        // A real image that changed (same JSON) is evaluated again; so is another model file.
        var second = realTruth.Images[1];
        File.WriteAllBytes(Path.Combine(s.Dir, "real", second.FileName!), SynthBuild.Core.Assets.Png.EncodeRgb8(new byte[second.Width * second.Height * 3], second.Width, second.Height));
        Assert.False(ModelEvalStage.Run(s.Data, Job(s, real)).UpToDate);
        File.AppendAllText(s.Model, ""); // same bytes: still up to date
        Assert.True(ModelEvalStage.Run(s.Data, Job(s, real)).UpToDate);
    }

    [Fact]
    public void A_real_set_whose_categories_are_not_the_datasets_is_refused_and_nothing_is_written()
    {
        var s = MakeSetup();
        var cats = s.Truth.Categories.Select(c => (c.Id, c.Name)).ToList();
        cats[0] = (cats[0].Id, cats[0].Name + "-real");
        cats.Add((99, "forklift"));
        string real = RealSet(s, "renamed", cats.ToArray());

        var ex = Assert.Throws<DiagnosticException>(() => ModelEvalStage.Run(s.Data, Job(s, real)));
        Assert.Equal(SynCodes.RealSetCategoriesMismatch, ex.Diagnostic.Code);
        Assert.Equal(real, ex.Diagnostic.File);
        Assert.Contains($"{cats[0].Id} '{cats[0].Name}' (the dataset's {cats[0].Id} is '{s.Truth.Categories.First(c => c.Id == cats[0].Id).Name}')", ex.Diagnostic.Message);
        Assert.Contains("99 'forklift' (no such id in the dataset)", ex.Diagnostic.Message);
        Assert.False(Directory.Exists(Path.Combine(s.Data, "reports", "models")));
    }

    [Fact]
    public void Missing_inputs_are_their_codes_naming_the_file()
    {
        var s = MakeSetup();
        string real = RealSet(s, "real");
        var noModel = Job(s, real) with { Options = Job(s, real).Options with { ModelPath = Path.Combine(s.Dir, "nope.onnx") } };
        Assert.Equal(SynCodes.ModelNotFound, Assert.Throws<DiagnosticException>(() => ModelEvalStage.Run(s.Data, noModel)).Diagnostic.Code);
        var noReal = Job(s, Path.Combine(s.Dir, "missing.json"));
        var ex = Assert.Throws<DiagnosticException>(() => ModelEvalStage.Run(s.Data, noReal));
        Assert.Equal(SynCodes.ModelEvalDatasetInvalid, ex.Diagnostic.Code);
        Assert.Equal(Path.Combine(s.Dir, "missing.json"), ex.Diagnostic.File);
        File.Delete(Path.Combine(s.Dir, "real", "img", "1.png"));
        var gone = Assert.Throws<DiagnosticException>(() => ModelEvalStage.Run(s.Data, Job(s, real)));
        Assert.Equal(SynCodes.ModelEvalImageUnreadable, gone.Diagnostic.Code);
        Assert.False(File.Exists(Path.Combine(s.Data, "reports", "models", "det.key.json")));
    }
}
