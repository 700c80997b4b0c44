using System.Diagnostics;
using System.Text.Json;
using SynthBuild.Lineage.Tests;

namespace SynthBuild.Tasks.Tests;

/// <summary>External trainers in a real build: trainers/torchvision/train_detector.py (Debian's python3-torch, CPU)
/// trained for two iterations on a tiny dataset, its ONNX model evaluated, its results added to the dataset's MLflow
/// run; then every way the item or the trainer can go wrong (docs/models.md "External trainers").</summary>
[Collection("dotnet build")]
public class TrainerTargetTests
{
    [Fact]
    public void A_real_torchvision_trainer_runs_in_the_build_is_evaluated_logged_and_not_rerun_unchanged_and_bad_input_is_reported()
    {
        string script = Path.Combine(DotnetCli.RepoRoot, "trainers", "torchvision", "train_detector.py");
        // Properties let one project show each mistake; Timeout="$(TestTimeout)" is empty (no limit) unless set.
        var p = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 10), projectItems: $"""
              <PropertyGroup>
                <TestMetrics Condition="'$(TestMetrics)' == ''">{"{output}"}/metrics.json</TestMetrics>
                <TestModel Condition="'$(TestModel)' == ''">{"{output}"}/model.onnx</TestModel>
              </PropertyGroup>
              <ItemGroup>
                <SynthExport Include="coco" Segmentation="rle" Keypoints="false" />
                <SynthTrainer Include="det"
                    Command="{InteropChecker.Python} '{script}' --coco {"{coco}"} --out {"{output}"} --epochs 1 --max-iterations 2 --batch 2 --min-size 120 --max-size 160 --threads 1 $(TestExtra)"
                    Metrics="$(TestMetrics)" Model="$(TestModel)" ClassMap="{"{output}"}/class_map.json" Inputs="{script}" Split="train" Timeout="$(TestTimeout)" />
              </ItemGroup>
            """);
        using var server = new FakeMlflowServer();
        var env = new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = server.Uri, ["OMP_NUM_THREADS"] = "1" };
        string output = Path.Combine(p.Directory, "obj", "synth-trainers", "det");

        // Placeholders are checked before anything runs: an export the project does not declare, a name that is none.
        var undeclared = p.Build("-t:SynthTrain -p:TestExtra=--yolo={yolo}", env);
        Assert.Equal(1, undeclared.ExitCode);
        Assert.Contains($"{p.ProjectFile} : error SYN8202: Command on SynthTrainer 'det' uses {{yolo}}, but the project declares no yolo export: add <SynthExport Include=\"yolo\" />.", undeclared.Output);
        Assert.DoesNotContain("det| ", undeclared.Output);
        Assert.False(Directory.Exists(output));
        var unknown = p.Build("-t:SynthTrain -p:TestModel={out}/model.onnx", env);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("error SYN8202: Model on SynthTrainer 'det' uses {out}, which is not a placeholder; known: {dataset}", unknown.Output);
        var run = Assert.Single(server.Runs.Values); // lineage recorded the dataset's run

        // The real trainer, as part of the normal build: its lines streamed, metrics read back, model evaluated, logged.
        var clock = Stopwatch.StartNew();
        var trained = p.Build("-p:SynthTrainOnBuild=true", env);
        double trainedSeconds = clock.Elapsed.TotalSeconds;
        Assert.True(trained.ExitCode == 0, trained.ToString());
        Assert.Matches(@"det\| train_detector: tiny, \d+ parameters, \d+ train images", trained.Output);
        Assert.Matches(@"det\| epoch 1/1: loss \d+\.\d{4} \(2 iterations", trained.Output);
        Assert.Matches(@"Trainer det: trained in \d+\.\d s; .*iterations 2", trained.Output);
        Assert.Matches(@"Model det: train AP \d\.\d{3}, AP50 \d\.\d{3}", trained.Output);
        using (var summary = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(p.OutputDir, "reports", "trainers", "det.json"))))
        {
            var m = summary.RootElement.GetProperty("metrics");
            Assert.Equal(2, m.GetProperty("iterations").GetDouble());
            Assert.True(double.IsFinite(m.GetProperty("loss").GetDouble()) && m.GetProperty("loss").GetDouble() > 0);
            Assert.Equal(m.GetProperty("loss").GetDouble(), m.GetProperty("loss_per_epoch").GetDouble()); // a series counts as its last value
            Assert.True(m.TryGetProperty("last_epoch.loss_classifier", out _));
            Assert.Equal(Path.Combine(output, "model.onnx"), summary.RootElement.GetProperty("model").GetString());
        }
        double ap;
        using (var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(p.OutputDir, "reports", "models", "det.json"))))
        {
            Assert.Equal(Path.Combine(output, "model.onnx"), report.RootElement.GetProperty("model").GetString());
            Assert.Equal("train", report.RootElement.GetProperty("split").GetString());
            ap = report.RootElement.GetProperty("stats").GetProperty("AP").GetDouble();
            Assert.InRange(ap, 0, 1); // a real number: two iterations from random weights rarely find anything
            Assert.True(report.RootElement.GetProperty("images").GetInt32() > 0);
        }
        Assert.True(run.Metrics["trainer.det.iterations"] == 2, string.Join(", ", run.Metrics.Keys));
        Assert.Equal(ap, run.Metrics["trainer.det.eval.train.AP"], 9);
        Assert.Contains("--max-iterations 2", run.Tags["synth.trainer.det.command"]);
        string artifacts = $"{run.ExperimentId}/{run.Id}/artifacts/trainers/det/";
        Assert.Equal(File.ReadAllBytes(Path.Combine(output, "model.onnx")), server.Artifacts[artifacts + "model.onnx"]);
        Assert.Contains(artifacts + "metrics.json", server.Artifacts.Keys);
        Assert.Contains(artifacts + "eval.json", server.Artifacts.Keys);
        Assert.Single(server.Runs.Values); // added to the dataset's run, not a run of its own

        // Unchanged: not trained again, not evaluated again.
        var again = p.Build("-t:SynthTrain", env);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Trainer det: (up to date)", again.Output);
        Assert.Contains("(up to date) -> ", again.Output);
        Assert.DoesNotContain("det| ", again.Output);

        string[] reports = ["trainers/det.json", "models/det.json", "models/det.detections.json"];
        var before = reports.ToDictionary(r => r, r => File.ReadAllBytes(Path.Combine(p.OutputDir, "reports", r)));
        void ReportsUntouched()
        {
            foreach (var (r, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(p.OutputDir, "reports", r)));
        }

        // A trainer that exits nonzero: its code and its last lines, no key left.
        var failing = p.Build("-t:SynthTrain -p:TestExtra=\"--epochs 0\"", env);
        Assert.Equal(1, failing.ExitCode);
        Assert.Contains("error SYN8203: SynthTrainer 'det' exited with code 2; its last output: train_detector.py: error: --epochs and --batch must be at least 1", failing.Output);
        Assert.False(File.Exists(Path.Combine(p.OutputDir, "reports", "trainers", "det.key.json")));
        ReportsUntouched();

        // Past its timeout: killed.
        var slow = p.Build("-t:SynthTrain -p:TestTimeout=0.5", env);
        Assert.Equal(1, slow.ExitCode);
        Assert.Contains("error SYN8204: SynthTrainer 'det' ran past its timeout of 0.5 s and was stopped", slow.Output);
        ReportsUntouched();

        // A metrics file the trainer does not write, then a model file it does not write: each named.
        string absentMetrics = Path.Combine(output, "results.csv");
        var noMetrics = p.Build("-t:SynthTrain -p:TestMetrics={output}/results.csv", env);
        Assert.Equal(1, noMetrics.ExitCode);
        Assert.Contains($"{absentMetrics} : error SYN8205: Metrics file not found: '{absentMetrics}' (SynthTrainer 'det' exited with code 0", noMetrics.Output);
        ReportsUntouched();
        string absentModel = Path.Combine(output, "best.onnx");
        var noModel = p.Build("-t:SynthTrain -p:TestModel={output}/best.onnx", env);
        Assert.Equal(1, noModel.ExitCode);
        Assert.Contains($"{absentModel} : error SYN8206: Model file not found: '{absentModel}'", noModel.Output);
        ReportsUntouched();
        Console.WriteLine($"TrainerTargetTests: the training build took {trainedSeconds:F1} s");
    }
}
