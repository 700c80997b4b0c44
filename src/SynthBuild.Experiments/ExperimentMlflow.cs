using System.Globalization;
using SynthBuild.Lineage;

namespace SynthBuild.Experiments;

/// <summary>
/// MLflow layout of an experiment: the MLflow experiment named after it, one parent run with the settings and the
/// comparison, and a child run per variant and seed (tag mlflow.parentRunId, which the MLflow UI nests).
/// </summary>
public static class ExperimentMlflow
{
    /// <returns>The parent run's id.</returns>
    public static string Log(MlflowSettings settings, ExperimentResult r) => LogAsync(settings, r).GetAwaiter().GetResult();

    private static async Task<string> LogAsync(MlflowSettings settings, ExperimentResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var s = r.Spec;
        using var client = new MlflowClient(settings);
        string user = Environment.UserName;
        var now = DateTimeOffset.UtcNow;
        var start = now - TimeSpan.FromSeconds(r.Seconds);
        string experimentId = await client.GetOrCreateExperimentAsync(s.Name);
        var parent = await client.CreateRunAsync(experimentId, s.Name, user, start,
            [new("synth.kind", "experiment"), new("synth.experiment.file", s.File)]);
        var parameters = new List<KeyValuePair<string, string>>
        {
            new("recipe", s.Recipe.Canonical),
            new("seeds", string.Join(",", s.Seeds)),
            new("variants", string.Join(",", s.Variants.Select(v => v.Name))),
            new("target", s.Target.Project ?? s.Target.Coco ?? ""),
            new("target.split", s.Target.Split),
            new("bootstrap.resamples", s.Resamples.ToString(inv)),
        };
        var metrics = new List<KeyValuePair<string, double>> { new("target.images", r.TargetImages), new("wall_seconds", r.Seconds) };
        foreach (var v in r.Variants)
        {
            metrics.Add(new($"{v.Variant}.ap", v.Ap.Value));
            metrics.Add(new($"{v.Variant}.ap.ci_low", v.Ap.Low));
            metrics.Add(new($"{v.Variant}.ap.ci_high", v.Ap.High));
            metrics.Add(new($"{v.Variant}.ap50", v.Ap50.Value));
        }
        var tags = new List<KeyValuePair<string, string>>();
        foreach (var d in r.Differences)
        {
            string key = $"{d.A}-vs-{d.B}";
            metrics.Add(new($"{key}.ap_diff", d.Ap.Value));
            metrics.Add(new($"{key}.ap_diff.ci_low", d.Ap.Low));
            metrics.Add(new($"{key}.ap_diff.ci_high", d.Ap.High));
            metrics.Add(new($"{key}.ap_ratio", d.ApRatio));
            tags.Add(new($"verdict.{key}", d.Verdict));
        }
        await client.LogBatchAsync(parent.RunId, parameters, metrics, tags, now);

        foreach (var run in r.Runs)
        {
            var build = r.Builds.First(b => b.Name == run.Variant);
            var child = await client.CreateRunAsync(experimentId, $"{run.Variant}-seed{run.Seed}", user, start,
                [new("mlflow.parentRunId", parent.RunId), new("synth.variant", run.Variant), new("synth.dataset.digest", build.Digest)]);
            await client.LogBatchAsync(child.RunId,
                [new("variant", run.Variant), new("seed", run.Seed.ToString(inv)), new("recipe", s.Recipe.Canonical), new("dataset.digest", build.Digest), new("reused", run.Reused ? "true" : "false")],
                [new("target.ap", run.Ap), new("target.ap50", run.Ap50), new("train_seconds", run.TrainSeconds)], [], now);
            await client.UpdateRunAsync(child.RunId, "FINISHED", now);
        }
        await client.UpdateRunAsync(parent.RunId, "FINISHED", now);
        return parent.RunId;
    }
}
