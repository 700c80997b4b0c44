using System.CommandLine;
using SynthBuild.Core.Diagnostics;
using SynthBuild.Evaluation.Slices;
using SynthBuild.Export;

namespace SynthBuild.Cli;

/// <summary>synth slices DATASET --detections FILE --split val|test: per-slice AP and the failure modes (docs/models.md).</summary>
internal static class SliceCommands
{
    public static Command Slices(TextWriter stdout)
    {
        var dataset = SynthCli.PathArgument("DATASET", "A built dataset folder (e.g. bin/dataset).");
        var detections = SynthCli.RequiredPath("--detections", "DT.json", "The detector's results on the split (COCO results list, e.g. reports/probe.val.detections.json).");
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "val", HelpName = "val|test", Description = "The split the detections are for." };
        var config = SynthCli.OptionalPath("--config", "synth.json", "The config that built the dataset (default: DATASET/../../synth.json; samples and seed come from dataset.json).");
        var output = new Option<string>("--out", "-o") { HelpName = "FILE", Description = "Write the report (schema synthbuild.slices/1) to FILE." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON instead of the failure modes in words." };
        var minObjects = new Option<int>("--min-objects") { DefaultValueFactory = _ => 25, HelpName = "N", Description = "Slices with fewer ground-truth objects are marked enough: false and not ranked." };
        var resamples = new Option<int>("--resamples") { DefaultValueFactory = _ => 200, HelpName = "N", Description = "Bootstrap resamples over images for the 95% intervals." };
        var command = new Command("slices", "AP, AP50 and recall per slice of the generating parameters (light, colour temperature, occlusion, size, distance, …) with bootstrap intervals; names the failure modes.")
        {
            dataset, detections, split, config, output, json, minObjects, resamples,
        };
        command.SetAction(p =>
        {
            string ds = p.GetRequiredValue(dataset);
            var report = SliceRun.Run(ds, p.GetValue(config) ?? SliceRun.DefaultConfig(ds), p.GetRequiredValue(detections), p.GetValue(split)!,
                new SliceOptions { MinObjects = p.GetValue(minObjects), Resamples = p.GetValue(resamples) });
            byte[] bytes = report.ToJson();
            if (p.GetValue(output) is string outPath)
            {
                string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
                if (dir is not null) Directory.CreateDirectory(dir);
                File.WriteAllBytes(outPath + ".tmp", bytes);
                File.Move(outPath + ".tmp", outPath, overwrite: true);
            }
            if (p.GetValue(json)) stdout.Write(System.Text.Encoding.UTF8.GetString(bytes));
            else
            {
                stdout.Write(report.Summary());
                if (p.GetValue(output) is string o) stdout.WriteLine($"report: {o}");
            }
            return SynthCli.ExitOk;
        });
        return command;
    }
}
