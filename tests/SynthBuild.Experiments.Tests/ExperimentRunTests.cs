using System.Text.Json;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Lineage;
using SynthBuild.Lineage.Tests;
using SynthBuild.TestSupport;

namespace SynthBuild.Experiments.Tests;

/// <summary>
/// A tiny experiment end to end: two variants (one project, one with another config) and a dataset target, each a
/// real `dotnet build`, two probe seeds per variant trained by the real runner (2 epochs at 64×48), then re-runs.
/// </summary>
public sealed class TinyExperiment
{
    public string Dir { get; }
    public string File { get; }
    public string Output { get; }
    public ExperimentResult First { get; }
    public string FirstJson { get; }

    public static string Runner => Path.Combine(DotnetCli.RepoRoot, "artifacts", "synth-probe-runner", DotnetCli.Configuration, "SynthBuild.Models.Probe.Runner.dll");

    public TinyExperiment()
    {
        var variant = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 30, seed: 3), "tiny");
        var target = new TempDatasetProject(TempDatasetProject.SmallConfig(samples: 12, seed: 9), "tinytarget");
        Dir = Path.GetDirectoryName(variant.Directory)!;
        // The second variant: the same scenes' settings with the light pinned (a "narrow" config).
        System.IO.File.WriteAllText(Path.Combine(Dir, "narrow.json"), """
            {
              "samples": 30,
              "seed": 3,
              "image": { "width": 160, "height": 120 },
              "camera": { "intrinsics": { "fx": 125, "fy": 125, "cx": 80, "cy": 60 } },
              "lighting": { "intensity": { "min": 600, "max": 600 }, "ambient": { "min": 0.3, "max": 0.3 } }
            }
            """);
        File = Path.Combine(Dir, "experiment.json");
        System.IO.File.WriteAllText(File, $$"""
            {
              "name": "tiny",
              "variants": [
                { "name": "full", "project": "{{variant.ProjectFile}}" },
                { "name": "narrow", "project": "{{variant.ProjectFile}}", "config": "narrow.json" }
              ],
              "recipe": { "epochs": 2, "width": 64, "height": 48, "batch": 4, "threads": 1 },
              "seeds": 2,
              "target": { "project": "{{target.ProjectFile}}", "split": "all" },
              "bootstrap": { "resamples": 200, "seed": 5 },
              "properties": { "SynthQuality": "false" }
            }
            """);
        Output = Path.Combine(Dir, "out");
        First = Run();
        FirstJson = System.IO.File.ReadAllText(First.JsonPath);
    }

    public ExperimentResult Run(MlflowSettings? mlflow = null, string? file = null) =>
        ExperimentRunner.Run(ExperimentFile.Load(file ?? File), new ExperimentRunOptions { OutputDirectory = Output, ProbeRunner = Runner, Mlflow = mlflow });
}

public class ExperimentRunTests(TinyExperiment tiny) : IClassFixture<TinyExperiment>
{
    [Fact]
    public void Trains_K_models_per_variant_scores_them_on_the_target_and_writes_the_reports()
    {
        var r = tiny.First;
        Assert.Equal(4, r.Runs.Count);
        Assert.All(r.Runs, run => Assert.False(run.Reused));
        Assert.Equal(["full", "narrow"], r.Builds.Select(b => b.Name));
        Assert.NotEqual(r.Builds[0].Digest, r.Builds[1].Digest); // the config made another dataset
        Assert.Equal(12, r.TargetImages);
        Assert.True(r.TargetObjects > 0);
        foreach (var run in r.Runs)
        {
            Assert.True(System.IO.File.Exists(Path.Combine(run.Directory, ExperimentRunner.DetectionsFile)));
            Assert.InRange(run.Ap, 0, 1);
        }
        foreach (var v in r.Variants)
        {
            var runs = r.Runs.Where(x => x.Variant == v.Variant).ToList();
            Assert.Equal(runs.Average(x => x.Ap), v.Ap.Value, 12);
            Assert.InRange(v.Ap.Value, v.Ap.Low, v.Ap.High);
        }
        var d = Assert.Single(r.Differences);
        Assert.Equal(r.Variants[0].Ap.Value - r.Variants[1].Ap.Value, d.Ap.Value, 12);

        using var doc = JsonDocument.Parse(tiny.FirstJson);
        var root = doc.RootElement;
        Assert.Equal("tiny", root.GetProperty("name").GetString());
        Assert.Equal(2, root.GetProperty("variants").GetArrayLength());
        Assert.Equal(r.Builds[0].Digest, root.GetProperty("variants")[0].GetProperty("digest").GetString());
        Assert.Equal(2, root.GetProperty("variants")[1].GetProperty("runs").GetArrayLength());
        Assert.Equal(d.Verdict, root.GetProperty("differences")[0].GetProperty("verdict").GetString());
        string md = System.IO.File.ReadAllText(r.SummaryPath);
        Assert.Contains("| full |", md);
        Assert.Contains(d.Verdict, md);
    }

