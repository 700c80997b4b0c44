using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SynthBuild.Experiments;

/// <summary>experiment.json (every number and setting) and summary.md (the table and the verdict).</summary>
public static class ExperimentReport
{
    public static byte[] Json(ExperimentResult r)
    {
        var s = r.Spec;
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteString("file", s.File);
            w.WriteStartObject("settings");
            w.WriteString("recipe", s.Recipe.Canonical);
            w.WriteString("trainer", s.Recipe.Trainer);
            w.WriteNumber("epochs", s.Recipe.Epochs);
            w.WriteNumber("width", s.Recipe.Width);
            w.WriteNumber("height", s.Recipe.Height);
            w.WriteNumber("batch", s.Recipe.Batch);
            w.WriteNumber("lr", s.Recipe.LearningRate);
            w.WriteNumber("threads", s.Recipe.Threads);
            w.WriteStartArray("seeds");
            foreach (ulong seed in s.Seeds) w.WriteNumberValue(seed);
            w.WriteEndArray();
            if (s.Samples is int n) w.WriteNumber("samples", n);
            w.WriteNumber("bootstrapResamples", s.Resamples);
            w.WriteNumber("bootstrapSeed", s.BootstrapSeed);
            w.WriteNumber("confidence", 0.95);
            w.WriteEndObject();
            w.WriteStartObject("target");
            if (s.Target.Project is not null) w.WriteString("project", s.Target.Project);
            if (s.Target.Coco is not null) w.WriteString("coco", s.Target.Coco);
            w.WriteString("split", s.Target.Split);
            w.WriteNumber("images", r.TargetImages);
            w.WriteNumber("objects", r.TargetObjects);
            w.WriteStartArray("categories");
            foreach (string c in r.TargetCategories) w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteNumber("seconds", r.TargetSeconds);
            w.WriteEndObject();
            w.WriteStartArray("variants");
            foreach (var (v, b) in s.Variants.Zip(r.Builds))
            {
                var e = r.Variants.First(x => x.Variant == v.Name);
                w.WriteStartObject();
                w.WriteString("name", v.Name);
                w.WriteString("project", v.Project);
                if (v.Config is not null) w.WriteString("config", v.Config);
                if (v.Overlays.Count > 0)
                {
                    w.WriteStartArray("overlays");
                    foreach (string o in v.Overlays) w.WriteStringValue(o);
                    w.WriteEndArray();
                }
                w.WriteString("dataset", b.Dataset);
                w.WriteString("digest", b.Digest);
                w.WriteNumber("samples", b.Samples);
                w.WriteNumber("buildSeconds", b.Seconds);
                WriteEstimate(w, "ap", e.Ap);
                WriteEstimate(w, "ap50", e.Ap50);
                w.WriteStartArray("runs");
                foreach (var run in r.Runs.Where(x => x.Variant == v.Name))
                {
                    w.WriteStartObject();
                    w.WriteNumber("seed", run.Seed);
                    w.WriteNumber("ap", run.Ap);
                    w.WriteNumber("ap50", run.Ap50);
                    w.WriteNumber("trainSeconds", run.TrainSeconds);
                    w.WriteNumber("wallSeconds", run.WallSeconds);
                    w.WriteBoolean("reused", run.Reused);
                    w.WriteString("directory", run.Directory);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("differences");
            foreach (var d in r.Differences)
            {
                w.WriteStartObject();
                w.WriteString("a", d.A);
                w.WriteString("b", d.B);
                WriteEstimate(w, "ap", d.Ap);
                WriteEstimate(w, "ap50", d.Ap50);
                if (double.IsFinite(d.ApRatio)) w.WriteNumber("apRatio", d.ApRatio);
                else w.WriteNull("apRatio");
                w.WriteString("verdict", d.Verdict);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("seconds", r.Seconds);
            if (r.MlflowRunId is not null) w.WriteString("mlflowRunId", r.MlflowRunId);
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    private static void WriteEstimate(Utf8JsonWriter w, string name, Estimate e)
    {
        w.WriteStartObject(name);
        w.WriteNumber("mean", e.Value);
        w.WriteNumber("ciLow", e.Low);
        w.WriteNumber("ciHigh", e.High);
        w.WriteEndObject();
    }

    private static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
    private static string Ci(Estimate e) => $"{F(e.Value)} [{F(e.Low)}, {F(e.High)}]";

    /// <summary>The figures in a few lines (the command prints them; summary.md holds them with the runs).</summary>
    public static string Text(ExperimentResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(inv, $"experiment {r.Spec.Name}: {r.Spec.Seeds.Count} seeds × {r.Spec.Variants.Count} variants, target {r.TargetImages} images ({r.TargetObjects} objects), 95% CI over {r.Spec.Resamples} bootstrap resamples"));
        foreach (var v in r.Variants)
            sb.AppendLine($"  {v.Variant,-16} AP {Ci(v.Ap)}   AP50 {Ci(v.Ap50)}");
        foreach (var d in r.Differences)
            sb.AppendLine(string.Create(inv, $"  {d.A} − {d.B}: AP {Ci(d.Ap)}   AP50 {Ci(d.Ap50)}   ratio {d.ApRatio:F2}×   → {d.Verdict}"));
        sb.AppendLine(string.Create(inv, $"  wall time {r.Seconds:F0} s (builds {r.Builds.Sum(b => b.Seconds) + r.TargetSeconds:F0} s, training {r.Runs.Sum(x => x.WallSeconds):F0} s; {r.Runs.Count(x => x.Reused)} of {r.Runs.Count} models reused)"));
        return sb.ToString();
    }

    public static string Markdown(ExperimentResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var s = r.Spec;
        var sb = new StringBuilder();
        sb.AppendLine($"# Experiment {s.Name}");
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"Recipe `{s.Recipe.Canonical}`, seeds {string.Join(", ", s.Seeds)}; target {(s.Target.Project is not null ? Path.GetFileName(s.Target.Project) : Path.GetFileName(s.Target.Coco))} ({s.Target.Split}: {r.TargetImages} images, {r.TargetObjects} objects). 95% intervals: percentile bootstrap over target images and seeds, {s.Resamples} resamples (seed {s.BootstrapSeed})."));
        sb.AppendLine();
        sb.AppendLine("| variant | samples | digest | AP (mean over seeds) [95% CI] | AP50 [95% CI] | per seed AP |");
        sb.AppendLine("|---|---:|---|---|---|---|");
        foreach (var (v, b) in s.Variants.Zip(r.Builds))
        {
            var e = r.Variants.First(x => x.Variant == v.Name);
            string perSeed = string.Join(", ", r.Runs.Where(x => x.Variant == v.Name).Select(x => F(x.Ap)));
            sb.AppendLine($"| {v.Name} | {b.Samples} | `{b.Digest[..Math.Min(12, b.Digest.Length)]}` | {Ci(e.Ap)} | {Ci(e.Ap50)} | {perSeed} |");
        }
        sb.AppendLine();
        sb.AppendLine("| comparison | ΔAP [95% CI] | ΔAP50 [95% CI] | AP ratio | verdict |");
        sb.AppendLine("|---|---|---|---:|---|");
        foreach (var d in r.Differences)
            sb.AppendLine(string.Create(inv, $"| {d.A} − {d.B} | {Ci(d.Ap)} | {Ci(d.Ap50)} | {d.ApRatio:F2}× | **{d.Verdict}** |"));
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"Wall time {r.Seconds:F0} s: target build {r.TargetSeconds:F0} s, variant builds {string.Join(", ", r.Builds.Select(b => $"{b.Name} {b.Seconds:F0} s"))}, training and target inference {r.Runs.Sum(x => x.WallSeconds):F0} s ({r.Runs.Count(x => x.Reused)} of {r.Runs.Count} models reused)."));
        return sb.ToString();
    }
}