    [Fact]
    public void A_rerun_reuses_the_builds_and_models_and_gives_the_same_figures()
    {
        var again = tiny.Run();
        Assert.All(again.Runs, run => Assert.True(run.Reused));
        Assert.Equal(tiny.First.Builds.Select(b => b.Digest), again.Builds.Select(b => b.Digest));
        Assert.Equal(tiny.First.Variants, again.Variants);
        Assert.Equal(tiny.First.Differences, again.Differences);
        // The SDK skipped the unchanged datasets: their manifests were not rewritten.
        foreach (var b in again.Builds)
            Assert.True(System.IO.File.GetLastWriteTimeUtc(Path.Combine(b.Dataset, "manifest.json")) < again.Runs.Min(x => System.IO.File.GetLastWriteTimeUtc(Path.Combine(x.Directory, ExperimentRunner.KeyFile))));
    }

    [Fact]
    public void MLflow_gets_a_parent_run_and_a_child_run_per_variant_and_seed()
    {
        using var server = new FakeMlflowServer();
        var r = tiny.Run(new MlflowSettings(server.Uri));
        Assert.NotNull(r.MlflowRunId);
        var parent = server.Runs[r.MlflowRunId!];
        Assert.Equal("tiny", parent.Name);
        Assert.Equal("FINISHED", parent.Status);
        Assert.Equal(r.Variants[0].Ap.Value, parent.Metrics["full.ap"], 12);
        Assert.Equal(r.Differences[0].Ap.Value, parent.Metrics["full-vs-narrow.ap_diff"], 12);
        var children = server.Runs.Values.Where(x => x.Tags.GetValueOrDefault("mlflow.parentRunId") == parent.Id).ToList();
        Assert.Equal(4, children.Count);
        Assert.Equal(["full-seed1", "full-seed2", "narrow-seed1", "narrow-seed2"], children.Select(c => c.Name).Order());
        var child = children.Single(c => c.Name == "narrow-seed2");
        Assert.Equal(r.Runs.Single(x => x.Variant == "narrow" && x.Seed == 2).Ap, child.Metrics["target.ap"], 12);
        Assert.Equal(r.Builds[1].Digest, child.Params["dataset.digest"]);
        Assert.All(children, c => Assert.Equal("FINISHED", c.Status));
    }

    [Fact]
    public void A_target_with_categories_the_variants_lack_is_SYN8506_naming_the_variant()
    {
        // A real-set target (COCO JSON) with a category the tiny datasets do not have.
        string gt = Path.Combine(tiny.Dir, "real.json");
        System.IO.File.WriteAllText(gt, """
            {"images":[{"id":1,"file_name":"a.png","width":160,"height":120}],
             "annotations":[{"id":1,"image_id":1,"category_id":77,"bbox":[1,1,20,20],"area":400,"iscrowd":0}],
             "categories":[{"id":77,"name":"unicorn"}]}
            """);
        string file = Path.Combine(tiny.Dir, "bad-target.json");
        System.IO.File.WriteAllText(file, System.IO.File.ReadAllText(tiny.File).Replace(
            System.IO.File.ReadAllLines(tiny.File).Single(l => l.Contains("\"target\"")), "  \"target\": { \"coco\": \"real.json\" },"));
        var ex = Assert.Throws<DiagnosticException>(() => tiny.Run(file: file));
        Assert.Equal(SynCodes.ExperimentTargetCategories, ex.Diagnostic.Code);
        Assert.Equal(file, ex.Diagnostic.File);
        Assert.Equal(4, ex.Diagnostic.Line); // the first variant's entry
        Assert.Contains("unicorn", ex.Diagnostic.Message);
        Assert.Contains("'full'", ex.Diagnostic.Message);
    }
}
